"""`raaderum loadtest`'s run: start the servers (or use given ones), seat the bots, play, measure, report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import secrets
import shutil
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from engine.deck import DEFAULT_DECK_PATH, load_deck
from loadtest.analysis import analyse, gc_report
from loadtest.bots import Bot, Conference, Run, TableRun
from loadtest.options import LoadtestError, Options
from loadtest.servers import Servers, total_cpu, total_rss

MAX_TABLES_PER_CONFERENCE = 100  # the API's limit: bigger runs create several conferences


async def _gather_limited(coroutines: Iterable[Any], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with semaphore:
            return await coroutine

    return list(await asyncio.gather(*(one(c) for c in coroutines)))


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(5):
        try:
            response = await http.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            if attempt == 4:
                raise LoadtestError(f"POST {url}: {error}") from error
            await asyncio.sleep(0.2 * (attempt + 1))
            continue
        if response.status_code >= 400:
            raise LoadtestError(f"POST {url}: {response.status_code} {response.text[:300]}")
        result: dict[str, Any] = response.json()
        return result
    raise AssertionError("unreachable")


async def _setup(run: Run, urls: list[str], http: httpx.AsyncClient) -> list[TableRun]:
    options = run.options
    tables: list[TableRun] = []
    # Conferences of at most 100 tables (the API's limit), as many per server process, evenly sized. A
    # conference lives on one process, as a load balancer routing by conference would place it: its tables
    # are loaded where they were created, and a process following tables it does not serve would read and
    # apply every one of their events too.
    conferences = -(-options.tables // MAX_TABLES_PER_CONFERENCE)
    conferences = -(-conferences // len(urls)) * len(urls)
    conferences = min(conferences, options.tables)
    sizes = [options.tables // conferences + (n < options.tables % conferences) for n in range(conferences)]
    for conference_number, count in enumerate(sizes, start=1):
        home = urls[(conference_number - 1) % len(urls)]
        body = {"name": f"Loadtest {conference_number}", "tables": count, "rule": "consensus"}
        created = await _post(http, f"{home}/api/conferences", body)
        projector: str | None = None
        with contextlib.suppress(LoadtestError):  # an older server has no projector tokens
            reply = await _post(
                http,
                f"{home}/api/conferences/{created['conference_id']}/projector-token",
                {},
                created["facilitator_token"],
            )
            projector = reply["token"]
        conference = Conference(created["conference_id"], created["facilitator_token"], projector, home)
        for ref in created["tables"]:
            tables.append(
                TableRun(len(tables) + 1, ref["table_id"], ref["join_code"], home, conference, run.non_voting_roles)
            )

    async def join(table: TableRun, index: int) -> None:
        body = {"code": table.join_code, "name": f"Bot {table.number}.{index}"}
        joined = await _post(http, f"{table.url}/api/join", body)
        table.players.append(Bot(run, table, "player", joined["token"], joined["player_id"], index))

    await _gather_limited((join(t, i) for t in tables for i in range(1, options.players + 1)), 16)
    for table in tables:
        table.players.sort(key=lambda bot: bot.index)
        if options.watchers:
            table.watchers.append(Bot(run, table, "facilitator", table.conference.facilitator_token, None, 0))
            if table.conference.projector_token:
                table.watchers.append(Bot(run, table, "projector", table.conference.projector_token, None, -1))
    return tables


async def _lag_monitor(samples: list[float], interval: float = 0.05) -> None:
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        samples.append(time.perf_counter() - start - interval)


async def _gc_pauses(http: httpx.AsyncClient, urls: list[str]) -> dict[str, float] | None:
    """The servers' garbage-collector pauses so far, summed over processes (from /metrics): count, total
    seconds, and how many took over 50 and over 100 ms. None when a server has no such metric."""
    totals = dict.fromkeys(("count", "seconds", "under_0.05", "under_0.1"), 0.0)
    token = os.environ.get("RAADERUM_METRICS_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for url in urls:
        try:
            text = (await http.get(f"{url}/metrics", headers=headers)).text
        except httpx.HTTPError:
            return None
        found = False
        for family in text_string_to_metric_families(text):
            if family.name != "raaderum_gc_pause_seconds":
                continue
            found = True
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    totals["count"] += sample.value
                elif sample.name.endswith("_sum"):
                    totals["seconds"] += sample.value
                elif sample.name.endswith("_bucket") and sample.labels["le"] in ("0.05", "0.1"):
                    totals[f"under_{sample.labels['le']}"] += sample.value
        if not found:
            return None
    return totals


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class _Memory:
    """The servers' resident memory in bytes (None when it could not be read): before the players connect, once
    they are in, the peak while measuring and at the end."""

    before: int | None
    connected: int | None
    peak: int = 0
    end: int | None = None


@dataclass
class _Window:
    """What the measured window cost: its wall seconds, CPU seconds (None when a process could not be read), the
    servers' garbage-collector pauses and the store's stalls."""

    seconds: float
    loadgen_cpu: float
    server_cpu: float | None
    redis_cpu: float | None
    gc_pauses: dict[str, Any] | None
    store_stalls: dict[str, float] | None


def _spent(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


async def _connect(run: Run, tables: list[TableRun], pids: list[int]) -> _Memory:
    """Open the watchers' sockets, then the players': the servers' memory before and after the players."""
    concurrency = run.options.connect_concurrency
    await _gather_limited((bot.connect() for table in tables for bot in table.watchers), concurrency)
    await asyncio.sleep(1.0)
    before = total_rss(pids)
    await _gather_limited((bot.connect() for table in tables for bot in table.players), concurrency)
    await asyncio.sleep(2.0)
    connected = total_rss(pids)
    return _Memory(before, connected, peak=connected or 0)


