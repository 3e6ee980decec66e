"""Practice bots over real server processes (issue 18, docs/bots.md): seating them, bots_fill_to, removing one,
the game's end, the log that replays, and one process driving a table's bots on Redis, with takeover."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import httpx
import pytest

from engine import EVENT_ADAPTER, Actor, decide, evolve, initial_state
from engine.bots import next_commands
from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.model import AbilityUsed, Event, MessagePosted, ProposalMade, VoteCast
from engine.views import Viewer, view
from server.live.bots import lease_stream
from server.store import open_store
from tests.server.conftest import StartServer
from tests.server.helpers import Api, Frame, bearer

DECK = load_deck(DEFAULT_DECK_PATH)
FAST = {"RAADERUM_BOT_PACE_SECONDS": "0.05"}


async def _add(api: Api, table_id: str, token: str, count: int, **more: Any) -> httpx.Response:
    return await api.http.post(f"/api/tables/{table_id}/bots", json={"count": count, **more}, headers=bearer(token))


async def _action(api: Api, conference_id: str, token: str, action: str, **more: Any) -> Frame:
    response = await api.http.post(
        f"/api/conferences/{conference_id}/actions", json={"action": action, **more}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    body: Frame = response.json()
    return body


async def _until(api: Api, table_id: str, token: str, wanted: Any, what: str, timeout: float = 30.0) -> list[Frame]:
    deadline = time.monotonic() + timeout
    while True:
        events = await api.events(table_id, token)
        if wanted(events):
            return events
        if time.monotonic() > deadline:
            types = [event["type"] for event in events]
            pytest.fail(f"waited {timeout} s for {what}; the log has {types}")
        await asyncio.sleep(0.1)


async def _quiet(api: Api, table_id: str, token: str, seconds: float = 1.5) -> list[Frame]:
    """The log once nothing was added to it for `seconds` (the bots have nothing more to do)."""
    last = -1
    while True:
        events = await api.events(table_id, token)
        if len(events) == last:
            return events
        last = len(events)
        await asyncio.sleep(seconds)


async def _holds(redis_url: str, table_id: str) -> list[tuple[dict[str, Any], float]]:
    """The table's bot lease records, read from the store: (record, when it was appended)."""
    store = open_store(redis_url)
    try:
        records = await store.read(lease_stream(table_id))
    finally:
        await store.close()
    return [(json.loads(record.data), record.at) for record in records]


def _engine_events(events: list[Frame]) -> list[Event]:
    return [EVENT_ADAPTER.validate_python(event["data"]) for event in events]


def _bot_events(events: list[Frame], kind: str) -> list[Frame]:
    bots = {e["data"]["player_id"] for e in events if e["type"] == "player_joined" and e["data"].get("bot")}
    return [e for e in events if e["type"] == kind and e["data"].get("player_id") in bots]


