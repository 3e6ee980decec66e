"""The budget arithmetic: what a set of cards does to the four years under the events in play.

This is the one place where card amounts, event effects and the target meet. The live meter, the
warnings, the verdict and the reality check all read an `Assessment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from engine.deck import (
    REQUIRED_KINDS,
    Balance,
    Card,
    ConditionalEffect,
    Deck,
    DelayCardsEffect,
    DisableCardsEffect,
    EarmarkedGrantEffect,
    GapEffect,
    HearingEffect,
    Kind,
    OverspendSanctionEffect,
    PlainEffect,
    ScaleCardsEffect,
    Scenario,
    Uncertainty,
)
from engine.errors import RuleViolation

Years = tuple[float, float, float, float]
ZERO: Years = (0.0, 0.0, 0.0, 0.0)
# Money is shown with one decimal; sums of floats are rounded here so 0.1 + 0.2 compares as 0.3.
PRECISION = 6


def year_reached(result: float) -> bool:
    """Whether a year's result (found minus target) reaches the target: the one definition, read by the live
    meter, the verdict, the reality check and every screen.

    >>> year_reached(0.0), year_reached(0.1), year_reached(-0.1)
    (True, True, False)
    """
    return result >= 0


def rounded(values: Iterable[float]) -> Years:
    a, b, c, d = (round(value, PRECISION) + 0.0 for value in values)
    return (a, b, c, d)


def add(*rows: Years) -> Years:
    return rounded(sum(column) for column in zip(*rows, strict=True)) if rows else ZERO


def shift_one_year(values: Years) -> Years:
    return (0.0, values[0], values[1], values[2])


# The rules version a new game records in game_created; a log without one was played under version 1.
# Version 2 (issue 12): targets follow X by the deck's target_profile, the structural verdict, centred
# dice with træthed i organisationen, levers. docs/balance.md says what changed.
# Version 3 (issue 13): a vote is decided when every voter has voted or it is called, not when a threshold
# is crossed; a forlig no longer ends the round and a later one replaces it; a forlig needs two voting
# players; roles are public. The arithmetic is version 2's (every budget check is `rules < 2`).
RULES_VERSION = 3


def balance(scenario: Scenario) -> Balance:
    """The deck's rules-2 settings, or the defaults for a deck that sets none."""
    return scenario.balance if scenario.balance is not None else Balance()


def _profile(scenario: Scenario, rules: int) -> str:
    return "scaled" if rules < 2 else balance(scenario).target_profile


def target_slopes(scenario: Scenario, rules: int = RULES_VERSION) -> Years:
    """How much each year's target rises per mio. kr. of X."""
    gap = scenario.baseline_gap
    if _profile(scenario, rules) == "scaled":
        return rounded(value / gap[0] for value in gap)
    return (1.0, 1.0, 1.0, 1.0)


def target_offsets(scenario: Scenario, rules: int = RULES_VERSION) -> Years:
    """Each year's target at X = 0: nothing when the gap scales, the demographic pressure when it is added."""
    gap = scenario.baseline_gap
    if _profile(scenario, rules) == "scaled":
        return ZERO
    return rounded(value - gap[0] for value in gap)


def target_years(scenario: Scenario, budget_year_target: float | None, rules: int = RULES_VERSION) -> Years:
    """The råderum to find each year for X (the budgetår's target): offset + slope · X.

    Rules 1 scale the baseline gap so the budgetår equals X; rules 2 follow the deck's target_profile
    ("pressure": X plus the gap's growth after the budgetår). No X: the baseline gap itself."""
    gap = scenario.baseline_gap
    if budget_year_target is None:
        return rounded(gap)
    slopes, offsets = target_slopes(scenario, rules), target_offsets(scenario, rules)
    return rounded(o + k * budget_year_target for k, o in zip(slopes, offsets, strict=True))


UNCERTAINTY_STEPS: tuple[Uncertainty, ...] = ("lav", "medium", "høj")


