"""Upcasters: old versions of an event turned into today's, one version at a time, then validated.

An upcaster is a pure function from the JSON object of an event at version N to the JSON object of the
same event at version N + 1, registered under (type, N). `decode_event` applies them in a row until the
event is at today's version (`engine/versions.py`) and validates the result with the event models, so the
rules (`evolve`) only ever see current events. An upcaster never looks at anything but the one object it
gets: no deck, no other event, no clock. See docs/replay.md, "Versioned events".

There are none today: every event type is at version 1. The first change to an event's stored shape adds
one here, like this (a field renamed in version 2):

    @upcaster("message_posted", 1)
    def _message_posted_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
        data["body"] = data.pop("text")
        return data
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from engine.model import EVENT_ADAPTER, Event
from engine.versions import EVENT_VERSIONS, parse_stored_type

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class EventDecodeError(ValueError):
    """An event that cannot be read: unknown type, a version from the future, no upcaster, or invalid data."""


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register `fn` as the step from `from_version` to `from_version + 1` of `event_type`."""

    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in UPCASTERS:
            raise ValueError(f"an upcaster from {event_type} version {from_version} is already registered")
        UPCASTERS[key] = fn
        return fn

    return register


def upcast(
    event_type: str,
    version: int,
    data: Mapping[str, Any],
    *,
    upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
    versions: Mapping[str, int] = EVENT_VERSIONS,
) -> dict[str, Any]:
    """The event's JSON object at today's version, upcast one step at a time (not validated)."""
    current = versions.get(event_type)
    if current is None:
        raise EventDecodeError(f"unknown event type {event_type!r}")
    if version > current:
        raise EventDecodeError(
            f"{event_type} version {version} is newer than this Råderum reads (version {current}): "
            "open the log with a newer Råderum"
        )
    result = dict(data)
    while version < current:
        step = upcasters.get((event_type, version))
        if step is None:
            raise EventDecodeError(f"no upcaster turns {event_type} version {version} into version {version + 1}")
        result = step(result)
        version += 1
    return result


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    # The discriminated union puts the type first in the location; the field is what a reader needs.
    loc = [str(part) for part in first["loc"]]
    field = ".".join(loc[1:] if len(loc) > 1 else loc) or "-"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{field}: {first['msg']}{more}"


def decode_event(
    event_type: str,
    version: int,
    data: Mapping[str, Any] | str | bytes,
    *,
    upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
    versions: Mapping[str, int] = EVENT_VERSIONS,
) -> Event:
    """The event at today's version. `data` is its JSON object (or JSON text) at `version`.

    Today's version given as JSON text is validated directly (the server's fast path); anything else is
    parsed, upcast step by step, checked to be of `event_type` and validated. Raises EventDecodeError.
    """
    fast = isinstance(data, str | bytes) and version == versions.get(event_type)
    try:
        if fast:
            assert isinstance(data, str | bytes)
            event: Event = EVENT_ADAPTER.validate_json(data)
        else:
            if isinstance(data, str | bytes):
                try:
                    data = json.loads(data)
                except ValueError as error:
                    raise EventDecodeError(f"{event_type} version {version}: not JSON: {error}") from None
            if not isinstance(data, Mapping):
                raise EventDecodeError(f"{event_type} version {version}: the data is not a JSON object")
            if data.get("type") != event_type:
                raise EventDecodeError(f"the data says type {data.get('type')!r}, not {event_type!r}")
            if version != versions.get(event_type):
                data = upcast(event_type, version, data, upcasters=upcasters, versions=versions)
            event = EVENT_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise EventDecodeError(f"{event_type} version {version}: {_validation_message(error)}") from None
    if event.type != event_type:
        raise EventDecodeError(f"the data is a {event.type} event, not {event_type}")
    return event


def decode_stored(stored_type: str, data: str | bytes) -> Event:
    """An event as the store keeps it: the stored type string (`type` or `type@N`) and its JSON text."""
    try:
        event_type, version = parse_stored_type(stored_type)
    except ValueError as error:
        raise EventDecodeError(str(error)) from None
    return decode_event(event_type, version, data)
