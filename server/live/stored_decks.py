"""Uploaded decks (POST /api/decks) in the event store, so every process of a deployment serves them.

Each deck is a stream `deck:<hex>` of one event holding the deck's JSON. Its id, which is also its
scenario's id (the one game_created names), is `u-<hex>`: the first 32 hex digits of the digest of its
content under the scenario id `katalog`, so an id names exactly one content; a conference created on it
pins the whole digest, as game_created does for every deck. Retention deletes the uploaded decks no
conference uses (server/operations/retention.py).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

from engine.deck import Deck
from server.store.base import ConcurrencyError, EventStore, NewEvent

PREFIX = "u-"
STREAM_PREFIX = "deck:"
EVENT_TYPE = "deck_uploaded"


def is_uploaded(deck_id: str) -> bool:
    return deck_id.startswith(PREFIX)


def _content_id(deck: Deck) -> str:
    anonymous = deck.model_copy(update={"scenario": deck.scenario.model_copy(update={"id": "katalog"})})
    return PREFIX + anonymous.digest[:32]  # 128 bits: a conference request names a deck in at most 60 characters


def identified(deck: Deck) -> Deck:
    """The deck with its scenario id set to the id of its content."""
    return deck.model_copy(update={"scenario": deck.scenario.model_copy(update={"id": _content_id(deck)})})


def _stream(deck_id: str) -> str:
    return STREAM_PREFIX + deck_id.removeprefix(PREFIX)


async def save(store: EventStore, deck: Deck) -> str:
    """Store the deck (once: the same content uploaded again is the same deck) and return its id."""
    deck = identified(deck)
    deck_id = deck.scenario.id
    stream = _stream(deck_id)
    if await store.version(stream) == 0:
        data = json.dumps({"deck": deck.model_dump(mode="json")}, ensure_ascii=False)
        with contextlib.suppress(ConcurrencyError):  # another process stored the same deck a moment ago
            await store.append(stream, 0, [NewEvent(type=EVENT_TYPE, data=data)])
    return deck_id


async def load(store: EventStore, deck_id: str) -> Deck | None:
    if not is_uploaded(deck_id) or not deck_id[len(PREFIX) :].isalnum():
        return None
    records = await store.read(_stream(deck_id), limit=1)
    if not records:
        return None
    deck = Deck.model_validate(json.loads(records[0].data)["deck"])
    return deck if deck.scenario.id == deck_id == _content_id(deck) else None


async def uploaded(store: EventStore) -> dict[str, datetime]:
    """Every uploaded deck's id and when it was uploaded."""
    found = {}
    for stream in await store.streams(STREAM_PREFIX):
        records = await store.read(stream, limit=1)
        if records:
            found[PREFIX + stream.removeprefix(STREAM_PREFIX)] = datetime.fromtimestamp(records[0].at).astimezone()
    return found


async def delete(store: EventStore, deck_id: str) -> None:
    await store.delete_stream(_stream(deck_id))