async def _start_round(run: Run, table: TableRun) -> None:
    """The control room starts round 1 at the table; then it waits for the round to reach every player."""
    starter = table.watchers[0] if table.watchers else None
    if starter is None or starter.kind != "facilitator":
        starter = Bot(run, table, "facilitator", table.conference.facilitator_token, None, 0)
        await starter.connect()
        table.watchers.insert(0, starter)
    reply = await starter.call("start_round")
    if reply["type"] != "ack":
        raise LoadtestError(f"table {table.number}: start_round refused: {reply}")
    deadline = time.perf_counter() + 30
    while any(bot.last_seq < reply["seq"] for bot in table.players):
        if time.perf_counter() > deadline:
            raise LoadtestError(f"table {table.number}: round_started did not reach every player")
        await asyncio.sleep(0.02)


async def _start_rounds(run: Run, tables: list[TableRun]) -> None:
    """Round 1 at every table; the setup's events are not measured actions."""
    await _gather_limited((_start_round(run, t) for t in tables), run.options.connect_concurrency)
    if not run.options.watchers:  # the control room only started the rounds
        await _gather_limited((bot.close() for t in tables for bot in t.watchers), 256)
        for table in tables:
            table.watchers.clear()
    for table in tables:
        for bot in table.players:
            bot.seqs, bot.times = array("q"), array("d")
            bot.crcs, bot.replayed = array("L"), array("b")
        table.actions.clear()


async def _progress(
    run: Run, pids: list[int], memory: _Memory, start: float, stop_at: float, say: Callable[[str], None]
) -> None:
    """Until `stop_at`, a line a second (connections, acked rate, ack p99, errors, server memory), and the peak
    memory kept in `memory`."""
    last_acked, last_tick = 0, start
    while (now := time.perf_counter()) < stop_at:
        await asyncio.sleep(min(1.0, stop_at - now))
        tick = time.perf_counter()
        recent = np.array(run.ack_latencies) if run.ack_latencies else np.zeros(0)
        run.ack_latencies = []
        rss = total_rss(pids)
        memory.peak = max(memory.peak, rss or 0)
        p99 = f"{np.percentile(recent, 99) * 1000:6.1f} ms" if recent.size else "     - ms"
        say(
            f"[{tick - start:5.1f}s] conns {run.connections:5d}  acked {run.acked:7d} "
            f"({(run.acked - last_acked) / (tick - last_tick):7.1f}/s)  ack p99 {p99}  "
            f"errors {sum(run.errors.values()):4d}" + (f"  server {rss / 2**20:6.1f} MB" if rss else "")
        )
        last_acked, last_tick = run.acked, tick


