"""The web client for players: its pages, static files, interface catalogs and the JSON the pages read.

Pages are Jinja2 templates rendered in Danish (default) or English; interface strings come from the gettext
catalogs in `clients/web/locale/` (read and compiled in-process at startup: no build step, no committed .mo).
Static files are served from memory, gzipped, with a content hash in their URL so they can be cached for a
year; an import map sends the ES modules' relative imports to the same hashed URLs. Every page carries a
Content-Security-Policy that allows requests to its own origin only.

The token never appears in a URL: the pages keep it in localStorage and send it in a websocket hello frame
or an `Authorization: Bearer` header.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import mimetypes
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from engine.budget import validate_portfolio
from engine.debrief import debrief
from engine.deck import Deck
from engine.errors import RuleViolation
from engine.views import MeterView, meter
from server.auth import Claims
from server.deps import ClaimsDep, Services, ServicesDep, fail
from server.live.conferences import normalise_code
from server.live.tables import Table

WEB_DIR = Path(__file__).resolve().parents[2] / "clients" / "web"
LANGS = ("da", "en")
DEFAULT_LANG = "da"
LANG_COOKIE = "raaderum_lang"
Lang = Literal["da", "en"]
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
REVALIDATE = "no-cache"
MAX_PORTFOLIO = 100
GZIP_MIN = 512
IMPORT = re.compile(r'^import\s[^;]*?from\s+"(\./[\w.-]+\.js)"', re.MULTILINE)

router = APIRouter(include_in_schema=True)


# ---- gettext catalogs ----------------------------------------------------------------------------


def read_catalog(po_path: Path, lang: str) -> tuple[Translations, dict[str, str | list[str]]]:
    """A .po file as gettext translations (compiled in memory, no .mo in git) and a dict for the JS."""
    with po_path.open("rb") as file:
        catalog = read_po(file, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    messages: dict[str, str | list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            forms = [str(form) for form in message.string] if isinstance(message.string, tuple | list) else []
            if forms and all(forms):
                messages[str(message.id[0])] = forms
        elif message.string:
            messages[str(message.id)] = str(message.string)
    return Translations(buffer), messages


class Catalog:
    """One language's interface strings: gettext translations for Jinja2 and a JSON dict for the pages' JS.

    Later .po files are laid over earlier ones (the conference pages' strings over the players')."""

    def __init__(self, lang: str, po_path: Path, *overlays: Path) -> None:
        self.lang = lang
        self.translations, messages = read_catalog(po_path, lang)
        for overlay in overlays:
            more, more_messages = read_catalog(overlay, lang)
            self.translations.merge(more)
            messages.update(more_messages)
        self.json = json.dumps({"lang": lang, "messages": messages}, ensure_ascii=False, sort_keys=True).encode()
        self.version = hashlib.sha256(self.json).hexdigest()[:12]
        self.gzipped = gzip.compress(self.json, mtime=0)


@lru_cache
def catalogs() -> dict[str, Catalog]:
    return {lang: Catalog(lang, WEB_DIR / "locale" / lang / "LC_MESSAGES" / "messages.po") for lang in LANGS}


def make_environment(translations: Translations) -> Environment:
    """The one Jinja setup for every page (players', conference, replay), with its gettext catalog."""
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(("html",)),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


@lru_cache
def environment(lang: str) -> Environment:
    return make_environment(catalogs()[lang].translations)


# ---- static files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    version: str
    media_type: str
    mtime: float


class Assets:
    """The files under clients/web/static, hashed and gzipped in memory; re-read when a file changes on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, Asset] = {}

    def get(self, path: str) -> Asset | None:
        file = (self.root / path).resolve()
        if not file.is_relative_to(self.root) or not file.is_file():
            return None
        mtime = file.stat().st_mtime
        cached = self._cache.get(path)
        if cached is not None and cached.mtime == mtime:
            return cached
        body = file.read_bytes()
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            media_type = "text/javascript"
        if media_type.startswith("text/") or media_type in ("image/svg+xml", "application/json"):
            media_type += "; charset=utf-8"
        squeezed = gzip.compress(body, mtime=0) if len(body) >= GZIP_MIN and "image/png" not in media_type else None
        asset = Asset(body, squeezed, hashlib.sha256(body).hexdigest()[:12], media_type, mtime)
        self._cache[path] = asset
        return asset

    def url(self, path: str) -> str:
        asset = self.get(path)
        if asset is None:
            raise FileNotFoundError(path)
        return f"/static/{path}?v={asset.version}"

    def modules(self) -> list[str]:
        return sorted(str(file.relative_to(self.root)) for file in (self.root / "js").glob("*.js"))

    def closure(self, entry: str) -> list[str]:
        """The module and every module it imports (relative imports, `..` included), for <link rel=modulepreload>."""
        seen: list[str] = []
        todo = [entry]
        while todo:
            path = todo.pop()
            asset = self.get(path)
            if path in seen or asset is None:
                continue
            seen.append(path)
            folder = PurePosixPath(path).parent
            for name in IMPORT.findall(asset.body.decode("utf-8", errors="replace")):
                parts: list[str] = list(folder.parts)
                for part in PurePosixPath(name).parts:
                    if part == "..":
                        parts = parts[:-1]
                    elif part != ".":
                        parts.append(part)
                todo.append("/".join(parts))
        return seen

    def importmap(self) -> str:
        """Maps each module's plain URL to its hashed one, so relative imports are cached like the entry."""
        imports = {f"/static/{path}": self.url(path) for path in self.modules()}
        return json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)


