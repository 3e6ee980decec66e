"""Erasing personal data over HTTP (server/operations/privacy.py; docs/privacy.md).

- `POST /api/conferences/{conference_id}/anonymise`: the facilitator's token. Every table of the conference
  loses its players' names ("Spiller N") and its chat and announcement texts, in the store; the game, its
  votes and figures stay.
- `POST /api/tables/{table_id}/erase-me`: a player's own token (also after being removed). The player leaves
  their seat if they still hold it, and their name becomes "Spiller N".
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter
from pydantic import BaseModel

from engine import Actor, RuleViolation
from engine.model import Leave
from server.api.access import conference_for
from server.deps import ClaimsDep, ServicesDep, fail
from server.live.tables import now
from server.operations.privacy import erase_table

router = APIRouter()


class Anonymised(BaseModel):
    tables: int
    names: int
    messages: int


class ErasedName(BaseModel):
    player_id: str
    names: int


@router.post("/api/conferences/{conference_id}/anonymise", response_model=Anonymised, tags=["conferences"])
async def anonymise_conference(conference_id: str, services: ServicesDep, who: ClaimsDep) -> Anonymised:
    """Erase the names and the chat of every table of the conference from the store; the game stays."""
    created = await conference_for(services, who, conference_id)
    result = Anonymised(tables=0, names=0, messages=0)
    for ref in created.tables:
        erased = await erase_table(services.store, services.tables, ref.table_id)
        result.tables += 1
        result.names += erased.names
        result.messages += erased.messages
    return result


@router.post("/api/tables/{table_id}/erase-me", response_model=ErasedName, tags=["web"])
async def erase_me(table_id: str, services: ServicesDep, who: ClaimsDep) -> ErasedName:
    """The player leaves the table (if seated) and their name is erased from its log."""
    if who.role != "player" or who.table_id != table_id or who.player_id is None:
        raise fail(403, "auth.wrong_table", "a player's own token for this table")
    try:
        table = await services.tables.get(table_id)
    except KeyError:
        raise fail(404, "table.unknown", "no such table") from None
    # After the game has ended there is no seat to give up (a rule violation): the name goes all the same.
    if table.state.is_seated(who.player_id):
        with contextlib.suppress(RuleViolation):
            await table.execute(Leave(at=now()), Actor.player(who.player_id), f"{who.player_id}:erase-me")
    erased = await erase_table(services.store, services.tables, table_id, who.player_id)
    return ErasedName(player_id=who.player_id, names=erased.names)
