"""Seats that follow people (docs/protocol.md, "Seats"): a seat's code, and moving a seat to a new device.

A name is one seat per table (the engine refuses a second "Dina" with `seat.name_taken`). Someone whose phone
died, or who opened the table on a laptop, claims their seat on the new device with proof: the seat's short
code, shown on their own screen and to the facilitator, or the facilitator's "flyt pladsen til en ny enhed"
link, which carries it. The seat is handed over in the table's log (`seat_handed_over`), so every process
knows; the old device is told (`seat.moved`) and its token no longer acts.
"""

from __future__ import annotations

import time
from collections import deque
from urllib.parse import quote

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from engine import SYSTEM, RuleViolation
from engine.model import MAX_NAME, HandOverSeat
from engine.text import name_key
from server.api.access import conference_for, join_base
from server.auth import Claims
from server.deps import ClaimsDep, Services, ServicesDep, fail
from server.live import conferences
from server.live.conferences import normalise_code
from server.live.tables import Table, now

router = APIRouter()


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, description="The table's join code")
    name: str = Field(min_length=1, max_length=MAX_NAME, description="The name of the seat, as seated")
    seat_code: str = Field(min_length=1, max_length=20, description="The seat code (old screen, facilitator)")


class ClaimedSeat(BaseModel):
    table_id: str
    player_id: str
    name: str
    token: str


class SeatCode(BaseModel):
    player_id: str
    name: str
    seat_code: str


class FacilitatorSeat(SeatCode):
    handover_url: str = Field(description="Opens the join page on the new device with the name and seat code filled in")


class Seats(BaseModel):
    table_id: str
    seats: list[FacilitatorSeat]


def _claims_allowed(request: Request, per_minute: int) -> bool:
    """A sliding minute of claims per client address, in this process: seat codes cannot be guessed fast."""
    recent: dict[str, deque[float]] | None = getattr(request.app.state, "seat_claims", None)
    if recent is None:
        recent = request.app.state.seat_claims = {}
    moment = time.monotonic()
    for address in [address for address, times in recent.items() if times[-1] < moment - 60]:
        del recent[address]
    times = recent.setdefault(request.client.host if request.client else "", deque())
    while times and times[0] < moment - 60:
        times.popleft()
    if len(times) >= per_minute:
        return False
    times.append(moment)
    return True


async def _table(services: Services, code: str) -> tuple[Table, str]:
    table_id = await conferences.table_for_code(services.store, normalise_code(code))
    conference_id = await services.conference_of(table_id) if table_id else None
    if table_id is None or conference_id is None:
        raise fail(404, "join.unknown_code", "Ukendt kode / unknown code")
    return await services.tables.get(table_id), conference_id


@router.post("/api/join/claim", response_model=ClaimedSeat, tags=["tables"])
async def claim_seat(request: Request, body: ClaimRequest, services: ServicesDep) -> ClaimedSeat:
    """Continue on this device in the seat of the same name, with its seat code: the seat (its role, its votes)
    moves here and the device that held it stops acting (403 `seat.wrong_code`, 404 `seat.unknown`, 429)."""
    if not _claims_allowed(request, services.settings.seat_claims_per_minute):
        raise fail(429, "seat.rate_limited", "for mange forsøg; vent et minut / too many tries; wait a minute")
    table, conference_id = await _table(services, body.code)
    wanted = name_key(body.name)
    player = next((p for p in table.state.seated() if name_key(p.name) == wanted), None)
    if player is None:
        raise fail(404, "seat.unknown", "Ingen sidder ved bordet med det navn / nobody of that name is seated")
    if not services.signer.seat_code_ok(table.id, player.id, body.seat_code):
        raise fail(403, "seat.wrong_code", "Pladskoden passer ikke / the seat code is wrong")
    device = conferences.new_id()
    try:
        await table.execute(HandOverSeat(at=now(), player_id=player.id, device=device), SYSTEM, f"seat:{device}")
    except RuleViolation as violation:
        raise fail(409, violation.code, violation.message()) from None
    claims = Claims(role="player", conference_id=conference_id, table_id=table.id, player_id=player.id, device=device)
    return ClaimedSeat(table_id=table.id, player_id=player.id, name=player.name, token=services.signer.sign(claims))


@router.get("/api/tables/{table_id}/seat", response_model=SeatCode, tags=["tables"])
async def own_seat(table_id: str, services: ServicesDep, who: ClaimsDep) -> SeatCode:
    """The player's own seat and its code, for their screen ("Din pladskode: K7M2P")."""
    if who.role != "player" or who.table_id != table_id or who.player_id is None:
        raise fail(403, "auth.wrong_table", "a player's token for this table only")
    table = await services.tables.get(table_id)
    if not table.state.is_seated(who.player_id) or not table.device_ok(who.player_id, who.device):
        raise fail(403, "seat.moved", "this device no longer holds the seat")
    player = table.state.players[who.player_id]
    return SeatCode(player_id=player.id, name=player.name, seat_code=services.signer.seat_code(table_id, player.id))


@router.get("/api/tables/{table_id}/seats", response_model=Seats, tags=["conferences"])
async def table_seats(request: Request, table_id: str, services: ServicesDep, who: ClaimsDep) -> Seats:
    """Every seated player's seat code and "flyt pladsen til en ny enhed" link (the table's facilitator only)."""
    conference_id = await services.conference_of(table_id)
    if conference_id is None:
        raise fail(404, "table.unknown", "no such table")
    created = await conference_for(services, who, conference_id)
    codes = {ref.table_id: ref.join_code for ref in created.tables}
    table = await services.tables.get(table_id)
    base = join_base(request, services.settings)
    seats = []
    for player in table.state.seated():
        code = services.signer.seat_code(table_id, player.id)
        url = f"{base}/join/{codes.get(table_id, '')}#name={quote(player.name)}&seat={code}"
        seats.append(FacilitatorSeat(player_id=player.id, name=player.name, seat_code=code, handover_url=url))
    return Seats(table_id=table_id, seats=seats)
