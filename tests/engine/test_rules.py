"""The rules of a table, one behaviour per test. Every RuleViolation code is reached here."""

from __future__ import annotations

import ast
import typing
from datetime import timedelta
from pathlib import Path

import pytest

from engine.budget import RULES_VERSION
from engine.deck import Deck, DisableCardsEffect, EventCard, Text
from engine.errors import MESSAGES, RULE_CODES, RuleCode, RuleViolation
from engine.model import (
    FACILITATOR,
    SYSTEM,
    Actor,
    Announce,
    CastVote,
    Command,
    CreateGame,
    DeadlineSet,
    EndGame,
    EndRound,
    ExtendDeadline,
    ForceAdopt,
    HandOverSeat,
    HideMessage,
    Join,
    Leave,
    MessageHidden,
    MessagePosted,
    Pause,
    PlayerRemoved,
    PostMessage,
    Propose,
    RemovePlayer,
    Resume,
    RoundPaused,
    RoundResumed,
    SeatHandedOver,
    SetDeadline,
    SetRule,
    ShowDebrief,
    StartRound,
)
from engine.rules import DECISIONS, fold, initial_state, outcome
from engine.views import FACILITATOR_VIEWER, PROJECTOR_VIEWER, Viewer, event_for, view
from tests.engine.conftest import Table

# A portfolio with every kind that keeps within the capital pool.
BALANCED = ("ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "ÆL-U1", "SK-04", "DT-02", "ÆL-05")


def refused(code: RuleCode, table: Table, command_type: type, actor: Actor = FACILITATOR, **fields: object) -> None:
    before = (table.state, len(table.log))
    with pytest.raises(RuleViolation) as caught:
        table.play(command_type, actor, **fields)
    assert caught.value.code == code
    assert (table.state, len(table.log)) == before, "a refused command must change nothing"


def create(table: Table, **options: object) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42, **options)


def seat(table: Table, count: int) -> list[Actor]:
    for number in range(1, count + 1):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    return [Actor.player(f"p{number}") for number in range(1, count + 1)]


def started(table: Table, players: int = 4, **options: object) -> list[Actor]:
    create(table, **options)
    actors = seat(table, players)
    table.play(StartRound)
    return actors


def voters(table: Table) -> list[Actor]:
    return [Actor.player(pid) for pid in table.players_with_vote()]


# ---- creating a game and the target ------------------------------------------------------------------


def test_the_default_target_is_the_baseline_gap(table: Table) -> None:
    create(table)
    assert table.state.config is not None
    assert table.state.config.target == (20, 30, 40, 45)
    assert table.state.config.rule == "broad"
    assert table.state.config.rounds == 3


def test_a_budget_year_target_adds_the_demographic_pressure_to_the_overslagsaar(table: Table) -> None:
    # Rules 2, the deck's target_profile "pressure": X + (gap − gap in the budgetår) = X + 0, 10, 20, 25.
    create(table, target=30)
    assert table.state.config is not None
    assert table.state.config.target == (30, 40, 50, 55)
    assert table.state.config.rules == RULES_VERSION == 3


def test_under_rules_1_a_target_scales_the_overslagsaar_in_proportion(table_v1: Table) -> None:
    create(table_v1, target=30)
    assert table_v1.state.config is not None
    assert table_v1.state.config.target == (30, 45, 60, 67.5)
    assert table_v1.state.config.rules == 1


def test_commands_before_the_game_exists_are_refused(table: Table) -> None:
    refused("game.not_created", table, StartRound)


def test_a_game_is_created_once(table: Table) -> None:
    create(table)
    refused("game.already_created", table, CreateGame, table_name="x", seed=1)


# ---- seats and roles ---------------------------------------------------------------------------------


