"""Practice bots (issue 18): the policy in engine/bots.py and the rehearsal that plays tables of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bots import CALL_AFTER_SECONDS, next_commands, preferred, reveals
from engine.debrief import debrief
from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.model import (
    FACILITATOR,
    AbilityUsed,
    Actor,
    CallVote,
    CastVote,
    CreateGame,
    EndRound,
    Join,
    MessagePosted,
    PlayerJoined,
    PostMessage,
    ProposalMade,
    Propose,
    RoundStarted,
    StartRound,
    UseAbility,
    VoteCast,
)
from engine.rehearsal import play_table, rehearse
from engine.rules import decide, evolve, fold, initial_state
from engine.views import FACILITATOR_VIEWER, PROJECTOR_VIEWER, Viewer, event_for, view

DECK = load_deck(DEFAULT_DECK_PATH)
AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _without_other_hjertesager(deck: Deck, role_id: str) -> Deck:
    """The deck as a bot with `role_id` may know it: every other role's hjertesager taken out."""
    roles = tuple(role if role.id == role_id else role.model_copy(update={"hjertesager": ()}) for role in deck.roles)
    return deck.model_copy(update={"roles": roles})


def test_a_join_marks_the_bot_and_its_seed_is_the_facilitators_to_see() -> None:
    state = initial_state(DECK)
    for event in decide(state, CreateGame(at=AT, table_name="Bord 1", seed=3), FACILITATOR):
        state = evolve(state, event)
    [joined] = decide(state, Join(at=AT, player_id="b1", name="Aase", bot=True, bot_seed=77), FACILITATOR)
    assert isinstance(joined, PlayerJoined)
    assert joined.bot
    assert joined.bot_seed == 77
    assert '"bot":true' in joined.model_dump_json()
    state = evolve(state, joined)
    assert state.players["b1"].bot
    assert event_for(state, joined, FACILITATOR_VIEWER) == joined
    for viewer in (Viewer("player", "b1"), Viewer("player", "p2"), PROJECTOR_VIEWER):
        seen = event_for(state, joined, viewer)
        assert isinstance(seen, PlayerJoined)
        assert seen.bot
        assert seen.bot_seed is None
    assert [p.bot for p in view(state, PROJECTOR_VIEWER).players] == [True]
    [person] = decide(state, Join(at=AT, player_id="p2", name="Bo"), FACILITATOR)
    assert isinstance(person, PlayerJoined)
    assert not person.bot
    assert person.bot_seed is None


def test_four_bots_reach_a_forlig_that_meets_the_verdict_and_argue_in_the_chat() -> None:
    played = play_table(DECK, seed=11)
    state = played.state
    assert state.phase == "debrief"
    assert state.forlig is not None
    assert debrief(state, draws=200).verdict.reached
    lines = [line.text for line in state.chat.recent()] if state.chat else []
    assert any(line.startswith("Jeg stemmer") or line.startswith("Imod") for line in lines)
    assert any("#" in line for line in lines)
    # Every vote comes with its one-line reason, right after it.
    events = list(played.events)
    for index, event in enumerate(events):
        if isinstance(event, VoteCast):
            after = [e for e in events[index + 1 : index + 4] if isinstance(e, MessagePosted)]
            assert after
            assert after[0].player_id == event.player_id
            assert event.proposal_id in after[0].text


def test_bots_speak_the_tables_language() -> None:
    state = play_table(DECK, seed=5, lang="en").state
    lines = [line.text for line in state.chat.recent()] if state.chat else []
    assert lines
    assert all(not line.startswith("Jeg ") for line in lines)
    assert any(line.startswith("I vote") or line.startswith("I propose") for line in lines)