async def _measure(
    run: Run,
    tables: list[TableRun],
    urls: list[str],
    servers: Servers | None,
    pids: list[int],
    memory: _Memory,
    say: Callable[[str], None],
) -> _Window:
    """The players play for --duration seconds; what that cost the servers and the load generator."""
    options = run.options
    async with httpx.AsyncClient(timeout=10) as http:
        gc_before = await _gc_pauses(http, urls)
    if servers is not None:
        servers.store_stalls(reset=True)
    cpu_start, wall_start = _self_cpu(), time.perf_counter()
    server_cpu_start = total_cpu(pids)
    redis_pids = servers.redis_pids if servers is not None else []
    redis_cpu_start = total_cpu(redis_pids)
    run.measuring = True
    stop_at = wall_start + options.duration
    tasks = [
        asyncio.create_task(bot.play(options.rate, stop_at, run.cards)) for table in tables for bot in table.players
    ]
    await _progress(run, pids, memory, wall_start, stop_at, say)
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - wall_start
    loadgen_cpu = _self_cpu() - cpu_start
    server_cpu = _spent(server_cpu_start, total_cpu(pids))
    redis_cpu = _spent(redis_cpu_start, total_cpu(redis_pids))
    async with httpx.AsyncClient(timeout=10) as http:
        gc_pauses = gc_report(gc_before, await _gc_pauses(http, urls))
    store_stalls = servers.store_stalls() if servers is not None else None
    run.measuring = False
    return _Window(seconds, loadgen_cpu, server_cpu, redis_cpu, gc_pauses, store_stalls)


def _behind(table: TableRun) -> bool:
    bots = table.players + table.watchers
    final = max([bot.last_seq for bot in bots] + [0])
    return any(bot.last_seq < final for bot in bots)


async def _drain(run: Run, tables: list[TableRun]) -> None:
    """Wait (at most --drain-seconds) for every answer and for every bot to reach its table's final seq; an
    action still without an answer then counts as a no_reply error."""
    players = [bot for table in tables for bot in table.players]
    deadline = time.perf_counter() + run.options.drain_seconds
    while time.perf_counter() < deadline:
        if not any(bot.pending for bot in players) and not any(_behind(table) for table in tables):
            break
        await asyncio.sleep(0.05)
    for bot in players:
        if bot.pending:
            run.errors["no_reply"] += len(bot.pending)


def _server_report(
    servers: Servers | None, memory: _Memory, window: _Window, players: int, acked: int
) -> dict[str, Any]:
    seconds, cpu, redis_cpu = window.seconds, window.server_cpu, window.redis_cpu
    return {
        "rss_mb": round(memory.end / 2**20, 1) if memory.end else None,
        "rss_peak_mb": round(memory.peak / 2**20, 1) if memory.peak else None,
        "kb_per_connection": (
            round((memory.connected - memory.before) / 1024 / players, 1)
            if memory.connected and memory.before and players
            else None
        ),
        "cpu_percent": round(100 * cpu / seconds, 1) if cpu is not None else None,
        "cpu_us_per_action": round(1e6 * cpu / acked) if cpu is not None and acked else None,
        "tracebacks": servers.tracebacks() if servers else None,
        "gc_pauses": window.gc_pauses,
        "store_stalls_ms": window.store_stalls,
        "redis_cpu_percent": round(100 * redis_cpu / seconds, 1) if redis_cpu is not None else None,
    }


