"""The servers of a run: processes it starts (and a throwaway Redis for `--store redis`), their memory and CPU.

The processes are `testsupport.ServerProcess`es: started with the uvicorn options of `raaderum serve`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from loadtest.options import LoadtestError, Options
from testsupport.redis import DURABLE, RedisServer
from testsupport.servers import ServerProcess


def rss_bytes(pid: int) -> int | None:
    """VmRSS of a process from /proc (Linux), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process from /proc/<pid>/stat, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def total_rss(pids: list[int]) -> int | None:
    sizes = [rss_bytes(pid) for pid in pids]
    return sum(size for size in sizes if size is not None) if sizes and None not in sizes else None


def total_cpu(pids: list[int]) -> float | None:
    times = [cpu_seconds(pid) for pid in pids]
    return sum(t for t in times if t is not None) if times and None not in times else None


CGROUP_PERIOD_US = 10_000  # short periods: a capped process waits at most a few ms for its next share


class CpuCap:
    """A cgroup that caps its processes at a share of one core (cgroup v2 `cpu.max` or v1 `cpu.cfs_*`).

    With the load generator and Redis on the same cores, two uncapped server processes run the machine out
    of CPU before they run out of their own: capping each one measures what a process adds, not the machine.
    """

    def __init__(self, name: str, share: float) -> None:
        quota = max(1000, round(share * CGROUP_PERIOD_US))
        v2, v1 = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu")
        try:
            if (v2 / "cgroup.controllers").is_file() and "cpu" in (v2 / "cgroup.subtree_control").read_text():
                self.path = v2 / name
                self.path.mkdir(exist_ok=True)
                (self.path / "cpu.max").write_text(f"{quota} {CGROUP_PERIOD_US}")
            elif (v1 / "cpu.cfs_quota_us").is_file():
                self.path = v1 / name
                self.path.mkdir(exist_ok=True)
                (self.path / "cpu.cfs_period_us").write_text(str(CGROUP_PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                raise LoadtestError("--server-cpu needs a cgroup cpu controller (/sys/fs/cgroup)")
        except OSError as error:
            raise LoadtestError(f"--server-cpu: cannot set up a cgroup ({error}); it needs root") from None

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()  # empty once its processes have exited


class Servers:
    """Server processes started for the run (and a throwaway redis-server for `--store redis`)."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.processes: list[ServerProcess] = []
        self.redis: RedisServer | None = None
        self.store_url = ""
        self.caps: list[CpuCap] = []

    @property
    def urls(self) -> list[str]:
        return [process.url for process in self.processes]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes if process.pid is not None]

    @property
    def redis_pids(self) -> list[int]:
        return [self.redis.pid] if self.redis is not None and self.redis.pid is not None else []

    def _store_url(self) -> str:
        store = self.options.store
        if store in (None, "sqlite"):
            return f"sqlite:///{self.workdir / 'loadtest.db'}"
        if store == "redis":
            if shutil.which("redis-server") is None:
                raise LoadtestError("--store redis needs redis-server on the PATH (or give a redis:// URL)")
            # With its latency monitor on, so that the report can name the store's stalls.
            self.redis = RedisServer(self.workdir / "redis", *DURABLE, "--latency-monitor-threshold", "20")
            try:
                self.redis.start()
            except RuntimeError as error:
                raise LoadtestError(f"redis-server did not start: {error}") from None
            return self.redis.url
        assert store is not None
        return store

    def start(self) -> list[str]:
        self.store_url = self._store_url()
        if self.options.workers > 1 and self.store_url.startswith("sqlite"):
            raise LoadtestError("several server processes need Redis: --store redis or --store redis://…")
        secret = secrets.token_hex(32)
        for number in range(self.options.workers):
            process = ServerProcess(
                self.store_url, env=self.options.server_env, log_dir=self.workdir, app=self.options.app, secret=secret
            )
            self.processes.append(process)
            try:
                process.start(timeout=60)
            except RuntimeError as error:
                raise LoadtestError(str(error)[-2000:]) from None
            if self.options.server_cpu is not None and process.pid is not None:
                self.caps.append(CpuCap(f"raaderum-loadtest-{os.getpid()}-{number + 1}", self.options.server_cpu))
                self.caps[-1].add(process.pid)
        return self.urls

    def store_stalls(self, *, reset: bool = False) -> dict[str, float] | None:
        """The throwaway Redis's latency monitor: the longest stall of each kind (ms) since the last reset.

        Redis blocks every client while it fsyncs under `appendfsync always`: a slow disk shows up here.
        """
        if self.redis is None:
            return None
        import redis  # the server extra's client, only needed for --store redis

        with redis.Redis.from_url(self.store_url) as client:
            if reset:
                client.execute_command("LATENCY", "RESET")
                return {}
            latest = client.execute_command("LATENCY", "LATEST")
        return {_text(event): float(max_ms) for event, _at, _last, max_ms in latest}

    def tracebacks(self) -> int:
        return sum(process.tracebacks() for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.stop(15)
        for cap in self.caps:
            cap.remove()
        if self.redis is not None:
            self.redis.stop()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
