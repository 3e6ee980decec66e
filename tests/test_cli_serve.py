"""`raaderum serve` and `raaderum demo` as real processes: the installed console script, a real port, real stores."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from testsupport.redis import RedisServer

RAADERUM = Path(sys.executable).parent / "raaderum"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """The environment without any setting that would change what the command line asks for."""
    settings = ("RAADERUM_", "REDIS_URL", "PORT", "WEB_CONCURRENCY")
    return {key: value for key, value in os.environ.items() if not key.startswith(settings)}


class Lines:
    """A stream read line by line on a thread, so a test can wait for a line with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with contextlib.suppress(ValueError, OSError):  # the stream was closed under us
            for line in stream:
                self.lines.append(line.rstrip("\n"))
        self.ended.set()

    def matches(self, pattern: str) -> list[re.Match[str]]:
        regex = re.compile(pattern)
        return [match for line in list(self.lines) if (match := regex.search(line))]

    def wait_for(self, pattern: str, count: int = 1, timeout: float = START_TIMEOUT) -> list[re.Match[str]]:
        """The first `count` lines that match, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matches(pattern)
            if len(found) >= count:
                return found[:count]
            if self.ended.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"not {count} lines matching {pattern!r}; got:\n" + "\n".join(self.lines))
            time.sleep(0.02)


@contextlib.contextmanager
def raaderum(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """Run `raaderum ARGS` in its own process group; stop it (and its workers) when done."""
    process = subprocess.Popen(
        [str(RAADERUM), *args],
        cwd=cwd,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    output = Lines(process.stdout)
    try:
        yield process, output
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group this test created: the server and its workers
                process.wait()
        process.stdout.close()


def wait_healthy(base_url: str, process: subprocess.Popen[str], output: Lines) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"raaderum exited with {process.returncode}:\n" + "\n".join(output.lines))
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(f"{base_url}/healthz", timeout=1.0)
            if response.status_code == 200:
                body: dict[str, str] = response.json()
                return body
        time.sleep(0.05)
    raise AssertionError(f"no /healthz within {START_TIMEOUT} s")


def test_the_console_script_is_installed() -> None:
    assert RAADERUM.exists(), f"{RAADERUM} is missing: pip install -e '.[dev]'"


def test_serve_on_sqlite_answers_healthz(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "store" / "x.db"
    with raaderum("serve", "--port", str(port), "--store", f"sqlite:///{database}", cwd=tmp_path) as (process, out):
        health = wait_healthy(f"http://127.0.0.1:{port}", process, out)
        assert health == {"status": "ok", "store": "sqlite", "store_state": "ok"}
        assert database.exists()
    assert not (tmp_path / "data").exists(), "the default ./data store was opened although --store was given"


def test_demo_prints_the_control_room_link_and_two_join_codes_that_work(tmp_path: Path) -> None:
    port = free_port()
    with raaderum("demo", "--port", str(port), cwd=tmp_path) as (process, out):
        [token_line] = out.wait_for(rf"Kontrolrum .*: http://127\.0\.0\.1:{port}/control/(\S+)#token=(\S+)")
        token = token_line.group(2)
        out.wait_for(rf"Projektorskærm: http://127\.0\.0\.1:{port}/projector/\S+#token=\S+")
        first, second = out.wait_for(
            rf"Bord \d: kode ([A-Z0-9]{{6}})\s+→\s+http://127\.0\.0\.1:{port}/join/\1", count=2
        )
        out.wait_for(rf"http://127\.0\.0\.1:{port}/docs")
        assert token.count(".") == 1
        assert first.group(1) != second.group(1)
        base_url = f"http://127.0.0.1:{port}"
        assert wait_healthy(base_url, process, out)["store"] == "sqlite"
        response = httpx.post(f"{base_url}/api/join", json={"code": second.group(1), "name": "Tove"}, timeout=10)
        assert response.status_code == 200, response.text
        table_id = response.json()["table_id"]
        # The facilitator token opens the table's log, and the join is in it.
        events = httpx.get(
            f"{base_url}/api/tables/{table_id}/events",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert events.status_code == 200, events.text
        assert [e["type"] for e in events.json()["events"]] == ["game_created", "player_joined"]
    assert (tmp_path / "data" / "raaderum.db").exists(), "demo keeps its SQLite file in ./data"


def test_demo_prints_the_proev_selv_table_first_where_one_person_plays_with_three_bots(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with raaderum("demo", "--port", str(port), cwd=tmp_path) as (process, out):
        [solo] = out.wait_for(rf"Prøv selv \(du og tre bots\): {base_url}/join/([A-Z0-9]{{6}})")
        [control] = out.wait_for(rf"Runde 1 starter, .*kontrolrummet: {base_url}/control/(\S+)#token=(\S+)")
        links = [line for line in out.lines if "http://" in line]
        assert links[0] == solo.string, "the Prøv selv join link comes first"
        wait_healthy(base_url, process, out)
        response = httpx.post(f"{base_url}/api/join", json={"code": solo.group(1), "name": "Tove"}, timeout=10)
        assert response.status_code == 200, response.text
        table_id = response.json()["table_id"]
        headers = {"Authorization": f"Bearer {control.group(2)}"}
        events = httpx.get(f"{base_url}/api/tables/{table_id}/events", headers=headers, timeout=10).json()["events"]
        joined = [e["data"] for e in events if e["type"] == "player_joined"]
        assert [j.get("bot", False) for j in joined] == [True, True, True, False]
        assert joined[-1]["name"] == "Tove"
        # Round 1 started when Tove sat down: she plays at once, nobody has to open the control room.
        assert [e["type"] for e in events][-2:] == ["roles_dealt", "round_started"]


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'x.db'}"
    with raaderum("serve", "--port", str(free_port()), "--workers", "2", "--store", store, cwd=tmp_path) as (
        process,
        out,
    ):
        assert process.wait(START_TIMEOUT) == 2
        out.wait_for(r"(?i)workers.*Redis", timeout=5)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.redis
def test_several_workers_on_redis_serve(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis_server:
        port = free_port()
        args = ("serve", "--port", str(port), "--workers", "2", "--store", redis_server.url)
        with raaderum(*args, cwd=tmp_path) as (process, out):
            base_url = f"http://127.0.0.1:{port}"
            assert wait_healthy(base_url, process, out) == {"status": "ok", "store": "redis", "store_state": "ok"}
            # Each request on a new connection: the kernel spreads them over both workers.
            created = httpx.post(f"{base_url}/api/conferences", json={"name": "To workers", "tables": 1}, timeout=10)
            assert created.status_code == 201, created.text
            code = created.json()["tables"][0]["join_code"]
            for name in ("Anna", "Bo", "Carl"):
                joined = httpx.post(f"{base_url}/api/join", json={"code": code, "name": name}, timeout=10)
                assert joined.status_code == 200, joined.text
            started = out.wait_for(r"Started server process \[(\d+)\]", count=2)
            assert len({match.group(1) for match in started}) == 2, "two worker processes"
