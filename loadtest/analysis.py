"""The figures of a run: latency and the correctness check from what the bots received, and the GC pauses."""

from __future__ import annotations

from typing import Any

import numpy as np

from loadtest.bots import TableRun


def percentiles(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ms = values * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2),
            "max": round(float(ms.max()), 2)}  # fmt: skip


def analyse(tables: list[TableRun]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(latency, correctness) over every table."""
    latencies: list[np.ndarray] = []
    resumed = 0
    undelivered = 0
    problems: list[str] = []
    contiguous = identical = complete = True
    for table in tables:
        bots = table.players + table.watchers
        final = max([bot.last_seq for bot in bots] + [seq for _, seq in table.actions] + [0])
        for bot in bots:
            name = f"table {table.number} {bot.kind} {bot.index}"
            if bot.gaps:
                contiguous = False
                problems.append(f"{name}: seqs not contiguous: expected {bot.gaps[0][0]}, got {bot.gaps[0][1]}")
            if bot.last_seq < final:
                complete = False
                problems.append(f"{name}: stopped at seq {bot.last_seq}, the table reached {final}")
        width = final + 1
        players = table.players
        if not players or not table.actions:
            continue
        times = np.full((len(players), width), np.nan)
        crcs = np.zeros((len(players), width), dtype=np.int64)
        seen = np.zeros((len(players), width), dtype=bool)
        replayed = np.zeros((len(players), width), dtype=bool)
        for row, bot in enumerate(players):
            seqs = np.frombuffer(bot.seqs, dtype=np.int64) if len(bot.seqs) else np.zeros(0, dtype=np.int64)
            seqs = np.clip(seqs, 0, final)
            times[row, seqs] = np.frombuffer(bot.times, dtype=np.float64) if len(bot.times) else 0.0
            crcs[row, seqs] = np.array(bot.crcs, dtype=np.int64)
            seen[row, seqs] = True
            replayed[row, seqs] = (
                np.frombuffer(bot.replayed, dtype=np.int8).astype(bool) if len(bot.replayed) else False
            )
        high = np.where(seen, crcs, -1).max(axis=0)
        low = np.where(seen, crcs, 2**40).min(axis=0)
        differ = np.nonzero(seen.any(axis=0) & (high != low))[0]
        if differ.size:
            identical = False
            problems.append(f"table {table.number}: players saw different events at seq {int(differ[0])}")
        actions = np.array(table.actions, dtype=np.float64)
        sent, seqs = actions[:, 0], actions[:, 1].astype(np.int64)
        got = seen[:, seqs].all(axis=0)
        via_replay = replayed[:, seqs].any(axis=0)
        undelivered += int((~got).sum())
        resumed += int((got & via_replay).sum())
        live = got & ~via_replay
        if live.any():
            latencies.append(times[:, seqs[live]].max(axis=0) - sent[live])
    values = np.concatenate(latencies) if latencies else np.zeros(0)
    latency = {"count": int(values.size), **percentiles(values), "excluded_resumed": resumed,
               "undelivered": undelivered}  # fmt: skip
    correctness = {
        "passed": contiguous and identical and complete and undelivered == 0,
        "contiguous": contiguous,
        "identical": identical,
        "complete": complete and undelivered == 0,
        "problems": problems[:20],
    }
    return latency, correctness


def gc_report(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, Any] | None:
    if before is None or after is None:
        return None
    done = {key: after[key] - before[key] for key in after}
    return {
        "pauses": int(done["count"]),
        "total_ms": round(done["seconds"] * 1000, 1),
        "over_50ms": int(done["count"] - done["under_0.05"]),
        "over_100ms": int(done["count"] - done["under_0.1"]),
    }
