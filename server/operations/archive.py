"""Logs against the event store: export a table's or a conference's log, import logs as read-only replays.

The file format and every check live in `engine/archive.py` (pure); this module reads the store and keeps
imported replays. An imported table log is stored whole, in its canonical form, under the key
`replay:{replay_id}`, where the id is the first 20 hex digits of the canonical text's sha256: importing the
same log twice gives the same replay, and an id cannot be guessed without the log.

Every import is also recorded in the stream `replay-imports` (the replay's id and the time, no names), so the
retention period (`RAADERUM_RETENTION_DAYS`) can find the replays imported longer ago than that and delete
them: the store lists streams, not keys. Importing a log again records it again, and the newest record counts.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from engine.archive import (
    Archive,
    EventLine,
    TableLog,
    build_conference,
    build_table_log,
    pseudonymise,
    read_archive,
    scrub_names,
)
from engine.debrief import Debrief, debrief
from engine.model import GameCreated, State
from engine.replay import Marker, frame, game_over, hidden_chat, markers
from engine.upcast import decode_stored
from engine.versions import parse_stored_type
from server.live import conferences
from server.live.tables import MAX_RETRIES, Decks, now, table_stream
from server.store import ConcurrencyError, EventStore, NewEvent

REPLAY_ID = re.compile(r"^[0-9a-f]{20}$")
REPLAY_CACHE = 8  # parsed replays kept in memory per process
DEBRIEF_CACHE = 4  # debriefs kept per replay (the end of the game, mostly)


def raaderum_version() -> str:
    try:
        return importlib.metadata.version("raaderum")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


class ExportError(Exception):
    """A log that cannot be exported: no such table or conference, or its deck is not the one it was played with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---- Export ----------------------------------------------------------------------------------------


async def export_table(
    store: EventStore,
    decks: Decks,
    table_id: str,
    *,
    pseudonymised: bool = False,
    conference_id: str | None = None,
) -> TableLog:
    """The table's whole log as a checked TableLog (render() gives the file). Raises ExportError."""
    records = await store.read(table_stream(table_id))
    if not records:
        raise ExportError("table.unknown", f"no table {table_id!r}")
    created = decode_stored(records[0].type, records[0].data)
    if not isinstance(created, GameCreated):
        raise ExportError("export.broken_log", f"table {table_id} does not start with game_created")
    try:
        deck = await decks.fetch(store, created.deck_id)
    except KeyError:
        raise ExportError("export.unknown_deck", f"deck {created.deck_id!r} is not on this server") from None
    if deck.digest != created.deck_digest:
        raise ExportError(
            "export.deck_changed",
            f"deck {created.deck_id!r} was changed after table {table_id} was played: the log cannot embed the deck "
            "it was played with",
        )
    lines = []
    for record in records:
        event_type, version = parse_stored_type(record.type)
        at = datetime.fromtimestamp(record.at, UTC)
        data = json.loads(record.data)
        # From our own store: well-formed by construction, and build_table_log checks every line again.
        lines.append(EventLine.model_construct(seq=record.seq, type=event_type, version=version, at=at, data=data))
    if conference_id is None:
        conference_id = await conferences.conference_of(store, table_id)
    log = await asyncio.to_thread(
        build_table_log,
        deck=deck,
        table_id=table_id,
        table_name=created.table_name,
        lines=lines,
        raaderum_version=raaderum_version(),
        conference_id=conference_id,
    )
    return await asyncio.to_thread(pseudonymise, log) if pseudonymised else log


async def export_conference(
    store: EventStore, decks: Decks, conference_id: str, *, pseudonymised: bool = False
) -> Archive:
    """Every table of the conference, in the order they were created, after a conference line."""
    records = await store.read(conferences.conference_stream(conference_id), limit=1)
    if not records:
        raise ExportError("conference.unknown", f"no conference {conference_id!r}")
    created = conferences.ConferenceCreated.model_validate_json(records[0].data)
    tables = [
        await export_table(store, decks, ref.table_id, pseudonymised=pseudonymised, conference_id=conference_id)
        for ref in created.tables
    ]
    name = scrub_names(created.request.name, tables) if pseudonymised else created.request.name
    return build_conference(conference_id, name, tables, raaderum_version())


