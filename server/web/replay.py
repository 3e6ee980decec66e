"""The replay pages: `/replay` (upload a log) and `/replay/{id}?at=SEQ` (the viewer); their API is
server/api/replays.py.

The pages' interface strings are the gettext catalog `clients/web/locale/{lang}/LC_MESSAGES/replay.po`
(Danish by default, English with `?lang=en`), shared by the Jinja2 templates and, as JSON in the page,
by the viewer's ES modules under `clients/web/static/replay/`.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from server.api.replays import MAX_UPLOAD_MB
from server.deps import Lang, ReplaysDep
from server.web.assets import WEB_DIR
from server.web.catalogs import LANG_COOKIE, make_environment

router = APIRouter()


# ---------------------------------------------------------------------------------------


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
async def viewer_page(request: Request, replay_id: str, replays: ReplaysDep, lang: str | None = None) -> HTMLResponse:
    chosen = _lang(request, lang)
    try:
        replay = await replays.get(replay_id)
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
