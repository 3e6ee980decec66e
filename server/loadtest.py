"""`raaderum loadtest`: bots that play like people over real websockets, and the figures that show it held.

The run: start the server (or point at one), create a conference (several above 100 tables, the API's
limit, and at least one per server process: a conference and its tables live on one process, as a load
balancer routing by conference would place them), seat `players` bots at each of `tables` tables over
the HTTP API, connect them plus a control room (the facilitator on every table) and a
projector (a projector token on every table), start round 1 everywhere, then let every player act at
`rate` actions a second on average (a Poisson process): mostly chat, sometimes propose, amend or vote,
and reconnect now and then with `hello.after`. It ends with:

* latency: from a bot sending a command to the moment EVERY player bot at that table has received the
  event it caused (matched by the seq in the command's ack; arrival times are taken as frames are parsed);
* errors by code (error frames, unexpected closes, commands never answered);
* server memory (VmRSS of the processes it started) and CPU, and the load generator's own CPU;
* a correctness check: every connection saw seqs contiguous from its first, every player reached the
  table's final seq, and all players at a table saw the identical events (a CRC of each event frame).

The bots avoid moves the rules would refuse: they vote only with a voting role, never cast the deciding
vote (the conference runs under `consensus`, so proposals stay open and no vote races a resolution), and
change a vote only to a different choice. So any error is the server's, not the bots'.

Each connection is an `asyncio.Protocol` driving websockets' sans-I/O client: frames are handled as they
are parsed, without a task per message, so one load-generator process can drive thousands of players.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from engine.deck import DEFAULT_DECK_PATH, load_deck

ROOT = Path(__file__).resolve().parents[1]
MAX_TABLES_PER_CONFERENCE = 100  # the API's limit: bigger runs create several conferences
PROPOSALS_PER_TABLE = 40  # a real game sees a few dozen proposals; after that the bots chat and re-vote
EVENT_PREFIX = b'{"type":"event","seq":'
EVENT_TYPE_OFFSET = len(b',"event":{"type":"')
CHAT = b"message_posted"
ROLES_DEALT = b"roles_dealt"

# The action mix, per action of a player while a round is open (the rest is chat).
P_VOTE = 0.15
P_PROPOSE = 0.07
P_AMEND = 0.03


class LoadtestError(Exception):
    """The run could not be set up (a server did not start, the API refused the conference)."""


@dataclass
class Options:
    tables: int = 2
    players: int = 8
    duration: float = 10.0
    rate: float = 0.2  # actions per player per second
    url: str | None = None  # base URL(s), comma-separated: tables are spread over them; None = start servers
    store: str | None = None  # for started servers: a store URL, "sqlite" (temp file) or "redis" (throwaway)
    workers: int = 1  # server processes to start (several need Redis)
    watchers: bool = True  # a control room and a projector on every table
    reconnect_every: float = 120.0  # mean seconds between one player's reconnects; 0 = never
    seed: int | None = None
    app: str = "server.app:create_app"  # the app factory of started servers (tests serve a broken double)
    server_env: dict[str, str] = field(default_factory=dict)
    server_pids: list[int] = field(default_factory=list)  # with `url`: processes to read memory and CPU from
    server_cpu: float | None = None  # cap each started server process at this share of one core (cgroups)
    drain_seconds: float = 15.0
    connect_concurrency: int = 64
    progress: Callable[[str], None] | None = None


# ---------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.urls: list[str] = []
        self.redis: subprocess.Popen[bytes] | None = None
        self.store_url = ""
        self.caps: list[CpuCap] = []

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def _store_url(self) -> str:
        store = self.options.store
        if store in (None, "sqlite"):
            return f"sqlite:///{self.workdir / 'loadtest.db'}"
        if store == "redis":
            return self._start_redis()
        assert store is not None
        return store

    def _start_redis(self) -> str:
        executable = shutil.which("redis-server")
        if executable is None:
            raise LoadtestError("--store redis needs redis-server on the PATH (or give a redis:// URL)")
        directory = Path(tempfile.mkdtemp(prefix="rlt", dir="/tmp" if Path("/tmp").is_dir() else None))
        sock = directory / "redis.sock"
        # AOF with fsync before every reply: the durability `raaderum serve` documents for Redis.
        args = [executable, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir),
                "--logfile", str(self.workdir / "redis.log"), "--latency-monitor-threshold", "20"]  # fmt: skip
        self.redis = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1)
                client.connect(str(sock))
                client.sendall(b"PING\r\n")
                if client.recv(16).startswith(b"+PONG"):
                    return f"unix://{sock}"
            time.sleep(0.05)
        raise LoadtestError("redis-server did not start")

    def start(self) -> list[str]:
        self.store_url = self._store_url()
        if self.options.workers > 1 and self.store_url.startswith("sqlite"):
            raise LoadtestError("several server processes need Redis: --store redis or --store redis://…")
        env = {
            **os.environ,
            "RAADERUM_STORE": self.store_url,
            "RAADERUM_SECRET": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
            **self.options.server_env,
        }
        env.pop("REDIS_URL", None)
        for number in range(self.options.workers):
            port = free_port()
            log_path = self.workdir / f"server-{number + 1}.log"
            # The options `raaderum serve` gives uvicorn, minus the access log.
            args = [sys.executable, "-m", "uvicorn", "--factory", self.options.app, "--host", "127.0.0.1",
                    "--port", str(port), "--log-level", "warning", "--no-access-log",
                    "--ws-per-message-deflate", "false", "--ws-max-size", str(4 * 16 * 1024)]  # fmt: skip
            with log_path.open("wb") as log:
                self.processes.append(
                    subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
                )
            if self.options.server_cpu is not None:
                self.caps.append(CpuCap(f"raaderum-loadtest-{os.getpid()}-{number + 1}", self.options.server_cpu))
                self.caps[-1].add(self.processes[-1].pid)
            self.logs.append(log_path)
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2) as http:
            for process, url, log_path in zip(self.processes, self.urls, self.logs, strict=True):
                while True:
                    if process.poll() is not None:
                        raise LoadtestError(f"the server exited: {log_path.read_text(errors='replace')[-2000:]}")
                    with contextlib.suppress(httpx.HTTPError):
                        if http.get(f"{url}/healthz").status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise LoadtestError(f"the server at {url} did not answer /healthz")
                    time.sleep(0.05)
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
        return sum(path.read_text(errors="replace").count("Traceback (most recent call last)") for path in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for cap in self.caps:
            cap.remove()
        if self.redis is not None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait()


# ---------------------------------------------------------------------------------------------- websocket


class Link(asyncio.Protocol):
    """One websocket: websockets' sans-I/O client on an asyncio transport; frames go straight to `on_text`.

    websockets does the handshake, the close and every control frame. Once the connection is open, the
    server's data frames (never masked, never compressed here) are cut out of the stream by `_fast`, which
    costs a tenth of websockets' general parser: with thousands of players the load generator reads tens of
    thousands of frames a second on the same two cores as the server it measures.
    """

    def __init__(self, ws_url: str, on_text: Callable[[bytes], None], on_lost: Callable[[Link], None]) -> None:
        self.protocol = ClientProtocol(parse_uri(ws_url), max_size=2**22)
        self.on_text = on_text
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closing = False  # we started the close
        self.fast = False  # parsing data frames ourselves
        self.pending = b""  # the start of a frame not yet complete
        self.fragments: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self.fast:
            self._fast(data)
            return
        self._slow(data)
        # Switch once the handshake is done and websockets holds no partial frame.
        self.fast = self.protocol.state is State.OPEN and not self.protocol.reader.buffer

    def _fast(self, data: bytes) -> None:
        buffer = self.pending + data if self.pending else data
        size = len(buffer)
        position = 0
        while size - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if size - position < 4:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if size - position < 10:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            end = position + header + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == 1 and first & 0x80 and not self.fragments:
                self.on_text(buffer[position + header : end])
            elif opcode in (0, 1) and not second & 0x80:  # a text message in fragments (FIN on the last)
                self.fragments.append(buffer[position + header : end])
                if first & 0x80:
                    message, self.fragments = b"".join(self.fragments), []
                    self.on_text(message)
            else:  # ping, close, or something odd: websockets deals with it (and with the connection)
                self.fast = False
                self.pending = b""
                self._slow(buffer[position:])
                return
            position = end
        self.pending = buffer[position:] if position < size else b""

    def _slow(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_text(bytes(event.data))
            elif isinstance(event, Response) and not self.opened.done():
                if event.status_code == 101 and self.protocol.handshake_exc is None:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(LoadtestError(f"handshake refused: {event.status_code}"))
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(LoadtestError(f"connection lost during the handshake: {exc}"))
        if not self.lost.done():
            self.lost.set_result(None)
        self.on_lost(self)

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.close()
                return

    def send(self, text: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.protocol.send_text(text.encode())
        self._flush()

    @property
    def close_code(self) -> int | None:
        return self.protocol.close_code

    async def close(self, timeout: float = 5.0) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(Exception):
                self.protocol.send_close(1000)
                self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()


async def open_link(
    base_url: str, table_id: str, on_text: Callable[[bytes], None], on_lost: Callable[[Link], None]
) -> Link:
    ws_url = base_url.replace("http://", "ws://").replace("https://", "wss://") + f"/ws/tables/{table_id}"
    uri = parse_uri(ws_url)
    loop = asyncio.get_running_loop()
    _, link = await loop.create_connection(lambda: Link(ws_url, on_text, on_lost), uri.host, uri.port)
    await asyncio.wait_for(link.opened, 10)
    return link


# ---------------------------------------------------------------------------------------------- the bots


class Run:
    """What all bots share: counters, the clock, and the errors."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.errors: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.acked = 0
        self.ack_latencies: list[float] = []  # since the last progress line
        self.reconnects = 0
        self.measuring = False
        self.connections = 0


