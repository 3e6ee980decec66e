"""The conference's pages: setup, control room, projector, printable sheets and the cross-table debrief.

The pages are static: they hold no token and no data. The control room's secret link carries the
facilitator's token in the URL *fragment* (`/control/{id}#token=…`), which browsers never send to a
server; the page moves it to localStorage and takes it out of the address bar. The projector's link does
the same with a projector token. Data comes from the conference API (`server/api/`) with the token in
an `Authorization` header, or over the conference websocket.

Interface strings are the gettext catalog `clients/web/locale/{lang}/LC_MESSAGES/conference.po`, laid over
the players' `messages.po` (whose modules the pages share). After changing strings:

    pybabel extract -F clients/web/conference.babel.cfg -o clients/web/locale/conference.pot \
        --no-location --sort-output clients/web
    pybabel update -i clients/web/locale/conference.pot -d clients/web/locale -D conference -w 120 -N --ignore-obsolete
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from engine.deck import DeckError
from server.deps import Lang, Services, ServicesDep, fail
from server.responses import GZIP_MIN, IMMUTABLE, REVALIDATE, YEAR, bytes_response
from server.web.assets import ASSETS, WEB_DIR
from server.web.catalogs import LANG_COOKIE, LANGS, Catalog, make_environment
from server.web.pages import csp, page_lang

router = APIRouter(include_in_schema=False)

MODULE_FOLDERS = ("js", "conference")
IMPORT = re.compile(r'^import\s[^;]*?from\s+"(\.{1,2}/[\w./-]+\.js)"', re.MULTILINE)


# ---- the catalog -----------------------------------------------------------------------------------


@lru_cache
def catalogs() -> dict[str, Catalog]:
    """The conference pages' strings (conference.po) laid over the players' ones (messages.po)."""
    folders = {lang: WEB_DIR / "locale" / lang / "LC_MESSAGES" for lang in LANGS}
    return {lang: Catalog(lang, folder / "messages.po", folder / "conference.po") for lang, folder in folders.items()}


@lru_cache
def environment(lang: str) -> Environment:
    return make_environment(catalogs()[lang].translations)


@router.get("/i18n/conference/{lang}.json")
async def conference_catalog(request: Request, lang: str, v: str | None = None) -> Response:
    catalog = catalogs().get(lang)
    if catalog is None:
        raise fail(404, "i18n.unknown_lang", f"no catalog for {lang!r}; use da or en")
    cache = IMMUTABLE if v == catalog.version else REVALIDATE
    return bytes_response(request, catalog.json, catalog.gzipped, "application/json", f'"{catalog.version}"', cache)


# ---- modules and pages --------------------------------------------------------------------------------


def _modules() -> list[str]:
    return sorted(
        str(file.relative_to(ASSETS.root)) for folder in MODULE_FOLDERS for file in (ASSETS.root / folder).glob("*.js")
    )


def importmap() -> str:
    """Every module's plain URL to its hashed one (the players' modules and the conference's)."""
    return json.dumps({"imports": {f"/static/{p}": ASSETS.url(p) for p in _modules()}}, separators=(",", ":"))


def page(request: Request, template: str, lang: str | None, entry: str, **context: Any) -> Response:
    chosen, remember = page_lang(request, lang)
    return _render(request, template, chosen, remember, entry, **context)


def _render(request: Request, template: str, lang: Lang, remember: bool, entry: str, **context: Any) -> Response:
    imports = importmap()
    catalog = catalogs()[lang]
    html = (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            other_lang="en" if lang == "da" else "da",
            static=ASSETS.url,
            importmap=imports,
            modules=[ASSETS.url(path) for path in ASSETS.closure(entry)],
            catalog_url=f"/i18n/conference/{lang}.json?v={catalog.version}",
            path=request.url.path,
            entry=ASSETS.url(entry),
            **context,
        )
    )
    headers = {
        "Content-Security-Policy": csp(imports),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Vary": "Accept-Encoding, Cookie",
    }
    body = html.encode()
    if len(body) >= GZIP_MIN and "gzip" in (request.headers.get("accept-encoding") or "").lower():
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    response = Response(body, media_type="text/html; charset=utf-8", headers=headers)
    if remember:
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, samesite="lax", httponly=True)
    return response


def _decks(services: Services) -> list[dict[str, Any]]:
    decks = []
    folder = services.settings.decks_dir
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if (path / "scenario.toml").exists():
            try:
                deck = services.tables.decks.get(path.name)
            except (KeyError, DeckError):  # a folder name that is no deck id, or a deck with problems: not offered
                continue
            scenario = deck.scenario
            decks.append(
                {
                    "id": path.name,
                    "name": {"da": scenario.municipality.da, "en": scenario.municipality.en},
                    "rounds": scenario.default_rounds,
                    "rule": scenario.default_rule,
                    "target": scenario.default_target,
                    "feasibility_url": f"/api/decks/{path.name}/feasibility",
                    "min": scenario.min_players,
                    "max": scenario.max_players,
                }
            )
    return decks


@router.get("/conference/new", response_class=HTMLResponse)
async def setup_page(request: Request, services: ServicesDep, lang: str | None = None) -> Response:
    return page(
        request,
        "conference_new.html",
        lang,
        "conference/setup.js",
        admin_required=bool(services.settings.admin_password),
        decks=_decks(services),
    )


@router.get("/control/{conference_id}", response_class=HTMLResponse)
async def control_page(request: Request, conference_id: str, lang: str | None = None) -> Response:
    return page(request, "control.html", lang, "conference/control.js", conference_id=conference_id)


@router.get("/projector/{conference_id}", response_class=HTMLResponse)
async def projector_page(request: Request, conference_id: str, lang: str | None = None) -> Response:
    return page(request, "projector.html", lang, "conference/projector.js", conference_id=conference_id)


@router.get("/projector/{conference_id}/dialogue", response_class=HTMLResponse)
async def dialogue_page(request: Request, conference_id: str, lang: str | None = None) -> Response:
    """The projector's "Tag dialogen" screen (issue 14): the article's three questions with the conference's
    facts, the cards × tables heat map, administration against welfare per table, the rules compared."""
    return page(request, "projector_dialogue.html", lang, "conference/dialogue.js", conference_id=conference_id)


@router.get("/conference/{conference_id}/sheets", response_class=HTMLResponse)
async def sheets_page(request: Request, conference_id: str, lang: str | None = None) -> Response:
    return page(request, "sheets.html", lang, "conference/sheets.js", conference_id=conference_id)


@router.get("/conference/{conference_id}/debrief", response_class=HTMLResponse)
async def cross_debrief_page(request: Request, conference_id: str, lang: str | None = None) -> Response:
    return page(request, "conference_debrief.html", lang, "conference/debrief.js", conference_id=conference_id)
