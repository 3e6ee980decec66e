"""Table websockets served by one asyncio protocol per connection, without ASGI and without a task while idle.

Under uvicorn every websocket used to be uvicorn's sans-I/O protocol object, a receive queue, an event, the
websockets library's generator-based parser and a task with the coroutine chain of the ASGI stack: about
21 KB per idle connection and, per received frame, a parse through generators, a queue hand-off and a task
switch. A table socket needs none of it: a client's frames are small, masked and (in practice) never
fragmented, and the server's own frames are built once per event (wsdirect.Outgoing).

`Upgrade` is the protocol class uvicorn is given for websockets (`server.serving.WS_PROTOCOL`). It sees the
upgrade request: `/ws/tables/{table_id}`, when the app has put its `NativeTables` into the lifespan state,
is served here by a `NativeSocket`, which parses frames itself (RFC 6455 5.2; the mask is undone by
websockets' C `apply_mask`) and hands each text message to the table connection (`sessions.Connection`);
every other websocket (the control room's, a table socket with RAADERUM_DIRECT_WRITES=0) goes to uvicorn's
own protocol, unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server import metrics
from server.transport.wsdirect import Outgoing, text_frame

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets without its C extension
    from websockets.utils import apply_mask

if TYPE_CHECKING:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

STATE_KEY = "raaderum.native_tables"
_TABLE_PATH = re.compile(r"/ws/tables/([^/?#]+)")
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_INVALID_DATA, CLOSE_RESTART = 1000, 1002, 1007, 1012
CLOSE_TIMEOUT = 5.0  # after our close frame, how long the client has to answer before the TCP connection goes


class Session(Protocol):
    """What a socket drives (sessions.Connection): one call per text message, one when the socket is gone."""

    def received(self, text: str) -> None: ...

    def too_big(self) -> None: ...

    def closed(self) -> None: ...


class NativeTables(Protocol):
    """What the app puts into the lifespan state under STATE_KEY (server/app.py)."""

    max_message_bytes: int
    ping_seconds: float  # a quiet client is pinged after this long, and dropped when this long passes unanswered

    def open(self, socket: NativeSocket, table_id: str) -> Session: ...


def _accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def _close_frame(code: int, reason: str) -> bytes:
    payload = struct.pack("!H", code) + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


def _control_frame(opcode: int, payload: bytes) -> bytes:
    return bytes((0x80 | opcode, len(payload))) + payload


class Upgrade(asyncio.Protocol):
    """uvicorn's websocket protocol class: table sockets to a `NativeSocket`, the rest to uvicorn's protocol.

    uvicorn hands over the upgrade request (rebuilt from the parsed one) as the first data; after that this
    object only forwards the transport's callbacks to the protocol it chose.
    """

    __slots__ = ("_app_state", "_config", "_inner", "_server_state", "_transport")

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._transport: asyncio.Transport | None = None
        self._inner: asyncio.Protocol | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass, but is one

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
            return
        assert self._transport is not None
        native = self._native(data)
        if native is not None:
            self._inner = native
            return
        inner = WebSocketsSansIOProtocol(self._config, self._server_state, self._app_state)
        self._inner = inner
        inner.connection_made(self._transport)
        inner.data_received(data)

    def _native(self, request: bytes) -> NativeSocket | None:
        tables: NativeTables | None = self._app_state.get(STATE_KEY)
        if tables is None:
            return None
        head, _, _ = request.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or parts[0] != b"GET":
            return None
        path = parts[1].split(b"?", 1)[0].decode("latin-1").removeprefix(self._config.root_path)
        match = _TABLE_PATH.fullmatch(path)
        if match is None:
            return None
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get(b"sec-websocket-key", b"")
        if headers.get(b"sec-websocket-version") != b"13" or len(key) != 24:
            return None  # uvicorn's protocol answers a malformed handshake as it always has
        assert self._transport is not None
        response = [b"HTTP/1.1 101 Switching Protocols\r\n"]
        for name, value in self._server_state.default_headers:
            response += [name, b": ", value, b"\r\n"]
        response += [
            b"upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ",
            _accept_key(key),
            b"\r\n\r\n",
        ]
        self._transport.write(b"".join(response))
        return NativeSocket(self._transport, self._server_state, tables, match[1])

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class NativeSocket(asyncio.Protocol):
    """One table websocket: frames in (parsed here), frames out (bytes to the transport), pings, the close.

    It is in uvicorn's set of connections, so a server that shuts down closes it (1012, like uvicorn's).
    """

    __slots__ = (
        "_buffer",
        "_close_timer",
        "_fragments",
        "_limit",
        "_ping_seconds",
        "_ping_sent",
        "_received",
        "_server_state",
        "_session",
        "_skip",
        "_transport",
        "close_sent",
        "last_sent",
    )

    def __init__(
        self,
        transport: asyncio.Transport,
        server_state: ServerState,
        tables: NativeTables,
        table_id: str,
    ) -> None:
        self._transport = transport
        self._server_state = server_state
        self._buffer = bytearray()
        self._fragments: list[bytes] | None = None  # a fragmented message's frames so far
        self._skip = 0  # bytes still to drop of an oversized frame
        self._limit = tables.max_message_bytes
        self._close_timer: asyncio.TimerHandle | None = None
        self._ping_seconds = tables.ping_seconds
        self._ping_sent: float | None = None
        self._received = self.last_sent = time.monotonic()
        self.close_sent = False
        server_state.connections.add(self)  # type: ignore[arg-type]
        self._session: Session | None = None
        self._session = tables.open(self, table_id)

    # ---- out

    def put(self, frame: str | Outgoing) -> int:
        """Write one frame; returns the bytes waiting in the transport's buffer (-1 once closing)."""
        return self.write(frame.wire if isinstance(frame, Outgoing) else text_frame(frame.encode()))

    def write(self, data: bytes) -> int:
        if self.close_sent or self._transport.is_closing():
            return -1
        self._transport.write(data)
        self.last_sent = time.monotonic()
        size: int = self._transport.get_write_buffer_size()
        return size

    def close(self, code: int, reason: str) -> None:
        """Send a close frame; the TCP connection ends when the client answers, or after CLOSE_TIMEOUT."""
        if self.close_sent or self._transport.is_closing():
            return
        self._transport.write(_close_frame(code, reason))
        self.close_sent = True
        self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._transport.close)

    def keepalive(self) -> None:
        """A ping when the client has been quiet for the ping interval; the connection goes if none came back.

        Called by the connection's heartbeat timer (one timer per connection for both), every half
        RAADERUM_HEARTBEAT_SECONDS: a client that has gone without a word (a phone out of coverage, a laptop
        closed) is dropped within about two heartbeats, so the control room's list of who is connected is
        true, and its seat waits for it to come back."""
        if self.close_sent:
            return
        moment = time.monotonic()
        if self._ping_sent is not None:
            if moment - self._ping_sent >= self._ping_seconds:
                self._transport.abort()  # no answer: the peer is gone (a phone out of coverage)
            return
        if moment - self._received >= self._ping_seconds:
            self._ping_sent = moment
            self._transport.write(_control_frame(OP_PING, b"raaderum"))

    def shutdown(self) -> None:
        """uvicorn is stopping: tell the client to come back (1012), as uvicorn's own protocol does."""
        if not self.close_sent and not self._transport.is_closing():
            self._transport.write(_close_frame(CLOSE_RESTART, "server restart"))
            self.close_sent = True
        self._transport.close()

    # ---- in

    def data_received(self, data: bytes) -> None:
        self._received = time.monotonic()
        self._ping_sent = None  # anything from the client shows it is there
        buffer = self._buffer
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        buffer += data
        while len(buffer) >= 2 and not self._transport.is_closing():
            first, second = buffer[0], buffer[1]
            length = second & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length = int.from_bytes(buffer[2:4], "big")
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length = int.from_bytes(buffer[2:10], "big")
                start = 10
            opcode = first & 0x0F
            if first & 0x70 or not second & 0x80:
                self._protocol_error(CLOSE_PROTOCOL_ERROR, "reserved bits set" if first & 0x70 else "unmasked frame")
                return
            if opcode >= OP_CLOSE and (length > 125 or not first & 0x80):
                self._protocol_error(CLOSE_PROTOCOL_ERROR, "bad control frame")
                return
            end = start + 4 + length
            if opcode < OP_CLOSE and length + (sum(map(len, self._fragments)) if self._fragments else 0) > self._limit:
                self._too_big(max(0, end - len(buffer)))
                return
            if len(buffer) < end:
                return
            payload = apply_mask(buffer[start + 4 : end], buffer[start : start + 4])
            del buffer[:end]
            self._frame(opcode, bool(first & 0x80), payload)

    def _frame(self, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode == OP_PING:
            if not self.close_sent:
                self._transport.write(_control_frame(OP_PONG, payload))
            return
        if opcode == OP_PONG:
            return
        if opcode == OP_CLOSE:
            if not self.close_sent:  # the client closes: answer with its code, then the TCP connection goes
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else CLOSE_NORMAL
                self._transport.write(_close_frame(code, ""))
                self.close_sent = True
            self._transport.close()
            return
        if self.close_sent:
            return  # closing: only the client's close frame matters now
        if opcode == OP_CONTINUATION:
            if self._fragments is None:
                self._protocol_error(CLOSE_PROTOCOL_ERROR, "continuation without a message")
                return
            self._fragments.append(payload)
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._fragments is not None:
                self._protocol_error(CLOSE_PROTOCOL_ERROR, "a new message inside a fragmented one")
                return
            self._fragments = [bytes((opcode,)), payload]
        else:
            self._protocol_error(CLOSE_PROTOCOL_ERROR, "unknown opcode")
            return
        if not fin:
            return
        kind, *parts = self._fragments
        self._fragments = None
        message = parts[0] if len(parts) == 1 else b"".join(parts)
        if kind[0] == OP_TEXT:
            try:
                text = message.decode()
            except UnicodeDecodeError:
                self._protocol_error(CLOSE_INVALID_DATA, "invalid UTF-8")
                return
        else:
            text = message.decode("utf-8", errors="replace")  # as the ASGI path reads a binary frame
        if self._session is not None:
            self._session.received(text)

    def _too_big(self, missing: int) -> None:
        """A message over the limit: the session says so (frame.too_large, 1009); its bytes are dropped."""
        self._skip = missing
        self._buffer.clear()
        self._fragments = None
        if self._session is not None:
            self._session.too_big()
        if not self.close_sent:
            self.close(1009, "frame too large")

    def _protocol_error(self, code: int, reason: str) -> None:
        self._buffer.clear()
        if not self.close_sent:
            self._transport.write(_close_frame(code, reason))
            self.close_sent = True
        self._transport.close()

    def eof_received(self) -> bool | None:
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._server_state.connections.discard(self)
        if self._close_timer is not None:
            self._close_timer.cancel()
        session, self._session = self._session, None
        if session is not None:
            session.closed()

    def pause_writing(self) -> None:
        pass  # a slow reader is bounded by the write buffer's size (sessions.Connection closes it with 4008)

    def resume_writing(self) -> None:
        pass


def opener(
    open_session: Callable[[NativeSocket, str], Session], max_message_bytes: int, ping_seconds: float
) -> NativeTables:
    """The object the app puts into the lifespan state under STATE_KEY."""

    class _Tables:
        def __init__(self) -> None:
            self.max_message_bytes = max_message_bytes
            self.ping_seconds = ping_seconds

        def open(self, socket: NativeSocket, table_id: str) -> Session:
            metrics.direct_writes(True)
            return open_session(socket, table_id)

    return _Tables()
