"""bench/bench_peer.py: Råderum and the shared Colyseus peer under the same load generator (bench/peer/load.mjs).

The smoke run starts both real servers and real load.mjs runs (Node, and the npm packages that
scripts/ensure-npm-packages.sh installs, as `make test` does); the search is checked on its own with a stand-in
for the servers, whose limits are known.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "bench_peer.py"
SHARED = ROOT.parent / "shared" / "bench-peer"
PEER_FILES = ("load.mjs", "peers/colyseus-server.mjs", "package.json")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_peer", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_peer"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is missing: bash scripts/ensure-node.sh installs it (make test runs it)")
    return found


def test_the_quick_run_measures_both_targets_with_the_same_load_and_writes_every_point(
    node: str, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    summary = json.loads(finished.stdout)
    assert summary["setup"]["connections"] == 12
    assert "complete_ms.p99 <= 100" in summary["setup"]["pass"]
    for target in ("colyseus", "raaderum"):
        held = summary[target]
        assert held["held_actions_per_s"] > 0, finished.stderr
        assert held["complete_p99_ms"] is not None
        assert held["delivery_p99_ms"] is not None
        assert held["runs"] == 1
    assert summary["ratio"] == round(
        summary["raaderum"]["held_actions_per_s"] / summary["colyseus"]["held_actions_per_s"], 3
    )
    points = [json.loads(line) for line in out.read_text().splitlines()]
    assert [point["target"] for point in points] == ["colyseus", "raaderum"]  # A, then B
    for point in points:
        assert point["bench"]["script"] == "bench_peer"
        assert point["connections"] == 12
        assert point["errors"] == 0
        assert point["incomplete_messages"] == 0
        assert point["unexpected"] == 0
        assert point["tracebacks"] == 0
        assert point["passed"] is True
    # One stderr line per point.
    assert sum(" → pass" in line for line in finished.stderr.splitlines()) == 2
    assert f"ratio råderum/colyseus {summary['ratio']}" in finished.stderr.splitlines()[-1]


def test_a_raaderum_point_is_not_refused_by_the_per_socket_frame_limit(
    bench: ModuleType, node: str, tmp_path: Path
) -> None:
    """40 chats a second per bot, twice the limit a person's socket gets (20/s, bursts of 40): the bench's
    server is started with the limit raised, so few tables at a high rate measure the server, not the limit."""
    bench.ensure_packages()
    setup = bench.Setup(
        tables=2, players=3, duration=2.0, warmup=1.0, store="sqlite", out=tmp_path / "r.jsonl", workdir=tmp_path
    )
    report = bench.run_point(setup, "raaderum", 240.0, "raaderum 240/s")
    assert report["exit_code"] == 0, report.get("stderr_tail")
    assert report["rate_per_player"] == 40
    assert report["errors"] == 0
    assert report["incomplete_messages"] == 0


def passing(offered: float, limit: float) -> dict[str, Any]:
    ok = offered <= limit
    return {"passed": ok, "actions_per_s": offered, "complete_ms": {"p99": 50.0 if ok else 500.0}}


def test_the_two_searches_take_turns_and_each_finds_its_own_highest_rate(bench: ModuleType) -> None:
    limits = {"colyseus": 4300.0, "raaderum": 1700.0}  # stand-ins for the servers: pass up to their limit
    calls: list[tuple[str, float]] = []

    def run(target: str, offered: float, label: str) -> dict[str, Any]:
        calls.append((target, offered))
        return passing(offered, limits[target])

    searches = [
        bench.Search("colyseus", 3000.0, 500.0, 125.0, 10),
        bench.Search("raaderum", 1000.0, 500.0, 125.0, 10),
    ]
    bench.alternate(searches, run)
    colyseus, raaderum = searches
    both = 2 * min(len(colyseus.runs), len(raaderum.runs))
    assert [target for target, _ in calls[:both]] == ["colyseus", "raaderum"] * (both // 2)
    assert [rate for target, rate in calls if target == "raaderum"] == [1000, 1500, 2000, 1750, 1625]
    for search in searches:
        assert search.done
        assert search.best_offered <= limits[search.target] < search.failed_at
        assert search.failed_at - search.best_offered <= 125
        assert search.result()["held_actions_per_s"] == search.best_offered
        assert search.result()["lower_bound"] is False
    assert bench.ratio(raaderum.best_offered, colyseus.best_offered) == round(1625 / 4250, 3)


def test_a_search_that_ends_on_max_runs_still_passing_says_its_figure_is_a_lower_bound(bench: ModuleType) -> None:
    search = bench.Search("colyseus", 1000.0, 500.0, 125.0, 3)
    bench.alternate([search], lambda target, offered, label: passing(offered, 1e9))
    assert len(search.runs) == 3
    assert search.result()["held_actions_per_s"] == 2000
    assert search.result()["lower_bound"] is True


def test_a_search_that_never_passes_ends_with_nothing_held_and_no_ratio(bench: ModuleType) -> None:
    search = bench.Search("raaderum", 1000.0, 500.0, 125.0, 10)
    bench.alternate([search], lambda target, offered, label: passing(offered, 0.0))
    assert search.done
    assert len(search.runs) < 10  # it stops once the first failing rate is within the resolution of 0
    assert search.result()["held_actions_per_s"] is None
    assert bench.ratio(None, 4000.0) is None


@pytest.mark.parametrize(
    ("change", "holds"),
    [
        ({}, True),
        ({"complete_ms": {"p50": 5.0, "p99": 100.1}}, False),
        ({"complete_ms": {"p50": None, "p99": None}}, False),
        ({"incomplete_messages": 1}, False),
        ({"errors": 1}, False),
        ({"unexpected": 1}, False),
        ({"tracebacks": 1}, False),
        ({"exit_code": 1}, False),
    ],
)
def test_a_point_holds_only_with_complete_p99_within_100_ms_and_nothing_lost(
    bench: ModuleType, change: dict[str, Any], holds: bool
) -> None:
    report = {
        "complete_ms": {"p50": 5.0, "p99": 100.0},
        "delivery_ms": {"p99": 10.0},
        "incomplete_messages": 0,
        "errors": 0,
        "unexpected": 0,
        "tracebacks": 0,
        "exit_code": 0,
        **change,
    }
    assert bench.passed(report) is holds


@pytest.mark.parametrize("name", PEER_FILES)
def test_the_peer_files_are_the_shared_bench_peers(name: str) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"no shared bench peer beside this checkout ({SHARED}); the copies cannot be compared here")
    assert (ROOT / "bench" / "peer" / name).read_bytes() == (SHARED / name).read_bytes()


def test_the_open_files_limit_is_raised_for_the_servers_it_starts() -> None:
    """A Råderum server holds a socket per player; at a soft limit of a few hundred open files (1,024 is common)
    it refuses connections (load.mjs ends with ECONNRESET). The servers inherit the bench's raised limit."""
    probe = f"""
import importlib.util, resource, subprocess, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
spec = importlib.util.spec_from_file_location("bench_peer", {str(SCRIPT)!r})
module = importlib.util.module_from_spec(spec)
sys.modules["bench_peer"] = module
spec.loader.exec_module(module)
module.raise_open_files(2000)
ask = "import resource; print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
print(hard, subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, check=True).stdout)
"""
    finished = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr[-2000:]
    hard, child = (int(word) for word in finished.stdout.split())
    if 0 <= hard < 2512:
        pytest.skip(f"the hard limit here ({hard}) is below what 2,000 sockets need; nothing to raise to")
    assert child == hard
