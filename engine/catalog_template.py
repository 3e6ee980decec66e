"""A deck written as a råderumskatalog (the template `raaderum deck template` writes): the inverse of
engine/catalog.py, so a deck exported here and imported again is the same deck (tests/test_catalog.py).

No cell written here is one a spreadsheet would run: in the CSV a text starting with =, +, - or @ gets a
leading ' (which the importer removes again); in the xlsx every text cell is stored as a string, never a
formula.
"""

from __future__ import annotations

import csv
import io
import json

from engine.catalog import FORMULA_START
from engine.deck import Deck, Text

Row = list[str | float | int | None]
KIND_WORD = {"besparelse": "besparelse", "effektivisering": "effektivisering", "investering": "investering",
             "udvidelse": "ønske"}  # fmt: skip


def _en(text: Text | None) -> str:
    return "" if text is None or text.en == text.da else text.en


def proposal_rows(deck: Deck) -> list[Row]:
    years = deck.scenario.years
    header: Row = ["id", "titel", "titel_en", "område", "type", *years, *(f"anlæg {year}" for year in years),
                   "årsværk", "service", "usikkerhed", "indfasning", "indfasning_en", "beskrivelse",
                   "beskrivelse_en", "konsekvenser", "konsekvenser_en", "kilder", "kræver", "udelukker", "skønnet",
                   "skaleret", "skaleret_en", "advarer", "advarsel", "advarsel_en"]  # fmt: skip
    rows = [header]
    for card in deck.cards:
        rows.append(
            [card.id, card.title.da, _en(card.title), card.area, KIND_WORD[card.kind], *card.amounts,
             *card.capital, card.fte, card.service, card.uncertainty, card.phase_in.da, _en(card.phase_in),
             card.description.da, _en(card.description), card.consequences.da, _en(card.consequences),
             ", ".join(card.sources), ", ".join(card.requires), ", ".join(card.excludes),
             "ja" if card.estimated else "", card.scaled.da if card.scaled else "", _en(card.scaled),
             ", ".join(w.card for w in card.warns_with), "\n".join(w.text.da for w in card.warns_with),
             "\n".join(w.text.en for w in card.warns_with)]
        )  # fmt: skip
    return rows


def kommune_rows(deck: Deck) -> list[Row]:
    s = deck.scenario
    rows: list[Row] = [
        ["felt", "værdi"],
        ["kommune", s.municipality.da],
        ["kommune_en", s.municipality.en],
        ["beskrivelse", s.description.da],
        ["beskrivelse_en", s.description.en],
        ["indbyggere", s.inhabitants],
        ["nettodriftsudgifter", s.net_operating_budget],
        ["år", *s.years],
        ["ubalance", *s.baseline_gap],
        ["måltal", s.default_target],
        ["ønsker", *s.wish_funding],
        ["anlægspulje", s.capital_pool],
        ["runder", s.default_rounds],
        ["afstemning", s.default_rule],
        ["hemmelige_roller", "ja" if s.secret_roles else "nej"],
        ["min_spillere", s.min_players],
        ["max_spillere", s.max_players],
    ]
    if s.price_level is not None:
        rows += [["prisniveau", s.price_level.da], ["prisniveau_en", s.price_level.en]]
    if s.balance is not None:
        b = s.balance
        rows += [["målprofil", b.target_profile], ["struktur_tolerance", b.structural_tolerance],
                 ["artsandel", b.kind_share_min], ["træthed_sandsynlighed", b.fatigue_probability],
                 ["træthed_faktor", b.fatigue_factor]]  # fmt: skip
    rows.append([])
    rows.append(["område", "id", "navn", "navn_en", "servicebudget", "velfærd"])
    for area in s.areas:
        rows.append(["område", area.id, area.name.da, area.name.en, area.service_budget,
                     "ja" if area.welfare else "nej"])  # fmt: skip
    return rows


def source_rows(deck: Deck) -> list[Row]:
    rows: list[Row] = [["id", "titel", "udgiver", "år", "url", "se_også"]]
    for source in deck.sources:
        rows.append([source.id, source.title, source.publisher, source.year, source.url, ", ".join(source.see_also)])
    return rows


def _csv_cell(value: str | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(deck: Deck) -> bytes:
    """The template as Excel in Denmark reads a CSV: `;`, decimal comma, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for block, rows in (("", proposal_rows(deck)), ("[Kommune]", kommune_rows(deck)), ("[Kilder]", source_rows(deck))):
        if block:
            writer.writerow([])
            writer.writerow([block])
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(value: str | float | int | None) -> str | float | int | None:
    if value == "":
        return None
    if isinstance(value, float) and float(f"{value:.15g}") != value:
        return repr(value)  # the xlsx keeps 15 digits: a finer figure goes as text, which the importer reads exactly
    return value


def write_xlsx(deck: Deck) -> bytes:
    """The template as an xlsx workbook: sheets Forslag, Kommune and Kilder."""
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheets = [("Forslag", proposal_rows(deck)), ("Kommune", kommune_rows(deck)), ("Kilder", source_rows(deck))]
    for index, (title, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row])
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would store a text starting with = as a formula
        sheet.freeze_panes = "A2" if title != "Kommune" else None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- the deck as TOML files (`raaderum deck import` writes a deck folder) ------------------------


def _toml(value: object) -> str:
    """A value as TOML: JSON's strings, numbers and arrays are TOML's; objects become inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items() if v is not None) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def deck_files(deck: Deck) -> dict[str, str]:
    """File name -> TOML text: the deck as a folder `load_deck` reads back to the same deck."""
    data = deck.model_dump(mode="json", exclude_none=True)
    files = {
        "scenario.toml": "[scenario]\n"
        + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in data["scenario"].items())
    }
    for section in ("cards", "events", "roles", "levers", "sources"):
        items = data.get(section) or []
        if items:
            files[f"{section}.toml"] = f"{section} = [\n" + "".join(f"  {_toml(item)},\n" for item in items) + "]\n"
    return files
