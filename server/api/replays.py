"""Replay and archive over HTTP: export logs, upload them, and the read-only replay viewer.

- `GET /api/tables/{table_id}/export` and `GET /api/conferences/{conference_id}/export`: the facilitator's
  token of that conference, like the events API; `?pseudonymise=true` replaces the players' names.
- `POST /api/replays`: the body is a log file (one table or a conference). With RAADERUM_ADMIN_PASSWORD set
  it needs the operator's password (as for creating a conference) or a facilitator's token; without one,
  anyone may upload, as anyone may create a conference. At most RAADERUM_MAX_UPLOAD_MB, and
  RAADERUM_UPLOADS_PER_MINUTE from one address. A replay is reachable only by its id, which cannot be
  guessed without the log.
- `GET /api/replays/{id}` (the timeline and the deck's names), `GET /api/replays/{id}/at/{seq}` (what the
  table saw after event `seq`), `GET /api/replays/{id}/export` (the log, as it was imported).

The pages, `/replay` (upload a log) and `/replay/{id}?at=SEQ` (the viewer), are server/web/replay.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel

from engine.archive import ArchiveError
from engine.deck import Deck
from server.api.access import admin_password_ok
from server.auth import Claims, InvalidToken
from server.deps import ClaimsDep, Lang, ReplaysDep, Services, ServicesDep, fail
from server.operations.archive import ExportError, Replay, Replays, export_conference, export_table
from server.responses import content_disposition

MAX_UPLOAD_MB = 64  # the default of RAADERUM_MAX_UPLOAD_MB; a 20,000-event log is about 5 MB

router = APIRouter()


def _facilitator_of(claims: Claims, conference_id: str | None) -> None:
    """403 for anyone but the facilitator of `conference_id`."""
    if claims.role != "facilitator" or conference_id is None or claims.conference_id != conference_id:
        raise fail(403, "auth.forbidden", "facilitator of this table only")


def _download(text: str, name: str) -> Response:
    """A log as a file: its name keeps æ, ø and å (RFC 6266 `filename*`, an ASCII `filename` beside it)."""
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-") or "log"
    filename = f"raaderum-{safe}.jsonl"
    return Response(
        text.encode(),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


def _export_failed(error: ExportError) -> HTTPException:
    status = 404 if error.code.endswith(".unknown") else 409
    return fail(status, error.code, error.message)


# ---- Export --------------------------------------------------------------------------------------


@router.get("/api/tables/{table_id}/export", tags=["replay"], response_class=Response)
async def export_table_log(
    table_id: str,
    services: ServicesDep,
    who: ClaimsDep,
    pseudonymise: Annotated[bool, Query(description="Replace player names by Spiller 1, Spiller 2, …")] = False,
) -> Response:
    """The table's whole log as JSONL (docs/replay.md): a header with the deck, then one line per event."""
    _facilitator_of(who, await services.conference_of(table_id))
    try:
        log = await export_table(services.store, services.tables.decks, table_id, pseudonymised=pseudonymise)
    except ExportError as error:
        raise _export_failed(error) from None
    return _download(log.render(), f"{log.header.table.table_name}-{table_id}")


@router.get("/api/conferences/{conference_id}/export", tags=["replay"], response_class=Response)
async def export_conference_log(
    conference_id: str,
    services: ServicesDep,
    who: ClaimsDep,
    pseudonymise: Annotated[bool, Query(description="Replace player names by Spiller 1, Spiller 2, …")] = False,
) -> Response:
    """Every table of the conference in one JSONL file: a conference line, then each table's log."""
    _facilitator_of(who, conference_id)
    try:
        archive = await export_conference(
            services.store, services.tables.decks, conference_id, pseudonymised=pseudonymise
        )
    except ExportError as error:
        raise _export_failed(error) from None
    return _download(archive.render(), f"conference-{conference_id}")


# ---- Import --------------------------------------------------------------------------------------


class ImportedReplay(BaseModel):
    replay_id: str
    table_id: str
    table_name: str
    events: int
    url: str


class ImportResponse(BaseModel):
    replays: list[ImportedReplay]


