"""A table connection's way out, one interface for both paths, and closing or refusing a websocket.

`FrameSink` is where a connection's frames go. `DirectSink` writes each frame's bytes straight to uvicorn's
transport (server/transport/wsdirect.py); `QueuedSink`, for any other ASGI server or RAADERUM_DIRECT_WRITES=0,
puts the text in a bounded queue that a sender task drains through the ASGI `send`. Both take a frame
without blocking and say when the client has fallen too far behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

from starlette.websockets import WebSocket, WebSocketState

from server.transport import protocol
from server.transport.wsdirect import DirectSocket, Outgoing, direct_socket, text_frame


class FrameSink(Protocol):
    last_sent: float  # time.monotonic() of the last frame handed to the socket

    def put(self, frame: str | Outgoing) -> bool:
        """Send `frame` without blocking; False when the client is too slow (the caller closes it with 4008)."""
        ...

    def start(self) -> list[asyncio.Task[None]]:
        """The tasks this path needs while the connection is open (cancelled by the caller)."""
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

    async def _run(self) -> None:
        while True:
            frame = await self._queue.get()
            await self._websocket.send_text(frame)
            self.last_sent = time.monotonic()


def open_sink(websocket: WebSocket, queue_frames: int) -> FrameSink:
    """The direct path when uvicorn's protocol is in the scope (wsdirect.TableSockets), else the queue.

    Both are bounded alike: `queue_frames` frames, or on the direct path about 1 KB per frame on top of 64 KB.
    """
    direct = direct_socket(websocket.scope)
    if direct is not None:
        return DirectSink(direct, 64 * 1024 + queue_frames * 1024)
    return QueuedSink(websocket, queue_frames)


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
