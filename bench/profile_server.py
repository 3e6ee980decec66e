"""Where a Råderum server's time goes under the peer's load: a py-spy profile summed into a budget per stage.

    .venv/bin/python bench/profile_server.py                        # 2,000 sockets at 1,500 actions/s, SQLite
    .venv/bin/python bench/profile_server.py --actions 1000 --seconds 10 --raw data/profile.txt

It starts one server (raaderum serve's options, a fresh temp SQLite file), drives it with the shared peer's
load generator (bench/peer/load.mjs: 250 tables × 8 players chatting, as bench_peer.py runs it), waits until
every socket is connected and the warm-up is over, and samples the server with py-spy for `--seconds`:
only the thread holding the GIL (`--gil`), 250 times a second, without stopping it (`--nonblocking`). Each
sample is put in one stage by its innermost frame that a stage claims (STAGES, in order), and the table
says what share of the event loop thread's GIL-held time each stage took, and that share of the thread's CPU
per action (/proc, kernel time included: a write system call's cost is in its stage); the CPU of the other
threads (the SQLite store's worker: statements, commits, fsync) comes apart. `--raw` keeps py-spy's
collapsed stacks, which any flame-graph tool draws.

Needs Node and the peer's npm packages (as bench_peer.py), and py-spy (the `dev` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_peer import PEER, RAADERUM_ENV, ensure_packages, raise_open_files
from loadtest.servers import cpu_seconds
from testsupport.servers import ServerProcess

SAMPLE_HZ = 250

# (stage, does this frame belong to it), tried from the innermost frame of a sample outwards; the first
# frame some stage claims decides. "function (file:line)" is how py-spy names a frame.
SQLITE_THREAD = "SQLite thread (holding the GIL)"
STAGES: list[tuple[str, Callable[[str], bool]]] = [
    ("fan-out: the write system calls", lambda f: f.startswith(("NativeSocket.write ", "DirectSocket.write "))),
    ("metrics", lambda f: "prometheus_client" in f or "server/metrics.py" in f),
    ("rules: decide", lambda f: f.startswith("decide (engine/rules.py")),
    ("rules: evolve", lambda f: f.startswith("evolve (engine/rules.py")),
    ("views: voting figures, what each viewer sees", lambda f: "engine/views.py" in f),
    (
        "encode: events, frames, the ack",
        lambda f: f.startswith(
            ("BaseModel.model_dump_json ", "event_frame ", "ack_frame ", "text_frame ", "Outgoing.wire ")
        ),
    ),
    ("store: append and its reply (event loop side)", lambda f: "server/store/" in f),
    ("frame in: websocket parse", lambda f: "server/transport/wsnative.py" in f),
    ("frame in: JSON decode and checks", lambda f: f.startswith("_prepare (server/transport/sessions.py")),
    ("command: validate, command id, answer", lambda f: f.startswith("_run_command (server/transport/sessions.py")),
    ("store follower (signals of appends)", lambda f: f.startswith("Tables.follow_store ")),
    ("table: lock, command ids, fan-out loop", lambda f: "server/live/tables.py" in f),
    ("connection: order of commands, one write with the ack", lambda f: "server/transport/sessions.py" in f),
    ("event loop and tasks", lambda f: "asyncio/" in f or "uvloop" in f),
]
OTHER = "other (HTTP, presence, imports, …)"


def stage_of(frames: list[str]) -> str:
    if any(frame.startswith("SqliteEventStore._run ") for frame in frames):
        return SQLITE_THREAD  # the store's worker thread, whatever it is doing
    for frame in reversed(frames):
        for stage, claims in STAGES:
            if claims(frame):
                return stage
    return OTHER


def budget(raw: str) -> Counter[str]:
    """Samples per stage from py-spy's raw (collapsed) output: `frame;frame;… count` per line."""
    stages: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stages[stage_of(stack.split(";"))] += int(count)
    return stages


