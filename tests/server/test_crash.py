"""Crash recovery: kill -9 the server (and Redis) mid-game, start new processes on the same data, carry on.

Part 1 kills the processes while nothing is in flight: the log must come back byte for byte, resumes must
have no gap and no repeat, and new commands continue at the next seq. Part 2 kills them in the middle of a
burst of pipelined commands: every acknowledged command must survive, and retrying every command with its
id after the restart must record each one exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import (
    NO_RATE_LIMIT,
    Api,
    ServerProcess,
    assert_contiguous,
    chat_events,
    connect_as,
    log_triples,
)
from testsupport.redis import RedisServer

BURST = 100


async def _crash_and_recover(
    server: ServerProcess, crash_store: Callable[[], None], restart_store: Callable[[], None]
) -> None:
    def crash() -> None:
        server.kill9()  # the server first: it must not see its store vanish while it still runs
        crash_store()

    def restart() -> None:
        restart_store()
        server.start()  # the same port, as a supervisor would restart it

    # ---- play until mid-game ---------------------------------------------------------------------
    async with Api(server.url) as api:
        conference = await api.create_conference()
        table_id = conference.table_id
        token = conference.facilitator_token
        anna, bo, carl = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
        facilitator = await connect_as(server, table_id, token, label="facilitator")
        a = await connect_as(server, table_id, anna.token, label="anna")
        b = await connect_as(server, table_id, bo.token, label="bo")
        c = await connect_as(server, table_id, carl.token, label="carl")

        await facilitator.ok("start_round")
        (assignments,) = [
            e["data"]["assignments"] for e in await api.events(table_id, token) if e["type"] == "roles_dealt"
        ]
        await a.ok("chat", text="Skal vi spare på ældreområdet?")
        await b.ok("chat", text="Kun hvis vi hæver skatten")
        proposal = await a.ok("propose", cards=["ÆL-01"])
        # One vote of weight 1 (not the mayor's 2, which is 2/3 of a table with a non-voting director and
        # adopts the proposal, ending the round): the proposal stays open and the round goes on.
        voter = next(
            client
            for client, player in ((a, anna), (b, bo), (c, carl))
            if assignments[player.player_id] not in ("borgmester", "oekonomidirektoer")
        )
        await voter.ok("vote", proposal_id="F1", choice="for")
        assert proposal["seq"] > 0

        # Carl drops out; the others keep talking.
        await c.close()
        carl_seq = c.last_seq
        await a.ok("chat", text="Carl er gået")
        await b.ok("chat", text="Han kommer igen")
        log = await api.events(table_id, token)
        final = log[-1]["seq"]
        assert final - carl_seq == 2
        assert "round_ended" not in [e["type"] for e in log], "the game must still be mid-round"
        for client in (facilitator, a, b):
            await client.wait_seq(final)
        before = await api.events_response(table_id, token)
        assert before.status_code == 200

    # ---- crash while idle ------------------------------------------------------------------------
    crash()
    for client in (facilitator, a, b):
        assert await client.wait_closed(10) == 1006, f"{client.label} did not see the connection drop"
    restart()

    async with Api(server.url) as api:
        after = await api.events_response(table_id, token)
        assert after.status_code == 200
        assert after.content == before.content, "the log changed across kill -9 and restart"

        a2 = await connect_as(server, table_id, anna.token, after=a.last_seq, label="anna-2")
        b2 = await connect_as(server, table_id, bo.token, after=b.last_seq, label="bo-2")
        c2 = await connect_as(server, table_id, carl.token, after=carl_seq, label="carl-2")
        f2 = await connect_as(server, table_id, token, after=facilitator.last_seq, label="facilitator-2")
        for client in (a2, b2, f2):
            assert client.events == [], f"{client.label} was up to date"
            assert client.snapshots == [], f"{client.label} was up to date"
        assert c2.snapshots == []
        assert c2.events == log_triples(log)[carl_seq:], "carl must get exactly the events he missed"

        ack = await a2.ok("chat", text="Efter genstarten")
        assert ack["seq"] == final + 1
        for client in (a2, b2, c2, f2):
            await client.wait_seq(final + 1)
        for client, start in ((a, a2), (b, b2), (facilitator, f2)):
            seqs = client.seqs + start.seqs
            assert len(seqs) == len(set(seqs)), f"{start.label}: an event came twice: {seqs}"
            assert seqs[-1] == final + 1
        assert_contiguous(c.seqs + c2.seqs, c.seqs[0], "carl across his absence and the crash")
        assert_contiguous(a.seqs + a2.seqs, a.seqs[0], "anna across the crash")

        # ---- crash in the middle of a burst --------------------------------------------------------
        known = log_triples(await api.events(table_id, token))
        sent = [await a2.command("chat", frame_id=f"burst-{i}", text=f"burst {i}") for i in range(BURST)]
        await a2.wait_for(lambda f: f["type"] == "ack" and f["id"] == "burst-4", what="a few acks before the crash")
    crash()
    await a2.wait_closed(10)
    await b2.wait_closed(10)
    acked = {f["id"]: f["seq"] for f in a2.frames if f["type"] == "ack" and f["id"].startswith("burst-")}
    assert len(acked) >= 5
    restart()

    async with Api(server.url) as api:
        log = await api.events(table_id, token)
        triples = log_triples(log)
        assert_contiguous([seq for seq, _, _ in triples], 1, "log after the second crash")
        assert triples[: len(known)] == known
        texts = {seq: data.get("text") for seq, _, data in triples}
        for frame_id, seq in acked.items():
            assert texts.get(seq) == f"burst {frame_id.removeprefix('burst-')}", f"acked {frame_id} was lost"
        # Whatever a client saw before the crash is in the log, as it saw it.
        for client in (a2, b2):
            for seq, kind, event in client.events:
                assert triples[seq - 1] == (seq, kind, event), f"{client.label} saw seq {seq} differently"

        b3 = await connect_as(server, table_id, bo.token, after=b2.last_seq, label="bo-3")
        assert b3.snapshots == []
        assert b3.events == triples[b2.last_seq :]

        # The client did not get every ack: it retries every command with the same id.
        a3 = await connect_as(server, table_id, anna.token, after=a2.last_seq, label="anna-3")
        recorded = len(chat_events(triples[len(known) :]))
        print(f"crashed with {len(acked)} of {BURST} acked and {recorded} recorded")
        assert recorded >= len(acked)
        for i, frame_id in enumerate(sent):
            reply = await a3.call("chat", frame_id=frame_id, text=f"burst {i}")
            assert reply["type"] == "ack", reply
            assert reply["duplicate"] is (i < recorded), (i, recorded, reply)
            if frame_id in acked:
                assert reply["seq"] == acked[frame_id]
        log = await api.events(table_id, token)
        bursts = [e["data"]["text"] for e in log if e["data"].get("text", "").startswith("burst ")]
        assert bursts == [f"burst {i}" for i in range(BURST)], "each command must be recorded exactly once"
        await b3.wait_seq(log[-1]["seq"])
        assert b3.events == log_triples(log)[b2.last_seq :]
        for client in (a3, b3, c2, f2):
            await client.close()
    for client in (facilitator, a, b, c, a2, b2):
        await client.close()


async def test_kill9_on_sqlite_loses_nothing(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url, env=NO_RATE_LIMIT)
    await _crash_and_recover(server, lambda: None, lambda: None)


@pytest.mark.redis
async def test_kill9_of_server_and_redis_with_aof_loses_nothing(start_server: StartServer, tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis-aof", "--appendonly", "yes", "--appendfsync", "always")
    redis.start()
    server: ServerProcess | None = None
    try:
        server = start_server(redis.url, env=NO_RATE_LIMIT)
        await _crash_and_recover(server, redis.kill, redis.start)
    finally:
        if server is not None:
            server.stop()  # before Redis goes away, so that it does not log a lost connection
        redis.stop()
