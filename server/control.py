"""The facilitator's side of a conference: its API, the control room's live overview, moves and deletion.

Every route here needs the token of the conference's facilitator (`Authorization: Bearer …`); the read-only
ones (the setup, the overview, the cross-table debrief) also take the conference's projector token. A
player's token is refused with 403 everywhere, as is a facilitator's token of another conference.

- `GET /api/conferences/{id}`: the setup and the tables with their join codes.
- `POST /api/conferences/{id}/actions`: one facilitator action applied to each affected table, as that
  table's own engine command, so each table's log (and replay) is complete on its own. A retried request
  with the same `action_id` is not applied twice (the command ids are derived from it).
- `GET /api/conferences/{id}/overview` and the websocket `/ws/conferences/{id}`: the grid of all tables.
  The websocket sends the whole grid once, then only the rows that changed, at most every 250 ms.
- `GET /api/conferences/{id}/debrief` (and `.json`, `.csv`, `-cards.csv` downloads): the cross-table
  debrief (`engine/conference.py`).
- `DELETE /api/conferences/{id}`: the conference, every table's log, its join codes and keys.
- `POST /api/tables/{id}/follow-move`: a player whom the facilitator moved trades their old token for the
  new seat's.
- `GET /join/{code}/qr.svg`: the QR code of a table's join link (public: it encodes only the code).

Retention (`RAADERUM_RETENTION_DAYS`) deletes conferences older than the period, and replays imported longer
ago than that, at startup and then daily.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import segno
from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from engine import FACILITATOR, SYSTEM, RuleViolation, decide
from engine.budget import assess, target_years
from engine.conference import CrossDebrief, TableInput, cross_debrief
from engine.debrief import Debrief, debrief
from engine.model import (
    MAX_CHAT,
    Announce,
    Command,
    EndGame,
    EndRound,
    ExtendDeadline,
    HideMessage,
    Join,
    Pause,
    Phase,
    RemovePlayer,
    Resume,
    SetDeadline,
    ShowDebrief,
    StartRound,
    State,
)
from server import conferences, protocol
from server.auth import Claims, InvalidToken
from server.conferences import ConferenceCreated, PlayerMoved, TableRef, normalise_code
from server.replay import app_replays
from server.tables import Table, now

if TYPE_CHECKING:
    from server.app import Services
    from server.settings import Settings

log = logging.getLogger("raaderum.control")

router = APIRouter()

TICK_SECONDS = 0.25  # the control room's updates are coalesced to at most one frame per tick
STALLED_SECONDS = 300.0  # a round with no event for this long is flagged "stalled"
NEAR_DEADLINE_SECONDS = 180.0  # a table without a forlig this close to its deadline is flagged
OFFLINE_GRACE_SECONDS = 20.0  # half the table offline for this long (phones reconnect within seconds)
HEARTBEAT_SECONDS = 25.0
DAY = 24 * 3600.0

Flag = Literal["stalled", "no_forlig_near_deadline", "offline"]
Years = tuple[float, float, float, float]


def _fail(status: int, code: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(status, detail={"code": code, "message": message, **extra})


def _services(request: Request | WebSocket) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def monitor_of(app: Any) -> Monitor:
    """The process's monitor, made on first use (next to the app's services, like the replays)."""
    services: Services = app.state.services
    monitor: Monitor | None = getattr(app.state, "conference_monitor", None)
    if monitor is None or monitor.services is not services:
        monitor = Monitor(services)
        app.state.conference_monitor = monitor
    return monitor


# ---- who is asking ------------------------------------------------------------------------------------


def _verify(services: Services, authorization: str | None) -> Claims:
    if not authorization or not authorization.startswith("Bearer "):
        raise _fail(401, "auth.missing_token", "Authorization: Bearer <token>")
    try:
        return services.signer.verify(authorization.removeprefix("Bearer ").strip())
    except InvalidToken:
        raise _fail(401, "auth.invalid_token", "invalid token") from None


def allowed(claims: Claims, conference_id: str, *, projector: bool) -> bool:
    if claims.conference_id != conference_id:
        return False
    return claims.role == "facilitator" or (projector and claims.role == "projector")


async def _conference(
    request: Request, conference_id: str, authorization: str | None, *, projector: bool = False
) -> tuple[Claims, ConferenceCreated]:
    """The conference, for its facilitator (and its projector when `projector`): 401, 403 or 404 otherwise."""
    services = _services(request)
    claims = _verify(services, authorization)
    if not allowed(claims, conference_id, projector=projector):
        who = "facilitator or projector" if projector else "facilitator"
        raise _fail(403, "auth.forbidden", f"the {who} of this conference only")
    created = await conferences.load_conference(services.store, conference_id)
    if created is None:
        raise _fail(404, "conference.unknown", "no such conference (deleted?)")
    return claims, created


def admin_password_ok(settings: Settings, x_admin_password: str | None, authorization: str | None) -> bool:
    """RAADERUM_ADMIN_PASSWORD, when set, in `X-Admin-Password` or as the password of HTTP basic auth."""
    expected = settings.admin_password
    if not expected:
        return True
    given = x_admin_password
    if given is None and authorization and authorization.startswith("Basic "):
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            given = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode().partition(":")[2]
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def join_base(request: Request | WebSocket, settings: Settings) -> str:
    """Where phones reach this server: RAADERUM_PUBLIC_URL, else the address the facilitator used."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