def thread_cpu(pid: int, tid: int) -> float:
    """User + system CPU seconds of one thread (/proc/<pid>/task/<tid>/stat)."""
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connections(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    match = re.search(r"^raaderum_connections (\S+)$", text, re.M)
    return int(float(match[1])) if match else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--actions", type=float, default=1500, help="offered actions/s, all players together")
    parser.add_argument("--tables", type=int, default=250)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=12, help="how long to sample")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    ensure_packages()
    sockets = args.tables * args.players
    raise_open_files(sockets)
    warmup = 3.0
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(f"sqlite:///{folder}/bench.db", env=RAADERUM_ENV, log_dir=Path(folder))
        server.start()
        try:
            load = subprocess.Popen(
                [
                    *("node", str(PEER / "load.mjs"), "--target", "raaderum", "--url", server.url),
                    *("--tables", str(args.tables), "--players", str(args.players)),
                    *("--rate", str(args.actions / sockets), "--duration", str(args.seconds + 8)),
                    *("--warmup", str(warmup)),
                ],
                cwd=PEER,
                stdout=subprocess.PIPE,
                text=True,
            )
            while connections(server.url) < sockets:
                if load.poll() is not None:
                    raise SystemExit(f"load.mjs ended early: {load.stdout.read() if load.stdout else ''}")
                time.sleep(0.5)
            time.sleep(0.5 + warmup + 2)  # load.mjs waits 0.5 s, then warms up; then a margin
            pid = server.pid
            assert pid is not None
            before, loop_before, started = cpu_seconds(pid) or 0.0, thread_cpu(pid, pid), time.monotonic()
            raw_path = Path(folder) / "profile.txt"
            subprocess.run(
                [
                    *(spy, "record", "--gil", "--nonblocking", "-r", str(SAMPLE_HZ), "-d", str(int(args.seconds))),
                    *("-f", "raw", "-o", str(raw_path), "-p", str(pid)),
                ],
                check=True,
                capture_output=True,
            )
            wall = time.monotonic() - started
            cpu = ((cpu_seconds(pid) or 0.0) - before) / wall
            loop_cpu = (thread_cpu(pid, pid) - loop_before) / wall  # the main thread runs the event loop
            report, _ = load.communicate(timeout=120)
        finally:
            server.stop()
        raw = raw_path.read_text()
        if args.raw:
            args.raw.parent.mkdir(parents=True, exist_ok=True)
            args.raw.write_text(raw)
    held = report.strip().splitlines()[-1] if report.strip() else "{}"
    measured = json.loads(held)
    rate = float(measured.get("actions_per_s") or args.actions)
    stages = budget(raw)
    total = sum(stages.values())
    in_loop = total - stages[SQLITE_THREAD]
    loop_us = 1e6 * loop_cpu / rate
    print(f"load.mjs: {rate:,.0f} actions/s held, completion p99 {measured.get('complete_ms', {}).get('p99')} ms")
    print(f"server CPU: {100 * cpu:.0f} % of one core, {1e6 * cpu / rate:,.0f} µs per action (all threads)")
    print(f"event loop thread: {100 * loop_cpu:.0f} % of one core, {loop_us:,.0f} µs per action")
    print(f"other threads (the SQLite store's): {1e6 * (cpu - loop_cpu) / rate:,.0f} µs per action")
    print(f"py-spy: {total} samples of the thread holding the GIL at {SAMPLE_HZ} Hz\n")
    print("| stage (event loop thread) | share of its GIL time | ≈ µs of its CPU per action |\n| --- | --- | --- |")
    for stage, samples in stages.most_common():
        if stage != SQLITE_THREAD:
            print(f"| {stage} | {100 * samples / in_loop:.1f} % | {loop_us * samples / in_loop:.0f} |")
    print(f"\n{SQLITE_THREAD}: {100 * stages[SQLITE_THREAD] / total:.1f} % of all GIL samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
