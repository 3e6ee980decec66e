"""Real server processes and real websocket clients for the server tests. No mocks.

- `ServerProcess` (from `testsupport`, shared with the benches and the load tester): one server process on a
  free port, started with the production uvicorn options and stopped (or killed with SIGKILL) by the test;
  `start()` returns once `/healthz` answers.
- `Client`: one websocket to `/ws/tables/{id}` with a reader task that records every frame; `wait_for`
  waits for a frame matching a predicate, with a timeout that says what was awaited and what came instead.
- `Api`: the HTTP API (create a conference, join, read a table's log) on top of httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

# Re-exported: the server tests take everything from this module.
from testsupport.servers import TEST_SECRET as TEST_SECRET
from testsupport.servers import ServerProcess as ServerProcess
from testsupport.servers import free_port as free_port

# Limits high enough that tests which are not about rate limiting never hit them.
NO_RATE_LIMIT = {"RAADERUM_FRAMES_PER_SECOND": "100000", "RAADERUM_FRAME_BURST": "100000"}

Frame = dict[str, Any]


# ---------------------------------------------------------------------------------------------------- HTTP


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Conference:
    conference_id: str
    facilitator_token: str
    tables: list[dict[str, str]]

    @property
    def table_id(self) -> str:
        return self.tables[0]["table_id"]

    @property
    def join_code(self) -> str:
        return self.tables[0]["join_code"]


@dataclass
class Player:
    name: str
    table_id: str
    player_id: str
    token: str


class Api:
    """The HTTP API of one server process."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def create_conference(self, tables: int = 1, **fields: Any) -> Conference:
        response = await self.http.post("/api/conferences", json={"name": "Test", "tables": tables, **fields})
        assert response.status_code == 201, response.text
        body = response.json()
        return Conference(body["conference_id"], body["facilitator_token"], body["tables"])

    async def join(self, code: str, name: str) -> Player:
        response = await self.http.post("/api/join", json={"code": code, "name": name})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["table_id"], body
        assert body["player_id"], body
        assert body["token"], body
        return Player(name, body["table_id"], body["player_id"], body["token"])

    async def events_response(self, table_id: str, token: str | None, after: int = 0) -> httpx.Response:
        headers = bearer(token) if token is not None else {}
        return await self.http.get(f"/api/tables/{table_id}/events", params={"after": after}, headers=headers)

    async def events(self, table_id: str, token: str, after: int = 0) -> list[Frame]:
        """The table's log as the events API returns it: [{seq, type, at, data}, ...]."""
        response = await self.events_response(table_id, token, after)
        assert response.status_code == 200, response.text
        events: list[Frame] = response.json()["events"]
        return events


def log_triples(events: Iterable[Frame]) -> list[tuple[int, str, Frame]]:
    """(seq, type, data) of events from the events API."""
    return [(e["seq"], e["type"], e["data"]) for e in events]


def assert_contiguous(seqs: list[int], first: int, what: str) -> None:
    expected = list(range(first, first + len(seqs)))
    assert seqs == expected, f"{what}: seqs are not contiguous from {first}: {seqs}"


# ---------------------------------------------------------------------------------------------------- websocket


