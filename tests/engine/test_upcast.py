"""Versioned events: one version per event type, upcasters from old versions, and the stored type string."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from engine.model import EVENT_ADAPTER, Event, MessagePosted
from engine.upcast import UPCASTERS, EventDecodeError, decode_event, decode_stored, upcast, upcaster
from engine.versions import BUMPED, EVENT_VERSIONS, parse_stored_type, stored_type

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
MEMBERS: list[type[BaseModel]] = list(get_args(get_args(Event)[0]))

# The stored shape of every event type at its version. A change of a model changes its fingerprint:
# - if every event stored before still validates (a new field with a default, a new choice, a new
#   description), update the fingerprint here;
# - otherwise bump the type's version in engine/versions.py, add an upcaster from the old version in
#   engine/upcast.py and a fingerprint for the new version (docs/replay.md, "Versioned events").
FINGERPRINTS = {
    ("game_created", 1): "192cf7612602e56d",  # + rules (default 1), + byraad (default None)
    ("player_joined", 1): "0b4b6fb7c06638cc",  # + party (default None)
    ("player_left", 1): "99ca8f654be770e7",
    ("roles_dealt", 1): "e6c1199d85699f54",
    ("round_started", 1): "b67977ac7e261b85",
    ("message_posted", 1): "31c4743904c5cde1",
    ("announcement_made", 1): "32e3219e757a3b56",
    ("proposal_made", 1): "b430e1f3e729b927",
    ("vote_cast", 1): "fdd3ed388433fde0",  # + the choice "outside" (byråd mode)
    ("proposal_adopted", 1): "11bd9e14d6dfd242",
    ("proposal_rejected", 1): "3e5c87800e4fe8e3",
    ("round_ended", 1): "cffc5210796862da",
    ("rule_changed", 1): "4a4125e06611a54b",
    ("deadline_set", 1): "12a7ccb21fc24d11",
    ("reality_checked", 1): "2345a4357a52b7d8",  # + fatigue (default None)
    ("debrief_shown", 1): "da7184f72b57b907",
    ("message_hidden", 1): "92cc83e1365c2630",
    ("player_removed", 1): "7ad54fff08d483f7",
    ("round_paused", 1): "af283a3f3cfd2300",
    ("round_resumed", 1): "9d0c98d8e34a6bb2",
    ("seat_handed_over", 1): "8d6922eb7da8903d",
    ("ability_used", 1): "b81c0c1cbdd6aabf",
    ("party_assigned", 1): "ca4cd9b4f33f3ff0",
}


def _type(model: type[BaseModel]) -> str:
    value = model.model_fields["type"].default
    assert isinstance(value, str)
    return value


def fingerprint(model: type[BaseModel]) -> str:
    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items() if key not in ("description", "title")}
        if isinstance(value, list):
            return [shape(item) for item in value]
        return value

    schema = json.dumps(shape(model.model_json_schema()), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]


def test_every_event_type_has_exactly_one_version_and_all_are_1_today() -> None:
    assert list(EVENT_VERSIONS) == [_type(model) for model in MEMBERS]
    assert set(EVENT_VERSIONS.values()) == {1}
    assert set(BUMPED) <= set(EVENT_VERSIONS)


def test_no_event_model_changed_shape_without_a_new_version() -> None:
    current = {(_type(model), EVENT_VERSIONS[_type(model)]): fingerprint(model) for model in MEMBERS}
    for key, value in current.items():
        known = {name for name, _ in FINGERPRINTS}
        assert key[0] in known, f"a new event type {key[0]}: add {key!r}: {value!r} to FINGERPRINTS"
        assert FINGERPRINTS.get(key) == value, (
            f"{key[0]} changed shape at version {key[1]} (fingerprint {value}): bump its version in "
            "engine/versions.py and add an upcaster, or update the fingerprint if every stored event still validates"
        )


def test_every_upcaster_leads_to_a_version_that_exists() -> None:
    for event_type, version in UPCASTERS:
        assert event_type in EVENT_VERSIONS
        assert version < EVENT_VERSIONS[event_type]


def test_the_stored_type_carries_the_version_from_2_on() -> None:
    assert stored_type("message_posted") == "message_posted"
    assert stored_type("message_posted", 2) == "message_posted@2"
    assert parse_stored_type("message_posted") == ("message_posted", 1)
    assert parse_stored_type("message_posted@2") == ("message_posted", 2)
    assert parse_stored_type("message_posted@0") == ("message_posted", 0)
    for bad in ("message_posted@", "message_posted@two", "message_posted@-1", "message_posted@²"):
        with pytest.raises(ValueError, match="is not a number"):
            parse_stored_type(bad)


def _v0_message(**fields: Any) -> dict[str, Any]:
    # A made-up version 0 of message_posted: the text was called "body" and mentions did not exist.
    return {"type": "message_posted", "at": AT.isoformat(), "player_id": "p1", "body": "Hej #SK-01", **fields}


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    data["text"] = data.pop("body")
    data.setdefault("mentions", [])
    return data


def test_an_old_version_is_upcast_then_validated() -> None:
    event = decode_event("message_posted", 0, _v0_message(), upcasters={("message_posted", 0): _v0_to_v1})
    assert event == MessagePosted(at=AT, player_id="p1", text="Hej #SK-01", mentions=())


def test_an_old_version_arrives_as_text_too_and_the_input_is_not_changed() -> None:
    original = _v0_message()
    as_text = json.dumps(original)
    upcasters = {("message_posted", 0): _v0_to_v1}
    assert decode_event("message_posted", 0, as_text, upcasters=upcasters) == decode_event(
        "message_posted", 0, original, upcasters=upcasters
    )
    assert original == _v0_message()


def test_upcasters_run_one_version_at_a_time_in_order() -> None:
    steps: list[int] = []

    def step(version: int, rename: tuple[str, str]) -> Any:
        def run(data: dict[str, Any]) -> dict[str, Any]:
            steps.append(version)
            data[rename[1]] = data.pop(rename[0])
            return data

        return run

    # Pretend message_posted is at version 3 today: 0 -> 1 -> 2 -> 3, each step renaming the text once more.
    upcasters = {
        ("message_posted", 0): step(0, ("body", "words")),
        ("message_posted", 1): step(1, ("words", "said")),
        ("message_posted", 2): step(2, ("said", "text")),
    }
    versions = {**EVENT_VERSIONS, "message_posted": 3}
    data = upcast("message_posted", 0, _v0_message(), upcasters=upcasters, versions=versions)
    assert steps == [0, 1, 2]
    assert data["text"] == "Hej #SK-01"
    assert "body" not in data
    assert (
        upcast("message_posted", 2, {**_v0_message(), "said": "x"}, upcasters=upcasters, versions=versions)["text"]
        == "x"
    )


def test_what_cannot_be_decoded_says_why() -> None:
    with pytest.raises(EventDecodeError, match="no upcaster turns message_posted version 0 into version 1"):
        decode_event("message_posted", 0, _v0_message(), upcasters={})
    with pytest.raises(EventDecodeError, match="version 2 is newer than this Råderum reads"):
        decode_event("message_posted", 2, _v0_message())
    with pytest.raises(EventDecodeError, match="unknown event type 'message_edited'"):
        decode_event("message_edited", 1, {"type": "message_edited"})
    with pytest.raises(EventDecodeError, match="the data says type 'vote_cast', not 'message_posted'"):
        decode_event("message_posted", 1, {"type": "vote_cast"})
    with pytest.raises(EventDecodeError, match="message_posted version 1: text: Field required"):
        decode_event("message_posted", 1, {"type": "message_posted", "at": AT.isoformat(), "player_id": "p1"})
    with pytest.raises(EventDecodeError, match="the data is a vote_cast event, not message_posted"):
        decode_event(
            "message_posted",
            1,
            '{"type":"vote_cast","at":"2026-09-01T09:00:00Z","proposal_id":"F1","player_id":"p1","choice":"for"}',
        )


def test_todays_version_as_text_is_validated_directly() -> None:
    event = MessagePosted(at=AT, player_id="p1", text="hej", mentions=("SK-01",))
    text = event.model_dump_json()
    assert decode_stored("message_posted", text) == EVENT_ADAPTER.validate_json(text) == event
    assert decode_event("message_posted", 1, json.loads(text)) == event


def test_the_registry_refuses_a_second_upcaster_for_the_same_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.upcast.UPCASTERS", {})
    upcaster("message_posted", 0)(_v0_to_v1)
    with pytest.raises(ValueError, match="already registered"):
        upcaster("message_posted", 0)(_v0_to_v1)
