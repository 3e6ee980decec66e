"""Direct writes (the server's own websocket protocol for table sockets, server/transport/wsnative.py) are
active under the production options, and /metrics says so.

The fast path is chosen by the websocket protocol uvicorn is given and by the app's lifespan state, so a
changed option or a uvicorn that no longer hands upgrades to it would turn it off without a failing test
elsewhere. These tests start
real processes the two ways the project does (`raaderum serve`, and testsupport's ServerProcess for the
tests, benches and load tester), connect a table websocket, and read `raaderum_direct_writes_active`.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.serving import WS_PROTOCOL, uvicorn_options
from tests.server.helpers import Api, Client, ServerProcess, free_port

RAADERUM = Path(sys.executable).parent / "raaderum"
METRIC = "raaderum_direct_writes_active"


@contextlib.contextmanager
def raaderum_serve(store_url: str, log: Path) -> Iterator[str]:
    """`raaderum serve` as an operator runs it (the installed console script); yields its base URL."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RAADERUM_", "REDIS_URL"))}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(RAADERUM), "serve", "--port", str(port), "--store", store_url],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def direct_writes_active(page: str) -> float:
    (sample,) = [s for family in text_string_to_metric_families(page) for s in family.samples if s.name == METRIC]
    return sample.value


async def metric_after_a_table_socket(url: str) -> tuple[float, float]:
    """(the metric before any table websocket, the metric while a player's websocket is attached)."""
    async with Api(url) as api:
        before = direct_writes_active((await api.http.get("/metrics")).text)
        conference = await api.create_conference()
        player = await api.join(conference.join_code, "Tove")
        async with await Client.connect(url.replace("http://", "ws://"), player.table_id) as client:
            await client.hello(player.token)
            await client.ok("chat", text="hej")  # a frame written to the socket after the attach
            during = direct_writes_active((await api.http.get("/metrics")).text)
    return before, during


def test_the_production_options_name_the_protocol_direct_writes_need() -> None:
    options = uvicorn_options(host="127.0.0.1", port=8000)
    assert options["ws"] == WS_PROTOCOL == "server.transport.wsnative:Upgrade"
    assert options["factory"]
    assert options["ws_per_message_deflate"] is False


async def test_raaderum_serve_writes_directly(tmp_path: Path) -> None:
    with raaderum_serve(f"sqlite:///{tmp_path / 'events.db'}", tmp_path / "serve.log") as url:
        before, during = await metric_after_a_table_socket(url)
    assert math.isnan(before)  # not known until a table websocket has connected
    assert during == 1


async def test_the_test_servers_write_directly_too(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'events.db'}", log_dir=tmp_path)
    server.start()
    try:
        assert (await metric_after_a_table_socket(server.url))[1] == 1
    finally:
        server.stop()


async def test_with_direct_writes_off_the_metric_says_so(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'events.db'}", env={"RAADERUM_DIRECT_WRITES": "0"}, log_dir=tmp_path)
    server.start()
    try:
        assert (await metric_after_a_table_socket(server.url))[1] == 0
    finally:
        server.stop()


class OtherProtocolServer(ServerProcess):
    """uvicorn on its other websockets implementation (`--ws websockets`): what direct writes cannot use."""

    def args(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app", "--ws", "websockets",
                "--port", str(self.port), "--log-level", "warning"]  # fmt: skip


async def test_a_protocol_without_direct_writes_falls_back_and_says_so(tmp_path: Path) -> None:
    server = OtherProtocolServer(f"sqlite:///{tmp_path / 'events.db'}", log_dir=tmp_path)
    server.start()
    try:
        assert (await metric_after_a_table_socket(server.url))[1] == 0  # and the game still works (a chat acked)
    finally:
        server.stop()
    assert "direct writes are on but" in server.log_text()
    assert server.tracebacks() == 0
