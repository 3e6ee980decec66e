"""Direct writes: a websocket frame built once per event, written to every socket's transport as bytes.

Through ASGI, every frame to every socket costs a task switch, `send_text`, three middleware layers and
uvicorn's framing: about 30 µs per delivery, most of a busy server's time. A server frame is not
masked, so its bytes are the same for every socket: the table builds them once per event and viewer
class (`Outgoing`), and each connection only hands them to its transport (a few µs).

This needs uvicorn's sans-I/O websockets protocol (`websockets-sansio`, which `server.serving` names):
`TableSockets` finds it behind the ASGI `send` callable and puts it in the scope. Anything else (another
ASGI server, `--ws wsproto`, a uvicorn whose private attributes changed, RAADERUM_DIRECT_WRITES=0) falls
back to the ASGI path with a send queue and a sender task per connection. Which path the table sockets
take is on /metrics (`raaderum_direct_writes_active`), and a fallback nobody asked for logs a warning.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.protocol import State

from server import metrics

log = logging.getLogger("raaderum.ws")
SCOPE_KEY = "raaderum.ws_protocol"
_TABLE_PATH = re.compile(r"/ws/tables/([^/]+)")
_PROTOCOL_CLASS = "WebSocketsSansIOProtocol"


class TableSockets:
    """ASGI middleware in front of the app's routing for the table websocket, `/ws/tables/{table_id}`.

    It serves those connections itself, skipping the exception middleware, the exit stack and the router
    below it: each suspended layer is a coroutine frame that every idle connection keeps (about 5 KB in
    all) and that every received frame passes through. On uvicorn's sans-I/O protocol it also puts that
    protocol in the scope, for direct writes.
    """

    def __init__(self, app: ASGIApp, serve: Callable[[WebSocket, str], Awaitable[None]], direct: bool = True) -> None:
        self.app = app
        self.serve = serve
        self.direct = direct
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if self.direct:
            owner = getattr(send, "__self__", None)
            if type(owner).__name__ == _PROTOCOL_CLASS and all(
                hasattr(owner, name) for name in ("transport", "conn", "close_sent")
            ):
                scope[SCOPE_KEY] = owner
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        match = _TABLE_PATH.fullmatch(path)
        if match is None:
            await self.app(scope, receive, send)
            return
        direct = SCOPE_KEY in scope
        metrics.direct_writes(direct)
        if self.direct and not direct and not self._warned:
            self._warned = True
            log.warning(
                "direct writes are on but %s is not uvicorn's %s with the attributes they need: table websockets "
                "use the slower ASGI send path (run uvicorn with ws='websockets-sansio', the tested version)",
                type(getattr(send, "__self__", send)).__name__,
                _PROTOCOL_CLASS,
            )
        await self.serve(WebSocket(scope, receive, send), match[1])


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented websocket text frame (RFC 6455 5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        return bytes((0x81, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", 0x81, 126, length) + payload
    return struct.pack("!BBQ", 0x81, 127, length) + payload


class Outgoing:
    """One frame for many sockets: the JSON text, and its websocket bytes built on first use."""

    __slots__ = ("_wire", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = text_frame(self.text.encode())
        return self._wire


class DirectSocket:
    """Writes frames straight to the transport of uvicorn's protocol, while the websocket is open."""

    __slots__ = ("_conn", "_owner", "_transport")

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._transport = owner.transport
        self._conn = owner.conn

    def write(self, data: bytes) -> int:
        """Write one frame; returns the bytes now waiting in the transport's buffer (-1 when closed)."""
        if self._owner.close_sent or self._conn.state is not State.OPEN or self._transport.is_closing():
            return -1
        self._transport.write(data)
        size: int = self._transport.get_write_buffer_size()
        return size


def direct_socket(scope: Scope) -> DirectSocket | None:
    owner = scope.get(SCOPE_KEY)
    return DirectSocket(owner) if owner is not None else None


def forget_handshake(scope: Scope) -> None:
    """Drop the handshake's request and response that uvicorn's protocol keeps for the connection's life.

    They are used only to accept the connection; their headers are about 3 KB of every idle connection.
    """
    owner = scope.get(SCOPE_KEY)
    if owner is not None and getattr(owner, "handshake_complete", False):
        for name in ("request", "response"):
            if hasattr(owner, name):
                setattr(owner, name, None)
