from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.model import FACILITATOR, Actor, Event, State
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

    def play(self, command_type: type, actor: Actor = FACILITATOR, **fields: Any) -> list[Event]:
        command = command_type(at=fields.pop("at", None) or self.tick(), **fields)
        events = decide(self.state, command, actor)
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
