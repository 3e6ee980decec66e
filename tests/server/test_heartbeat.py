"""Heartbeats on an idle connection, ping/pong, and the hello timeout, on a server with short intervals."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import Api, Client, ServerProcess, connect_as


@pytest.fixture
def quick_server(start_server: StartServer, sqlite_url: str) -> ServerProcess:
    return start_server(sqlite_url, env={"RAADERUM_HEARTBEAT_SECONDS": "1", "RAADERUM_HELLO_TIMEOUT_SECONDS": "1"})


async def test_idle_connection_gets_heartbeats_with_the_current_seq(quick_server: ServerProcess) -> None:
    async with Api(quick_server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
    client = await connect_as(quick_server, anna.table_id, anna.token)
    try:
        started = time.monotonic()
        beat = await client.wait_for(lambda f: f["type"] == "heartbeat", timeout=5, what="a heartbeat")
        assert beat == {"type": "heartbeat", "seq": 2}
        assert time.monotonic() - started < 3

        ack = await client.ok("chat", text="hej")
        since = len(client.frames)
        beat = await client.wait_for(lambda f: f["type"] == "heartbeat", timeout=5, since=since, what="a heartbeat")
        assert beat == {"type": "heartbeat", "seq": ack["seq"]}
        # Heartbeats are not events: they take no seq of their own.
        assert client.seqs == [3]
    finally:
        await client.close()


async def test_ping_gets_a_pong_with_the_same_id(quick_server: ServerProcess) -> None:
    async with Api(quick_server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
    client = await connect_as(quick_server, anna.table_id, anna.token)
    try:
        since = len(client.frames)
        await client.send({"type": "ping", "id": "x"})
        pong = await client.wait_for(lambda f: f["type"] == "pong", since=since, what="pong")
        assert pong == {"type": "pong", "id": "x"}

        since = len(client.frames)
        await client.send({"type": "ping"})
        error = await client.wait_for(
            lambda f: f["type"] == "error", since=since, what="an error for a ping without id"
        )
        assert error["code"] == "frame.invalid"
    finally:
        await client.close()


async def test_a_client_that_never_says_hello_is_closed(quick_server: ServerProcess) -> None:
    async with Api(quick_server.url) as api:
        conference = await api.create_conference()
    client = await Client.connect(quick_server.ws_url, conference.table_id)
    try:
        error = await client.wait_for(lambda f: f["type"] == "error", timeout=5, what="hello.expected")
        assert error["code"] == "hello.expected"
        assert await client.wait_closed(5) == 4000
    finally:
        await client.close()
