"""The dice: how much of each card a forlig really delivers, and the seeded Monte Carlo of it.

One d6 per chosen card decides its realisation; under rules 2 one more draw decides whether "træthed i
organisationen" hits every effektivisering at once. The rolls are drawn once, by `decide` at end_game,
and recorded in reality_checked, so evolve and the debrief stay pure. The Monte Carlo here (the reality
check's probabilities and the live meter's expected result) draws the same way from a seeded generator.

Rules 1 (brief table 3.4) lose money on average: 98 % (lav), 88 % (medium), 75 % (høj) of the gains.
Rules 2 centre every card on its printed figure: each table averages exactly 100 %, uncertainty only
widens it, a høj investering that rolls 1 is also delayed a year (with the factor that keeps its
four-year total on average), and the fatigue draw takes effektiviseringer down to `fatigue_factor`
with `fatigue_probability`, lifting them a little the rest of the time, so their mean stays 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.budget import PRECISION, Assessment, add, balance, rounded, shift_one_year
from engine.deck import Card, Deck, Uncertainty, Years

ROLLS = (1, 2, 3, 4, 5, 6)
Table = tuple[float, float, float, float, float, float]

# Brief table 3.4 (rules 1): the share of a card's gains realised for each d6 roll, by uncertainty.
REALISATION_V1: dict[Uncertainty, Table] = {
    "lav": (0.8, 1.0, 1.0, 1.0, 1.0, 1.1),
    "medium": (0.4, 0.7, 1.0, 1.0, 1.0, 1.2),
    "høj": (0.0, 0.4, 0.7, 1.0, 1.0, 1.4),
}
DELAYING_ROLLS_V1 = (1, 2)
# Rules 2: every row averages 1.0; no two rolls give the same share, so a forlig exactly on its expected
# result is as likely to fall short as to overshoot.
REALISATION_V2: dict[Uncertainty, Table] = {
    "lav": (0.85, 0.9, 0.95, 1.05, 1.1, 1.15),
    "medium": (0.6, 0.8, 0.95, 1.05, 1.2, 1.4),
    "høj": (0.2, 0.6, 0.9, 1.1, 1.4, 1.8),
}
DELAYING_ROLLS_V2 = (1,)


def table(rules: int) -> dict[Uncertainty, Table]:
    return REALISATION_V1 if rules < 2 else REALISATION_V2


def delayed(card: Card, roll: int, rules: int) -> bool:
    """A high-uncertainty investering delivers its gains a year late on the delaying rolls."""
    rolls = DELAYING_ROLLS_V1 if rules < 2 else DELAYING_ROLLS_V2
    return card.kind == "investering" and card.uncertainty == "høj" and roll in rolls


def factor(card: Card, amounts: Years, roll: int, rules: int) -> float:
    """The share of the card's gains a roll realises. Under rules 2 a delayed roll's share is set so the
    delayed profile delivers, summed over the four years, the table's share of the undelayed one."""
    share = table(rules)[card.uncertainty][roll - 1]
    if rules < 2 or not delayed(card, roll, rules):
        return share
    gains = [max(0.0, value) for value in amounts]
    later = sum(gains[:3])  # what a one-year delay keeps inside the horizon
    return share * sum(gains) / later if later > 0 else share


def realise(card: Card, amounts: Years, roll: int, rules: int = 1) -> Years:
    """The amounts a card really delivers for a d6 roll, before any fatigue.

    Costs are paid in full; gains are scaled by the roll's share, and a delayed investering delivers its
    gains a year late (the last year's gain drops out of the horizon)."""
    if roll not in ROLLS:
        raise ValueError(f"a d6 roll is 1-6, not {roll}")
    share = factor(card, amounts, roll, rules)
    gains = rounded(max(0.0, value) * share for value in amounts)
    costs = rounded(min(0.0, value) for value in amounts)
    if delayed(card, roll, rules):
        gains = shift_one_year(gains)
    return add(gains, costs)


def fatigue_multipliers(deck: Deck) -> tuple[float, float]:
    """(hit, spared): what fatigue multiplies effektiviseringer's realised gains by, so their mean is 1."""
    settings = balance(deck.scenario)
    p, hit = settings.fatigue_probability, settings.fatigue_factor
    return hit, (1 - p * hit) / (1 - p)