# ---- the conference's setup ---------------------------------------------------------------------------


class ConferenceTable(BaseModel):
    table_id: str
    number: int
    name: str
    join_code: str
    join_url: str


class ConferenceInfo(BaseModel):
    conference_id: str
    name: str
    deck: str
    language: Literal["da", "en"]
    target: Years
    rule: str
    rounds: int
    round_seconds: int | None
    created_at: datetime
    join_base: str = Field(description="RAADERUM_PUBLIC_URL, or the address this request came to")
    years: tuple[str, str, str, str]
    tables: list[ConferenceTable]


def conference_info(services: Services, created: ConferenceCreated, base: str) -> ConferenceInfo:
    request = created.request
    deck = services.tables.decks.get(request.deck)
    scenario = deck.scenario
    return ConferenceInfo(
        conference_id=created.conference_id,
        name=request.name,
        deck=request.deck,
        language=request.language,
        target=target_years(scenario, request.target),
        rule=request.rule or scenario.default_rule,
        rounds=request.rounds or scenario.default_rounds,
        round_seconds=request.round_seconds,
        created_at=created.at,
        join_base=base,
        years=scenario.years,
        tables=[
            ConferenceTable(
                table_id=ref.table_id,
                number=number,
                name=f"Bord {number}",
                join_code=ref.join_code,
                join_url=f"{base}/join/{ref.join_code}",
            )
            for number, ref in enumerate(created.tables, start=1)
        ],
    )


@router.get("/api/conferences/{conference_id}", response_model=ConferenceInfo, tags=["conferences"])
async def get_conference(
    request: Request, conference_id: str, authorization: Annotated[str | None, Header()] = None
) -> ConferenceInfo:
    """The conference's setup and its tables with their join codes (facilitator or projector)."""
    _, created = await _conference(request, conference_id, authorization, projector=True)
    services = _services(request)
    return conference_info(services, created, join_base(request, services.settings))


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
    online: int = Field(description="Seated players connected right now")
    forlig: str | None = Field(description="The proposal id of the table's forlig")
    result: Years | None = Field(description="The forlig against the target per year (mio. kr.; ≥ 0 reached)")
    reached: tuple[bool, bool, bool, bool] | None
    proposals_open: int
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
    seq: int
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
        clock = time.monotonic()
        changed: dict[str, str] = {}
        for number, (ref, table) in enumerate(self.tables, start=1):
            seq = table.state.seq
            seen = self.monitor.activity.get(table.id)
            if seen is None or seen[0] != seq:
                seen = self.monitor.activity[table.id] = (seq, moment)  # it happened since the last tick
            row = self.monitor.row(ref, number, table, seen[1], moment, clock)
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
            await _close(watcher.websocket, close_code, code)


