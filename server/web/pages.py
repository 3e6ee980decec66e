"""The players' pages: join, table and debrief, Jinja2 templates rendered in Danish (default) or English.

Their interface strings are server/web/catalogs.py, their static files server/web/assets.py, the JSON they
read the API's (server/api/). Every page carries a Content-Security-Policy that allows requests to its own
origin only.

The token never appears in a URL: the pages keep it in localStorage and send it in a websocket hello frame
or an `Authorization: Bearer` header.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from server.api.decks import deck_version
from server.deps import Lang, Services, ServicesDep
from server.live.conferences import load_conference, normalise_code, table_for_code
from server.live.tables import Table
from server.responses import GZIP_MIN, YEAR, accepts_gzip
from server.web.assets import ASSETS
from server.web.catalogs import LANG_COOKIE, LANGS, catalogs, environment

router = APIRouter()


# ---- pages ---------------------------------------------------------------------------------------


def page_lang(request: Request, lang: str | None, default: Lang = "da") -> tuple[Lang, bool]:
    """The page's language: ?lang= (remembered in a cookie), else the cookie, else `default` (the conference's
    language at the tables for a table's pages, Danish elsewhere)."""
    if lang in LANGS:
        return ("en" if lang == "en" else "da"), True
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return ("en" if cookie == "en" else "da"), False
    return default, False


async def table_lang(services: Services, table_id: str | None) -> Lang:
    """The language the facilitator chose for the tables of this table's conference ("Sprog ved bordene");
    Danish for a table of no conference."""
    conference_id = await services.conference_of(table_id) if table_id else None
    created = await load_conference(services.store, conference_id) if conference_id else None
    return created.request.language if created is not None else "da"


def csp(importmap: str) -> str:
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
        "Content-Security-Policy": csp(importmap),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Vary": "Accept-Encoding, Cookie",
    }
    body = html.encode()
    if len(body) >= GZIP_MIN and accepts_gzip(request.headers.get("accept-encoding")):
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    response = Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=headers)
    if remember:
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, samesite="lax", httponly=True)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, lang: str | None = None) -> Response:
    chosen, remember = page_lang(request, lang)
    return _page(request, "join.html", chosen, remember, entry="js/join.js", code="")


@router.get("/tilgaengelighed", response_class=HTMLResponse, include_in_schema=False)
async def accessibility_page(request: Request, lang: str | None = None) -> Response:
    """The tilgængelighedserklæring (accessibility statement) the webtilgængelighedslov asks for."""
    chosen, remember = page_lang(request, lang)
    return _page(request, "accessibility.html", chosen, remember)


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
async def join_link(request: Request, code: str, services: ServicesDep, lang: str | None = None) -> Response:
    """The QR code's target: the join page with the code filled in, in the language of the code's tables."""
    table_id = await table_for_code(services.store, code) if code.strip() else None
    chosen, remember = page_lang(request, lang, await table_lang(services, table_id))
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
    chosen, remember = page_lang(request, lang, await table_lang(services, table_id))
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
        deck_url=f"/api/decks/{deck.scenario.id}?lang={chosen}&v={deck_version(deck)}",
    )


@router.get("/table/{table_id}/debrief", response_class=HTMLResponse, include_in_schema=False)
async def debrief_page(request: Request, table_id: str, services: ServicesDep, lang: str | None = None) -> Response:
    chosen, remember = page_lang(request, lang, await table_lang(services, table_id))
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
        # The facilitator's token is kept per conference (the control room stores it): the page finds it.
        conference_id=await services.conference_of(table_id) or "",
        deck_url=f"/api/decks/{deck.scenario.id}?lang={chosen}&v={deck_version(deck)}",
    )


@router.get("/table/{table_id}/referat", response_class=HTMLResponse, include_in_schema=False)
async def referat_page(request: Request, table_id: str, services: ServicesDep, lang: str | None = None) -> Response:
    """The one-page forligsreferat (issue 14): the forlig, the four years, the why, the hjertesager and the
    three questions on one A4 page, to print or save as PDF. The same debrief resource and tokens as the
    debrief page."""
    chosen, remember = page_lang(request, lang, await table_lang(services, table_id))
    table = await _table_or_404(request, services, table_id, chosen, remember)
    if isinstance(table, Response):
        return table
    state = table.state
    deck = state.deck
    return _page(
        request,
        "referat.html",
        chosen,
        remember,
        entry="js/referat.js",
        table_id=table_id,
        conference_id=await services.conference_of(table_id) or "",
        table_name=state.config.table_name if state.config is not None else "",
        municipality=deck.scenario.municipality.da if chosen == "da" else deck.scenario.municipality.en,
        deck_url=f"/api/decks/{deck.scenario.id}?lang={chosen}&v={deck_version(deck)}",
    )
