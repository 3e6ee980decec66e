"""The cross-table debrief over tables played here: counts, statuses, averages and spreads."""

from __future__ import annotations

import pytest

from engine.conference import TableInput, card_statuses, cross_debrief
from engine.debrief import debrief
from engine.deck import Deck
from engine.model import Actor, CreateGame, ForceAdopt, Join, Propose, SetRule, StartRound
from engine.rules import initial_state
from tests.engine.conftest import Table


# These tests pin rules 1 (what every log written before rules 2 replays with): the v1 deck and its
# arithmetic. Rules 2 have their own tests (tests/engine/test_rules_v2.py).
@pytest.fixture(scope="session")
def deck(deck_v1: Deck) -> Deck:
    return deck_v1


@pytest.fixture
def table(table_v1: Table) -> Table:
    return table_v1


ENOUGH = ("ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "SK-04", "DT-02", "ÆL-05", "DT-U1")


def _table(deck: Deck, *proposals: tuple[str, ...], adopt: str | None = None) -> Table:
    table = Table(deck=deck, state=initial_state(deck), rules=1)
    table.play(CreateGame, table_name="Bord", seed=7, target=6)
    for n in range(3):
        table.play(Join, player_id=f"p{n}", name=f"P{n}")
    table.play(StartRound)
    for cards in proposals:
        table.play(Propose, Actor.player("p0"), cards=cards)
    if adopt:
        table.play(ForceAdopt, proposal_id=adopt)
    return table


def _inputs(*tables: Table) -> list[TableInput]:
    return [
        TableInput(table_id=f"t{n}", number=n, name=f"Bord {n}", state=t.state, debrief=debrief(t.state, draws=500))
        for n, t in enumerate(tables, start=1)
    ]


def test_card_statuses_tell_chosen_from_proposed_from_never(deck: Deck) -> None:
    table = _table(deck, ("SK-04", "AD-03"), ENOUGH, adopt="F2")
    statuses = card_statuses(table.state)
    assert len(statuses) == len(deck.cards)
    assert statuses["AD-03"] == "chosen"
    assert statuses["SK-04"] == "chosen"
    assert statuses["AD-01"] == "never"
    other = _table(deck, ("SK-01",))
    assert card_statuses(other.state)["SK-01"] == "proposed"


def test_the_comparison_counts_and_averages_only_tables_with_a_forlig(deck: Deck) -> None:
    reached = _table(deck, ENOUGH, adopt="F1")
    short = _table(deck, ("AD-03",), adopt="F1")
    nothing = _table(deck, ("SK-01",))
    cross = cross_debrief(_inputs(reached, short, nothing))
    assert [t.forlig for t in cross.tables] == ["F1", "F1", None]
    assert cross.with_forlig == 2
    assert cross.composition.averaged_over == 2
    assert [y.reached for y in cross.reached] == [1, 1, 1, 1]
    assert cross.verdict_reached == 1
    shares = [t.shares.administration_share for t in cross.composition.tables[:2]]
    assert cross.composition.average.administration_share == pytest.approx(sum(shares) / 2)
    assert cross.tables[1].administration_share == 1.0  # AD-03 is administration's alone
    first = cross.probability.spread[0]
    assert first.tables == 2
    assert first.lowest == min(t.probability[0] for t in cross.tables[:2])
    assert cross.heatmap.tables == ("t1", "t2", "t3")
    row = next(r for r in cross.heatmap.rows if r.card == "SK-01")
    assert row.statuses == ("never", "never", "proposed")
    assert (row.chosen, row.proposed, row.never) == (0, 1, 2)


def test_a_conference_where_no_table_adopted_anything(deck: Deck) -> None:
    cross = cross_debrief(_inputs(_table(deck), _table(deck)))
    assert cross.with_forlig == 0
    assert cross.composition.averaged_over == 0
    assert cross.composition.average.administration_share == 0.0
    assert all(s.tables == 0 and s.median is None for s in cross.probability.spread)
    assert all(y.reached == 0 for y in cross.reached)
    with pytest.raises(ValueError, match="at least one table"):
        cross_debrief([])


def test_rules_are_compared_where_tables_played_different_rules_and_the_dialogue_has_the_facts(deck: Deck) -> None:
    broad = _table(deck, ENOUGH, adopt="F1")
    majority = _table(deck, ("AD-03",))
    majority.play(SetRule, rule="majority")
    majority.play(ForceAdopt, proposal_id="F1")
    cross = cross_debrief(_inputs(broad, majority))
    assert cross.rules_differ
    assert [(g.rule, g.rules, g.tables) for g in cross.rules_compared] == [
        ("broad", 1, ("t1",)),
        ("majority", 1, ("t2",)),
    ]
    assert [g.verdict_reached for g in cross.rules_compared] == [1, 0]
    same = cross_debrief(_inputs(broad, _table(deck, ("AD-03",), adopt="F1")))
    assert not same.rules_differ
    assert len(same.rules_compared) == 1
    assert [q.id for q in cross.dialogue] == ["dialogue.roles", "dialogue.transparency", "dialogue.welfare"]
    roles, transparency, welfare = cross.dialogue
    assert roles.facts[0].da.startswith("2 af 2 borde vedtog et forlig (2 tvunget igennem af facilitator)")
    assert "AD-03" in transparency.facts[0].da  # chosen at both tables: the most often chosen
    assert "(2 borde)" in transparency.facts[0].da
    average = (cross.tables[0].administration_share + cross.tables[1].administration_share) / 2
    assert f"{average:.0%}".replace("%", " pct.") in welfare.facts[0].da
    assert "28,5 pct." in welfare.facts[0].da
    assert "28.5%" in welfare.facts[0].en
