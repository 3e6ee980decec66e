"""The websocket client of the load generator: websockets' sans-I/O protocol on an asyncio transport."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from loadtest.options import LoadtestError


class Link(asyncio.Protocol):
    """One websocket: websockets' sans-I/O client on an asyncio transport; frames go straight to `on_text`.

    websockets does the handshake, the close and every control frame. Once the connection is open, the
    server's data frames (never masked, never compressed here) are cut out of the stream by `_fast`, which
    costs a tenth of websockets' general parser: with thousands of players the load generator reads tens of
    thousands of frames a second on the same two cores as the server it measures.
    """

    def __init__(self, ws_url: str, on_text: Callable[[bytes], None], on_lost: Callable[[Link], None]) -> None:
        self.protocol = ClientProtocol(parse_uri(ws_url), max_size=2**22)
        self.on_text = on_text
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closing = False  # we started the close
        self.fast = False  # parsing data frames ourselves
        self.pending = b""  # the start of a frame not yet complete
        self.fragments: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self.fast:
            self._fast(data)
            return
        self._slow(data)
        # Switch once the handshake is done and websockets holds no partial frame.
        self.fast = self.protocol.state is State.OPEN and not self.protocol.reader.buffer

    def _fast(self, data: bytes) -> None:
        buffer = self.pending + data if self.pending else data
        size = len(buffer)
        position = 0
        while size - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if size - position < 4:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if size - position < 10:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            end = position + header + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == 1 and first & 0x80 and not self.fragments:
                self.on_text(buffer[position + header : end])
            elif opcode in (0, 1) and not second & 0x80:  # a text message in fragments (FIN on the last)
                self.fragments.append(buffer[position + header : end])
                if first & 0x80:
                    message, self.fragments = b"".join(self.fragments), []
                    self.on_text(message)
            else:  # ping, close, or something odd: websockets deals with it (and with the connection)
                self.fast = False
                self.pending = b""
                self._slow(buffer[position:])
                return
            position = end
        self.pending = buffer[position:] if position < size else b""

    def _slow(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_text(bytes(event.data))
            elif isinstance(event, Response) and not self.opened.done():
                if event.status_code == 101 and self.protocol.handshake_exc is None:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(LoadtestError(f"handshake refused: {event.status_code}"))
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(LoadtestError(f"connection lost during the handshake: {exc}"))
        if not self.lost.done():
            self.lost.set_result(None)
        self.on_lost(self)

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.close()
                return

    def send(self, text: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.protocol.send_text(text.encode())
        self._flush()

    @property
    def close_code(self) -> int | None:
        return self.protocol.close_code

    async def close(self, timeout: float = 5.0) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(Exception):
                self.protocol.send_close(1000)
                self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()


async def open_link(
    base_url: str, table_id: str, on_text: Callable[[bytes], None], on_lost: Callable[[Link], None]
) -> Link:
    ws_url = base_url.replace("http://", "ws://").replace("https://", "wss://") + f"/ws/tables/{table_id}"
    uri = parse_uri(ws_url)
    loop = asyncio.get_running_loop()
    _, link = await loop.create_connection(lambda: Link(ws_url, on_text, on_lost), uri.host, uri.port)
    await asyncio.wait_for(link.opened, 10)
    return link