def test_players_join_and_names_are_checked(table: Table) -> None:
    create(table)
    refused("seat.name_invalid", table, Join, player_id="p1", name="   ")
    refused("seat.name_invalid", table, Join, player_id="p1", name="x" * 41)
    table.play(Join, player_id="p1", name="  Karen  ")
    assert table.state.players["p1"].name == "Karen"
    refused("seat.already_seated", table, Join, player_id="p1", name="Karen")


def test_a_name_is_one_seat_ignoring_case_and_spaces(table: Table) -> None:
    """issue 16: "Dina", "Dina" and " dina " were three seats; now the second and third are refused."""
    create(table)
    table.play(Join, player_id="p1", name="Dina")
    for same in ("Dina", " dina ", "DI NA", "d\u00a0ina"):
        refused("seat.name_taken", table, Join, player_id="p2", name=same)
    with pytest.raises(RuleViolation) as caught:
        table.play(Join, player_id="p2", name=" dina ")
    assert caught.value.message("da").startswith("Dina sidder allerede ved bordet.")
    table.play(Join, player_id="p2", name="Dinah")  # another name is another seat
    table.play(RemovePlayer, player_id="p1")
    table.play(Join, player_id="p3", name="dina")  # a freed name can be taken again
    assert [p.name for p in table.state.seated()] == ["Dinah", "dina"]


def test_a_seat_is_handed_over_by_the_server_or_the_facilitator_only(table: Table) -> None:
    create(table)
    player, *_ = seat(table, 3)
    refused("actor.not_facilitator", table, HandOverSeat, player, player_id="p1", device="d2")
    refused("player.not_seated", table, HandOverSeat, player_id="nobody", device="d2")
    before = table.state
    table.play(HandOverSeat, Actor("system"), player_id="p1", device="d2")
    event = table.log[-1]
    assert isinstance(event, SeatHandedOver)
    assert (event.player_id, event.device) == ("p1", "d2")
    assert table.state.seq == before.seq + 1
    assert (table.state.players, table.state.phase) == (before.players, before.phase)  # nothing of the game
    # The device id is for the server: players and the projector see the event without it.
    assert event_for(table.state, event, Viewer("player", "p2")).device == ""  # type: ignore[union-attr]
    assert event_for(table.state, event, PROJECTOR_VIEWER).device == ""  # type: ignore[union-attr]
    assert event_for(table.state, event, FACILITATOR_VIEWER) is event


def test_a_table_has_at_most_eight_seats(table: Table) -> None:
    create(table)
    seat(table, 8)
    refused("seat.table_full", table, Join, player_id="p9", name="Ni")


def test_a_game_needs_three_players_to_start(table: Table) -> None:
    create(table)
    seat(table, 2)
    refused("game.too_few_players", table, StartRound)


def test_roles_are_dealt_by_a_seeded_draw_and_the_mayor_is_always_dealt(deck: Deck) -> None:
    first, second = Table(deck, initial_state(deck)), Table(deck, initial_state(deck))
    for table in (first, second):
        started(table, players=3)
    assert first.log == second.log
    roles = [p.role for p in first.state.seated()]
    assert "borgmester" in roles
    assert None not in roles
    assert len(set(roles)) == 3


def test_a_late_arrival_gets_a_free_role(table: Table) -> None:
    started(table, players=3)
    table.play(Join, player_id="late", name="Sen")
    role = table.state.players["late"].role
    assert role is not None
    assert role not in {p.role for p in table.state.seated() if p.id != "late"}


def test_a_player_who_leaves_frees_the_seat_and_their_votes(table: Table) -> None:
    started(table, players=4)
    mayor = Actor.player(table.holder("borgmester"))
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    table.play(Leave, mayor)
    assert not table.state.players[mayor.player_id or ""].seated
    assert table.state.proposals["F1"].votes == {}
    refused("seat.not_seated", table, PostMessage, mayor, text="hej")


# ---- chat ---------------------------------------------------------------------------------------------