@pytest.mark.parametrize(("seed", "bots"), [(23, 5), (1, 8)])  # at seed 1 a bot puts E03 on hold
def test_a_game_with_bots_replays_from_its_log(seed: int, bots: int) -> None:
    played = play_table(DECK, seed=seed, bots=bots)
    again = play_table(DECK, seed=seed, bots=bots)
    assert again.events == played.events  # the same seed plays the same game
    assert view(fold(DECK, played.events), FACILITATOR_VIEWER) == view(played.state, FACILITATOR_VIEWER)
    # Walking the log: each bot's proposal or vote and its chat line are what the policy wanted from the view at
    # that point, decided by the rules, one command after the other, into exactly the logged events.
    state = initial_state(DECK)
    events = list(played.events)
    index = checked = 0
    while index < len(events):
        event = events[index]
        if (
            isinstance(event, ProposalMade | VoteCast | MessagePosted | AbilityUsed)
            and state.players[event.player_id].bot
        ):
            bot = state.players[event.player_id]
            wanted = next_commands(DECK, view(state, Viewer("player", bot.id)), bot.bot_seed or 0, event.at)
            assert wanted, f"the bot {bot.id} sent nothing at seq {state.seq}"
            for command in wanted:
                produced = decide(state, command, Actor.player(bot.id))
                assert produced == events[index : index + len(produced)]
                for one in produced:
                    state = evolve(state, one)
                index += len(produced)
                checked += 1
            continue
        state = evolve(state, event)
        index += 1
    assert checked == played.commands
    if seed == 1:
        assert any(isinstance(event, AbilityUsed) for event in played.events)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), bots=st.integers(3, 6), step=st.integers(1, 4))
def test_a_bots_input_holds_no_other_players_secret(seed: int, bots: int, step: int) -> None:
    """At every few seqs of a game: the bot's view shows no other role and no seed, and its decision is the
    same when the deck holds no other role's hjertesager (so it cannot depend on them)."""
    played = play_table(DECK, seed=seed, bots=bots)
    seeds = {p.id: p.bot_seed for p in played.state.players.values()}
    state = initial_state(DECK)
    for number, event in enumerate(played.events):
        state = evolve(state, event)
        if state.phase != "round" or number % step:
            continue
        for player in state.seated():
            seen = view(state, Viewer("player", player.id))
            assert reveals(DECK, seen) == []
            text = seen.model_dump_json()
            assert '"seed"' not in text
            assert '"bot_seed"' not in text
            assert all(str(other) not in text for pid, other in seeds.items() if pid != player.id and other)
            if player.role is None:
                continue
            own = next_commands(DECK, seen, player.bot_seed or 0, AT)
            blind = next_commands(_without_other_hjertesager(DECK, player.role), seen, player.bot_seed or 0, AT)
            assert [c.model_dump() for c in own] == [c.model_dump() for c in blind]
            # What it says never quotes a hjertesag's words, its own or another role's.
            said = " ".join(c.text for c in own if isinstance(c, PostMessage))
            assert not any(sag.text.da in said for role in DECK.roles for sag in role.hjertesager)


def test_a_bot_waits_outside_a_round_and_when_paused() -> None:
    state = initial_state(DECK)
    for command in (
        CreateGame(at=AT, table_name="Bord 1", seed=1),
        *(Join(at=AT, player_id=f"b{n}", name=f"Bot {n}", bot=True, bot_seed=n) for n in range(1, 4)),
    ):
        for event in decide(state, command, FACILITATOR):
            state = evolve(state, event)
    assert next_commands(DECK, view(state, Viewer("player", "b1")), 1, AT) == ()  # the lobby
    for event in decide(state, StartRound(at=AT), FACILITATOR):
        state = evolve(state, event)
    wanted = next_commands(DECK, view(state, Viewer("player", "b1")), 1, AT)
    assert isinstance(wanted[0], Propose)
    assert isinstance(wanted[1], PostMessage)
    assert next_commands(DECK, view(state, FACILITATOR_VIEWER), 1, AT) == ()  # not a player


def test_a_bot_votes_against_a_proposal_that_misses_the_target_and_says_why() -> None:
    state = initial_state(DECK)
    for command in (
        CreateGame(at=AT, table_name="Bord 1", seed=1),
        *(Join(at=AT, player_id=f"b{n}", name=f"Bot {n}", bot=True, bot_seed=n) for n in range(1, 4)),
        StartRound(at=AT),
    ):
        for event in decide(state, command, FACILITATOR):
            state = evolve(state, event)
    voter = next(p.id for p in state.seated() if p.role is not None and DECK.role(p.role).votes)
    other = next(p.id for p in state.seated() if p.id != voter)
    for event in decide(state, Propose(at=AT, cards=("KF-02",)), Actor.player(other)):
        state = evolve(state, event)
    vote, line = next_commands(DECK, view(state, Viewer("player", voter)), 1, AT)
    assert isinstance(vote, CastVote)
    assert vote.choice == "against"
    assert vote.proposal_id == "F1"
    assert isinstance(line, PostMessage)
    assert "F1" in line.text


