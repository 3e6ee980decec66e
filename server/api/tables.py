"""A table over HTTP: joining it by code, its stored events, the live meter, its debrief, its join link's QR code."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
from collections import OrderedDict
from dataclasses import replace
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from engine import FACILITATOR, SYSTEM, RuleViolation
from engine.abilities import adjustments, events_in_force
from engine.budget import validate_portfolio
from engine.deck import Text
from engine.explain import Blocked, TableDebrief, blocked_at, table_debrief
from engine.model import Join, StartRound
from engine.rules import party_seats
from engine.versions import parse_stored_type
from engine.views import MeterView, meter
from server.api.access import join_base
from server.auth import Claims
from server.deps import ClaimsDep, Lang, Services, ServicesDep, fail
from server.live import conferences
from server.live.conferences import JoinRequest, normalise_code
from server.live.tables import Table, now, table_stream
from server.responses import bytes_response
from server.store import StoredEvent

MAX_PORTFOLIO = 100

router = APIRouter()


class JoinResponse(BaseModel):
    table_id: str
    player_id: str
    token: str


class StoredEventOut(BaseModel):
    seq: int
    type: str
    version: int  # of the event's type, see engine/versions.py; `data` is the event at this version
    at: float
    data: dict[str, Any]


def _stored_event_out(record: StoredEvent) -> StoredEventOut:
    event_type, version = parse_stored_type(record.type)
    return StoredEventOut(seq=record.seq, type=event_type, version=version, at=record.at, data=json.loads(record.data))


class EventsResponse(BaseModel):
    table_id: str
    events: list[StoredEventOut]


class JoinParty(BaseModel):
    id: str
    name: Text
    mandates: int
    free: int = Field(description="Mandates no seated member holds yet")


class JoinPartiesResponse(BaseModel):
    parties: list[JoinParty] = Field(description="Empty: the table is not a byråd with parties")


@router.get("/api/join/{code}/parties", response_model=JoinPartiesResponse)
async def join_parties(code: str, services: ServicesDep) -> JoinPartiesResponse:
    """Byråd mode: the parties a member may pick when joining with this code (names and free mandates only).
    An unknown code has none: the join page asks while the code is typed, and the join itself says it is wrong."""
    table_id = await conferences.table_for_code(services.store, code)
    if table_id is None or await services.conference_of(table_id) is None:
        return JoinPartiesResponse(parties=[])
    state = (await services.tables.get(table_id)).state
    byraad = state.config.byraad if state.config is not None else None
    taken = party_seats(state)
    return JoinPartiesResponse(
        parties=[
            JoinParty(id=p.id, name=p.name, mandates=p.mandates, free=p.mandates - taken[p.id])
            for p in (byraad.parties if byraad is not None else ())
        ]
    )


@router.post("/api/join", response_model=JoinResponse)
async def join(body: JoinRequest, services: ServicesDep) -> JoinResponse:
    table_id = await conferences.table_for_code(services.store, body.code)
    conference_id = await services.conference_of(table_id) if table_id else None
    if table_id is None or conference_id is None:
        raise fail(404, "join.unknown_code", "Ukendt kode / unknown code")
    table = await services.tables.get(table_id)
    player_id = conferences.new_id()
    try:
        join = Join(at=now(), player_id=player_id, name=body.name, party=body.party)
        await table.execute(join, SYSTEM, f"join:{player_id}")
    except RuleViolation as violation:
        # seat.name_taken says whose: the page asks "Er du Dina?" and offers the seat code (api/seats.py).
        raise fail(409, violation.code, violation.message(), details=violation.params) from None
    await _start_when_joined(services, table, conference_id)
    token = services.signer.sign(
        Claims(role="player", conference_id=conference_id, table_id=table_id, player_id=player_id)
    )
    return JoinResponse(table_id=table_id, player_id=player_id, token=token)


async def _start_when_joined(services: Services, table: Table, conference_id: str) -> None:
    """A conference with `start_when_joined` ("Prøv selv": one person and bots) starts round 1 when a person sits
    down at a table that has enough players; nobody has to open the control room."""
    if table.state.phase != "lobby":
        return
    created = await conferences.load_conference(services.store, conference_id)
    if created is None or not created.request.start_when_joined:
        return
    with contextlib.suppress(RuleViolation):  # too few players yet: the next one to join starts it
        await table.execute(StartRound(at=now()), FACILITATOR, "start-when-joined")


@router.get("/api/tables/{table_id}/events", response_model=EventsResponse)
async def table_events(
    table_id: str, services: ServicesDep, who: ClaimsDep, after: Annotated[int, Query(ge=0)] = 0
) -> EventsResponse:
    if who.role != "facilitator" or await services.conference_of(table_id) != who.conference_id:
        raise fail(403, "auth.forbidden", "facilitator of this table only")
    records = await services.store.read(table_stream(table_id), after=after)
    return EventsResponse(table_id=table_id, events=[_stored_event_out(r) for r in records])


CODE = re.compile(r"^[A-Z0-9]{1,20}$")


@router.get("/join/{code}/qr.svg", include_in_schema=False)
async def join_qr(request: Request, code: str, services: ServicesDep) -> Response:
    """The QR code of `/join/{code}` on this server, as SVG. It says nothing about whether the code exists."""
    code = normalise_code(code)
    if not CODE.match(code):
        raise fail(404, "join.unknown_code", "not a join code")
    url = f"{join_base(request, services.settings)}/join/{code}"
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", border=2, xmldecl=False, omitsize=True, light="#fff", title=url)
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})


# ---- who is asking -------------------------------------------------------------------------------


async def _table_for(services: Services, table_id: str, claims: Claims) -> Table:
    """The table, when the token is a player's at it or the facilitator's of its conference."""
    if claims.role == "player":
        allowed = claims.table_id == table_id
    else:
        allowed = claims.role == "facilitator" and await services.conference_of(table_id) == claims.conference_id
    if not allowed:
        raise fail(403, "auth.wrong_table", "the token is not for this table")
    try:
        table = await services.tables.get(table_id)
    except KeyError:
        raise fail(404, "table.unknown", "no such table") from None
    if claims.role == "player" and claims.player_id in table.removed:
        raise fail(403, "auth.revoked", "the facilitator removed this player")
    return table


# ---- the live meter ------------------------------------------------------------------------------


class MeterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cards: list[str] = Field(max_length=MAX_PORTFOLIO, description="Card ids of the portfolio")


@router.post(
    "/api/tables/{table_id}/meter",
    response_model=MeterView,
    tags=["web"],
    responses={422: {"description": "Invalid portfolio: detail = {code, message, params}"}},
)
async def live_meter(
    table_id: str,
    body: Annotated[MeterRequest, Body()],
    services: ServicesDep,
    claims: ClaimsDep,
    lang: Lang = "da",
) -> MeterView:
    """The engine's meter for a portfolio under the events drawn so far at this table, with its warnings and
    `why`: the debrief's why for this portfolio in words, its failed conditions with the cheapest fix, and
    the cards that cannot be added to it and why (engine/explain.py `explain`)."""
    table = await _table_for(services, table_id, claims)
    state = table.state
    if state.config is None:
        raise fail(409, "game.not_created", RuleViolation("game.not_created").message(lang))
    cards = tuple(body.cards)
    try:
        validate_portfolio(state.deck, cards, events_in_force(state), adjustments(state))
    except RuleViolation as violation:
        raise fail(422, violation.code, violation.message(lang), params=violation.params) from None
    # The fix search takes a few tenths of a second the first time for a portfolio: off the event loop.
    return await run_in_threadpool(lambda: meter(state, cards, explained=True))


class BlockedResponse(BaseModel):
    blocked: list[Blocked] = Field(description="Each card that cannot be added to an empty portfolio now, and why")


@router.get("/api/tables/{table_id}/blocked", response_model=BlockedResponse, tags=["web"])
async def get_blocked(table_id: str, services: ServicesDep, claims: ClaimsDep) -> BlockedResponse:
    """The cards that cannot go into an empty portfolio under the events in force, and why (engine/explain.py
    `blocked_at`: requires, disabled by an event), as the meter's `why.blocked` says once a card is picked."""
    table = await _table_for(services, table_id, claims)
    return BlockedResponse(blocked=list(blocked_at(table.state)))


