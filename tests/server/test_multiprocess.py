"""Two server processes on one Redis: players of one table on different processes see one history."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT, Api, Client, assert_contiguous, connect_as, log_triples

pytestmark = pytest.mark.redis

PER_PLAYER = 50


async def _send_all(client: Client, texts: list[str]) -> list[dict[str, object]]:
    """Pipeline every chat (no waiting between frames), then collect every reply."""
    ids = []
    for text in texts:
        ids.append(await client.command("chat", text=text))
        await asyncio.sleep(0)  # let the other player's frames interleave
    return [await client.reply(frame_id, timeout=30) for frame_id in ids]


async def test_concurrent_chat_through_two_processes_is_one_sequence(start_server: StartServer, redis_url: str) -> None:
    one = start_server(redis_url, env=NO_RATE_LIMIT)
    two = start_server(redis_url, env=NO_RATE_LIMIT)
    async with Api(one.url) as api_one, Api(two.url) as api_two:
        conference = await api_one.create_conference()
        table_id = conference.table_id
        anna = await api_one.join(conference.join_code, "Anna")
        bo = await api_two.join(conference.join_code, "Bo")  # the other process writes to the same table
        a = await connect_as(one, table_id, anna.token, label="anna@1")
        b = await connect_as(two, table_id, bo.token, label="bo@2")
        f = await connect_as(two, table_id, conference.facilitator_token, label="facilitator@2")
        try:
            start = a.last_seq
            assert start == b.last_seq == f.last_seq == 3

            replies_a, replies_b = await asyncio.gather(
                _send_all(a, [f"Anna {i}" for i in range(PER_PLAYER)]),
                _send_all(b, [f"Bo {i}" for i in range(PER_PLAYER)]),
            )
            for reply in replies_a + replies_b:
                assert reply["type"] == "ack", reply
                assert reply["duplicate"] is False, reply
            ack_seqs = sorted(int(str(r["seq"])) for r in replies_a + replies_b)
            final = start + 2 * PER_PLAYER
            assert ack_seqs == list(range(start + 1, final + 1)), "every chat has its own seq"

            for client in (a, b, f):
                await client.wait_seq(final, timeout=20)
            assert_contiguous(a.seqs, start + 1, "anna on process 1")
            assert a.events == b.events == f.events

            texts = [event["text"] for _, _, event in a.events]
            assert sorted(texts) == sorted(
                [f"Anna {i}" for i in range(PER_PLAYER)] + [f"Bo {i}" for i in range(PER_PLAYER)]
            )
            # Each player's own messages keep the order they were sent in.
            assert [t for t in texts if t.startswith("Anna")] == [f"Anna {i}" for i in range(PER_PLAYER)]
            assert [t for t in texts if t.startswith("Bo")] == [f"Bo {i}" for i in range(PER_PLAYER)]
            interleaved = sum(1 for x, y in itertools.pairwise(texts) if x[:2] != y[:2])
            print(f"the two senders' messages alternate {interleaved} times")

            # Each ack's seq is where that message landed.
            by_seq = {seq: event for seq, _, event in a.events}
            for reply, text in zip(replies_a, [f"Anna {i}" for i in range(PER_PLAYER)], strict=True):
                assert by_seq[int(str(reply["seq"]))]["text"] == text
                assert by_seq[int(str(reply["seq"]))]["player_id"] == anna.player_id

            log_one = await api_one.events(table_id, conference.facilitator_token)
            log_two = await api_two.events(table_id, conference.facilitator_token)
            assert log_one == log_two
            assert log_triples(log_one)[start:] == a.events

            # A newcomer on either process starts from the same snapshot.
            late_one = await connect_as(one, table_id, anna.token, label="anna-late@1")
            late_two = await connect_as(two, table_id, bo.token, label="bo-late@2")
            try:
                assert late_one.snapshots[0]["seq"] == late_two.snapshots[0]["seq"] == final
                chat_one = [line["text"] for line in late_one.snapshots[0]["view"]["chat"]]
                chat_two = [line["text"] for line in late_two.snapshots[0]["view"]["chat"]]
                assert chat_one == chat_two == texts
            finally:
                await late_one.close()
                await late_two.close()
        finally:
            for client in (a, b, f):
                await client.close()


async def test_presence_spans_processes(start_server: StartServer, redis_url: str) -> None:
    one = start_server(redis_url)
    two = start_server(redis_url)
    async with Api(one.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        bo = await api.join(conference.join_code, "Bo")
        before = await api.events_response(conference.table_id, conference.facilitator_token)
    a = await connect_as(one, anna.table_id, anna.token, label="anna@1")
    try:
        since = len(a.frames)
        b = await connect_as(two, bo.table_id, bo.token, label="bo@2")
        try:
            seen = await a.wait_for(
                lambda f: f["type"] == "presence" and bo.player_id in f["online"], since=since, what="bo online"
            )
            assert set(seen["online"]) == {anna.player_id, bo.player_id}
            await b.wait_for(
                lambda f: f["type"] == "presence" and anna.player_id in f["online"], what="anna online, seen by bo"
            )
        finally:
            since = len(a.frames)
            await b.close()
        gone = await a.wait_for(
            lambda f: f["type"] == "presence" and bo.player_id not in f["online"], since=since, what="bo gone"
        )
        assert gone["online"] == [anna.player_id]
    finally:
        await a.close()
    async with Api(two.url) as api:
        after = await api.events_response(conference.table_id, conference.facilitator_token)
    assert after.content == before.content, "presence wrote to the log"
