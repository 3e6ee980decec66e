"""The store fixtures that the contract suite and other tests share: each test that asks for `store` runs
against a fresh SQLite file and an emptied throwaway Redis on a unix socket (one server per session).

Import the fixtures into a conftest or test module: `from testsupport.store_fixtures import store, ...`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from server.store import EventStore, open_store
from testsupport.redis import RedisServer, redis_server

__all__ = ["redis_srv", "redis_url", "store", "store_url"]


@pytest.fixture(scope="session")
def redis_srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_srv: RedisServer) -> str:
    """The throwaway server, emptied for this test (sync, so sync fixtures can request it lazily)."""
    with redis.Redis.from_url(redis_srv.url) as client:
        client.flushall()
    return redis_srv.url


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'events.db'}"  # the missing parent dir gets created
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[EventStore]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()
