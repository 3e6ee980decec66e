"""Råderum's pure game engine: deck, rules, views and debrief. No I/O besides reading deck files."""

from engine.deck import DEFAULT_DECK_PATH, Deck, DeckError, load_deck
from engine.errors import RuleViolation
from engine.model import COMMAND_ADAPTER, EVENT_ADAPTER, FACILITATOR, SYSTEM, Actor, Command, Event, State
from engine.rules import decide, evolve, fold, initial_state
from engine.views import Viewer, event_for, view

__all__ = [
    "COMMAND_ADAPTER",
    "DEFAULT_DECK_PATH",
    "EVENT_ADAPTER",
    "FACILITATOR",
    "SYSTEM",
    "Actor",
    "Command",
    "Deck",
    "DeckError",
    "Event",
    "RuleViolation",
    "State",
    "Viewer",
    "decide",
    "event_for",
    "evolve",
    "fold",
    "initial_state",
    "load_deck",
    "view",
]
