"""Play a short game over the real HTTP API and websocket protocol and print every frame (docs/protocol.md).

Usage: .venv/bin/python scripts/protocol_example.py [--full]

Starts `uvicorn --factory server.app:create_app` on a free port with a fresh SQLite file in a temporary
folder and a fixed RAADERUM_SECRET, then plays: create a conference, players join, hello and snapshot, a
refused command, a chat with a card mention, a proposal, a malformed frame, a reconnect with `after`, a
retried command id, the votes, the end of the game. `→` is a frame the client sends, `←` one it receives.
Tokens are shortened unless --full is given. Roles are dealt from a random seed, so who votes varies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.deck import DEFAULT_DECK_PATH, load_deck

ROOT = Path(__file__).resolve().parent.parent
SECRET = "protocol-example-secret"
TOKEN_KEYS = ("token", "facilitator_token")
WIDTH = 100  # a snapshot or HTTP body is laid out over lines so that short parts stay on one line

Frame = dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Printer:
    def __init__(self, full: bool) -> None:
        self.full = full

    def shorten(self, value: Any) -> Any:
        if self.full:
            return value
        if isinstance(value, dict):
            return {
                key: (item[:12] + "…" if key in TOKEN_KEYS and isinstance(item, str) else self.shorten(item))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.shorten(item) for item in value]
        return value

    def json(self, value: Any) -> str:
        """One line, as on the wire; a snapshot or an HTTP body is spread over lines where it is long."""
        value = self.shorten(value)
        if isinstance(value, dict) and value.get("type") not in (None, "snapshot"):
            return json.dumps(value, ensure_ascii=False)
        return _layout(value, 0)

    def step(self, title: str) -> None:
        print(f"\n# {title}", flush=True)

    def line(self, prefix: str, value: Any) -> None:
        print(f"{prefix}{self.json(value)}", flush=True)


def _layout(value: Any, indent: int) -> str:
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) + indent <= WIDTH or not isinstance(value, dict | list) or not value:
        return compact
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {_layout(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{inner}{_layout(item, indent + 2)}" for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


class Peer:
    """One websocket client: a reader task records every frame; `show` prints what arrived since last time."""

    def __init__(self, name: str, ws: ClientConnection, printer: Printer) -> None:
        self.name = name
        self.ws = ws
        self.printer = printer
        self.frames: list[Frame] = []
        self.shown = 0
        self.hidden: set[str] = set()  # ids of the pings used to synchronise: their pongs are not printed
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, name: str, ws_url: str, table_id: str, printer: Printer) -> Peer:
        ws = await connect(f"{ws_url}/ws/tables/{table_id}", ping_interval=None, open_timeout=10)
        return cls(name, ws, printer)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                self.frames.append(json.loads(message))
                self.arrived.set()
        self.arrived.set()

    async def send(self, frame: Frame) -> None:
        self.printer.line(f"{self.name} → ", frame)
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def wait_for(self, wanted: Any, timeout: float = 10.0) -> Frame:
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for frame in self.frames[checked:]:
                if wanted(frame):
                    return frame
            checked = len(self.frames)
            if self.reader.done() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no such frame; got {self.frames[-5:]}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.5)

    async def sync(self) -> None:
        """Ping and wait for the pong: everything the server queued for us before it has then arrived."""
        ping_id = f"sync-{len(self.hidden) + 1}"
        self.hidden.add(ping_id)
        await self.ws.send(json.dumps({"type": "ping", "id": ping_id}))
        await self.wait_for(lambda f: f["type"] == "pong" and f["id"] == ping_id)

    def take(self) -> list[Frame]:
        """The frames that arrived since the last call, without the pongs of `sync`."""
        new = [f for f in self.frames[self.shown :] if not (f["type"] == "pong" and f["id"] in self.hidden)]
        self.shown = len(self.frames)
        return new

    async def reply(self, frame_id: str) -> Frame:
        return await self.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("id") == frame_id)

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(BaseException):
            await self.reader


async def settle(peers: list[Peer]) -> None:
    """Wait until every peer has received what the last step caused, then print it.

    Peers that received exactly the same frames share their lines: `anna, bo ← …`.
    """
    for peer in peers:
        await peer.sync()
    groups: list[tuple[list[str], list[Frame]]] = []
    for peer in peers:
        frames = peer.take()
        if not frames:
            continue
        for names, seen in groups:
            if seen == frames:
                names.append(peer.name)
                break
        else:
            groups.append(([peer.name], frames))
    for names, frames in groups:
        for frame in frames:
            peers[0].printer.line(f"{', '.join(names)} ← ", frame)


async def play(base_url: str, printer: Printer) -> None:
    ws_url = base_url.replace("http://", "ws://")
    voting_roles = {role.id for role in load_deck(DEFAULT_DECK_PATH).roles if role.votes and role.weight > 0}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:

        async def post(path: str, body: Frame) -> Frame:
            printer.line(f"POST {path} ", body)
            response = await http.post(path, json=body)
            printer.line(f"{response.status_code} ", response.json())
            response.raise_for_status()
            result: Frame = response.json()
            return result

        printer.step("1. The facilitator creates a conference (HTTP)")
        conference = await post("/api/conferences", {"name": "Budgetseminar 2027", "tables": 1})
        table_id = conference["tables"][0]["table_id"]
        code = conference["tables"][0]["join_code"]

        printer.step("2. Two players join with the table's code (HTTP)")
        anna = await post("/api/join", {"code": code, "name": "Anna"})
        bo = await post("/api/join", {"code": code, "name": "Bo"})

        printer.step("3. The facilitator connects: hello, snapshot, presence")
        facilitator = await Peer.open("facilitator", ws_url, table_id, printer)
        await facilitator.send({"type": "hello", "token": conference["facilitator_token"], "after": 0, "lang": "en"})
        await settle([facilitator])

        printer.step("4. A refused command: starting the game with two players")
        await facilitator.send({"type": "start_round", "id": "f-1"})
        await facilitator.reply("f-1")
        await settle([facilitator])

        printer.step("5. A third player joins (HTTP); the facilitator sees it live")
        carl = await post("/api/join", {"code": code, "name": "Carl"})
        await settle([facilitator])

        printer.step("6. The players connect (Danish messages: lang defaults to da)")
        players: dict[str, Peer] = {}
        for name, joined in (("anna", anna), ("bo", bo), ("carl", carl)):
            peer = await Peer.open(name, ws_url, table_id, printer)
            await peer.send({"type": "hello", "token": joined["token"], "after": 0})
            players[name] = peer
            await settle([facilitator, *players.values()])
        everyone = [facilitator, *players.values()]

        printer.step("7. The facilitator starts round 1: roles are dealt (each player sees only their own)")
        await facilitator.send({"type": "start_round", "id": "f-2"})
        await facilitator.reply("f-2")
        await settle(everyone)

        printer.step("8. Anna chats, mentioning two cards; a ping on the side")
        await players["anna"].send({"type": "chat", "id": "a-1", "text": "Hvad med #DT-02 og #AD-01?"})
        await players["anna"].reply("a-1")
        await players["anna"].send({"type": "ping", "id": "p-1"})
        await players["anna"].wait_for(lambda f: f["type"] == "pong" and f["id"] == "p-1")
        await settle(everyone)

        printer.step("9. Carl chats, then his connection drops; he had seen up to this seq")
        await players["carl"].send({"type": "chat", "id": "c-1", "text": "Jeg er med, men mister nettet i toget."})
        await players["carl"].reply("c-1")
        await settle(everyone)
        carl_seq = max(f["seq"] for f in players["carl"].frames if f["type"] in ("event", "snapshot"))
        await players["carl"].close()
        print(f"(carl's connection closes; his last seq is {carl_seq})")
        del players["carl"]
        everyone = [facilitator, *players.values()]
        await settle(everyone)

        printer.step("10. Anna proposes a forlig of the two cards")
        await players["anna"].send({"type": "propose", "id": "a-2", "cards": ["DT-02", "AD-01"]})
        await players["anna"].reply("a-2")
        await settle(everyone)

        printer.step("11. A malformed frame: Bo votes with a choice that does not exist")
        await players["bo"].send({"type": "vote", "id": "b-1", "proposal_id": "F1", "choice": "ja"})
        await players["bo"].reply("b-1")
        await settle(everyone)

        printer.step("12. Carl reconnects with after = his last seq: the missed events, not a snapshot")
        peer = await Peer.open("carl", ws_url, table_id, printer)
        await peer.send({"type": "hello", "token": carl["token"], "after": carl_seq})
        players["carl"] = peer
        everyone = [facilitator, *players.values()]
        await settle(everyone)

        printer.step("13. Carl was not sure his chat got through, so he sends it again with the same id")
        await peer.send({"type": "chat", "id": "c-1", "text": "Jeg er med, men mister nettet i toget."})
        await peer.reply("c-1")
        await settle(everyone)

        printer.step("14. The players with a vote vote for F1 until it is adopted (rule: broad)")
        # The facilitator sees every role; each player only their own (the deck's roles are secret).
        dealt = next(
            f["event"] for f in facilitator.frames if f["type"] == "event" and f["event"]["type"] == "roles_dealt"
        )
        player_ids = {"anna": anna["player_id"], "bo": bo["player_id"], "carl": carl["player_id"]}
        roles = {name: dealt["assignments"][player_id] for name, player_id in player_ids.items()}
        next_id = {"anna": 3, "bo": 2, "carl": 2}  # ids are unique per sender: a reused id is a duplicate
        for name, peer in players.items():
            if roles[name] not in voting_roles:
                continue
            frame_id = f"{name[0]}-{next_id[name]}"
            await peer.send({"type": "vote", "id": frame_id, "proposal_id": "F1", "choice": "for"})
            await peer.reply(frame_id)
            await settle(everyone)
            if any(f["type"] == "event" and f["event"]["type"] == "round_ended" for f in facilitator.frames):
                break

        printer.step("15. The facilitator ends the game (reality check) and shows the debrief")
        await facilitator.send({"type": "end_game", "id": "f-3"})
        await facilitator.reply("f-3")
        await facilitator.send({"type": "show_debrief", "id": "f-4"})
        await facilitator.reply("f-4")
        await settle(everyone)

        for peer in everyone:
            await peer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="print tokens in full")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="raaderum-example-") as tmp:
        port = free_port()
        env = {
            **os.environ,
            "RAADERUM_STORE": f"sqlite:///{tmp}/example.db",
            "RAADERUM_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app"),
                    *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base_url, server)
            asyncio.run(play(base_url, Printer(args.full)))
        except Exception:
            print(log_path.read_text(errors="replace"), file=sys.stderr)
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer /healthz within {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
