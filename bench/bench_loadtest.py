"""The performance targets of docs/performance.md, measured with `raaderum loadtest` (loadtest/).

    .venv/bin/python bench/bench_loadtest.py conference [--repeat 3] [--duration 60]
    .venv/bin/python bench/bench_loadtest.py scaleout   [--repeat 3] [--duration 30]
    .venv/bin/python bench/bench_loadtest.py headroom   [--duration 20] [--setups sqlite,redis1,redis2]
                                                        [--server-cpu 0.4]  # each server capped (cgroups)
    .venv/bin/python bench/bench_loadtest.py memory     [--repeat 3]
    .venv/bin/python bench/bench_loadtest.py all

Each run starts its own server process(es) and, for Redis, a throwaway redis-server with AOF and
`appendfsync always`; the load generator runs in this process, on the same machine. Figures are medians
over `--repeat` runs, because other work on a small machine moves single runs a lot. Every run's report
is appended as one JSON line to `--out` (default data/bench-results.jsonl; data/ is not committed).

* conference: 60 tables × 8 players + control room + projector, SQLite, one process, one action per
  player every 5 s. Target: p99 ≤ 50 ms, no errors, correctness passes.
* scaleout: 250 tables × 8 players (2,000 connections) on Redis with 2 processes at the same rate.
  Target: p99 ≤ 100 ms.
* headroom: with 2,000 player connections (no watchers), the highest action rate each setup holds at
  p99 ≤ 100 ms with no errors and a passing correctness check: rates go up by steps until a run fails,
  then the step is halved between the last pass and the first failure.
* memory: server RSS per idle player connection (250 × 8 connected, nobody acting).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest import Options, main, render

ROOT = Path(__file__).resolve().parents[1]
SETUPS = {
    "sqlite": {"store": "sqlite", "workers": 1},
    "redis1": {"store": "redis", "workers": 1},
    "redis2": {"store": "redis", "workers": 2},
}


def run(out: Path, label: str, **fields: Any) -> dict[str, Any]:
    options = Options(progress=None, **fields)
    started = time.time()
    out.parent.mkdir(parents=True, exist_ok=True)
    report = main(options)
    report["bench"] = {"label": label, "at": started}
    with out.open("a") as file:
        file.write(json.dumps(report) + "\n")
    latency = report["latency_ms"]
    print(
        f"  {label}: {report['actions']['per_second']:.0f} actions/s, p50 {latency['p50']} p99 {latency['p99']} "
        f"max {latency['max']} ms, errors {report['errors'] or 'none'}, correctness "
        f"{'pass' if report['correctness']['passed'] else 'FAIL'}, server cpu {report['server']['cpu_percent']} %, "
        f"loadgen cpu {report['loadgen']['cpu_percent']} %",
        file=sys.stderr,
        flush=True,
    )
    return report


def passed(report: dict[str, Any], p99_ms: float) -> bool:
    p99 = report["latency_ms"]["p99"]
    return bool(report["ok"]) and p99 is not None and p99 <= p99_ms


def median_of(reports: list[dict[str, Any]], *path: str) -> float | None:
    values = []
    for report in reports:
        value: Any = report
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(float(value))
    return round(statistics.median(values), 2) if values else None


def summary(name: str, reports: list[dict[str, Any]], p99_ms: float) -> dict[str, Any]:
    return {
        "target": name,
        "runs": len(reports),
        "passed": sum(passed(r, p99_ms) for r in reports),
        "actions_per_second": median_of(reports, "actions", "per_second"),
        "p50_ms": median_of(reports, "latency_ms", "p50"),
        "p95_ms": median_of(reports, "latency_ms", "p95"),
        "p99_ms": median_of(reports, "latency_ms", "p99"),
        "max_ms": median_of(reports, "latency_ms", "max"),
        "errors": sum(sum(r["errors"].values()) for r in reports),
        "correctness": all(r["correctness"]["passed"] for r in reports),
        "server_rss_mb": median_of(reports, "server", "rss_mb"),
        "kb_per_connection": median_of(reports, "server", "kb_per_connection"),
        "server_cpu_percent": median_of(reports, "server", "cpu_percent"),
        "server_cpu_us_per_action": median_of(reports, "server", "cpu_us_per_action"),
        "loadgen_cpu_percent": median_of(reports, "loadgen", "cpu_percent"),
    }


def conference(args: argparse.Namespace) -> list[dict[str, Any]]:
    reports = [
        run(
            args.out,
            f"conference #{n + 1}",
            tables=60,
            players=8,
            duration=args.duration or 60,
            rate=0.2,
            store="sqlite",
            workers=1,
        )
        for n in range(args.repeat)
    ]
    print(render(reports[-1]), file=sys.stderr)
    return [summary("conference: 60 × 8 + watchers, SQLite, 1 process, 0.2/s", reports, 50)]


def scaleout(args: argparse.Namespace) -> list[dict[str, Any]]:
    reports = [
        run(
            args.out,
            f"scaleout #{n + 1}",
            tables=250,
            players=8,
            duration=args.duration or 30,
            rate=0.2,
            store="redis",
            workers=2,
        )
        for n in range(args.repeat)
    ]
    return [summary("scale-out: 250 × 8 + watchers, Redis, 2 processes, 0.2/s", reports, 100)]


def memory(args: argparse.Namespace) -> list[dict[str, Any]]:
    reports = [
        run(
            args.out,
            f"memory #{n + 1}",
            tables=250,
            players=8,
            duration=3,
            rate=0.0,
            watchers=False,
            reconnect_every=0,
            store="sqlite",
            workers=1,
        )
        for n in range(args.repeat)
    ]
    return [summary("memory: 2,000 idle player connections, SQLite, 1 process", reports, 1e9)]


def headroom(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for setup in args.setups.split(","):
        fields = SETUPS[setup]
        best: dict[str, Any] | None = None
        failed_at: float | None = None
        rate = args.start / 2000
        step = args.step / 2000
        resolution = args.resolution / 2000
        for _ in range(args.max_runs):
            if failed_at is not None and best is not None and failed_at - best["setup"]["rate"] <= resolution:
                break
            report = run(
                args.out,
                f"headroom {setup} {rate * 2000:.0f}/s",
                tables=250,
                players=8,
                duration=args.duration or 20,
                rate=rate,
                watchers=False,
                server_cpu=args.server_cpu,
                **fields,
            )
            if passed(report, 100):
                best = report if best is None or rate > best["setup"]["rate"] else best
                rate = rate + step if failed_at is None else (rate + failed_at) / 2
            else:
                failed_at = rate if failed_at is None else min(failed_at, rate)
                low = best["setup"]["rate"] if best else 0.0
                rate = (low + failed_at) / 2
        capped = f", servers capped at {args.server_cpu:g} core each" if args.server_cpu else ""
        row = summary(f"headroom: {setup}, 2,000 players{capped}", [best] if best else [], 100)
        row["first_failing_rate"] = round(failed_at * 2000) if failed_at is not None else None
        rows.append(row)
    return rows


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["conference", "scaleout", "headroom", "memory", "all"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=None, help="seconds of play per run")
    parser.add_argument("--setups", default="sqlite,redis1,redis2", help="headroom: which setups")
    parser.add_argument("--start", type=float, default=500, help="headroom: first total actions/s")
    parser.add_argument("--step", type=float, default=500, help="headroom: actions/s added after a pass")
    parser.add_argument("--resolution", type=float, default=100, help="headroom: stop within this many actions/s")
    parser.add_argument("--max-runs", type=int, default=10, help="headroom: runs per setup at most")
    parser.add_argument("--server-cpu", type=float, default=None, help="headroom: cap each server at this many cores")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench-results.jsonl")
    args = parser.parse_args()
    targets = ["memory", "conference", "scaleout", "headroom"] if args.target == "all" else [args.target]
    rows: list[dict[str, Any]] = []
    for target in targets:
        rows += {"conference": conference, "scaleout": scaleout, "headroom": headroom, "memory": memory}[target](args)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main_cli()
