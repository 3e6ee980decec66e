"""Bots benchmark (not a test), issue 18: how well do tables of practice bots play?

Plays seeded games of bots through the engine (engine.rehearsal.play_table: every command through
`decide`, the events drawn by the game's seed) on the default deck at its default X and default rounds,
and prints the share of games that end with a forlig meeting the verdict, and those forligs' service
index, net årsværk and hjertesager met (per role and for the table) next to the balance benchmark's exact
best portfolio (bench/bench_balance.py `exact`: the least service reduction meeting every condition, no
event), judged by the same engine.

    .venv/bin/python bench/bench_bots.py [--games 200] [--bots 4] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_balance import exact

from engine.budget import RULES_VERSION, assess, target_years
from engine.debrief import debrief, hjertesag_met, verdict
from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.rehearsal import play_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--bots", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    deck = load_deck(DEFAULT_DECK_PATH)
    x = deck.scenario.default_target
    rounds = deck.scenario.default_rounds
    seeds = random.Random(f"bench_bots:{args.seed}")
    started = time.perf_counter()
    reached = forlig = 0
    services: list[int] = []
    fte: list[float] = []
    table_scores: list[int] = []
    table_possible: list[int] = []
    by_role: dict[str, list[tuple[int, int]]] = defaultdict(list)
    commands: list[int] = []
    last_round: list[int] = []
    for _ in range(args.games):
        played = play_table(deck, seed=seeds.randrange(2**31), bots=args.bots, target=x)
        commands.append(played.commands)
        state = played.state
        if state.forlig is None:
            continue
        forlig += 1
        result = debrief(state, draws=200)
        if not result.verdict.reached:
            continue
        reached += 1
        last_round.append(state.forlig.round)
        services.append(result.service_index)
        fte.append(result.net_fte)
        score = possible = 0
        for role in result.hjertesager:
            met = sum(1 for sag in role.hjertesager if sag.met)
            by_role[role.role].append((met, len(role.hjertesager)))
            score, possible = score + met, possible + len(role.hjertesager)
        table_scores.append(score)
        table_possible.append(possible)
    elapsed = time.perf_counter() - started
    games = args.games
    print(f"{games} games of {args.bots} bots, {deck.scenario.id}, X = {x}, {rounds} rounds, rules {RULES_VERSION}")
    print(f"  forlig: {forlig / games:.1%}; forlig meeting the verdict: {reached / games:.1%} (target ≥ 80 %)")
    if reached:
        print("  adopted in round: " + ", ".join(f"{r}: {last_round.count(r)}" for r in range(1, rounds + 1)))
        print(
            f"  service index: mean {statistics.mean(services):.1f} (median {statistics.median(services)}, "
            f"best {max(services)}, worst {min(services)})"
        )
        print(f"  net årsværk: mean {statistics.mean(fte):.1f} (best {max(fte):.1f}, worst {min(fte):.1f})")
        share = sum(table_scores) / sum(table_possible)
        print(
            f"  hjertesager met at the table: {statistics.mean(table_scores):.2f} per table "
            f"({share:.0%} of those dealt)"
        )
        for role_id, pairs in sorted(by_role.items()):
            met = sum(m for m, _ in pairs)
            of = sum(p for _, p in pairs)
            print(f"    {role_id:26} {met / len(pairs):.2f} of {of / len(pairs):.0f} ({len(pairs)} games)")
    print(f"  bot commands per game: mean {statistics.mean(commands):.0f}")
    found = exact(deck, x, levers=False)
    if found is not None:
        cards, _ = found
        assessment = assess(deck, cards, (), target_years(deck.scenario, x))
        ok = verdict(deck, assessment, (), RULES_VERSION).reached
        met = {
            role.id: sum(1 for sag in role.hjertesager if hjertesag_met(sag.condition, deck, None, assessment))
            for role in deck.roles
        }
        print(
            f"balance benchmark's exact best portfolio at X = {x} (no event, no lever; verdict {ok}): service "
            f"{assessment.service}, net årsværk {assessment.fte:.1f}, hjertesager met "
            + ", ".join(f"{role} {n}" for role, n in met.items())
            + f" (all roles: {sum(met.values())}; the mayor's vote share counted as unmet)"
        )
        print(f"  {' '.join(cards)}")
    print(f"{elapsed:.1f} s for the games ({elapsed / games * 1000:.0f} ms per game)")


if __name__ == "__main__":
    main()
