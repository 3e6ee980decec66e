"""The control room's rows and flags (engine/monitor.py), over states played through decide and evolve."""

from __future__ import annotations

import doctest
from datetime import timedelta

import pytest

import engine.monitor
from engine.budget import assess
from engine.deck import Deck
from engine.model import Actor, CreateGame, EndGame, ForceAdopt, Join, Pause, Propose, StartRound, State
from engine.monitor import (
    NEAR_DEADLINE_SECONDS,
    OFFLINE_GRACE_SECONDS,
    STALLED_SECONDS,
    TableOverview,
    flags,
    reached,
    table_overview,
    under_half_online,
)
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


def _round(deck: Deck, players: int = 4, round_seconds: int | None = 600) -> Table:
    table = Table(deck=deck, state=initial_state(deck), rules=1)
    table.play(CreateGame, table_name="Bord Syd", seed=7, target=6, rounds=3, round_seconds=round_seconds)
    for n in range(players):
        table.play(Join, player_id=f"p{n}", name=f"P{n}")
    table.play(StartRound)
    return table


def _result(state: State) -> tuple[float, float, float, float] | None:
    if state.forlig is None or state.config is None:
        return None
    return assess(state.deck, state.forlig.cards, state.event_cards, state.config.target).result


def _row(table: Table) -> TableOverview:
    return table_overview(table.state, _result(table.state))


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(engine.monitor)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_year_is_reached_at_exactly_the_target_and_not_a_hair_below() -> None:
    assert reached((0.0, 0.000001, -0.000001, -5.0)) == (True, True, False, False)
    assert reached(None) is None


def test_a_table_before_its_game_has_no_round_no_forlig_and_no_name(deck: Deck) -> None:
    row = table_overview(initial_state(deck), None)
    assert (row.phase, row.table_name, row.round, row.rounds_total, row.seated) == ("lobby", None, None, None, 0)
    assert row.deadline is None
    assert row.forlig is None
    assert row.result is None
    assert row.reached is None


def test_an_open_round_shows_its_deadline_and_a_paused_one_the_time_left(deck: Deck) -> None:
    table = _round(deck)
    row = _row(table)
    assert (row.phase, row.table_name, row.round, row.rounds_total, row.seated) == ("round", "Bord Syd", 1, 3, 4)
    assert row.deadline == table.state.current_round.deadline  # type: ignore[union-attr]
    assert not row.paused
    assert row.remaining is None
    table.play(Pause)
    paused = _row(table)
    assert paused.paused
    assert paused.deadline is None
    assert paused.remaining is not None
    assert paused.seq == table.state.seq


def test_the_forlig_carries_its_result_and_the_years_it_reaches(deck: Deck) -> None:
    table = _round(deck)
    table.play(Propose, Actor.player("p0"), cards=ENOUGH)
    table.play(Propose, Actor.player("p1"), cards=("AD-03",))
    assert _row(table).proposals_open == 2
    assert _row(table).forlig is None
    table.play(ForceAdopt, proposal_id="F1")
    row = _row(table)
    assert row.forlig == "F1"
    assert row.result == _result(table.state)
    assert row.reached == tuple(value >= 0 for value in row.result)  # type: ignore[union-attr]
    assert row.reached == (True, True, True, True)  # ENOUGH reaches every year (tests/engine/test_conference.py)
    # Without a forlig a stray result is not shown: the row says what the table agreed on.
    assert table_overview(_round(deck).state, (1.0, 1.0, 1.0, 1.0)).reached is None


def test_a_running_round_without_events_is_stalled_after_five_minutes(deck: Deck) -> None:
    table = _round(deck, round_seconds=None)  # no deadline: only the stall can flag it
    row = _row(table)
    last = table.clock
    just_before = last + timedelta(seconds=STALLED_SECONDS - 0.001)
    assert flags(row, now=just_before, last_activity=last, online=4, offline_since=None) == []
    at = last + timedelta(seconds=STALLED_SECONDS)
    assert flags(row, now=at, last_activity=last, online=4, offline_since=None) == ["stalled"]
    assert flags(row, now=at, last_activity=None, online=4, offline_since=None) == []  # activity unknown
    table.play(Pause)
    assert flags(_row(table), now=at + timedelta(hours=1), last_activity=last, online=4, offline_since=None) == []


def test_no_forlig_near_the_deadline_is_flagged_three_minutes_before_it_and_after(deck: Deck) -> None:
    table = _round(deck)
    row = _row(table)
    deadline = row.deadline
    assert deadline is not None

    def at(seconds_before: float) -> list[str]:
        moment = deadline - timedelta(seconds=seconds_before)
        return list(flags(row, now=moment, last_activity=moment, online=4, offline_since=None))

    assert at(NEAR_DEADLINE_SECONDS + 0.001) == []
    assert at(NEAR_DEADLINE_SECONDS) == ["no_forlig_near_deadline"]
    assert at(-30) == ["no_forlig_near_deadline"]  # past it, before the server's deadline ends the round
    table.play(Propose, Actor.player("p0"), cards=ENOUGH)
    table.play(ForceAdopt, proposal_id="F1")  # adopting ends the round; the forlig stays into the next one
    table.play(StartRound)
    with_forlig = _row(table)
    assert (with_forlig.phase, with_forlig.forlig) == ("round", "F1")
    assert with_forlig.deadline is not None
    moment = with_forlig.deadline - timedelta(seconds=10)
    assert flags(with_forlig, now=moment, last_activity=moment, online=4, offline_since=None) == []


def test_offline_needs_under_half_online_for_the_grace_period_or_a_single_reading(deck: Deck) -> None:
    table = _round(deck)
    row = _row(table)
    now = table.clock  # the round has just started: far from its deadline
    assert not under_half_online(row, 2)  # two of four online is half: not flagged
    assert under_half_online(row, 1)
    since = now - timedelta(seconds=OFFLINE_GRACE_SECONDS - 1)
    assert flags(row, now=now, last_activity=now, online=1, offline_since=since) == []
    since = now - timedelta(seconds=OFFLINE_GRACE_SECONDS)
    assert flags(row, now=now, last_activity=now, online=1, offline_since=since) == ["offline"]
    assert flags(row, now=now, last_activity=now, online=1, offline_since=None) == ["offline"]
    assert flags(row, now=now, last_activity=now, online=2, offline_since=since) == []


def test_offline_does_not_matter_once_the_game_is_over_nor_at_an_empty_table(deck: Deck) -> None:
    table = _round(deck)
    table.play(EndGame)
    over = _row(table)
    assert over.phase in ("reality_check", "debrief")
    assert not under_half_online(over, 0)
    assert not under_half_online(table_overview(initial_state(deck), None), 0)


@pytest.mark.parametrize("online", [0, 4])
def test_the_flags_come_in_a_fixed_order(deck: Deck, online: int) -> None:
    row = _row(_round(deck))
    assert row.deadline is not None
    now = row.deadline  # near the deadline, no forlig, and long without events
    found = flags(row, now=now, last_activity=now - timedelta(hours=1), online=online, offline_since=None)
    assert found == ["stalled", "no_forlig_near_deadline", *(["offline"] if online == 0 else [])]
