"""Balance benchmark (not a test): does the economy need the dilemma? Issue 12, docs/balance.md.

Plays seeded games through the engine (engine.budget.assess, engine.debrief.verdict and the reality
check's Monte Carlo engine.reality.forecast) for the named strategies, for X across the feasible range
and every ordered pair of events, and prints per strategy × X: the verdict rate and the reach rate per
year, planned and after the dice. It then solves the deck exactly (scipy.optimize.milp, no event) for
the highest X and, at the default X and at svær, the portfolio with the smallest service cost that
meets every condition, each re-checked with the engine.

    .venv/bin/python bench/bench_balance.py [--games 5000] [--targets 10,15,20,25,30]
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from engine.budget import RULES_VERSION, Assessment, Years, assess, balance, lever_amounts, target_years
from engine.debrief import hjertesag_met, verdict
from engine.deck import (
    DEFAULT_DECK_PATH,
    REQUIRED_KINDS,
    BalancedYears,
    Card,
    ChosenAny,
    ChosenNone,
    Condition,
    CountAtLeast,
    CountAtMost,
    Deck,
    FteAtLeast,
    KindExceeds,
    KindGainsAtLeast,
    NotAllChosen,
    ServiceAtLeast,
    load_deck,
)
from engine.feasibility import best_portfolio, feasible_range, model_for, year_results
from engine.model import Forlig
from engine.reality import forecast

Strategy = Callable[["Game", random.Random], list[str]]
T0 = datetime(2026, 9, 1, tzinfo=UTC)


class Game:
    """One setting for a strategy: the deck, X and the two events, with the fast arithmetic of
    engine.feasibility.Model to choose by (the chosen portfolio is then judged by the engine itself)."""

    def __init__(self, deck: Deck, x: float, events: tuple[str, ...]) -> None:
        self.deck, self.x, self.events = deck, x, events
        ids = [card.id for card in deck.cards] + [lever.id for lever in deck.levers]
        self.model = model_for(deck, events, RULES_VERSION, ids)
        self.ids = list(self.model.ids)  # without the cards an event took out of play
        self.index = {item: i for i, item in enumerate(self.ids)}
        self.tolerance = np.array([0.0, *[balance(deck.scenario).structural_tolerance] * 3])

    def results(self, portfolio: Sequence[str]) -> npt.NDArray[np.float64]:
        chosen = np.zeros((1, len(self.ids)))
        for item in portfolio:
            chosen[0, self.index[item]] = 1.0
        results: npt.NDArray[np.float64] = year_results(self.model, chosen)[0] - self.model.slopes * self.x
        return results

    def amounts(self, item: str) -> tuple[float, float, float, float]:
        a, b, c, d = (float(v) for v in self.model.amounts[self.index[item]])
        return (a, b, c, d)

    def kind(self, item: str) -> str:
        return self.deck.card(item).kind if self.deck.has_card(item) else "lever"

    def of_kind(self, kind: str) -> list[str]:
        return [item for item in self.ids if self.kind(item) == kind]


def _wishes(game: Game) -> list[str]:
    """The cheapest set of wishes that funds the requirement (exhaustive: decks have few wishes)."""
    wishes = game.of_kind("udvidelse")
    need = game.deck.scenario.wish_funding
    best: tuple[float, list[str]] = (float("inf"), [])
    for size in range(len(wishes) + 1):
        for combo in itertools.combinations(wishes, size):
            funded = [sum(-min(0.0, game.amounts(c)[t]) for c in combo) for t in range(4)]
            if all(f >= n for f, n in zip(funded, need, strict=True)):
                cost = sum(-sum(game.amounts(c)) for c in combo)
                if cost < best[0]:
                    best = (cost, list(combo))
    return best[1]


def _fill(game: Game, chosen: list[str], order: Sequence[str], years: Sequence[int]) -> list[str]:
    """Add items in `order` while the given years fall short (the overslagsår within the tolerance),
    each only if it narrows the worst shortfall, keeping within the anlægspulje."""
    capital = sum(game.model.capital[game.index[c]] for c in chosen)
    for item in order:
        if item in chosen:
            continue
        now = game.results(chosen) + game.tolerance
        worst = min(now[t] for t in years)
        if worst >= 0:
            break
        cost = game.model.capital[game.index[item]]
        if capital + cost > game.deck.scenario.capital_pool:
            continue
        after = game.results([*chosen, item]) + game.tolerance
        if min(after[t] for t in years) > worst + 1e-9:
            chosen = [*chosen, item]
            capital += cost
    return chosen


def _non_wish(game: Game) -> list[str]:
    return [item for item in game.ids if game.kind(item) != "udvidelse"]


def random_strategy(game: Game, rng: random.Random) -> list[str]:
    return [item for item in _non_wish(game) if rng.random() < 0.5] + _wishes(game)


def greedy_four_year(game: Game, rng: random.Random) -> list[str]:
    order = sorted(_non_wish(game), key=lambda c: -sum(game.amounts(c)))
    return _fill(game, _wishes(game), order, (0, 1, 2, 3))


def greedy_budget_year(game: Game, rng: random.Random) -> list[str]:
    # The budgetår first, by its amounts; then the overslagsår, by the four-year total.
    first = _fill(game, _wishes(game), sorted(_non_wish(game), key=lambda c: -game.amounts(c)[0]), (0,))
    return _fill(game, first, sorted(_non_wish(game), key=lambda c: -sum(game.amounts(c))), (0, 1, 2, 3))


def myopic_budget_year(game: Game, rng: random.Random) -> list[str]:
    # The budgetår only: what frees the most in it, until it balances.
    return _fill(game, _wishes(game), sorted(_non_wish(game), key=lambda c: -game.amounts(c)[0]), (0,))


def only_savings(game: Game, rng: random.Random) -> list[str]:
    return game.of_kind("besparelse") + _wishes(game)


def savings_plus_tokens(game: Game, rng: random.Random) -> list[str]:
    # Every besparelse and the cheapest effektivisering and investering in the budgetår, as tokens.
    token_e = max(game.of_kind("effektivisering"), key=lambda c: game.amounts(c)[0])
    token_i = max(game.of_kind("investering"), key=lambda c: game.amounts(c)[0])
    return [*game.of_kind("besparelse"), token_e, token_i, *_wishes(game)]


def avoid_savings(game: Game, rng: random.Random) -> list[str]:
    order = sorted((c for c in _non_wish(game) if game.kind(c) != "besparelse"), key=lambda c: -sum(game.amounts(c)))
    return _fill(game, _wishes(game), order, (0, 1, 2, 3))


def one_of_each(game: Game, rng: random.Random) -> list[str]:
    # The best card of each kind by its four-year total, then greedy four-year for the rest.
    best = [max(game.of_kind(kind), key=lambda c: sum(game.amounts(c))) for kind in REQUIRED_KINDS]
    order = sorted(_non_wish(game), key=lambda c: -sum(game.amounts(c)))
    return _fill(game, [*best, *_wishes(game)], order, (0, 1, 2, 3))


def kitchen_sink(game: Game, rng: random.Random) -> list[str]:
    # The issue's: every besparelse and effektivisering, plus TM-01 and the wish SK-U1.
    extra = [item for item in ("TM-01", "SK-U1") if item in game.index]
    return [*game.of_kind("besparelse"), *game.of_kind("effektivisering"), *extra]


_BEST: dict[tuple[str, ...], list[str]] = {}


def engine_best(game: Game, rng: random.Random) -> list[str]:
    # A table that finds the best portfolio for the events it drew (engine.feasibility.best_portfolio): the
    # upper bound of what deliberation can do, whatever X.
    if game.events not in _BEST:
        _BEST[game.events] = list(best_portfolio(game.deck, game.events)[0])
    return _BEST[game.events]


STRATEGIES: dict[str, Strategy] = {
    "random": random_strategy,
    "greedy four-year": greedy_four_year,
    "greedy budgetår": greedy_budget_year,
    "myopic budgetår": myopic_budget_year,
    "only besparelser": only_savings,
    "besparelser + tokens": savings_plus_tokens,
    "avoid besparelser": avoid_savings,
    "one of each kind": one_of_each,
    "kitchen sink": kitchen_sink,
    "engine best": engine_best,
}
# The random strategy draws this many portfolios per event pair; the others choose one.
RANDOM_PORTFOLIOS = 8


@dataclass(frozen=True)
class Row:
    games: int
    verdict: float
    planned: npt.NDArray[np.float64]  # per year: the share of games whose planned result reaches the target
    after: npt.NDArray[np.float64]  # ... after the dice


def play(deck: Deck, name: str, x: float, games: int, seed: int) -> Row:
    """At least `games` seeded games: every ordered event pair in turn, the portfolio the strategy chooses
    judged by engine.debrief.verdict, the dice by the reality check's Monte Carlo (engine.reality.forecast)."""
    pairs = list(itertools.permutations([event.id for event in deck.events], 2))
    portfolios = RANDOM_PORTFOLIOS if name == "random" else 1
    per_portfolio = max(1, -(-games // (len(pairs) * portfolios)))
    rng = random.Random(f"{seed}:{name}:{x}")
    target = target_years(deck.scenario, x)
    verdicts = 0.0
    planned = np.zeros(4)
    after = np.zeros(4)
    played = 0
    for index, events in enumerate(pairs):
        game = Game(deck, x, events)
        for _ in range(portfolios):
            cards = STRATEGIES[name](game, rng)
            a: Assessment = assess(deck, cards, events, target)
            ok = verdict(deck, a, events, RULES_VERSION).reached
            chance = forecast(deck, a, draws=per_portfolio, seed=seed + index, rules=RULES_VERSION)
            verdicts += ok * per_portfolio
            planned += np.array([a.result[t] >= 0 for t in range(4)]) * per_portfolio
            after += np.array(chance.probability) * per_portfolio
            played += per_portfolio
    return Row(games=played, verdict=verdicts / played, planned=planned / played, after=after / played)


def on_target(deck: Deck, draws: int, seed: int) -> list[tuple[str, float, float]]:
    """Forligs whose expected budgetår result is exactly on target (X set to it): how often the dice
    reach it. For the best portfolios of several X and the greedy ones, no event."""
    rows = []
    for x in (15.0, 20.0, 25.0):
        for name in ("greedy four-year", "greedy budgetår", "kitchen sink"):
            game = Game(deck, x, ())
            cards = STRATEGIES[name](game, random.Random(0))
            probe = assess(deck, cards, (), target_years(deck.scenario, 0.0))
            expected = forecast(deck, probe, draws=draws, seed=seed, rules=RULES_VERSION).expected[0]
            a = assess(deck, cards, (), target_years(deck.scenario, expected))
            chance = forecast(deck, a, draws=draws, seed=seed, rules=RULES_VERSION)
            rows.append((f"{name} (X {x:g})", expected, chance.probability[0]))
    return rows


def realisation_by_kind(deck: Deck, draws: int, seed: int) -> dict[str, tuple[float, ...]]:
    """Expected realised gains / printed gains per kind and year over every card (Monte Carlo), no event."""
    out: dict[str, tuple[float, ...]] = {}
    for kind in REQUIRED_KINDS:
        cards = [card.id for card in deck.cards if card.kind == kind]
        a = assess(deck, cards, (), (0.0, 0.0, 0.0, 0.0))
        chance = forecast(deck, a, draws=draws, seed=seed, rules=RULES_VERSION)
        printed = np.array(a.forlig_effect)
        costs = np.array([sum(min(0.0, deck.card(c).amounts[t]) for c in cards) for t in range(4)])
        gains = printed - costs
        realised = np.array(chance.expected) - costs
        total = realised.sum() / gains.sum()
        out[kind] = (*(r / g if g > 0 else float("nan") for r, g in zip(realised, gains, strict=True)), total)
    return out


def exact(deck: Deck, x: float | None, *, levers: bool) -> tuple[list[str], float] | None:
    """MILP, no event: with x None the highest X; with x set the least service reduction meeting every
    condition at X. Returns (portfolio, objective)."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]

    settings = balance(deck.scenario)
    items: list[tuple[str, Years, Years, str, int]] = [
        (c.id, c.amounts, c.capital, c.kind, c.service) for c in deck.cards
    ]
    if levers:
        for lever in deck.levers:
            items.append((lever.id, lever_amounts(deck, lever.id), (0, 0, 0, 0), "lever", lever.service_per_area * 8))
    n = len(items)
    offsets = target_years(deck.scenario, 0.0)
    rows: list[list[float]] = []
    lo: list[float] = []
    hi: list[float] = []
    for t in range(4):  # Σ a_t x − X ≥ offset_t − tolerance (0 tolerance in the budgetår)
        rows.append([item[1][t] for item in items] + [-1.0])
        lo.append(offsets[t] - (settings.structural_tolerance if t else 0.0))
        hi.append(np.inf)
    # A kind's share is of the required kinds' and the levers' year-4 gains (engine.debrief.share_base).
    gains = [max(0.0, item[1][3]) if item[3] != "udvidelse" else 0.0 for item in items]
    for kind in REQUIRED_KINDS:
        rows.append(
            [
                (g if item[3] == kind else 0.0) - settings.kind_share_min * g
                for g, item in zip(gains, items, strict=True)
            ]
            + [0.0]
        )
        lo.append(0.0)
        hi.append(np.inf)
    for t in range(4):
        rows.append([-min(0.0, item[1][t]) if item[3] == "udvidelse" else 0.0 for item in items] + [0.0])
        lo.append(deck.scenario.wish_funding[t])
        hi.append(np.inf)
    rows.append([-sum(min(0.0, v) for v in item[2]) for item in items] + [0.0])
    lo.append(-np.inf)
    hi.append(deck.scenario.capital_pool)
    if x is None:
        cost = np.array([0.0] * n + [-1.0])
        bounds = Bounds([0] * n + [0], [1] * n + [1000])
    else:
        cost = np.array([-min(0, item[4]) for item in items] + [0.0], dtype=float)
        bounds = Bounds([0] * n + [x], [1] * n + [x])
    result = milp(
        cost,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=np.array([1] * n + [0]),
        bounds=bounds,
    )
    if result.x is None:
        return None
    chosen = [item[0] for item, value in zip(items, result.x[:n], strict=True) if value > 0.5]
    return chosen, float(result.x[n] if x is None else result.fun)


# ---- Hjertesager (issue 13, item 4) ------------------------------------------------------------------------


def _problem(
    deck: Deck, x: float, loaned: Sequence[str] = ()
) -> tuple[list[Card], list[list[float]], list[float], list[float]]:
    """The verdict at X as MILP rows over the cards (no levers, no event): the same constraints as `exact`.
    `loaned` cards' anlæg is left out of the anlægspulje (teknik's energilån)."""
    settings = balance(deck.scenario)
    cards = list(deck.cards)
    target = target_years(deck.scenario, x)
    rows: list[list[float]] = []
    lo: list[float] = []
    hi: list[float] = []
    for t in range(4):
        rows.append([c.amounts[t] for c in cards])
        lo.append(target[t] - (settings.structural_tolerance if t else 0.0))
        hi.append(np.inf)
    gains = [max(0.0, c.amounts[3]) if c.kind != "udvidelse" else 0.0 for c in cards]
    for kind in REQUIRED_KINDS:
        rows.append(
            [(g if c.kind == kind else 0.0) - settings.kind_share_min * g for g, c in zip(gains, cards, strict=True)]
        )
        lo.append(0.0)
        hi.append(np.inf)
    for t in range(4):
        rows.append([-min(0.0, c.amounts[t]) if c.kind == "udvidelse" else 0.0 for c in cards])
        lo.append(deck.scenario.wish_funding[t])
        hi.append(np.inf)
    rows.append([0.0 if c.id in loaned else -sum(min(0.0, v) for v in c.capital) for c in cards])
    lo.append(-np.inf)
    hi.append(deck.scenario.capital_pool)
    return cards, rows, lo, hi


def _condition_rows(
    deck: Deck, cards: Sequence[Card], condition: Condition, x: float
) -> list[tuple[list[float], float, float]] | None:
    """A hjertesag as linear rows over the cards; None for one that is not about the cards (the vote's share)."""
    index = {c.id: i for i, c in enumerate(cards)}

    def ones(ids: Sequence[str]) -> list[float]:
        return [1.0 if c.id in ids else 0.0 for c in cards]

    target = target_years(deck.scenario, x)
    if isinstance(condition, ChosenAny):
        return [(ones(condition.cards), 1, np.inf)]
    if isinstance(condition, ChosenNone):
        return [(ones(condition.cards), -np.inf, 0)]
    if isinstance(condition, NotAllChosen):
        return [(ones(condition.cards), -np.inf, len(condition.cards) - 1)]
    if isinstance(condition, CountAtMost | CountAtLeast):
        match = [
            1.0
            if (condition.area is None or c.area == condition.area)
            and (condition.card_kind is None or c.kind == condition.card_kind)
            and (condition.service_at_most is None or c.service <= condition.service_at_most)
            else 0.0
            for c in cards
        ]
        if isinstance(condition, CountAtLeast):
            return [(match, condition.n, np.inf)]
        return [(match, -np.inf, condition.n)]
    if isinstance(condition, KindGainsAtLeast):
        row = [max(0.0, c.amounts[3]) if c.kind == condition.card_kind else 0.0 for c in cards]
        return [(row, condition.threshold(x), np.inf)]
    if isinstance(condition, ServiceAtLeast):
        return [([float(c.service) for c in cards], condition.threshold(x), np.inf)]
    if isinstance(condition, FteAtLeast):
        return [([c.fte for c in cards], condition.threshold(x), np.inf)]
    if isinstance(condition, BalancedYears):
        margin = condition.margin(x)
        return [([c.amounts[t - 1] for c in cards], target[t - 1] + margin, np.inf) for t in condition.years]
    if isinstance(condition, KindExceeds):
        row = [
            c.amounts[3] if c.kind == condition.more else -c.amounts[3] if c.kind == condition.than else 0.0
            for c in cards
        ]
        return [(row, 0.01, np.inf)]
    del index
    return None  # adopted_share_at_least: how the table votes, not which cards


def _solve(
    deck: Deck,
    x: float,
    conditions: Sequence[Condition],
    *,
    cost: Sequence[float] | None = None,
    loaned: Sequence[str] = (),
) -> list[str] | None:
    """A verdict-meeting portfolio (cards only, no event) that meets every condition, or None."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cards, rows, lo, hi = _problem(deck, x, loaned)
    for condition in conditions:
        for row, low, high in _condition_rows(deck, cards, condition, x) or []:
            rows.append(row)
            lo.append(low)
            hi.append(high)
    n = len(cards)
    result = milp(
        np.array(cost if cost is not None else [0.0] * n, dtype=float),
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), np.ones(n)),
    )
    if result.x is None:
        return None
    return [c.id for c, value in zip(cards, result.x, strict=True) if value > 0.5]


@dataclass
class HjertesagFigures:
    x: float
    labels: list[str]  # role: text, per hjertesag about the cards
    infeasible_alone: list[str]
    automatic: list[tuple[str, float]]  # (hjertesag, share of the sampled forlig meeting the verdict that meet it)
    shares: dict[str, float]
    conflicts: list[
        tuple[str, str]
    ]  # pairs of hjertesager of different roles that no verdict-meeting forlig meets both
    role_conflicts: dict[str, set[str]]  # role -> the other roles it has a conflicting pair with
    samples: int
    teknik_joint: bool  # teknik's hjertesager all at once, without an ability
    teknik_joint_with_loan: bool  # … with the energilån on TM-01 or TM-02


def hjertesag_figures(deck: Deck, x: float, samples: int, seed: int) -> HjertesagFigures:
    """At X (no event, cards only): which hjertesager no forlig meeting the verdict can meet, which nearly all
    such forlig meet (a sample of them: the MILP with random objectives), and which pairs of different roles'
    hjertesager exclude each other."""
    sager = [
        (role.id, sag)
        for role in deck.roles
        for sag in role.hjertesager
        if _condition_rows(deck, list(deck.cards), sag.condition, x) is not None
    ]
    label = {id(sag): f"{role}: {sag.text.da}" for role, sag in sager}
    infeasible = [label[id(sag)] for _, sag in sager if _solve(deck, x, [sag.condition]) is None]
    rng = np.random.default_rng(seed)
    found: set[tuple[str, ...]] = set()
    for _ in range(samples):
        picked = _solve(deck, x, [], cost=rng.normal(size=len(deck.cards)))
        if picked is not None:
            found.add(tuple(sorted(picked)))
    target = target_years(deck.scenario, x)
    checked = []
    for cards in found:
        a = assess(deck, cards, (), target)
        if verdict(deck, a, (), RULES_VERSION).reached:
            checked.append((cards, a))
    shares: dict[str, float] = {}
    for _, sag in sager:
        met = sum(
            1 for cards, a in checked if hjertesag_met(sag.condition, deck, Forlig("F", 1, cards, 1.0, False, T0), a)
        )
        shares[label[id(sag)]] = met / len(checked) if checked else 0.0
    automatic = [(name, share) for name, share in shares.items() if share > 0.9]
    conflicts: list[tuple[str, str]] = []
    role_conflicts: dict[str, set[str]] = {role.id: set() for role in deck.roles}
    for (role_a, a), (role_b, b) in itertools.combinations(sager, 2):
        if role_a == role_b:
            continue
        if _solve(deck, x, [a.condition, b.condition]) is None:
            conflicts.append((label[id(a)], label[id(b)]))
            role_conflicts[role_a].add(role_b)
            role_conflicts[role_b].add(role_a)
    teknik = [sag.condition for role, sag in sager if role == "teknik_klima"]
    joint = _solve(deck, x, teknik) is not None
    with_loan = any(_solve(deck, x, teknik, loaned=[card]) is not None for card in ("TM-01", "TM-02"))
    return HjertesagFigures(
        x=x,
        labels=[label[id(sag)] for _, sag in sager],
        infeasible_alone=infeasible,
        automatic=automatic,
        shares=shares,
        conflicts=conflicts,
        role_conflicts=role_conflicts,
        samples=len(checked),
        teknik_joint=joint,
        teknik_joint_with_loan=with_loan,
    )


def print_hjertesager(deck: Deck, samples: int, seed: int) -> None:
    x = deck.scenario.default_target
    figures = hjertesag_figures(deck, x, samples, seed)
    print(
        f"\nhjertesager at the default X = {x:g} (no event, cards only; "
        f"{figures.samples} distinct forlig meeting the verdict sampled):"
    )
    print(
        f"  infeasible alone: {len(figures.infeasible_alone)}"
        + "".join(f"\n    {name}" for name in figures.infeasible_alone)
    )
    print(
        f"  met automatically (> 90 % of the sample): {len(figures.automatic)}"
        + "".join(f"\n    {name} ({share:.0%})" for name, share in figures.automatic)
    )
    print(f"  conflicting pairs between roles: {len(figures.conflicts)}")
    for a, b in figures.conflicts:
        print(f"    {a}  ×  {b}")
    print(
        "  roles each role's hjertesager conflict with: "
        + "; ".join(f"{role} {len(others)}" for role, others in figures.role_conflicts.items())
    )
    print(
        f"  teknik's hjertesager jointly feasible: {figures.teknik_joint} without an ability, "
        f"{figures.teknik_joint_with_loan} with the energilån"
    )
    print(
        "  share of the sample meeting each: "
        + "; ".join(f"{name.split(':')[0]} {share:.0%}" for name, share in figures.shares.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=5000)
    parser.add_argument("--targets", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hjertesager", action="store_true", help="only the hjertesager section (issue 13)")
    parser.add_argument("--samples", type=int, default=600, help="random objectives for the hjertesager's sample")
    args = parser.parse_args()
    deck = load_deck(DEFAULT_DECK_PATH)
    if args.hjertesager:
        print_hjertesager(deck, args.samples, args.seed)
        return
    started = time.perf_counter()
    feasible = feasible_range(deck)
    print(
        f"feasible range (engine, exact search): max_target {feasible.max_target}, worst event "
        f"{feasible.worst_event} {feasible.max_target_worst_event}; levels "
        + ", ".join(f"{level.name} {level.target}" for level in feasible.levels)
    )
    targets = (
        [float(t) for t in args.targets.split(",")]
        if args.targets
        else sorted(
            {
                10.0,
                *(level.target for level in feasible.levels),
                30.0,
                40.0,
                feasible.max_target_worst_event,
                feasible.max_target,
            }
        )
    )
    print(f"\n{args.games} games per row (every ordered event pair, dice by the seeded Monte Carlo)")
    print(f"{'strategy':22} {'X':>5} {'verdict':>8}   planned y1..y4            after dice y1..y4")
    for x in targets:
        for name in STRATEGIES:
            row = play(deck, name, x, args.games, args.seed)
            planned = " ".join(f"{v:4.0%}" for v in row.planned)
            after = " ".join(f"{v:4.0%}" for v in row.after)
            print(f"{name:22} {x:5.1f} {row.verdict:8.1%}   {planned}   {after}")
    print("\nforligs exactly on their expected budgetår result (no event): share of dice draws reaching it")
    for label, expected, chance in on_target(deck, 20_000, args.seed):
        print(f"  {label:32} X = {expected:6.2f}: {chance:.1%}")
    print("\nexpected realisation of the printed gains per kind (years 1-4, four-year total):")
    for kind, shares in realisation_by_kind(deck, 50_000, args.seed).items():
        print(f"  {kind:16} " + " ".join(f"{v:7.1%}" for v in shares))
    print("\nexact (scipy MILP, no event):")
    for levers in (False, True):
        found = exact(deck, None, levers=levers)
        if found is not None:
            cards, best = found
            a = assess(deck, cards, (), target_years(deck.scenario, best - 1e-6))
            ok = verdict(deck, a, (), RULES_VERSION).reached
            print(
                f"  max X {'with' if levers else 'without'} levers: {best:.2f} ({len(cards)} items; engine "
                f"verdict at that X: {ok}) {' '.join(cards)}"
            )
    for x in sorted({deck.scenario.default_target, *(level.target for level in feasible.levels)}):
        for levers in (False, True):
            found = exact(deck, x, levers=levers)
            if found is None:
                print(f"  X {x}: no portfolio meets every condition {'with' if levers else 'without'} levers")
                continue
            cards, _ = found
            a = assess(deck, cards, (), target_years(deck.scenario, x))
            ok = verdict(deck, a, (), RULES_VERSION).reached
            print(
                f"  X {x} {'with' if levers else 'without'} levers: least service reduction {a.service_reductions} "
                f"(improvements +{a.service_improvements}); engine verdict {ok}: {' '.join(cards)}"
            )
    print_hjertesager(deck, args.samples, args.seed)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
