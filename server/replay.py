"""Replay and archive over HTTP: export logs, upload them, and the read-only replay viewer.

- `GET /api/tables/{table_id}/export` and `GET /api/conferences/{conference_id}/export`: the facilitator's
  token of that conference, like the events API; `?pseudonymise=true` replaces the players' names.
- `POST /api/replays`: the body is a log file (one table or a conference). Anyone may upload — creating a
  conference needs no credentials either, so a token would not keep anyone out — within MAX_UPLOAD bytes.
  A replay is reachable only by its id, which cannot be guessed without the log.
- `GET /api/replays/{id}` (the timeline and the deck's names), `GET /api/replays/{id}/at/{seq}` (what the
  table saw after event `seq`), `GET /api/replays/{id}/export` (the log, as it was imported).
- Pages: `/replay` (upload a log) and `/replay/{id}?at=SEQ` (the viewer).

The pages' interface strings are the gettext catalog `clients/web/locale/{lang}/LC_MESSAGES/replay.po`
(Danish by default, English with `?lang=en`), shared by the Jinja2 templates and, as JSON in the page,
by the viewer's ES modules under `clients/web/static/replay/`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from pydantic import BaseModel

from engine.archive import ArchiveError
from engine.deck import Deck
from server.archive import ExportError, Replay, Replays, export_conference, export_table
from server.auth import Claims, InvalidToken
from server.web import make_environment

if TYPE_CHECKING:
    from server.app import Services

WEB_DIR = Path(__file__).resolve().parent.parent / "clients" / "web"
MAX_UPLOAD_MB = 64
MAX_UPLOAD = MAX_UPLOAD_MB * 1024 * 1024  # bytes; a 20,000-event log is about 5 MB
LANG_COOKIE = "raaderum_lang"  # the web client's language cookie, read here, never set
Lang = Literal["da", "en"]

router = APIRouter()


def _fail(status: int, code: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(status, detail={"code": code, "message": message, **extra})


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def app_replays(app: Any) -> Replays:
    """The process's imported replays, made on first use (next to the app's other services)."""
    services: Services = app.state.services
    replays: Replays | None = getattr(app.state, "replays", None)
    if replays is None or replays.store is not services.store:
        replays = Replays(services.store, retention_days=services.settings.retention_days)
        app.state.replays = replays
    return replays


def replays_of(request: Request) -> Replays:
    return app_replays(request.app)


async def _facilitator_of(request: Request, conference_id: str | None, authorization: str | None) -> Claims:
    """The claims of the facilitator of `conference_id`: 401 without a valid token, 403 for anyone else."""
    if not authorization or not authorization.startswith("Bearer "):
        raise _fail(401, "auth.missing_token", "Authorization: Bearer <token>")
    try:
        claims = _services(request).signer.verify(authorization.removeprefix("Bearer ").strip())
    except InvalidToken:
        raise _fail(401, "auth.invalid_token", "invalid token") from None
    if claims.role != "facilitator" or conference_id is None or claims.conference_id != conference_id:
        raise _fail(403, "auth.forbidden", "facilitator of this table only")
    return claims


def _download(text: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "log"
    return Response(
        text.encode(),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="raaderum-{safe}.jsonl"', "Cache-Control": "no-store"},
    )


def _export_failed(error: ExportError) -> HTTPException:
    status = 404 if error.code.endswith(".unknown") else 409
    return _fail(status, error.code, error.message)


# ---- Export --------------------------------------------------------------------------------------


@router.get("/api/tables/{table_id}/export", tags=["replay"], response_class=Response)
async def export_table_log(
    request: Request,
    table_id: str,
    pseudonymise: Annotated[bool, Query(description="Replace player names by Spiller 1, Spiller 2, …")] = False,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """The table's whole log as JSONL (docs/replay.md): a header with the deck, then one line per event."""
    services = _services(request)
    await _facilitator_of(request, await services.conference_of(table_id), authorization)
    try:
        log = await export_table(services.store, services.tables.decks, table_id, pseudonymised=pseudonymise)
    except ExportError as error:
        raise _export_failed(error) from None
    return _download(log.render(), f"{log.header.table.table_name}-{table_id}")


