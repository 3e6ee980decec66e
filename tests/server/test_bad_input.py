"""Bad input over a real websocket: each mistake gets its error code (or close code) and leaves the log as it was."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from websockets.exceptions import ConnectionClosed

from tests.server.helpers import Api, Client, Conference, Frame, Player, ServerProcess, connect_as


@dataclass
class Table:
    conference: Conference
    anna: Player
    bo: Player

    @property
    def id(self) -> str:
        return self.conference.table_id


@pytest.fixture
async def table(api: Api) -> Table:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    return Table(conference, anna, bo)


@contextlib.asynccontextmanager
async def log_unchanged(api: Api, table: Table) -> AsyncIterator[None]:
    """The table's log, byte for byte, is the same after the block as before it."""
    before = await api.events_response(table.id, table.conference.facilitator_token)
    assert before.status_code == 200
    yield
    after = await api.events_response(table.id, table.conference.facilitator_token)
    assert after.content == before.content, "the bad input changed the log"


BURST = 60


def is_error(code: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "error" and f["code"] == code


# ---- the connection stays open ----------------------------------------------------------------------


async def test_malformed_json_is_refused_and_the_connection_stays_open(
    server: ServerProcess, api: Api, table: Table
) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            for text in ('{"type": "chat", "id": "1", "text": ', "[1, 2, 3]", '"chat"', "null"):
                since = len(client.frames)
                await client.send(text)
                error = await client.wait_for(lambda f: f["type"] == "error", since=since, what=f"error for {text!r}")
                assert error["code"] == "frame.invalid_json", text
                assert error["id"] is None
        ack = await client.call("chat", text="stadig her")
        assert ack["type"] == "ack"
    finally:
        await client.close()


async def test_unknown_frame_type(server: ServerProcess, api: Api, table: Table) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            assert await client.error("dance") == "frame.unknown_type"
            # Commands the server gives itself are not wire commands: a player cannot seat anyone.
            assert await client.error("join", player_id="someone", name="Mallory") == "frame.unknown_type"
            assert await client.error("create_game", table_name="x", seed=1) == "frame.unknown_type"
        assert client.closed.is_set() is False
    finally:
        await client.close()


async def test_server_errors_are_worded_in_the_language_of_the_hello(
    server: ServerProcess, api: Api, table: Table
) -> None:
    from server.transport.protocol import ERROR_CODES, ERROR_MESSAGES_DA

    danish = await Client.connect(server.ws_url, table.id, "danish")
    english = await Client.connect(server.ws_url, table.id, "english")
    try:
        await danish.hello(table.anna.token, lang="da")
        await english.hello(table.bo.token, lang="en")
        for client, messages in ((danish, ERROR_MESSAGES_DA), (english, ERROR_CODES)):
            reply = await client.call("dance")
            assert (reply["code"], reply["message"]) == ("frame.unknown_type", messages["frame.unknown_type"])
        assert ERROR_MESSAGES_DA["frame.unknown_type"] != ERROR_CODES["frame.unknown_type"]
    finally:
        await danish.close()
        await english.close()


async def test_missing_or_wrong_fields_are_frame_invalid_with_details(
    server: ServerProcess, api: Api, table: Table
) -> None:
    facilitator = await connect_as(server, table.id, table.conference.facilitator_token, label="facilitator")
    await api.join(table.conference.join_code, "Carl")
    client = await connect_as(server, table.id, table.anna.token)
    try:
        await facilitator.ok("start_round")
        async with log_unchanged(api, table):
            reply = await client.call("vote", choice="for")
            assert reply["code"] == "frame.invalid"
            assert any("proposal_id" in detail["loc"] for detail in reply["details"]), reply

            reply = await client.call("propose", cards="ÆL-01")
            assert reply["code"] == "frame.invalid"
            assert any("cards" in detail["loc"] for detail in reply["details"]), reply

            assert await client.error("vote", proposal_id="F1", choice="maybe") == "frame.invalid"
            assert await client.error("chat", text=42) == "frame.invalid"
            assert await client.error("chat") == "frame.invalid"

            since = len(client.frames)
            await client.send({"type": "chat", "text": "uden id"})
            error = await client.wait_for(lambda f: f["type"] == "error", since=since, what="error for a missing id")
            assert error["code"] == "frame.invalid"
            assert error["id"] is None

            since = len(client.frames)
            await client.send({"type": "chat", "id": "x" * 65, "text": "for langt id"})
            error = await client.wait_for(lambda f: f["type"] == "error", since=since, what="error for a long id")
            assert error["code"] == "frame.invalid"
        assert await client.call("chat", text="det virker stadig") is not None
    finally:
        await client.close()
        await facilitator.close()


async def test_chat_over_1000_characters_is_too_long(server: ServerProcess, api: Api, table: Table) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            assert await client.error("chat", text="x" * 1001) == "chat.too_long"
            assert await client.error("chat", text="   ") == "chat.empty"
        await client.ok("chat", text="x" * 1000)
    finally:
        await client.close()


async def test_rules_refuse_with_their_codes(server: ServerProcess, api: Api, table: Table) -> None:
    player = await connect_as(server, table.id, table.anna.token, label="anna")
    facilitator = await connect_as(server, table.id, table.conference.facilitator_token, label="facilitator")
    try:
        async with log_unchanged(api, table):
            assert await player.error("start_round") == "actor.not_facilitator"
            assert await player.error("set_deadline", seconds=60) == "actor.not_facilitator"
            assert await player.error("announce", text="Jeg bestemmer") == "actor.not_facilitator"
            assert await facilitator.error("chat", text="hej") == "actor.not_player"
            assert await facilitator.error("start_round") == "game.too_few_players"  # two of at least three
            assert await player.error("propose", cards=["ÆL-01"]) == "round.not_open"
        # Messages follow the hello's language.
        reply = await player.call("start_round")
        assert reply["message"] == "Only the facilitator can do that."
    finally:
        await player.close()
        await facilitator.close()


async def test_a_player_cannot_act_as_another_player(server: ServerProcess, api: Api, table: Table) -> None:
    """The actor is the token's player: a frame naming another player is refused (extra fields are forbidden)."""
    anna, bo = table.anna, table.bo
    client = await connect_as(server, table.id, anna.token, label="anna")
    try:
        async with log_unchanged(api, table):
            reply = await client.call("chat", text="Jeg er Bo", player_id=bo.player_id)
            assert reply["type"] == "error", reply
            assert reply["code"] == "frame.invalid", reply
            assert any("player_id" in detail["loc"] for detail in reply["details"]), reply
            reply = await client.call("leave", player_id=bo.player_id)
            assert reply["code"] == "frame.invalid", reply
        await client.ok("chat", text="Jeg er Anna")
        await client.ok("leave")
    finally:
        await client.close()
    log = await api.events(table.id, table.conference.facilitator_token)
    posted = [e["data"] for e in log if e["type"] == "message_posted"]
    assert [(p["player_id"], p["text"]) for p in posted] == [(anna.player_id, "Jeg er Anna")]
    left = [e["data"]["player_id"] for e in log if e["type"] == "player_left"]
    assert left == [anna.player_id]
    assert [e["type"] for e in log[:3]] == ["game_created", "player_joined", "player_joined"]
    assert not [e for e in log[3:] if bo.player_id in json.dumps(e["data"])], "Bo was impersonated"


async def test_a_second_hello_is_refused_and_the_connection_stays_open(
    server: ServerProcess, api: Api, table: Table
) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            since = len(client.frames)
            await client.send({"type": "hello", "token": table.bo.token, "after": 0})
            await client.wait_for(is_error("hello.repeated"), since=since, what="hello.repeated")
        ack = await client.ok("chat", text="stadig Anna")
        log = await api.events(table.id, table.conference.facilitator_token)
        assert log[ack["seq"] - 1]["data"]["player_id"] == table.anna.player_id
    finally:
        await client.close()


# ---- the connection is closed -----------------------------------------------------------------------


async def test_a_frame_over_16_kib_closes_with_1009(server: ServerProcess, api: Api, table: Table) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            since = len(client.frames)
            await client.send(json.dumps({"type": "chat", "id": "big", "text": "x" * (16 * 1024)}))
            assert await client.wait_closed() == 1009
        assert [f["code"] for f in client.frames[since:]] == ["frame.too_large"]
    finally:
        await client.close()
    # Just under the limit is a frame like any other (and then too long a chat).
    ok = await connect_as(server, table.id, table.anna.token)
    try:
        frame = json.dumps({"type": "chat", "id": "near", "text": ""})
        text = "x" * (16 * 1024 - len(frame))
        reply = await ok.call("chat", frame_id="near", text=text)
        assert reply["code"] == "chat.too_long"
    finally:
        await ok.close()


async def test_rate_limit_drops_frames_then_flooding_closes_with_4029(
    server: ServerProcess, api: Api, table: Table
) -> None:
    client = await connect_as(server, table.id, table.anna.token)
    try:
        async with log_unchanged(api, table):
            # A burst over the allowance (40 frames): the first frames pass, the rest are dropped with an error each.
            since = len(client.frames)
            for i in range(BURST):
                await client.send({"type": "ping", "id": f"p{i}"})
            replies = await client.wait_for_many(
                lambda f: f["type"] in ("pong", "error"), BURST, since=since, what="a reply to each ping"
            )
            pongs = [f["id"] for f in replies if f["type"] == "pong"]
            limited = [f for f in replies if f.get("code") == "frame.rate_limited"]
            assert len(pongs) + len(limited) == BURST, replies
            # The allowance, less the ping that ended the hello, plus what refilled (20 a second) meanwhile.
            assert 38 <= len(pongs) <= BURST - 5, pongs
            assert pongs == [f"p{i}" for i in range(len(pongs))], "the first frames pass, the rest are dropped"
            assert replies[len(pongs) :] == limited
            assert not client.closed.is_set(), "a burst is not yet flooding"
            await asyncio.sleep(0.3)  # the bucket refills at 20 frames a second
            await client.ping()

            # Sustained flooding (more frames in a row dropped than the burst allowance): the server gives up.
            since = len(client.frames)
            with contextlib.suppress(ConnectionClosed):  # the server may close while we are still sending
                for i in range(20_000):
                    if client.closed.is_set():
                        break
                    await client.send({"type": "ping", "id": f"flood-{i}"})
                    if i % 100 == 99:
                        await asyncio.sleep(0)  # let the reader see the close
            assert await client.wait_closed() == 4029
            dropped = [f for f in client.frames[since:] if f.get("code") == "frame.rate_limited"]
            assert len(dropped) >= 40, "closed only after as many frames in a row as the burst allowance were dropped"
    finally:
        await client.close()


async def test_bad_token_is_refused_with_4001(server: ServerProcess, api: Api, table: Table) -> None:
    for token in ("not-a-token", table.anna.token[:-2] + "xx", ""):
        client = await Client.connect(server.ws_url, table.id)
        try:
            await client.send({"type": "hello", "token": token, "after": 0})
            error = await client.wait_for(lambda f: f["type"] == "error", what="auth error")
            assert error["code"] == "auth.invalid_token"
            assert await client.wait_closed() == 4001
        finally:
            await client.close()


async def test_token_for_another_table_is_refused_with_4001(server: ServerProcess, api: Api, table: Table) -> None:
    other = await api.create_conference(tables=2)
    stranger = await api.join(other.tables[1]["join_code"], "Mallory")
    attempts = [
        (table.id, stranger.token),  # a player of another conference
        (other.tables[0]["table_id"], stranger.token),  # a player of another table of the same conference
        (table.id, other.facilitator_token),  # the facilitator of another conference
    ]
    async with log_unchanged(api, table):
        for table_id, token in attempts:
            client = await Client.connect(server.ws_url, table_id)
            try:
                await client.send({"type": "hello", "token": token, "after": 0})
                error = await client.wait_for(lambda f: f["type"] == "error", what="auth error")
                assert error["code"] == "auth.wrong_table"
                assert await client.wait_closed() == 4001
                assert not client.snapshots
                assert not client.events
            finally:
                await client.close()


async def test_first_frame_must_be_a_hello(server: ServerProcess, api: Api, table: Table) -> None:
    frames: list[str] = [
        json.dumps({"type": "chat", "id": "1", "text": "hej"}),
        "not json",
        json.dumps({"type": "hello", "token": table.anna.token}),  # no `after`
        json.dumps({"type": "hello", "token": table.anna.token, "after": -1}),
        json.dumps({"type": "hello", "token": table.anna.token, "after": 0, "player_id": table.bo.player_id}),
    ]
    async with log_unchanged(api, table):
        for frame in frames:
            client = await Client.connect(server.ws_url, table.id)
            try:
                await client.send(frame)
                error = await client.wait_for(lambda f: f["type"] == "error", what=f"error for {frame}")
                assert error["code"] == "hello.expected", frame
                assert await client.wait_closed() == 4000, frame
            finally:
                await client.close()


async def test_an_unknown_table_is_refused_with_4004(server: ServerProcess, api: Api, table: Table) -> None:
    for token in (table.conference.facilitator_token, table.anna.token):
        client = await Client.connect(server.ws_url, "no-such-table")
        try:
            await client.send({"type": "hello", "token": token, "after": 0})
            error = await client.wait_for(lambda f: f["type"] == "error", what="an error")
            assert error["code"] == "table.unknown"
            assert await client.wait_closed() == 4004
        finally:
            await client.close()
