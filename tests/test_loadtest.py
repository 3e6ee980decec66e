"""The load generator on small runs: its correctness check passes on the real server and catches a broken one.

The broken server is a test double defined here, not in production code: `broken_app` is `create_app`
with one event frame withheld from one player connection, from the seq named in LOADTEST_DROP_FROM_SEQ.
The load generator starts it like any server (`Options.app`), as a real uvicorn process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from engine.deck import DEFAULT_DECK_PATH, load_deck
from loadtest import Options, run_loadtest
from loadtest.bots import Bot, Conference, Run, TableRun
from loadtest.servers import CGROUP_PERIOD_US, Servers


def broken_app() -> FastAPI:
    """The real app, except that one player misses one event (the first at or after LOADTEST_DROP_FROM_SEQ)."""
    from server.app import create_app
    from server.live import tables

    drop_from = int(os.environ["LOADTEST_DROP_FROM_SEQ"])
    original = tables.Table._apply
    dropped: list[int] = []

    def apply_dropping_one(self: tables.Table, event: Any, event_json: str) -> None:
        victims = [listener for listener in self.listeners if listener.viewer.kind == "player"]
        if dropped or self.state.seq + 1 < drop_from or not victims:
            original(self, event, event_json)
            return
        victim = victims[0]
        self.listeners.discard(victim)  # the victim is not sent this one event
        try:
            original(self, event, event_json)
        finally:
            self.listeners.add(victim)
        dropped.append(self.state.seq)

    tables.Table._apply = apply_dropping_one  # type: ignore[method-assign]
    return create_app()


def small(**changes: Any) -> Options:
    options = Options(tables=2, players=4, duration=3, rate=2.0, reconnect_every=4, seed=7)
    for key, value in changes.items():
        setattr(options, key, value)
    return options


async def test_a_small_run_on_the_real_server_passes_its_correctness_check() -> None:
    report = await run_loadtest(small())
    correctness = report["correctness"]
    assert correctness["passed"], correctness["problems"]
    assert correctness["contiguous"]
    assert correctness["identical"]
    assert correctness["complete"]
    assert report["errors"] == {}
    assert report["ok"]
    actions = report["actions"]
    assert actions["acked"] > 5, actions
    assert actions["acked"] == actions["sent"]
    assert set(actions["by_kind"]) >= {"chat"}
    latency = report["latency_ms"]
    assert latency["count"] + latency["excluded_resumed"] == actions["acked"]
    assert latency["undelivered"] == 0
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    connections = report["connections"]
    assert connections == {**connections, "players": 8, "watchers": 4, "total": 12}  # control room + projector
    assert report["server"]["rss_mb"] > 10
    assert report["server"]["tracebacks"] == 0
    gc_pauses = report["server"]["gc_pauses"]  # read from the server's /metrics before and after the play
    assert 0 <= gc_pauses["over_100ms"] <= gc_pauses["over_50ms"] <= gc_pauses["pauses"]
    assert report["server"]["store_stalls_ms"] is None  # SQLite: no latency monitor to read
    assert report["server"]["redis_cpu_percent"] is None


async def test_a_server_that_drops_one_event_is_caught() -> None:
    # Seq 7 is round_started; the drop falls on the first action of the measured play.
    report = await run_loadtest(
        small(reconnect_every=0, app="tests.test_loadtest:broken_app", server_env={"LOADTEST_DROP_FROM_SEQ": "8"})
    )
    correctness = report["correctness"]
    assert not correctness["passed"]
    assert not report["ok"]
    assert not correctness["contiguous"] or not correctness["complete"]
    assert any("player" in problem for problem in correctness["problems"]), correctness["problems"]
    assert report["errors"] == {}  # nothing else went wrong: the check alone caught it


async def test_two_processes_on_a_throwaway_redis_pass_and_report_its_stalls() -> None:
    report = await run_loadtest(small(store="redis", workers=2))
    assert report["correctness"]["passed"], report["correctness"]["problems"]
    assert report["errors"] == {}
    assert report["setup"]["workers"] == 2
    assert len(report["setup"]["urls"]) == 2
    stalls = report["server"]["store_stalls_ms"]  # Redis's latency monitor: {} when nothing took 20 ms
    assert isinstance(stalls, dict), stalls
    assert all(ms >= 20 for ms in stalls.values()), stalls
    assert report["server"]["gc_pauses"]["pauses"] >= 0  # summed over both processes' /metrics
    assert report["server"]["redis_cpu_percent"] > 0  # the throwaway Redis's own share of the machine


async def test_the_asgi_send_path_passes_too() -> None:
    """With direct writes off (as on another ASGI server), frames go through the send queue and its task."""
    report = await run_loadtest(small(tables=1, server_env={"RAADERUM_DIRECT_WRITES": "0"}))
    assert report["correctness"]["passed"], report["correctness"]["problems"]
    assert report["errors"] == {}


def test_the_cli_prints_the_report_as_json(tmp_path: Path) -> None:
    # The installed console script, run outside the checkout: it finds the load tester beside `server/`.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "raaderum"), "loadtest", "--tables", "1", "--players", "3",
         "--duration", "2", "--rate", "1", "--no-watchers", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["correctness"]["passed"]
    assert report["connections"]["players"] == 3
    assert report["connections"]["watchers"] == 0
    assert "acked" in result.stderr  # the progress lines go to stderr


def test_the_bots_take_vote_rights_from_the_deck() -> None:
    """In a deck where the økonomidirektør votes and the mayor does not, the bots follow the deck."""
    deck = load_deck(DEFAULT_DECK_PATH)
    swapped = {"oekonomidirektoer": {"votes": True, "weight": 1}, "borgmester": {"votes": False}}
    roles = tuple(role.model_copy(update=swapped.get(role.id, {})) for role in deck.roles)
    run = Run(Options(seed=1), deck.model_copy(update={"roles": roles}))
    table = TableRun(1, "t", "CODE", "http://127.0.0.1:1", Conference("c", "f", None, ""), run.non_voting_roles)
    director = Bot(run, table, "player", "token", "p1", 1)
    mayor = Bot(run, table, "player", "token", "p2", 2)
    assignments = json.dumps({"p1": "oekonomidirektoer", "p2": "borgmester"})
    frame = f'{{"type":"event","seq":1,"event":{{"type":"roles_dealt","assignments":{assignments}}}}}'
    director.on_text(frame.encode())
    mayor.on_text(frame.encode())
    assert director.votes_role
    assert not mayor.votes_role
    table.seated = {"p1", "p2", "p3", "p4", "p5"}
    assert table.voters == 4  # the fewest who may vote: the deck keeps one role (the mayor here) from voting


async def test_a_refused_reconnect_is_counted_and_a_bug_is_not_swallowed() -> None:
    run = Run(Options(seed=1), load_deck(DEFAULT_DECK_PATH))
    conference = Conference("c", "f", None, "")
    nobody = TableRun(1, "t", "CODE", "http://127.0.0.1:1", conference, run.non_voting_roles)  # nothing listens
    await Bot(run, nobody, "player", "token", "p1", 1).reconnect()
    assert run.errors["reconnect.failed"] == 1
    broken = TableRun(2, "t", "CODE", "http://127.0.0.1:no-port", conference, run.non_voting_roles)
    with pytest.raises(ValueError, match="no-port"):  # the load generator's own mistake: not a network failure
        await Bot(run, broken, "player", "token", "p2", 1).reconnect()
    assert run.errors["reconnect.failed"] == 1


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False


async def test_the_load_generators_frame_parser_cuts_frames_out_of_any_chunks() -> None:
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.uri import parse_uri

    from loadtest.link import Link
    from server.transport.wsdirect import text_frame

    received: list[bytes] = []
    link = Link("ws://127.0.0.1:1/ws/tables/t", received.append, lambda link: None)
    link.protocol = ClientProtocol(parse_uri("ws://127.0.0.1:1/ws/tables/t"), state=State.OPEN)
    transport = FakeTransport()
    link.transport = transport  # type: ignore[assignment]
    link.fast = True
    short, medium, large = b'{"a":1}', b"x" * 300, b"y" * 70_000
    stream = text_frame(short) + text_frame(medium) + text_frame(large)
    stream += bytes((0x01, 3)) + b"abc" + bytes((0x80, 3)) + b"def"  # "abcdef" in two fragments
    for start in range(0, len(stream), 7):  # in awkward chunks
        link.data_received(stream[start : start + 7])
    assert received == [short, medium, large, b"abcdef"]
    link.data_received(bytes((0x89, 2)) + b"hi" + text_frame(b"after"))  # a ping: websockets answers it
    assert received[-1] == b"after"
    assert transport.written, "the pong was sent"


def test_a_cpu_cap_puts_each_started_server_in_a_cgroup_of_its_own(tmp_path: Path) -> None:
    servers = Servers(Options(store="sqlite", server_cpu=0.5), tmp_path)
    servers.start()
    try:
        (cap,) = servers.caps
        (pid,) = servers.pids
        assert str(pid) in (cap.path / "cgroup.procs").read_text().split()
        if (cap.path / "cpu.max").exists():  # cgroup v2
            assert (cap.path / "cpu.max").read_text().split() == ["5000", str(CGROUP_PERIOD_US)]
        else:
            assert int((cap.path / "cpu.cfs_quota_us").read_text()) == CGROUP_PERIOD_US // 2
        assert httpx.get(f"{servers.urls[0]}/healthz").status_code == 200
    finally:
        servers.stop()
    assert not cap.path.exists()  # removed with its process


def test_the_throwaway_redis_reports_a_stall_of_its_own(tmp_path: Path) -> None:
    import redis

    servers = Servers(Options(store="redis"), tmp_path)
    servers.start()
    try:
        assert servers.store_stalls(reset=True) == {}
        with redis.Redis.from_url(servers.store_url) as client:  # a slow command: Redis blocks every client for it
            client.eval("local i = 0 while i < 20000000 do i = i + 1 end return i", 0)
        stalls = servers.store_stalls()
        assert stalls is not None, stalls
        assert stalls.get("command", 0) >= 20, stalls
        assert servers.store_stalls(reset=True) == {}
        assert servers.store_stalls() == {}
    finally:
        servers.stop()
