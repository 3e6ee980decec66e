"""Practice bots over HTTP (issue 18, docs/bots.md): the facilitator seats bots at a table or removes one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from engine import FACILITATOR, RuleViolation
from engine.model import RemovePlayer
from server.auth import Claims
from server.deps import ClaimsDep, Services, ServicesDep, fail
from server.live import conferences
from server.live.bots import seat_bots
from server.live.tables import Table, now

router = APIRouter(tags=["bots"])


class BotsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=8, description="How many bots to seat")
    pace_seconds: float | None = Field(
        default=None, ge=0, le=600, description="Seconds between this table's bots' actions (docs/bots.md)"
    )


class BotPlayer(BaseModel):
    player_id: str
    name: str


class BotsResponse(BaseModel):
    players: list[BotPlayer]


async def _facilitators_table(services: Services, table_id: str, who: Claims) -> Table:
    conference_id = await services.conference_of(table_id)
    if conference_id is None:
        raise fail(404, "table.unknown", "no such table")
    if who.role != "facilitator" or who.conference_id != conference_id:
        raise fail(403, "auth.forbidden", "facilitator of this table only")
    try:
        return await services.tables.get(table_id)
    except KeyError:
        raise fail(404, "table.unknown", "no such table") from None


async def _language(services: Services, table_id: str) -> Literal["da", "en"]:
    conference_id = await services.conference_of(table_id)
    created = await conferences.load_conference(services.store, conference_id) if conference_id else None
    return created.request.language if created is not None else "da"


@router.post("/api/tables/{table_id}/bots", status_code=201, response_model=BotsResponse)
async def add_bots(
    table_id: str, body: BotsRequest, services: ServicesDep, who: ClaimsDep, lang: Literal["da", "en"] = "da"
) -> BotsResponse:
    """Seat `count` practice bots at the table (the facilitator's token). They play through the same commands
    as a person, at the table's pace; 409 with the seat's code (`seat.table_full`, `game.ended`) when they do
    not all fit, and then none is seated."""
    table = await _facilitators_table(services, table_id, who)
    if body.pace_seconds is not None:
        await services.store.set_key(f"bot-pace:{table_id}", repr(body.pace_seconds))
    try:
        seated = await seat_bots(services.store, table, body.count, await _language(services, table_id))
    except RuleViolation as violation:
        raise fail(409, violation.code, violation.message(lang)) from None
    if services.bots is not None:
        services.bots.kick()
    return BotsResponse(players=[BotPlayer(player_id=player_id, name=name) for player_id, name in seated])


@router.delete("/api/tables/{table_id}/bots/{player_id}", status_code=204)
async def remove_bot(
    table_id: str, player_id: str, services: ServicesDep, who: ClaimsDep, lang: Literal["da", "en"] = "da"
) -> Response:
    """ "Fjern bot": the bot leaves its seat (recorded as `player_removed`) and stops acting."""
    table = await _facilitators_table(services, table_id, who)
    player = table.state.players.get(player_id)
    if player is None or not player.bot or not player.seated:
        raise fail(404, "bot.unknown", "no bot of that id is seated at this table")
    try:
        await table.execute(
            RemovePlayer(at=now(), player_id=player_id), FACILITATOR, f"bot-remove:{player_id}:{player.number}"
        )
    except RuleViolation as violation:
        raise fail(409, violation.code, violation.message(lang)) from None
    return Response(status_code=204)
