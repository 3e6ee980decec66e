"""Hjertesager rebalanced and scored (issue 13, item 4): thresholds follow X, at the default X none is impossible
alone or met by nearly every forlig, each role's conflict with at least two other roles', and each role scores a
point per hjertesag met."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from engine.budget import assess, target_years
from engine.debrief import debrief, hjertesag_met
from engine.deck import BalancedYears, CountAtLeast, Deck, FteAtLeast, KindGainsAtLeast, ServiceAtLeast
from engine.model import EndGame, Forlig, UseAbility
from tests.engine.conftest import T0, Table
from tests.engine.test_abilities import FORLIG, adopt, full_table, holder

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_balance.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_balance", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_balance"] = module
    spec.loader.exec_module(module)
    yield module
    # Hypothesis draws constants from the local modules it finds loaded: left in sys.modules, the bench would
    # change what the derandomized property and parity games of a later test generate.
    sys.modules.pop("bench_balance", None)


def met(deck: Deck, condition: object, cards: tuple[str, ...], x: float) -> bool:
    a = assess(deck, cards, (), target_years(deck.scenario, x))
    return hjertesag_met(condition, deck, Forlig("F1", 1, cards, 1.0, False, T0), a)  # type: ignore[arg-type]


def test_the_thresholds_follow_x(deck: Deck) -> None:
    service = ServiceAtLeast(kind="service_at_least", value=0, per_x=-0.65)
    cards = ("SK-02", "SK-03", "DT-02", "KF-01", "TM-04", "AD-05", "SU-03", "DT-04", "ÆL-06", "SU-02", "KF-02")
    assert sum(deck.card(c).service for c in cards) == -11
    assert met(deck, service, cards, 20)  # −11 ≥ −13
    assert not met(deck, service, cards, 10)  # −11 < −6.5
    fte = FteAtLeast(kind="fte_at_least", value=0, per_x=-1.5)
    assert met(deck, fte, ("AD-03", "ÆL-05"), 20)  # −18 ≥ −30
    assert not met(deck, fte, ("AD-03", "ÆL-05"), 10)  # −18 < −15
    gains = KindGainsAtLeast(kind="kind_gains_at_least", card_kind="effektivisering", per_x=0.9)
    efficiency = ("AD-02", "SK-05", "SK-02", "DT-03")  # 3.0 + 3.5 + 2.4 + 2.5 = 11.4 in year 4
    assert met(deck, gains, efficiency, 12)
    assert not met(deck, gains, efficiency, 13)
    wishes = CountAtLeast(kind="count_at_least", n=3, card_kind="udvidelse")
    assert met(deck, wishes, ("ÆL-U1", "SP-U1", "KF-U1"), 20)
    assert not met(deck, wishes, ("ÆL-U1", "SP-U1", "AD-03"), 20)


def test_a_balance_with_a_margin_needs_that_much_to_spare_each_year(deck: Deck) -> None:
    plain = BalancedYears(kind="balanced_years", years=(1,))
    margin = BalancedYears(kind="balanced_years", years=(1,), margin_per_x=0.05)
    cards = ("AD-03", "ÆL-05", "SK-04", "ÆL-04", "DT-02", "SP-05", "SP-04", "TM-06", "SK-01", "AD-02", "SK-02")
    budget_year = assess(deck, cards, (), target_years(deck.scenario, 0)).result[0]  # what the cards find in year 1
    x = budget_year - 0.5  # the budgetår is reached with 0.5 to spare: less than 0.05 · X
    assert met(deck, plain, cards, x)
    assert not met(deck, margin, cards, x)
    assert met(deck, margin, cards, budget_year / 1.05)


def test_at_the_default_x_the_hjertesager_make_a_negotiation(deck: Deck, bench: ModuleType) -> None:
    figures = bench.hjertesag_figures(deck, deck.scenario.default_target, samples=120, seed=1)
    assert figures.samples >= 100
    assert figures.infeasible_alone == []
    assert figures.automatic == []
    assert len(figures.conflicts) >= 10
    assert all(len(others) >= 2 for others in figures.role_conflicts.values()), figures.role_conflicts
    assert figures.teknik_joint_with_loan


def test_each_role_scores_a_point_per_hjertesag_met_and_the_table_their_sum(table: Table) -> None:
    full_table(table)
    table.play(UseAbility, holder(table, "boern_skole"), ability="fremrykning", card="DT-01")
    adopt(table, FORLIG)
    table.play(EndGame)
    result = debrief(table.state, draws=10)
    assert len(result.hjertesager) == 8
    for role in result.hjertesager:
        cost = 1 if role.role == "boern_skole" else 0
        assert role.ability_cost == cost
        assert role.score == sum(1 for sag in role.hjertesager if sag.met) - cost
    assert result.table_score == sum(role.score for role in result.hjertesager)