def test_chat_messages_record_known_card_mentions(table: Table) -> None:
    create(table)
    (player,) = seat(table, 1)
    table.play(PostMessage, player, text="Hvad med #ÆL-01 og #ÆL-01 eller #XX-99?")
    assert table.state.chat is not None
    assert table.state.chat.last.mentions == ("ÆL-01",)
    assert table.state.messages_by_player() == {"p1": 1}


def test_chat_refuses_empty_and_too_long_messages(table: Table) -> None:
    create(table)
    (player,) = seat(table, 1)
    refused("chat.empty", table, PostMessage, player, text="  \n ")
    refused("chat.too_long", table, PostMessage, player, text="x" * 1001)
    table.play(PostMessage, player, text="x" * 1000)


def test_only_seated_players_chat_and_only_the_facilitator_announces(table: Table) -> None:
    create(table)
    (player,) = seat(table, 1)
    refused("actor.not_player", table, PostMessage, FACILITATOR, text="hej")
    refused("seat.not_seated", table, PostMessage, Actor.player("stranger"), text="hej")
    refused("actor.not_facilitator", table, Announce, player, text="Pause!")
    table.play(Announce, text="Velkommen")
    assert table.state.chat is not None
    assert table.state.chat.last.player_id is None


# ---- proposals -----------------------------------------------------------------------------------------


def test_proposals_need_an_open_round(table: Table) -> None:
    create(table)
    (player,) = seat(table, 1)
    refused("round.not_open", table, Propose, player, cards=("ÆL-01",))


def test_invalid_portfolios_are_rejected(table: Table) -> None:
    player, *_ = started(table)
    refused("portfolio.empty", table, Propose, player, cards=())
    refused("portfolio.card_unknown", table, Propose, player, cards=("ÆL-01", "XX-01"))
    refused("portfolio.card_duplicate", table, Propose, player, cards=("ÆL-01", "ÆL-01"))
    refused("proposal.unknown", table, Propose, player, cards=("ÆL-01",), amends="F9")


def test_requires_and_excludes_between_cards_are_enforced(deck: Deck) -> None:
    cards = tuple(
        card.model_copy(update={"requires": ("ÆL-02",)})
        if card.id == "ÆL-01"
        else card.model_copy(update={"excludes": ("ÆL-05",)})
        if card.id == "ÆL-04"
        else card
        for card in deck.cards
    )
    table = Table(deck.model_copy(update={"cards": cards}), initial_state(deck.model_copy(update={"cards": cards})))
    player, *_ = started(table)
    refused("portfolio.requires", table, Propose, player, cards=("ÆL-01",))
    refused("portfolio.excludes", table, Propose, player, cards=("ÆL-04", "ÆL-05"))
    table.play(Propose, player, cards=("ÆL-01", "ÆL-02"))


def test_cards_disabled_by_an_event_cannot_be_proposed(deck: Deck) -> None:
    blackout = EventCard(
        id="E99",
        title=Text(da="Stop", en="Stop"),
        description=Text(da="Stop", en="Stop"),
        background=Text(da="Stop", en="Stop"),
        effects=(DisableCardsEffect(kind="disable_cards", cards=("ÆL-01",)),),
    )
    only_blackout = deck.model_copy(update={"events": (blackout,)})
    table = Table(only_blackout, initial_state(only_blackout))
    actors = started(table)
    table.play(EndRound)
    table.play(StartRound)
    assert table.state.event_cards == ("E99",)
    refused("portfolio.card_disabled", table, Propose, actors[0], cards=("ÆL-01",))


def test_an_amendment_points_at_an_earlier_proposal(table: Table) -> None:
    first, second, *_ = started(table)
    table.play(Propose, first, cards=("ÆL-01",))
    table.play(Propose, second, cards=("ÆL-01", "ÆL-02"), amends="F1")
    assert table.state.proposals["F2"].amends == "F1"


# ---- votes and adoption ------------------------------------------------------------------------------------


