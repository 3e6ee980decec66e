"""The control room's live state: a row per table, the hubs that push changed rows to the watching sockets,
and the cached debriefs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from engine.abilities import adjustments, assess_table
from engine.conference import CrossDebrief, TableInput, cross_debrief
from engine.debrief import Debrief, debrief
from engine.model import Phase, State, Years
from engine.monitor import (
    NEAR_DEADLINE_SECONDS,
    STALLED_SECONDS,
    Flag,
    Reached,
    TableOverview,
    flags,
    table_overview,
    under_half_online,
)
from server.live.conferences import ConferenceCreated, TableRef
from server.live.presence import Presence
from server.live.tables import Table, Tables, now
from server.store import EventStore
from server.transport import protocol
from server.transport.sockets import close as close_socket

log = logging.getLogger("raaderum.control")

TICK_SECONDS = 0.25  # the control room's updates are coalesced to at most one frame per tick
HEARTBEAT_SECONDS = 25.0


class ConferenceGone(KeyError):
    """A table of the conference is gone: it was deleted while someone looked at it."""


# ---- the overview: one row per table --------------------------------------------------------------------


class TableRow(BaseModel):
    """One table in the control room's grid (and, anonymous as it is, on the projector)."""

    table_id: str
    number: int
    name: str
    join_code: str
    seq: int
    phase: Phase
    round: int | None
    rounds_total: int | None
    paused: bool
    deadline: datetime | None = Field(description="The open round's deadline; null when none or paused")
    remaining: float | None = Field(description="Seconds left when paused")
    seated: int
    online: int = Field(description="Seated players connected right now (a practice bot always counts)")
    forlig: str | None = Field(description="The proposal id of the table's forlig")
    result: Years | None = Field(description="The forlig against the target per year (mio. kr.; ≥ 0 reached)")
    reached: Reached | None  # engine.monitor.reached: what the pages show, never recomputed there
    proposals_open: int
    event_card: str | None = Field(default=None, description="The event card drawn for the current round, if any")
    last_activity: datetime | None = Field(description="When the table's last event happened")
    flags: list[Flag]


class Overview(BaseModel):
    conference_id: str
    at: datetime
    stalled_seconds: float = STALLED_SECONDS
    near_deadline_seconds: float = NEAR_DEADLINE_SECONDS
    tables: list[TableRow]


@dataclass
class _Base:
    """What a table's row takes from its state, kept while its seq stays the same."""

    seq: int
    overview: TableOverview
    fields: dict[str, Any]
    seated: frozenset[str]


def _stamp() -> str:
    """Now as a JSON string, written as pydantic writes times ("…Z")."""
    return json.dumps(now().isoformat().replace("+00:00", "Z"))


@dataclass(eq=False)
class Watcher:
    """One control-room or projector socket: rows waiting to be sent, merged so a slow reader gets the latest."""

    websocket: WebSocket
    lang: str = "da"
    pending: dict[str, str] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def push(self, rows: dict[str, str]) -> None:
        self.pending.update(rows)
        self.wake.set()

    async def run(self) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), HEARTBEAT_SECONDS)
                self.wake.clear()
                rows, self.pending = self.pending, {}
                at = _stamp()
                if rows:
                    frame = f'{{"type":"tables","at":{at},"tables":[{",".join(rows.values())}]}}'
                else:
                    frame = f'{{"type":"heartbeat","at":{at}}}'
                await self.websocket.send_text(frame)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the socket is gone; its receive loop ends and unwatches it


