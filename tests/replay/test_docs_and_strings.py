"""docs/replay.md against the code, and the replay pages' strings against their catalogs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.pofile import read_po

from engine.archive import ConferenceHeader, EventLine, LogHeader, TableInfo
from engine.model import Event
from engine.replay import MARKER_KINDS
from server.operations.archive_cli import export_command, replay_command

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients" / "web"
REPLAY_MD = (ROOT / "docs" / "replay.md").read_text(encoding="utf-8")
# Keys the JS builds from data: t(`phase.${view.phase}`) and the like.
BUILT = {
    "phase": ("lobby", "round", "round_ended", "reality_check", "debrief"),
    "rule": ("consensus", "broad", "majority"),
    "reason": ("adopted", "facilitator", "deadline"),
    "status": ("open", "adopted", "rejected", "closed"),
    "marker": MARKER_KINDS,
}


def test_the_doc_describes_every_field_of_the_file() -> None:
    for name in set(LogHeader.model_fields) - {"table"}:
        assert f"| `{name}` |" in REPLAY_MD, f"header field {name}"
    for name in TableInfo.model_fields:
        assert f"| `table.{name}` |" in REPLAY_MD, f"header field table.{name}"
    for name in ConferenceHeader.model_fields:
        assert f"`{name}`" in REPLAY_MD, f"conference field {name}"
    for name in EventLine.model_fields:
        assert f"| `{name}` |" in REPLAY_MD, f"event line field {name}"
    for kind in MARKER_KINDS:
        assert f"`{kind}`" in REPLAY_MD, f"marker {kind}"


@pytest.mark.parametrize("command", [export_command, replay_command])
def test_the_doc_names_every_option_of_the_commands(command: object) -> None:
    for name, parameter in inspect.signature(command).parameters.items():  # type: ignore[arg-type]
        option = "--open" if name == "open_browser" else f"--{name}"
        if name == "file":
            continue
        assert option in REPLAY_MD, f"{option} of {getattr(command, '__name__', command)}"
        assert parameter.annotation is not None


def _used_msgids() -> set[str]:
    used: set[str] = set()
    for template in (WEB / "templates").glob("replay*.html"):
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"', text)) | set(re.findall(r"_\(\s*'([^']*)'", text))
    for module in (WEB / "static" / "replay").glob("*.js"):
        used |= set(re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', module.read_text(encoding="utf-8")))
    used |= {f"{prefix}.{key}" for prefix, keys in BUILT.items() for key in keys}
    return {msgid.replace('\\"', '"') for msgid in used}


def _catalog(lang: str) -> dict[str, str]:
    with (WEB / "locale" / lang / "LC_MESSAGES" / "replay.po").open("rb") as file:
        return {str(m.id): str(m.string) for m in read_po(file, locale=lang) if m.id}


def test_every_string_of_the_replay_pages_is_in_danish() -> None:
    danish = _catalog("da")
    used = _used_msgids()
    assert len(used) > 100
    missing = sorted(msgid for msgid in used if not danish.get(msgid))
    assert missing == [], f"no Danish for {missing}"
    unused = sorted(set(danish) - used - {"for", "against", "abstain", "outside the forlig", "mio. kr."})
    assert unused == [], f"translations nobody uses: {unused}"
    for msgid, text in danish.items():
        assert re.findall(r"%\(\w+\)s", msgid) == re.findall(r"%\(\w+\)s", text) or not text, msgid


def test_the_keys_built_in_the_js_read_well_in_english() -> None:
    english = _catalog("en")
    for prefix, keys in BUILT.items():
        for key in keys:
            assert english.get(f"{prefix}.{key}"), f"{prefix}.{key} has no English text"


def test_the_viewer_has_a_sentence_for_every_event_type_and_never_shows_a_type_name() -> None:
    """describe() in render.js: a case per event type (the default, the raw type name, is for none of them)."""
    render = (WEB / "static" / "replay" / "render.js").read_text(encoding="utf-8")
    body = render[render.index("export function describe(") :]
    body = body[: body.index("\n}\n")]
    cases = set(re.findall(r'case "(\w+)":', body))
    types = {member.model_fields["type"].default for member in get_args(get_args(Event)[0])}
    assert len(types) >= 20
    assert sorted(types - cases) == [], "event types the replay would show by their raw name"
    assert sorted(cases - types) == []


def test_the_replay_names_the_adoption_rules_as_the_table_does() -> None:
    """A facilitator who replays a table reads the rule in the words the table and the control room used (the
    replay once said 'bredt flertal (2/3)' where the table said 'bredt forlig: to tredjedele af stemmerne')."""
    table_names = {
        "consensus": "consensus: everyone for, nobody against",
        "broad": "broad agreement: two thirds of the votes",
        "majority": "majority: more than half of the votes",
    }
    for lang in ("da", "en"):
        replay = _catalog(lang)
        with (WEB / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
            table = {str(m.id): str(m.string) or str(m.id) for m in read_po(file, locale=lang) if m.id}
        for rule, msgid in table_names.items():
            assert (replay[f"rule.{rule}"] or f"rule.{rule}") == table[msgid], (lang, rule)
