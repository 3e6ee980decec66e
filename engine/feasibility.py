"""Target feasibility: the highest X (råderum in the budgetår) a deck's cards can deliver under the verdict.

`feasible_range(deck)` is what the API checks a conference's target against, what the setup page shows
and what `raaderum deck check` prints. It asks, for the deck with no event and under each single event,
for the best portfolio: the one that meets every required condition of the verdict for the highest X.

The search is exact: a mixed-integer programme of the verdict (every required year, the wishes, the
anlægspulje, the kinds' shares, requires/excludes and the event's effects) solved by branch and bound
(HiGHS, through scipy.optimize.milp) within a budget counted in nodes, never in seconds, so the answer is
the same on every machine. Its portfolio is re-checked with `assess`, so `max_target` is a portfolio that
really exists; `exact` says the optimum was proven, and the `…_bound` fields give the proven upper bound
when the budget ran out first. A 200-proposal catalogue takes 0,3-1 s of CPU (bench/bench_catalog.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from engine.budget import (
    RULES_VERSION,
    Assessment,
    Years,
    assess,
    balance,
    lever_amounts,
    scaled_amounts,
    shift_one_year,
    target_slopes,
    target_years,
    validate_portfolio,
)
from engine.debrief import kind_gains, kind_shares_met, share_base
from engine.deck import (
    REQUIRED_KINDS,
    ConditionalEffect,
    Deck,
    DelayCardsEffect,
    DisableCardsEffect,
    EarmarkedGrantEffect,
    GapEffect,
    HearingEffect,
    OverspendSanctionEffect,
    ScaleCardsEffect,
)
from engine.errors import RuleViolation

LevelName = Literal["let", "middel", "svær"]
# Targets are offered and compared in steps of 0.5 mio. kr.: a suggested level is rounded down to it.
STEP = 0.5
# The local search (the fallback when the exact search has no portfolio the engine accepts) tries pairs of
# flips only on decks this small: the pairs grow with the square of the cards.
PAIRS_UP_TO = 80


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
    max_target_cards: float = 0.0  # max_target with the cards alone, no lever
    max_target_cards_worst_event: float = 0.0  # ... and under the worst single event
    # Whether every figure above is the proven optimum (the branch and bound closed within its budget of
    # nodes); when not, each is a real portfolio's and the bounds say how far the optimum can lie above it.
    exact: bool = True
    max_target_bound: float | None = None  # no portfolio reaches more than this, no event (None: unknown)
    max_target_worst_event_bound: float | None = None  # ... under the worst single event

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
        total = share_base(deck, assessment)
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


@dataclass(frozen=True, slots=True)
class Model:
    """The verdict's arithmetic for one set of events as arrays over the candidate items, so the search can
    score every neighbour of a portfolio at once. `exact` is False when an event does something the arrays
    do not capture (a card scaled or delayed inside a conditional it does not trigger); the search's result
    is always re-checked with `assess`, so the arrays only steer."""

    ids: tuple[str, ...]
    amounts: npt.NDArray[np.float64]  # (n, 4) after the events' per-card effects
    base: npt.NDArray[np.float64]  # (4,) the events' fixed gaps minus the target at X = 0
    conditionals: tuple[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]], ...]
    grants: tuple[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]], ...]
    sanctions: tuple[tuple[npt.NDArray[np.float64], float, float], ...]
    wishes: npt.NDArray[np.float64]  # (n, 4) the wishes' costs
    need: npt.NDArray[np.float64]  # (4,)
    capital: npt.NDArray[np.float64]  # (n,)
    pool: float
    kinds: npt.NDArray[np.float64]  # (3, n) year-4 gains of each required kind
    present: npt.NDArray[np.float64]  # (3, n) 1 for a card of the kind (rules 1: every kind present)
    base_gains: npt.NDArray[np.float64]  # (n,) what the kind shares are taken of
    share: float
    slopes: npt.NDArray[np.float64]
    tolerance: npt.NDArray[np.float64]  # added to each required year's result; −inf marks a soft year
    rules: int
    exact: bool


Vector = npt.NDArray[np.float64]


@dataclass
class _Drawn:
    """The drawn events' effects sorted for the arrays: cards disabled, scaled or delayed, the fixed gaps, the
    conditionals (a 0/1 mask of their trigger over the candidates, the gap when triggered and when not), grants
    and sanctions; `exact` as in Model."""

    disabled: set[str] = field(default_factory=set)
    scales: list[ScaleCardsEffect] = field(default_factory=list)
    delays: set[str] = field(default_factory=set)
    gaps: Vector = field(default_factory=lambda: np.zeros(4))
    conditionals: list[tuple[Vector, Vector, Vector]] = field(default_factory=list)
    grants: list[EarmarkedGrantEffect] = field(default_factory=list)
    sanctions: list[OverspendSanctionEffect] = field(default_factory=list)
    exact: bool = True


def _add_conditional(drawn: _Drawn, effect: ConditionalEffect, ids: Sequence[str]) -> None:
    trigger = set(effect.if_any_chosen)
    then_gap, else_gap = np.zeros(4), np.zeros(4)
    for branch, gap in ((effect.then, then_gap), (effect.otherwise, else_gap)):
        for inner in branch:
            if isinstance(inner, GapEffect):
                gap += inner.amounts
            elif isinstance(inner, ScaleCardsEffect) and branch is effect.then and set(inner.cards) <= trigger:
                drawn.scales.append(inner)  # matters only when a scaled card is chosen: then it triggers
            elif not isinstance(inner, HearingEffect):
                drawn.exact = False
    mask = np.array([1.0 if item in trigger else 0.0 for item in ids])
    drawn.conditionals.append((mask, then_gap, else_gap))


def _drawn(deck: Deck, event_ids: Sequence[str], ids: Sequence[str]) -> _Drawn:
    drawn = _Drawn()
    for event_id in event_ids:
        for effect in deck.event(event_id).effects:
            if isinstance(effect, ConditionalEffect):
                _add_conditional(drawn, effect, ids)
            elif isinstance(effect, GapEffect):
                drawn.gaps += effect.amounts
            elif isinstance(effect, ScaleCardsEffect):
                drawn.scales.append(effect)
            elif isinstance(effect, DelayCardsEffect):
                drawn.delays.update(effect.cards)
            elif isinstance(effect, DisableCardsEffect):
                drawn.disabled.update(effect.cards)
            elif isinstance(effect, EarmarkedGrantEffect):
                drawn.grants.append(effect)
            elif isinstance(effect, OverspendSanctionEffect):
                drawn.sanctions.append(effect)
    return drawn


def _item_rows(deck: Deck, ids: Sequence[str], drawn: _Drawn) -> tuple[list[Years], list[float]]:
    """Each candidate's operating amounts after the events' scaling and delays, and its capital spent."""
    rows: list[Years] = []
    capital: list[float] = []
    for item in ids:
        if deck.has_lever(item):
            rows.append(lever_amounts(deck, item))
            capital.append(0.0)
            continue
        card = deck.card(item)
        amounts = card.amounts
        for scale in drawn.scales:
            if item in scale.cards:
                amounts = scaled_amounts(amounts, scale.factor, scale.applies_to)
        if item in drawn.delays:
            amounts = shift_one_year(amounts)
        rows.append(amounts)
        capital.append(-sum(min(0.0, value) for value in card.capital))
    return rows, capital


def _grant_arrays(
    grant: EarmarkedGrantEffect, ids: Sequence[str], kind_of: Sequence[str | None], costs: Vector
) -> tuple[Vector, Vector, Vector]:
    """The eligible candidates' costs, the grant's amounts, and a mask of the cards that void it."""
    eligible = np.array(
        [
            1.0 if item in grant.for_cards or (kind is not None and kind in grant.for_kinds) else 0.0
            for item, kind in zip(ids, kind_of, strict=True)
        ]
    )
    void = np.array([1.0 if item in grant.void_if_chosen else 0.0 for item in ids])
    return costs * eligible[:, None], np.array(grant.amounts, dtype=np.float64), void


def model_for(deck: Deck, event_ids: Sequence[str], rules: int, ids: Sequence[str]) -> Model:
    drawn = _drawn(deck, event_ids, ids)
    ids = tuple(item for item in ids if item not in drawn.disabled)
    rows, capital = _item_rows(deck, ids, drawn)
    amounts_array = np.array(rows, dtype=np.float64).reshape(len(ids), 4)
    costs = -np.minimum(0.0, amounts_array)
    is_card = [deck.has_card(item) for item in ids]
    kind_of = [deck.card(item).kind if card else None for item, card in zip(ids, is_card, strict=True)]
    sanctions = tuple(
        (
            np.array([costs[i, 0] if kind in effect.kinds else 0.0 for i, kind in enumerate(kind_of)]),
            effect.allowance,
            effect.share,
        )
        for effect in drawn.sanctions
    )
    year4 = np.maximum(0.0, amounts_array[:, 3])
    kinds = np.array([[year4[i] if kind == k else 0.0 for i, kind in enumerate(kind_of)] for k in REQUIRED_KINDS])
    present = np.array([[1.0 if kind == k else 0.0 for kind in kind_of] for k in REQUIRED_KINDS])
    levers = np.array([0.0 if card else year4[i] for i, card in enumerate(is_card)])
    wishes = costs * np.array([1.0 if kind == "udvidelse" else 0.0 for kind in kind_of])[:, None]
    settings = balance(deck.scenario)
    tolerance = settings.structural_tolerance
    soft = -np.inf
    return Model(
        ids=ids,
        amounts=amounts_array,
        base=drawn.gaps - np.array(target_years(deck.scenario, 0.0, rules)),
        conditionals=tuple(drawn.conditionals),
        grants=tuple(_grant_arrays(grant, ids, kind_of, costs) for grant in drawn.grants),
        sanctions=sanctions,
        wishes=wishes,
        need=np.array(deck.scenario.wish_funding, dtype=np.float64),
        capital=np.array(capital, dtype=np.float64),
        pool=deck.scenario.capital_pool,
        kinds=kinds.reshape(3, len(ids)),
        present=present.reshape(3, len(ids)),
        base_gains=kinds.sum(axis=0) + levers if kinds.size else levers,
        share=settings.kind_share_min,
        slopes=np.array(target_slopes(deck.scenario, rules), dtype=np.float64),
        tolerance=np.array([0.0, soft, soft, soft] if rules < 2 else [0.0, tolerance, tolerance, tolerance]),
        rules=rules,
        exact=drawn.exact,
    )


_FEASIBLE = 1e6  # a portfolio meeting the conditions outranks every one that does not


def year_results(model: Model, chosen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(m, 4): each row of `chosen` (m, n, 0/1 over model.ids) assessed against the target at X = 0; the
    result at X is this minus model.slopes · X. Exact when model.exact (the bench uses it to play fast)."""
    sums: npt.NDArray[np.float64] = chosen @ model.amounts + model.base
    for mask, then_gap, else_gap in model.conditionals:
        sums += np.where((chosen @ mask)[:, None] > 0, then_gap, else_gap)
    for eligible, granted, void in model.grants:
        sums += np.where((chosen @ void)[:, None] > 0, 0.0, np.minimum(granted, chosen @ eligible))
    for spent, allowance, share in model.sanctions:
        sums[:, 0] -= np.maximum(0.0, chosen @ spent - allowance) * share
    return sums


