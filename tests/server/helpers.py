"""Real server processes and real websocket clients for the server tests. No mocks.

- `ServerProcess`: one `uvicorn --factory server.app:create_app` subprocess on a free port, started and
  stopped (or killed with SIGKILL) by the test; `start()` returns once `/healthz` answers.
- `Client`: one websocket to `/ws/tables/{id}` with a reader task that records every frame; `wait_for`
  waits for a frame matching a predicate, with a timeout that says what was awaited and what came instead.
- `Api`: the HTTP API (create a conference, join, read a table's log) on top of httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET = "raaderum-test-secret-not-for-production"
# Limits high enough that tests which are not about rate limiting never hit them.
NO_RATE_LIMIT = {"RAADERUM_FRAMES_PER_SECOND": "100000", "RAADERUM_FRAME_BURST": "100000"}

Frame = dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PortTaken(RuntimeError):
    pass


class ServerProcess:
    """A real uvicorn process serving `server.app:create_app` on 127.0.0.1:`port`.

    The process gets RAADERUM_STORE=`store_url` and a fixed RAADERUM_SECRET, so a restarted process (or a
    second process on the same Redis) accepts the tokens of the first. `env` adds or overrides variables.
    """

    def __init__(
        self,
        store_url: str,
        port: int | None = None,
        *,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.store_url = store_url
        self._chosen_port = port is None
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="raaderum-server-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / f"uvicorn-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._started = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def args(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
        ]  # fmt: skip

    def start(self, timeout: float = 20.0) -> None:
        """Start the process and wait until GET /healthz answers 200.

        A port this object picked itself is picked again if another process took it in the meantime; a
        restart keeps its port, as a supervisor restarting a crashed server would.
        """
        for attempt in range(3):
            try:
                self._start(timeout)
            except PortTaken:
                if not self._chosen_port or self._started or attempt == 2:
                    raise
                self.port = free_port()
                self.log_path = self.log_dir / f"uvicorn-{self.port}.log"
            else:
                self._started = True
                return

    def _start(self, timeout: float) -> None:
        if self.running():
            raise RuntimeError(f"server on port {self.port} is already running")
        env = {
            **os.environ,
            "RAADERUM_STORE": self.store_url,
            "RAADERUM_SECRET": TEST_SECRET,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("REDIS_URL", None)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} {self.store_url} env={self.extra_env}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.args(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    message = f"uvicorn on port {self.port} exited with {self.process.returncode}:\n{self.log_tail()}"
                    self.process = None
                    raise PortTaken(message) if "address already in use" in message else RuntimeError(message)
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return
                time.sleep(0.05)
        self.kill9()
        raise RuntimeError(f"uvicorn did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def kill9(self) -> None:
        """Crash: SIGKILL, no shutdown handlers, nothing flushed that was not already written."""
        self._end(signal.SIGKILL, 10.0)

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM), SIGKILL if it takes longer than `timeout`."""
        self._end(signal.SIGTERM, timeout)

    def _end(self, sig: signal.Signals, timeout: float) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


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
        assert body["table_id"] and body["player_id"] and body["token"], body
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
