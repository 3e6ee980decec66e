"""One word per concept (issue 16 item 7, docs/glossary.md): English screens use English terms, with the Danish
term in parentheses only; the Danish screens say "stemt ned", never "forkastet"; counts go through ngettext,
so "1 besked" and "1 af 1 bord" (not "1 beskeder", "1 af 1 borde")."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
DANISH_TERMS = re.compile(r"\b(forlig|hjertesag(?:er)?|årsværk)\b", re.IGNORECASE)


def catalog(lang: str, name: str) -> list[tuple[str, list[str]]]:
    with (WEB / "locale" / lang / "LC_MESSAGES" / name).open("rb") as file:
        entries = []
        for message in read_po(file, locale=lang):
            if not message.id:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            entries.append((ids[0], [s or i for s, i in zip(strings, ids + ids[-1:] * 4, strict=False)]))
        return entries


def outside_parentheses(text: str) -> str:
    return re.sub(r"\([^)]*\)", "", text)


def test_english_screens_use_english_terms() -> None:
    for name in ("messages.po", "conference.po", "replay.po"):
        for msgid, shown in catalog("en", name):
            for text in shown:
                assert not DANISH_TERMS.search(outside_parentheses(text)), f"en {name}: {msgid!r} shows {text!r}"
                # English money is "DKK 18.5m" (engine/format.py); a unit or a heading says DKK million or DKK m.
                assert "mio. kr" not in text, f"en {name}: {msgid!r} shows {text!r}"


def test_danish_screens_say_stemt_ned_for_a_proposal_voted_down() -> None:
    for name in ("messages.po", "conference.po", "replay.po"):
        for msgid, shown in catalog("da", name):
            assert not any("forkast" in text for text in shown), f"da {name}: {msgid!r}"


def test_counts_are_plurals_not_numbers_glued_to_plural_nouns() -> None:
    # A count before a plural noun in a plain _() string reads "1 beskeder", "1 af 1 borde": those use ngettext.
    glued = re.compile(r"%\((?:n|total|all|messages)\)s (?:beskeder|borde\b)")
    for name in ("messages.po", "conference.po"):
        with (WEB / "locale" / "da" / "LC_MESSAGES" / name).open("rb") as file:
            for message in read_po(file, locale="da"):
                if message.id and isinstance(message.id, str) and glued.search(str(message.string or "")):
                    assert not _asked_plainly(str(message.id)), f"da {name}: {message.id!r} needs ngettext"


def _asked_plainly(msgid: str) -> bool:
    """Whether a page asks for this msgid with _() (old, unused entries may stay in a catalog)."""
    needle = "_(" + '"' + msgid.replace("\\", "\\\\").replace('"', '\\"') + '"'
    sources = [*(WEB / "static").rglob("*.js"), *(WEB / "templates").glob("*.html")]
    return any(needle in path.read_text(encoding="utf-8") for path in sources)


def test_the_glossary_names_each_term_once() -> None:
    glossary = (WEB.parents[1] / "docs" / "glossary.md").read_text(encoding="utf-8")
    for danish, english in (("forlig", "agreement"), ("hjertesager", "pet causes"), ("stemt ned", "voted down")):
        assert f"| {danish} |" in glossary or f"| {danish} " in glossary
        assert english in glossary