@router.post(
    "/api/replays",
    status_code=201,
    response_model=ImportResponse,
    tags=["replay"],
    responses={
        401: {"description": "RAADERUM_ADMIN_PASSWORD is set: the operator's password or a facilitator's token"},
        413: {"description": "The log is larger than the server accepts"},
        429: {"description": "Too many uploads from this address this minute (replay.rate_limited)"},
        422: {"description": "The log was refused: detail = {code: replay.invalid, message: 'line N: why', line}"},
    },
)
async def upload_replay(
    request: Request,
    replays: ReplaysDep,
    services: ServicesDep,
    x_admin_password: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> ImportResponse:
    """Import a log file (the request body, as exported) as read-only replays, one per table in it.

    Everything is checked before anything is stored; a refused log stores nothing.
    """
    settings = services.settings
    if not _may_upload(services, x_admin_password, authorization):
        raise HTTPException(
            401,
            detail={"code": "auth.admin_password", "message": "the operator's password or a facilitator's token"},
            headers={"WWW-Authenticate": 'Basic realm="raaderum"'},
        )
    if not _upload_allowed_now(request, settings.uploads_per_minute):
        raise fail(429, "replay.rate_limited", f"at most {settings.uploads_per_minute} uploads a minute")
    limit = settings.max_upload_mb * 1024 * 1024
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise fail(413, "replay.too_large", f"a log may be at most {settings.max_upload_mb} MB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise fail(422, "replay.invalid", f"line {line}: not UTF-8 text", line=line) from None
    try:
        imported = await replays.add(text)
    except ArchiveError as error:
        raise fail(422, "replay.invalid", str(error), line=error.line) from None
    except RecursionError:  # a line nested deeper than the JSON decoder goes
        raise fail(422, "replay.invalid", "a line is nested too deeply", line=None) from None
    return ImportResponse(
        replays=[
            ImportedReplay(
                replay_id=item.replay_id,
                table_id=item.table_id,
                table_name=item.table_name,
                events=item.events,
                url=f"/replay/{item.replay_id}",
            )
            for item in imported
        ]
    )


def _may_upload(services: Services, x_admin_password: str | None, authorization: str | None) -> bool:
    """Without an operator password anyone; with one, the operator or any conference's facilitator."""
    if admin_password_ok(services.settings, x_admin_password, authorization):
        return True
    if authorization is None or not authorization.startswith("Bearer "):
        return False
    try:
        return services.signer.verify(authorization.removeprefix("Bearer ").strip()).role == "facilitator"
    except InvalidToken:
        return False


def _upload_allowed_now(request: Request, per_minute: int) -> bool:
    """A sliding minute per client address, in this process (behind a proxy: the address it forwards)."""
    recent: dict[str, deque[float]] | None = getattr(request.app.state, "replay_uploads", None)
    if recent is None:
        recent = request.app.state.replay_uploads = {}
    moment = time.monotonic()
    for address in [address for address, times in recent.items() if times[-1] < moment - 60]:
        del recent[address]  # forget quiet addresses, so the table does not grow
    times = recent.setdefault(request.client.host if request.client else "", deque())
    while times and times[0] < moment - 60:
        times.popleft()
    if len(times) >= per_minute:
        return False
    times.append(moment)
    return True


# ---- The viewer's data -----------------------------------------------------------------------------

ReplayId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{20}$")]


async def _replay(replays: Replays, replay_id: str) -> Replay:
    try:
        return await replays.get(replay_id)
    except KeyError:
        raise fail(404, "replay.unknown", "no such replay") from None


def _names(deck: Deck, lang: str) -> dict[str, Any]:
    scenario = deck.scenario
    return {
        "municipality": scenario.municipality.get(lang),
        "years": list(scenario.years),
        "cards": {
            card.id: {"title": card.title.get(lang), "kind": card.kind, "area": card.area} for card in deck.cards
        },
        "events": {event.id: {"title": event.title.get(lang)} for event in deck.events},
        "roles": {role.id: {"title": role.title.get(lang)} for role in deck.roles},
        "abilities": {
            ability.id: {"title": ability.title.get(lang)} for role in deck.roles for ability in role.abilities
        },
    }


@router.get("/api/replays/{replay_id}", tags=["replay"])
async def replay_meta(replays: ReplaysDep, replay_id: ReplayId, lang: Lang = "da") -> Response:
    """The replay's timeline: header facts, the number of events, the markers, and the deck's names."""
    replay = await _replay(replays, replay_id)
    header = replay.log.header
    body = {
        "replay_id": replay.replay_id,
        "table": header.table.model_dump(mode="json"),
        "raaderum_version": header.raaderum_version,
        "deck_id": header.deck_id,
        "deck_digest": header.deck_digest,
        "total": replay.log.total,
        "markers": [[marker.seq, marker.kind, marker.label] for marker in replay.markers],
        "deck": _names(replay.log.deck, lang),
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, media_type="application/json", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/api/replays/{replay_id}/at/{seq}", tags=["replay"])
async def replay_frame(replays: ReplaysDep, replay_id: ReplayId, seq: Annotated[int, PathParam(ge=1)]) -> Response:
    """What the table saw right after event `seq`: {seq, total, event, view, proposal_meter, debrief}.

    The view is the facilitator's (`engine.views.view`); the debrief is there once the game has ended.
    """
    replay = await _replay(replays, replay_id)
    if seq > replay.log.total:
        raise fail(404, "replay.beyond_end", f"the log has {replay.log.total} events")
    data = await asyncio.to_thread(replay.frame_json, seq)
    # A replay never changes: a frame can be cached as long as the browser likes.
    return Response(data, media_type="application/json", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/api/replays/{replay_id}/export", tags=["replay"], response_class=Response)
async def replay_export(replays: ReplaysDep, replay_id: ReplayId) -> Response:
    """The imported log, byte for byte as an export of it gives it."""
    try:
        text = await replays.text(replay_id)
    except KeyError:
        raise fail(404, "replay.unknown", "no such replay") from None
    return _download(text, f"replay-{replay_id}")
