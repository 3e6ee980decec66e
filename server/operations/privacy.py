"""Erasing personal data from the store: a conference anonymised by its facilitator, a player's own name.

Names and chat are personal data (docs/privacy.md). Anonymising a conference rewrites every table's log in
the store (`EventStore.rewrite`: same seqs, times and version): each player's name becomes "Spiller N" (N:
join order at that table), every chat line's and announcement's text becomes empty, and the stream's
command ids, which carry a digest of each command, are dropped. Everything else stays: who proposed and
voted what, the forlig, the dice, the figures; the game replays to the same results. A player who erases
their name leaves their seat first (a `leave`), then their name becomes "Spiller N".
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.archive import PSEUDONYM
from engine.model import AnnouncementMade, Event, MessagePosted, PlayerJoined
from engine.versions import stored_type
from server.live.tables import Tables, decoded, table_stream
from server.store import EventStore, NewEvent


@dataclass
class Erased:
    names: int = 0  # player_joined events whose name was replaced
    messages: int = 0  # chat lines and announcements whose text was emptied


def _rewritten(event: Event, numbers: dict[str, int], player_id: str | None) -> Event | None:
    """The event without its personal data (only `player_id`'s name when given); None when it has none."""
    if isinstance(event, PlayerJoined):
        number = numbers.setdefault(event.player_id, len(numbers) + 1)
        pseudonym = PSEUDONYM.format(number=number)
        if (player_id is None or event.player_id == player_id) and event.name != pseudonym:
            return event.model_copy(update={"name": pseudonym})
    elif isinstance(event, MessagePosted | AnnouncementMade) and player_id is None and event.text:
        return event.model_copy(update={"text": ""})
    return None


async def erase_table(store: EventStore, tables: Tables, table_id: str, player_id: str | None = None) -> Erased:
    """Rewrite one table's log in the store without its names and chat (or only `player_id`'s name)."""
    stream = table_stream(table_id)
    numbers: dict[str, int] = {}
    replacements: dict[int, NewEvent] = {}
    erased = Erased()
    for record in await store.read(stream):
        event, _ = decoded(record)
        rewritten = _rewritten(event, numbers, player_id)
        if rewritten is None:
            continue
        replacements[record.seq] = NewEvent(stored_type(rewritten.type), rewritten.model_dump_json())
        if isinstance(rewritten, PlayerJoined):
            erased.names += 1
        else:
            erased.messages += 1
    if replacements:
        await store.rewrite(stream, replacements)
    table = tables.loaded(table_id)
    if table is not None:
        await table.refold()
    return erased
