"""The deck as JSON, for the pages (scenario, cards, events, roles), in one language or both; the list of
decks; and `POST /api/decks`, a municipality's råderumskatalog uploaded as a deck (engine/catalog.py)."""

from __future__ import annotations

import asyncio
import gzip
import json
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from engine.catalog import Catalog, CatalogError, CatalogInvalid, ImportReport, import_catalog, size_text
from engine.deck import Deck, DeckError
from engine.feasibility import FeasibleRange
from server.api.access import admin_password_ok
from server.deps import Lang, ServicesDep, fail
from server.live import stored_decks
from server.live.feasibility import cached_feasible_range
from server.responses import IMMUTABLE, REVALIDATE, bytes_response
from server.settings import Settings

router = APIRouter()


# ---- the deck ------------------------------------------------------------------------------------


# The shape of the JSON served for a deck, part of its version and ETag so that no cache keeps an older
# shape: 2 leaves out the roles' hjertesager (issue 13).
SERVED_SHAPE = 2


def deck_version(deck: Deck) -> str:
    return f"{deck.digest[:16]}.{SERVED_SHAPE}"


def _pick_lang(value: Any, lang: str) -> Any:
    """The deck's JSON with every Text ({da, en}) replaced by the chosen language's string."""
    if isinstance(value, dict):
        if set(value) == {"da", "en"} and all(isinstance(text, str) for text in value.values()):
            return value[lang]
        return {key: _pick_lang(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [_pick_lang(item, lang) for item in value]
    return value


@lru_cache(maxsize=32)
def _deck_json(deck: Deck, lang: str | None) -> tuple[bytes, bytes]:
    data: dict[str, Any] = deck.model_dump(mode="json")
    for role in data["roles"]:
        # Secret until the debrief (issue 13): a player gets its own in its view, the debrief reveals them all.
        del role["hjertesager"]
    if lang is not None:
        data = _pick_lang(data, lang)
    data["digest"] = deck.digest
    data["lang"] = lang
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return body, gzip.compress(body, mtime=0)


@router.get("/api/decks/{deck_id}", tags=["web"])
async def deck_json(
    request: Request,
    deck_id: str,
    services: ServicesDep,
    lang: Annotated[Lang | None, Query(description="Only this language's texts (smaller); both when absent")] = None,
    v: Annotated[str | None, Query(description="The deck's version; with it the answer is cached for a year")] = None,
) -> Response:
    """The deck (scenario, cards, events, roles) as JSON, without the roles' hjertesager (secret until the
    debrief: a player gets its own in its view). The ETag is the deck's digest."""
    try:
        deck = await services.tables.decks.fetch(services.store, deck_id)
    except KeyError:
        raise fail(404, "deck.unknown", f"no deck {deck_id!r}") from None
    body, gzipped = _deck_json(deck, lang)
    version = deck_version(deck)
    cache = IMMUTABLE if v == version else REVALIDATE
    etag = f'"{deck.digest}-{lang or "all"}.{SERVED_SHAPE}"'
    return bytes_response(request, body, gzipped, "application/json", etag, cache)


@router.get("/api/decks/{deck_id}/feasibility", response_model=FeasibleRange, tags=["web"])
async def deck_feasibility(deck_id: str, services: ServicesDep) -> FeasibleRange:
    """The targets the deck can deliver: the highest X (with and without the worst event) and the suggested
    levels let, middel and svær. `POST /api/conferences` refuses a target above `max_target`."""
    try:
        deck = await services.tables.decks.fetch(services.store, deck_id)
    except KeyError:
        raise fail(404, "deck.unknown", f"no deck {deck_id!r}") from None
    return await asyncio.to_thread(cached_feasible_range, deck, services.settings.cache_dir)


# ---- the list of decks and uploading a catalogue ---------------------------------------------------


class DeckSummary(BaseModel):
    deck_id: str
    municipality: dict[str, str]  # da, en
    cards: int
    digest: str
    uploaded: bool  # from POST /api/decks (in the event store), not a folder of the server's decks


def _summary(deck_id: str, deck: Deck) -> DeckSummary:
    name = deck.scenario.municipality
    return DeckSummary(
        deck_id=deck_id,
        municipality={"da": name.da, "en": name.en},
        cards=len(deck.cards),
        digest=deck.digest,
        uploaded=stored_decks.is_uploaded(deck_id),
    )


@router.get("/api/decks", response_model=list[DeckSummary], tags=["web"])
async def list_decks(services: ServicesDep) -> list[DeckSummary]:
    """Every deck a conference may be created on: the server's deck folders, then the uploaded decks."""
    found = []
    folder = services.settings.decks_dir
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if (path / "scenario.toml").exists():
            try:
                found.append(_summary(path.name, services.tables.decks.get(path.name)))
            except (KeyError, DeckError):  # a folder name that is no deck id, or a deck with problems
                continue
    for deck_id in sorted(await stored_decks.uploaded(services.store)):
        try:
            found.append(_summary(deck_id, await services.tables.decks.fetch(services.store, deck_id)))
        except KeyError:  # deleted by retention a moment ago
            continue
    return found


class DeckUploaded(BaseModel):
    deck_id: str
    report: ImportReport


INVALID = {
    "da": "Kataloget kan ikke bruges: ret fejlene og prøv igen",
    "en": "The catalogue cannot be used: correct the errors and try again",
}


def _lang(lang: str | None, accept_language: str | None) -> Lang:
    if lang in ("da", "en"):
        return lang  # type: ignore[return-value]
    return "en" if (accept_language or "").lower().startswith("en") else "da"


def _invalid(errors: list[CatalogError], lang: Lang) -> HTTPException:
    return fail(422, "deck.import_invalid", INVALID[lang], errors=[error.as_json(lang) for error in errors])


def _whole_file(code: str, value: str = "") -> list[CatalogError]:
    return [CatalogError(None, None, code, value)]


@router.post(
    "/api/decks",
    status_code=201,
    response_model=DeckUploaded,
    tags=["web"],
    responses={
        401: {"description": "RAADERUM_ADMIN_PASSWORD is set: the operator's password (auth.admin_password)"},
        422: {"description": "detail = {code: deck.import_invalid, message, errors: [{row, column, code, message}]}"},
    },
)
async def upload_deck(
    request: Request,
    services: ServicesDep,
    lang: Annotated[
        Lang | None, Query(description="The language of the report and the errors; Danish by default")
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
    x_admin_password: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Import a råderumskatalog (multipart form: `file`, .xlsx or .csv; optional `name`, the municipality's
    name when the file has no Kommune sheet) as a deck in the event store. Every problem is listed at once
    and nothing is stored when there is one. The deck's id names its content: `u-<digest>`."""
    language = _lang(lang, accept_language)
    if not admin_password_ok(services.settings, x_admin_password, authorization):
        raise HTTPException(
            401,
            detail={"code": "auth.admin_password", "message": "the operator's password"},
            headers={"WWW-Authenticate": 'Basic realm="raaderum"'},
        )
    settings = services.settings
    data, filename, name = await _read_upload(request, language, settings.catalog_max_bytes)
    catalog = await asyncio.to_thread(_import, data, filename, name, language, settings)
    deck_id = await stored_decks.save(services.store, catalog.deck)
    await services.tables.decks.fetch(services.store, deck_id)
    body = DeckUploaded(deck_id=deck_id, report=catalog.report(language))
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


async def _read_upload(request: Request, language: Lang, max_bytes: int) -> tuple[bytes, str, str | None]:
    # Refused before it is read when the request says it is larger than a catalogue may be (the form's own
    # fields and boundaries are allowed 64 kB beside the file).
    if int(request.headers.get("content-length") or 0) > max_bytes + 64 * 1024:
        raise _invalid(_whole_file("catalog.too_large", size_text(max_bytes)), language)
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception:  # noqa: BLE001 - not a multipart form at all (starlette's errors vary by version)
        raise _invalid(_whole_file("catalog.file_type"), language) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _invalid(_whole_file("catalog.empty"), language)
    data = await upload.read(max_bytes + 1)
    name = form.get("name")
    return data, upload.filename or "", (name.strip() or None) if isinstance(name, str) else None


def _import(data: bytes, filename: str, name: str | None, language: Lang, settings: Settings) -> Catalog:
    try:
        return import_catalog(
            data,
            filename,
            "katalog",
            name,
            max_bytes=settings.catalog_max_bytes,
            max_rows=settings.catalog_max_rows,
        )
    except CatalogInvalid as invalid:
        raise _invalid(invalid.errors, language) from None