def test_rules_2_adopt_a_broad_forlig_at_two_thirds_of_the_vote_weight(table_v2: Table) -> None:
    table = table_v2  # how old logs were played: the crossing adopted and ended the round
    started(table, players=5)
    mayor = Actor.player(table.holder("borgmester"))
    others = [a for a in voters(table) if a != mayor]
    table.play(Propose, mayor, cards=BALANCED)
    # Weights: mayor 2 + others 1 each. Total depends on whether the økonomidirektør is seated.
    total = 2 + len(others)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    cast = 2
    for actor in others:
        if 3 * cast >= 2 * total:
            break
        assert table.state.forlig is None
        table.play(CastVote, actor, proposal_id="F1", choice="for")
        cast += 1
    assert table.state.forlig is not None
    assert table.state.forlig.cards == BALANCED
    assert table.state.phase == "round_ended"
    assert table.state.proposals["F1"].status == "adopted"


def test_votes_can_change_until_resolved_and_are_never_counted_twice(table: Table) -> None:
    started(table, players=4)
    actors = voters(table)
    table.play(Propose, actors[0], cards=BALANCED)
    table.play(CastVote, actors[0], proposal_id="F1", choice="against")
    assert table.play(CastVote, actors[0], proposal_id="F1", choice="against") == []
    table.play(CastVote, actors[0], proposal_id="F1", choice="abstain")
    assert table.state.proposals["F1"].votes == {actors[0].player_id: "abstain"}


def test_a_proposal_everyone_voted_on_without_enough_support_is_rejected(table: Table) -> None:
    started(table, players=4)
    for actor in voters(table):
        if table.state.proposals.get("F1") is None:
            table.play(Propose, actor, cards=BALANCED)
        table.play(CastVote, actor, proposal_id="F1", choice="against")
    assert table.state.proposals["F1"].status == "rejected"
    assert table.state.phase == "round"
    refused("proposal.not_open", table, CastVote, voters(table)[0], proposal_id="F1", choice="for")
    refused("proposal.unknown", table, CastVote, voters(table)[0], proposal_id="F7", choice="for")


def test_the_economic_director_has_no_vote(table: Table) -> None:
    started(table, players=8)  # eight players hold all eight roles
    director = Actor.player(table.holder("oekonomidirektoer"))
    table.play(Propose, director, cards=BALANCED)
    refused("vote.no_vote", table, CastVote, director, proposal_id="F1", choice="for")


def test_consensus_needs_every_vote_and_none_against(table: Table) -> None:
    started(table, players=3, rule="consensus")
    actors = voters(table)
    table.play(Propose, actors[0], cards=BALANCED)
    for actor in actors[:-1]:
        table.play(CastVote, actor, proposal_id="F1", choice="for")
    assert table.state.forlig is None
    table.play(CastVote, actors[-1], proposal_id="F1", choice="abstain")
    assert table.state.forlig is not None


def test_rules_2_adopt_a_majority_at_more_than_half(table_v2: Table) -> None:
    table = table_v2
    started(table, players=4, rule="majority")
    mayor = Actor.player(table.holder("borgmester"))
    others = [a for a in voters(table) if a != mayor]
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    total = 2 + len(others)
    if total < 2 * 2:
        assert table.state.forlig is not None
        return
    assert outcome("majority", table.state, table.state.proposals["F1"]) is None
    table.play(CastVote, others[0], proposal_id="F1", choice="for")
    assert table.state.forlig is not None


def test_the_next_round_draws_an_event_card_and_may_amend_the_forlig(table: Table) -> None:
    started(table, players=4)
    player = voters(table)[0]
    table.play(Propose, player, cards=BALANCED)
    table.play(ForceAdopt, proposal_id="F1")
    assert table.state.forlig is not None
    assert table.state.forlig.forced
    table.play(EndRound)  # rules 3: a forlig does not end the round
    table.play(StartRound)
    assert table.state.current_round is not None
    assert table.state.current_round.event_card is not None
    table.play(Propose, player, cards=BALANCED[:-1], amends="F1")
    assert table.state.proposals["F2"].amends == "F1"
    refused("round.still_open", table, StartRound)