class TableRun:
    """One table: its bots, the acked actions, and the table's game state as the bots learn it."""

    def __init__(self, number: int, table_id: str, join_code: str, url: str, conference: Conference) -> None:
        self.number = number
        self.table_id = table_id
        self.join_code = join_code
        self.url = url
        self.conference = conference
        self.players: list[Bot] = []
        self.watchers: list[Bot] = []
        self.actions: list[tuple[float, int]] = []  # (send time, seq of the command's last event)
        # Game state, updated by whichever bot receives an event first.
        self.parsed = 0
        self.phase = "lobby"
        self.seated: set[str] = set()
        self.proposals: dict[str, dict[str, str]] = {}  # open proposal id -> votes (player id -> choice)
        self.proposal_count = 0

    @property
    def voters(self) -> int:
        # Roles are secret, so a bot cannot tell who votes. Every seated player but one (the
        # økonomidirektør, when dealt) is the most there can be: voting only while 3 of those have
        # not voted means no vote, nor two sent at once, ever decides a proposal.
        return len(self.seated) - 1

    def learn(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "player_joined":
            self.seated.add(event["player_id"])
        elif kind == "player_left":
            self.seated.discard(event["player_id"])
        elif kind == "round_started":
            self.phase = "round"
            self.proposals.clear()
        elif kind == "round_ended":
            self.phase = "round_ended"
            self.proposals.clear()
        elif kind == "proposal_made":
            self.proposals[event["proposal_id"]] = {}
            self.proposal_count += 1
        elif kind == "vote_cast" and event["proposal_id"] in self.proposals:
            self.proposals[event["proposal_id"]][event["player_id"]] = event["choice"]
        elif kind in ("proposal_adopted", "proposal_rejected"):
            self.proposals.pop(event["proposal_id"], None)

    def learn_snapshot(self, seq: int, view: dict[str, Any]) -> None:
        if seq <= self.parsed:
            return
        self.parsed = seq
        self.phase = view["phase"]
        self.seated = {player["id"] for player in view["players"] if player["seated"]}
        self.proposals = {p["id"]: dict(p["votes"]) for p in view["proposals"] if p["status"] == "open"}
        self.proposal_count = len(view["proposals"])


@dataclass
class Conference:
    conference_id: str
    facilitator_token: str
    projector_token: str | None
    url: str


class Bot:
    """One connection: a player who plays, or a watcher (control room, projector) who only reads."""

    def __init__(self, run: Run, table: TableRun, kind: str, token: str, player_id: str | None, index: int) -> None:
        self.run = run
        self.table = table
        self.kind = kind  # "player" | "facilitator" | "projector"
        self.token = token
        self.player_id = player_id
        self.index = index
        self.rng = random.Random(f"{run.options.seed}:{table.number}:{kind}:{index}")
        self.link: Link | None = None
        self.ready: asyncio.Future[None] | None = None  # resolved when the snapshot/replay has arrived
        self.resuming = False
        self.expected = 0  # the next seq; 0 until the first snapshot
        self.last_seq = 0
        self.gaps: list[tuple[int, int]] = []  # (expected, got)
        self.votes_role = True
        self.my_votes: dict[str, str] = {}
        self.pending: dict[str, tuple[float, str]] = {}
        self.counter = 0
        self.replies: dict[str, dict[str, Any]] = {}  # replies awaited by the orchestrator
        self.reply_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # What a player received: seq, arrival time, CRC of the frame, and whether it came in a replay.
        self.seqs = array("q")
        self.times = array("d")
        self.crcs = array("L")
        self.replayed = array("b")
        self.task: asyncio.Task[None] | None = None

    # ---- connection

    async def connect(self) -> None:
        self.ready = asyncio.get_running_loop().create_future()
        self.resuming = True
        self.link = await open_link(self.table.url, self.table.table_id, self.on_text, self.on_lost)
        self.run.connections += 1
        self.link.send(json.dumps({"type": "hello", "token": self.token, "after": self.last_seq, "lang": "en"}))
        await asyncio.wait_for(self.ready, 30)

    def on_lost(self, link: Link) -> None:
        if link is not self.link:
            return
        self.run.connections -= 1
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(LoadtestError(f"closed with {link.close_code} before the snapshot"))
            self.ready.exception()
        if not link.closing:
            self.run.errors[f"close.{link.close_code or 1006}"] += 1
            for frame_id in list(self.pending):
                self.pending.pop(frame_id)
                self.run.errors["no_reply.disconnected"] += 1
            if self.run.measuring:
                asyncio.get_running_loop().call_later(0.5, self._reconnect_soon)

    def _reconnect_soon(self) -> None:
        self.task = asyncio.ensure_future(self._reconnect_safely())

    async def _reconnect_safely(self) -> None:
        try:
            self.run.reconnects += 1
            await self.connect()
        except Exception:
            self.run.errors["reconnect.failed"] += 1

    async def reconnect(self) -> None:
        """Close (as a phone losing its network would, but cleanly) and come back with hello.after."""
        for _ in range(100):  # let answers in flight arrive: a retry would work too, but muddies the figures
            if not self.pending:
                break
            await asyncio.sleep(0.02)
        if self.link is not None:
            await self.link.close()
        self.run.reconnects += 1
        try:
            await self.connect()
        except Exception:
            self.run.errors["reconnect.failed"] += 1

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()

    # ---- receiving

    def on_text(self, data: bytes) -> None:
        now = time.perf_counter()
        if data.startswith(EVENT_PREFIX):
            comma = data.index(b",", 22)
            seq = int(data[22:comma])
            start = comma + EVENT_TYPE_OFFSET
            kind = data[start : data.index(b'"', start)]
            if seq != self.expected:
                self.gaps.append((self.expected, seq))
            self.expected = seq + 1
            self.last_seq = seq
            table = self.table
            if self.kind == "player":
                self.seqs.append(seq)
                self.times.append(now)
                self.crcs.append(zlib.crc32(kind) if kind == ROLES_DEALT else zlib.crc32(data))
                self.replayed.append(self.resuming)
                if kind == ROLES_DEALT:
                    role = json.loads(data)["event"]["assignments"].get(self.player_id)
                    if role is not None:
                        self.votes_role = role != "oekonomidirektoer"
            if seq > table.parsed:
                if kind != CHAT:
                    table.learn(json.loads(data)["event"])
                table.parsed = seq
            return
        frame = json.loads(data)
        kind_str = frame["type"]
        if kind_str == "ack" or kind_str == "error":
            self._reply(frame, now)
        elif kind_str == "snapshot":
            seq = frame["seq"]
            self.expected = seq + 1
            self.last_seq = seq
            view = frame["view"]
            if self.kind == "player" and view.get("your_role") is not None:
                self.votes_role = view["your_role"] != "oekonomidirektoer"
            self.table.learn_snapshot(seq, view)
        elif kind_str == "presence" and self.resuming:
            # Presence follows the snapshot or the replayed events: live from here on.
            self.resuming = False
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(None)

    def _reply(self, frame: dict[str, Any], now: float) -> None:
        frame_id = frame.get("id")
        waiter = self.reply_waiters.pop(frame_id, None) if frame_id else None
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)
            return
        sent = self.pending.pop(frame_id, None) if frame_id else None
        if frame["type"] == "error":
            self.run.errors[frame["code"]] += 1
            return
        if sent is None:
            return
        self.run.acked += 1
        self.run.ack_latencies.append(now - sent[0])
        if not frame.get("duplicate"):
            self.table.actions.append((sent[0], frame["seq"]))

    # ---- sending

    def next_id(self) -> str:
        self.counter += 1
        return f"{self.index}-{self.counter}"

    async def call(self, kind: str, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its ack or error (the orchestrator's commands: start_round)."""
        frame_id = self.next_id()
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.reply_waiters[frame_id] = waiter
        assert self.link is not None
        self.link.send(json.dumps({"type": kind, "id": frame_id, **fields}))
        return await asyncio.wait_for(waiter, timeout)

    def _send(self, kind: str, frame_id: str, text: str) -> None:
        assert self.link is not None
        self.pending[frame_id] = (time.perf_counter(), kind)
        self.run.sent[kind] += 1
        self.link.send(text)

    def act(self, cards: list[str]) -> None:
        """One action, chosen the way a player at the table would."""
        table = self.table
        frame_id = self.next_id()
        roll = self.rng.random()
        if table.phase == "round":
            if roll < P_VOTE and self.votes_role:
                vote = self._choose_vote()
                if vote is not None:
                    proposal_id, choice = vote
                    self.my_votes[proposal_id] = choice
                    text = f'{{"type":"vote","id":"{frame_id}","proposal_id":"{proposal_id}","choice":"{choice}"}}'
                    self._send("vote", frame_id, text)
                    return
            elif roll < P_VOTE + P_PROPOSE + P_AMEND and table.proposal_count < PROPOSALS_PER_TABLE:
                picked = self.rng.sample(cards, self.rng.randint(2, 4))
                amends = None
                if roll >= P_VOTE + P_PROPOSE and table.proposals:
                    amends = self.rng.choice(sorted(table.proposals))
                frame = {"type": "propose", "id": frame_id, "cards": picked, "amends": amends}
                self._send("amend" if amends else "propose", frame_id, json.dumps(frame, ensure_ascii=False))
                return
        card = self.rng.choice(cards)
        mention = f" #{card}" if self.rng.random() < 0.3 else ""
        text = f"Bot {table.number}.{self.index} besked {self.counter}{mention}: hvad med skolerne?"
        self._send("chat", frame_id, json.dumps({"type": "chat", "id": frame_id, "text": text}, ensure_ascii=False))

    def _choose_vote(self) -> tuple[str, str] | None:
        table = self.table
        player_id = self.player_id
        assert player_id is not None
        fresh = [
            pid
            for pid, votes in table.proposals.items()
            if player_id not in votes and pid not in self.my_votes and table.voters - len(votes) >= 3
        ]
        if fresh:
            return self.rng.choice(fresh), self.rng.choice(("for", "against", "abstain"))
        mine = [pid for pid in table.proposals if pid in self.my_votes]
        if not mine:
            return None
        proposal_id = self.rng.choice(mine)
        current = table.proposals[proposal_id].get(player_id, self.my_votes[proposal_id])
        return proposal_id, self.rng.choice([c for c in ("for", "against", "abstain") if c != current])

    async def play(self, rate: float, stop_at: float, cards: list[str]) -> None:
        reconnect_every = self.run.options.reconnect_every
        next_reconnect = (
            time.perf_counter() + self.rng.expovariate(1 / reconnect_every) if reconnect_every else math.inf
        )
        while True:
            pause = self.rng.expovariate(rate) if rate > 0 else math.inf
            if time.perf_counter() + pause >= stop_at:
                await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
                return
            await asyncio.sleep(pause)
            now = time.perf_counter()
            if now >= next_reconnect:
                await self.reconnect()
                next_reconnect = time.perf_counter() + self.rng.expovariate(1 / reconnect_every)
                continue
            if self.resuming or self.link is None or self.link.transport is None or self.link.transport.is_closing():
                continue
            self.act(cards)


# ---------------------------------------------------------------------------------------------- the run


async def _gather_limited(coroutines: Iterable[Any], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with semaphore:
            return await coroutine

    return list(await asyncio.gather(*(one(c) for c in coroutines)))


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(5):
        try:
            response = await http.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            if attempt == 4:
                raise LoadtestError(f"POST {url}: {error}") from error
            await asyncio.sleep(0.2 * (attempt + 1))
            continue
        if response.status_code >= 400:
            raise LoadtestError(f"POST {url}: {response.status_code} {response.text[:300]}")
        result: dict[str, Any] = response.json()
        return result
    raise AssertionError("unreachable")


async def _setup(run: Run, urls: list[str], http: httpx.AsyncClient) -> list[TableRun]:
    options = run.options
    tables: list[TableRun] = []
    # Conferences of at most 100 tables (the API's limit), as many per server process, evenly sized. A
    # conference lives on one process, as a load balancer routing by conference would place it: its tables
    # are loaded where they were created, and a process following tables it does not serve would read and
    # apply every one of their events too.
    conferences = -(-options.tables // MAX_TABLES_PER_CONFERENCE)
    conferences = -(-conferences // len(urls)) * len(urls)
    conferences = min(conferences, options.tables)
    sizes = [options.tables // conferences + (n < options.tables % conferences) for n in range(conferences)]
    for conference_number, count in enumerate(sizes, start=1):
        home = urls[(conference_number - 1) % len(urls)]
        body = {"name": f"Loadtest {conference_number}", "tables": count, "rule": "consensus"}
        created = await _post(http, f"{home}/api/conferences", body)
        projector: str | None = None
        with contextlib.suppress(LoadtestError):  # an older server has no projector tokens
            reply = await _post(
                http,
                f"{home}/api/conferences/{created['conference_id']}/projector-token",
                {},
                created["facilitator_token"],
            )
            projector = reply["token"]
        conference = Conference(created["conference_id"], created["facilitator_token"], projector, home)
        for ref in created["tables"]:
            tables.append(TableRun(len(tables) + 1, ref["table_id"], ref["join_code"], home, conference))

    async def join(table: TableRun, index: int) -> None:
        body = {"code": table.join_code, "name": f"Bot {table.number}.{index}"}
        joined = await _post(http, f"{table.url}/api/join", body)
        table.players.append(Bot(run, table, "player", joined["token"], joined["player_id"], index))

    await _gather_limited((join(t, i) for t in tables for i in range(1, options.players + 1)), 16)
    for table in tables:
        table.players.sort(key=lambda bot: bot.index)
        if options.watchers:
            table.watchers.append(Bot(run, table, "facilitator", table.conference.facilitator_token, None, 0))
            if table.conference.projector_token:
                table.watchers.append(Bot(run, table, "projector", table.conference.projector_token, None, -1))
    return tables


def _percentiles(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ms = values * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2),
            "max": round(float(ms.max()), 2)}  # fmt: skip


def _analyse(tables: list[TableRun]) -> tuple[dict[str, Any], dict[str, Any]]:
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
    latency = {"count": int(values.size), **_percentiles(values), "excluded_resumed": resumed,
               "undelivered": undelivered}  # fmt: skip
    correctness = {
        "passed": contiguous and identical and complete and undelivered == 0,
        "contiguous": contiguous,
        "identical": identical,
        "complete": complete and undelivered == 0,
        "problems": problems[:20],
    }
    return latency, correctness


async def _lag_monitor(samples: list[float], interval: float = 0.05) -> None:
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        samples.append(time.perf_counter() - start - interval)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _gc_pauses(http: httpx.AsyncClient, urls: list[str]) -> dict[str, float] | None:
    """The servers' garbage-collector pauses so far, summed over processes (from /metrics): count, total
    seconds, and how many took over 50 and over 100 ms. None when a server has no such metric."""
    totals = dict.fromkeys(("count", "seconds", "under_0.05", "under_0.1"), 0.0)
    token = os.environ.get("RAADERUM_METRICS_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for url in urls:
        try:
            text = (await http.get(f"{url}/metrics", headers=headers)).text
        except httpx.HTTPError:
            return None
        found = False
        for family in text_string_to_metric_families(text):
            if family.name != "raaderum_gc_pause_seconds":
                continue
            found = True
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    totals["count"] += sample.value
                elif sample.name.endswith("_sum"):
                    totals["seconds"] += sample.value
                elif sample.name.endswith("_bucket") and sample.labels["le"] in ("0.05", "0.1"):
                    totals[f"under_{sample.labels['le']}"] += sample.value
        if not found:
            return None
    return totals


def _gc_report(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, Any] | None:
    if before is None or after is None:
        return None
    done = {key: after[key] - before[key] for key in after}
    return {
        "pauses": int(done["count"]),
        "total_ms": round(done["seconds"] * 1000, 1),
        "over_50ms": int(done["count"] - done["under_0.05"]),
        "over_100ms": int(done["count"] - done["under_0.1"]),
    }


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_loadtest(options: Options) -> dict[str, Any]:
    """Run the whole load test and return the report (see `render` for the table)."""
    say = options.progress or (lambda line: None)
    if options.seed is None:
        options.seed = secrets.randbits(32)
    run = Run(options)
    cards = [card.id for card in load_deck(DEFAULT_DECK_PATH).cards]
    workdir = Path(tempfile.mkdtemp(prefix="raaderum-loadtest-"))
    servers = Servers(options, workdir) if options.url is None else None
    tables: list[TableRun] = []
    report: dict[str, Any] = {}
    try:
        urls = (
            servers.start() if servers is not None else [u.strip().rstrip("/") for u in (options.url or "").split(",")]
        )
        pids = servers.pids if servers is not None else options.server_pids
        say(f"servers: {', '.join(urls)}" + (f" ({servers.store_url})" if servers else ""))
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            tables = await _setup(run, urls, http)
        say(f"{len(tables)} tables, {sum(len(t.players) for t in tables)} players seated")
        watchers = [bot for table in tables for bot in table.watchers]
        players = [bot for table in tables for bot in table.players]
        await _gather_limited((bot.connect() for bot in watchers), options.connect_concurrency)
        await asyncio.sleep(1.0)
        rss_before = total_rss(pids)
        await _gather_limited((bot.connect() for bot in players), options.connect_concurrency)
        await asyncio.sleep(2.0)
        rss_connected = total_rss(pids)
        say(f"{run.connections} connections open")

        # The control room starts round 1 at every table; then everyone waits for the round to reach all.
        async def start_round(table: TableRun) -> None:
            starter = table.watchers[0] if table.watchers else None
            if starter is None or starter.kind != "facilitator":
                starter = Bot(run, table, "facilitator", table.conference.facilitator_token, None, 0)
                await starter.connect()
                table.watchers.insert(0, starter)
            reply = await starter.call("start_round")
            if reply["type"] != "ack":
                raise LoadtestError(f"table {table.number}: start_round refused: {reply}")
            deadline = time.perf_counter() + 30
            while any(bot.last_seq < reply["seq"] for bot in table.players):
                if time.perf_counter() > deadline:
                    raise LoadtestError(f"table {table.number}: round_started did not reach every player")
                await asyncio.sleep(0.02)

        await _gather_limited((start_round(t) for t in tables), options.connect_concurrency)
        if not options.watchers:  # the control room only started the rounds
            await _gather_limited((bot.close() for t in tables for bot in t.watchers), 256)
            for table in tables:
                table.watchers.clear()
        for table in tables:
            for bot in table.players:  # the setup's events are not measured actions
                bot.seqs, bot.times = array("q"), array("d")
                bot.crcs, bot.replayed = array("L"), array("b")
            table.actions.clear()

        lag: list[float] = []
        monitor = asyncio.create_task(_lag_monitor(lag))
        async with httpx.AsyncClient(timeout=10) as http:
            gc_before = await _gc_pauses(http, urls)
        if servers is not None:
            servers.store_stalls(reset=True)
        cpu_start, wall_start = _self_cpu(), time.perf_counter()
        server_cpu_start = total_cpu(pids)
        redis_pids = [servers.redis.pid] if servers is not None and servers.redis is not None else []
        redis_cpu_start = total_cpu(redis_pids)
        rss_peak = rss_connected or 0
        run.measuring = True
        stop_at = wall_start + options.duration
        tasks = [asyncio.create_task(bot.play(options.rate, stop_at, cards)) for bot in players]
        last_acked, last_tick = 0, wall_start
        while (now := time.perf_counter()) < stop_at:
            await asyncio.sleep(min(1.0, stop_at - now))
            tick = time.perf_counter()
            recent = np.array(run.ack_latencies) if run.ack_latencies else np.zeros(0)
            run.ack_latencies = []
            rss = total_rss(pids)
            rss_peak = max(rss_peak, rss or 0)
            p99 = f"{np.percentile(recent, 99) * 1000:6.1f} ms" if recent.size else "     - ms"
            say(
                f"[{tick - wall_start:5.1f}s] conns {run.connections:5d}  acked {run.acked:7d} "
                f"({(run.acked - last_acked) / (tick - last_tick):7.1f}/s)  ack p99 {p99}  "
                f"errors {sum(run.errors.values()):4d}" + (f"  server {rss / 2**20:6.1f} MB" if rss else "")
            )
            last_acked, last_tick = run.acked, tick
        await asyncio.gather(*tasks)
        measured = time.perf_counter() - wall_start
        cpu_used = _self_cpu() - cpu_start
        server_cpu_end = total_cpu(pids)
        redis_cpu_end = total_cpu(redis_pids)
        redis_cpu = None if redis_cpu_end is None or redis_cpu_start is None else redis_cpu_end - redis_cpu_start
        server_cpu = (
            server_cpu_end - server_cpu_start if server_cpu_end is not None and server_cpu_start is not None else None
        )
        async with httpx.AsyncClient(timeout=10) as http:
            gc_pauses = _gc_report(gc_before, await _gc_pauses(http, urls))
        store_stalls = servers.store_stalls() if servers is not None else None
        run.measuring = False
        # Drain: every answer in, every player at its table's final seq.
        deadline = time.perf_counter() + options.drain_seconds
        while time.perf_counter() < deadline:
            waiting = any(bot.pending for bot in players)
            behind = False
            for table in tables:
                final = max([bot.last_seq for bot in table.players + table.watchers] + [0])
                behind = behind or any(bot.last_seq < final for bot in table.players + table.watchers)
            if not waiting and not behind:
                break
            await asyncio.sleep(0.05)
        monitor.cancel()
        for bot in players:
            if bot.pending:
                run.errors["no_reply"] += len(bot.pending)
        rss_end = total_rss(pids)
        latency, correctness = _analyse(tables)
        acked_actions = sum(len(t.actions) for t in tables)
        connections = sum(len(t.players) + len(t.watchers) for t in tables)
        lag_values = np.array(lag) if lag else np.zeros(1)
        report = {
            "setup": {
                "tables": options.tables,
                "players": options.players,
                "watchers": options.watchers,
                "rate": options.rate,
                "duration": options.duration,
                "workers": len(urls),
                "store": servers.store_url if servers else None,
                "server_cpu": options.server_cpu,
                "urls": urls,
                "seed": options.seed,
            },
            "connections": {
                "total": connections,
                "players": len(players),
                "watchers": connections - len(players),
                "reconnects": run.reconnects,
            },
            "actions": {
                "sent": sum(run.sent.values()),
                "acked": acked_actions,
                "per_second": round(acked_actions / measured, 1),
                "by_kind": dict(run.sent),
                "deliveries_per_second": round(acked_actions * options.players / measured, 1),
            },
            "latency_ms": latency,
            "errors": dict(sorted(run.errors.items())),
            "server": {
                "rss_mb": round(rss_end / 2**20, 1) if rss_end else None,
                "rss_peak_mb": round(rss_peak / 2**20, 1) if rss_peak else None,
                "kb_per_connection": (
                    round((rss_connected - rss_before) / 1024 / len(players), 1)
                    if rss_connected and rss_before and players
                    else None
                ),
                "cpu_percent": round(100 * server_cpu / measured, 1) if server_cpu is not None else None,
                "cpu_us_per_action": (
                    round(1e6 * server_cpu / acked_actions) if server_cpu is not None and acked_actions else None
                ),
                "tracebacks": servers.tracebacks() if servers else None,
                "gc_pauses": gc_pauses,
                "store_stalls_ms": store_stalls,
                "redis_cpu_percent": round(100 * redis_cpu / measured, 1) if redis_cpu is not None else None,
            },
            "loadgen": {
                "cpu_percent": round(100 * cpu_used / measured, 1),
                "cpu_us_per_action": round(1e6 * cpu_used / acked_actions) if acked_actions else None,
                "loop_lag_p99_ms": round(float(np.percentile(lag_values, 99)) * 1000, 1),
            },
            "correctness": correctness,
        }
        if servers and report["server"]["tracebacks"]:
            report["errors"]["server.traceback"] = report["server"]["tracebacks"]
        report["ok"] = correctness["passed"] and not report["errors"]
        return report
    finally:
        await _gather_limited((bot.close() for table in tables for bot in table.players + table.watchers), 256)
        if servers is not None:
            servers.stop()
        if report.get("ok"):
            shutil.rmtree(workdir, ignore_errors=True)
        elif servers is not None:
            say(f"server logs kept in {workdir}")


def render(report: dict[str, Any]) -> str:
    """The report as a table for people."""
    setup, conns, actions = report["setup"], report["connections"], report["actions"]
    latency, server, loadgen, correctness = (
        report["latency_ms"],
        report["server"],
        report["loadgen"],
        report["correctness"],
    )

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ms"

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} MB"

    errors = ", ".join(f"{code} {count}" for code, count in report["errors"].items()) or "none"
    rows = [
        ("setup", f"{setup['tables']} tables × {setup['players']} players, rate {setup['rate']}/s per player, "
                  f"{setup['duration']:g} s, {setup['workers']} server process(es)"
                  + (f" capped at {setup['server_cpu']:g} core each" if setup.get("server_cpu") else "")
                  + f", store {setup['store'] or '?'}"),
        ("connections", f"{conns['total']} ({conns['players']} players, {conns['watchers']} watchers), "
                        f"{conns['reconnects']} reconnects"),
        ("actions/s", f"{actions['per_second']:.1f} ({actions['acked']} acked of {actions['sent']} sent; "
                      f"{actions['deliveries_per_second']:.0f} deliveries/s to players)"),
        ("latency p50", ms(latency["p50"])),
        ("latency p95", ms(latency["p95"])),
        ("latency p99", ms(latency["p99"])),
        ("latency max", ms(latency["max"])),
        ("measured", f"{latency['count']} actions (+{latency['excluded_resumed']} that reached a resuming bot)"),
        ("errors", errors),
        ("server memory", f"{mb(server['rss_mb'])} (peak {mb(server['rss_peak_mb'])}), "
                          f"{server['kb_per_connection'] if server['kb_per_connection'] is not None else '-'} KB "
                          f"per player connection"),
        ("server cpu", ("-" if server["cpu_percent"] is None
                        else f"{server['cpu_percent']:.0f} % of one core, {server['cpu_us_per_action']} µs per action")
                       + (f"; its Redis {server['redis_cpu_percent']:.0f} %"
                          if server.get("redis_cpu_percent") is not None else "")),
        ("stalls", _stalls(server)),
        ("loadgen", f"cpu {loadgen['cpu_percent']:.0f} % of one core, {loadgen['cpu_us_per_action']} µs per action, "
                    f"loop lag p99 {loadgen['loop_lag_p99_ms']} ms"),
        ("correctness", ("PASS" if correctness["passed"] else "FAIL")
                        + f" (contiguous {correctness['contiguous']}, identical {correctness['identical']}, "
                          f"complete {correctness['complete']})"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines += [f"  ! {problem}" for problem in correctness["problems"]]
    return "\n".join(lines)


def _stalls(server: dict[str, Any]) -> str:
    """What stopped the server now and then while measuring: its garbage collector, the store's disk."""
    gc_pauses, store = server.get("gc_pauses"), server.get("store_stalls_ms")
    parts = []
    if gc_pauses is not None:
        parts.append(
            f"server GC {gc_pauses['pauses']} pauses, {gc_pauses['total_ms']:.0f} ms in all, "
            f"{gc_pauses['over_50ms']} over 50 ms, {gc_pauses['over_100ms']} over 100 ms"
        )
    if store is not None:
        worst = ", ".join(f"{event} {ms:.0f} ms" for event, ms in sorted(store.items())) or "none over 20 ms"
        parts.append(f"Redis {worst}")
    return "; ".join(parts) or "-"


def main(options: Options) -> dict[str, Any]:
    """Run on a fresh event loop (uvloop when installed, as uvicorn uses)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard] on Linux
        return asyncio.run(run_loadtest(options))
    return uvloop.run(run_loadtest(options))