ASSETS = Assets(WEB_DIR / "static")


def _accepts_gzip(accept_encoding: str | None) -> bool:
    return accept_encoding is not None and "gzip" in accept_encoding.lower()


def _bytes_response(
    request: Request,
    body: bytes,
    gzipped: bytes | None,
    media_type: str,
    etag: str,
    cache_control: str,
) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    if gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding")):
        return Response(gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)


@router.get("/static/{path:path}", include_in_schema=False)
async def static_file(path: str, request: Request, v: str | None = None) -> Response:
    asset = ASSETS.get(path)
    if asset is None:
        raise fail(404, "static.not_found", "no such file")
    cache = IMMUTABLE if v == asset.version else REVALIDATE
    return _bytes_response(request, asset.body, asset.gzipped, asset.media_type, f'"{asset.version}"', cache)


# ---- pages ---------------------------------------------------------------------------------------


def _lang(request: Request, lang: str | None) -> tuple[Lang, bool]:
    """The page's language: ?lang= (remembered in a cookie), else the cookie, else Danish."""
    if lang in LANGS:
        return ("en" if lang == "en" else "da"), True
    cookie = request.cookies.get(LANG_COOKIE)
    return ("en" if cookie == "en" else "da"), False


def _csp(importmap: str) -> str:
    digest = base64.b64encode(hashlib.sha256(importmap.encode()).digest()).decode()
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'sha256-{digest}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _page(
    request: Request,
    template: str,
    lang: Lang,
    remember: bool,
    status: int = 200,
    entry: str | None = None,
    **context: Any,
) -> Response:
    importmap = ASSETS.importmap()
    catalog = catalogs()[lang]
    html = (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            other_lang="en" if lang == "da" else "da",
            static=ASSETS.url,
            importmap=importmap,
            modules=[ASSETS.url(path) for path in ASSETS.closure(entry)] if entry else [],
            catalog_url=f"/i18n/{lang}.json?v={catalog.version}",
            path=request.url.path,
            **context,
        )
    )
    headers = {
        "Content-Security-Policy": _csp(importmap),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Vary": "Accept-Encoding, Cookie",
    }
    body = html.encode()
    if len(body) >= GZIP_MIN and _accepts_gzip(request.headers.get("accept-encoding")):
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    response = Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=headers)
    if remember:
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, samesite="lax", httponly=True)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, lang: str | None = None) -> Response:
    chosen, remember = _lang(request, lang)
    return _page(request, "join.html", chosen, remember, entry="js/join.js", code="")


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
async def join_link(request: Request, code: str, lang: str | None = None) -> Response:
    """The QR code's target: the join page with the code filled in."""
    chosen, remember = _lang(request, lang)
    return _page(request, "join.html", chosen, remember, entry="js/join.js", code=normalise_code(code)[:20])


async def _table_or_404(
    request: Request, services: Services, table_id: str, lang: Lang, remember: bool
) -> Table | Response:
    try:
        return await services.tables.get(table_id)
    except KeyError:
        return _page(request, "notfound.html", lang, remember, status=404)


@router.get("/table/{table_id}", response_class=HTMLResponse, include_in_schema=False)
async def table_page(request: Request, table_id: str, services: ServicesDep, lang: str | None = None) -> Response:
    chosen, remember = _lang(request, lang)
    table = await _table_or_404(request, services, table_id, chosen, remember)
    if isinstance(table, Response):
        return table
    deck = table.state.deck
    return _page(
        request,
        "table.html",
        chosen,
        remember,
        entry="js/table.js",
        table_id=table_id,
        deck_url=f"/api/decks/{deck.scenario.id}?lang={chosen}&v={_deck_version(deck)}",
    )


@router.get("/table/{table_id}/debrief", response_class=HTMLResponse, include_in_schema=False)
async def debrief_page(request: Request, table_id: str, services: ServicesDep, lang: str | None = None) -> Response:
    chosen, remember = _lang(request, lang)
    table = await _table_or_404(request, services, table_id, chosen, remember)
    if isinstance(table, Response):
        return table
    deck = table.state.deck
    return _page(
        request,
        "debrief.html",
        chosen,
        remember,
        entry="js/debrief.js",
        table_id=table_id,
        deck_url=f"/api/decks/{deck.scenario.id}?lang={chosen}&v={_deck_version(deck)}",
    )