async def test_bots_are_seated_play_and_are_removed(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url, env=FAST)
    async with Api(server.url) as api:
        conference = await api.create_conference()
        table_id, token = conference.table_id, conference.facilitator_token
        anna = await api.join(conference.join_code, "Anna")
        refused = await _add(api, table_id, anna.token, 1)
        assert refused.status_code == 403
        added = await _add(api, table_id, token, 3)
        assert added.status_code == 201, added.text
        players = added.json()["players"]
        assert len(players) == 3
        assert all(set(p) == {"player_id", "name"} and p["name"].startswith("Bot ") for p in players)
        full = await _add(api, table_id, token, 5)  # 4 seated + 5 > 8 seats: none is seated
        assert full.status_code == 409
        assert full.json()["detail"]["code"] == "seat.table_full"
        events = await api.events(table_id, token)
        joined = [e["data"] for e in events if e["type"] == "player_joined"]
        assert [j.get("bot", False) for j in joined] == [False, True, True, True]
        assert all(isinstance(j["bot_seed"], int) for j in joined[1:])  # the facilitator's log has the seeds
        # The control room counts the bots as at the table: Anna is not connected, yet nobody is flagged offline.
        overview = await api.http.get(f"/api/conferences/{conference.conference_id}/overview", headers=bearer(token))
        [row] = overview.json()["tables"]
        assert row["online"] == 3
        assert "offline" not in row["flags"]

        await _action(api, conference.conference_id, token, "start_all")
        await _until(api, table_id, token, lambda e: _bot_events(e, "proposal_made"), "a bot's proposal")
        await _until(api, table_id, token, lambda e: _bot_events(e, "message_posted"), "a bot saying why")

        bot = players[0]["player_id"]
        gone = await api.http.delete(f"/api/tables/{table_id}/bots/{bot}", headers=bearer(token))
        assert gone.status_code == 204, gone.text
        again = await api.http.delete(f"/api/tables/{table_id}/bots/{anna.player_id}", headers=bearer(token))
        assert again.status_code == 404  # a person is not a bot
        assert again.json()["detail"]["code"] == "bot.unknown"
        events = await _until(
            api, table_id, token, lambda e: any(x["type"] == "player_removed" for x in e), "the removal"
        )
        removed_at = next(x["seq"] for x in events if x["type"] == "player_removed")
        await _action(api, conference.conference_id, token, "next_round")
        events = await _quiet(api, table_id, token)
        assert not [e for e in events if e["seq"] > removed_at and e["data"].get("player_id") == bot], (
            "a removed bot does nothing more"
        )

        await _action(api, conference.conference_id, token, "end_game")
        ended = await _quiet(api, table_id, token)
        last = next(x["seq"] for x in ended if x["type"] == "reality_checked")
        await asyncio.sleep(1.0)
        after = await api.events(table_id, token, after=last)
        assert not [e for e in after if e["type"] in ("proposal_made", "vote_cast", "message_posted")]


async def test_bots_fill_the_table_at_the_first_round_and_the_log_replays(
    start_server: StartServer, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, env=FAST)
    async with Api(server.url) as api:
        conference = await api.create_conference(bots_fill_to=4, bot_pace_seconds=0.05)
        table_id, token = conference.table_id, conference.facilitator_token
        await api.join(conference.join_code, "Anna")
        await _action(api, conference.conference_id, token, "start_all")
        events = await _until(api, table_id, token, lambda e: _bot_events(e, "vote_cast"), "a bot's vote")
        joined = [e["data"] for e in events if e["type"] == "player_joined"]
        assert [j.get("bot", False) for j in joined] == [False, True, True, True]
        dealt = next(e for e in events if e["type"] == "roles_dealt")["data"]["assignments"]
        assert len(dealt) == 4  # the bots were seated before the roles were dealt
        for _ in range(3):
            await _quiet(api, table_id, token)
            state = await api.events(table_id, token)
            if any(e["type"] == "round_started" and e["data"]["round"] == 3 for e in state):
                break
            await _action(api, conference.conference_id, token, "next_round")
        await _action(api, conference.conference_id, token, "end_game")
        log = await _quiet(api, table_id, token)

    # The log replays: each bot's command is what engine.bots wants from the bot's own view at that point,
    # decided by the rules into exactly the logged events.
    events = _engine_events(log)
    state = initial_state(DECK)
    index = checked = 0
    while index < len(events):
        event = events[index]
        if (
            isinstance(event, ProposalMade | VoteCast | MessagePosted | AbilityUsed)
            and state.players[event.player_id].bot
        ):
            bot = state.players[event.player_id]
            wanted = next_commands(DECK, view(state, Viewer("player", bot.id)), bot.bot_seed or 0, event.at)
            assert wanted, f"{bot.id} wanted nothing at seq {state.seq}"
            for command in wanted:
                if index >= len(events) or getattr(events[index], "player_id", None) != bot.id:
                    break  # the follow-up line did not come (the round moved on)
                produced = decide(state, command, Actor.player(bot.id))
                assert produced == events[index : index + len(produced)], f"seq {state.seq + 1}"
                for one in produced:
                    state = evolve(state, one)
                index += len(produced)
                checked += 1
            continue
        state = evolve(state, event)
        index += 1
    assert checked > 4


