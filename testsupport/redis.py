"""A throwaway ``redis-server`` on a unix socket.

In memory, nothing on disk: ``with redis_server(tmp_path) as server: store = open_store(server.url)``.

Crash tests: ``server = RedisServer(tmp_path, "--appendonly", "yes", "--appendfsync", "always")``, then
``server.start()``, ``server.kill()`` (SIGKILL) and ``server.start()`` again on the same AOF in ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# sun_path is 108 bytes on Linux (104 on macOS); longer socket paths fail to bind.
_MAX_SOCKET_PATH = 100

# AOF with fsync before every reply: the durability docs/operations.md asks of a production Redis.
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


class RedisServer:
    """One ``redis-server`` process. Extra args are appended to the defaults, so they override them."""

    def __init__(self, directory: Path | str, *extra_args: str, executable: str | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.extra_args = extra_args
        self.executable = executable or shutil.which("redis-server") or "/usr/bin/redis-server"
        socket_path = self.dir / "redis.sock"
        if len(str(socket_path)) > _MAX_SOCKET_PATH:
            socket_path = Path(tempfile.mkdtemp(prefix="rds")) / "redis.sock"
        self.socket_path = socket_path
        self.log_path = self.dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def args(self) -> list[str]:
        return [
            self.executable,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.dir),  # keeps any AOF/RDB file out of the working directory
            "--logfile", str(self.log_path),
            *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("redis-server is already running")
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self.process = subprocess.Popen(
            self.args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: {err}{self._log_tail()}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING within {timeout} s{self._log_tail()}")

    def ping(self) -> bool:
        """True once the server answers +PONG (not while it is still loading its AOF)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM)."""
        self._end(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Crash: SIGKILL, no chance to flush anything that was not already written."""
        self._end(signal.SIGKILL, 10.0)

    def _end(self, sig: signal.Signals, timeout: float) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()

    def _log_tail(self) -> str:
        try:
            return "\n" + "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def redis_server(directory: Path | str, *extra_args: str) -> Iterator[RedisServer]:
    """Start a throwaway server in ``directory`` and stop it on exit."""
    with RedisServer(directory, *extra_args) as server:
        yield server