class Monitor:
    """The conferences watched from this process: rows per table, last activity, cached debriefs."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.hubs: dict[str, Hub] = {}
        self.activity: dict[str, tuple[int, datetime | None]] = {}  # table id -> (seq, when it changed)
        self.offline_since: dict[str, float] = {}
        self._bases: dict[str, _Base] = {}
        self._results: OrderedDict[tuple[Any, ...], Years] = OrderedDict()
        self._debriefs: OrderedDict[tuple[str, int], Debrief] = OrderedDict()
        self._cross: OrderedDict[tuple[Any, ...], CrossDebrief] = OrderedDict()

    async def tables_of(self, created: ConferenceCreated) -> list[Table]:
        try:
            return [await self.services.tables.get(ref.table_id) for ref in created.tables]
        except KeyError:
            raise _fail(404, "conference.unknown", "a table of the conference is gone (deleted?)") from None

    # ---- rows ---------------------------------------------------------------------------------------

    def _result(self, state: State, cards: tuple[str, ...]) -> Years:
        assert state.config is not None
        key = (state.deck.digest, cards, state.event_cards, state.config.target)
        result = self._results.get(key)
        if result is None:
            result = assess(state.deck, cards, state.event_cards, state.config.target).result
            self._results[key] = result
            while len(self._results) > 2000:
                self._results.popitem(last=False)
        return result

    def _base(self, ref: TableRef, number: int, table: Table) -> _Base:
        state = table.state
        cached = self._bases.get(table.id)
        if cached is not None and cached.seq == state.seq:
            return cached
        config = state.config
        round_ = state.current_round
        playing = state.phase == "round" and round_ is not None
        forlig = state.forlig
        result = self._result(state, forlig.cards) if forlig is not None and config is not None else None
        seated = frozenset(player.id for player in state.seated())
        base = _Base(
            seq=state.seq,
            seated=seated,
            fields={
                "table_id": table.id,
                "number": number,
                "name": config.table_name if config else f"Bord {number}",
                "join_code": ref.join_code,
                "seq": state.seq,
                "phase": state.phase,
                "round": round_.number if round_ else None,
                "rounds_total": config.rounds if config else None,
                "paused": bool(playing and round_ and round_.paused),
                "deadline": round_.deadline if playing and round_ else None,
                "remaining": round_.remaining if playing and round_ and round_.paused else None,
                "seated": len(seated),
                "forlig": forlig.proposal_id if forlig else None,
                "result": result,
                "reached": tuple(value >= 0 for value in result) if result is not None else None,
                "proposals_open": sum(1 for p in state.proposals.values() if p.status == "open"),
            },
        )
        self._bases[table.id] = base
        return base

    def row(
        self,
        ref: TableRef,
        number: int,
        table: Table,
        activity: datetime | None,
        moment: datetime,
        clock: float | None = None,
    ) -> TableRow:
        """The table's row. `clock` (monotonic) turns on the grace period of the offline flag (live grid)."""
        base = self._base(ref, number, table)
        fields = base.fields
        online = len(base.seated.intersection(self.services.presence.online(table.id).online))
        flags: list[Flag] = []
        running = fields["phase"] == "round" and not fields["paused"]
        if running and activity is not None and (moment - activity).total_seconds() >= STALLED_SECONDS:
            flags.append("stalled")
        deadline = fields["deadline"]
        near = deadline is not None and (deadline - moment).total_seconds() <= NEAR_DEADLINE_SECONDS
        if running and fields["forlig"] is None and near:
            flags.append("no_forlig_near_deadline")
        seated = fields["seated"]
        if fields["phase"] not in ("reality_check", "debrief") and seated and online * 2 < seated:
            if clock is None:
                flags.append("offline")
            else:
                since = self.offline_since.setdefault(table.id, clock)
                if clock - since >= OFFLINE_GRACE_SECONDS:
                    flags.append("offline")
        else:
            self.offline_since.pop(table.id, None)
        return TableRow(**fields, online=online, last_activity=activity, flags=flags)

    async def last_activity(self, table: Table) -> datetime | None:
        seq = table.state.seq
        seen = self.activity.get(table.id)
        if seen is not None and seen[0] == seq:
            return seen[1]
        records = await self.services.store.read(table.stream, after=max(0, seq - 1))
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


@router.get("/api/conferences/{conference_id}/overview", response_model=Overview, tags=["conferences"])
async def get_overview(
    request: Request, conference_id: str, authorization: Annotated[str | None, Header()] = None
) -> Overview:
    """The control room's grid: a row per table (facilitator or projector; no names, no chat)."""
    _, created = await _conference(request, conference_id, authorization, projector=True)
    return await monitor_of(request.app).overview(created)


# ---- the live channel -------------------------------------------------------------------------------------


class ConferenceHello(BaseModel):
    """The first frame on /ws/conferences/{id}: the facilitator's or the projector's token of the conference."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hello"]
    token: str = Field(max_length=2000)
    lang: Literal["da", "en"] = "da"


class OverviewFrame(BaseModel):
    """After the hello: the whole grid, a row per table in the conference's order."""

    type: Literal["overview"] = "overview"
    conference_id: str
    at: datetime
    tables: list[TableRow]


