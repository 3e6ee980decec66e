from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.archive import read_archive
from engine.budget import target_years
from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.model import FACILITATOR, Actor, CreateGame, Event, GameCreated, State
from engine.rules import decide, evolve, initial_state

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@dataclass
class Table:
    """Plays commands the way the server does: decide, then evolve every event, keeping the log."""

    deck: Deck
    state: State
    log: list[Event] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    clock: datetime = T0

    def tick(self, seconds: float = 1) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    rules: int | None = None  # play a game under these rules instead of today's (old logs keep theirs)

    def play(self, command_type: type, actor: Actor = FACILITATOR, **fields: Any) -> list[Event]:
        command = command_type(at=fields.pop("at", None) or self.tick(), **fields)
        events = decide(self.state, command, actor)
        if command_type is CreateGame and self.rules is not None:
            # A game created by an older release: the targets and the rules version it recorded.
            (created,) = events
            assert isinstance(created, GameCreated)
            assert isinstance(command, CreateGame)
            target = target_years(self.deck.scenario, command.target, self.rules)
            events = [created.model_copy(update={"rules": self.rules, "target": target})]
        for event in events:
            self.state = evolve(self.state, event)
            self.log.append(event)
            self.states.append(self.state)
        return events

    def seated_ids(self) -> list[str]:
        return [p.id for p in self.state.seated()]

    def holder(self, role_id: str) -> str:
        return next(p.id for p in self.state.seated() if p.role == role_id)

    def players_with_vote(self) -> Iterator[str]:
        return (p.id for p in self.state.seated() if p.role and self.deck.role(p.role).votes)


@pytest.fixture(scope="session")
def deck() -> Deck:
    return load_deck(DEFAULT_DECK_PATH)


@pytest.fixture
def table(deck: Deck) -> Table:
    return Table(deck=deck, state=initial_state(deck))


@pytest.fixture
def table_v2(deck: Deck) -> Table:
    """A game created under rules 2: a vote is adopted the moment its threshold is crossed (old logs)."""
    return Table(deck=deck, state=initial_state(deck), rules=2)


FIXTURE_LOG = Path(__file__).resolve().parent.parent / "fixtures" / "log-v1.jsonl"


@pytest.fixture(scope="session")
def deck_v1() -> Deck:
    """The deck as rules 1 were played with it: the one embedded in the committed v1 log."""
    return read_archive(FIXTURE_LOG.read_text(encoding="utf-8")).tables[0].header.deck


@pytest.fixture
def table_v1(deck_v1: Deck) -> Table:
    """A table of a game created under rules 1, with the v1 deck: the arithmetic old logs replay with."""
    return Table(deck=deck_v1, state=initial_state(deck_v1), rules=1)
