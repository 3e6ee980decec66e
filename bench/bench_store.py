"""Event-store throughput and latency.

    .venv/bin/python bench/bench_store.py [--store sqlite|redis|all] [--seq 2000] [--tables 100] [--events 200]

Scenarios: (a) one table, sequential single-event appends; (b) N tables with one concurrent appender each
(a busy conference); (c) as (b) while the event loop is kept busy in Python, as a loaded server's is
(a store working in a thread must win the GIL back after every SQLite call). SQLite runs on a temp file
with and without group commit; Redis on a throwaway ``redis-server`` on a unix socket, in memory and with
``appendfsync always`` (the durability SQLite gives). CPU is this process's (every thread) per append,
a figure that other load on the machine disturbs far less than the rates; (c) burns CPU on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for testsupport when run as a script

from server.store import EventStore, NewEvent, open_store
from server.store.sqlite import SqliteEventStore
from testsupport.redis import RedisServer

PAYLOAD = json.dumps(
    {"kind": "vote.cast", "player": "p-3f9a", "card": "skole-07", "choice": "yes", "note": "Æblegrød ½ mio. kr."},
    ensure_ascii=False,
)


@dataclass
class Row:
    store: str
    scenario: str
    appends: int
    seconds: float
    latencies: list[float]
    cpu: float | None = None  # process CPU seconds (all threads) during the scenario

    @property
    def rate(self) -> float:
        return self.appends / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def sequential(store: EventStore, n: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    for v in range(n):
        t0 = time.perf_counter()
        await store.append("table:seq", v, [NewEvent("vote.cast", PAYLOAD)])
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - start, latencies


async def conference(store: EventStore, tables: int, events: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def table(t: int) -> None:
        for v in range(events):
            t0 = time.perf_counter()
            await store.append(f"table:{t}", v, [NewEvent("vote.cast", PAYLOAD)])
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(table(t) for t in range(tables)))
    return time.perf_counter() - start, latencies


async def busy_loop(stop: asyncio.Event, slice_seconds: float = 0.001) -> None:
    """Keep the event loop busy in pure Python, as a loaded server's is, yielding between slices."""
    while not stop.is_set():
        end = time.perf_counter() + slice_seconds
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(0)


async def conference_busy(store: EventStore, tables: int, events: int) -> tuple[float, list[float]]:
    """Scenario (b) while the event loop is busy: a store thread must win the GIL back for every call."""
    stop = asyncio.Event()
    burner = asyncio.create_task(busy_loop(stop))
    try:
        return await conference(store, tables, events)
    finally:
        stop.set()
        await burner


@asynccontextmanager
async def sqlite_store(max_batch: int | None) -> AsyncIterator[EventStore]:
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        store = SqliteEventStore(f"{tmp}/events.db", **({} if max_batch is None else {"max_batch": max_batch}))
        try:
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def redis_store(*server_args: str) -> AsyncIterator[EventStore]:
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp, RedisServer(tmp, *server_args) as server:
        store = open_store(server.url)
        try:
            yield store
        finally:
            await store.close()


async def run(args: argparse.Namespace) -> list[Row]:
    backends: list[tuple[str, Callable[[], AbstractAsyncContextManager[EventStore]]]] = []
    if args.store in ("sqlite", "all"):
        backends += [
            ("sqlite (group commit)", lambda: sqlite_store(None)),
            ("sqlite (no batching)", lambda: sqlite_store(1)),
        ]
    if args.store in ("redis", "all"):
        backends += [
            ("redis unix, no persistence", lambda: redis_store()),
            ("redis unix, aof always", lambda: redis_store("--appendonly", "yes", "--appendfsync", "always")),
        ]
    rows: list[Row] = []
    for name, factory in backends:
        async with factory() as store:
            cpu = time.process_time()
            seconds, lat = await sequential(store, args.seq)
            rows.append(Row(name, "(a) 1 table, sequential", args.seq, seconds, lat, time.process_time() - cpu))
        async with factory() as store:
            cpu = time.process_time()
            seconds, lat = await conference(store, args.tables, args.events)
            scenario = f"(b) {args.tables} tables x {args.events}, concurrent"
            rows.append(Row(name, scenario, args.tables * args.events, seconds, lat, time.process_time() - cpu))
        async with factory() as store:
            seconds, lat = await conference_busy(store, args.tables, args.events // 4)
            scenario = f"(c) as (b) x {args.events // 4}, busy event loop"
            rows.append(Row(name, scenario, args.tables * (args.events // 4), seconds, lat))
        print(f"  done: {name}", file=sys.stderr)
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'store':<28} {'scenario':<36} {'appends':>8} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'cpu µs':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        cpu = f"{r.cpu / r.appends * 1e6:>7.0f}" if r.cpu is not None else f"{'-':>7}"
        print(
            f"{r.store:<28} {r.scenario:<36} {r.appends:>8} {r.rate:>10,.0f} {r.pct(0.50):>8.2f} {r.pct(0.99):>8.2f}"
            f" {cpu}"
        )
    print(f"\n(one event of {len(PAYLOAD.encode())} bytes per append; latency = one append() call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "redis", "all"], default="all")
    parser.add_argument("--seq", type=int, default=2000, help="appends in scenario (a)")
    parser.add_argument("--tables", type=int, default=100, help="tables in scenario (b)")
    parser.add_argument("--events", type=int, default=200, help="appends per table in scenario (b)")
    args = parser.parse_args()
    print_table(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
