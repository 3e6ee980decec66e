"""The version of every event type: the one place to bump when an event's stored shape changes.

An event is stored and exported as its JSON plus a version. When a release changes what an event type
looks like on disk (a field renamed, added without a default, split, retyped), its number in `BUMPED`
goes up by one and `engine/upcast.py` gets an upcaster from the old number, so every log written earlier
still opens (see docs/replay.md, "Versioned events").

In the event store the version travels in the stored type string: `message_posted` is version 1 (every
event written before versions existed is version 1), `message_posted@2` is version 2. The event's JSON
itself stays exactly what the model dumps.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import get_args

from engine.model import Event

# The version of every event type whose stored shape changed since the type was introduced. A type not
# listed here is at version 1, so a new event type needs no entry until its first change.
BUMPED: Mapping[str, int] = MappingProxyType({})

EVENT_TYPES: tuple[str, ...] = tuple(model.model_fields["type"].default for model in get_args(get_args(Event)[0]))
EVENT_VERSIONS: Mapping[str, int] = MappingProxyType({name: BUMPED.get(name, 1) for name in EVENT_TYPES})
VERSION_MARK = "@"


def current_version(event_type: str) -> int:
    """Today's version of an event type; KeyError for a type this release does not know."""
    return EVENT_VERSIONS[event_type]


def stored_type(event_type: str, version: int | None = None) -> str:
    """The type string the store keeps: the bare type for version 1, `type@N` from version 2 on."""
    number = EVENT_VERSIONS[event_type] if version is None else version
    return event_type if number == 1 else f"{event_type}{VERSION_MARK}{number}"


def parse_stored_type(stored: str) -> tuple[str, int]:
    """(event type, version) of a stored type string; ValueError when the version part is not a number."""
    event_type, mark, number = stored.partition(VERSION_MARK)
    if not mark:
        return event_type, 1
    if not number.isdigit() or not number.isascii():
        raise ValueError(f"stored type {stored!r}: the version after {VERSION_MARK!r} is not a number")
    return event_type, int(number)
