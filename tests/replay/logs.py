"""Building logs for tests: a played game (events + the state after each) written as a table log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from engine.archive import TableLog, build_table_log, event_line
from engine.deck import Deck
from engine.model import (
    FACILITATOR,
    Actor,
    Announce,
    CallVote,
    CastVote,
    CreateGame,
    EndGame,
    EndRound,
    Event,
    HideMessage,
    Join,
    Pause,
    PostMessage,
    Propose,
    RemovePlayer,
    Resume,
    ShowDebrief,
    StartRound,
)
from engine.rules import initial_state
from tests.engine.conftest import Table
from tests.engine.test_full_game import FIRST, SEED

STORED = datetime(2026, 9, 1, 8, 0, 0, 123456, tzinfo=UTC)


def table_log(deck: Deck, events: Sequence[Event], *, table_id: str = "t1", table_name: str = "Bord 1") -> TableLog:
    """The log an export would write for these events (stored a second apart, with microseconds)."""
    lines = [event_line(seq, STORED + timedelta(seconds=seq, microseconds=seq), e) for seq, e in enumerate(events, 1)]
    return build_table_log(
        deck=deck, table_id=table_id, table_name=table_name, lines=lines, raaderum_version="0.1.0", conference_id="c1"
    )


# A moderated game (`moderated_game`): a chat line and an announcement the facilitator hid later, a paused and
# resumed round, a player moved to another table and one removed. The hidden texts must never be shown.
HIDDEN_MESSAGE = "Bo er en komplet idiot, #SK-01 er noget vrøvl"
HIDDEN_ANNOUNCEMENT = "Carina stemmer altid forkert"


def moderated_game(deck: Deck) -> list[Event]:
    """The events of a short game on the default deck with every moderation event; seqs are in the docstring.

    1 game_created, 2–5 four players sit down, 6 roles_dealt, 7 round 1, 8 Bo's chat line, 9 Anna's line
    (HIDDEN_MESSAGE), 10 the facilitator's announcement, 11 round_paused, 12 round_resumed, 13 the line at 9
    hidden, 14 an announcement (HIDDEN_ANNOUNCEMENT), 15 it is hidden, 16 F1 proposed, 17–19 votes, 20 the
    forlig (the mayor called the vote), 21 the facilitator ends the round, 22 Carina moved to another table,
    23 Dennis removed, 24 the reality check, 25 the debrief.
    """
    table = Table(deck=deck, state=initial_state(deck))
    table.play(CreateGame, table_name="Bord 1", seed=SEED, rule="broad", rounds=2, round_seconds=900)
    for number, name in enumerate(("Anna Holm", "Bo Kristensen", "Carina Lund", "Dennis Møller"), 1):
        table.play(Join, player_id=f"p{number}", name=name)
    table.play(StartRound)
    table.play(PostMessage, Actor.player("p2"), text="Anna, kan du leve med #SK-01?")
    table.play(PostMessage, Actor.player("p1"), text=HIDDEN_MESSAGE)
    table.play(Announce, text="Husk tonen ved bordet.")
    table.play(Pause)
    table.play(Resume)
    table.play(HideMessage, seq=9)
    table.play(Announce, text=HIDDEN_ANNOUNCEMENT)
    table.play(HideMessage, seq=14)
    mayor = table.holder("borgmester")
    table.play(Propose, Actor.player(mayor), cards=FIRST)
    # Three of the four voters vote for (the mayor first), the mayor calls the vote, the facilitator ends the round.
    voting = [mayor, *(p for p in table.players_with_vote() if p != mayor)]
    for player in voting[:3]:
        table.play(CastVote, Actor.player(player), proposal_id="F1", choice="for")
    table.play(CallVote, Actor.player(mayor), proposal_id="F1")
    table.play(EndRound)
    table.play(RemovePlayer, FACILITATOR, player_id="p3", moved_to="t2")
    table.play(RemovePlayer, FACILITATOR, player_id="p4")
    table.play(EndGame)
    table.play(ShowDebrief)
    return table.log
