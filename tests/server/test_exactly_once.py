"""Exactly once and in order on every connection, with two processes: reconnects under load see no seq twice.

A client on process 1 reconnects again and again with `hello.after` = the last seq it saw, while a player on
process 2 keeps appending. Each connection's events must continue from `after` one by one: the replay on
attach and the live events after it meet without a duplicate or a gap.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT, Api, Client, connect_as

pytestmark = pytest.mark.redis

RECONNECTS = 100


async def _chatter(client: Client, stop: asyncio.Event) -> int:
    """Chat on another process until told to stop, a few commands in flight at a time; returns how many."""
    sent = 0
    while not stop.is_set():
        ids = [await client.command("chat", text=f"load {sent + i}") for i in range(4)]
        for frame_id in ids:
            reply = await client.reply(frame_id, timeout=20)
            assert reply["type"] == "ack", reply
        sent += len(ids)
    return sent


async def test_reconnects_under_load_see_every_seq_once(start_server: StartServer, redis_url: str) -> None:
    one = start_server(redis_url, env=NO_RATE_LIMIT)
    two = start_server(redis_url, env=NO_RATE_LIMIT)
    async with Api(one.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        bo = await api.join(conference.join_code, "Bo")
    writer = await connect_as(two, conference.table_id, bo.token, label="bo@2")
    stop = asyncio.Event()
    load = asyncio.create_task(_chatter(writer, stop))
    duplicates = gaps = replayed = 0
    last = 0
    try:
        first = await connect_as(one, conference.table_id, anna.token, label="anna@1")
        last = first.last_seq
        await first.close()
        for round_ in range(RECONNECTS):
            after = last
            # Alternate processes: the one that appends and the one that only follows the store.
            server = one if round_ % 2 == 0 else two
            client = await connect_as(server, conference.table_id, anna.token, after=after, label=f"anna#{round_}")
            await asyncio.sleep(0.02 * (round_ % 4))  # some connections see live events, some only the replay
            await client.ping()
            await client.close()
            seqs = client.seqs
            snapshot = [f["seq"] for f in client.snapshots]
            assert not snapshot, f"connection {round_} got a snapshot instead of the missed events"
            expected = after + 1
            for seq in seqs:
                if seq < expected:
                    duplicates += 1
                elif seq > expected:
                    gaps += 1
                expected = max(expected, seq + 1)
            replayed += len(seqs)
            last = max([last, *seqs])
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            sent = await load
        await writer.close()
    print(f"{RECONNECTS} reconnects, {replayed} events delivered, {sent} chats appended meanwhile")
    assert sent > RECONNECTS, "the table was not under load"
    assert (duplicates, gaps) == (0, 0), f"{duplicates} duplicates and {gaps} gaps over {RECONNECTS} reconnects"