def test_a_rehearsal_gives_the_cross_table_debrief() -> None:
    result = rehearse(DECK, tables=3, draws=100)
    assert len(result.cross.tables) == 3
    assert result.cross.with_forlig == sum(1 for table in result.tables if table.state.forlig is not None)
    assert result.cross.verdict_reached == sum(1 for one in result.debriefs if one.verdict.reached)


def test_the_mayor_bot_calls_the_vote_on_a_proposal_the_votes_cast_carry() -> None:
    state = initial_state(DECK)
    for command in (
        CreateGame(at=AT, table_name="Bord 1", seed=4, rule="broad"),
        *(Join(at=AT, player_id=f"b{n}", name=f"Bot {n}", bot=True, bot_seed=n) for n in range(1, 5)),
        StartRound(at=AT),
    ):
        for event in decide(state, command, FACILITATOR):
            state = evolve(state, event)
    mayor = next(p.id for p in state.seated() if p.role is not None and DECK.role(p.role).calls_votes)
    others = [p.id for p in state.seated() if p.id != mayor and p.role and DECK.role(p.role).votes]
    cards = preferred(DECK, view(state, Viewer("player", mayor)), 1)
    commands = [
        (mayor, Propose(at=AT, cards=cards)),
        (mayor, CastVote(at=AT, proposal_id="F1", choice="for")),
        (others[0], CastVote(at=AT, proposal_id="F1", choice="for")),
    ]
    for player_id, command in commands:
        for event in decide(state, command, Actor.player(player_id)):
            state = evolve(state, event)
    seen = view(state, Viewer("player", mayor))
    assert next_commands(DECK, seen, 1, AT) == ()  # not yet: the others may still vote
    later = AT + timedelta(seconds=CALL_AFTER_SECONDS)
    call, line = next_commands(DECK, seen, 1, later)
    assert isinstance(call, CallVote)
    assert call.proposal_id == "F1"
    assert isinstance(line, PostMessage)
    events = decide(state, call, Actor.player(mayor))
    assert [event.type for event in events][:1] == ["proposal_adopted"]
    # A bot without the mayor's role never calls.
    assert not any(
        isinstance(c, CallVote) for c in next_commands(DECK, view(state, Viewer("player", others[0])), 1, later)
    )


def test_a_bot_puts_the_rounds_event_on_hold_with_its_ability() -> None:
    state = initial_state(DECK)
    for command in (
        CreateGame(at=AT, table_name="Bord 1", seed=2),
        *(Join(at=AT, player_id=f"b{n}", name=f"Bot {n}", bot=True, bot_seed=n) for n in range(1, 9)),
        StartRound(at=AT),
        EndRound(at=AT),
    ):
        for event in decide(state, command, FACILITATOR):
            state = evolve(state, event)
    state = evolve(state, RoundStarted(at=AT, round=2, event_card="E03", deadline=None))  # as if E03 was drawn
    holder = next(p.id for p in state.seated() if p.role == "aeldre_sundhed")  # Demografianalyse: E03 on hold
    use, line = next_commands(DECK, view(state, Viewer("player", holder)), 1, AT)
    assert isinstance(use, UseAbility)
    assert use.ability == "demografianalyse"
    assert isinstance(line, PostMessage)
    assert "E03" in line.text
    [used] = decide(state, use, Actor.player(holder))
    assert used.type == "ability_used"
    state = evolve(state, used)
    again = next_commands(DECK, view(state, Viewer("player", holder)), 1, AT)
    assert not any(isinstance(command, UseAbility) for command in again)  # once a game
    others = [p.id for p in state.seated() if p.id != holder]
    assert not any(
        isinstance(command, UseAbility)
        for other in others
        for command in next_commands(DECK, view(state, Viewer("player", other)), 1, AT)
    )