class Hub:
    """The live overview of one conference in this process, shared by every socket that watches it."""

    def __init__(self, monitor: Monitor, created: ConferenceCreated, tables: list[Table]) -> None:
        self.monitor = monitor
        self.created = created
        self.tables = list(zip(created.tables, tables, strict=True))
        self.watchers: set[Watcher] = set()
        self.rows: dict[str, str] = {}
        self.keys: dict[str, tuple[Any, ...]] = {}
        self.task: asyncio.Task[None] | None = None

    def tick(self) -> dict[str, str]:
        """The rows that changed since the last tick, as JSON."""
        moment = now()
        changed: dict[str, str] = {}
        for number, (ref, table) in enumerate(self.tables, start=1):
            seq = table.state.seq
            seen = self.monitor.activity.get(table.id)
            if seen is None or seen[0] != seq:
                seen = self.monitor.activity[table.id] = (seq, moment)  # it happened since the last tick
            row = self.monitor.row(ref, number, table, seen[1], moment, live=True)
            key = (seq, row.online, tuple(row.flags), row.last_activity)
            if self.keys.get(table.id) == key:
                continue
            self.keys[table.id] = key
            self.rows[table.id] = changed[table.id] = row.model_dump_json()
        return changed

    def overview_frame(self) -> str:
        at = _stamp()
        conference = json.dumps(self.created.conference_id)
        rows = ",".join(self.rows.values())
        return f'{{"type":"overview","conference_id":{conference},"at":{at},"tables":[{rows}]}}'

    async def run(self) -> None:
        while self.watchers:
            await asyncio.sleep(TICK_SECONDS)
            try:
                changed = self.tick()
            except Exception:
                log.exception("conference %s: overview tick failed", self.created.conference_id)
                continue
            if changed:
                for watcher in list(self.watchers):
                    watcher.push(changed)

    async def close(self, code: str, close_code: int) -> None:
        for watcher in list(self.watchers):
            error = protocol.Error(id=None, code=code, message=protocol.error_message(code, watcher.lang))
            with contextlib.suppress(Exception):
                await watcher.websocket.send_text(error.model_dump_json())
            await close_socket(watcher.websocket, close_code, code)


