"""Target feasibility: the highest X (råderum in the budgetår) a deck's cards can deliver under the verdict.

`feasible_range(deck)` is what the API checks a conference's target against, what the setup page shows
and what `raaderum deck check` prints. It asks, for the deck with no event and under each single event,
for the best portfolio: the one that meets every required condition of the verdict for the highest X.

The search is a deterministic local search (greedy start, then single additions, removals and swaps
until none improves), so `max_target` is a portfolio that really exists: a lower bound on the exact
optimum. bench/bench_balance.py solves the same problem exactly (MILP) and reports any difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.budget import RULES_VERSION, Assessment, assess, balance, target_slopes, target_years, validate_portfolio
from engine.debrief import kind_gains, kind_shares_met
from engine.deck import REQUIRED_KINDS, Deck
from engine.errors import RuleViolation

LevelName = Literal["let", "middel", "svær"]
# The suggested levels as shares of the highest target that holds under the worst single event, so
# each one is reachable whichever event the table draws first. `middel` is the deck's default target
# when that is reachable, so a facilitator who changes nothing plays the deck as designed.
LEVEL_SHARES: dict[LevelName, float] = {"let": 0.6, "svær": 1.0}
# Targets are offered and compared in steps of 0.5 mio. kr.: a suggested level is rounded down to it.
STEP = 0.5


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(Frozen):
    name: LevelName
    target: float  # X, mio. kr. in the budgetår
    reachable: bool  # a portfolio meets the verdict at this X with no event (always true for a suggestion)
    reachable_worst_event: bool  # ... and under the deck's worst single event


class FeasibleRange(Frozen):
    """What a deck can deliver. Stable API: the server, the setup page and the CLI read these fields."""

    max_target: float  # the highest X a portfolio meets the verdict with, no event drawn (mio. kr.)
    max_target_worst_event: float  # the same under the worst single event (the lowest over the events)
    worst_event: str | None  # that event's id; None for a deck without events
    portfolio: tuple[str, ...]  # a portfolio that reaches max_target
    levels: tuple[Level, ...]  # let, middel, svær: suggested targets, each reachable

    def allows(self, target: float) -> bool:
        """Whether a facilitator may choose this X (rounding noise of the figures is tolerated)."""
        return target <= self.max_target + 1e-9


def verdict_capacity(deck: Deck, assessment: Assessment, rules: int = RULES_VERSION) -> float:
    """The highest X at which a portfolio, assessed against the target for X = 0, meets the verdict; −inf
    when a condition that does not depend on X fails (kinds, wishes unfunded, the anlægspulje exceeded).

    Every year's target is offset + slope · X (engine.budget.target_years), so each required year gives
    X ≤ (result + tolerance) / slope: rules 1 require the budgetår only, rules 2 the overslagsår too,
    within the deck's structural tolerance."""
    if any(
        funded < required for funded, required in zip(assessment.wish_funding, assessment.wish_required, strict=True)
    ):
        return -math.inf
    if assessment.capital_spent > assessment.capital_pool:
        return -math.inf
    slopes = target_slopes(deck.scenario, rules)
    if rules < 2:
        if any(kind not in assessment.kinds_present for kind in REQUIRED_KINDS):
            return -math.inf
        return assessment.result[0] / slopes[0]
    if not all(kind_shares_met(deck, assessment).values()):
        return -math.inf
    tolerance = balance(deck.scenario).structural_tolerance
    bounds = [assessment.result[0] / slopes[0]]
    bounds += [(assessment.result[year] + tolerance) / slopes[year] for year in (1, 2, 3)]
    return min(bounds)