# ---- the debrief ---------------------------------------------------------------------------------

_DEBRIEFS: OrderedDict[tuple[str, int, str, int, bool], tuple[bytes, bytes]] = OrderedDict()
_DEBRIEF_CACHE = 64


@router.get(
    "/api/tables/{table_id}/debrief",
    tags=["web"],
    responses={
        200: {"model": TableDebrief, "description": "The table debrief (docs/debrief.schema.json)"},
        403: {"description": "auth.wrong_table (not this table's player, facilitator or projector) or auth.revoked"},
        404: {"description": "table.unknown"},
        409: {"description": "debrief.not_shown: a player asked before the facilitator showed the debrief"},
    },
)
async def get_table_debrief(request: Request, table_id: str, services: ServicesDep, claims: ClaimsDep) -> Response:
    """The engine's table debrief: the Debrief plus `why`, `fixes`, `dialogue` and `administration`.

    A player's token once the facilitator has shown it; the facilitator's any time; the conference projector's
    any time, with every player named "Spiller N" and, until the debrief is shown, no hjertesager."""
    projector = claims.role == "projector"
    if projector:
        if await services.conference_of(table_id) != claims.conference_id:
            raise fail(403, "auth.wrong_table", "the token is not for this table")
        try:
            table = await services.tables.get(table_id)
        except KeyError:
            raise fail(404, "table.unknown", "no such table") from None
    else:
        table = await _table_for(services, table_id, claims)
    state = table.state
    if claims.role == "player" and state.phase != "debrief":
        raise fail(409, "debrief.not_shown", "Debriefingen er ikke vist endnu. / The debrief has not been shown yet.")
    if projector:
        players = {key: replace(p, name=f"Spiller {p.number}") for key, p in state.players.items()}
        state = replace(state, players=players)
    # After an anonymisation the same seq folds to other names (Table.refolds).
    key = (table_id, state.seq, state.config.deck_digest if state.config else "", table.refolds, projector)
    cached = _DEBRIEFS.get(key)
    if cached is None:
        result = await run_in_threadpool(table_debrief, state)  # 10,000 Monte Carlo draws: off the event loop
        if projector and state.phase != "debrief":
            result = result.model_copy(update={"hjertesager": ()})  # secret until the debrief (issue 13)
        body = result.model_dump_json().encode()
        cached = (body, gzip.compress(body, mtime=0))
        _DEBRIEFS[key] = cached
        while len(_DEBRIEFS) > _DEBRIEF_CACHE:
            _DEBRIEFS.popitem(last=False)
    etag = f'"{table_id}-{state.seq}{"-p" if projector else ""}"'
    return bytes_response(request, cached[0], cached[1], "application/json", etag, "private, no-cache")
