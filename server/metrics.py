"""Prometheus metrics of one server process, served at GET /metrics.

Cheap on the hot path: label children are looked up once and cached, histograms are observed once per
command or event (never per socket), and the connection gauge moves on connect and disconnect only.
With several processes each serves its own figures: scrape every process (they carry no process label;
Prometheus adds the instance).
"""

from __future__ import annotations

import gc
import hmac
import math
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "render"]

# Seconds; the game's budget is tens of milliseconds, so the buckets are dense below 0.1 s.
_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

CONNECTIONS = Gauge("raaderum_connections", "Open websocket connections to tables in this process.")
COMMANDS = Counter(
    "raaderum_commands",
    "Command frames by type and result: ok, duplicate (a retry), rejected (a rule said no), invalid, failed.",
    ["type", "result"],
)
COMMAND_SECONDS = Histogram(
    "raaderum_command_seconds", "From a command frame read to its ack or error queued.", buckets=_FAST
)
EVENTS = Counter("raaderum_events_appended", "Events this process appended to the store, by type.", ["type"])
FANOUT_SECONDS = Histogram(
    "raaderum_fanout_seconds",
    "Handing one event to every connection of its table in this process: evolve, encode once per viewer "
    "class, write to each socket (or queue, on the ASGI path).",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
STORE_SECONDS = Histogram(
    "raaderum_store_seconds", "Event-store calls as the tables await them: append and read.", ["op"], buckets=_FAST
)
SLOW_CONSUMERS = Counter(
    "raaderum_slow_consumer_disconnects", "Connections closed with 4008 because the client did not read fast enough."
)
TABLES = Gauge("raaderum_tables_loaded", "Tables loaded in this process.")
GC_PAUSE_SECONDS = Histogram(
    "raaderum_gc_pause_seconds",
    "Cyclic garbage collections by generation: each stops the event loop, so long ones set latency's tail.",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
DIRECT_WRITES = Gauge(
    "raaderum_direct_writes_active",
    "1 when table websockets get their frames written straight to uvicorn's transport (direct writes), 0 when "
    "the last one fell back to the ASGI send queue; NaN until a table websocket has connected.",
)
DIRECT_WRITES.set(math.nan)

STORE_APPEND = STORE_SECONDS.labels("append")
STORE_READ = STORE_SECONDS.labels("read")

_commands: dict[tuple[str, str], Counter] = {}
_events: dict[str, Counter] = {}


def command(kind: str, result: str) -> None:
    child = _commands.get((kind, result))
    if child is None:
        child = _commands[(kind, result)] = COMMANDS.labels(kind, result)
    child.inc()


def event_appended(kind: str) -> None:
    child = _events.get(kind)
    if child is None:
        child = _events[kind] = EVENTS.labels(kind)
    child.inc()


def direct_writes(active: bool) -> None:
    """Whether the table websocket that just connected writes directly (server/transport/wsdirect.py)."""
    DIRECT_WRITES.set(1 if active else 0)


def track_tables(count: Callable[[], int]) -> None:
    TABLES.set_function(count)


_gc_pause = [GC_PAUSE_SECONDS.labels(str(generation)) for generation in range(3)]
_gc_started = 0.0


def _time_gc(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        _gc_pause[info["generation"]].observe(time.perf_counter() - _gc_started)


def track_gc() -> None:
    if _time_gc not in gc.callbacks:
        gc.callbacks.append(_time_gc)


def token_ok(expected: str | None, authorization: str | None) -> bool:
    """RAADERUM_METRICS_TOKEN, when set, as `Authorization: Bearer <token>` (Prometheus's `authorization`)."""
    if not expected:
        return True
    given = (authorization or "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), expected.encode())


def render() -> bytes:
    return generate_latest(REGISTRY)
