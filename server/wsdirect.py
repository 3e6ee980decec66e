"""Direct writes: a websocket frame built once per event, written to every socket's transport as bytes.

Through ASGI, every frame to every socket costs a task switch, `send_text`, three middleware layers and
uvicorn's framing: about 30 µs per delivery, most of a busy server's time. A server frame is not
masked, so its bytes are the same for every socket: the table builds them once per event and viewer
class (`Outgoing`), and each connection only hands them to its transport (a few µs).

This needs uvicorn's sans-I/O websockets protocol (`--ws websockets-sansio`, what `auto` picks when
the websockets package is installed): `ExposeProtocol` finds it behind the ASGI `send` callable and
puts it in the scope. Anything else (another ASGI server, `--ws wsproto`, RAADERUM_DIRECT_WRITES=0)
falls back to the ASGI path with a send queue and a sender task per connection.
"""

from __future__ import annotations

import struct
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.protocol import State

SCOPE_KEY = "raaderum.ws_protocol"
_PROTOCOL_CLASS = "WebSocketsSansIOProtocol"


class ExposeProtocol:
    """ASGI middleware: for a websocket on uvicorn's sans-I/O protocol, put that protocol in the scope."""

    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "websocket":
            owner = getattr(send, "__self__", None)
            if type(owner).__name__ == _PROTOCOL_CLASS and all(
                hasattr(owner, name) for name in ("transport", "conn", "close_sent")
            ):
                scope[SCOPE_KEY] = owner
        await self.app(scope, receive, send)


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