# ---- Imported replays --------------------------------------------------------------------------------


def replay_key(replay_id: str) -> str:
    return f"replay:{replay_id}"


def replay_id_of(canonical: str) -> str:
    """A table log's replay id: the first 20 hex digits of the sha256 of its canonical text."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


REPLAY_IMPORTS = "replay-imports"  # the stream of imports and retention's deletions, one record per replay each


class ReplayImported(BaseModel):
    """In `replay-imports`: a table log was imported (again) as this replay at this time."""

    type: Literal["replay_imported"] = "replay_imported"
    replay_id: str
    at: datetime


class ReplayDeleted(BaseModel):
    """In `replay-imports`: the retention period deleted this replay (until it is imported again)."""

    type: Literal["replay_deleted"] = "replay_deleted"
    replay_id: str
    at: datetime


async def _record(store: EventStore, records: list[ReplayImported] | list[ReplayDeleted]) -> None:
    """Append to `replay-imports`, retrying when another import or process appended first."""
    events = [NewEvent(type=record.type, data=record.model_dump_json()) for record in records]
    for attempt in range(MAX_RETRIES):
        version = await store.version(REPLAY_IMPORTS)
        try:
            await store.append(REPLAY_IMPORTS, version, events)
            return
        except ConcurrencyError:
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    raise RuntimeError(f"{REPLAY_IMPORTS}: too much contention, gave up after {MAX_RETRIES} tries")


async def replay_records(store: EventStore) -> dict[str, ReplayImported | ReplayDeleted]:
    """The newest record of every replay ever imported: its latest import, or its deletion after that."""
    newest: dict[str, ReplayImported | ReplayDeleted] = {}
    for stored in await store.read(REPLAY_IMPORTS):
        record: ReplayImported | ReplayDeleted
        if stored.type == "replay_imported":
            record = ReplayImported.model_validate_json(stored.data)
        elif stored.type == "replay_deleted":
            record = ReplayDeleted.model_validate_json(stored.data)
        else:
            continue
        newest[record.replay_id] = record
    return newest


@dataclass
class Replay:
    """An imported table log, parsed, with what the viewer asks for kept warm."""

    replay_id: str
    log: TableLog
    markers: list[Marker]
    hidden: frozenset[int] = frozenset()  # the chat lines the facilitator hid: never shown, at any position
    imported: datetime | None = None  # its newest import, when the retention period is watched
    _last: State | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _debriefs: OrderedDict[int, Debrief] = field(default_factory=OrderedDict)

    @classmethod
    def of(cls, replay_id: str, log: TableLog) -> Replay:
        return cls(replay_id, log, markers(log.events), hidden_chat(log.events))

    def state(self, seq: int) -> State:
        """The state after `seq` events: from the last state served when that is closer than a checkpoint."""
        with self._lock:
            state = self.log.state_at(seq, near=self._last)
            self._last = state
            return state

    def debrief_at(self, state: State) -> Debrief:
        with self._lock:
            cached = self._debriefs.get(state.seq)
        if cached is not None:
            return cached
        result = debrief(state)
        with self._lock:
            self._debriefs[state.seq] = result
            while len(self._debriefs) > DEBRIEF_CACHE:
                self._debriefs.popitem(last=False)
        return result

    def frame_json(self, seq: int) -> bytes:
        """The viewer's frame at `seq` as JSON: the view, the newest proposal's meter, the debrief once ended."""
        state = self.state(seq)
        result = self.debrief_at(state) if game_over(state) else None
        return frame(self.log, state, result, self.hidden).model_dump_json().encode()


@dataclass(frozen=True)
class Imported:
    replay_id: str
    table_id: str
    table_name: str
    events: int


class Replays:
    """Imported logs in the event store (one key per table log) and a small in-memory cache of parsed ones.

    With a retention period (`retention_days`), a replay last imported longer ago than that is not served any
    more, from the cache or the store, by any process, even before a retention pass (`purge`) deletes it.
    """

    def __init__(
        self,
        store: EventStore,
        cache_size: int = REPLAY_CACHE,
        *,
        retention_days: float | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.store = store
        self.cache_size = cache_size
        self.retention_days = retention_days
        self.clock = clock
        self._cache: OrderedDict[str, Replay] = OrderedDict()

    def _remember(self, replay: Replay) -> Replay:
        self._cache[replay.replay_id] = replay
        self._cache.move_to_end(replay.replay_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return replay

    def _expired(self, imported: datetime | None) -> bool:
        if self.retention_days is None or imported is None:
            return False
        return imported < self.clock() - timedelta(days=self.retention_days)

    async def add(self, text: str) -> list[Imported]:
        """Check the whole file, then store each table log in it. ArchiveError (nothing stored) when it is bad."""
        archive = await asyncio.to_thread(read_archive, text)
        return await self.add_archive(archive)

    async def add_archive(self, archive: Archive) -> list[Imported]:
        imported: list[Imported] = []
        prepared = []
        for log in archive.tables:
            canonical = log.render()
            replay_id = replay_id_of(canonical)
            prepared.append((replay_id, canonical, log))
        if not prepared:
            return imported
        at = self.clock()
        # Recorded before a log is stored, so every stored log has a record for the retention period to find.
        ids = dict.fromkeys(replay_id for replay_id, _, _ in prepared)
        await _record(self.store, [ReplayImported(replay_id=replay_id, at=at) for replay_id in ids])
        for replay_id, canonical, log in prepared:
            await self.store.set_key(replay_key(replay_id), canonical)
            replay = Replay.of(replay_id, log)
            replay.imported = at
            self._remember(replay)
            info = log.header.table
            imported.append(Imported(replay_id, info.table_id, info.table_name, info.events))
        return imported

    async def _imported(self, replay_id: str) -> datetime | None:
        """When a stored replay was last imported, with a retention period (else None); KeyError when too long ago.

        A stored replay without an import record (imported before imports were recorded, or stored again by an
        import racing with the retention pass that recorded its deletion) is recorded as imported now."""
        if self.retention_days is None:
            return None
        record = (await replay_records(self.store)).get(replay_id)
        if isinstance(record, ReplayImported):
            if self._expired(record.at):
                raise KeyError(replay_id)  # the next retention pass deletes it
            return record.at
        at = self.clock()
        await _record(self.store, [ReplayImported(replay_id=replay_id, at=at)])
        return at

    async def get(self, replay_id: str) -> Replay:
        """The replay; KeyError when there is none with this id (or its retention period is over)."""
        if not REPLAY_ID.match(replay_id):
            raise KeyError(replay_id)
        cached = self._cache.get(replay_id)
        if cached is not None:
            if not self._expired(cached.imported):
                self._cache.move_to_end(replay_id)
                return cached
            del self._cache[replay_id]  # too old, unless another process imported it again: the store knows
        text = await self.store.get_key(replay_key(replay_id))
        if text is None:
            raise KeyError(replay_id)
        imported = await self._imported(replay_id)
        archive = await asyncio.to_thread(read_archive, text)
        replay = Replay.of(replay_id, archive.tables[0])
        replay.imported = imported
        return self._remember(replay)

    async def text(self, replay_id: str) -> str:
        """The stored log, byte for byte what an export of it gives."""
        if not REPLAY_ID.match(replay_id):
            raise KeyError(replay_id)
        text = await self.store.get_key(replay_key(replay_id))
        if text is None:
            raise KeyError(replay_id)
        await self._imported(replay_id)
        return text

    async def purge(self, older_than: datetime) -> list[str]:
        """The retention pass: delete every replay last imported before `older_than`; returns their ids.

        Idempotent, so several processes may run it at once: deleting a deleted key does nothing, and a
        deletion is recorded, so later passes skip the replay until it is imported again. A replay that another
        process deleted leaves this process's cache too."""
        records = await replay_records(self.store)
        expired = sorted(
            replay_id
            for replay_id, record in records.items()
            if isinstance(record, ReplayImported) and record.at < older_than
        )
        for replay_id in expired:
            await self.store.delete_key(replay_key(replay_id))
            self._cache.pop(replay_id, None)
        for replay_id in list(self._cache):
            if isinstance(records.get(replay_id), ReplayDeleted):
                del self._cache[replay_id]
        if expired:
            at = self.clock()
            await _record(self.store, [ReplayDeleted(replay_id=replay_id, at=at) for replay_id in expired])
        return expired
