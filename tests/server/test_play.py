"""End to end over real websockets on one SQLite-backed process: fan-out, resume, snapshots, idempotent retries."""

from __future__ import annotations

import pytest

from tests.server.helpers import Api, Client, ServerProcess, assert_contiguous, chat_events, connect_as, log_triples


async def test_two_players_see_the_same_events_in_the_same_order(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    b = await connect_as(server, bo.table_id, bo.token, label="bo")
    try:
        start = max(a.last_seq, b.last_seq)
        assert a.last_seq == b.last_seq == 3  # game_created + two joins, each in a snapshot
        for i in range(5):
            await a.ok("chat", text=f"hej fra Anna {i}")
            await b.ok("chat", text=f"hej fra Bo {i}")
        log = await api.events(conference.table_id, conference.facilitator_token)
        final = log[-1]["seq"]
        await a.wait_seq(final)
        await b.wait_seq(final)

        assert a.events == b.events
        assert_contiguous(a.seqs, start + 1, "anna")
        assert chat_events(a.events) == [f"hej fra {who} {i}" for i in range(5) for who in ("Anna", "Bo")]
        # What the players saw is the log itself.
        assert [(seq, kind, event) for seq, kind, event in a.events] == log_triples(log)[start:]
        authors = [event["player_id"] for _, kind, event in a.events if kind == "message_posted"]
        assert authors == [anna.player_id, bo.player_id] * 5
    finally:
        await a.close()
        await b.close()


async def test_resume_gets_exactly_the_missed_events_then_live_ones(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    b = await connect_as(server, bo.table_id, bo.token, label="bo")
    try:
        await a.ok("chat", text="før")
        await b.wait_seq(a.last_seq)
        await b.close()
        left_at = b.last_seq

        for i in range(7):
            await a.ok("chat", text=f"mens Bo var væk {i}")
        log = await api.events(conference.table_id, conference.facilitator_token)
        missed = log_triples(log)[left_at:]
        assert len(missed) == 7

        again = await connect_as(server, bo.table_id, bo.token, after=left_at, label="bo-again")
        try:
            assert again.snapshots == [], "a client that is only a little behind gets events, not a snapshot"
            assert again.events == missed
            assert_contiguous(again.seqs, left_at + 1, "bo after resume")

            # Live events follow the replay without a gap or a repeat.
            await a.ok("chat", text="live")
            await again.wait_for(lambda f: f["type"] == "event" and f["event"].get("text") == "live", what="live chat")
            assert_contiguous(again.seqs, left_at + 1, "bo after resume and a live event")
            assert len(again.seqs) == len(set(again.seqs)) == 8
        finally:
            await again.close()
    finally:
        await a.close()
        await b.close()


async def test_resume_when_up_to_date_sends_nothing(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    first = await connect_as(server, anna.table_id, anna.token)
    seq = first.last_seq
    await first.close()
    again = await connect_as(server, anna.table_id, anna.token, after=seq)
    try:
        assert again.snapshots == []
        assert again.events == []
    finally:
        await again.close()


async def test_new_client_gets_a_snapshot_at_the_tables_version(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    try:
        for i in range(3):
            await a.ok("chat", text=f"besked {i}")
        log = await api.events(conference.table_id, conference.facilitator_token)

        b = await connect_as(server, bo.table_id, bo.token, after=0, label="bo")
        try:
            assert b.events == []
            (snapshot,) = b.snapshots
            assert snapshot["seq"] == log[-1]["seq"] == 6
            view = snapshot["view"]
            assert view["seq"] == snapshot["seq"]
            assert view["viewer"] == "player"
            assert view["you"] == bo.player_id
            assert [p["name"] for p in view["players"]] == ["Anna", "Bo"]
            assert [line["text"] for line in view["chat"]] == ["besked 0", "besked 1", "besked 2"]
            assert view["phase"] == "lobby"
        finally:
            await b.close()
    finally:
        await a.close()


async def test_ack_carries_the_id_and_a_retry_is_a_duplicate_that_adds_nothing(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    try:
        ack = await a.call("chat", frame_id="msg-1", text="kun én gang")
        assert ack == {"type": "ack", "id": "msg-1", "seq": 3, "duplicate": False}
        log = await api.events(conference.table_id, conference.facilitator_token)
        assert [e["seq"] for e in log] == [1, 2, 3]

        retry = await a.call("chat", frame_id="msg-1", text="kun én gang")
        assert retry == {"type": "ack", "id": "msg-1", "seq": 3, "duplicate": True}
    finally:
        await a.close()

    # The usual retry: the connection dropped before the ack arrived, the client resends on a new one.
    again = await connect_as(server, anna.table_id, anna.token, after=3)
    try:
        retry = await again.call("chat", frame_id="msg-1", text="kun én gang")
        assert retry == {"type": "ack", "id": "msg-1", "seq": 3, "duplicate": True}
        fresh = await again.call("chat", frame_id="msg-2", text="en ny")
        assert fresh == {"type": "ack", "id": "msg-2", "seq": 4, "duplicate": False}
        # An id reused for a different command is not taken for a retry: the command is recorded.
        reused = await again.call("chat", frame_id="msg-1", text="noget andet")
        assert reused == {"type": "ack", "id": "msg-1", "seq": 5, "duplicate": False}
        await again.wait_seq(5)
        assert again.seqs == [4, 5], "the duplicate must not produce an event frame either"
    finally:
        await again.close()

    log = await api.events(conference.table_id, conference.facilitator_token)
    assert [(e["seq"], e["type"]) for e in log] == [
        (1, "game_created"),
        (2, "player_joined"),
        (3, "message_posted"),
        (4, "message_posted"),
        (5, "message_posted"),
    ]
    assert [e["data"]["text"] for e in log[2:]] == ["kun én gang", "en ny", "noget andet"]


async def test_command_ids_are_scoped_to_their_sender(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    b = await connect_as(server, bo.table_id, bo.token, label="bo")
    try:
        first = await a.call("chat", frame_id="1", text="Anna")
        second = await b.call("chat", frame_id="1", text="Bo")
        assert first["duplicate"] is False
        assert second["duplicate"] is False
        assert second["seq"] == first["seq"] + 1
    finally:
        await a.close()
        await b.close()


async def test_client_helper_rejects_a_silent_server(server: ServerProcess, api: Api) -> None:
    """The helpers' own timeout: waiting for a frame that never comes fails with a clear message."""
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    client = await Client.connect(server.ws_url, anna.table_id, "silent")
    try:
        await client.hello(anna.token)
        with pytest.raises(AssertionError, match=r"silent: no a frame that never comes within 0\.2 s"):
            await client.wait_for(lambda f: f["type"] == "nothing", 0.2, what="a frame that never comes")
    finally:
        await client.close()
