"""The server's own websocket protocol for table sockets (server/transport/wsnative.py), over a raw TCP socket.

A real uvicorn process, and a client that writes RFC 6455 frames byte by byte, so that what browsers and
libraries never send (a fragmented hello, an unmasked frame, bad UTF-8, a frame over the limit) is
exercised too, with the close codes the protocol names.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import Api, ServerProcess, connect_as

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame_bytes(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    """One websocket frame as a client sends it (masked unless told not to)."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header = bytes((first, mask_bit | length))
    elif length < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if masked:
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header += mask
    return header + payload


class Raw:
    """A websocket client written out by hand: masked frames in, unmasked frames out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, server: ServerProcess, table_id: str) -> Raw:
        host, port = "127.0.0.1", server.port
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16))
        writer.write(
            b"GET /ws/tables/" + table_id.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101 "), head
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        headers = dict(line.split(b": ", 1) for line in head.strip().split(b"\r\n")[1:])
        assert {name.lower(): value for name, value in headers.items()}[b"sec-websocket-accept"] == accept, head
        return cls(reader, writer)

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> None:
        self.writer.write(frame_bytes(opcode, payload, fin=fin, masked=masked))

    def send_text(self, frame: dict[str, Any]) -> None:
        self.send_frame(0x1, json.dumps(frame).encode())

    async def read_frame(self, timeout: float = 10) -> tuple[int, bytes]:
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        assert not head[1] & 0x80, "a server frame is not masked"
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return head[0] & 0x0F, await self.reader.readexactly(length)

    async def read_json(self, timeout: float = 10) -> dict[str, Any]:
        while True:
            opcode, payload = await self.read_frame(timeout)
            if opcode == 0x1:
                frame: dict[str, Any] = json.loads(payload)
                return frame
            assert opcode in (0x9, 0xA), f"expected a text frame, got opcode {opcode}: {payload!r}"

    async def read_close(self, timeout: float = 10) -> tuple[int, list[dict[str, Any]]]:
        """Read until the close frame; returns its code and the text frames before it."""
        texts = []
        while True:
            opcode, payload = await self.read_frame(timeout)
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0], texts
            if opcode == 0x1:
                texts.append(json.loads(payload))

    async def closed_by_server(self, timeout: float = 10) -> bool:
        """True once the server has closed the TCP connection."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), timeout):
                pass
        except (ConnectionError, TimeoutError):
            return False
        return True

    def close(self) -> None:
        self.writer.close()


async def seated(api: Api) -> tuple[str, str]:
    conference = await api.create_conference()
    player = await api.join(conference.join_code, "Rå Klient")
    return player.table_id, player.token


@contextlib.asynccontextmanager
async def attached(server: ServerProcess, api: Api) -> AsyncIterator[Raw]:
    """A raw client seated at a new table, its hello answered with the snapshot; closed afterwards."""
    table_id, token = await seated(api)
    raw = await Raw.open(server, table_id)
    try:
        raw.send_text({"type": "hello", "token": token, "after": 0})
        assert (await raw.read_json())["type"] == "snapshot"
        yield raw
    finally:
        raw.close()


async def test_a_hello_in_two_fragments_gets_the_snapshot_and_a_ping_its_pong(server: ServerProcess, api: Api) -> None:
    table_id, token = await seated(api)
    raw = await Raw.open(server, table_id)
    try:
        hello = json.dumps({"type": "hello", "token": token, "after": 0}).encode()
        raw.send_frame(0x1, hello[:10], fin=False)
        raw.send_frame(0x0, hello[10:], fin=True)
        snapshot = await raw.read_json()
        assert snapshot["type"] == "snapshot"
        raw.send_frame(0x9, b"are you there")
        while True:
            opcode, payload = await raw.read_frame()
            if opcode == 0xA:
                break
        assert payload == b"are you there"
        raw.send_text({"type": "chat", "id": "c1", "text": "hej fra en rå klient"})
        frames = [await raw.read_json(), await raw.read_json()]
        assert [f["type"] for f in frames] == ["event", "ack"], frames  # one write: the event, then its ack
        assert frames[0]["event"]["text"] == "hej fra en rå klient"
        assert frames[1] == {"type": "ack", "id": "c1", "seq": frames[0]["seq"], "duplicate": False}
    finally:
        raw.close()


async def test_the_client_closes_and_the_server_answers_with_the_same_code(server: ServerProcess, api: Api) -> None:
    async with attached(server, api) as raw:
        raw.send_frame(0x8, struct.pack("!H", 1000) + b"bye")
        code, _ = await raw.read_close()
        assert code == 1000
        assert await raw.closed_by_server()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"masked": False}, 1002),  # a client's frames must be masked
        ({"payload": b'{"type":"hello","token":"\xff\xfe"}'}, 1007),  # text that is not UTF-8
        ({"opcode": 0x3}, 1002),  # a reserved opcode
    ],
    ids=["unmasked", "bad-utf8", "reserved-opcode"],
)
async def test_frames_against_the_protocol_close_with_its_code(
    server: ServerProcess, api: Api, frame: dict[str, Any], code: int
) -> None:
    table_id, _ = await seated(api)
    raw = await Raw.open(server, table_id)
    try:
        raw.send_frame(
            frame.get("opcode", 0x1),
            frame.get("payload", b'{"type":"ping","id":"1"}'),
            masked=frame.get("masked", True),
        )
        received, _ = await raw.read_close()
        assert received == code
        assert await raw.closed_by_server()
    finally:
        raw.close()


