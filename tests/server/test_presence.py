"""Presence: who is connected right now reaches every client of the table and never the event log."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
import websockets.asyncio.client

from server.live.presence import CHANNEL, Presence
from tests.server.helpers import Api, Frame, ServerProcess, connect_as


def online(frame: Frame) -> set[str]:
    return set(frame["online"])


async def test_presence_follows_connections_and_stays_out_of_the_log(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    bo = await api.join(conference.join_code, "Bo")
    carl = await api.join(conference.join_code, "Carl")
    before = await api.events_response(conference.table_id, conference.facilitator_token)

    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    (own,) = a.of_type("presence")
    assert own == {"type": "presence", "online": [anna.player_id], "facilitator": False}

    since = len(a.frames)
    b = await connect_as(server, bo.table_id, bo.token, label="bo")
    seen = await a.wait_for(lambda f: f["type"] == "presence" and bo.player_id in f["online"], since=since, what="bo")
    assert online(seen) == {anna.player_id, bo.player_id}
    assert online(b.of_type("presence")[-1]) == {anna.player_id, bo.player_id}

    since = len(a.frames)
    facilitator = await connect_as(server, anna.table_id, conference.facilitator_token, label="facilitator")
    seen = await a.wait_for(lambda f: f["type"] == "presence" and f["facilitator"], since=since, what="facilitator")
    assert online(seen) == {anna.player_id, bo.player_id}, "the facilitator is not a player"

    # Bo in a second tab: closing one of his two connections leaves him online.
    b2 = await connect_as(server, bo.table_id, bo.token, label="bo-tab-2")
    since = len(a.frames)
    await b2.close()
    c = await connect_as(server, carl.table_id, carl.token, label="carl")
    await a.wait_for(lambda f: f["type"] == "presence" and carl.player_id in f["online"], since=since, what="carl")
    assert all(bo.player_id in f["online"] for f in a.frames[since:] if f["type"] == "presence"), a.frames[since:]

    since = len(a.frames)
    await b.close()
    gone = await a.wait_for(
        lambda f: f["type"] == "presence" and bo.player_id not in f["online"], since=since, what="bo gone"
    )
    assert online(gone) == {anna.player_id, carl.player_id}
    assert gone["facilitator"] is True

    since = len(a.frames)
    await facilitator.close()
    gone = await a.wait_for(lambda f: f["type"] == "presence" and not f["facilitator"], since=since, what="no facil.")
    assert online(gone) == {anna.player_id, carl.player_id}

    await c.close()
    await a.close()
    after = await api.events_response(conference.table_id, conference.facilitator_token)
    assert after.content == before.content, "connecting and disconnecting wrote to the log"
    assert "presence" not in after.text


async def _publish_until(client: aioredis.Redis, message: str, heard: Callable[[], bool]) -> None:
    for _ in range(200):  # the listener (re)subscribes in the background
        await client.publish(CHANNEL, message)
        await asyncio.sleep(0.05)
        if heard():
            return
    raise AssertionError(f"{message!r} was not heard")


async def test_a_malformed_presence_message_is_logged_with_its_traceback_and_presence_carries_on(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    presence = Presence(redis_url, loaded=lambda table_id: None)
    task = asyncio.create_task(presence.run())

    def failed() -> bool:
        return any(record.exc_info for record in caplog.records)

    try:
        async with aioredis.from_url(redis_url) as client:
            await _publish_until(client, "not json", failed)
            valid = json.dumps({"process": "another", "table": "t1", "keys": ["player:p1"]})
            await _publish_until(client, valid, lambda: presence.online("t1").online == ["p1"])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    failures = {record.getMessage() for record in caplog.records if record.exc_info}
    assert failures == {"presence listener failed; listening again"}


async def test_the_control_room_counts_as_the_facilitator_online(server: ServerProcess, api: Api) -> None:
    """issue 16: players read "Facilitatoren er ikke online" while the control room was open."""
    conference = await api.create_conference(tables=2)
    anna = await api.join(conference.join_code, "Anna")
    a = await connect_as(server, anna.table_id, anna.token, label="anna")
    assert a.of_type("presence")[-1]["facilitator"] is False
    since = len(a.frames)
    control = await websockets.asyncio.client.connect(f"{server.ws_url}/ws/conferences/{conference.conference_id}")
    try:
        await control.send(json.dumps({"type": "hello", "token": conference.facilitator_token}))
        await asyncio.wait_for(control.recv(), 10)  # the overview: the control room is watching
        await a.wait_for(lambda f: f["type"] == "presence" and f["facilitator"], since=since, what="control room")
        # A projector watching the same grid is not the facilitator.
        projector_token = (
            await api.http.post(
                f"/api/conferences/{conference.conference_id}/projector-token",
                headers={"Authorization": f"Bearer {conference.facilitator_token}"},
            )
        ).json()["token"]
        since = len(a.frames)
    finally:
        await control.close()
    await a.wait_for(lambda f: f["type"] == "presence" and not f["facilitator"], since=since, what="closed")
    projector = await websockets.asyncio.client.connect(f"{server.ws_url}/ws/conferences/{conference.conference_id}")
    try:
        await projector.send(json.dumps({"type": "hello", "token": projector_token}))
        await asyncio.wait_for(projector.recv(), 10)
        await a.ping()
        assert a.of_type("presence")[-1]["facilitator"] is False
    finally:
        await projector.close()
