"""Replay benchmarks: open and scrub a 20,000-event log, in process and over HTTP.

Run: .venv/bin/python bench/bench_replay.py [--events 20000] [--no-http]

(a) the log: build it (engine), write it as JSONL (export) and read it back with every check (import);
(b) in process, what the server does per request (`server.operations.archive.Replay.frame_json`): time to first view
    (read + the frame at seq 1, and the frame at the end with its debrief) and per step (±1, random scrubs);
(c) over HTTP on a real server process (testsupport's, with `raaderum serve`'s uvicorn options): upload,
    the viewer's first requests, steps and scrubs.
Figures are medians (p95 where it says so) on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # for testsupport when run as a script
from bench_engine import CHAT, PLAYERS, Table, portfolio, seated_table

from engine.archive import TableLog, build_table_log, event_line, read_archive
from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.errors import RuleViolation
from engine.model import (
    Actor,
    Announce,
    CastVote,
    EndGame,
    EndRound,
    ForceAdopt,
    PostMessage,
    Propose,
    ShowDebrief,
    StartRound,
)
from server.operations.archive import Replay
from testsupport.servers import ServerProcess

STORED = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def big_game(deck: Deck, events: int) -> Table:
    """`events` events: 10 rounds with event cards, chat, a proposal every 40 steps with votes, a forlig a round."""
    rng = random.Random(7)
    table = seated_table(deck, seed=7)
    players = [f"p{n}" for n in range(1, PLAYERS + 1)]
    per_round = events // 10
    step = 0
    while len(table.events) < events - 4:
        step += 1
        state = table.state
        round_ = state.current_round
        if state.phase == "round" and len(table.events) > per_round * len(state.rounds) and len(state.rounds) < 10:
            open_ = [p.id for p in state.proposals.values() if p.status == "open"]
            if open_:
                table.play(lambda at, p=open_[-1]: ForceAdopt(at=at, proposal_id=p))
            if table.state.phase == "round":
                table.play(lambda at: EndRound(at=at))
            table.play(lambda at: StartRound(at=at))
            text = f"Runde {len(table.state.rounds)} er i gang."
            table.play(lambda at, t=text: Announce(at=at, text=t))
            continue
        if state.phase != "round" or round_ is None:
            break
        player = Actor.player(rng.choice(players))
        with contextlib.suppress(RuleViolation):
            if step % 40 == 0:
                cards = portfolio(deck, rng.randint(8, 16), rng, state.event_cards)
                table.play(lambda at, c=cards: Propose(at=at, cards=c), player)
            elif step % 40 in (1, 2, 3, 4) and state.proposals:
                last = next(reversed(state.proposals.values()))
                choice = rng.choice(["against", "against", "abstain", "for"])
                table.play(lambda at, p=last.id, v=choice: CastVote(at=at, proposal_id=p, choice=v), player)
            else:
                table.play(lambda at: PostMessage(at=at, text=rng.choice(CHAT)), player)
    table.play(lambda at: EndGame(at=at))
    table.play(lambda at: ShowDebrief(at=at))
    return table


def as_log(deck: Deck, table: Table) -> TableLog:
    lines = [event_line(seq, STORED + timedelta(seconds=seq), event) for seq, event in enumerate(table.events, 1)]
    return build_table_log(deck=deck, table_id="bench", table_name="Bord 1", lines=lines, raaderum_version="bench")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {ms(statistics.median(ordered))}, p95 {ms(p95)}, max {ms(ordered[-1])} ({len(ordered)} requests)"


def in_process(text: str, total: int, rng: random.Random) -> None:
    opened: dict[str, Replay] = {}

    def open_log() -> None:
        opened["replay"] = Replay.of("bench", read_archive(text).tables[0])

    read = statistics.median(timed(open_log) for _ in range(3))
    replay = opened["replay"]
    first = timed(lambda: replay.frame_json(1))
    end = timed(lambda: replay.frame_json(total))
    end_again = timed(lambda: replay.frame_json(total))
    print(f"(b) open (read + check + fold with checkpoints + markers): {ms(read)}")
    print(f"    first view: frame at seq 1 {ms(first)}; time to first view {ms(read + first)}")
    print(f"    the end with its debrief (10,000 draws): {ms(end)} (cached afterwards: {ms(end_again)})")
    middle = total // 2
    replay.frame_json(middle)
    forward = [timed(lambda s=seq: replay.frame_json(s)) for seq in range(middle + 1, middle + 201)]
    backward = [timed(lambda s=seq: replay.frame_json(s)) for seq in range(middle + 199, middle - 1, -1)]
    picks = [rng.randint(1, total - 10) for _ in range(200)]
    scrubs = [timed(lambda s=seq: replay.frame_json(s)) for seq in picks]
    size = len(replay.frame_json(middle))
    print(f"    step +1: {summary(forward)}")
    print(f"    step −1: {summary(backward)}")
    print(f"    random scrub: {summary(scrubs)}; a frame is {size / 1024:.0f} KiB of JSON")


def over_http(text: str, total: int, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(f"sqlite:///{Path(folder) / 'events.db'}", log_dir=Path(folder))
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                started = time.perf_counter()
                uploaded = http.post("/api/replays", content=text.encode())
                upload = time.perf_counter() - started
                replay_id = uploaded.json()["replays"][0]["replay_id"]
                page = timed(lambda: http.get(f"/replay/{replay_id}").raise_for_status())
                meta = timed(lambda: http.get(f"/api/replays/{replay_id}").raise_for_status())
                first = timed(lambda: http.get(f"/api/replays/{replay_id}/at/1").raise_for_status())
                end = timed(lambda: http.get(f"/api/replays/{replay_id}/at/{total}").raise_for_status())
                print(f"(c) upload {len(text) / 2**20:.1f} MiB (check + store): {ms(upload)}")
                print(
                    f"    then the page {ms(page)}, the timeline {ms(meta)}, the frame at seq 1 {ms(first)}: "
                    f"time to first view {ms(upload + page + meta + first)}"
                )
                print(f"    the frame at the end with its debrief: {ms(end)}")
                middle = total // 2
                http.get(f"/api/replays/{replay_id}/at/{middle}")
                steps = [
                    timed(lambda s=seq: http.get(f"/api/replays/{replay_id}/at/{s}").raise_for_status())
                    for seq in range(middle + 1, middle + 201)
                ]
                picks = [rng.randint(1, total - 10) for _ in range(200)]
                scrubs = [
                    timed(lambda s=seq: http.get(f"/api/replays/{replay_id}/at/{s}").raise_for_status())
                    for seq in picks
                ]
                print(f"    step +1: {summary(steps)}")
                print(f"    random scrub: {summary(scrubs)}")
        finally:
            server.stop(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--no-http", action="store_true", help="skip the measurements over HTTP")
    args = parser.parse_args()
    deck = load_deck(DEFAULT_DECK_PATH)
    rng = random.Random(11)

    started = time.perf_counter()
    table = big_game(deck, args.events)
    built = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for event in table.events:
        kinds[event.type] = kinds.get(event.type, 0) + 1
    mix = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1]))
    log = as_log(deck, table)
    text_holder: dict[str, str] = {}
    export = timed(lambda: text_holder.update(text=as_log(deck, table).render()))
    text = text_holder["text"]
    total = log.total
    print(f"(a) a log of {total:,} events ({len(text) / 2**20:.1f} MiB): played in {built:.1f} s")
    print(f"    mix: {mix}")
    print(f"    export (lines, check, fold, write): {ms(export)}")
    in_process(text, total, rng)
    if not args.no_http:
        over_http(text, total, rng)


if __name__ == "__main__":
    main()