def _keys(model: Model, chosen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A search key per row of `chosen` (m, n): conditions met first, then the capacity, then the slack."""
    sums = year_results(model, chosen)
    required = np.isfinite(model.tolerance)
    bounds = (sums[:, required] + model.tolerance[required]) / model.slopes[required]
    capacity = bounds.min(axis=1)
    shortfall = np.maximum(0.0, model.need - chosen @ model.wishes).sum(axis=1)
    shortfall += np.maximum(0.0, chosen @ model.capital - model.pool)
    if model.rules < 2:
        shortfall += (chosen @ model.present.T < 1).sum(axis=1)
    else:
        base = chosen @ model.base_gains
        shortfall += np.maximum(0.0, model.share * base[:, None] - chosen @ model.kinds.T).sum(axis=1)
        shortfall += (base <= 0) * 1.0
    met = shortfall <= 1e-9
    slack = np.clip(bounds, -100, 100).mean(axis=1) * 1e-3
    keys: npt.NDArray[np.float64] = np.where(met, _FEASIBLE + capacity + slack, -shortfall + slack)
    return keys


def _search(model: Model, start: npt.NDArray[np.float64], *, pairs: bool = True) -> npt.NDArray[np.float64]:
    """Best-improvement local search over single (and pair) flips and swaps, scored by `_keys`."""
    n = len(model.ids)
    x = start.copy()
    current = _keys(model, x[None, :])[0]
    eye = np.eye(n)
    first, second = np.triu_indices(n, 1) if pairs else (np.zeros(0, int), np.zeros(0, int))
    two = eye[first] + eye[second]
    while True:
        flips = np.vstack([np.abs(x[None, :] - eye), np.abs(x[None, :] - two)])
        inside, outside = np.flatnonzero(x > 0.5), np.flatnonzero(x < 0.5)
        swaps = np.repeat(x[None, :], len(inside) * len(outside), axis=0)
        rows = np.arange(len(swaps))
        swaps[rows, np.repeat(inside, len(outside))] = 0.0
        swaps[rows, np.tile(outside, len(inside))] = 1.0
        candidates = np.vstack([flips, swaps])
        keys = _keys(model, candidates)
        best = int(np.argmax(keys))
        if keys[best] <= current + 1e-9:
            return x
        x, current = candidates[best], keys[best]


# ---- the exact search: a mixed-integer programme on the model's arrays ----------------------------------

# Branch-and-bound nodes HiGHS may explore per search: the deterministic budget (counted in nodes, never in
# seconds: the engine has no clock). Korsbæk and a 200-proposal catalogue are solved at the root node (1);
# a search that runs out keeps its best portfolio, reports its proven upper bound and `exact` False.
NODE_BUDGET = 2_000


@dataclass(frozen=True, slots=True)
class Solved:
    """One search's answer: a real portfolio and its capacity (checked with `assess`), the proven upper bound
    on any portfolio's capacity, and whether the two are the same (the optimum is proven)."""

    portfolio: tuple[str, ...]
    capacity: float  # −inf: no portfolio meets the X-independent conditions
    bound: float  # no portfolio does better; −inf when none is feasible (proven)
    exact: bool


class _Programme:
    """Columns and rows of the MILP, added by name: x (one per candidate) and t (X) first, then helpers."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.columns = n + 1  # x_0 … x_{n−1}, t
        self.lower: list[float] = [0.0] * n + [-np.inf]
        self.upper: list[float] = [1.0] * n + [np.inf]
        self.integral: list[int] = [1] * n + [0]
        self.rows: list[dict[int, float]] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def column(self, lower: float, upper: float, integral: bool) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integral.append(1 if integral else 0)
        self.columns += 1
        return self.columns - 1

    def row(self, coefficients: dict[int, float], lower: float, upper: float) -> None:
        self.rows.append({j: v for j, v in coefficients.items() if v != 0.0})
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def dense(self, x: Vector, extra: dict[int, float] | None = None) -> dict[int, float]:
        row = {i: float(v) for i, v in enumerate(x) if v != 0.0}
        row.update(extra or {})
        return row


def _programme(deck: Deck, model: Model) -> _Programme:
    """The verdict as a MILP: maximise t subject to every required year's result reaching slope · t (within
    the tolerance), the wishes funded, the anlægspulje kept, the kinds' shares (rules 2) or presence (rules 1),
    and the cards' requires and excludes. An event's conditional is a binary z (1 iff a trigger card is
    chosen), a grant's void a binary v, a grant per year a g ≤ min(amount, eligible costs), a sanction an
    s ≥ spent − allowance: each is exact at the optimum, where t pushes them to their true values."""
    p = _Programme(len(model.ids))
    year_extra, year_constant = _event_columns(p, model)
    for year in range(4):
        if not np.isfinite(model.tolerance[year]):
            continue  # rules 1: the overslagsår are not required
        # slope · t − amounts · x − the events' helpers ≤ constant + tolerance
        row = p.dense(-model.amounts[:, year], {j: -value for j, value in year_extra[year].items()})
        row[p.n] = float(model.slopes[year])
        p.row(row, -np.inf, float(year_constant[year] + model.tolerance[year]))
    _condition_rows(p, model)
    _link_rows(p, deck, model)
    return p


def _event_columns(p: _Programme, model: Model) -> tuple[list[dict[int, float]], Vector]:
    """The helpers of the events' conditionals, grants and sanctions: per year the helper columns that add to
    the result (column -> coefficient), and the result's constant part."""
    year_extra: list[dict[int, float]] = [{} for _ in range(4)]
    year_constant = model.base.copy()
    for mask, then_gap, else_gap in model.conditionals:
        z = p.column(0.0, 1.0, True)
        triggers = [int(index) for index in np.flatnonzero(mask > 0)]
        for item in triggers:
            p.row({z: 1.0, item: -1.0}, 0.0, np.inf)  # z ≥ x_i
        p.row({z: 1.0, **dict.fromkeys(triggers, -1.0)}, -np.inf, 0.0)  # z ≤ Σ x_i
        year_constant = year_constant + else_gap
        for year in range(4):
            year_extra[year][z] = year_extra[year].get(z, 0.0) + float(then_gap[year] - else_gap[year])
    for eligible, granted, void in model.grants:
        voids = [int(index) for index in np.flatnonzero(void > 0)]
        v = p.column(0.0, 1.0, True) if voids else -1
        for item in voids:
            p.row({v: 1.0, item: -1.0}, 0.0, np.inf)  # v ≥ x_i
        for year in range(4):
            amount = max(0.0, float(granted[year]))
            if amount == 0.0:
                continue
            g = p.column(0.0, amount, False)
            p.row(p.dense(-eligible[:, year], {g: 1.0}), -np.inf, 0.0)  # g ≤ eligible costs
            if voids:
                p.row({g: 1.0, v: amount}, -np.inf, amount)  # g ≤ amount · (1 − v)
            year_extra[year][g] = 1.0
    for spent, allowance, share in model.sanctions:
        s = p.column(0.0, np.inf, False)
        p.row(p.dense(-spent, {s: 1.0}), -allowance, np.inf)  # s ≥ spent − allowance
        year_extra[0][s] = year_extra[0].get(s, 0.0) - share
    return year_extra, year_constant


