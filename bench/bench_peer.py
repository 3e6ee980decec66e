"""Råderum side by side with the shared peer (Colyseus): the same load generator against both, A B A B.

    .venv/bin/python bench/bench_peer.py                 # 250 tables × 8 players = 2,000 sockets, 15 s a point
    .venv/bin/python bench/bench_peer.py --quick         # a smoke run: 3 tables × 4 players, one point each

The peer and the load generator are the shared bench peer's files, kept identical in bench/peer/ (its README says
where they come from); their npm packages, pinned by bench/peer/package-lock.json, are installed from the npm
registry into bench/peer/node_modules/ (`npm ci`) when they are missing. Needs Node and npm
(scripts/ensure-node.sh installs them).

Every point is a fresh server process and one `node bench/peer/load.mjs` run against it: Colyseus is
`node bench/peer/peers/colyseus-server.mjs PORT`; Råderum is started as `raaderum loadtest` starts it
(`testsupport.ServerProcess`: `raaderum serve`'s uvicorn options, log level warning, waits for /healthz) on a
fresh temp SQLite file, or on `--store`. A point passes when the completion p99 (send → the last player at the
table has the chat) is ≤ 100 ms, with no incomplete message, no error and no unexpected delivery (and, for
Råderum, no traceback in the server's log). The completion p99 is the stricter of load.mjs's two p99s.

Each target searches its own rate like bench_loadtest.py's headroom: offered actions/s (all players together)
from its `--start-*`, up by `--step` after each pass, then halving the gap between the last pass and the first
failure until it is under `--resolution`, at most `--max-runs` points. The two searches take turns, one point
each (Colyseus, Råderum, Colyseus, …), so drift on the machine falls on both; a search that ends first leaves
the other to finish alone. `--repeat N` runs N such pairs of searches.

One line per point on stderr; the summary as JSON on stdout: the highest rate each target held (actions/s as
load.mjs measured them, `actions_per_s`), its p99s, and the ratio Råderum ÷ Colyseus (medians over the repeats).
Every point's load.mjs report is appended as one JSON line to `--out` (default data/bench-results.jsonl).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest.options import LoadtestError, Options
from loadtest.servers import Servers, cpu_seconds
from testsupport.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "bench" / "peer"
TARGETS = ("colyseus", "raaderum")
P99_MS = 100.0
CRITERION = "complete_ms.p99 <= 100 and incomplete_messages == 0 and errors == 0 and unexpected == 0"

# The Råderum server's environment for the bench. Product defaults stay as they are; these are set because:
# * RAADERUM_FRAMES_PER_SECOND / RAADERUM_FRAME_BURST: a websocket's abuse limit (20 frames/s, bursts of 40) is
#   for people. With fewer tables than 250 × 8 the search offers bots more than 20 chats a second each, which
#   the server would refuse with frame.rate_limited (an error: the point fails on the limit, not on latency);
#   the peer has no such limit. At 2,000 sockets the rates searched (1-3 a second per player) are far below it,
#   so the figures are the same with or without; the check itself still runs on every frame.
# * RAADERUM_ADMIN_PASSWORD empty: load.mjs creates its conferences without a password, so one set in the
#   caller's environment must not reach the bench's server.
RAADERUM_ENV = {
    "RAADERUM_FRAMES_PER_SECOND": "100000",
    "RAADERUM_FRAME_BURST": "100000",
    "RAADERUM_ADMIN_PASSWORD": "",
}


# ---- the peer's npm packages ------------------------------------------------------------------------------------


def ensure_packages(peer: Path = PEER) -> None:
    """`npm ci` in bench/peer when its packages are missing or older than package-lock.json."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench_peer: {tool} is missing (bash scripts/ensure-node.sh installs Node and npm)")
    lock = peer / "package-lock.json"
    installed = peer / "node_modules" / ".package-lock.json"  # npm writes it last
    needed = [peer / "node_modules" / name / "package.json" for name in ("ws", "@colyseus/core", "@colyseus/sdk")]
    if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime and all(p.is_file() for p in needed):
        return
    print(f"bench_peer: npm ci in {peer} (from the npm registry)", file=sys.stderr, flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=peer, check=True)


# ---- servers ----------------------------------------------------------------------------------------------------


@dataclass
class Started:
    url: str
    pids: list[int]


