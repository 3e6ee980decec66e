"""Issue 13's voting measurements, over many seeded deals per table size (3-8 players), under today's rules (3)
and, for comparison, under rules 2 (the threshold adopted the moment it was crossed and ended the round).

- unanimous: every voter votes for the same valid proposal, one after the other; the recorded share_for,
  and whether the mayor's hjertesag "bredt forlig: mindst 80 pct." (adopted_share_at_least) holds, as the
  debrief judges it (engine.debrief.hjertesag_met).
- alone: the mayor votes for a proposal and nobody else does; under rules 3 the mayor then calls the vote.
  How often one player adopts a forlig alone.

Run: .venv/bin/python bench/bench_negotiation.py [deals per size]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.budget import assess
from engine.debrief import hjertesag_met
from engine.deck import DEFAULT_DECK_PATH, AdoptedShareAtLeast, Deck, load_deck
from engine.model import FACILITATOR, Actor, CallVote, CastVote, Command, CreateGame, Join, Propose, StartRound, State
from engine.rules import decide, fold, initial_state, voters

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
CARDS = ("ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "ÆL-U1", "SK-04", "DT-02", "ÆL-05")


def _play(state: State, command: Command, actor: Actor = FACILITATOR) -> State:
    return fold(state.deck, decide(state, command, actor), state)


def _table(deck: Deck, seed: int, size: int, rules: int) -> State:
    created = decide(initial_state(deck), CreateGame(at=AT, table_name="Bord", seed=seed), FACILITATOR)
    state = fold(deck, [created[0].model_copy(update={"rules": rules})])  # an older release's game, for rules 2
    for n in range(size):
        state = _play(state, Join(at=AT, player_id=f"p{n}", name=f"P{n}"))
    return _play(state, StartRound(at=AT))


def _mayors_share_sag_met(state: State) -> bool:
    sag = next(s for s in state.deck.role("borgmester").hjertesager if isinstance(s.condition, AdoptedShareAtLeast))
    assert state.config is not None
    cards = state.forlig.cards if state.forlig is not None else ()
    return hjertesag_met(sag.condition, state.deck, state.forlig, assess(state.deck, cards, (), state.config.target))


def measure(deck: Deck, size: int, deals: int, rules: int) -> tuple[float, float, float]:
    """(lowest unanimous share_for, % of deals where the mayor's 80 % hjertesag holds, % adopted alone)."""
    shares, met, alone = [], 0, 0
    for seed in range(deals):
        state = _table(deck, seed, size, rules)
        mayor = next(p.id for p in state.seated() if p.role == "borgmester")
        start = _play(state, Propose(at=AT, cards=CARDS), Actor.player(mayor))
        unanimous = start
        for pid in voters(start):
            if unanimous.proposals["F1"].status != "open":
                break  # rules 2: adopted at the crossing, the others never vote
            unanimous = _play(unanimous, CastVote(at=AT, proposal_id="F1", choice="for"), Actor.player(pid))
        assert unanimous.forlig is not None
        shares.append(unanimous.forlig.share_for)
        met += _mayors_share_sag_met(unanimous)
        called = _play(start, CastVote(at=AT, proposal_id="F1", choice="for"), Actor.player(mayor))
        if rules >= 3 and called.proposals["F1"].status == "open":
            called = _play(called, CallVote(at=AT, proposal_id="F1"), Actor.player(mayor))
        alone += called.forlig is not None
    return min(shares), 100 * met / deals, 100 * alone / deals


def main(deals: int) -> None:
    deck = load_deck(DEFAULT_DECK_PATH)
    for rules in (2, 3):
        print(f"rules {rules}:")
        for size in range(3, 9):
            share, met, alone = measure(deck, size, deals, rules)
            print(
                f"  {size} players, {deals} deals: unanimous share_for min {share:.2f}, "
                f"mayor's 80 % met {met:.0f} %, one player adopts alone {alone:.0f} %"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