@dataclass(frozen=True, slots=True)
class Adjustments:
    """What the roles' abilities used so far do to the arithmetic (engine/abilities.py reads them off the
    table's log). Every field is a sorted tuple, so an Adjustments is a cache key as it is."""

    lowered: tuple[tuple[str, int], ...] = ()  # card -> steps of lower uncertainty
    delayed_months: tuple[tuple[str, int], ...] = ()  # card -> months its gains are phased in later
    loaned: tuple[str, ...] = ()  # cards whose anlæg is financed by a loan (not from the anlægspulje)
    forward: tuple[str, ...] = ()  # cards that start on 1 January: year 1 gets year 2's amount
    paused: tuple[str, ...] = ()  # events on hold: not in force
    softened: tuple[tuple[str, float, float], ...] = ()  # (event, factor on overslagsår gaps, budgetår cost)
    hearings: tuple[HearingEffect, ...] = ()  # høringssvar called by a role, as a hearing event's

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.__slots__)

    def uncertainty(self, card: Card) -> Uncertainty:
        """The card's uncertainty after the steps it was lowered (never below lav)."""
        steps = dict(self.lowered).get(card.id, 0)
        return UNCERTAINTY_STEPS[max(0, UNCERTAINTY_STEPS.index(card.uncertainty) - steps)]

    def card(self, card: Card) -> Card:
        """The card as the dice see it: with its lowered uncertainty."""
        lowered = self.uncertainty(card)
        return card if lowered == card.uncertainty else card.model_copy(update={"uncertainty": lowered})

    def amounts(self, card: Card) -> Years:
        """A card's operating amounts before events, after the abilities that move it in time."""
        amounts: Years = card.amounts
        if card.id in self.forward:
            amounts = (amounts[1], amounts[1], amounts[2], amounts[3])
        months = dict(self.delayed_months).get(card.id, 0)
        if months:
            # The gains come `months` later: each year keeps the rest of its own and gets that much of the year
            # before's (costs are paid as planned).
            late = min(months, 12) / 12
            gains = [max(0.0, value) for value in amounts]
            costs = [min(0.0, value) for value in amounts]
            amounts = rounded(
                cost + (1 - late) * gain + late * (gains[index - 1] if index else 0.0)
                for index, (gain, cost) in enumerate(zip(gains, costs, strict=True))
            )
        return amounts

    def in_force(self, event_ids: Sequence[str]) -> tuple[str, ...]:
        return tuple(event_id for event_id in event_ids if event_id not in self.paused)


NO_ADJUSTMENTS = Adjustments()


def _softened(effect: PlainEffect, factor: float) -> PlainEffect:
    if isinstance(effect, GapEffect):
        a, b, c, d = effect.amounts
        return effect.model_copy(update={"amounts": rounded((a, b * factor, c * factor, d * factor))})
    return effect


def active_effects(
    deck: Deck, event_ids: Sequence[str], chosen: frozenset[str], adjust: Adjustments = NO_ADJUSTMENTS
) -> list[PlainEffect]:
    """The events' effects with each conditional resolved against the chosen cards; with `adjust`, the
    paused events left out, the softened ones softened (their cost with them) and the abilities' hearings."""
    effects: list[PlainEffect] = []
    softened = {event_id: (factor, cost) for event_id, factor, cost in adjust.softened}
    for event_id in adjust.in_force(event_ids):
        resolved: list[PlainEffect] = []
        for effect in deck.event(event_id).effects:
            if isinstance(effect, ConditionalEffect):
                hit = any(card in chosen for card in effect.if_any_chosen)
                resolved.extend(effect.then if hit else effect.otherwise)
            else:
                resolved.append(effect)
        if event_id in softened:
            factor, cost = softened[event_id]
            resolved = [_softened(effect, factor) for effect in resolved]
            resolved.append(GapEffect(kind="gap", amounts=(-cost, 0.0, 0.0, 0.0)))
        effects.extend(resolved)
    effects.extend(adjust.hearings)
    return effects