def fatigued(card: Card, realised: Years, planned: Years, multiplier: float) -> Years:
    """An effektivisering's realised amounts after fatigue: gains scaled, costs (the planned ones) kept."""
    if card.kind != "effektivisering":
        return realised
    costs = rounded(min(0.0, value) for value in planned)
    gains = rounded(value - cost for value, cost in zip(realised, costs, strict=True))
    return add(rounded(value * multiplier for value in gains), costs)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The Monte Carlo of a portfolio: the expected result and the chance of reaching the target, per year."""

    expected: Years  # mean of (realised + events − target) over the draws
    probability: Years  # share of the draws that reach the target
    probability_all_years: float
    draws: int


def _tables(deck: Deck, assessment: Assessment, rules: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(cards, 6 rolls, 4 years) of realised amounts (what `realise` gives, computed for all at once:
    the meter draws this for every new portfolio), and which cards fatigue touches."""
    cards = [assessment.card(deck, card_id) for card_id in assessment.cards]  # as the abilities left them
    if not cards:
        return np.zeros((0, len(ROLLS), 4)), np.zeros(0, dtype=np.bool_)
    amounts = np.array([assessment.card_amounts[card.id] for card in cards], dtype=np.float64).reshape(len(cards), 4)
    gains, costs = np.maximum(0.0, amounts), np.minimum(0.0, amounts)
    shares = np.array([table(rules)[card.uncertainty] for card in cards], dtype=np.float64).reshape(len(cards), 6)
    late = np.array([[delayed(card, roll, rules) for roll in ROLLS] for card in cards], dtype=np.bool_)
    if rules >= 2 and late.any():
        # A delayed roll's share keeps the four-year total (`factor`).
        kept = gains[:, :3].sum(axis=1)
        lift = np.divide(gains.sum(axis=1), kept, out=np.ones(len(cards)), where=kept > 0)
        shares = np.where(late, shares * lift[:, None], shares)
    realised = np.round(gains[:, None, :] * shares[:, :, None], PRECISION)
    shifted = np.concatenate([np.zeros((*realised.shape[:2], 1)), realised[:, :, :3]], axis=2)
    realised = np.where(late[:, :, None], shifted, realised)
    outcomes = np.round(realised + costs[:, None, :], PRECISION)
    effekt = np.array([card.kind == "effektivisering" for card in cards], dtype=np.bool_)
    return outcomes, effekt


def forecast(deck: Deck, assessment: Assessment, *, draws: int, seed: int, rules: int) -> Forecast:
    """The seeded Monte Carlo of the reality check for an assessed portfolio (levers are certain)."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    # numpy seeds must be non-negative; the game's seed may be any int.
    rng = np.random.default_rng(seed % 2**64)
    outcomes, effekt = _tables(deck, assessment, rules)
    count = outcomes.shape[0]
    levers = add(*(assessment.lever_amounts or {}).values()) if assessment.levers else (0.0, 0.0, 0.0, 0.0)
    # Realisation never touches costs, so the events' effect (grants and sanctions read costs) is fixed.
    fixed = np.array(assessment.event_effect) + np.array(levers) - np.array(assessment.target)
    if count:
        rolls = rng.integers(0, len(ROLLS), size=(draws, count))
        # Each draw's rolls as a one-hot row over (card, roll): the sum over cards is then one matrix product.
        chosen = np.zeros((draws, count * len(ROLLS)))
        chosen[np.arange(draws)[:, None], np.arange(count) * len(ROLLS) + rolls] = 1.0
        flat = outcomes.reshape(count * len(ROLLS), 4)
        if rules >= 2 and effekt.any():
            hit, spared = fatigue_multipliers(deck)
            p = balance(deck.scenario).fatigue_probability
            multiplier = np.where(rng.random(draws) < p, hit, spared)
            costs = np.minimum(0.0, np.array([assessment.card_amounts[c] for c in assessment.cards]))
            touched = np.repeat(effekt, len(ROLLS))[:, None]
            planned_costs = np.repeat(costs, len(ROLLS), axis=0)
            # Fatigue scales the effektiviseringer's gains; their costs are paid as planned.
            rest = np.where(touched, planned_costs, flat)
            gains = np.where(touched, flat - planned_costs, 0.0)
            totals = chosen @ rest + multiplier[:, None] * (chosen @ gains)
        else:
            totals = chosen @ flat
    else:
        totals = np.zeros((draws, 4))
    results = np.round(totals + fixed, PRECISION)
    reached = results >= 0  # year_reached, for a whole array of draws at once
    a, b, c, d = (float(value) for value in reached.mean(axis=0))
    e1, e2, e3, e4 = (round(float(value), PRECISION) + 0.0 for value in results.mean(axis=0))
    return Forecast(
        expected=(e1, e2, e3, e4),
        probability=(a, b, c, d),
        probability_all_years=float(reached.all(axis=1).mean()),
        draws=draws,
    )
