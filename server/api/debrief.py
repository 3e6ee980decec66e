"""The cross-table debrief and its downloads (JSON, CSV)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from engine.conference import CrossDebrief
from server.api.access import conference_for
from server.api.debrief_csv import Dialect, cards_csv, tables_csv
from server.api.export_names import localised_json
from server.auth import Claims
from server.deps import ClaimsDep, MonitorDep, Services, ServicesDep, fail
from server.live.conferences import ConferenceCreated
from server.live.monitor import ConferenceGone, Monitor
from server.live.tables import now
from server.responses import content_disposition, download_name

log = logging.getLogger("raaderum.control")

router = APIRouter()


# ---- the cross-table debrief --------------------------------------------------------------------------------


class ConferenceDebrief(BaseModel):
    conference_id: str
    name: str
    generated_at: datetime
    debrief: CrossDebrief


async def _debrief(
    services: Services, monitor: Monitor, who: Claims, conference_id: str, *, projector: bool
) -> tuple[ConferenceCreated, ConferenceDebrief]:
    created = await conference_for(services, who, conference_id, projector=projector)
    try:
        cross = await monitor.cross(created)
    except ConferenceGone:
        raise fail(404, "conference.unknown", "a table of the conference is gone (deleted?)") from None
    return created, ConferenceDebrief(
        conference_id=conference_id, name=created.request.name, generated_at=now(), debrief=cross
    )


@router.get("/api/conferences/{conference_id}/debrief", response_model=ConferenceDebrief, tags=["conferences"])
async def get_debrief(
    conference_id: str, services: ServicesDep, monitor: MonitorDep, who: ClaimsDep
) -> ConferenceDebrief:
    """The cross-table debrief (facilitator or projector: it holds no names and no chat)."""
    _, result = await _debrief(services, monitor, who, conference_id, projector=True)
    return result


def _filename(name: str, suffix: str) -> str:
    """The conference's name kept as it is written (æ, ø and å too), only separators and specials dashed."""
    return download_name(name or "konference", suffix)


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"),
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


def _csv_suffix(base: str, dialect: Dialect) -> str:
    """One file name per variant: the Danish Excel dialect is `…-excel-da.csv`."""
    return base if dialect == "standard" else base.replace(".csv", f"-excel-{dialect}.csv")


@router.get("/api/conferences/{conference_id}/debrief.json", tags=["conferences"], response_class=Response)
async def download_debrief_json(
    conference_id: str, services: ServicesDep, monitor: MonitorDep, who: ClaimsDep
) -> Response:
    """The cross-table debrief as a JSON file (facilitator): GET …/debrief's content with its keys and the words
    among its values in the conference's language (Danish: `borde`, `fase`: `runde`; docs/conferences.md)."""
    created, result = await _debrief(services, monitor, who, conference_id, projector=False)
    lang = created.request.language
    dumped = result.model_dump(mode="json")
    # The three questions are prose: in the conference's language only (issue 14).
    dumped["debrief"]["dialogue"] = [
        {"id": q["id"], "question": q["question"][lang], "facts": [fact[lang] for fact in q["facts"]]}
        for q in dumped["debrief"]["dialogue"]
    ]
    body = localised_json(dumped, lang)
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return _download(text, "application/json", _filename(created.request.name, "debrief.json"))


@router.get("/api/conferences/{conference_id}/debrief.csv", tags=["conferences"], response_class=Response)
async def download_debrief_csv(
    conference_id: str,
    services: ServicesDep,
    monitor: MonitorDep,
    who: ClaimsDep,
    dialect: Annotated[Dialect, Query(description="da: ; and decimal commas, for Excel in Danish")] = "standard",
) -> Response:
    """A row per table (facilitator), its columns named in the conference's language. Shares and probabilities
    are 0-1, money mio. kr., flags 1/0."""
    created, result = await _debrief(services, monitor, who, conference_id, projector=False)
    body = tables_csv(result.debrief, dialect, created.request.language)
    return _download(
        body, "text/csv; charset=utf-8", _filename(created.request.name, _csv_suffix("tables.csv", dialect))
    )


@router.get("/api/conferences/{conference_id}/debrief-cards.csv", tags=["conferences"], response_class=Response)
async def download_cards_csv(
    conference_id: str,
    services: ServicesDep,
    monitor: MonitorDep,
    who: ClaimsDep,
    dialect: Annotated[Dialect, Query(description="da: ; and decimal commas, for Excel in Danish")] = "standard",
) -> Response:
    """A row per table × card (facilitator): `status` is chosen, proposed or never."""
    created, result = await _debrief(services, monitor, who, conference_id, projector=False)
    body = cards_csv(result.debrief, created.request.language, dialect)
    return _download(
        body, "text/csv; charset=utf-8", _filename(created.request.name, _csv_suffix("cards.csv", dialect))
    )