class TablesFrame(BaseModel):
    """Then, at most every 250 ms: only the rows that changed (the newest version of each)."""

    type: Literal["tables"] = "tables"
    at: datetime
    tables: list[TableRow]


class ConferenceHeartbeat(BaseModel):
    """Nothing changed for 25 seconds: the connection is alive."""

    type: Literal["heartbeat"] = "heartbeat"
    at: datetime


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code=code, reason=reason[:120])


async def _refuse(websocket: WebSocket, code: str, close_code: int, lang: str = "da") -> None:
    error = protocol.Error(id=None, code=code, message=protocol.error_message(code, lang))
    with contextlib.suppress(Exception):
        await websocket.send_text(error.model_dump_json())
    await _close(websocket, close_code, code)


async def _receive(websocket: WebSocket, limit: int) -> str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
    if len(text) > limit:
        await _close(websocket, protocol.CLOSE_TOO_BIG, "frame too large")
        raise WebSocketDisconnect(protocol.CLOSE_TOO_BIG)
    return text


@router.websocket("/ws/conferences/{conference_id}")
async def conference_socket(websocket: WebSocket, conference_id: str) -> None:
    """The control room's (and the projector's) live grid: hello, the whole overview, then changed rows."""
    services = _services(websocket)
    settings = services.settings
    await websocket.accept()
    monitor = monitor_of(websocket.app)
    hub: Hub | None = None
    watcher: Watcher | None = None
    try:
        try:
            text = await asyncio.wait_for(_receive(websocket, settings.max_frame_bytes), settings.hello_timeout_seconds)
            hello = ConferenceHello.model_validate_json(text)
        except (TimeoutError, ValidationError, ValueError):
            await _refuse(websocket, "hello.expected", protocol.CLOSE_PROTOCOL)
            return
        try:
            claims = services.signer.verify(hello.token)
        except InvalidToken:
            await _refuse(websocket, "auth.invalid_token", protocol.CLOSE_UNAUTHORIZED, hello.lang)
            return
        if not allowed(claims, conference_id, projector=True):
            await _refuse(websocket, "auth.not_conference", protocol.CLOSE_UNAUTHORIZED, hello.lang)
            return
        created = await conferences.load_conference(services.store, conference_id)
        if created is None:
            await _refuse(websocket, "conference.unknown", protocol.CLOSE_UNKNOWN_TABLE, hello.lang)
            return
        watcher = Watcher(websocket, hello.lang)
        hub = await monitor.watch(created, watcher)
        while True:
            text = await _receive(websocket, settings.max_frame_bytes)
            try:
                frame = json.loads(text)
            except ValueError:
                frame = None
            if isinstance(frame, dict) and frame.get("type") == "ping" and isinstance(frame.get("id"), str):
                await websocket.send_text(protocol.Pong(id=frame["id"][: protocol.MAX_ID]).model_dump_json())
            else:
                error = protocol.Error(
                    id=None, code="frame.unknown_type", message=protocol.error_message("frame.unknown_type", hello.lang)
                )
                await websocket.send_text(error.model_dump_json())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if hub is not None and watcher is not None:
            monitor.unwatch(hub, watcher)


# ---- actions -------------------------------------------------------------------------------------------------

ActionName = Literal[
    "start_all",
    "next_round",
    "end_round",
    "pause",
    "resume",
    "extend",
    "set_deadline",
    "announce",
    "end_game",
    "show_debrief",
    "hide_message",
    "remove_player",
    "move_player",
]
ONE_TABLE = ("hide_message", "remove_player", "move_player")


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ActionName
    table_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description="The tables it is for; every table when absent"
    )
    action_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Chosen by the client; the same id again is not applied twice (send it again on a retry)",
    )
    seconds: int | None = Field(default=None, ge=10, le=24 * 3600, description="extend, set_deadline")
    text: str | None = Field(default=None, max_length=MAX_CHAT, description="announce")
    seq: int | None = Field(default=None, ge=1, description="hide_message: the chat line's seq")
    player_id: str | None = Field(default=None, max_length=40, description="remove_player, move_player")
    to_table: str | None = Field(default=None, max_length=40, description="move_player: the table to move to")


class TableResult(BaseModel):
    table_id: str
    ok: bool
    seq: int | None = None
    duplicate: bool = False
    code: str | None = None
    message: str | None = None


class ActionResponse(BaseModel):
    action: ActionName
    action_id: str
    results: list[TableResult]


