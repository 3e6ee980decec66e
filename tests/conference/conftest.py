"""Fixtures for the conference tests: a real server on SQLite, its HTTP API, and the facilitator's side of it.

Every server's log is checked when a test ends: an unhandled exception fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.server.helpers import NO_RATE_LIMIT, Api, Conference, Player, ServerProcess, bearer

TRACEBACK = "Traceback (most recent call last)"
Frame = dict[str, Any]


def check_log(text: str, what: str) -> None:
    if TRACEBACK in text:
        pytest.fail(f"{what} logged an exception:\n{text[-4000:]}", pytrace=False)


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("conference")
    server = ServerProcess(f"sqlite:///{directory / 'events.db'}", env=NO_RATE_LIMIT, log_dir=directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(shared_server: ServerProcess) -> Iterator[ServerProcess]:
    if not shared_server.running():
        shared_server.start()
    offset = len(shared_server.log_text())
    yield shared_server
    check_log(shared_server.log_text()[offset:], "the shared server")


StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """`start_server(env={...}, store_url=None)`: a server of this test's own; stopped and checked after it."""
    servers: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, store_url: str | None = None) -> ServerProcess:
        url = store_url or f"sqlite:///{tmp_path / 'events.db'}"
        process = ServerProcess(url, env={**NO_RATE_LIMIT, **(env or {})}, log_dir=tmp_path / "logs")
        servers.append(process)
        process.start()
        return process

    yield start
    for process in servers:
        process.stop()
    for process in servers:
        check_log(process.log_text(), f"server on port {process.port}")


@dataclass
class Facilitator:
    """The facilitator's HTTP API of one conference."""

    http: httpx.AsyncClient
    conference: Conference

    @property
    def id(self) -> str:
        return self.conference.conference_id

    @property
    def token(self) -> str:
        return self.conference.facilitator_token

    @property
    def table_ids(self) -> list[str]:
        return [t["table_id"] for t in self.conference.tables]

    async def get(self, path: str = "", token: str | None = None, **params: Any) -> httpx.Response:
        return await self.http.get(
            f"/api/conferences/{self.id}{path}", headers=bearer(token or self.token), params=params
        )

    async def action(self, action: str, token: str | None = None, **fields: Any) -> httpx.Response:
        return await self.http.post(
            f"/api/conferences/{self.id}/actions",
            json={"action": action, **fields},
            headers=bearer(token or self.token),
        )

    async def ok(self, action: str, **fields: Any) -> list[Frame]:
        """Run an action that must succeed at every affected table; returns the per-table results."""
        response = await self.action(action, **fields)
        assert response.status_code == 200, response.text
        results: list[Frame] = response.json()["results"]
        assert all(r["ok"] for r in results), results
        return results

    async def log(self, table_id: str, after: int = 0) -> list[Frame]:
        response = await self.http.get(
            f"/api/tables/{table_id}/events", params={"after": after}, headers=bearer(self.token)
        )
        assert response.status_code == 200, response.text
        events: list[Frame] = response.json()["events"]
        return events

    async def types(self, table_id: str, after: int = 0) -> list[str]:
        return [e["type"] for e in await self.log(table_id, after)]

    async def version(self, table_id: str) -> int:
        return len(await self.log(table_id))


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    async with Api(server.url) as client:
        yield client


async def new_conference(
    api: Api, tables: int, players: int = 0, **fields: Any
) -> tuple[Facilitator, list[list[Player]]]:
    """A conference with `players` seated at each table (names A1, A2 … at table 1, B1 … at table 2)."""
    conference = await api.create_conference(tables, **fields)
    seated: list[list[Player]] = []
    for index, table in enumerate(conference.tables):
        letter = chr(ord("A") + index % 26)
        seated.append([await api.join(table["join_code"], f"{letter}{n}") for n in range(1, players + 1)])
    return Facilitator(api.http, conference), seated


class Watch:
    """A socket on /ws/conferences/{id}: records every frame."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self.new = asyncio.Event()
        self.close_code: int | None = None
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server: ServerProcess, conference_id: str, token: str | None) -> Watch:
        ws = await connect(f"{server.ws_url}/ws/conferences/{conference_id}", open_timeout=10, ping_interval=None)
        watch = cls(ws)
        if token is not None:
            await ws.send(json.dumps({"type": "hello", "token": token}))
        return watch

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                self.frames.append(json.loads(message))
                self.new.set()
        except ConnectionClosed:
            pass  # the server closed it: close_code below says how
        finally:
            self.close_code = self.ws.close_code
            self.new.set()

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 5.0, since: int = 0) -> Frame:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = since
        while True:
            while checked < len(self.frames):
                frame = self.frames[checked]
                checked += 1
                if predicate(frame):
                    return frame
            if self.reader.done() or loop.time() >= deadline:
                raise AssertionError(
                    f"no matching frame within {timeout} s; closed={self.close_code}; {self.frames[-5:]}"
                )
            self.new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new.wait(), deadline - loop.time())

    async def closed(self, timeout: float = 5.0) -> int | None:
        try:
            await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        except TimeoutError:
            return None
        return self.close_code

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


def rows_of(frame: Frame) -> dict[str, Frame]:
    return {row["table_id"]: row for row in frame["tables"]}
