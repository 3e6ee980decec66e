"""The table debrief's why, fixes, dialogue and administration share (engine/explain.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.budget import assess, target_years, validate_portfolio
from engine.deck import Deck
from engine.errors import RuleViolation
from engine.explain import ADMINISTRATION, administration, fixes, table_debrief, why
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
