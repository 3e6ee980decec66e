"""The table debrief's why, fixes, dialogue and administration share (engine/explain.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.budget import assess, target_years, validate_portfolio
from engine.debrief import verdict
from engine.deck import Deck, DisableCardsEffect
from engine.errors import RuleViolation
from engine.explain import (
    ADMINISTRATION,
    administration,
    blocked,
    blocked_at,
    card_pairs,
    explain,
    fixes,
    table_debrief,
    why,
)
from engine.format import format_mio
from engine.model import CreateGame, Round, State
from engine.views import meter
from tests.engine.conftest import Table
from tests.engine.test_properties import commands, opening, play


def _sums(rows: object) -> None:
    for row in rows:  # type: ignore[attr-defined]
        assert round(sum(part.amount for part in row.contributions), 6) == row.result, row


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_why_sums_to_the_result_in_every_year_of_generated_games(deck: Deck, data: st.DataObject, seed: int) -> None:
    steps = opening(data.draw(st.integers(0, 6))) + data.draw(st.lists(commands(deck), min_size=20, max_size=80))
    _, states = play(deck, steps, seed)
    for state in states[-1:] + [s for s in states if s.forlig is not None][-1:]:
        result = table_debrief(state, draws=50)
        assert len(result.why) == 4
        _sums(result.why)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_why_sums_to_the_result_for_any_portfolio_events_and_target(deck: Deck, data: st.DataObject) -> None:
    # Random games seldom draw many events over a big forlig: here every event and card mix is reachable.
    ids = [card.id for card in deck.cards] + [lever.id for lever in deck.levers]
    cards = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=14, unique=True))
    events = data.draw(st.lists(st.sampled_from([event.id for event in deck.events]), max_size=5, unique=True))
    target = target_years(deck.scenario, data.draw(st.floats(0, 60)))
    try:
        validate_portfolio(deck, cards, events)
    except RuleViolation:
        return
    assessment = assess(deck, cards, events, target)
    _sums(why(deck, assessment, events))


def test_the_events_and_card_groups_are_named(deck: Deck) -> None:
    cards = ("AD-04", "ÆL-01", "DT-02", "SK-01", "TM-01")
    events = tuple(event.id for event in deck.events[:3])
    target = target_years(deck.scenario, 20.0)
    first = why(deck, assess(deck, cards, events, target), events)[0]
    codes = [part.code for part in first.contributions]
    assert codes[0] == "why.target"
    assert [part.id for part in first.contributions if part.code == "why.event"] == list(events)
    groups = [part for part in first.contributions if part.code == "why.kind"]
    assert all(part.largest in part.cards for part in groups)
    assert first.da
    assert first.en


def test_a_fix_meets_the_condition_it_is_for(deck: Deck) -> None:
    target = target_years(deck.scenario, 20.0)
    cards = ("AD-04", "ÆL-01")
    found = fixes(deck, cards, (), target, 2)
    assert found
    for fix in found:
        portfolio = tuple(c for c in cards if c not in fix.remove) + fix.add
        from engine.debrief import verdict

        after = verdict(deck, assess(deck, portfolio, (), target), (), 2)
        assert any(
            r.code == fix.condition and r.year == fix.year and r.kind == fix.kind and r.ok for r in after.reasons
        )
    by_condition: dict[tuple[str, int | None, str | None], list[int]] = {}
    for fix in found:
        by_condition.setdefault((fix.condition, fix.year, fix.kind), []).append(-fix.service)
    assert all(len(costs) <= 3 and costs == sorted(costs) for costs in by_condition.values())


def test_administration_is_the_administration_area_alone(deck: Deck) -> None:
    target = target_years(deck.scenario, 20.0)
    admin_card = next(card for card in deck.cards if card.area == ADMINISTRATION and card.amounts[3] > 0)
    culture = next(card for card in deck.cards if card.area == "kultur_fritid" and card.amounts[3] > 0)
    result = administration(deck, assess(deck, (admin_card.id, culture.id), (), target))
    expected = admin_card.amounts[3] / (admin_card.amounts[3] + culture.amounts[3])
    assert abs(result.share_of_gains - expected) < 1e-9
    assert "28,5 pct." in result.da
    assert "28.5%" in result.en


def test_the_dialogue_asks_the_three_questions_with_the_tables_facts_in_danish_and_english(table: Table) -> None:
    from tests.engine.test_debrief import opened, propose, vote_all_for

    opened(table, target=20.0, events=("E04",))
    cards = ("AD-04", "ÆL-03", "SK-01", "DT-02", "TM-01")
    vote_all_for(table, propose(table, cards))
    assert table.state.forlig is not None
    result = table_debrief(table.state, draws=200)
    assert [q.id for q in result.dialogue] == ["dialogue.roles", "dialogue.transparency", "dialogue.welfare"]
    for question in result.dialogue:
        assert question.question.da != question.question.en
        assert question.facts
        assert all(fact.da and fact.en for fact in question.facts)
    roles = " ".join(fact.da for fact in result.dialogue[0].facts)
    assert "Spiller 1" in roles
    assert "Stemte for" in roles
    assert "har ingen stemme" in roles  # the forvaltning's seat, dealt at four players
    assert result.administration is not None
    assert any(part.id == "E04" for part in result.why[0].contributions)
    _sums(result.why)
    # The resource serialises with every new field.
    dumped = result.model_dump(mode="json")
    assert {"why", "fixes", "dialogue", "administration"} <= dumped.keys()


def test_the_cross_table_administration_share_is_every_tables_own(table: Table) -> None:
    from engine.conference import TableInput, cross_debrief
    from tests.engine.test_debrief import opened, propose, vote_all_for

    opened(table, target=20.0)
    vote_all_for(table, propose(table, ("AD-03", "TM-01", "ÆL-05", "AD-02", "SK-01")))
    own = table_debrief(table.state, draws=50)
    cross = cross_debrief([TableInput(table_id="t1", number=1, name="Bord 1", state=table.state, debrief=own)])
    assert own.administration is not None
    assert cross.tables[0].administration_share == own.administration.share_of_gains
    assert own.composition.administration_share == own.administration.share_of_gains
    assert cross.composition.tables[0].shares.administration_share == own.administration.share_of_gains


# ---- live, while negotiating (engine.explain.explain, carried by the meter) ---------------------------


def test_the_live_why_names_the_year_the_amount_the_causes_and_the_cheapest_fix(deck: Deck) -> None:
    target = target_years(deck.scenario, 20.0)
    cards = ("AD-04", "ÆL-01", "ÆL-02", "DT-02", "SK-05", "TM-01")
    events = ("E04",)
    live = explain(deck, cards, events, target, 2)
    assessment = assess(deck, cards, events, target)
    short_years = [i for i in range(4) if assessment.result[i] < 0]
    assert short_years, "the portfolio must fail a year for this test"
    first = short_years[0]
    label = deck.scenario.years[first]
    line = next(line for line in live.lines if line.da.startswith(f"{label}: der mangler"))
    assert format_mio(-assessment.result[first]) in line.da
    assert "E04" in line.da
    assert "E04" in line.en
    assert "Billigste løsning" in line.da or "Ingen enkelt ændring" in line.da
    assert len(live.lines) == len(live.failed)
    # Each fix given is the cheapest that meets its condition: the first of the debrief's list.
    for fix in live.fixes:
        full = fixes(deck, cards, events, target, 2)
        same = [f for f in full if (f.condition, f.year, f.kind) == (fix.condition, fix.year, fix.kind)]
        assert same[0] == fix
        assert fix.da in " ".join(line.da for line in live.lines)
    _sums(live.years)


def test_a_portfolio_that_meets_everything_says_so(deck: Deck) -> None:
    target = target_years(deck.scenario, 10.0)
    ids = [card.id for card in deck.cards if card.kind != "udvidelse" and sum(card.capital) >= 0]
    cards = (*ids, "ÆL-U1", "DT-U1", "SK-U1")
    for rules in (1, 2):
        assert verdict(deck, assess(deck, cards, (), target), (), rules).reached
        live = explain(deck, cards, (), target, rules)
        assert live.failed == ()
        assert live.fixes == ()
        assert [line.da for line in live.lines] == ["Porteføljen opfylder alle betingelser: målet nås i alle fire år."]


def test_a_card_that_cannot_be_added_says_why_requires_excludes_or_an_event(deck: Deck) -> None:
    cards = list(deck.cards)
    index = {card.id: i for i, card in enumerate(cards)}
    cards[index["SK-05"]] = cards[index["SK-05"]].model_copy(update={"requires": ("SK-03",)})
    cards[index["DT-03"]] = cards[index["DT-03"]].model_copy(update={"excludes": ("DT-01",)})
    disabling = deck.events[0].model_copy(
        update={"effects": (DisableCardsEffect(kind="disable_cards", cards=("TM-01",)),)}
    )
    changed = deck.model_copy(update={"cards": tuple(cards), "events": (disabling, *deck.events[1:])})
    found = {b.card: b for b in blocked(changed, ("DT-01", "AD-04"), (disabling.id,))}
    assert found["SK-05"].code == "portfolio.requires"
    assert found["SK-05"].others == ("SK-03",)
    assert "SK-05 kræver også SK-03" in found["SK-05"].da
    assert found["DT-03"].code == "portfolio.excludes"
    assert "DT-01" in found["DT-03"].en
    assert found["TM-01"].code == "portfolio.card_disabled"
    assert found["TM-01"].others == (disabling.id,)
    assert disabling.id in found["TM-01"].da
    # Exactly the cards the engine would refuse, no more.
    for card in changed.cards:
        if card.id in ("DT-01", "AD-04"):
            continue
        try:
            validate_portfolio(changed, ("DT-01", "AD-04", card.id), (disabling.id,))
            refused = False
        except RuleViolation:
            refused = True
        assert refused == (card.id in found), card.id


def test_an_empty_builder_gets_the_engines_why_for_each_card_it_cannot_take(deck: Deck) -> None:
    # Before a card is picked the builder marks what cannot go in from the engine's answer, not its own check:
    # a card that requires another, one an event drawn takes out of play; nothing is excluded by nothing.
    cards = list(deck.cards)
    index = {card.id: i for i, card in enumerate(cards)}
    cards[index["SK-05"]] = cards[index["SK-05"]].model_copy(update={"requires": ("SK-03",)})
    cards[index["DT-03"]] = cards[index["DT-03"]].model_copy(update={"excludes": ("DT-01",)})
    disabling = deck.events[0].model_copy(
        update={"effects": (DisableCardsEffect(kind="disable_cards", cards=("TM-01",)),)}
    )
    changed = deck.model_copy(update={"cards": tuple(cards), "events": (disabling, *deck.events[1:])})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    before = State(deck=changed, rounds=(Round(number=1, event_card=None, started_at=at, deadline=None),))
    assert [(b.card, b.code) for b in blocked_at(before)] == [("SK-05", "portfolio.requires")]
    drawn = State(
        deck=changed,
        rounds=(
            Round(number=1, event_card=None, started_at=at, deadline=None, ended_at=at),
            Round(number=2, event_card=disabling.id, started_at=at, deadline=None),
        ),
    )
    found = {b.card: b for b in blocked_at(drawn)}
    assert sorted(found) == ["SK-05", "TM-01"]
    assert found["TM-01"].code == "portfolio.card_disabled"
    assert found["TM-01"].others == (disabling.id,)
    assert f"TM-01 er taget ud af spil af hændelsen {disabling.id}" in found["TM-01"].da
    # Exactly the cards the engine would refuse on their own.
    for card in changed.cards:
        try:
            validate_portfolio(changed, (card.id,), (disabling.id,))
            refused = False
        except RuleViolation:
            refused = True
        assert refused == (card.id in found), card.id
    assert blocked_at(State(deck=deck)) == ()  # Korsbæk: no card requires another, no event drawn


def test_korsbaek_warns_about_its_three_linked_pairs_and_the_meter_carries_it(table: Table) -> None:
    deck = table.deck
    pairs = {("SK-03", "SK-05"), ("DT-03", "DT-01"), ("ÆL-05", "ÆL-U1")}
    assert {(c.id, w.card) for c in deck.cards for w in c.warns_with} == pairs
    for a, b in pairs:
        found = card_pairs(deck, (b, "AD-04", a))
        assert [p.cards for p in found] == [(a, b)]
        assert a in found[0].text.da
        assert b in found[0].text.en
        assert not card_pairs(deck, (a, "AD-04"))
        validate_portfolio(deck, (a, b), ())  # a warning, not a rule: the forlig may hold both
    table.play(CreateGame, table_name="Bord 1", seed=7, target=20.0)
    assert meter(table.state, ("ÆL-05", "ÆL-U1", "AD-04")).why is None  # the snapshot's meter
    result = meter(table.state, ("ÆL-05", "ÆL-U1", "AD-04"), explained=True)
    pair = [w for w in result.warnings if w.code == "budget.card_pair"]
    assert [w.cards for w in pair] == [("ÆL-05", "ÆL-U1")]
    assert pair[0].note is not None
    assert "E10" in pair[0].note.da
    assert result.why is not None
    assert result.why.pairs[0].cards == ("ÆL-05", "ÆL-U1")
    assert [b.card for b in result.why.blocked] == []