def test_a_round_can_end_without_adoption_and_the_last_forlig_stands(table: Table) -> None:
    player, *_ = started(table)
    table.play(Propose, player, cards=BALANCED)
    table.play(ForceAdopt, proposal_id="F1")
    table.play(EndRound)
    table.play(StartRound)
    table.play(Propose, player, cards=("ÆL-01",))
    table.play(EndRound)
    assert table.state.proposals["F2"].status == "closed"
    assert table.state.forlig is not None
    assert table.state.forlig.proposal_id == "F1"
    refused("round.not_open", table, EndRound)


def test_changing_the_rule_can_adopt_an_open_proposal(table: Table) -> None:
    started(table, players=4, rule="consensus")
    mayor = Actor.player(table.holder("borgmester"))
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    assert table.state.forlig is None
    table.play(SetRule, rule="majority")
    assert table.state.config is not None
    assert table.state.config.rule == "majority"


def test_only_the_facilitator_runs_the_table(table: Table) -> None:
    player, *_ = started(table)
    for command, fields in (
        (StartRound, {}),
        (EndRound, {}),
        (SetRule, {"rule": "majority"}),
        (ForceAdopt, {"proposal_id": "F1"}),
        (SetDeadline, {"seconds": 60}),
        (EndGame, {}),
        (Join, {"player_id": "x", "name": "x"}),
    ):
        refused("actor.not_facilitator", table, command, player, **fields)


# ---- timers ------------------------------------------------------------------------------------------------


def test_a_round_with_a_deadline_ends_when_the_clock_passes_it(table: Table) -> None:
    started(table, round_seconds=600)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline == round_.started_at + timedelta(seconds=600)
    refused("round.deadline_not_reached", table, EndRound, SYSTEM)
    table.play(EndRound, SYSTEM, at=round_.deadline)
    assert table.state.rounds[-1].end_reason == "deadline"


def test_the_clock_cannot_end_a_round_without_a_deadline(table: Table) -> None:
    started(table)
    refused("round.no_deadline", table, EndRound, SYSTEM)


def test_the_facilitator_can_set_a_new_deadline(table: Table) -> None:
    started(table)
    table.play(SetDeadline, seconds=120)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline is not None


# ---- the facilitator steps in: hide, remove, pause, extend --------------------------------------------------


def test_the_facilitator_hides_a_chat_line_and_snapshots_leave_it_out(table: Table) -> None:
    create(table)
    player, other = seat(table, 2)
    table.play(PostMessage, player, text="Noget grimt om #ÆL-01")
    hidden_seq = table.state.seq
    table.play(PostMessage, other, text="Det mente du ikke")
    table.play(Announce, text="Husk tonen")
    announcement_seq = table.state.seq
    refused("actor.not_facilitator", table, HideMessage, player, seq=hidden_seq)
    refused("chat.unknown_message", table, HideMessage, seq=1)  # game_created is no chat line
    refused("chat.unknown_message", table, HideMessage, seq=999)
    [event] = table.play(HideMessage, seq=hidden_seq)
    assert isinstance(event, MessageHidden)
    assert event.seq == hidden_seq
    assert table.play(HideMessage, seq=hidden_seq) == []  # hidden already: nothing recorded
    table.play(HideMessage, seq=announcement_seq)
    for viewer in (Viewer("player", "p2"), FACILITATOR_VIEWER, PROJECTOR_VIEWER):
        assert [line.text for line in view(table.state, viewer).chat] == (
            ["Det mente du ikke"] if viewer.kind != "projector" else []
        )
    # A client that resumes from before the line gets the event without its text; the facilitator gets it all.
    posted = table.log[hidden_seq - 1]
    assert isinstance(posted, MessagePosted)
    blanked = event_for(table.state, posted, Viewer("player", "p2"), hidden_seq)
    assert isinstance(blanked, MessagePosted)
    assert blanked.text == ""
    assert blanked.mentions == ()
    assert event_for(table.state, posted, FACILITATOR_VIEWER, hidden_seq) is posted
    assert event_for(table.state, posted, Viewer("player", "p2"), hidden_seq + 1) is posted
    assert table.state.messages_by_player() == {"p1": 1, "p2": 1}  # hidden lines still count as written