def _condition_rows(p: _Programme, model: Model) -> None:
    """The conditions that do not depend on X: wishes, the anlægspulje, the kinds, a non-empty portfolio."""
    for year in range(4):
        if model.need[year] > 0:
            p.row(p.dense(model.wishes[:, year]), float(model.need[year]), np.inf)
    if model.capital.any():
        p.row(p.dense(model.capital), -np.inf, model.pool)
    if model.rules < 2:
        for k in range(len(model.present)):
            p.row(p.dense(model.present[k]), 1.0, np.inf)
    else:
        for k in range(len(model.kinds)):
            p.row(p.dense(model.kinds[k] - model.share * model.base_gains), -1e-9, np.inf)
        # The shares are of a positive total: some chosen item has a gain in year 4 (exact, and integral).
        p.row(p.dense((model.base_gains > 0).astype(np.float64)), 1.0, np.inf)
    p.row(p.dense(np.ones(p.n)), 1.0, np.inf)  # a portfolio is never empty


def _link_rows(p: _Programme, deck: Deck, model: Model) -> None:
    """The cards' requires (x_i ≤ x_j) and excludes (x_i + x_j ≤ 1; either card may name the other)."""
    index = {item: i for i, item in enumerate(model.ids)}
    excluded: set[tuple[int, int]] = set()
    for i, item in enumerate(model.ids):
        if not deck.has_card(item):
            continue
        card = deck.card(item)
        for other in card.requires:
            if other in index:
                p.row({i: 1.0, index[other]: -1.0}, -np.inf, 0.0)
            else:
                p.upper[i] = 0.0  # it requires a card an event took out of play
        for other in card.excludes:
            j = index.get(other)
            if j is not None and (min(i, j), max(i, j)) not in excluded:
                excluded.add((min(i, j), max(i, j)))
                p.row({i: 1.0, j: 1.0}, -np.inf, 1.0)