async def test_a_message_over_the_limit_is_refused_with_frame_too_large(server: ServerProcess, api: Api) -> None:
    async with attached(server, api) as raw:
        raw.send_frame(0x1, b'"' + b"x" * (16 * 1024 + 10) + b'"')  # RAADERUM_MAX_FRAME_BYTES is 16 KiB
        code, texts = await raw.read_close()
        assert code == 1009
        assert [t.get("code") for t in texts if t["type"] == "error"] == ["frame.too_large"]


async def test_a_client_that_stops_answering_is_dropped_and_leaves_the_connected_list(
    start_server: StartServer, sqlite_url: str
) -> None:
    """A phone out of coverage sends nothing, not even a close: pings find it gone within two heartbeats, and
    the others at the table (and the control room) see it leave the connected list."""
    server = start_server(sqlite_url, env={"RAADERUM_HEARTBEAT_SECONDS": "1"})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        silent = await api.join(conference.join_code, "Tavs")
        watcher = await connect_as(server, conference.table_id, (await api.join(conference.join_code, "Ser")).token)
        raw = await Raw.open(server, conference.table_id)
        try:
            raw.send_text({"type": "hello", "token": silent.token, "after": 0})
            assert (await raw.read_json())["type"] == "snapshot"
            await watcher.wait_for(lambda f: f["type"] == "presence" and silent.player_id in f["online"], timeout=5)
            online_from = len(watcher.frames)
            pinged = False
            while not pinged:  # heartbeats come first; then, with nothing heard from us, a ping
                opcode, _ = await raw.read_frame(timeout=5)
                pinged = opcode == 0x9
            # Never answered: the server drops the connection (no close frame: the peer is presumed gone).
            assert await raw.closed_by_server(timeout=10)
            await watcher.wait_for(
                lambda f: f["type"] == "presence" and silent.player_id not in f["online"], timeout=10, since=online_from
            )
        finally:
            raw.close()
            await watcher.close()


async def test_a_client_that_answers_pings_stays(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url, env={"RAADERUM_HEARTBEAT_SECONDS": "1"})
    async with Api(server.url) as api:
        table_id, token = await seated(api)
        raw = await Raw.open(server, table_id)
        try:
            raw.send_text({"type": "hello", "token": token, "after": 0})
            assert (await raw.read_json())["type"] == "snapshot"
            pings = 0
            while pings < 3:  # three rounds of ping and pong: well past the time a silent client is dropped
                opcode, payload = await raw.read_frame(timeout=5)
                if opcode == 0x9:
                    pings += 1
                    raw.send_frame(0xA, payload)
            raw.send_frame(0x1, json.dumps({"type": "ping", "id": "still"}).encode())
            while (frame := await raw.read_json())["type"] != "pong":
                pass
            assert frame == {"type": "pong", "id": "still"}
        finally:
            raw.close()


async def test_a_server_that_stops_tells_its_table_sockets_1012(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url)
    async with Api(server.url) as api:
        table_id, token = await seated(api)
    raw = await Raw.open(server, table_id)
    try:
        raw.send_text({"type": "hello", "token": token, "after": 0})
        assert (await raw.read_json())["type"] == "snapshot"
        stopping = asyncio.ensure_future(asyncio.to_thread(server.stop))
        code, _ = await raw.read_close()
        assert code == 1012  # "service restart": reconnect with hello.after (docs/protocol.md)
        await stopping
    finally:
        raw.close()


async def test_an_id_utf8_cannot_carry_is_no_id(server: ServerProcess, api: Api) -> None:
    """JSON can spell a lone surrogate; a reply cannot carry it. The frame is refused as having no id."""
    async with attached(server, api) as raw:
        raw.send_frame(0x1, b'{"type":"chat","id":"\\ud800","text":"hej"}')
        while (error := await raw.read_json())["type"] != "error":
            pass
        assert (error["type"], error.get("id"), error["code"]) == ("error", None, "frame.invalid"), error
        raw.send_text({"type": "ping", "id": "after"})
        while (pong := await raw.read_json())["type"] != "pong":
            pass
        assert pong == {"type": "pong", "id": "after"}


async def test_a_frame_that_arrives_byte_by_byte_and_a_ping_inside_a_fragmented_message(
    server: ServerProcess, api: Api
) -> None:
    """TCP may cut a frame anywhere; control frames may come between a message's fragments (RFC 6455 5.4)."""
    table_id, token = await seated(api)
    raw = await Raw.open(server, table_id)
    try:
        raw.send_frame(0x1, json.dumps({"type": "hello", "token": token, "after": 0}).encode())
        message = json.dumps({"type": "chat", "id": "b1", "text": "byte for byte"}).encode()
        first, second = message[:7], message[7:]
        for opcode, payload, fin in ((0x1, first, False), (0x9, b"mid", True), (0x0, second, True)):
            for byte in frame_bytes(opcode, payload, fin=fin):
                raw.writer.write(bytes((byte,)))
                await raw.writer.drain()
        seen: list[str] = []
        while "ack" not in seen:
            opcode, payload = await raw.read_frame()
            if opcode == 0xA:
                seen.append("pong")
                assert payload == b"mid"
            elif opcode == 0x1:
                frame = json.loads(payload)
                seen.append(frame["type"])
                if frame["type"] == "event":
                    assert frame["event"]["text"] == "byte for byte"
        assert seen.index("pong") < seen.index("event") < seen.index("ack")
    finally:
        raw.close()
