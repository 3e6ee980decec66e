"""Redis killed under a running game: typed errors during the outage, no acknowledged event lost, a reconnect
without help; Redis back empty: the server stops those tables instead of forking their history, and says so.

A real Redis with `appendonly yes, appendfsync always` (testsupport.redis.DURABLE) is killed with SIGKILL while
a player chats without pause, then started again on the same AOF. Every reply must come within the store's
timeout: an ack (stored) or `store.unavailable` (not acknowledged), never silence.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest
import redis

from server.store.redis import SOCKET_TIMEOUT, events_key
from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT, Api, Client, connect_as
from testsupport.redis import DURABLE, RedisServer

pytestmark = pytest.mark.redis

KILLS = 3
# The longest a reply may take: the store's socket timeout, and a margin for a loaded machine.
REPLY_WITHIN = SOCKET_TIMEOUT + 5


class Chatter:
    """Chats one message at a time, each awaited: what was acknowledged, what was refused, and how."""

    def __init__(self, client: Client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.acked: dict[str, int] = {}  # text -> seq of its ack
        self.refused: list[str] = []  # error codes
        self.slowest = 0.0
        self._count = 0

    async def say(self) -> dict[str, object]:
        text = f"{self.prefix} {self._count}"
        self._count += 1
        started = time.monotonic()
        reply = await self.client.call("chat", text=text, timeout=REPLY_WITHIN)
        self.slowest = max(self.slowest, time.monotonic() - started)
        if reply["type"] == "ack":
            self.acked[text] = int(str(reply["seq"]))
        else:
            self.refused.append(str(reply["code"]))
        return reply

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.say()
            await asyncio.sleep(0.01)


async def _health(url: str) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=url, timeout=REPLY_WITHIN) as http:
        response = await http.get("/healthz")
    return response.status_code, response.json()["store_state"]


async def _until_acked(chatter: Chatter, within: float) -> None:
    deadline = time.monotonic() + within
    while (await chatter.say())["type"] != "ack":
        assert time.monotonic() < deadline, f"the server did not store again within {within} s: {chatter.refused[-5:]}"
        await asyncio.sleep(0.2)


async def test_redis_killed_mid_game_loses_no_acknowledged_event(start_server: StartServer, tmp_path: Path) -> None:
    store = RedisServer(tmp_path / "redis", *DURABLE)
    store.start()
    try:
        server = start_server(store.url, env=NO_RATE_LIMIT)
        async with Api(server.url) as api:
            conference = await api.create_conference()
            anna = await api.join(conference.join_code, "Anna")
        client = await connect_as(server, conference.table_id, anna.token, label="anna")
        chatter = Chatter(client, "Anna")
        for kill in range(KILLS):
            stop = asyncio.Event()
            talking = asyncio.create_task(chatter.run(stop))
            await asyncio.sleep(0.5)
            store.kill()
            await asyncio.sleep(1.5)  # the outage: commands keep coming
            assert await _health(server.url) == (503, "unavailable")
            if kill == 0:  # the other ways in are refused the same way, typed
                async with Api(server.url) as api:
                    joining = await api.http.post("/api/join", json={"code": conference.join_code, "name": "Bo"})
                assert joining.status_code == 503
                assert joining.json()["detail"]["code"] == "store.unavailable"
                late = await Client.connect(server.ws_url, conference.table_id, "late")
                await late.send({"type": "hello", "token": anna.token, "after": 0, "lang": "en"})
                refusal = await late.wait_for(lambda f: f["type"] == "error", REPLY_WITHIN, what="a refusal")
                assert refusal["code"] == "store.unavailable"
                assert await late.wait_closed() == 1013
            stop.set()
            await talking
            store.start()
            await _until_acked(chatter, within=20)  # nobody restarts the server: it reconnects by itself
            assert await _health(server.url) == (200, "ok")
            print(f"kill {kill + 1}: {len(chatter.acked)} acked, {len(chatter.refused)} refused so far")
        assert set(chatter.refused) == {"store.unavailable"}, chatter.refused
        assert chatter.slowest < REPLY_WITHIN
        async with Api(server.url) as api:
            log = await api.events(conference.table_id, conference.facilitator_token)
        stored = {event["data"]["text"]: event["seq"] for event in log if event["type"] == "message_posted"}
        lost = {text: seq for text, seq in chatter.acked.items() if stored.get(text) != seq}
        print(f"{KILLS} kills of Redis: {len(chatter.acked)} acknowledged chats, {len(lost)} lost")
        assert not lost, f"acknowledged but not stored at their seq: {lost}"
        seqs = [seq for seq, _, _ in client.events]
        assert seqs == sorted(set(seqs)), "the connection saw a seq twice or out of order"
    finally:
        store.stop()


async def test_redis_back_empty_stops_the_table_instead_of_forking_it(
    start_server: StartServer, tmp_path: Path
) -> None:
    store = RedisServer(tmp_path / "redis", *DURABLE)
    store.start()
    try:
        server = start_server(store.url, env=NO_RATE_LIMIT)
        async with Api(server.url) as api:
            conference = await api.create_conference()
            anna = await api.join(conference.join_code, "Anna")
        client = await connect_as(server, conference.table_id, anna.token, label="anna")
        await client.ok("chat", text="before")
        store.kill()
        for leftover in store.dir.iterdir():  # the AOF and any dump: Redis comes back with nothing
            if leftover.is_dir():
                shutil.rmtree(leftover)
            elif leftover.suffix in (".aof", ".rdb"):
                leftover.unlink()
        store.start()
        reply = await client.call("chat", text="after", timeout=REPLY_WITHIN)
        while reply["type"] == "error" and reply["code"] == "store.unavailable":  # until the pool reconnected
            await asyncio.sleep(0.2)
            reply = await client.call("chat", text="after", timeout=REPLY_WITHIN)
        assert reply["type"] == "error", reply
        assert reply["code"] == "store.history_lost"
        assert await _health(server.url) == (503, "emptied")
        again = await Client.connect(server.ws_url, conference.table_id, "anna-again")
        await again.send({"type": "hello", "token": anna.token, "after": 0, "lang": "en"})
        refusal = await again.wait_for(lambda f: f["type"] == "error", what="a refusal")
        assert refusal["code"] == "store.history_lost"
        assert await again.wait_closed() == 1013
        with redis.Redis(unix_socket_path=str(store.socket_path)) as raw:
            assert not raw.exists(events_key(f"table:{conference.table_id}")), "the table's history was forked"
    finally:
        store.stop()


async def test_a_frozen_redis_gives_typed_errors_not_a_hang(start_server: StartServer, tmp_path: Path) -> None:
    """SIGSTOP: Redis keeps its sockets open and answers nothing, the case a timeout is for."""
    store = RedisServer(tmp_path / "redis", *DURABLE)
    store.start()
    try:
        server = start_server(store.url, env=NO_RATE_LIMIT)
        async with Api(server.url) as api:
            conference = await api.create_conference()
            anna = await api.join(conference.join_code, "Anna")
        client = await connect_as(server, conference.table_id, anna.token, label="anna")
        chatter = Chatter(client, "Anna")
        await chatter.say()
        assert store.pid is not None
        os.kill(store.pid, signal.SIGSTOP)
        try:
            reply = await chatter.say()  # answered within REPLY_WITHIN, or Client.call raises
            assert reply["type"] == "error", reply
            assert reply["code"] == "store.unavailable"
            assert await _health(server.url) == (503, "unavailable")
        finally:
            os.kill(store.pid, signal.SIGCONT)
        await _until_acked(chatter, within=20)
        # The refused chat may have been stored after all (Redis ran it once it woke): never acknowledged,
        # and what was acknowledged is stored at its seq.
        async with Api(server.url) as api:
            log = await api.events(conference.table_id, conference.facilitator_token)
        stored = {event["data"]["text"]: event["seq"] for event in log if event["type"] == "message_posted"}
        assert all(stored.get(text) == seq for text, seq in chatter.acked.items())
        assert chatter.slowest < REPLY_WITHIN
    finally:
        store.stop()