def _solve(deck: Deck, model: Model, event_ids: Sequence[str], rules: int, nodes: int) -> Solved:
    """The best portfolio by branch and bound (HiGHS through scipy), re-checked with `assess`."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]
    from scipy.sparse import csr_array  # type: ignore[import-untyped]

    p = _programme(deck, model)
    data: list[float] = []
    indices: list[int] = []
    pointers = [0]
    for row in p.rows:
        indices.extend(row)
        data.extend(row.values())
        pointers.append(len(indices))
    matrix = csr_array((data, indices, pointers), shape=(len(p.rows), p.columns))
    cost = np.zeros(p.columns)
    cost[p.n] = -1.0
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, p.row_lower, p.row_upper),
        integrality=np.array(p.integral),
        bounds=Bounds(p.lower, p.upper),
        options={"node_limit": nodes, "mip_rel_gap": 0.0, "presolve": True},
    )
    if result.status == 2:  # proven infeasible
        return Solved((), -math.inf, -math.inf, model.exact)
    bound = -float(result.mip_dual_bound) if result.mip_dual_bound is not None else math.inf
    if not math.isfinite(bound) or not model.exact:
        bound = math.inf
    if result.x is None:
        return Solved((), -math.inf, bound, False)
    portfolio = tuple(item for item, value in zip(model.ids, result.x[: p.n], strict=True) if value > 0.5)
    met, capacity = _score(deck, portfolio, event_ids, rules)
    if met != 1:
        capacity = -math.inf
    exact = result.status == 0 and model.exact and capacity >= bound - 1e-6
    return Solved(portfolio, capacity, max(bound, capacity), exact)


def search(
    deck: Deck,
    event_ids: Sequence[str] = (),
    rules: int = RULES_VERSION,
    *,
    levers: bool = True,
    nodes: int = NODE_BUDGET,
) -> Solved:
    """The portfolio with the highest verdict capacity under the events, with the proven bound."""
    ids = [card.id for card in deck.cards] + ([lever.id for lever in deck.levers] if levers else [])
    model = model_for(deck, event_ids, rules, ids)
    solved = _solve(deck, model, event_ids, rules, nodes)
    if solved.capacity > -math.inf or solved.exact:
        return solved
    # The budget ran out before a portfolio was found, or the one found fails the engine's own check (an
    # event the arrays do not capture): the local search from the fixed starts finds one that passes.
    portfolio, capacity = _local(deck, model, event_ids, rules)
    return Solved(portfolio, capacity, max(solved.bound, capacity), False)


def _local(deck: Deck, model: Model, event_ids: Sequence[str], rules: int) -> tuple[tuple[str, ...], float]:
    n = len(model.ids)
    kinds = [deck.card(item).kind if deck.has_card(item) else None for item in model.ids]
    year1 = model.amounts[:, 0]
    starts = [
        np.array([1.0 if year1[i] > 0 and kinds[i] != "udvidelse" else 0.0 for i in range(n)]),
        np.array([1.0 if kinds[i] != "udvidelse" else 0.0 for i in range(n)]),
        np.ones(n),
    ]
    best: tuple[tuple[str, ...], tuple[int, float]] = ((), (-1, -math.inf))
    for start in starts:
        found = _search(model, start, pairs=n <= PAIRS_UP_TO)
        portfolio = tuple(item for item, value in zip(model.ids, found, strict=True) if value > 0.5)
        score = _score(deck, portfolio, event_ids, rules)
        if score > best[1]:
            best = (portfolio, score)
    portfolio, (met, capacity) = best
    return portfolio, capacity if met == 1 else -math.inf


def best_portfolio(
    deck: Deck,
    event_ids: Sequence[str] = (),
    rules: int = RULES_VERSION,
    *,
    levers: bool = True,
) -> tuple[tuple[str, ...], float]:
    """A portfolio with the highest verdict capacity, and that capacity (X, mio. kr.; −inf if none), checked
    with `assess`. Deterministic: the same deck and events give the same portfolio."""
    solved = search(deck, event_ids, rules, levers=levers)
    return solved.portfolio, solved.capacity


def _floor(value: float) -> float:
    return math.floor(value / STEP + 1e-9) * STEP


@dataclass(frozen=True, slots=True)
class _Worst:
    best: Solved  # no event
    worst: float  # the lowest capacity over the events (clamped at 0), a real portfolio's
    worst_bound: float  # the same for the proven bounds
    worst_event: str | None
    exact: bool  # every search proved its optimum


def _worst(deck: Deck, *, levers: bool) -> _Worst:
    """The best portfolio with no event, and the worst single event with its capacity.

    An event under which the no-event optimum still delivers at least the worst capacity found so far
    cannot be the worst (its own optimum is no lower), so it is not searched: the events are searched from
    the one that hurts that portfolio most, and most are skipped."""
    best = search(deck, levers=levers)
    worst_event: str | None = None
    worst, worst_bound, exact = best.capacity, best.bound, best.exact
    found: list[tuple[float, int, str]] = []
    for position, event in enumerate(deck.events):
        met, capacity = _score(deck, best.portfolio, (event.id,), RULES_VERSION) if best.portfolio else (0, 0.0)
        found.append((capacity if met == 1 else -math.inf, position, event.id))
    for lower, _, event_id in sorted(found):
        if lower >= worst and exact:
            continue
        solved = search(deck, (event_id,), levers=levers)
        exact = exact and solved.exact
        worst_bound = min(worst_bound, solved.bound)
        if solved.capacity < worst:
            worst_event, worst = event_id, solved.capacity
    return _Worst(best, max(0.0, round(worst, 6)), max(0.0, round(worst_bound, 6)), worst_event, exact)


def _levels(
    default: float, max_target: float, worst: float, cards_only: float, cards_only_worst: float
) -> tuple[Level, ...]:
    # let: the cards alone suffice whatever single event comes; middel: the deck's default target;
    # svær: the most the cards alone deliver with no event, so with an event the table needs a lever.
    # Each is kept within what a portfolio delivers under the worst event.
    targets: dict[LevelName, float] = {
        "let": _floor(min(cards_only_worst, default * 0.75, worst)),
        "middel": min(default, _floor(worst)),
        "svær": _floor(min(max(cards_only, default), worst)),
    }
    return tuple(
        Level(name=name, target=value, reachable=value <= max_target, reachable_worst_event=value <= worst)
        for name, value in targets.items()
    )


def with_default_target(found: FeasibleRange, deck: Deck) -> FeasibleRange:
    """`found` for a deck that differs from the one searched only in its default target (an imported
    catalogue's X, chosen from the search's figures): the same figures, the levels for the new target; kept as
    that deck's range, so it is not searched again."""
    levels = _levels(deck.scenario.default_target, found.max_target, found.max_target_worst_event,
                     found.max_target_cards, found.max_target_cards_worst_event)  # fmt: skip
    result = _CACHE[deck.digest] = found.model_copy(update={"levels": levels})
    return result