class Monitor:
    """The conferences watched from this process: rows per table, last activity, cached debriefs."""

    def __init__(self, store: EventStore, tables: Tables, presence: Presence) -> None:
        self.store = store
        self.tables = tables
        self.presence = presence
        self.hubs: dict[str, Hub] = {}
        self.activity: dict[str, tuple[int, datetime | None]] = {}  # table id -> (seq, when it changed)
        self.offline_since: dict[str, datetime] = {}  # table id -> since when under half online (live grid)
        self._bases: dict[str, _Base] = {}
        self._results: OrderedDict[tuple[Any, ...], Years] = OrderedDict()
        self._debriefs: OrderedDict[tuple[str, int], Debrief] = OrderedDict()
        self._cross: OrderedDict[tuple[Any, ...], CrossDebrief] = OrderedDict()

    async def tables_of(self, created: ConferenceCreated) -> list[Table]:
        try:
            return [await self.tables.get(ref.table_id) for ref in created.tables]
        except KeyError:
            raise ConferenceGone(created.conference_id) from None

    # ---- rows ---------------------------------------------------------------------------------------

    def _result(self, state: State, cards: tuple[str, ...]) -> Years:
        assert state.config is not None
        adjust = adjustments(state)
        key = (state.deck.digest, cards, state.event_cards, state.config.target, adjust)
        result = self._results.get(key)
        if result is None:
            result = assess_table(state, cards).result
            self._results[key] = result
            while len(self._results) > 2000:
                self._results.popitem(last=False)
        return result

    def _base(self, ref: TableRef, number: int, table: Table) -> _Base:
        state = table.state
        cached = self._bases.get(table.id)
        if cached is not None and cached.seq == state.seq:
            return cached
        forlig = state.forlig
        result = self._result(state, forlig.cards) if forlig is not None and state.config is not None else None
        overview = table_overview(state, result)
        fields = overview.model_dump(exclude={"table_name"})
        name = overview.table_name if overview.table_name is not None else f"Bord {number}"
        fields.update(table_id=table.id, number=number, name=name, join_code=ref.join_code)
        base = _Base(state.seq, overview, fields, frozenset(player.id for player in state.seated()))
        self._bases[table.id] = base
        return base

    def row(
        self,
        ref: TableRef,
        number: int,
        table: Table,
        activity: datetime | None,
        moment: datetime,
        *,
        live: bool = False,
    ) -> TableRow:
        """The table's row at `moment`. `live` (the pushed grid) gives the offline flag its grace period."""
        base = self._base(ref, number, table)
        # A practice bot is always at the table (it needs no connection): counted as online.
        bots = {player.id for player in table.state.seated() if player.bot}
        online = len(base.seated.intersection(self.presence.online(table.id).online) | (base.seated & bots))
        since: datetime | None = None
        if not under_half_online(base.overview, online):
            self.offline_since.pop(table.id, None)
        elif live:
            since = self.offline_since.setdefault(table.id, moment)
        found = flags(base.overview, now=moment, last_activity=activity, online=online, offline_since=since)
        return TableRow(**base.fields, online=online, last_activity=activity, flags=found)

    async def last_activity(self, table: Table) -> datetime | None:
        seq = table.state.seq
        seen = self.activity.get(table.id)
        if seen is not None and seen[0] == seq:
            return seen[1]
        records = await self.store.read(table.stream, after=max(0, seq - 1))
        at = datetime.fromtimestamp(records[-1].at, UTC) if records else None
        self.activity[table.id] = (seq, at)
        return at

    async def overview(self, created: ConferenceCreated) -> Overview:
        tables = await self.tables_of(created)
        moment = now()
        rows = [
            self.row(ref, number, table, await self.last_activity(table), moment)
            for number, (ref, table) in enumerate(zip(created.tables, tables, strict=True), start=1)
        ]
        return Overview(conference_id=created.conference_id, at=moment, tables=rows)

    # ---- the live hub ---------------------------------------------------------------------------------

    async def watch(self, created: ConferenceCreated, watcher: Watcher) -> Hub:
        hub = self.hubs.get(created.conference_id)
        if hub is None:
            tables = await self.tables_of(created)
            for table in tables:
                await self.last_activity(table)
            hub = self.hubs.setdefault(created.conference_id, Hub(self, created, tables))
        if not hub.rows:
            hub.tick()
        hub.watchers.add(watcher)
        await watcher.websocket.send_text(hub.overview_frame())
        watcher.task = asyncio.create_task(watcher.run())
        if hub.task is None or hub.task.done():
            hub.task = asyncio.create_task(hub.run())
        return hub

    def unwatch(self, hub: Hub, watcher: Watcher) -> None:
        hub.watchers.discard(watcher)
        if watcher.task is not None:
            watcher.task.cancel()
        if not hub.watchers:
            if hub.task is not None:
                hub.task.cancel()
            if self.hubs.get(hub.created.conference_id) is hub:
                del self.hubs[hub.created.conference_id]

    async def deleted(self, conference_id: str) -> None:
        hub = self.hubs.pop(conference_id, None)
        if hub is not None:
            await hub.close("conference.unknown", protocol.CLOSE_UNKNOWN_TABLE)

    # ---- debriefs -------------------------------------------------------------------------------------

    async def debrief(self, table: Table) -> tuple[State, Debrief]:
        state = table.state
        key = (table.id, state.seq)
        result = self._debriefs.get(key)
        if result is None:
            result = await run_in_threadpool(debrief, state)  # 10,000 Monte Carlo draws: off the event loop
            self._debriefs[key] = result
            while len(self._debriefs) > 400:
                self._debriefs.popitem(last=False)
        return state, result

    async def cross(self, created: ConferenceCreated) -> CrossDebrief:
        tables = await self.tables_of(created)
        key = (created.conference_id, *((table.id, table.state.seq) for table in tables))
        cached = self._cross.get(key)
        if cached is not None:
            return cached
        results = await asyncio.gather(*(self.debrief(table) for table in tables))
        inputs = [
            TableInput(
                table_id=table.id,
                number=number,
                name=state.config.table_name if state.config else f"Bord {number}",
                state=state,
                debrief=result,
            )
            for number, (table, (state, result)) in enumerate(zip(tables, results, strict=True), start=1)
        ]
        cross = await run_in_threadpool(cross_debrief, inputs)
        self._cross[key] = cross
        while len(self._cross) > 20:
            self._cross.popitem(last=False)
        return cross