@router.get("/api/conferences/{conference_id}/export", tags=["replay"], response_class=Response)
async def export_conference_log(
    request: Request,
    conference_id: str,
    pseudonymise: Annotated[bool, Query(description="Replace player names by Spiller 1, Spiller 2, …")] = False,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Every table of the conference in one JSONL file: a conference line, then each table's log."""
    services = _services(request)
    await _facilitator_of(request, conference_id, authorization)
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
        413: {"description": "The log is larger than the server accepts"},
        422: {"description": "The log was refused: detail = {code: replay.invalid, message: 'line N: why', line}"},
    },
)
async def upload_replay(request: Request) -> ImportResponse:
    """Import a log file (the request body, as exported) as read-only replays, one per table in it.

    Everything is checked before anything is stored; a refused log stores nothing.
    """
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD:
            raise _fail(413, "replay.too_large", f"a log may be at most {MAX_UPLOAD_MB} MB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise _fail(422, "replay.invalid", f"line {line}: not UTF-8 text", line=line) from None
    try:
        imported = await replays_of(request).add(text)
    except ArchiveError as error:
        raise _fail(422, "replay.invalid", str(error), line=error.line) from None
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


# ---- The viewer's data -----------------------------------------------------------------------------

ReplayId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{20}$")]


async def _replay(request: Request, replay_id: str) -> Replay:
    try:
        return await replays_of(request).get(replay_id)
    except KeyError:
        raise _fail(404, "replay.unknown", "no such replay") from None


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
    }


@router.get("/api/replays/{replay_id}", tags=["replay"])
async def replay_meta(request: Request, replay_id: ReplayId, lang: Lang = "da") -> Response:
    """The replay's timeline: header facts, the number of events, the markers, and the deck's names."""
    replay = await _replay(request, replay_id)
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
async def replay_frame(request: Request, replay_id: ReplayId, seq: Annotated[int, PathParam(ge=1)]) -> Response:
    """What the table saw right after event `seq`: {seq, total, event, view, proposal_meter, debrief}.

    The view is the facilitator's (`engine.views.view`); the debrief is there once the game has ended.
    """
    replay = await _replay(request, replay_id)
    if seq > replay.log.total:
        raise _fail(404, "replay.beyond_end", f"the log has {replay.log.total} events")
    data = await asyncio.to_thread(replay.frame_json, seq)
    # A replay never changes: a frame can be cached as long as the browser likes.
    return Response(data, media_type="application/json", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/api/replays/{replay_id}/export", tags=["replay"], response_class=Response)
async def replay_export(request: Request, replay_id: ReplayId) -> Response:
    """The imported log, byte for byte as an export of it gives it."""
    try:
        text = await replays_of(request).text(replay_id)
    except KeyError:
        raise _fail(404, "replay.unknown", "no such replay") from None
    return _download(text, f"replay-{replay_id}")


# ---- Pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    translations: Translations
    messages_json: str


@lru_cache
def catalog(lang: str) -> Catalog:
    path = WEB_DIR / "locale" / lang / "LC_MESSAGES" / "replay.po"
    with path.open("rb") as file:
        parsed = read_po(file, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, parsed, use_fuzzy=False)
    buffer.seek(0)
    messages = {str(m.id): str(m.string) for m in parsed if m.id and m.string and not m.fuzzy}
    # Inside <script type="application/json">: "</" must not end the element.
    text = json.dumps({"lang": lang, "messages": messages}, ensure_ascii=False, sort_keys=True)
    return Catalog(Translations(buffer), text.replace("</", "<\\/"))


@lru_cache
def environment(lang: str) -> Environment:
    return make_environment(catalog(lang).translations)


_VERSIONS: dict[str, tuple[float, str]] = {}


def static_url(path: str) -> str:
    """A file under clients/web/static with its content hash, as the web client's static route serves it."""
    file = WEB_DIR / "static" / path
    mtime = file.stat().st_mtime
    cached = _VERSIONS.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, hashlib.sha256(file.read_bytes()).hexdigest()[:12])
        _VERSIONS[path] = cached
    return f"/static/{path}?v={cached[1]}"


def _lang(request: Request, lang: str | None) -> Lang:
    chosen = lang if lang in ("da", "en") else request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "da"


def _csp() -> str:
    # The web client's policy without its import map: the pages' data is JSON in <script type=application/json>.
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _page(request: Request, template: str, lang: Lang, status: int = 200, **context: Any) -> HTMLResponse:
    strings = catalog(lang).messages_json
    html = (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            other_lang="en" if lang == "da" else "da",
            static=static_url,
            strings=strings,
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": _csp(),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/replay", response_class=HTMLResponse, include_in_schema=False)
async def upload_page(request: Request, lang: str | None = None) -> HTMLResponse:
    return _page(request, "replay_upload.html", _lang(request, lang), max_mb=MAX_UPLOAD_MB)


@router.get("/replay/{replay_id}", response_class=HTMLResponse, include_in_schema=False)
async def viewer_page(request: Request, replay_id: str, lang: str | None = None) -> HTMLResponse:
    chosen = _lang(request, lang)
    try:
        replay = await replays_of(request).get(replay_id)
    except KeyError:
        return _page(request, "replay_upload.html", chosen, status=404, missing=True, max_mb=MAX_UPLOAD_MB)
    info = replay.log.header.table
    return _page(
        request,
        "replay.html",
        chosen,
        replay_id=replay_id,
        table_name=info.table_name,
        total=replay.log.total,
        municipality=replay.log.deck.scenario.municipality.get(chosen),
        pseudonymised=info.pseudonymised,
    )