# ---- the interface catalog for the JS ------------------------------------------------------------


@router.get("/i18n/{lang}.json", tags=["web"])
async def interface_catalog(request: Request, lang: str, v: str | None = None) -> Response:
    """The interface strings of one language as {lang, messages: {msgid: translation}} (missing: use the msgid)."""
    catalog = catalogs().get(lang)
    if catalog is None:
        raise fail(404, "i18n.unknown_lang", f"no catalog for {lang!r}; use da or en")
    cache = IMMUTABLE if v == catalog.version else REVALIDATE
    return _bytes_response(request, catalog.json, catalog.gzipped, "application/json", f'"{catalog.version}"', cache)


# ---- the deck ------------------------------------------------------------------------------------


def _deck_version(deck: Deck) -> str:
    return deck.digest[:16]


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
    """The deck (scenario, cards, events, roles) as JSON. The ETag is the deck's digest."""
    try:
        deck = services.tables.decks.get(deck_id)
    except KeyError:
        raise fail(404, "deck.unknown", f"no deck {deck_id!r}") from None
    body, gzipped = _deck_json(deck, lang)
    version = _deck_version(deck)
    cache = IMMUTABLE if v == version else REVALIDATE
    etag = f'"{deck.digest}-{lang or "all"}"'
    return _bytes_response(request, body, gzipped, "application/json", etag, cache)


# ---- who is asking -------------------------------------------------------------------------------


async def _table_for(services: Services, table_id: str, claims: Claims) -> Table:
    """The table, when the token is a player's at it or the facilitator's of its conference."""
    if claims.role == "player":
        allowed = claims.table_id == table_id
    else:
        allowed = claims.role == "facilitator" and await services.conference_of(table_id) == claims.conference_id
    if not allowed:
        raise fail(403, "auth.wrong_table", "the token is not for this table")
    try:
        return await services.tables.get(table_id)
    except KeyError:
        raise fail(404, "table.unknown", "no such table") from None


# ---- the live meter ------------------------------------------------------------------------------


class MeterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cards: list[str] = Field(max_length=MAX_PORTFOLIO, description="Card ids of the portfolio")


@router.post(
    "/api/tables/{table_id}/meter",
    response_model=MeterView,
    tags=["web"],
    responses={422: {"description": "Invalid portfolio: detail = {code, message, params}"}},
)
async def live_meter(
    table_id: str,
    body: Annotated[MeterRequest, Body()],
    services: ServicesDep,
    claims: ClaimsDep,
    lang: Lang = "da",
) -> MeterView:
    """The engine's meter for a portfolio under the events drawn so far at this table, with its warnings."""
    table = await _table_for(services, table_id, claims)
    state = table.state
    if state.config is None:
        raise fail(409, "game.not_created", RuleViolation("game.not_created").message(lang))
    cards = tuple(body.cards)
    try:
        validate_portfolio(state.deck, cards, state.event_cards)
    except RuleViolation as violation:
        raise fail(422, violation.code, violation.message(lang), params=violation.params) from None
    return meter(state, cards)


# ---- the debrief ---------------------------------------------------------------------------------

_DEBRIEFS: OrderedDict[tuple[str, int, str], tuple[bytes, bytes]] = OrderedDict()
_DEBRIEF_CACHE = 64


@router.get("/api/tables/{table_id}/debrief", tags=["web"])
async def table_debrief(request: Request, table_id: str, services: ServicesDep, claims: ClaimsDep) -> Response:
    """The engine's Debrief of the table. Players get it once the facilitator has shown it; the facilitator always."""
    table = await _table_for(services, table_id, claims)
    state = table.state
    if claims.role == "player" and state.phase != "debrief":
        raise fail(409, "debrief.not_shown", "Debriefingen er ikke vist endnu. / The debrief has not been shown yet.")
    key = (table_id, state.seq, state.config.deck_digest if state.config else "")
    cached = _DEBRIEFS.get(key)
    if cached is None:
        result = await run_in_threadpool(debrief, state)  # 10,000 Monte Carlo draws: off the event loop
        body = result.model_dump_json().encode()
        cached = (body, gzip.compress(body, mtime=0))
        _DEBRIEFS[key] = cached
        while len(_DEBRIEFS) > _DEBRIEF_CACHE:
            _DEBRIEFS.popitem(last=False)
    etag = f'"{table_id}-{state.seq}"'
    return _bytes_response(request, cached[0], cached[1], "application/json", etag, "private, no-cache")
