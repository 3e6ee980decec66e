"""The interface strings: gettext catalogs in `clients/web/locale/`, read and compiled in-process at startup
(no build step, no committed .mo), for Jinja2 and, as JSON, for the pages' JS."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.deps import fail
from server.responses import IMMUTABLE, REVALIDATE, bytes_response
from server.web.assets import WEB_DIR

LANGS = ("da", "en")
LANG_COOKIE = "raaderum_lang"

router = APIRouter()


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


# ---- the interface catalog for the JS ------------------------------------------------------------


@router.get("/i18n/{lang}.json", tags=["web"])
async def interface_catalog(request: Request, lang: str, v: str | None = None) -> Response:
    """The interface strings of one language as {lang, messages: {msgid: translation}} (missing: use the msgid)."""
    catalog = catalogs().get(lang)
    if catalog is None:
        raise fail(404, "i18n.unknown_lang", f"no catalog for {lang!r}; use da or en")
    cache = IMMUTABLE if v == catalog.version else REVALIDATE
    return bytes_response(request, catalog.json, catalog.gzipped, "application/json", f'"{catalog.version}"', cache)