class Client:
    """One websocket connection to a table. A reader task records every frame the server sends."""

    _labels = itertools.count(1)
    open_clients: ClassVar[set[Client]] = set()  # closed by a fixture after each test, whatever happened

    def __init__(self, ws: ClientConnection, label: str) -> None:
        self.ws = ws
        self.label = label
        self.frames: list[Frame] = []
        self.raw: list[str] = []
        self._new = asyncio.Event()
        self._ids = itertools.count(1)
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(), name=f"client-reader:{label}")
        Client.open_clients.add(self)

    @classmethod
    async def connect(cls, base_ws_url: str, table_id: str, label: str | None = None, **options: Any) -> Client:
        """Open the socket. `options` go to websockets' `connect` (e.g. max_queue, sock)."""
        options.setdefault("open_timeout", 10)
        options.setdefault("ping_interval", None)  # our own heartbeats and pings only
        options.setdefault("max_size", 2**22)
        ws = await connect(f"{base_ws_url}/ws/tables/{table_id}", **options)
        return cls(ws, label or f"client{next(cls._labels)}")

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode()
                self.raw.append(text)
                self.frames.append(json.loads(text))
                self._new.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()
            self._new.set()

    # ---- sending

    async def send(self, frame: Frame | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    def next_id(self) -> str:
        return f"{self.label}-{next(self._ids)}"

    async def hello(self, token: str, after: int = 0, lang: str = "en", timeout: float = 10.0) -> list[Frame]:
        """Say hello, then ping: the pong comes after everything the server sends on attach.

        Returns the frames received before the pong (the snapshot or the missed events, and presence).
        """
        start = len(self.frames)
        await self.send({"type": "hello", "token": token, "after": after, "lang": lang})
        await self.ping(timeout)
        return [f for f in self.frames[start:] if f.get("type") != "pong"]

    async def ping(self, timeout: float = 10.0) -> None:
        ping_id = self.next_id()
        await self.send({"type": "ping", "id": ping_id})
        await self.wait_for(lambda f: f["type"] == "pong" and f["id"] == ping_id, timeout, what=f"pong {ping_id}")

    async def command(self, kind: str, frame_id: str | None = None, **fields: Any) -> str:
        """Send a command frame without waiting; returns its id."""
        frame_id = frame_id or self.next_id()
        await self.send({"type": kind, "id": frame_id, **fields})
        return frame_id

    async def reply(self, frame_id: str, timeout: float = 10.0, since: int = 0) -> Frame:
        """The first ack or error for a command id among the frames from index `since` on."""
        return await self.wait_for(
            lambda f: f["type"] in ("ack", "error") and f.get("id") == frame_id,
            timeout,
            since=since,
            what=f"reply to {frame_id}",
        )

    async def call(self, kind: str, frame_id: str | None = None, timeout: float = 10.0, **fields: Any) -> Frame:
        """Send a command and wait for its ack or error (a reply that arrives after sending: retries reuse ids)."""
        since = len(self.frames)
        return await self.reply(await self.command(kind, frame_id, **fields), timeout, since)

    async def ok(self, kind: str, timeout: float = 10.0, **fields: Any) -> Frame:
        """Send a command that must be acknowledged; returns the ack."""
        reply = await self.call(kind, timeout=timeout, **fields)
        assert reply["type"] == "ack", f"{self.label}: {kind} {fields} was refused: {reply}"
        return reply

    async def error(self, kind: str, timeout: float = 10.0, **fields: Any) -> str:
        """Send a command that must be refused; returns the error code."""
        reply = await self.call(kind, timeout=timeout, **fields)
        assert reply["type"] == "error", f"{self.label}: {kind} {fields} was accepted: {reply}"
        code: str = reply["code"]
        return code

    # ---- receiving

    async def wait_for(
        self, predicate: Callable[[Frame], bool], timeout: float = 10.0, *, since: int = 0, what: str = "a frame"
    ) -> Frame:
        """The first frame from index `since` on that matches; AssertionError after `timeout` seconds."""
        (frame,) = await self.wait_for_many(predicate, 1, timeout, since=since, what=what)
        return frame

    async def wait_for_many(
        self,
        predicate: Callable[[Frame], bool],
        count: int,
        timeout: float = 10.0,
        *,
        since: int = 0,
        what: str = "frames",
    ) -> list[Frame]:
        """The first `count` frames from index `since` on that match; AssertionError after `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        checked = since
        found: list[Frame] = []
        while True:
            while checked < len(self.frames):
                frame = self.frames[checked]
                checked += 1
                if predicate(frame):
                    found.append(frame)
                    if len(found) == count:
                        return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or (self.closed.is_set() and checked >= len(self.frames)):
                state = f"closed with {self.close_code} {self.close_reason!r}" if self.closed.is_set() else "open"
                recent = [_short(f) for f in self.frames[-8:]]
                got = f" (got {len(found)} of {count})" if count > 1 else ""
                raise AssertionError(
                    f"{self.label}: no {what} within {timeout} s{got} (connection {state}); last frames: {recent}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)
            self._new.clear()

    async def wait_seq(self, seq: int, timeout: float = 10.0) -> None:
        """Until this client has seen the table at version `seq` (by an event or a snapshot)."""
        await self.wait_for(
            lambda f: f["type"] in ("event", "snapshot") and f["seq"] >= seq, timeout, what=f"seq {seq}"
        )

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """The close code the server sent (None when it never closed within `timeout`)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    def of_type(self, kind: str) -> list[Frame]:
        return [f for f in self.frames if f["type"] == kind]

    @property
    def events(self) -> list[tuple[int, str, Frame]]:
        """(seq, event type, event) of every event frame received, in order."""
        return [(f["seq"], f["event"]["type"], f["event"]) for f in self.frames if f["type"] == "event"]

    @property
    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if f["type"] == "event"]

    @property
    def last_seq(self) -> int:
        """The table version this client is at: its last event or snapshot."""
        seqs = [f["seq"] for f in self.frames if f["type"] in ("event", "snapshot")]
        return max(seqs, default=0)

    @property
    def snapshots(self) -> list[Frame]:
        return self.of_type("snapshot")

    async def close(self) -> None:
        Client.open_clients.discard(self)
        with contextlib.suppress(Exception):
            await self.ws.close()
        await self.wait_closed(5)
        if not self._reader.done():
            self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _short(frame: Frame) -> str:
    text = json.dumps(frame, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


async def connect_as(
    server: ServerProcess, table_id: str, token: str, *, after: int = 0, label: str | None = None, **options: Any
) -> Client:
    """Connect and say hello; returns once the server has attached the client (see `Client.hello`)."""
    client = await Client.connect(server.ws_url, table_id, label, **options)
    try:
        await client.hello(token, after)
    except BaseException:
        await client.close()
        raise
    return client


def chat_events(events: Iterable[tuple[int, str, Frame]]) -> list[str]:
    return [event["text"] for _, kind, event in events if kind == "message_posted"]