def _report(
    run: Run,
    tables: list[TableRun],
    urls: list[str],
    servers: Servers | None,
    memory: _Memory,
    window: _Window,
    lag: list[float],
) -> dict[str, Any]:
    """The report `render` prints: the setup, what was sent and acked, latency, errors, costs, correctness."""
    options = run.options
    latency, correctness = analyse(tables)
    acked_actions = sum(len(t.actions) for t in tables)
    players = sum(len(t.players) for t in tables)
    connections = sum(len(t.players) + len(t.watchers) for t in tables)
    lag_values = np.array(lag) if lag else np.zeros(1)
    measured, cpu_used = window.seconds, window.loadgen_cpu
    report: dict[str, Any] = {
        "setup": {
            "tables": options.tables,
            "players": options.players,
            "watchers": options.watchers,
            "rate": options.rate,
            "duration": options.duration,
            "workers": len(urls),
            "store": servers.store_url if servers else None,
            "server_cpu": options.server_cpu,
            "urls": urls,
            "seed": options.seed,
        },
        "connections": {
            "total": connections,
            "players": players,
            "watchers": connections - players,
            "reconnects": run.reconnects,
        },
        "actions": {
            "sent": sum(run.sent.values()),
            "acked": acked_actions,
            "per_second": round(acked_actions / measured, 1),
            "by_kind": dict(run.sent),
            "deliveries_per_second": round(acked_actions * options.players / measured, 1),
        },
        "latency_ms": latency,
        "errors": dict(sorted(run.errors.items())),
        "server": _server_report(servers, memory, window, players, acked_actions),
        "loadgen": {
            "cpu_percent": round(100 * cpu_used / measured, 1),
            "cpu_us_per_action": round(1e6 * cpu_used / acked_actions) if acked_actions else None,
            "loop_lag_p99_ms": round(float(np.percentile(lag_values, 99)) * 1000, 1),
        },
        "correctness": correctness,
    }
    if servers and report["server"]["tracebacks"]:
        report["errors"]["server.traceback"] = report["server"]["tracebacks"]
    report["ok"] = correctness["passed"] and not report["errors"]
    return report


async def run_loadtest(options: Options) -> dict[str, Any]:
    """Run the whole load test and return the report (see `render` for the table): set up the tables, connect,
    start the rounds, measure, drain, report."""
    say = options.progress or (lambda line: None)
    if options.seed is None:
        options.seed = secrets.randbits(32)
    run = Run(options, load_deck(DEFAULT_DECK_PATH))
    workdir = Path(tempfile.mkdtemp(prefix="raaderum-loadtest-"))
    servers = Servers(options, workdir) if options.url is None else None
    tables: list[TableRun] = []
    report: dict[str, Any] = {}
    try:
        urls = (
            servers.start() if servers is not None else [u.strip().rstrip("/") for u in (options.url or "").split(",")]
        )
        pids = servers.pids if servers is not None else options.server_pids
        say(f"servers: {', '.join(urls)}" + (f" ({servers.store_url})" if servers else ""))
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            tables = await _setup(run, urls, http)
        say(f"{len(tables)} tables, {sum(len(t.players) for t in tables)} players seated")
        memory = await _connect(run, tables, pids)
        say(f"{run.connections} connections open")
        await _start_rounds(run, tables)
        lag: list[float] = []
        monitor = asyncio.create_task(_lag_monitor(lag))
        window = await _measure(run, tables, urls, servers, pids, memory, say)
        await _drain(run, tables)
        monitor.cancel()
        memory.end = total_rss(pids)
        report = _report(run, tables, urls, servers, memory, window, lag)
        return report
    finally:
        await _gather_limited((bot.close() for table in tables for bot in table.players + table.watchers), 256)
        if servers is not None:
            servers.stop()
        if report.get("ok"):
            shutil.rmtree(workdir, ignore_errors=True)
        elif servers is not None:
            say(f"server logs kept in {workdir}")


def main(options: Options) -> dict[str, Any]:
    """Run on a fresh event loop (uvloop when installed, as uvicorn uses)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard] on Linux
        return asyncio.run(run_loadtest(options))
    return uvloop.run(run_loadtest(options))
