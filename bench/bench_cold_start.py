"""Cold start: with 1,000 tables in the store, how soon a restarted server answers /healthz and serves a table.

    .venv/bin/python bench/bench_cold_start.py [--store sqlite|redis] [--tables 1000] [--chats 100] [--repeat 3]

The store is filled in this process through the server's own code (conferences of 100 tables; each
table: game_created, 8 players joined, roles dealt, round 1 started, `--chats` chat lines, a proposal
and votes). Then, `--repeat` times: start a server process on that store (testsupport's ServerProcess:
the uvicorn options of `raaderum serve`), time until GET /healthz answers 200, then until a websocket to a
table picked at random has its snapshot. Nothing is preloaded: a table is read from the store when it is
first needed, so neither figure grows with the number of tables in the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import SYSTEM, Actor
from engine.deck import DEFAULT_DECK_PATH
from engine.model import CastVote, Join, PostMessage, Propose, StartRound
from server.auth import Claims, TokenSigner
from server.live import conferences
from server.live.conferences import ConferenceRequest
from server.live.tables import Decks, Table, Tables, now
from server.store import open_store
from testsupport.redis import DURABLE, RedisServer
from testsupport.servers import ServerProcess


async def fill(store_url: str, tables: int, chats: int, signer: TokenSigner) -> list[tuple[str, str]]:
    """Create `tables` played tables; returns (table id, facilitator token) of each."""
    store = open_store(store_url)
    live = Tables(store, Decks(DEFAULT_DECK_PATH.parent))
    created: list[tuple[str, str]] = []
    try:
        while len(created) < tables:
            count = min(100, tables - len(created))
            conference = await conferences.create_conference(
                store, live, ConferenceRequest(name=f"Cold start {len(created) // 100 + 1}", tables=count)
            )
            token = signer.sign(Claims(role="facilitator", conference_id=conference.conference_id))
            refs = [ref.table_id for ref in conference.tables]
            for start in range(0, len(refs), 25):
                loaded = [live.loaded(table_id) for table_id in refs[start : start + 25]]
                await asyncio.gather(*(play_table(table, chats) for table in loaded if table is not None))
            created += [(table_id, token) for table_id in refs]
            print(f"  filled {len(created)} tables", file=sys.stderr, flush=True)
    finally:
        live.close()
        await store.close()
    return created


async def play_table(table: Table, chats: int) -> None:
    players = [f"p{n}{secrets.token_hex(4)}" for n in range(8)]
    for number, player_id in enumerate(players, 1):
        await table.execute(Join(at=now(), player_id=player_id, name=f"Spiller {number}"), SYSTEM, f"join:{player_id}")
    await table.execute(StartRound(at=now()), Actor("facilitator"), "start")
    cards = [card.id for card in table.state.deck.cards]
    for n in range(chats):
        player = players[n % 8]
        await table.execute(PostMessage(at=now(), text=f"besked {n} #{cards[n % 10]}"), Actor.player(player), f"c{n}")
    await table.execute(Propose(at=now(), cards=tuple(cards[:3])), Actor.player(players[0]), "f1")
    voters = [p for p in players[1:] if table.state.players[p].role != "oekonomidirektoer"]
    for player in voters[:3]:
        await table.execute(CastVote(at=now(), proposal_id="F1", choice="for"), Actor.player(player), f"v{player}")


async def restart(store_url: str, secret: str, table_id: str, token: str, logdir: Path) -> tuple[float, float]:
    """Start a server; (seconds until /healthz answers, seconds until the table's snapshot arrives)."""
    server = ServerProcess(store_url, secret=secret, log_dir=logdir)
    started = time.perf_counter()
    try:
        server.start(timeout=60, poll=0.005)
        healthy = time.perf_counter() - started
        async with connect(f"{server.ws_url}/ws/tables/{table_id}", compression=None) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token, "after": 0}))
            while json.loads(await ws.recv())["type"] != "snapshot":
                pass
        served = time.perf_counter() - started
        return healthy, served
    finally:
        server.stop(15)


async def run(args: argparse.Namespace) -> dict[str, object]:
    secret = secrets.token_hex(32)
    signer = TokenSigner(secret)
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        directory = Path(tmp)
        redis: RedisServer | None = None
        if args.store == "redis":
            redis = RedisServer(directory / "redis", *DURABLE)
            redis.start()
            store_url = redis.url
        else:
            store_url = f"sqlite:///{directory / 'events.db'}"
        try:
            fill_started = time.perf_counter()
            created = await fill(store_url, args.tables, args.chats, signer)
            fill_seconds = time.perf_counter() - fill_started
            healthz: list[float] = []
            served: list[float] = []
            for _ in range(args.repeat):
                table_id, token = random.choice(created)
                healthy, first = await restart(store_url, secret, table_id, token, directory)
                healthz.append(healthy)
                served.append(first)
                print(f"  /healthz {healthy:.2f} s, table served {first:.2f} s", file=sys.stderr, flush=True)
        finally:
            if redis is not None:
                redis.stop()
    return {
        "store": args.store,
        "tables": args.tables,
        "events_per_table": 8 + 4 + args.chats + 4,
        "fill_seconds": round(fill_seconds, 1),
        "healthz_seconds": round(statistics.median(healthz), 2),
        "table_served_seconds": round(statistics.median(served), 2),
        "runs": args.repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=100, help="chat lines per table")
    parser.add_argument("--repeat", type=int, default=3)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
