"""Rules 3 voting (issue 13): a vote is decided when every voter has voted or when it is called, a later
forlig replaces an earlier one, and nobody adopts a forlig alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.deck import Deck
from engine.model import SYSTEM, Actor, CallVote, CastVote, CreateGame, EndRound, Propose, SetRule, StartRound
from engine.rules import initial_state
from engine.views import Viewer, view
from tests.engine.conftest import Table
from tests.engine.test_rules import BALANCED, refused, seat, started, voters


def _mayor(table: Table) -> Actor:
    return Actor.player(table.holder("borgmester"))


def test_crossing_the_threshold_does_not_adopt_until_everyone_has_voted(table: Table) -> None:
    started(table, players=5)
    mayor = _mayor(table)
    others = [a for a in voters(table) if a != mayor]
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    for actor in others[:-1]:
        table.play(CastVote, actor, proposal_id="F1", choice="for")
    # Two thirds are long crossed, but one voter has not spoken: nothing is decided.
    assert table.state.forlig is None
    assert table.state.proposals["F1"].status == "open"
    table.play(CastVote, others[-1], proposal_id="F1", choice="for")
    assert table.state.forlig is not None
    assert table.state.forlig.share_for == 1.0  # unanimous support is recorded as unanimous
    assert table.state.phase == "round"  # a forlig does not end the round


def test_the_share_is_the_final_share_of_all_votes(table: Table) -> None:
    started(table, players=5)
    mayor = _mayor(table)
    others = [a for a in voters(table) if a != mayor]
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    for actor in others[:-1]:
        table.play(CastVote, actor, proposal_id="F1", choice="for")
    table.play(CastVote, others[-1], proposal_id="F1", choice="against")
    total = 2 + len(others)
    assert table.state.forlig is not None
    assert table.state.forlig.share_for == round((total - 1) / total, 4)


def test_the_mayor_or_the_facilitator_calls_a_vote_and_nobody_else(table: Table) -> None:
    started(table, players=5)
    mayor = _mayor(table)
    other, *rest = [a for a in voters(table) if a != mayor]
    table.play(Propose, other, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    table.play(CastVote, other, proposal_id="F1", choice="for")
    refused("vote.not_mayor", table, CallVote, other, proposal_id="F1")
    refused("proposal.unknown", table, CallVote, mayor, proposal_id="F9")
    events = table.play(CallVote, mayor, proposal_id="F1")
    total = 2 + 1 + len(rest)
    # Called on 3 of the weight: adopted when that is two thirds, else rejected; the share counts everyone.
    if 2 * total <= 3 * 3:
        assert [e.type for e in events] == ["proposal_adopted"]
        assert table.state.forlig is not None
        assert table.state.forlig.share_for == round(3 / total, 4)
    else:
        assert [e.type for e in events] == ["proposal_rejected"]
    table.play(Propose, other, cards=BALANCED)
    for actor in (mayor, other, *rest):
        table.play(CastVote, actor, proposal_id="F2", choice="against")
    assert table.state.proposals["F2"].status == "rejected"
    table.play(Propose, other, cards=BALANCED)
    assert [e.type for e in table.play(CallVote, proposal_id="F3")] == ["proposal_rejected"]  # the facilitator


def test_the_deadline_calls_every_open_vote_then_ends_the_round(table: Table) -> None:
    started(table, players=4, round_seconds=600)
    mayor = _mayor(table)
    other = next(a for a in voters(table) if a != mayor)
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    table.play(CastVote, other, proposal_id="F1", choice="for")
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline is not None
    events = table.play(EndRound, SYSTEM, at=round_.deadline + timedelta(seconds=1))
    assert [e.type for e in events][-1] == "round_ended"
    decided = [e.type for e in events[:-1]]
    assert decided in (["proposal_adopted"], ["proposal_rejected"])
    assert table.state.proposals["F1"].status in ("adopted", "rejected")


def test_a_later_forlig_replaces_the_earlier_one_in_the_same_round(table: Table) -> None:
    started(table, players=4)
    everyone = voters(table)
    table.play(Propose, everyone[0], cards=BALANCED)
    for actor in everyone:
        table.play(CastVote, actor, proposal_id="F1", choice="for")
    table.play(Propose, everyone[1], cards=BALANCED[:-1], amends="F1")
    for actor in everyone:
        table.play(CastVote, actor, proposal_id="F2", choice="for")
    assert table.state.forlig is not None
    assert table.state.forlig.proposal_id == "F2"
    assert [f.proposal_id for f in table.state.forlig_history] == ["F1", "F2"]
    table.play(EndRound)
    assert table.state.rounds[-1].adopted == "F2"


def _table_with_director(deck: Deck, players: int) -> Table:
    """A table of `players` where the økonomidirektør (no vote) is dealt: the mayor holds 2 of 3 votes."""
    for seed in range(200):
        table = Table(deck=deck, state=initial_state(deck))
        table.play(CreateGame, table_name="Bord 1", seed=seed)
        seat(table, players)
        table.play(StartRound)
        if any(p.role == "oekonomidirektoer" for p in table.state.seated()):
            return table
    raise AssertionError("no seed deals the økonomidirektør")


@pytest.mark.parametrize("rule", ["broad", "majority"])
def test_no_one_adopts_a_forlig_alone(deck: Deck, rule: str) -> None:
    table = _table_with_director(deck, 3)
    table.play(SetRule, rule=rule)
    mayor = _mayor(table)
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    # 2 of 3 weight is two thirds and more than half, but one player is not a forlig.
    assert [e.type for e in table.play(CallVote, mayor, proposal_id="F1")] == ["proposal_rejected"]
    assert table.state.forlig is None
    other = next(a for a in voters(table) if a != mayor)
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F2", choice="for")
    table.play(CastVote, other, proposal_id="F2", choice="for")
    assert table.state.forlig is not None  # two voting players: a forlig


def test_roles_are_public_under_rules_3_and_stay_secret_in_a_rules_2_game(table: Table, table_v2: Table) -> None:
    for current, public in ((table, True), (table_v2, False)):
        started(current, players=4)
        everyone = {p.id: p.role for p in current.state.players.values()}
        for player_id in everyone:
            seen = {p.id: p.role for p in view(current.state, Viewer("player", player_id)).players}
            expected = everyone if public else {k: (v if k == player_id else None) for k, v in everyone.items()}
            assert seen == expected
            # A player's own hjertesager are in its view either way; nobody else's.
            role = current.state.deck.role(everyone[player_id] or "")
            assert view(current.state, Viewer("player", player_id)).your_hjertesager == tuple(
                sag.text for sag in role.hjertesager
            )
