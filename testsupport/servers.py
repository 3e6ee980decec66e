"""Real Råderum server processes: `ServerProcess` starts one on a free port and stops or kills it.

Each runs `python -m testsupport.serve`, which starts uvicorn with the options `raaderum serve` uses
(`server.serving.uvicorn_options`), so the tests and the load tester measure the production set-up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from server.serving import APP

ROOT = Path(__file__).resolve().parents[1]
# A fixed secret: a restarted process (or a second one on the same Redis) accepts the first one's tokens.
TEST_SECRET = "raaderum-test-secret-not-for-production"
TRACEBACK = "Traceback (most recent call last)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PortTaken(RuntimeError):
    pass


class ServerProcess:
    """A real server process serving the app factory `app` on 127.0.0.1:`port`.

    The process gets RAADERUM_STORE=`store_url` and RAADERUM_SECRET=`secret`; `env` adds or overrides
    variables. Its output goes to `log_path` in `log_dir`.
    """

    def __init__(
        self,
        store_url: str,
        port: int | None = None,
        *,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        app: str = APP,
        secret: str = TEST_SECRET,
    ) -> None:
        self.store_url = store_url
        self._chosen_port = port is None
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.app = app
        self.secret = secret
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="raaderum-server-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / f"uvicorn-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._started = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def args(self) -> list[str]:
        return [sys.executable, "-m", "testsupport.serve", "--app", self.app, "--port", str(self.port)]

    def start(self, timeout: float = 20.0, poll: float = 0.05) -> None:
        """Start the process and wait until GET /healthz answers 200 (asked every `poll` seconds).

        A port this object picked itself is picked again if another process took it in the meantime; a
        restart keeps its port, as a supervisor restarting a crashed server would.
        """
        for attempt in range(3):
            try:
                self._start(timeout, poll)
            except PortTaken:
                if not self._chosen_port or self._started or attempt == 2:
                    raise
                self.port = free_port()
                self.log_path = self.log_dir / f"uvicorn-{self.port}.log"
            else:
                self._started = True
                return

    def _start(self, timeout: float, poll: float) -> None:
        if self.running():
            raise RuntimeError(f"server on port {self.port} is already running")
        env = {
            **os.environ,
            "RAADERUM_STORE": self.store_url,
            "RAADERUM_SECRET": self.secret,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("REDIS_URL", None)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} {self.store_url} env={self.extra_env}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.args(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    message = (
                        f"the server on port {self.port} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                    self.process = None
                    raise PortTaken(message) if "address already in use" in message else RuntimeError(message)
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return
                time.sleep(poll)
        self.kill9()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def kill9(self) -> None:
        """Crash: SIGKILL, no shutdown handlers, nothing flushed that was not already written."""
        self._end(signal.SIGKILL, 10.0)

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM), SIGKILL if it takes longer than `timeout`."""
        self._end(signal.SIGTERM, timeout)

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

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def tracebacks(self) -> int:
        """Unhandled exceptions in the log so far."""
        return self.log_text().count(TRACEBACK)
