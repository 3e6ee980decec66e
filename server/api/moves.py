"""A player whom the facilitator moved to another table (see api/actions.py) finds their new seat."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from server.auth import Claims
from server.deps import ClaimsDep, ServicesDep, fail
from server.live import conferences

router = APIRouter()


# ---- a moved player's new seat ---------------------------------------------------------------------------------


class MovedSeat(BaseModel):
    table_id: str
    player_id: str
    token: str
    join_code: str


@router.post("/api/tables/{table_id}/follow-move", response_model=MovedSeat, tags=["conferences"])
async def follow_move(table_id: str, services: ServicesDep, claims: ClaimsDep) -> MovedSeat:
    """A player the facilitator moved to another table trades their token for the new seat's (404 if not moved)."""
    if claims.role != "player" or claims.table_id != table_id or claims.player_id is None:
        raise fail(403, "auth.wrong_table", "a player's token for this table only")
    move = await conferences.find_move(services.store, claims.conference_id, table_id, claims.player_id)
    created = await conferences.load_conference(services.store, claims.conference_id)
    codes = {ref.table_id: ref.join_code for ref in created.tables} if created else {}
    try:
        still_here = (await services.tables.get(table_id)).state.is_seated(claims.player_id)
    except KeyError:
        still_here = False
    if move is None or move.to_table not in codes or still_here:
        raise fail(404, "move.none", "the facilitator has not moved this player")
    token = services.signer.sign(
        Claims(role="player", conference_id=claims.conference_id, table_id=move.to_table, player_id=move.to_player)
    )
    return MovedSeat(table_id=move.to_table, player_id=move.to_player, token=token, join_code=codes[move.to_table])