def test_the_facilitator_removes_a_player_like_a_leave(table: Table) -> None:
    started(table, players=4)
    mayor = Actor.player(table.holder("borgmester"))
    table.play(Propose, mayor, cards=BALANCED)
    table.play(CastVote, mayor, proposal_id="F1", choice="for")
    refused("actor.not_facilitator", table, RemovePlayer, mayor, player_id="p2")
    [event] = table.play(RemovePlayer, player_id=mayor.player_id, moved_to="T2")
    assert isinstance(event, PlayerRemoved)
    assert event.moved_to == "T2"
    assert not table.state.players[mayor.player_id or ""].seated
    assert table.state.players[mayor.player_id or ""].role is None
    assert table.state.proposals["F1"].votes == {}
    refused("seat.not_seated", table, PostMessage, mayor, text="hej")
    refused("player.not_seated", table, RemovePlayer, player_id=mayor.player_id)
    refused("player.not_seated", table, RemovePlayer, player_id="nobody")
    table.play(Join, player_id="p9", name="Ny")  # the seat is free for someone else


def test_removing_a_player_can_decide_an_open_proposal(table: Table) -> None:
    started(table, players=3, rule="consensus")
    voting = voters(table)
    table.play(Propose, voting[0], cards=BALANCED)
    for actor in voting[:-1]:
        table.play(CastVote, actor, proposal_id="F1", choice="for")
    events = table.play(RemovePlayer, player_id=voting[-1].player_id)
    assert [e.type for e in events] == ["player_removed", "proposal_adopted"]  # rules 3: the round goes on


def test_a_paused_round_stops_the_clock_and_refuses_proposals_and_votes_but_not_chat(table: Table) -> None:
    player, *_ = started(table, players=4, round_seconds=600)
    table.play(Propose, player, cards=BALANCED)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline is not None
    refused("round.not_paused", table, Resume)
    refused("actor.not_facilitator", table, Pause, player)
    at = table.tick(100)
    left = (round_.deadline - at).total_seconds()
    [paused] = table.play(Pause, at=at)
    assert isinstance(paused, RoundPaused)
    assert paused.remaining == left
    assert paused.round == 1
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.paused
    assert round_.deadline is None
    assert round_.remaining == left
    assert table.state.phase == "round"
    snapshot = view(table.state, FACILITATOR_VIEWER).round
    assert snapshot is not None
    assert snapshot.paused
    assert snapshot.remaining == left
    refused("round.paused", table, Propose, player, cards=BALANCED)
    refused("round.paused", table, CastVote, player, proposal_id="F1", choice="for")
    refused("round.paused", table, Pause)
    refused("round.no_deadline", table, EndRound, SYSTEM)  # the clock cannot end a paused round
    table.play(PostMessage, player, text="Kaffe?")
    table.play(ExtendDeadline, seconds=120)  # while paused: more time left at resume
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.remaining == left + 120
    assert round_.deadline is None
    table.tick(300)  # the pause lasts; the time left does not run
    [resumed] = table.play(Resume, at=table.clock)
    assert isinstance(resumed, RoundResumed)
    assert resumed.deadline == table.clock + timedelta(seconds=left + 120)
    round_ = table.state.current_round
    assert round_ is not None
    assert not round_.paused
    assert round_.deadline == resumed.deadline
    table.play(CastVote, voters(table)[0], proposal_id="F1", choice="for")


