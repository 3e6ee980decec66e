"""The figures the engine derives for the screens: who may vote, who is still to vote, the tallies, a year reached."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.budget import year_reached
from engine.debrief import debrief
from engine.deck import Deck
from engine.model import Actor, CastVote, ForceAdopt, Leave, Propose
from engine.views import (
    ABILITIES_BY,
    DERIVED_BY,
    FACILITATOR_VIEWER,
    PROJECTOR_VIEWER,
    Derived,
    Viewer,
    ability_views,
    derived,
    view,
    voting,
)
from tests.engine.conftest import Table
from tests.engine.test_properties import commands, opening, play
from tests.engine.test_rules import BALANCED, started


# These tests pin rules 1 (what every log written before rules 2 replays with): the v1 deck and its
# arithmetic. Rules 2 have their own tests (tests/engine/test_rules_v2.py).
@pytest.fixture(scope="session")
def deck(deck_v1: Deck) -> Deck:
    return deck_v1


@pytest.fixture
def table(table_v1: Table) -> Table:
    return table_v1


def test_a_player_without_a_vote_is_never_still_to_vote(table: Table) -> None:
    # Eight players hold every role, the økonomidirektør's too, which has no vote.
    first, *_ = started(table, players=8)
    without = table.holder("oekonomidirektoer")
    table.play(Propose, first, cards=BALANCED)
    seen = view(table.state, FACILITATOR_VIEWER)
    (proposal,) = seen.proposals
    assert without not in seen.voters
    assert without not in proposal.missing
    assert set(proposal.missing) == set(seen.voters) == set(table.players_with_vote())
    assert seen.voters[table.holder("borgmester")] == 2
    assert view(table.state, Viewer("player", without)).you_may_vote is False
    assert view(table.state, Viewer("player", table.holder("borgmester"))).you_may_vote is True
    assert not view(table.state, PROJECTOR_VIEWER).you_may_vote
    assert not seen.you_may_vote


def test_who_is_still_to_vote_shrinks_with_each_vote_and_is_nobody_once_resolved(table: Table) -> None:
    started(table, players=4)
    voters = list(table.players_with_vote())
    table.play(Propose, Actor.player(voters[0]), cards=BALANCED)
    (vote,) = table.play(CastVote, Actor.player(voters[0]), proposal_id="F1", choice="against")
    change = derived(table.state, vote)
    assert change is not None
    assert change.voters is None
    assert set(change.proposals) == {"F1"}
    assert change.proposals["F1"].missing == tuple(voters[1:])
    weight = table.deck.role(table.state.players[voters[0]].role or "").weight
    assert change.proposals["F1"].tally.against == weight
    for voter in voters[1:]:
        table.play(CastVote, Actor.player(voter), proposal_id="F1", choice="against")
    assert table.state.proposals["F1"].status == "rejected"
    assert voting(table.state).proposals["F1"].missing == ()


def test_a_player_who_leaves_is_no_longer_a_voter_and_every_tally_says_so(table: Table) -> None:
    started(table, players=4)
    voter = next(table.players_with_vote())
    table.play(Propose, Actor.player(voter), cards=BALANCED)
    left, *_ = table.play(Leave, Actor.player(voter))
    change = derived(table.state, left)
    assert change is not None
    assert change.voters is not None
    assert voter not in change.voters
    assert change.proposals == voting(table.state).proposals


def test_the_view_carries_the_voting_figures(table: Table) -> None:
    first, *_ = started(table, players=5)
    table.play(Propose, first, cards=BALANCED)
    figures = voting(table.state)
    for viewer in (FACILITATOR_VIEWER, PROJECTOR_VIEWER, *(Viewer("player", pid) for pid in table.seated_ids())):
        seen = view(table.state, viewer)
        assert seen.voters == figures.voters
        assert seen.you_may_vote == (viewer.player_id in seen.voters)
        assert {p.id: (p.tally, p.missing) for p in seen.proposals} == {
            key: (value.tally, value.missing) for key, value in figures.proposals.items()
        }


@pytest.mark.parametrize("target", [1.0, 200.0])
def test_the_meter_says_which_years_are_reached_as_the_debrief_does(table: Table, target: float) -> None:
    first, *_ = started(table, target=target)
    table.play(Propose, first, cards=BALANCED)
    table.play(ForceAdopt, proposal_id="F1")
    shown = view(table.state, FACILITATOR_VIEWER).meter
    assert shown is not None
    assert shown.reached == tuple(year_reached(value) for value in shown.result)
    assert shown.reached == tuple(row.reached for row in debrief(table.state, draws=10).years)
    assert shown.all_reached == all(shown.reached) == (target == 1.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_each_event_says_all_it_changed_in_the_voting_figures(deck: Deck, data: st.DataObject, seed: int) -> None:
    """The figures before an event with what `derived` says it changed laid over them are the figures after."""
    steps = opening(data.draw(st.sampled_from([0, 3, 5, 6]))) + data.draw(st.lists(commands(deck), max_size=50))
    log, states = play(deck, steps, seed)
    figures = voting(states[0]) if states else None
    abilities = ability_views(states[0]) if states else None
    for event, state in zip(log[1:], states[1:], strict=True):
        assert figures is not None
        change = derived(state, event)
        assert change is None or isinstance(event, (*DERIVED_BY, *ABILITIES_BY))
        if change is not None:
            figures = Derived(
                voters=change.voters if change.voters is not None else figures.voters,
                proposals={**figures.proposals, **change.proposals},
            )
            abilities = change.abilities if change.abilities is not None else abilities
        assert figures == voting(state), f"{event.type} changed more than it said"
        assert abilities == ability_views(state), f"{event.type} changed the abilities without saying so"
