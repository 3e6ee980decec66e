"""A client that stops reading is cut off with 4008 once its send queue is full, and can resume afterwards.

Getting a real server to notice a client that does not read takes some care: every byte the kernel and the
transport will buffer must be filled first. The slow client therefore turns permessage-deflate off (a
repeated chat would compress to almost nothing) and stops reading at the websocket layer, and the chat
lines are 1,000 four-byte characters (4 KB a frame). The flood is sized from the kernel's largest TCP
send buffer (net.ipv4.tcp_wmem), which is where most of it waits. (Shrinking the client's SO_RCVBUF is no
help: it makes draining the buffers afterwards take minutes.)
"""

from __future__ import annotations

import json
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT, Api, assert_contiguous, connect_as

QUEUE_FRAMES = 5
WINDOW = 20
TEXT = "😀" * 1000  # the longest chat allowed, 4 bytes a character in UTF-8
FRAME_BYTES = len(TEXT.encode())


def flood_size() -> int:
    """Enough frames to fill the server's socket send buffer (at most tcp_wmem's max) and then some."""
    try:
        wmem_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, ValueError, IndexError):
        wmem_max = 8 * 1024 * 1024
    return min(5000, wmem_max // FRAME_BYTES + 400)


async def test_a_client_that_never_reads_is_closed_with_4008(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url, env={**NO_RATE_LIMIT, "RAADERUM_SEND_QUEUE_FRAMES": str(QUEUE_FRAMES)})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        bo = await api.join(conference.join_code, "Bo")

        sender = await connect_as(server, anna.table_id, anna.token, label="anna")
        # max_queue=1: the client library stops reading the socket as soon as one frame waits unread.
        slow = await connect(
            f"{server.ws_url}/ws/tables/{bo.table_id}", max_queue=1, compression=None, ping_interval=None
        )
        try:
            await slow.send(json.dumps({"type": "hello", "token": bo.token, "after": 0}))
            await sender.wait_for(lambda f: f["type"] == "presence" and bo.player_id in f["online"], what="bo online")

            # At most WINDOW commands in flight: the sender itself reads everything, and keeping its backlog small
            # keeps it far from its own limit even on a loaded machine.
            count = flood_size()
            ids: list[str] = []
            for i in range(count):
                if i >= WINDOW:
                    await sender.reply(ids[i - WINDOW], timeout=30)
                ids.append(await sender.command("chat", text=TEXT))
            last = await sender.reply(ids[-1], timeout=30)
            assert last["type"] == "ack"
            assert not sender.closed.is_set(), "the client that reads must keep its connection"

            # Only now does the slow client read: what was buffered, then the close.
            frames = []
            close_code = None
            try:
                while True:
                    frames.append(json.loads(await slow.recv()))
            except ConnectionClosed as closed:
                close_code = closed.rcvd.code if closed.rcvd else None
            assert close_code == 4008, f"expected 4008 after {len(frames)} frames, got {close_code}"
            seqs = [f["seq"] for f in frames if f["type"] == "event"]
            assert frames[0]["type"] == "snapshot"
            assert_contiguous(seqs, frames[0]["seq"] + 1, "the slow client's events before it was cut off")
            assert seqs[-1] < last["seq"], "the slow client was cut off before the end of the flood"
            print(f"{count} chats; the slow client was cut off after {len(seqs)} events")
        finally:
            await slow.close()

        # The close says "resume from your last seq". That is hundreds of events back, more than the send queue
        # holds: replaying them would overflow it at once, so the client gets a snapshot and stays connected.
        version = (await api.events(anna.table_id, conference.facilitator_token))[-1]["seq"]
        resumed = await connect_as(server, bo.table_id, bo.token, after=seqs[-1], label="bo-resumed")
        try:
            assert resumed.events == []
            (snapshot,) = resumed.snapshots
            assert snapshot["seq"] == version
            await sender.ok("chat", text="velkommen tilbage")
            await resumed.wait_seq(version + 1)
            assert resumed.seqs == [version + 1]
            assert not resumed.closed.is_set()
        finally:
            await resumed.close()
            await sender.close()


async def test_resume_replays_what_the_send_queue_holds_and_snapshots_beyond(
    start_server: StartServer, sqlite_url: str
) -> None:
    """With a 5-frame queue, a resume replays up to 2 events; further behind, a snapshot (never a 4008)."""
    server = start_server(sqlite_url, env={**NO_RATE_LIMIT, "RAADERUM_SEND_QUEUE_FRAMES": str(QUEUE_FRAMES)})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        bo = await api.join(conference.join_code, "Bo")
    sender = await connect_as(server, anna.table_id, anna.token, label="anna")
    try:
        for missed in (2, 10, 40):
            start = sender.last_seq
            for i in range(missed):
                await sender.ok("chat", text=f"{missed}: {i}")
            resumed = await connect_as(server, bo.table_id, bo.token, after=start, label=f"bo-{missed}-behind")
            try:
                assert not resumed.closed.is_set()
                if missed <= QUEUE_FRAMES // 2:
                    assert resumed.snapshots == []
                    assert resumed.seqs == list(range(start + 1, start + missed + 1))
                else:
                    assert resumed.events == []
                    assert [s["seq"] for s in resumed.snapshots] == [start + missed]
            finally:
                await resumed.close()
    finally:
        await sender.close()
