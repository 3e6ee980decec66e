"""server/api/export_names.py: every key of the cross-table debrief has a Danish and an English name, and the
words among the values are translated (docs/conferences.md, "The downloads")."""

from __future__ import annotations

from pydantic import BaseModel

from engine import conference
from engine.model import Phase
from server.api import export_names
from server.api.debrief import ConferenceDebrief


def _fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(name)
        for inner in (*getattr(field.annotation, "__args__", ()), field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names |= _fields(inner, seen)
    return names


def test_every_key_of_the_debrief_has_a_name_in_both_languages() -> None:
    keys = _fields(ConferenceDebrief, set()) | _fields(conference.CrossDebrief, set())
    assert keys - set(export_names.NAMES) == set()
    danish = {export_names.name(key, "da") for key in keys}
    assert {"borde", "fase", "varmekort", "sammensætning"} <= danish


def test_the_words_among_the_values() -> None:
    assert set(export_names.PHASES) == set(Phase.__args__)  # type: ignore[attr-defined]
    assert set(export_names.STATUSES) == set(conference.CARD_STATUSES)
    assert export_names.kind("udvidelse", "da") == "ønske"
    assert export_names.kind("udvidelse", "en") == "wish"
    data = {"tables": [{"phase": "round", "cards": ["AA-1"]}], "heatmap": {"rows": [{"statuses": ["chosen"]}]},
            "composition": {"average": {"by_kind": {"besparelse": 0.5}, "by_area": {"aeldre": 0.5}}}}  # fmt: skip
    assert export_names.localised_json(data, "da") == {
        "borde": [{"fase": "runde", "kort": ["AA-1"]}],
        "varmekort": {"rækker": [{"status_pr_bord": ["valgt"]}]},
        "sammensætning": {"gennemsnit": {"efter_type": {"besparelse": 0.5}, "efter_område": {"aeldre": 0.5}}},
    }
    assert export_names.localised_json(data, "en")["composition"]["average"]["by_kind"] == {"saving": 0.5}


def test_the_csv_never_writes_a_cell_a_spreadsheet_would_run() -> None:
    # Names and titles come from people (an uploaded catalogue's titles too): a formula is written as text.
    from server.api.debrief_csv import _csv

    text = _csv([['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)", "-1.5", "-2,5", "Bord 1"]], "standard")
    cells = text.strip().split(",", 1)[0]
    assert cells.startswith("\"'=HYPERLINK") or cells.startswith("'=HYPERLINK")
    assert ",'+1+1,'@SUM(A1),-1.5," in text  # negative numbers stay numbers
    assert ',"-2,5",Bord 1' in text