@pytest.mark.redis
async def test_one_process_drives_a_tables_bots_and_another_takes_over(
    start_server: StartServer, redis_url: str
) -> None:
    env = {**FAST, "RAADERUM_BOT_PACE_SECONDS": "0.3", "RAADERUM_BOT_LEASE_SECONDS": "2"}
    one = start_server(redis_url, env=env)
    two = start_server(redis_url, env=env)
    async with Api(one.url) as api_one, Api(two.url) as api_two:
        conference = await api_one.create_conference()
        table_id, token = conference.table_id, conference.facilitator_token
        added = await _add(api_two, table_id, token, 4)
        assert added.status_code == 201, added.text
        await _action(api_one, conference.conference_id, token, "start_all")
        await _until(api_one, table_id, token, lambda e: len(_bot_events(e, "vote_cast")) >= 2, "bots voting")
        # Kill the process that drives the bots: the other takes them over.
        holder = (await _holds(redis_url, table_id))[-1][0]["owner"]
        driver, survivor, api_survivor = (
            (one, two, api_two) if holder.startswith(f"{one.pid}:") else (two, one, api_one)
        )
        assert holder.startswith(f"{driver.pid}:")
        driver.kill9()
        seen = len(await api_survivor.events(table_id, token))
        await _action(api_survivor, conference.conference_id, token, "next_round")
        events = await _until(
            api_survivor,
            table_id,
            token,
            lambda e: len(e) > seen + 6 and _bot_events(e, "vote_cast")[-1]["seq"] > seen,
            "the bots going on after a process died",
            timeout=40,
        )
        # Never doubled: no bot makes the same proposal twice in a round, and no two of its chat lines
        # follow each other with the same text.
        made = [(e["data"]["player_id"], e["data"]["round"], tuple(e["data"]["cards"])) for e in events
                if e["type"] == "proposal_made"]  # fmt: skip
        assert len(made) == len(set(made))
        lines = [(e["data"]["player_id"], e["data"]["text"]) for e in _bot_events(events, "message_posted")]
        assert all(a != b for a, b in itertools.pairwise(lines))
    # The lease: one holder at a time. A record by another owner comes only after the last holder's hold ran out
    # (or it let go), and both processes held it at some point (the survivor took over).
    holds = await _holds(redis_url, table_id)
    assert holds[-1][0]["owner"].startswith(f"{survivor.pid}:")
    owners = {hold["owner"] for hold, _ in holds if hold["owner"]}
    assert len(owners) >= 2, owners
    for (before, _), (after, at) in itertools.pairwise(holds):
        if after["owner"] and before["owner"] and after["owner"] != before["owner"]:
            assert at >= before["until"] - 0.05, (before, after, at)


async def test_deleting_a_conference_stops_its_bots(start_server: StartServer, sqlite_url: str) -> None:
    server = start_server(sqlite_url, env=FAST)
    async with Api(server.url) as api:
        conference = await api.create_conference(bots_fill_to=4)
        table_id, token = conference.table_id, conference.facilitator_token
        await _action(api, conference.conference_id, token, "start_all")
        await _until(api, table_id, token, lambda e: _bot_events(e, "vote_cast"), "a bot's vote")
        gone = await api.http.delete(f"/api/conferences/{conference.conference_id}", headers=bearer(token))
        assert gone.status_code == 204, gone.text
        await asyncio.sleep(1.0)  # what the bots would have done by now
    # The table's log stays deleted: the bots wrote nothing after it (and the server logged no traceback).
    store = open_store(sqlite_url)
    try:
        assert await store.version(f"table:{table_id}") == 0
    finally:
        await store.close()