def validate_portfolio(
    deck: Deck, cards: Sequence[str], event_ids: Sequence[str], adjust: Adjustments = NO_ADJUSTMENTS
) -> None:
    """Raise the first hard problem with a portfolio: unknown, duplicate, requires/excludes, disabled."""
    if not cards:
        raise RuleViolation("portfolio.empty")
    seen: set[str] = set()
    for card_id in cards:
        if not deck.has_card(card_id) and not deck.has_lever(card_id):
            raise RuleViolation("portfolio.card_unknown", card=card_id)
        if card_id in seen:
            raise RuleViolation("portfolio.card_duplicate", card=card_id)
        seen.add(card_id)
    chosen = frozenset(cards)
    for card_id in cards:
        if deck.has_lever(card_id):
            continue
        card = deck.card(card_id)
        for other in card.requires:
            if other not in chosen:
                raise RuleViolation("portfolio.requires", card=card_id, other=other)
        for other in card.excludes:
            if other in chosen:
                raise RuleViolation("portfolio.excludes", card=card_id, other=other)
    for effect in active_effects(deck, event_ids, chosen, adjust):
        if isinstance(effect, DisableCardsEffect):
            for card_id in effect.cards:
                if card_id in chosen:
                    raise RuleViolation("portfolio.card_disabled", card=card_id)


@dataclass(frozen=True, slots=True)
class Warning:
    """A weaker problem that travels with the live meter; the portfolio may still be proposed."""

    # budget.year_below_target | budget.kind_missing | budget.wishes_underfunded | budget.capital_exceeded
    # | budget.liquidity (a lever draws on the cash reserve) | budget.kind_share (rules 2, added by the meter)
    code: str
    year: int | None = None  # 1 = budgetår
    kind: str | None = None
    amount: float | None = None


