"""A round's deadline ends it by itself, with nobody connected, and exactly once across two processes.

The shortest deadline the rules allow is 10 s, so the single-process (SQLite) and the two-process (Redis)
cases run side by side in one test and share the wait.

Only the process serving a table loads it: another process sharing the store keeps the table's deadline
from the shared schedule with a fallback timer, and ends the round only when no process has it loaded.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import httpx
import pytest

from engine.upcast import decode_stored
from server.live.tables import DEADLINE_GRACE, table_stream
from server.store import open_store
from tests.server.conftest import StartServer
from tests.server.helpers import Api, Client, Frame, ServerProcess, connect_as

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


async def _tables_loaded(server: ServerProcess) -> float:
    """The process's `raaderum_tables_loaded` gauge."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        response = await http.get(f"{server.url}/metrics")
    assert response.status_code == 200, response.text
    (value,) = [line.split()[1] for line in response.text.splitlines() if line.startswith("raaderum_tables_loaded ")]
    return float(value)


async def _round_served_by(server: ServerProcess, round_seconds: int | None = None) -> tuple[str, str, list[Client]]:
    """A conference created, joined and played (round started, chat) through `server` alone.

    Returns the table id, the facilitator's token and the open sockets of the facilitator and two of the three players.
    """
    async with Api(server.url) as api:
        fields = {"round_seconds": round_seconds} if round_seconds is not None else {}
        conference = await api.create_conference(**fields)
        players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    table_id, token = conference.table_id, conference.facilitator_token
    facilitator = await connect_as(server, table_id, token, label="facilitator")
    anna = await connect_as(server, table_id, players[0].token, label="anna")
    bo = await connect_as(server, table_id, players[1].token, label="bo")
    ack = await facilitator.ok("start_round")
    await anna.wait_seq(ack["seq"])
    await anna.ok("chat", text="Skal vi spare på vejene?")
    ack = await bo.ok("chat", text="Hellere på administrationen")
    await facilitator.wait_seq(ack["seq"])
    return table_id, token, [facilitator, anna, bo]


@pytest.mark.redis
async def test_a_table_with_a_round_timer_is_loaded_only_by_the_process_serving_it(
    start_server: StartServer, redis_url: str
) -> None:
    serving = start_server(redis_url)
    other = start_server(redis_url)
    _, _, clients = await _round_served_by(serving, round_seconds=600)
    facilitator, anna, _ = clients
    started = [event for _, kind, event in facilitator.events if kind == "round_started"]
    assert started, "the round should have a timer"
    assert started[-1]["deadline"] is not None, "the round should have a timer"

    # The round's deadline reached the shared schedule, and every later append its notice, in both processes.
    for text in ("Vi mangler 20 millioner", "Så tager vi skatten"):
        ack = await anna.ok("chat", text=text)
        await facilitator.wait_seq(ack["seq"])
    await asyncio.sleep(1.0)
    assert await _tables_loaded(serving) == 1
    assert await _tables_loaded(other) == 0, "the other process loaded a table it does not serve"
    for client in clients:
        await client.close()


async def _read_log(store_url: str, table_id: str) -> list[Frame]:
    """The table's log, read from the store by this test: a server would load the table to answer."""
    store = open_store(store_url)
    try:
        records = await store.read(table_stream(table_id))
    finally:
        await store.close()
    return [{"seq": r.seq, **decode_stored(r.type, r.data).model_dump(mode="json")} for r in records]


async def _wait_for_round_end_in_store(store_url: str, table_id: str, timeout: float) -> None:
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        if any(e["type"] == "round_ended" for e in await _read_log(store_url, table_id)):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no round_ended in the log of {table_id} within {timeout} s")


async def _deadline_then_restart(server: ServerProcess) -> tuple[str, str, datetime]:
    """A round with a deadline through `server`, every socket closed, then `server` restarted (nothing loaded)."""
    table_id, token, clients = await _round_served_by(server)
    facilitator = clients[0]
    try:
        ack = await facilitator.ok("set_deadline", seconds=DEADLINE_SECONDS)
        await facilitator.wait_seq(ack["seq"])
        (deadline_set,) = [event for _, kind, event in facilitator.events if kind == "deadline_set"]
    finally:
        for client in clients:
            await client.close()
    server.stop()
    server.start()
    return table_id, token, datetime.fromisoformat(deadline_set["deadline"])


@pytest.mark.redis
async def test_the_deadline_of_a_table_no_process_has_loaded_ends_its_round_once(
    start_server: StartServer, sqlite_url: str, redis_url: str
) -> None:
    alone = start_server(sqlite_url)
    restarted = start_server(redis_url)
    other = start_server(redis_url)
    (table_sqlite, _, deadline_sqlite), (table_redis, token_redis, deadline_redis) = await asyncio.gather(
        _deadline_then_restart(alone), _deadline_then_restart(restarted)
    )
    for server in (alone, restarted, other):
        assert await _tables_loaded(server) == 0

    # The processes only hold the deadline; the fallback ends the round a grace period after it ...
    wait = DEADLINE_SECONDS + DEADLINE_GRACE + 5
    await asyncio.gather(
        _wait_for_round_end_in_store(sqlite_url, table_sqlite, wait),
        _wait_for_round_end_in_store(redis_url, table_redis, wait),
    )
    # ... with a table that is not kept: nothing is loaded afterwards, nothing follows the table.
    await asyncio.sleep(1.5)  # both Redis processes' fallbacks fired: give the slower one time to try too
    for server in (alone, restarted, other):
        assert await _tables_loaded(server) == 0, f"the fallback kept the table loaded on port {server.port}"

    for store_url, table_id, deadline in (
        (sqlite_url, table_sqlite, deadline_sqlite),
        (redis_url, table_redis, deadline_redis),
    ):
        log = await _read_log(store_url, table_id)
        ended = [e for e in log if e["type"] == "round_ended"]
        assert len(ended) == 1, f"the round ended {len(ended)} times: {ended}"
        assert ended[0]["reason"] == "deadline"
        assert ended[0]["round"] == 1
        # Ended by a fallback timer, not at the exact deadline by a process that had the table loaded.
        assert datetime.fromisoformat(ended[0]["at"]) >= deadline + timedelta(seconds=DEADLINE_GRACE - 0.5)
        assert log[-1]["type"] == "round_ended"

    # A process that loads the table now serves the ended round, and fires nothing more.
    async with Api(other.url) as api:
        served = await api.events(table_redis, token_redis)
    assert [e["type"] for e in served] == [e["type"] for e in await _read_log(redis_url, table_redis)]
