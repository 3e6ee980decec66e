"""Engine benchmarks: folding a long log, the debrief's Monte Carlo, and `decide` per call.

Run: .venv/bin/python bench/bench_engine.py [--profile]

Targets: fold 100,000 events in ≤ 1 s; debrief with 10,000 draws on a forlig of ~18 cards in ≤ 200 ms.
Each figure is the median of several runs. `--profile` prints cProfile's top entries for the fold.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from engine.budget import validate_portfolio
from engine.debrief import debrief
from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.errors import RuleViolation
from engine.model import (
    FACILITATOR,
    Actor,
    CastVote,
    Command,
    CreateGame,
    EndGame,
    EndRound,
    Event,
    ForceAdopt,
    Join,
    PostMessage,
    Propose,
    StartRound,
    State,
)
from engine.rules import decide, evolve, fold, initial_state

EVENTS = 100_000
PLAYERS = 6
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
CHAT = [
    "Kan vi ikke tage #AD-03 i stedet?",
    "Jeg kan ikke stemme for en skolelukning.",
    "Hvad med overslagsårene?",
    "Vi mangler en investering i forslaget.",
    "Enig, men så skal ønsket med.",
]


class Table:
    """Plays commands through decide + evolve, as the server does, and keeps the log."""

    def __init__(self, deck: Deck) -> None:
        self.state: State = initial_state(deck)
        self.events: list[Event] = []
        self.clock = START

    def play(self, command_of: Callable[[datetime], Command], actor: Actor = FACILITATOR) -> list[Event]:
        self.clock += timedelta(seconds=1)
        events = decide(self.state, command_of(self.clock), actor)
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        return events


def portfolio(deck: Deck, size: int, rng: random.Random, events: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A valid portfolio of about `size` cards, grown greedily from a shuffled deck."""
    order = [card.id for card in deck.cards]
    rng.shuffle(order)
    chosen: list[str] = []
    for card_id in order:
        candidate = [*chosen, card_id, *deck.card(card_id).requires]
        candidate = list(dict.fromkeys(candidate))
        try:
            validate_portfolio(deck, candidate, events)
        except RuleViolation:
            continue
        chosen = candidate
        if len(chosen) >= size:
            break
    return tuple(chosen)


def seated_table(deck: Deck, seed: int) -> Table:
    table = Table(deck)
    table.play(lambda at: CreateGame(at=at, table_name="Bench", seed=seed, rounds=10))
    for number in range(1, PLAYERS + 1):
        table.play(lambda at, n=number: Join(at=at, player_id=f"p{n}", name=f"Spiller {n}"))
    table.play(lambda at: StartRound(at=at))
    return table


def long_log(deck: Deck) -> list[Event]:
    """~100,000 events: mostly chat, a proposal every 50 steps with a few votes each, a new round per third."""
    rng = random.Random(1)
    table = seated_table(deck, seed=1)
    players = [f"p{n}" for n in range(1, PLAYERS + 1)]
    step = 0
    while len(table.events) < EVENTS:
        step += 1
        state = table.state
        if state.phase != "round" or (step % 33_000 == 0 and len(state.rounds) < 3):
            if state.phase == "round":
                table.play(lambda at: EndRound(at=at))
            table.play(lambda at: StartRound(at=at))
            continue
        player = Actor.player(rng.choice(players))
        if step % 50 == 0:
            cards = portfolio(deck, rng.randint(8, 16), rng, state.event_cards)
            table.play(lambda at, c=cards: Propose(at=at, cards=c), player)
        elif step % 50 in (1, 2, 3) and state.proposals:
            last = next(reversed(state.proposals.values()))
            choice = rng.choice(["against", "against", "abstain", "for"])
            # Økonomidirektøren has no vote, and the proposal may be resolved already.
            with contextlib.suppress(RuleViolation):
                table.play(lambda at, p=last.id, v=choice: CastVote(at=at, proposal_id=p, choice=v), player)
        else:
            table.play(lambda at: PostMessage(at=at, text=rng.choice(CHAT)), player)
    return table.events[:EVENTS]


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def per_call_microseconds(action: Callable[[], object], calls: int, runs: int = 5) -> float:
    def batch() -> None:
        for _ in range(calls):
            action()

    return median_seconds(batch, runs) / calls * 1e6


def forlig_table(deck: Deck, size: int) -> Table:
    table = seated_table(deck, seed=2)
    cards = portfolio(deck, size, random.Random(3))
    table.play(lambda at: Propose(at=at, cards=cards), Actor.player("p1"))
    table.play(lambda at: ForceAdopt(at=at, proposal_id="F1"))
    table.play(lambda at: EndGame(at=at))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true", help="profile the fold with cProfile")
    args = parser.parse_args()
    deck = load_deck(DEFAULT_DECK_PATH)

    events = long_log(deck)
    kinds: dict[str, int] = {}
    for event in events:
        kinds[event.type] = kinds.get(event.type, 0) + 1
    mix = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1]))
    fold_seconds = median_seconds(lambda: fold(deck, events), runs=5)
    print(f"(a) fold {len(events):,} events: median {fold_seconds * 1000:.0f} ms (target ≤ 1000 ms)")
    print(f"    mix: {mix}")

    table = forlig_table(deck, size=18)
    assert table.state.forlig is not None
    debrief(table.state)  # warm-up: the deck's card index, numpy's first calls
    debrief_seconds = median_seconds(lambda: debrief(table.state, draws=10_000), runs=11)
    print(
        f"(b) debrief, {len(table.state.forlig.cards)} cards, 10,000 draws: median {debrief_seconds * 1000:.1f} ms "
        "(target ≤ 200 ms)"
    )

    mid = seated_table(deck, seed=4).state
    cards = portfolio(deck, 12, random.Random(5), mid.event_cards)
    chat = PostMessage(at=START, text="Vi kan tage #AD-03 og #SK-02 sammen.")
    propose = Propose(at=START, cards=cards)
    player = Actor.player("p1")
    chat_us = per_call_microseconds(lambda: decide(mid, chat, player), calls=20_000)
    propose_us = per_call_microseconds(lambda: decide(mid, propose, player), calls=5_000)
    print(f"(c) decide chat: median {chat_us:.1f} µs/call")
    print(f"    decide propose ({len(cards)} cards): median {propose_us:.1f} µs/call")

    if args.profile or fold_seconds > 1.0:
        profiler = cProfile.Profile()
        profiler.runcall(fold, deck, events)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
