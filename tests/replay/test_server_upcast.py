"""An event stored at an old version, read by the server: upcast on load, sent at today's version, exported as stored.

The old version is made up (message_posted version 0, whose text was called "body"); its upcaster is
registered for the test only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.archive import read_archive
from engine.deck import DEFAULT_DECK_PATH, Deck
from engine.model import GameCreated, PlayerJoined
from engine.upcast import UPCASTERS
from engine.views import FACILITATOR_VIEWER, Viewer
from server.live.tables import Decks, Tables, table_stream
from server.operations.archive import export_table
from server.store import EventStore, NewEvent, open_store

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    data["text"] = data.pop("body")
    data.setdefault("mentions", [])
    return data


class Listener:
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.frames: list[dict[str, Any]] = []

    def send(self, frame: str) -> None:
        self.frames.append(json.loads(frame))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'events.db'}")
    yield opened
    await opened.close()


async def test_an_old_event_is_upcast_when_the_server_loads_the_table(
    store: EventStore, deck: Deck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(UPCASTERS, ("message_posted", 0), _v0_to_v1)
    created = GameCreated(
        at=AT, table_name="Bord 1", deck_id="korsbaek", deck_digest=deck.digest, seed=1,
        target=(20.0, 30.0, 40.0, 45.0), rule="broad", rounds=3, round_seconds=None,
    )  # fmt: skip
    joined = [PlayerJoined(at=AT, player_id=f"p{n}", name=f"Spiller {n}") for n in (1, 2, 3)]
    old = {"type": "message_posted", "at": "2026-09-01T09:00:00Z", "player_id": "p1", "body": "Hej fra før"}
    await store.append(
        table_stream("t1"),
        0,
        [
            NewEvent("game_created", created.model_dump_json()),
            *(NewEvent("player_joined", event.model_dump_json()) for event in joined),
            NewEvent("message_posted@0", json.dumps(old)),
        ],
    )
    tables = Tables(store, Decks(DEFAULT_DECK_PATH.parent))
    try:
        table = await tables.get("t1")
        assert table.state.seq == 5
        assert table.state.chat is not None
        assert table.state.chat.last.text == "Hej fra før"

        # A client that resumes gets the event at today's version, not the stored JSON.
        resumed = Listener(FACILITATOR_VIEWER)
        await table.attach(resumed, after=4, max_replay=100)
        (frame,) = resumed.frames
        assert frame["seq"] == 5
        assert frame["event"]["text"] == "Hej fra før"
        assert "body" not in frame["event"]

        # The export keeps the event as stored, with its version; reading it back upcasts it again.
        log = await export_table(store, tables.decks, "t1")
        text = log.render()
        line = json.loads(text.split("\n")[5])
        assert (line["seq"], line["type"], line["version"]) == (5, "message_posted", 0)
        assert line["data"] == old
        again = read_archive(text).tables[0]
        assert again.final.chat is not None
        assert again.final.chat.last.text == "Hej fra før"
        assert again.render() == text
    finally:
        tables.close()