class ColyseusServer:
    """`node peers/colyseus-server.mjs PORT` on a free port; ready when it prints that it listens."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Started:
        for _ in range(3):
            port = free_port()
            log_path = self.workdir / f"colyseus-{port}.log"
            with log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    ["node", "peers/colyseus-server.mjs", str(port)],
                    cwd=PEER,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                text = log_path.read_text(errors="replace")
                if f"listening on {port}" in text:
                    return Started(f"ws://127.0.0.1:{port}", [self.process.pid])
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
            self.stop()
            if "EADDRINUSE" not in log_path.read_text(errors="replace"):
                raise RuntimeError(f"the Colyseus peer did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
        raise RuntimeError("the Colyseus peer found no free port")

    def tracebacks(self) -> int:
        return 0  # a Node error ends the process; load.mjs then counts the losses

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RaaderumServer:
    """One Råderum process as `raaderum loadtest` starts it (loadtest.servers.Servers: testsupport.ServerProcess)."""

    def __init__(self, workdir: Path, store: str) -> None:
        self.servers = Servers(Options(store=store, workers=1, server_env=dict(RAADERUM_ENV)), workdir)

    def start(self) -> Started:
        try:
            (url,) = self.servers.start()
        except LoadtestError as error:
            self.servers.stop()
            raise RuntimeError(f"the Råderum server did not start: {error}") from None
        return Started(url, self.servers.pids)

    def tracebacks(self) -> int:
        return self.servers.tracebacks()

    def stop(self) -> None:
        self.servers.stop()


# ---- one point --------------------------------------------------------------------------------------------------


@dataclass
class Setup:
    tables: int
    players: int
    duration: float
    warmup: float
    store: str
    out: Path
    workdir: Path

    @property
    def connections(self) -> int:
        return self.tables * self.players


def passed(report: dict[str, Any]) -> bool:
    complete = report.get("complete_ms") or {}
    p99 = complete.get("p99")
    return (
        report.get("exit_code") == 0
        and p99 is not None
        and p99 <= P99_MS
        and report.get("incomplete_messages") == 0
        and report.get("errors") == 0
        and report.get("unexpected") == 0
        and report.get("tracebacks", 0) == 0
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu(pids: list[int]) -> float | None:
    times = [cpu_seconds(pid) for pid in pids]
    return sum(t for t in times if t is not None) if times and None not in times else None


def run_point(setup: Setup, target: str, offered: float, label: str) -> dict[str, Any]:
    """A fresh server, one load.mjs run against it at `offered` actions/s in all; its report, with `passed`."""
    pointdir = Path(tempfile.mkdtemp(prefix=f"{target}-", dir=setup.workdir))
    server: ColyseusServer | RaaderumServer = (
        ColyseusServer(pointdir) if target == "colyseus" else RaaderumServer(pointdir, setup.store)
    )
    rate = offered / setup.connections
    started = server.start()
    try:
        command = [
            "node", "load.mjs", "--target", target, "--url", started.url,
            "--tables", str(setup.tables), "--players", str(setup.players), "--rate", f"{rate:.6g}",
            "--duration", f"{setup.duration:g}", "--warmup", f"{setup.warmup:g}",
        ]  # fmt: skip
        cpu_before, children_before, wall_before = _cpu(started.pids), _children_cpu(), time.monotonic()
        at = time.time()
        try:
            finished = subprocess.run(
                command,
                cwd=PEER,
                capture_output=True,
                text=True,
                timeout=setup.warmup + setup.duration + 180,  # connecting 2,000 sockets, the 2.5 s of grace
            )
            exit_code, stdout, stderr = finished.returncode, finished.stdout, finished.stderr
        except subprocess.TimeoutExpired as expired:
            exit_code, stdout, stderr = -1, _text(expired.stdout), _text(expired.stderr) + "\n(timed out)"
        wall = time.monotonic() - wall_before
        cpu_after, children_after = _cpu(started.pids), _children_cpu()
        tracebacks = server.tracebacks()
    finally:
        server.stop()
    report: dict[str, Any] = {}
    for line in reversed(stdout.splitlines()):
        with contextlib.suppress(json.JSONDecodeError):
            parsed = json.loads(line)
            if isinstance(parsed, dict):
                report = parsed
                break
    report.update(exit_code=exit_code, tracebacks=tracebacks)
    if exit_code != 0 or not report.get("target"):
        report["stderr_tail"] = stderr[-2000:]
    report["bench"] = {
        "script": "bench_peer",
        "label": label,
        "at": at,
        "target": target,
        "offered_actions_per_s": round(offered, 1),
        "store": setup.store if target == "raaderum" else None,
        # Over the whole load.mjs run (connecting, warm-up, measuring, grace), as % of one core.
        "server_cpu_percent": _percent(cpu_after, cpu_before, wall),
        "loadgen_cpu_percent": _percent(children_after, children_before, wall),
    }
    report["passed"] = passed(report)
    if report["passed"] or exit_code == 0:
        shutil.rmtree(pointdir, ignore_errors=True)  # the server's log and store; kept when load.mjs failed
    setup.out.parent.mkdir(parents=True, exist_ok=True)
    with setup.out.open("a") as file:
        file.write(json.dumps(report) + "\n")
    print(describe(report), file=sys.stderr, flush=True)
    return report


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value or ""


def _percent(after: float | None, before: float | None, wall: float) -> float | None:
    return round(100 * (after - before) / wall, 1) if after is not None and before is not None and wall > 0 else None


def describe(report: dict[str, Any]) -> str:
    bench = report["bench"]
    delivery, complete = report.get("delivery_ms") or {}, report.get("complete_ms") or {}
    verdict = "pass" if report["passed"] else "FAIL"
    if report["exit_code"] != 0:
        verdict += f" (load.mjs exit {report['exit_code']}: {report.get('stderr_tail', '').strip()[-300:]})"
    return (
        f"  {bench['label']}: {report.get('actions_per_s')} actions/s, delivery p99 {delivery.get('p99')} ms, "
        f"complete p50 {complete.get('p50')} p99 {complete.get('p99')} ms, "
        f"incomplete {report.get('incomplete_messages')}, "
        f"errors {report.get('errors')}, unexpected {report.get('unexpected')}, tracebacks {report['tracebacks']}, "
        f"server cpu {bench['server_cpu_percent']} %, loadgen cpu {bench['loadgen_cpu_percent']} % → {verdict}"
    )


# ---- the search -------------------------------------------------------------------------------------------------


@dataclass
class Search:
    """One target's headroom search over offered actions/s (as bench_loadtest.py's headroom)."""

    target: str
    rate: float  # the next point's offered actions/s
    step: float
    resolution: float
    max_runs: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    best_offered: float | None = None
    failed_at: float | None = None

    @property
    def done(self) -> bool:
        if len(self.runs) >= self.max_runs:
            return True
        return self.failed_at is not None and self.failed_at - (self.best_offered or 0.0) <= self.resolution

    def record(self, offered: float, report: dict[str, Any]) -> None:
        self.runs.append(report)
        if report["passed"]:
            if self.best_offered is None or offered > self.best_offered:
                self.best, self.best_offered = report, offered
            self.rate = offered + self.step if self.failed_at is None else (offered + self.failed_at) / 2
        else:
            self.failed_at = offered if self.failed_at is None else min(self.failed_at, offered)
            self.rate = ((self.best_offered or 0.0) + self.failed_at) / 2

    def result(self) -> dict[str, Any]:
        best = self.best or {}
        return {
            "held_actions_per_s": best.get("actions_per_s"),
            "offered_actions_per_s": round(self.best_offered, 1) if self.best_offered is not None else None,
            "rate_per_player": best.get("rate_per_player"),
            "complete_p99_ms": (best.get("complete_ms") or {}).get("p99"),
            "delivery_p99_ms": (best.get("delivery_ms") or {}).get("p99"),
            "first_failing_offered_actions_per_s": round(self.failed_at, 1) if self.failed_at is not None else None,
            # No point failed: the search ended on --max-runs still passing, so it holds at least this much.
            "lower_bound": self.best is not None and self.failed_at is None,
            "runs": len(self.runs),
        }


Runner = Callable[[str, float, str], dict[str, Any]]


def alternate(searches: list[Search], run: Runner, prefix: str = "") -> None:
    """One point per search in turn (A B A B …) until every search is done."""
    while not all(search.done for search in searches):
        for search in searches:
            if not search.done:
                offered = search.rate
                search.record(offered, run(search.target, offered, f"{prefix}{search.target} {offered:.0f}/s"))


def ratio(raaderum: float | None, colyseus: float | None) -> float | None:
    return round(raaderum / colyseus, 3) if raaderum is not None and colyseus else None


def _median(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return round(statistics.median(numbers), 1) if numbers else None


def summarize(setup: Setup, repeats: list[dict[str, dict[str, Any]]], quick: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "setup": {
            "tables": setup.tables,
            "players": setup.players,
            "connections": setup.connections,
            "duration_s": setup.duration,
            "warmup_s": setup.warmup,
            "raaderum_store": setup.store,
            "pass": CRITERION,
        },
    }
    if quick:
        out["note"] = "--quick: one point per target at a rate both hold; a smoke run, not a search (no ratio to quote)"
    for target in TARGETS:
        rows = [repeat[target] for repeat in repeats]
        out[target] = {
            "held_actions_per_s": _median([row["held_actions_per_s"] for row in rows]),
            "complete_p99_ms": _median([row["complete_p99_ms"] for row in rows]),
            "delivery_p99_ms": _median([row["delivery_p99_ms"] for row in rows]),
            "held_by_repeat": [row["held_actions_per_s"] for row in rows],
            "lower_bound": any(row["lower_bound"] for row in rows),
            "runs": sum(row["runs"] for row in rows),
        }
    out["ratio"] = ratio(out["raaderum"]["held_actions_per_s"], out["colyseus"]["held_actions_per_s"])
    out["ratio_is"] = "raaderum held_actions_per_s / colyseus held_actions_per_s"
    out["ratio_by_repeat"] = [
        ratio(r["raaderum"]["held_actions_per_s"], r["colyseus"]["held_actions_per_s"]) for r in repeats
    ]
    out["repeats"] = repeats
    return out


# ---- command line -----------------------------------------------------------------------------------------------

QUICK = {"tables": 3, "players": 4, "duration": 3.0, "warmup": 1.0, "max_runs": 1, "start": 24.0}
DEFAULTS = {"tables": 250, "players": 8, "duration": 15.0, "warmup": 3.0, "max_runs": 8}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=None, help="tables (250)")
    parser.add_argument("--players", type=int, default=None, help="players per table (8)")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per point (15)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of play before measuring (3)")
    parser.add_argument("--start-colyseus", type=float, default=None, help="first offered actions/s (3000)")
    parser.add_argument("--start-raaderum", type=float, default=None, help="first offered actions/s (1000)")
    parser.add_argument("--step", type=float, default=500, help="actions/s added after a pass, until a failure")
    parser.add_argument("--resolution", type=float, default=125, help="stop within this many actions/s")
    parser.add_argument("--max-runs", type=int, default=None, help="points per target and repeat at most (8)")
    parser.add_argument("--repeat", type=int, default=1, help="whole A/B searches")
    parser.add_argument("--store", default="sqlite", help="Råderum's store: sqlite (temp file), redis, or a URL")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench-results.jsonl")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 tables × 4 players, 3 s, one point each")
    args = parser.parse_args(argv)
    base = {**DEFAULTS, **(QUICK if args.quick else {})}
    for name, value in base.items():
        if name != "start" and getattr(args, name) is None:
            setattr(args, name, value)
    args.start_colyseus = args.start_colyseus or base.get("start", 3000.0)
    args.start_raaderum = args.start_raaderum or base.get("start", 1000.0)
    if args.tables < 1 or not 1 <= args.players <= 8:
        parser.error("--tables at least 1, --players 1-8 (the deck's seats)")
    return args


def raise_open_files(connections: int) -> None:
    """Each server holds a socket per player (and load.mjs one more each): a soft limit of 1,024 open files, common
    on Linux, would refuse 2,000. The servers inherit the limit from here, so it is raised to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        if hard != resource.RLIM_INFINITY and hard < wanted:
            print(f"bench_peer: at most {hard} open files (ulimit -Hn) for {connections} sockets", file=sys.stderr)


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    workdir = Path(tempfile.mkdtemp(prefix="raaderum-bench-peer-"))
    try:
        yield workdir
    finally:
        with contextlib.suppress(OSError):
            for left in workdir.iterdir():
                print(f"bench_peer: logs of a failed load run kept in {left}", file=sys.stderr)
            if not any(workdir.iterdir()):
                workdir.rmdir()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    ensure_packages()
    raise_open_files(args.tables * args.players)
    with workspace() as workdir:
        setup = Setup(args.tables, args.players, args.duration, args.warmup, args.store, args.out, workdir)
        print(
            f"bench_peer: {setup.tables} tables × {setup.players} players = {setup.connections} sockets, "
            f"{setup.duration:g} s a point; pass: {CRITERION}",
            file=sys.stderr,
            flush=True,
        )
        repeats = []
        for number in range(args.repeat):
            searches = [
                Search("colyseus", args.start_colyseus, args.step, args.resolution, args.max_runs),
                Search("raaderum", args.start_raaderum, args.step, args.resolution, args.max_runs),
            ]
            prefix = f"#{number + 1} " if args.repeat > 1 else ""
            alternate(searches, lambda target, offered, label: run_point(setup, target, offered, label), prefix)
            repeats.append({search.target: search.result() for search in searches})
        return summarize(setup, repeats, args.quick)


def headline(summary: dict[str, Any]) -> str:
    def held(target: str) -> str:
        row = summary[target]
        figure = row["held_actions_per_s"]
        if figure is None:
            return f"{target} held no rate"
        at_least = "≥ " if row["lower_bound"] else ""
        return f"{target} {at_least}{figure:g} actions/s (completion p99 {row['complete_p99_ms']} ms)"

    return f"bench_peer: {held('colyseus')}; {held('raaderum')}; ratio råderum/colyseus {summary['ratio']}"


if __name__ == "__main__":
    result = main()
    print(headline(result), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
