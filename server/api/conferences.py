"""The conference's setup: create it, read it, the projector's token, delete it (docs/conferences.md).

Reading needs the token of the conference's facilitator or projector (`Authorization: Bearer …`); deleting
and the projector's token need the facilitator's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field

from engine import FACILITATOR, RuleViolation, decide
from engine.budget import target_years
from engine.format import format_mio
from engine.model import Byraad, Years
from engine.rules import initial_state, table_byraad
from server.api.access import admin_password_ok, conference_for, join_base
from server.auth import Claims
from server.deps import ClaimsDep, Services, ServicesDep, fail
from server.live import conferences
from server.live.conferences import ConferenceCreated, ConferenceRequest, TableRef, table_name
from server.live.feasibility import cached_feasible_range
from server.operations.retention import delete

log = logging.getLogger("raaderum.control")

router = APIRouter()


class ConferenceResponse(BaseModel):
    conference_id: str
    facilitator_token: str
    tables: list[TableRef]


class ProjectorTokenResponse(BaseModel):
    token: str


UNREACHABLE = {
    "da": "Målet på {target} kan ikke nås med dette kortsæt: det kan højst give {max} i budgetåret.",
    "en": "A target of {target} cannot be reached with this deck: it can deliver at most {max} in the budget year.",
}


@router.post("/api/conferences", status_code=201, response_model=ConferenceResponse)
async def create_conference(
    body: ConferenceRequest,
    services: ServicesDep,
    x_admin_password: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> ConferenceResponse:
    """Needs RAADERUM_ADMIN_PASSWORD, when it is set, in `X-Admin-Password` (or HTTP basic auth)."""
    if not admin_password_ok(services.settings, x_admin_password, authorization):
        raise fail(401, "auth.admin_password", "X-Admin-Password: the operator's password")
    if body.target is not None:
        await _refuse_unreachable(services, body.deck, body.target, body.language)
    if body.byraad is not None:
        await _refuse_unsound(services, body)
    try:
        created = await conferences.create_conference(services.store, services.tables, body)
    except KeyError:
        raise fail(422, "conference.unknown_deck", f"no deck {body.deck!r}") from None
    token = services.signer.sign(Claims(role="facilitator", conference_id=created.conference_id))
    return ConferenceResponse(conference_id=created.conference_id, facilitator_token=token, tables=created.tables)


async def _refuse_unreachable(services: Services, deck_id: str, target: float, lang: str) -> None:
    """422 `conference.target_unreachable` when no portfolio of the deck meets the verdict at this X."""
    try:
        deck = await services.tables.decks.fetch(services.store, deck_id)
    except KeyError:
        return  # create_conference answers conference.unknown_deck
    # The search takes seconds the first time for a deck (then it is cached): keep the event loop free.
    feasible = await asyncio.to_thread(cached_feasible_range, deck, services.settings.cache_dir)
    if not feasible.allows(target):
        message = UNREACHABLE[lang].format(target=format_mio(target, lang), max=format_mio(feasible.max_target, lang))
        raise fail(422, "conference.target_unreachable", message, details={"max_target": feasible.max_target})


async def _refuse_unsound(services: Services, body: ConferenceRequest) -> None:
    """422 with the rule's code when the engine would refuse the tables' create_game (a byråd with more
    mandates than seats), before anything is written: the rule is the engine's, tried on an empty table."""
    try:
        deck = await services.tables.decks.fetch(services.store, body.deck)
    except KeyError:
        return  # create_conference answers conference.unknown_deck
    try:
        decide(initial_state(deck), body.create_game(1, 0, datetime.now().astimezone()), FACILITATOR)
    except RuleViolation as violation:
        raise fail(422, violation.code, violation.message(body.language), details=violation.params) from None


@router.post("/api/conferences/{conference_id}/projector-token", response_model=ProjectorTokenResponse)
async def projector_token(conference_id: str, services: ServicesDep, who: ClaimsDep) -> ProjectorTokenResponse:
    """A read-only token for the hall's screen: any table of the conference, names and chat hidden."""
    if who.role != "facilitator" or who.conference_id != conference_id:
        raise fail(403, "auth.forbidden", "facilitator of this conference only")
    token = services.signer.sign(Claims(role="projector", conference_id=conference_id))
    return ProjectorTokenResponse(token=token)


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
    byraad: Byraad | None = Field(
        default=None, description="Byråd mode as the tables play it (the deck's parties when none were given)"
    )


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
        byraad=table_byraad(deck, request.byraad),
        tables=[
            ConferenceTable(
                table_id=ref.table_id,
                number=number,
                name=table_name(number, request.language),
                join_code=ref.join_code,
                join_url=f"{base}/join/{ref.join_code}",
            )
            for number, ref in enumerate(created.tables, start=1)
        ],
    )


@router.get("/api/conferences/{conference_id}", response_model=ConferenceInfo, tags=["conferences"])
async def get_conference(request: Request, conference_id: str, services: ServicesDep, who: ClaimsDep) -> ConferenceInfo:
    """The conference's setup and its tables with their join codes (facilitator or projector)."""
    created = await conference_for(services, who, conference_id, projector=True)
    await services.tables.decks.fetch(services.store, created.request.deck)  # an uploaded deck: into this process
    return conference_info(services, created, join_base(request, services.settings))


@router.delete("/api/conferences/{conference_id}", status_code=204, tags=["conferences"])
async def delete_conference(request: Request, conference_id: str, services: ServicesDep, who: ClaimsDep) -> Response:
    """Delete the conference: every table's log (names, chat, everything), its join codes and keys."""
    await conference_for(services, who, conference_id)
    await delete(request.app, conference_id)
    log.info("conference %s deleted by its facilitator", conference_id)
    return Response(status_code=204)