def _commands(body: ActionRequest, state: State) -> list[tuple[str, Command]]:
    """The engine commands an action gives one table, each with a suffix for its command id."""
    at = now()
    action = body.action
    if action == "start_all":
        return [("start", StartRound(at=at))]
    if action == "next_round":
        ending: list[tuple[str, Command]] = [("end", EndRound(at=at))] if state.phase == "round" else []
        return [*ending, ("start", StartRound(at=at))]
    if action == "end_round":
        return [("end", EndRound(at=at))]
    if action == "pause":
        return [("pause", Pause(at=at))]
    if action == "resume":
        return [("resume", Resume(at=at))]
    if action == "extend":
        assert body.seconds is not None
        return [("extend", ExtendDeadline(at=at, seconds=body.seconds))]
    if action == "set_deadline":
        assert body.seconds is not None
        return [("deadline", SetDeadline(at=at, seconds=body.seconds))]
    if action == "announce":
        assert body.text is not None
        return [("announce", Announce(at=at, text=body.text))]
    if action == "end_game":
        return [("end_game", EndGame(at=at))]
    if action == "show_debrief":
        return [("debrief", ShowDebrief(at=at))]
    if action == "hide_message":
        assert body.seq is not None
        return [("hide", HideMessage(at=at, seq=body.seq))]
    if action == "remove_player":
        assert body.player_id is not None
        return [("remove", RemovePlayer(at=at, player_id=body.player_id))]
    raise AssertionError(action)


def _check(body: ActionRequest, created: ConferenceCreated) -> list[str]:
    """The affected tables, after checking the action has what it needs (422 otherwise)."""
    ids = [ref.table_id for ref in created.tables]
    needs = {
        "extend": "seconds",
        "set_deadline": "seconds",
        "announce": "text",
        "hide_message": "seq",
        "remove_player": "player_id",
        "move_player": "player_id",
    }
    wanted = needs.get(body.action)
    if wanted is not None and getattr(body, wanted) is None:
        raise _fail(422, "action.invalid", f"{body.action} needs {wanted}")
    if body.action == "move_player" and body.to_table is None:
        raise _fail(422, "action.invalid", "move_player needs to_table")
    chosen = list(dict.fromkeys(body.table_ids)) if body.table_ids is not None else ids
    unknown = [table_id for table_id in [*chosen, *([body.to_table] if body.to_table else [])] if table_id not in ids]
    if unknown:
        raise _fail(422, "action.unknown_table", f"not a table of this conference: {', '.join(unknown)}")
    if body.action in ONE_TABLE and len(chosen) != 1:
        raise _fail(422, "action.invalid", f"{body.action} is for exactly one table (table_ids)")
    if body.action == "move_player" and body.to_table == chosen[0]:
        raise _fail(422, "action.invalid", "move_player: to_table is the player's own table")
    return chosen


async def _run(table: Table, commands: list[tuple[str, Command]], prefix: str, lang: str) -> TableResult:
    seq: int | None = None
    duplicate = True
    try:
        for suffix, command in commands:
            actor = SYSTEM if isinstance(command, Join) else FACILITATOR
            seq, again = await table.execute(command, actor, f"{prefix}:{suffix}")
            duplicate = duplicate and again
    except RuleViolation as violation:
        return TableResult(table_id=table.id, ok=False, seq=seq, code=violation.code, message=violation.message(lang))
    except Exception:
        log.exception("%s: conference action failed", table.stream)
        return TableResult(table_id=table.id, ok=False, seq=seq, code="server.unavailable", message="try again")
    return TableResult(table_id=table.id, ok=True, seq=seq, duplicate=duplicate)


def _moved_player_id(action_id: str, player_id: str) -> str:
    # Derived from the action, so a retried move joins the same new seat instead of a second one.
    return hashlib.sha256(f"move:{action_id}:{player_id}".encode()).hexdigest()[:12]