def _compute(deck: Deck) -> FeasibleRange:
    full = _worst(deck, levers=True)
    cards = _worst(deck, levers=False) if deck.levers else full
    max_target = max(0.0, round(full.best.capacity, 6))
    cards_only = max(0.0, round(cards.best.capacity, 6))
    worst, cards_only_worst = full.worst, cards.worst
    levels = _levels(deck.scenario.default_target, max_target, worst, cards_only, cards_only_worst)
    bound = max(0.0, round(full.best.bound, 6))
    return FeasibleRange(
        max_target=max_target,
        max_target_worst_event=worst,
        worst_event=full.worst_event,
        portfolio=full.best.portfolio,
        levels=levels,
        max_target_cards=cards_only,
        max_target_cards_worst_event=cards_only_worst,
        exact=full.exact and cards.exact,
        max_target_bound=bound if math.isfinite(bound) else None,
        max_target_worst_event_bound=full.worst_bound if math.isfinite(full.worst_bound) else None,
    )


_CACHE: dict[str, FeasibleRange] = {}


def feasible_range(deck: Deck) -> FeasibleRange:
    """The deck's feasible targets, computed once per deck (by its digest: a deck never changes)."""
    found = _CACHE.get(deck.digest)
    if found is None:
        found = _CACHE[deck.digest] = _compute(deck)
    return found
