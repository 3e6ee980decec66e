"""A table seen from outside its socket: joining it by code, its stored events, its join link's QR code."""

from __future__ import annotations

import io
import json
import re
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from engine import SYSTEM, RuleViolation
from engine.model import Join
from engine.versions import parse_stored_type
from server.api.access import join_base
from server.auth import Claims
from server.deps import ClaimsDep, ServicesDep, fail
from server.live import conferences
from server.live.conferences import JoinRequest, normalise_code
from server.live.tables import now, table_stream
from server.store import StoredEvent

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


@router.post("/api/join", response_model=JoinResponse)
async def join(body: JoinRequest, services: ServicesDep) -> JoinResponse:
    table_id = await conferences.table_for_code(services.store, body.code)
    conference_id = await services.conference_of(table_id) if table_id else None
    if table_id is None or conference_id is None:
        raise fail(404, "join.unknown_code", "Ukendt kode / unknown code")
    table = await services.tables.get(table_id)
    player_id = conferences.new_id()
    try:
        await table.execute(Join(at=now(), player_id=player_id, name=body.name), SYSTEM, f"join:{player_id}")
    except RuleViolation as violation:
        raise fail(409, violation.code, violation.message()) from None
    token = services.signer.sign(
        Claims(role="player", conference_id=conference_id, table_id=table_id, player_id=player_id)
    )
    return JoinResponse(table_id=table_id, player_id=player_id, token=token)


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