async def _move(
    services: Services, created: ConferenceCreated, body: ActionRequest, source: Table, prefix: str, lang: str
) -> list[TableResult]:
    """Move a seated player to another table: join there with the same name, then removed here."""
    assert body.player_id is not None and body.to_table is not None and body.action_id is not None
    target = await services.tables.get(body.to_table)
    removal = RemovePlayer(at=now(), player_id=body.player_id, moved_to=target.id)
    try:
        decide(source.state, removal, FACILITATOR)  # refused here (not seated) before anything is written
    except RuleViolation as violation:
        if not (violation.code == "player.not_seated" and source.state.players.get(body.player_id)):
            return [TableResult(table_id=source.id, ok=False, code=violation.code, message=violation.message(lang))]
        # Not seated any more: a retry after the first try removed them. The steps below answer as duplicates.
    name = source.state.players[body.player_id].name
    new_id = _moved_player_id(body.action_id, body.player_id)
    joined = await _run(target, [("join", Join(at=now(), player_id=new_id, name=name))], prefix, lang)
    if not joined.ok:
        return [TableResult(table_id=source.id, ok=False, code=joined.code, message=joined.message), joined]
    # Noted before the removal goes out, so the player's phone finds its new seat as soon as it hears of it
    # (follow-move also checks that the player has left this table).
    move = PlayerMoved(at=now(), from_table=source.id, from_player=body.player_id, to_table=target.id, to_player=new_id)
    await conferences.record_move(services.store, created.conference_id, move, prefix)
    removed = await _run(source, [("remove", removal)], prefix, lang)
    if not removed.ok:
        await _run(target, [("undo", RemovePlayer(at=now(), player_id=new_id))], prefix, lang)
    return [removed, joined]


@router.post("/api/conferences/{conference_id}/actions", response_model=ActionResponse, tags=["conferences"])
async def conference_action(
    request: Request,
    conference_id: str,
    body: ActionRequest,
    authorization: Annotated[str | None, Header()] = None,
    lang: Literal["da", "en"] = "da",
) -> ActionResponse:
    """Apply one action to each affected table (all of them unless `table_ids`), as that table's own command.

    The answer lists each table's result: `ok` with the table's `seq` after it, or the rule's `code` and
    `message` (a table in the wrong phase says why). `duplicate` marks a retried `action_id`.
    """
    _, created = await _conference(request, conference_id, authorization)
    services = _services(request)
    chosen = _check(body, created)
    action_id = body.action_id or conferences.new_id()
    body = body.model_copy(update={"action_id": action_id})
    prefix = f"conference:{action_id}"
    try:
        tables = [await services.tables.get(table_id) for table_id in chosen]
    except KeyError:
        raise _fail(404, "conference.unknown", "a table of the conference is gone (deleted?)") from None
    if body.action == "move_player":
        results = await _move(services, created, body, tables[0], prefix, lang)
    else:
        results = list(
            await asyncio.gather(*(_run(table, _commands(body, table.state), prefix, lang) for table in tables))
        )
    return ActionResponse(action=body.action, action_id=action_id, results=results)


# ---- a moved player's new seat ---------------------------------------------------------------------------------


class MovedSeat(BaseModel):
    table_id: str
    player_id: str
    token: str
    join_code: str


@router.post("/api/tables/{table_id}/follow-move", response_model=MovedSeat, tags=["conferences"])
async def follow_move(
    request: Request, table_id: str, authorization: Annotated[str | None, Header()] = None
) -> MovedSeat:
    """A player the facilitator moved to another table trades their token for the new seat's (404 if not moved)."""
    services = _services(request)
    claims = _verify(services, authorization)
    if claims.role != "player" or claims.table_id != table_id or claims.player_id is None:
        raise _fail(403, "auth.wrong_table", "a player's token for this table only")
    move = await conferences.find_move(services.store, claims.conference_id, table_id, claims.player_id)
    created = await conferences.load_conference(services.store, claims.conference_id)
    codes = {ref.table_id: ref.join_code for ref in created.tables} if created else {}
    try:
        still_here = (await services.tables.get(table_id)).state.is_seated(claims.player_id)
    except KeyError:
        still_here = False
    if move is None or move.to_table not in codes or still_here:
        raise _fail(404, "move.none", "the facilitator has not moved this player")
    token = services.signer.sign(
        Claims(role="player", conference_id=claims.conference_id, table_id=move.to_table, player_id=move.to_player)
    )
    return MovedSeat(table_id=move.to_table, player_id=move.to_player, token=token, join_code=codes[move.to_table])


# ---- deleting, and the retention period ------------------------------------------------------------------------


_CLOSING: set[asyncio.Future[None]] = set()


def _closer(table: Table) -> None:
    """Close the sockets of a deleted table in this process: the table is unknown now (4004)."""
    for listener in list(table.listeners):
        websocket = getattr(listener, "websocket", None)
        if isinstance(websocket, WebSocket):
            lang = getattr(listener, "lang", "da")
            task = asyncio.ensure_future(_refuse(websocket, "table.unknown", protocol.CLOSE_UNKNOWN_TABLE, lang))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)


