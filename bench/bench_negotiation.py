"""Issue 13's voting measurements under today's rules (3), over many seeded deals per table size.

- unanimous: every voter votes for; the recorded share_for and whether the mayor's 80 % hjertesag holds.
- alone: the mayor votes for a proposal and calls the vote; how often one player adopts a forlig alone.

Run: .venv/bin/python bench/bench_negotiation.py [deals per size]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.model import FACILITATOR, Actor, CallVote, CastVote, CreateGame, Join, Propose, StartRound
from engine.rules import decide, fold, initial_state, voters

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
CARDS = ("ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "ÆL-U1", "SK-04", "DT-02", "ÆL-05")


def _play(state, command, actor=FACILITATOR):  # type: ignore[no-untyped-def]
    return fold(state.deck, decide(state, command, actor), state)


def _table(deck, seed: int, size: int):  # type: ignore[no-untyped-def]
    state = _play(initial_state(deck), CreateGame(at=AT, table_name="Bord", seed=seed))
    for n in range(size):
        state = _play(state, Join(at=AT, player_id=f"p{n}", name=f"P{n}"))
    return _play(state, StartRound(at=AT))


def main(deals: int) -> None:
    deck = load_deck(DEFAULT_DECK_PATH)
    for size in range(3, 9):
        shares, met, alone = [], 0, 0
        for seed in range(deals):
            state = _table(deck, seed, size)
            mayor = next(p.id for p in state.seated() if p.role == "borgmester")
            start = _play(state, Propose(at=AT, cards=CARDS), Actor.player(mayor))
            unanimous = start
            for pid in voters(start):
                unanimous = _play(unanimous, CastVote(at=AT, proposal_id="F1", choice="for"), Actor.player(pid))
            assert unanimous.forlig is not None
            shares.append(unanimous.forlig.share_for)
            met += unanimous.forlig.share_for >= 0.8
            called = _play(start, CastVote(at=AT, proposal_id="F1", choice="for"), Actor.player(mayor))
            called = _play(called, CallVote(at=AT, proposal_id="F1"), Actor.player(mayor))
            alone += called.forlig is not None
        print(
            f"{size} players, {deals} deals: unanimous share_for min {min(shares):.2f}, "
            f"mayor's 80 % met {100 * met / deals:.0f} %, one player adopts alone {100 * alone / deals:.0f} %"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