def _shortfall(deck: Deck, assessment: Assessment, rules: int) -> float:
    """How far a portfolio is from the X-independent conditions (mio. kr.): 0 when it meets them. Lets the
    search walk towards a valid portfolio instead of only comparing valid ones."""
    wishes = sum(max(0.0, r - f) for f, r in zip(assessment.wish_funding, assessment.wish_required, strict=True))
    capital = max(0.0, assessment.capital_spent - assessment.capital_pool)
    if rules < 2:
        kinds = sum(1.0 for kind in REQUIRED_KINDS if kind not in assessment.kinds_present)
    else:
        share = balance(deck.scenario).kind_share_min
        gains = kind_gains(deck, assessment)
        total = sum(gains[kind] for kind in REQUIRED_KINDS)
        kinds = sum(max(0.0, share * total - gains[kind]) for kind in REQUIRED_KINDS) + (1.0 if total <= 0 else 0.0)
    return round(wishes + capital + kinds, 6)


def _score(deck: Deck, cards: Sequence[str], event_ids: Sequence[str], rules: int) -> tuple[int, float]:
    """(1, capacity) for a portfolio meeting the conditions, (0, −shortfall) otherwise; −inf if invalid."""
    if not cards:
        return (-1, -math.inf)
    try:
        validate_portfolio(deck, cards, event_ids)
    except RuleViolation:
        return (-1, -math.inf)
    assessment = assess(deck, cards, event_ids, target_years(deck.scenario, 0.0, rules))
    capacity = verdict_capacity(deck, assessment, rules)
    if capacity > -math.inf:
        return (1, capacity)
    return (0, -_shortfall(deck, assessment, rules))


def best_portfolio(
    deck: Deck, event_ids: Sequence[str] = (), rules: int = RULES_VERSION, *, levers: bool = True
) -> tuple[tuple[str, ...], float]:
    """A portfolio with the highest verdict capacity found, and that capacity (X, mio. kr.; −inf if none)."""
    ids = [card.id for card in deck.cards] + ([lever.id for lever in deck.levers] if levers else [])

    def score(chosen: frozenset[str]) -> tuple[int, float]:
        return _score(deck, [card_id for card_id in ids if card_id in chosen], event_ids, rules)

    # Greedy start: every card that frees money in the budgetår; the search adds what the conditions lack.
    chosen = frozenset(card.id for card in deck.cards if card.amounts[0] > 0 and card.kind != "udvidelse")
    best = score(chosen)
    improved = True
    while improved:
        improved = False
        candidates = [chosen ^ {card_id} for card_id in ids]
        candidates += [(chosen - {out}) | {into} for out in sorted(chosen) for into in ids if into not in chosen]
        for candidate in candidates:
            value = score(candidate)
            if value[0] > best[0] or (value[0] == best[0] and value[1] > best[1] + 1e-9):
                chosen, best = candidate, value
                improved = True
                break
    capacity = best[1] if best[0] == 1 else -math.inf
    return tuple(card_id for card_id in ids if card_id in chosen), capacity


def _floor(value: float) -> float:
    return math.floor(value / STEP + 1e-9) * STEP


def _compute(deck: Deck) -> FeasibleRange:
    portfolio, max_target = best_portfolio(deck)
    worst_event: str | None = None
    worst = max_target
    for event in deck.events:
        _, capacity = best_portfolio(deck, (event.id,))
        if capacity < worst:
            worst_event, worst = event.id, capacity
    max_target = max(0.0, round(max_target, 6))
    worst = max(0.0, round(worst, 6))
    default = deck.scenario.default_target
    middel = default if default <= worst else _floor(worst * 0.8)
    targets: dict[LevelName, float] = {
        "let": _floor(worst * LEVEL_SHARES["let"]),
        "middel": middel,
        "svær": _floor(worst * LEVEL_SHARES["svær"]),
    }
    levels = tuple(
        Level(name=name, target=value, reachable=value <= max_target, reachable_worst_event=value <= worst)
        for name, value in targets.items()
    )
    return FeasibleRange(
        max_target=max_target,
        max_target_worst_event=worst,
        worst_event=worst_event,
        portfolio=portfolio,
        levels=levels,
    )


_CACHE: dict[str, FeasibleRange] = {}


def feasible_range(deck: Deck) -> FeasibleRange:
    """The deck's feasible targets, computed once per deck (by its digest: a deck never changes)."""
    found = _CACHE.get(deck.digest)
    if found is None:
        found = _CACHE[deck.digest] = _compute(deck)
    return found
