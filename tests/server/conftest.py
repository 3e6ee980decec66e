"""Fixtures: real uvicorn processes on SQLite files or throwaway Redis servers, and their HTTP API.

Every server's log is checked when the test ends: an unhandled exception ("Traceback") fails the test,
so a bug that only shows in the server's log cannot hide behind a passing client-side assertion.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.server.helpers import Api, Client, ServerProcess
from testsupport.store_fixtures import redis_srv, redis_url

__all__ = ["redis_srv", "redis_url"]  # the throwaway Redis, shared with the store tests

TRACEBACK = "Traceback (most recent call last)"

StartServer = Callable[..., ServerProcess]


def _check_log(text: str, what: str) -> None:
    if TRACEBACK in text:
        pytest.fail(f"{what} logged an exception:\n{text[-4000:]}", pytrace=False)


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    """Close every websocket client a test opened, also when it failed half way."""
    yield
    for client in list(Client.open_clients):
        await client.close()


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One SQLite-backed server with default settings, shared by the tests that do not stop or reconfigure it."""
    directory = tmp_path_factory.mktemp("shared")
    server = ServerProcess(f"sqlite:///{directory / 'events.db'}", log_dir=directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(shared_server: ServerProcess) -> Iterator[ServerProcess]:
    """The shared server; the part of its log written during this test must hold no traceback."""
    if not shared_server.running():
        shared_server.start()
    offset = len(shared_server.log_text())
    yield shared_server
    _check_log(shared_server.log_text()[offset:], "the shared server")


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    async with Api(server.url) as client:
        yield client


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """`start_server(store_url, env={...}, port=None)` starts a process; all are stopped after the test."""
    servers: list[ServerProcess] = []

    def start(store_url: str, *, env: dict[str, str] | None = None, port: int | None = None) -> ServerProcess:
        server = ServerProcess(store_url, port, env=env, log_dir=tmp_path / "logs")
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        _check_log(server.log_text(), f"server on port {server.port}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'events.db'}"