def test_a_round_ended_while_paused_is_no_longer_paused(table: Table) -> None:
    started(table, players=3)
    [paused] = table.play(Pause)
    assert isinstance(paused, RoundPaused)
    assert paused.remaining is None
    table.play(SetDeadline, seconds=300)  # a deadline set while paused starts running at resume
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline is None
    assert round_.remaining == 300
    table.play(EndRound)
    assert not table.state.rounds[-1].paused
    refused("round.not_open", table, Pause)
    refused("round.not_open", table, Resume)


def test_extending_the_deadline_adds_to_it_or_starts_one(table: Table) -> None:
    started(table, round_seconds=600)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline is not None
    before = round_.deadline
    table.play(ExtendDeadline, seconds=120)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline == before + timedelta(seconds=120)
    table.play(EndRound)
    refused("round.not_open", table, ExtendDeadline, seconds=60)
    table.play(StartRound)
    table.play(SetDeadline, seconds=10)
    late = table.tick(60)  # the deadline has passed but the clock has not ended the round yet
    table.play(ExtendDeadline, seconds=60, at=late)
    round_ = table.state.current_round
    assert round_ is not None
    assert round_.deadline == late + timedelta(seconds=60)


def test_without_a_deadline_extending_counts_from_now(table: Table) -> None:
    started(table)
    [event] = table.play(ExtendDeadline, seconds=90)
    assert isinstance(event, DeadlineSet)
    assert event.deadline == table.clock + timedelta(seconds=90)


# ---- the end -------------------------------------------------------------------------------------------------


def test_a_game_ends_with_a_reality_check_then_the_debrief(table: Table) -> None:
    player, *_ = started(table, rounds=2)
    refused("game.not_in_reality_check", table, ShowDebrief)
    table.play(Propose, player, cards=BALANCED)
    table.play(ForceAdopt, proposal_id="F1")
    table.play(EndRound)
    table.play(StartRound)
    table.play(EndRound)
    refused("game.no_rounds_left", table, StartRound)
    table.play(EndGame)
    assert table.state.phase == "reality_check"
    assert table.state.rolls is not None
    assert set(table.state.rolls) == set(BALANCED)
    assert all(1 <= roll <= 6 for roll in table.state.rolls.values())
    refused("game.ended", table, StartRound)
    refused("game.ended", table, Join, player_id="late", name="Sen")
    table.play(ShowDebrief)
    assert table.state.phase == "debrief"
    table.play(PostMessage, player, text="Godt spillet")


def test_a_game_cannot_end_before_it_starts(table: Table) -> None:
    create(table)
    refused("round.not_open", table, EndGame)


# ---- the log ---------------------------------------------------------------------------------------------------


def test_the_state_after_any_prefix_is_what_the_table_saw(table: Table) -> None:
    player, second, *_ = started(table)
    table.play(PostMessage, player, text="Skal vi starte med #AD-03?")
    table.play(Propose, player, cards=BALANCED)
    table.play(CastVote, second, proposal_id="F1", choice="for")
    for index, seen in enumerate(table.states, start=1):
        assert fold(table.deck, table.log[:index]) == seen
        assert seen.seq == index


def _codes_refused_in_tests() -> set[str]:
    """The codes passed to `refused(...)` in the engine's tests; each such call asserts that the code is raised."""
    codes: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "refused":
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}: refused() takes a literal code"
                codes.add(str(first.value))
    return codes


def test_every_rule_violation_code_is_reached_by_a_test() -> None:
    # Read from the tests' source, not from what other tests recorded at run time: true alone and in any order.
    reached = _codes_refused_in_tests()
    assert set(RULE_CODES) - reached == set(), "codes no test reaches"
    assert reached - set(RULE_CODES) == set()


def test_the_rule_violation_codes_are_the_type_and_the_messages() -> None:
    assert set(RULE_CODES) == set(MESSAGES)
    with pytest.raises(KeyError):
        RuleViolation(typing.cast(RuleCode, "no.such_code"))


def test_every_command_has_its_rules() -> None:
    (union,) = typing.get_args(Command)[:1]
    assert set(DECISIONS) == set(typing.get_args(union))
