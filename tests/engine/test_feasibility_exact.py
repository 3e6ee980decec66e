"""engine/feasibility.py's exact search (issue 15): on small generated decks its best portfolio is the best of
every portfolio there is (brute force over all of them), under each kind of event, rules 1 and 2, with and
without levers; it says when it has proven the optimum and gives the bound when the budget ran out."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.deck import DEFAULT_DECK_PATH, Card, Deck, EventCard, load_deck
from engine.feasibility import _score, feasible_range, search

BASE = load_deck(DEFAULT_DECK_PATH)
AREAS = [area.id for area in BASE.scenario.areas]
KINDS = ["besparelse", "effektivisering", "investering", "udvidelse"]
TEXT = {"da": "x", "en": "x"}

halves = st.integers(min_value=-6, max_value=12).map(lambda value: value / 2)


@st.composite
def cards(draw: Any) -> list[Card]:
    count = draw(st.integers(min_value=3, max_value=6))
    found: list[Card] = []
    for n in range(count):
        ids = [f"KF-{i}" for i in range(n)]
        found.append(
            Card.model_validate(
                {
                    "id": f"KF-{n}",
                    "title": TEXT,
                    "area": draw(st.sampled_from(AREAS)),
                    "kind": draw(st.sampled_from(KINDS)),
                    "amounts": tuple(draw(halves) for _ in range(4)),
                    "capital": (-draw(st.sampled_from([0, 0, 5, 10])), 0, 0, 0),
                    "fte": 0,
                    "service": draw(st.integers(min_value=-2, max_value=2)),
                    "uncertainty": "lav",
                    "phase_in": TEXT,
                    "description": TEXT,
                    "consequences": TEXT,
                    "requires": tuple(draw(st.lists(st.sampled_from(ids), max_size=1))) if ids else (),
                    "excludes": tuple(draw(st.lists(st.sampled_from(ids), max_size=1))) if ids else (),
                }
            )
        )
    return found


def effects(ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    some = st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True)
    gap = st.builds(lambda a: {"kind": "gap", "amounts": (a, a, a, a)}, halves)
    # fmt: off
    return st.one_of(
        gap,
        st.builds(lambda c, g, h: {"kind": "conditional", "if_any_chosen": c, "then": [g], "otherwise": [h]},
                  some, gap, gap),
        st.builds(lambda c, f: {"kind": "scale_cards", "cards": c, "factor": f, "applies_to": "gains"},
                  some, st.sampled_from([0.5, 1.3])),
        st.builds(lambda c: {"kind": "delay_cards", "cards": c}, some),
        st.builds(lambda c: {"kind": "disable_cards", "cards": c}, some),
        st.builds(lambda a, v: {"kind": "earmarked_grant", "amounts": (a, a, a, a), "for_kinds": ["udvidelse"],
                                "void_if_chosen": v}, st.sampled_from([1.0, 3.0]), st.lists(st.sampled_from(ids),
                                max_size=1)),
        st.builds(lambda a: {"kind": "overspend_sanction", "kinds": ["udvidelse", "investering"], "allowance": a,
                             "share": 0.5}, st.sampled_from([0.0, 2.0])),
    )
    # fmt: on


@dataclass(frozen=True)
class Case:
    deck: Deck
    events: tuple[str, ...]
    rules: int

    def __repr__(self) -> str:  # what a failing example prints: the cards and the event, not the whole deck
        cards = [(c.id, c.kind, c.amounts, c.capital, c.requires, c.excludes) for c in self.deck.cards]
        scenario = self.deck.scenario
        return (f"Case(rules={self.rules}, events={self.events}, cards={cards}, "
                f"levers={[lever.id for lever in self.deck.levers]}, wishes={scenario.wish_funding}, "
                f"pool={scenario.capital_pool}, effects={self.deck.events[0].effects})")  # fmt: skip


@st.composite
def decks(draw: Any) -> Case:
    found = draw(cards())
    ids = [card.id for card in found]
    event = EventCard.model_validate(
        {"id": "E1", "title": TEXT, "description": TEXT, "background": TEXT, "effects": [draw(effects(ids))]}
    )
    levers = draw(st.lists(st.sampled_from(BASE.levers), max_size=2, unique_by=lambda lever: lever.id))
    scenario = BASE.scenario.model_copy(
        update={
            "wish_funding": (0.0, *(draw(st.sampled_from([0.0, 0.0, 1.0])),) * 3),
            "capital_pool": draw(st.sampled_from([0.0, 5.0, 25.0])),
        }
    )
    deck = BASE.model_copy(update={"scenario": scenario, "cards": tuple(found), "events": (event,),
                                   "levers": tuple(levers)})  # fmt: skip
    events = ("E1",) if draw(st.booleans()) else ()
    return Case(deck, events, draw(st.sampled_from([1, 2])))


def brute_force(deck: Deck, events: tuple[str, ...], rules: int) -> float:
    items = [card.id for card in deck.cards] + [lever.id for lever in deck.levers]
    best = -math.inf
    for size in range(1, len(items) + 1):
        for portfolio in itertools.combinations(items, size):
            met, capacity = _score(deck, portfolio, events, rules)
            if met == 1:
                best = max(best, capacity)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decks())
def test_the_search_finds_the_best_portfolio_there_is(case: Case) -> None:
    deck, events, rules = case.deck, case.events, case.rules
    solved = search(deck, events, rules)
    best = brute_force(deck, events, rules)
    assert solved.exact
    if best == -math.inf:
        assert solved.capacity == -math.inf
        return
    assert solved.capacity == pytest.approx(best, abs=1e-6)
    assert solved.bound == pytest.approx(best, abs=1e-6)
    assert _score(deck, solved.portfolio, events, rules) == (1, pytest.approx(best, abs=1e-6))


def test_korsbaek_keeps_its_levels_and_the_range_is_proven() -> None:
    feasible = feasible_range(BASE)
    assert feasible.exact
    assert feasible.max_target == feasible.max_target_bound == pytest.approx(54.6)
    assert feasible.max_target_worst_event == feasible.max_target_worst_event_bound == pytest.approx(48.1)
    assert [(level.name, level.target) for level in feasible.levels] == [("let", 15), ("middel", 20), ("svær", 25)]


def test_a_search_out_of_nodes_keeps_a_real_portfolio_and_a_bound() -> None:
    # No node at all: HiGHS stops before branching; what it has is checked, and nothing is called exact
    # that was not proven.
    solved = search(BASE, ("E02",), nodes=0)
    assert solved.capacity <= solved.bound + 1e-9
    if not solved.exact:
        assert solved.capacity < math.inf
    met, capacity = _score(BASE, solved.portfolio, ("E02",), 2)
    assert met == 1
    assert capacity == pytest.approx(solved.capacity)


def test_an_event_the_programme_cannot_capture_is_searched_but_not_called_exact() -> None:
    # A conditional that delays cards when triggered: the arrays cannot say it (engine/feasibility.py, Model.exact),
    # so the search's portfolio is checked with assess and the range says it is not proven, with no bound.
    odd = EventCard.model_validate(
        {"id": "E99", "title": TEXT, "description": TEXT, "background": TEXT,
         "effects": [{"kind": "conditional", "if_any_chosen": ["ÆL-01"],
                      "then": [{"kind": "delay_cards", "cards": ["ÆL-03"]}], "otherwise": []}]}
    )  # fmt: skip
    deck = BASE.model_copy(update={"events": (*BASE.events, odd)})
    solved = search(deck, ("E99",))
    assert not solved.exact
    assert solved.bound == math.inf
    met, capacity = _score(deck, solved.portfolio, ("E99",), 2)
    assert (met, capacity) == (1, pytest.approx(solved.capacity))
    # The range is still proven: under E99 the no-event optimum delivers more than E02's proven worst, so E99
    # cannot be the worst event and is not searched.
    feasible = feasible_range(deck)
    assert _score(deck, feasible.portfolio, ("E99",), 2)[1] > feasible.max_target_worst_event
    assert feasible.exact
    assert (feasible.worst_event, feasible.max_target_worst_event) == ("E02", pytest.approx(48.1))


def test_a_range_with_an_unproven_worst_event_says_so() -> None:
    harsh = EventCard.model_validate(
        {"id": "E98", "title": TEXT, "description": TEXT, "background": TEXT,
         "effects": [{"kind": "conditional", "if_any_chosen": ["ÆL-01"],
                      "then": [{"kind": "delay_cards", "cards": ["ÆL-03"]},
                               {"kind": "gap", "amounts": [-30, -30, -30, -30]}], "otherwise": []}]}
    )  # fmt: skip
    deck = BASE.model_copy(update={"events": (*BASE.events, harsh)})
    feasible = feasible_range(deck)
    assert not feasible.exact  # E98 hurts the no-event optimum, so it is searched, and it cannot be proven
    assert feasible.max_target == pytest.approx(54.6)
    assert feasible.max_target_worst_event <= (feasible.max_target_worst_event_bound or math.inf)
    if feasible.worst_event == "E98":
        assert _score(deck, search(deck, ("E98",)).portfolio, ("E98",), 2)[0] == 1
