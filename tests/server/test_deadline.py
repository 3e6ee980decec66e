"""A round's deadline ends it by itself, with nobody connected, and exactly once across two processes.

The shortest deadline the rules allow is 10 s, so the single-process (SQLite) and the two-process (Redis)
cases run side by side in one test and share the wait.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import Api, Frame, ServerProcess, connect_as

DEADLINE_SECONDS = 10


async def _round_with_deadline(first: ServerProcess, second: ServerProcess) -> tuple[str, str, datetime]:
    """A round started through `first` whose deadline is set through `second`; then every socket is closed."""
    async with Api(first.url) as api:
        conference = await api.create_conference()
        for name in ("Anna", "Bo", "Carl"):
            await api.join(conference.join_code, name)
    table_id, token = conference.table_id, conference.facilitator_token
    starter = await connect_as(first, table_id, token, label="facilitator@first")
    setter = await connect_as(second, table_id, token, label="facilitator@second")
    try:
        await starter.ok("start_round")
        await setter.wait_seq(starter.last_seq)
        ack = await setter.ok("set_deadline", seconds=DEADLINE_SECONDS)
        await starter.wait_seq(ack["seq"])
        (deadline_set,) = [event for _, kind, event in starter.events if kind == "deadline_set"]
    finally:
        await starter.close()
        await setter.close()
    return table_id, token, datetime.fromisoformat(deadline_set["deadline"])


async def _wait_for_round_end(server: ServerProcess, table_id: str, token: str, timeout: float) -> list[Frame]:
    async with Api(server.url) as api:
        stop = time.monotonic() + timeout
        while time.monotonic() < stop:
            log = await api.events(table_id, token)
            if any(e["type"] == "round_ended" for e in log):
                return log
            await asyncio.sleep(0.2)
    raise AssertionError(f"no round_ended in the log of {table_id} within {timeout} s")


def _check_ended_by_deadline(log: list[Frame], deadline: datetime) -> None:
    ended = [e["data"] for e in log if e["type"] == "round_ended"]
    assert len(ended) == 1, f"the round ended {len(ended)} times: {ended}"
    assert ended[0]["reason"] == "deadline"
    assert ended[0]["round"] == 1
    assert datetime.fromisoformat(ended[0]["at"]) >= deadline
    assert log[-1]["type"] == "round_ended"


@pytest.mark.redis
async def test_deadline_ends_the_round_once_with_nobody_connected(
    start_server: StartServer, sqlite_url: str, redis_url: str
) -> None:
    alone = start_server(sqlite_url)
    one = start_server(redis_url)
    two = start_server(redis_url)
    (table_sqlite, token_sqlite, deadline_sqlite), (table_redis, token_redis, deadline_redis) = await asyncio.gather(
        _round_with_deadline(alone, alone), _round_with_deadline(one, two)
    )

    # Nobody is connected now. Nothing happens before the deadline ...
    async with Api(alone.url) as api:
        early = await api.events(table_sqlite, token_sqlite)
        assert early[-1]["type"] == "deadline_set"

    # ... and the round ends by itself soon after it.
    wait = DEADLINE_SECONDS + 5
    log_sqlite, log_redis = await asyncio.gather(
        _wait_for_round_end(alone, table_sqlite, token_sqlite, wait),
        _wait_for_round_end(one, table_redis, token_redis, wait),
    )
    _check_ended_by_deadline(log_sqlite, deadline_sqlite)

    # Both Redis processes had the table loaded and a timer running: give the slower one time to try too.
    await asyncio.sleep(1.5)
    async with Api(one.url) as api_one, Api(two.url) as api_two:
        log_one = await api_one.events(table_redis, token_redis)
        log_two = await api_two.events(table_redis, token_redis)
    assert log_one == log_two
    assert log_one == log_redis, "something was appended after the deadline's end of round"
    _check_ended_by_deadline(log_one, deadline_redis)