async def delete(app: Any, conference_id: str) -> bool:
    services: Services = app.state.services
    deleted = await conferences.delete_conference(services.store, services.tables, conference_id, _closer)
    if deleted is not None:
        await monitor_of(app).deleted(conference_id)
    return deleted is not None


@router.delete("/api/conferences/{conference_id}", status_code=204, tags=["conferences"])
async def delete_conference(
    request: Request, conference_id: str, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Delete the conference: every table's log (names, chat, everything), its join codes and keys."""
    await _conference(request, conference_id, authorization)
    await delete(request.app, conference_id)
    log.info("conference %s deleted by its facilitator", conference_id)
    return Response(status_code=204)


async def purge_expired(app: Any, days: float, moment: datetime) -> list[str]:
    """Delete every conference created more than `days` before `moment`; returns their ids."""
    services: Services = app.state.services
    expired = await conferences.expired_conferences(services.store, moment - timedelta(days=days))
    for conference_id in expired:
        await delete(app, conference_id)
    if expired:
        log.warning("retention: deleted %d conference(s) older than %g days", len(expired), days)
    return expired


async def purge_expired_replays(app: Any, days: float, moment: datetime) -> list[str]:
    """Delete every replay last imported more than `days` before `moment` (docs/replay.md); returns their ids."""
    deleted = await app_replays(app).purge(moment - timedelta(days=days))
    if deleted:
        log.warning("retention: deleted %d replay(s) imported more than %g days ago", len(deleted), days)
    return deleted


async def keep_retention(app: Any, clock: Callable[[], datetime] = now) -> None:
    """At startup and then daily (more often for a period under ten days' tenth): delete old conferences and
    old imported replays."""
    days = app.state.services.settings.retention_days
    if days is None:
        return
    interval = min(DAY, max(1.0, days * DAY / 10))
    while True:
        try:
            await purge_expired(app, days, clock())
        except Exception:
            log.exception("retention: deleting old conferences failed; trying again later")
        try:
            await purge_expired_replays(app, days, clock())
        except Exception:
            log.exception("retention: deleting old replays failed; trying again later")
        await asyncio.sleep(interval)


# ---- the cross-table debrief --------------------------------------------------------------------------------


class ConferenceDebrief(BaseModel):
    conference_id: str
    name: str
    generated_at: datetime
    debrief: CrossDebrief


async def _debrief(request: Request, conference_id: str, authorization: str | None, *, projector: bool) -> Any:
    _, created = await _conference(request, conference_id, authorization, projector=projector)
    cross = await monitor_of(request.app).cross(created)
    return created, ConferenceDebrief(
        conference_id=conference_id, name=created.request.name, generated_at=now(), debrief=cross
    )


@router.get("/api/conferences/{conference_id}/debrief", response_model=ConferenceDebrief, tags=["conferences"])
async def get_debrief(
    request: Request, conference_id: str, authorization: Annotated[str | None, Header()] = None
) -> ConferenceDebrief:
    """The cross-table debrief (facilitator or projector: it holds no names and no chat)."""
    _, result = await _debrief(request, conference_id, authorization, projector=True)
    assert isinstance(result, ConferenceDebrief)
    return result


def _filename(name: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "konference"
    return f"raaderum-{safe}-{suffix}"


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/api/conferences/{conference_id}/debrief.json", tags=["conferences"], response_class=Response)
async def download_debrief_json(
    request: Request, conference_id: str, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """The cross-table debrief as a JSON file (facilitator)."""
    created, result = await _debrief(request, conference_id, authorization, projector=False)
    return _download(
        result.model_dump_json(indent=2), "application/json", _filename(created.request.name, "debrief.json")
    )


Dialect = Literal["standard", "da"]


def _number(value: float | None, dialect: Dialect) -> str:
    if value is None:
        return ""
    text = f"{round(value, 4) + 0.0:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if dialect == "da" else text


def _flag(value: bool | None) -> str:
    return "" if value is None else "1" if value else "0"


def _csv(rows: Sequence[Sequence[str]], dialect: Dialect) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dialect == "da" else ",", lineterminator="\r\n")
    writer.writerows(rows)
    # Excel in Danish reads ; and decimal commas, and needs the byte order mark to see UTF-8.
    return ("\ufeff" if dialect == "da" else "") + buffer.getvalue()


def tables_csv(cross: CrossDebrief, dialect: Dialect = "standard") -> str:
    """A row per table: its forlig against the target, the verdict, the composition, the reality check."""
    labels = cross.years
    kind_ids = list(cross.composition.average.by_kind)
    header = [
        "table_number",
        "table",
        "table_id",
        "phase",
        "players",
        "forlig",
        "cards",
        "proposals",
        "rounds",
        *(f"result_{label}" for label in labels),
        *(f"reached_{label}" for label in labels),
        "verdict_reached",
        "reality_checked",
        *(f"realised_result_{label}" for label in labels),
        *(f"realised_reached_{label}" for label in labels),
        "administration_share",
        "welfare_share",
        *(f"share_{kind}" for kind in kind_ids),
        *(f"probability_{label}" for label in labels),
        "probability_all_years",
    ]
    shares = {c.table_id: c.shares for c in cross.composition.tables}
    rows = [header]
    for t in cross.tables:
        realised = t.realised_result or (None, None, None, None)
        realised_reached = t.realised_reached or (None, None, None, None)
        rows.append(
            [
                str(t.number),
                t.name,
                t.table_id,
                t.phase,
                str(t.players),
                t.forlig or "",
                " ".join(t.cards),
                str(t.proposals),
                str(t.rounds),
                *(_number(value, dialect) for value in t.result),
                *(_flag(value) for value in t.reached),
                _flag(t.verdict_reached),
                _flag(t.rolled),
                *(_number(value, dialect) for value in realised),
                *(_flag(value) for value in realised_reached),
                _number(t.administration_share, dialect),
                _number(t.welfare_share, dialect),
                *(_number(shares[t.table_id].by_kind[kind], dialect) for kind in kind_ids),
                *(_number(value, dialect) for value in t.probability),
                _number(t.probability_all_years, dialect),
            ]
        )
    return _csv(rows, dialect)


def cards_csv(cross: CrossDebrief, lang: str = "da", dialect: Dialect = "standard") -> str:
    """A row per table × card: chosen (in the forlig), proposed (not adopted) or never proposed."""
    rows = [["table_number", "table", "table_id", "card", "title", "kind", "area", "status"]]
    for column, t in enumerate(cross.tables):
        for card in cross.heatmap.rows:
            title = card.title.en if lang == "en" else card.title.da
            rows.append(
                [str(t.number), t.name, t.table_id, card.card, title, card.kind, card.area, card.statuses[column]]
            )
    return _csv(rows, dialect)


@router.get("/api/conferences/{conference_id}/debrief.csv", tags=["conferences"], response_class=Response)
async def download_debrief_csv(
    request: Request,
    conference_id: str,
    authorization: Annotated[str | None, Header()] = None,
    dialect: Annotated[Dialect, Query(description="da: ; and decimal commas, for Excel in Danish")] = "standard",
) -> Response:
    """A row per table (facilitator). Shares and probabilities are 0-1, money mio. kr., flags 1/0."""
    created, result = await _debrief(request, conference_id, authorization, projector=False)
    body = tables_csv(result.debrief, dialect)
    return _download(body, "text/csv; charset=utf-8", _filename(created.request.name, "tables.csv"))


@router.get("/api/conferences/{conference_id}/debrief-cards.csv", tags=["conferences"], response_class=Response)
async def download_cards_csv(
    request: Request,
    conference_id: str,
    authorization: Annotated[str | None, Header()] = None,
    dialect: Annotated[Dialect, Query(description="da: ; and decimal commas, for Excel in Danish")] = "standard",
) -> Response:
    """A row per table × card (facilitator): `status` is chosen, proposed or never."""
    created, result = await _debrief(request, conference_id, authorization, projector=False)
    body = cards_csv(result.debrief, created.request.language, dialect)
    return _download(body, "text/csv; charset=utf-8", _filename(created.request.name, "cards.csv"))


# ---- QR codes -------------------------------------------------------------------------------------------------

CODE = re.compile(r"^[A-Z0-9]{1,20}$")


@router.get("/join/{code}/qr.svg", include_in_schema=False)
async def join_qr(request: Request, code: str) -> Response:
    """The QR code of `/join/{code}` on this server, as SVG. It says nothing about whether the code exists."""
    code = normalise_code(code)
    if not CODE.match(code):
        raise _fail(404, "join.unknown_code", "not a join code")
    url = f"{join_base(request, _services(request).settings)}/join/{code}"
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", border=2, xmldecl=False, omitsize=True, light="#fff", title=url)
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})
