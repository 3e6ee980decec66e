"""A table connection's way out, one interface for every path, and closing or refusing a websocket.

A `Wire` is what a table connection (server/transport/sessions.py) writes to and closes: the server's own
websocket protocol (server/transport/wsnative.py, under uvicorn), or `AsgiWire` around an ASGI websocket
(TestClient, another ASGI server, RAADERUM_DIRECT_WRITES=0). An `AsgiWire` sends through a `FrameSink`:
`DirectSink` writes each frame's bytes straight to uvicorn's transport (server/transport/wsdirect.py);
`QueuedSink` puts the text in a bounded queue that a sender task drains through the ASGI `send`. All of
them take a frame without blocking and say when the client has fallen too far behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import Protocol

from starlette.websockets import WebSocket, WebSocketState

from server.transport import protocol
from server.transport.wsdirect import DirectSocket, Outgoing, direct_socket, text_frame


class Wire(Protocol):
    @property
    def last_sent(self) -> float:
        """time.monotonic() of the last frame handed to the socket."""
        ...

    def put(self, frame: str | Outgoing) -> int:
        """Send `frame` without blocking; returns the bytes still waiting to go out (-1 once closing)."""
        ...

    def write(self, data: bytes) -> int:
        """Like `put` for frames already encoded as websocket bytes (several, back to back)."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Close the websocket with `code` after the frames already put (does not wait)."""
        ...

    def keepalive(self) -> None:
        """Called now and then by the connection's heartbeat: ping a quiet client, drop a dead one."""
        ...


class FrameSink(Protocol):
    last_sent: float  # time.monotonic() of the last frame handed to the socket

    def put(self, frame: str | Outgoing) -> bool:
        """Send `frame` without blocking; False when the client is too slow (the caller closes it with 4008)."""
        ...

    def start(self) -> list[asyncio.Task[None]]:
        """The tasks this path needs while the connection is open (cancelled by the caller)."""
        ...

    async def drain(self) -> None:
        """Until the frames put so far are handed to the socket."""
        ...


class DirectSink:
    """Frames' bytes straight to the transport, bounded by what the transport may buffer for a slow reader."""

    __slots__ = ("_limit", "_socket", "last_sent")

    def __init__(self, socket: DirectSocket, limit_bytes: int) -> None:
        self._socket = socket
        self._limit = limit_bytes
        self.last_sent = time.monotonic()

    def put(self, frame: str | Outgoing) -> bool:
        buffered = self._socket.write(frame.wire if isinstance(frame, Outgoing) else text_frame(frame.encode()))
        self.last_sent = time.monotonic()
        return buffered <= self._limit

    async def drain(self) -> None:
        return

    def start(self) -> list[asyncio.Task[None]]:
        return []


class QueuedSink:
    """Frames' text into a bounded queue, sent one by one by a sender task through the ASGI `send`."""

    __slots__ = ("_queue", "_websocket", "last_sent")

    def __init__(self, websocket: WebSocket, queue_frames: int) -> None:
        self._websocket = websocket
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_frames)
        self.last_sent = time.monotonic()

    def put(self, frame: str | Outgoing) -> bool:
        try:
            self._queue.put_nowait(frame.text if isinstance(frame, Outgoing) else frame)
        except asyncio.QueueFull:
            return False
        return True

    def start(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self._run())]

    async def drain(self) -> None:
        """Until every frame put so far has been sent (a close must not overtake them)."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            frame = await self._queue.get()
            try:
                await self._websocket.send_text(frame)
            finally:
                self._queue.task_done()
            self.last_sent = time.monotonic()


def open_sink(websocket: WebSocket, queue_frames: int) -> FrameSink:
    """The direct path when uvicorn's protocol is in the scope (wsdirect.TableSockets), else the queue.

    Both are bounded alike: `queue_frames` frames, or on the direct path about 1 KB per frame on top of 64 KB.
    """
    direct = direct_socket(websocket.scope)
    if direct is not None:
        return DirectSink(direct, 64 * 1024 + queue_frames * 1024)
    return QueuedSink(websocket, queue_frames)


class AsgiWire:
    """A `Wire` around an ASGI websocket. `closed` is done once the server's close has gone out."""

    __slots__ = ("_closing", "_sink", "_tasks", "_websocket", "closed")

    def __init__(self, websocket: WebSocket, queue_frames: int) -> None:
        self._websocket = websocket
        self._sink = open_sink(websocket, queue_frames)
        self._tasks = self._sink.start()
        self._closing: asyncio.Task[None] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def last_sent(self) -> float:
        return self._sink.last_sent

    def put(self, frame: str | Outgoing) -> int:
        if self._closing is not None:
            return -1
        return 0 if self._sink.put(frame) else sys.maxsize

    def write(self, data: bytes) -> int:
        raise NotImplementedError("an ASGI websocket takes frames one by one (put)")

    def close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._sink.drain(), 5.0)
            await close(self._websocket, code, reason)
        finally:
            if not self.closed.done():
                self.closed.set_result(None)

    def keepalive(self) -> None:
        pass  # uvicorn (or the ASGI server) pings on its own

    async def finish(self) -> None:
        """The socket is gone: wait for a close in flight, stop the sender task."""
        if self._closing is not None:
            with contextlib.suppress(BaseException):
                await self._closing
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code=code, reason=reason[:120])


async def refuse(websocket: WebSocket, code: str, close_code: int, lang: str = "da") -> None:
    """Tell the client why in an error frame (worded in its language), then close with `close_code`."""
    error = protocol.Error(id=None, code=code, message=protocol.error_message(code, lang))
    with contextlib.suppress(Exception):
        await websocket.send_text(error.model_dump_json())
    await close(websocket, close_code, code)