def split_portfolio(deck: Deck, portfolio: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A portfolio's cards and its levers (levers travel in the same list, by their `L-` ids)."""
    levers = tuple(item for item in portfolio if deck.has_lever(item))
    return tuple(item for item in portfolio if not deck.has_lever(item)), levers


def lever_amounts(deck: Deck, lever_id: str) -> Years:
    """A lever's operating effect per year: its amounts plus its flat cut of every area's service budget."""
    lever = deck.lever(lever_id)
    cut = lever.area_share * sum(area.service_budget for area in deck.scenario.areas)
    return rounded(value + cut for value in lever.amounts)


@dataclass(frozen=True, slots=True)
class ServiceChange:
    """Service reductions and improvements in one area, counted apart: a +2 never cancels a −2."""

    area: str
    reductions: int  # the sum of the negative service figures (≤ 0)
    improvements: int  # the sum of the positive ones (≥ 0)


@dataclass(frozen=True, slots=True)
class Assessment:
    cards: tuple[str, ...]  # the portfolio's cards, without its levers
    target: Years
    baseline_gap: Years
    event_effect: Years  # gap changes, earmarked grants used and sanctions (+ helps, − hurts)
    forlig_effect: Years  # the cards' operating amounts after events
    result: Years  # forlig_effect + event_effect − target; ≥ 0 means the year is reached
    card_amounts: dict[str, Years]
    card_capital: dict[str, Years]
    wish_funding: Years  # costs of chosen wishes (udvidelse) per year
    wish_required: Years
    capital_spent: float
    capital_pool: float
    service: int
    fte: float
    trust_penalty: int
    kinds_present: frozenset[Kind]
    warnings: tuple[Warning, ...]
    levers: tuple[str, ...] = ()
    lever_amounts: dict[str, Years] | None = None  # by lever id; part of forlig_effect
    service_by_area: tuple[ServiceChange, ...] = ()  # every area, deck order
    service_reductions: int = 0  # all areas, levers included (≤ 0)
    service_improvements: int = 0  # (≥ 0)
    adjustments: Adjustments = NO_ADJUSTMENTS  # the abilities used, as the arithmetic took them

    def reached(self, year: int) -> bool:
        return year_reached(self.result[year - 1])

    def card(self, deck: Deck, card_id: str) -> Card:
        """A chosen card as the dice roll for it (its uncertainty lowered by an ability)."""
        return self.adjustments.card(deck.card(card_id))


def scaled_amounts(amounts: Years, factor: float, applies_to: str) -> Years:
    def scale(value: float) -> float:
        if applies_to == "all" or (applies_to == "gains" and value > 0) or (applies_to == "costs" and value < 0):
            return value * factor
        return value

    return rounded(scale(value) for value in amounts)


def _service(deck: Deck, cards: Sequence[str], levers: Sequence[str]) -> tuple[ServiceChange, ...]:
    changes: list[ServiceChange] = []
    flat = sum(deck.lever(lever_id).service_per_area for lever_id in levers)
    for area in deck.scenario.areas:
        figures = [deck.card(card_id).service for card_id in cards if deck.card(card_id).area == area.id]
        reductions = sum(value for value in figures if value < 0) + flat
        changes.append(ServiceChange(area.id, reductions, sum(value for value in figures if value > 0)))
    return tuple(changes)


@dataclass
class _Events:
    """What the drawn events do to a portfolio: its cards' amounts and capital after scaling and delays, the gap
    rows, the grants and sanctions still to reckon, and the hearings' trust penalty."""

    amounts: dict[str, Years]
    capital: dict[str, Years]
    rows: list[Years] = field(default_factory=list)
    grants: list[EarmarkedGrantEffect] = field(default_factory=list)
    sanctions: list[OverspendSanctionEffect] = field(default_factory=list)
    trust_penalty: int = 0


def _apply_events(
    deck: Deck, cards: Sequence[str], effects: Sequence[PlainEffect], adjust: Adjustments = NO_ADJUSTMENTS
) -> _Events:
    drawn = _Events(
        amounts={card_id: adjust.amounts(deck.card(card_id)) for card_id in cards},
        capital={card_id: deck.card(card_id).capital for card_id in cards},
    )
    amounts, capital = drawn.amounts, drawn.capital
    for effect in effects:
        if isinstance(effect, GapEffect):
            drawn.rows.append(effect.amounts)
        elif isinstance(effect, ScaleCardsEffect):
            for card_id in effect.cards:
                if card_id in amounts:
                    amounts[card_id] = scaled_amounts(amounts[card_id], effect.factor, effect.applies_to)
        elif isinstance(effect, DelayCardsEffect):
            for card_id in effect.cards:
                if card_id in amounts:
                    amounts[card_id] = shift_one_year(amounts[card_id])
                    capital[card_id] = shift_one_year(capital[card_id])
        elif isinstance(effect, EarmarkedGrantEffect):
            drawn.grants.append(effect)
        elif isinstance(effect, OverspendSanctionEffect):
            drawn.sanctions.append(effect)
        elif isinstance(effect, HearingEffect) and any(
            deck.card(card_id).service <= effect.service_at_most for card_id in cards
        ):
            drawn.trust_penalty += effect.trust_penalty
    return drawn


def _grant_row(deck: Deck, cards: Sequence[str], amounts: dict[str, Years], grant: EarmarkedGrantEffect) -> Years:
    """The grant per year: what it covers of the eligible cards' costs, at most its amounts."""
    eligible = [
        amounts[card_id]
        for card_id in cards
        if card_id in grant.for_cards or deck.card(card_id).kind in grant.for_kinds
    ]
    costs = add(*(rounded(-min(0.0, value) for value in row) for row in eligible))
    return rounded(min(granted, cost) for granted, cost in zip(grant.amounts, costs, strict=True))


def _sanction_row(
    deck: Deck, cards: Sequence[str], amounts: dict[str, Years], sanction: OverspendSanctionEffect
) -> Years:
    """The sanction in the budget year: its share of what the cards of its kinds spend beyond the allowance."""
    spent = sum(-min(0.0, amounts[card_id][0]) for card_id in cards if deck.card(card_id).kind in sanction.kinds)
    excess = max(0.0, spent - sanction.allowance)
    return (-excess * sanction.share, 0.0, 0.0, 0.0)


def _warnings(
    deck: Deck,
    result: Years,
    kinds_present: frozenset[Kind],
    wish_funding: Years,
    capital_spent: float,
    levers: Sequence[str],
    levered: dict[str, Years],
) -> tuple[Warning, ...]:
    scenario = deck.scenario
    warnings: list[Warning] = []
    for year, value in enumerate(result, start=1):
        if value < 0:
            warnings.append(Warning("budget.year_below_target", year=year, amount=value))
    warnings.extend(Warning("budget.kind_missing", kind=kind) for kind in REQUIRED_KINDS if kind not in kinds_present)
    for year, (funded, required) in enumerate(zip(wish_funding, scenario.wish_funding, strict=True), start=1):
        if funded < required:
            warnings.append(Warning("budget.wishes_underfunded", year=year, amount=round(funded - required, PRECISION)))
    if capital_spent > scenario.capital_pool:
        warnings.append(
            Warning("budget.capital_exceeded", amount=round(capital_spent - scenario.capital_pool, PRECISION))
        )
    warnings.extend(
        Warning("budget.liquidity", amount=levered[lever_id][0])
        for lever_id in levers
        if deck.lever(lever_id).liquidity_warning
    )
    return tuple(warnings)


def assess(
    deck: Deck,
    portfolio: Sequence[str],
    event_ids: Sequence[str],
    target: Years,
    adjust: Adjustments = NO_ADJUSTMENTS,
) -> Assessment:
    """What the cards and levers do under the events drawn so far, and the abilities used (`adjust`). The
    portfolio must already be valid."""
    scenario = deck.scenario
    cards, levers = split_portfolio(deck, portfolio)
    chosen = frozenset(cards)
    drawn = _apply_events(deck, cards, active_effects(deck, event_ids, chosen, adjust), adjust)
    amounts, capital = drawn.amounts, drawn.capital
    # Grants and sanctions read the cards' amounts after scaling and delays.
    event_rows = [
        *drawn.rows,
        *(
            _grant_row(deck, cards, amounts, grant)
            for grant in drawn.grants
            if not any(card in chosen for card in grant.void_if_chosen)
        ),
        *(_sanction_row(deck, cards, amounts, sanction) for sanction in drawn.sanctions),
    ]
    event_effect = add(*event_rows) if event_rows else ZERO
    levered = {lever_id: lever_amounts(deck, lever_id) for lever_id in levers}
    trust_penalty = drawn.trust_penalty + sum(deck.lever(lever_id).trust_penalty for lever_id in levers)
    rows = [*amounts.values(), *levered.values()]
    forlig_effect = add(*rows) if rows else ZERO
    result = rounded(f + e - t for f, e, t in zip(forlig_effect, event_effect, target, strict=True))
    wishes = [amounts[card_id] for card_id in cards if deck.card(card_id).kind == "udvidelse"]
    wish_funding = add(*(rounded(-min(0.0, value) for value in row) for row in wishes)) if wishes else ZERO
    # A card financed by a loan keeps its anlæg, but not from the anlægspulje.
    pooled = [row for card_id, row in capital.items() if card_id not in adjust.loaned]
    capital_spent = round(sum(-min(0.0, value) for row in pooled for value in row), PRECISION)
    kinds_present = frozenset(deck.card(card_id).kind for card_id in cards)
    service_by_area = _service(deck, cards, levers)
    return Assessment(
        cards=tuple(cards),
        target=target,
        baseline_gap=rounded(scenario.baseline_gap),
        event_effect=event_effect,
        forlig_effect=forlig_effect,
        result=result,
        card_amounts=amounts,
        card_capital=capital,
        wish_funding=wish_funding,
        wish_required=rounded(scenario.wish_funding),
        capital_spent=capital_spent,
        capital_pool=scenario.capital_pool,
        service=sum(change.reductions + change.improvements for change in service_by_area),
        fte=round(sum(deck.card(card_id).fte for card_id in cards), PRECISION),
        trust_penalty=trust_penalty,
        kinds_present=kinds_present,
        warnings=_warnings(deck, result, kinds_present, wish_funding, capital_spent, levers, levered),
        levers=levers,
        lever_amounts=levered,
        service_by_area=service_by_area,
        service_reductions=sum(change.reductions for change in service_by_area),
        service_improvements=sum(change.improvements for change in service_by_area),
        adjustments=adjust,
    )
