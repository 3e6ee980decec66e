"""A municipality's råderumskatalog (Excel or CSV) as a deck: `import_catalog(data, filename, ...)`.

One row per proposal in the sheet `Forslag` (or the first sheet; a CSV is that sheet), an optional sheet
`Kommune` for the scenario and `Kilder` for the source table; in a CSV those follow the proposals after a
row holding only `[Kommune]` or `[Kilder]`. docs/decks.md ("Råderumskatalog") lists every column and the
defaults. The events, roles and levers are the default set (Korsbæk's) without those that name a card or
area the catalogue lacks; the report says which were left out.

Nothing here is evaluated: a cell is a value, and a formula (`=…`) is text, which a number column refuses.
Every problem is collected and raised at once as CatalogInvalid, each naming its row and column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.catalog_generic import Binding, generic_event, generic_hjertesag
from engine.deck import (
    DEFAULT_DECK_PATH,
    KINDS,
    REQUIRED_KINDS,
    Area,
    Card,
    Deck,
    EventCard,
    Lever,
    Role,
    Scenario,
    Source,
    _effect_card_refs,
    load_deck,
)
from engine.feasibility import STEP, FeasibleRange, feasible_range, with_default_target

# The defaults of the upload limits; the server takes its own from server/settings.py (RAADERUM_CATALOG_MAX_MB,
# RAADERUM_CATALOG_MAX_ROWS, docs/operations.md).
MAX_BYTES = 2 * 1024 * 1024  # a catalogue of 1,000 proposals is about 300 kB as CSV and 150 kB as xlsx
MAX_ROWS = 2000  # proposals in one catalogue


def size_text(max_bytes: int) -> str:
    """A size limit as the error message names it: "2 MB", "1.5 MB", "512 kB"."""
    if max_bytes < 1024 * 1024:
        return f"{round(max_bytes / 1024, 1):g} kB"
    return f"{round(max_bytes / (1024 * 1024), 2):g} MB"


FORMULA_START = ("=", "+", "-", "@")

# ---- errors ---------------------------------------------------------------------------------------

# code -> (Danish, English) message templates; {value} is the offending cell.
MESSAGES: dict[str, tuple[str, str]] = {
    "catalog.empty": ("Filen er tom", "The file is empty"),
    "catalog.too_large": ("Filen er større end {value}", "The file is larger than {value}"),
    "catalog.file_type": (
        "Filtypen kendes ikke: brug .xlsx eller .csv",
        "Unknown file type: use .xlsx or .csv",
    ),
    "catalog.macros": (
        "Filer med makroer (.xlsm) tages ikke imod: gem som .xlsx",
        "Files with macros (.xlsm) are refused: save as .xlsx",
    ),
    "catalog.unreadable": ("Filen kan ikke læses: {value}", "The file cannot be read: {value}"),
    "catalog.encoding": (
        "Teksten er hverken UTF-8 eller Windows-1252",
        "The text is neither UTF-8 nor Windows-1252",
    ),
    "catalog.too_many_rows": ("Højst {value} forslag", "At most {value} proposals"),
    "catalog.column_missing": ("Kolonnen mangler", "The column is missing"),
    "catalog.column_duplicate": ("Kolonnen står der to gange", "The column appears twice"),
    "catalog.years": (
        "Der skal være fire årskolonner (fx 2027, 2028, 2029, 2030), fandt {value}",
        "Four year columns are needed (e.g. 2027, 2028, 2029, 2030), found {value}",
    ),
    "catalog.no_proposals": ("Kataloget har ingen forslag", "The catalogue has no proposals"),
    "catalog.required": ("Feltet skal udfyldes", "The field must be filled in"),
    "catalog.id_invalid": (
        "Id'et {value} skal være to bogstaver, bindestreg og bogstaver/tal, fx ÆL-01",
        "The id {value} must be two letters, a hyphen and letters/digits, e.g. ÆL-01",
    ),
    "catalog.id_duplicate": ("Id'et {value} er brugt før", "The id {value} is used twice"),
    "catalog.kind_unknown": (
        "Typen {value} kendes ikke: besparelse, effektivisering, investering eller ønske",
        "Unknown type {value}: besparelse, effektivisering, investering or ønske",
    ),
    "catalog.area_unknown": (
        "Området {value} står ikke i arket Kommune",
        "The area {value} is not in the Kommune sheet",
    ),
    "catalog.not_number": ("{value} er ikke et tal", "{value} is not a number"),
    "catalog.formula": (
        "{value} er en formel: formler regnes ikke ud, skriv tallet",
        "{value} is a formula: formulas are not evaluated, type the number",
    ),
    "catalog.service_range": (
        "Service skal være et helt tal fra -2 til +2, ikke {value}",
        "Service must be a whole number from -2 to +2, not {value}",
    ),
    "catalog.uncertainty_unknown": (
        "Usikkerheden {value} kendes ikke: lav, medium eller høj",
        "Unknown uncertainty {value}: lav, medium or høj",
    ),
    "catalog.card_unknown": ("Forslaget {value} findes ikke i kataloget", "No proposal {value} in the catalogue"),
    "catalog.yes_no": ("{value} er hverken ja eller nej", "{value} is neither ja nor nej"),
    "catalog.kommune_field": ("Feltet {value} kendes ikke", "Unknown field {value}"),
    "catalog.invalid": ("Ugyldig værdi: {value}", "Invalid value: {value}"),
}


@dataclass(frozen=True)
class CatalogError:
    row: int | None  # the spreadsheet's row number (1 = the header row); None for the whole file
    column: str | None  # the column as the file names it (a Kommune field's name; None for the whole row)
    code: str
    value: str = ""
    sheet: str = "Forslag"

    def message(self, lang: str = "da") -> str:
        da, en = MESSAGES[self.code]
        return (en if lang == "en" else da).format(value=self.value)

    def as_json(self, lang: str = "da") -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "code": self.code,
                "message": self.message(lang)}  # fmt: skip


class CatalogInvalid(Exception):
    def __init__(self, errors: list[CatalogError]) -> None:
        super().__init__("; ".join(f"{e.sheet} row {e.row} {e.column}: {e.message('en')}" for e in errors))
        self.errors = errors


# ---- the report -----------------------------------------------------------------------------------


class ImportReport(BaseModel):
    municipality: str
    cards: int
    by_kind: dict[str, int]
    by_area: dict[str, dict[str, int]]  # area name -> kind -> cards
    target: float  # the deck's default X
    max_target: float
    max_target_worst_event: float
    levels: dict[str, float]  # let, middel, svær
    exact: bool = True  # the figures are proven optima (engine/feasibility.py); else the bounds say how far off
    max_target_bound: float | None = None  # no portfolio reaches more, no event
    max_target_worst_event_bound: float | None = None  # ... under the worst single event
    events: int
    roles: int
    left_out: list[str]  # events and hjertesager of the default set that name absent cards or areas
    # ... and those bound to the catalogue's cards of the same kind and area instead (engine/catalog_generic.py)
    adapted: list[str] = []
    warnings: list[str]


@dataclass
class Catalog:
    deck: Deck
    feasible: FeasibleRange
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (Danish, English)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    adapted: list[tuple[str, str]] = field(default_factory=list)  # default-set items bound to the catalogue

    def report(self, lang: str = "da") -> ImportReport:
        deck, scenario = self.deck, self.deck.scenario
        by_area: dict[str, dict[str, int]] = {}
        for area in scenario.areas:
            kinds = Counter(card.kind for card in deck.cards if card.area == area.id)
            if kinds:
                by_area[area.name.get(lang)] = {kind: kinds[kind] for kind in KINDS if kinds[kind]}
        kinds = Counter(card.kind for card in deck.cards)
        pick = 1 if lang == "en" else 0
        return ImportReport(
            municipality=scenario.municipality.get(lang),
            cards=len(deck.cards),
            by_kind={kind: kinds[kind] for kind in KINDS},
            by_area=by_area,
            target=scenario.default_target,
            max_target=self.feasible.max_target,
            max_target_worst_event=self.feasible.max_target_worst_event,
            levels={level.name: level.target for level in self.feasible.levels},
            exact=self.feasible.exact,
            max_target_bound=self.feasible.max_target_bound,
            max_target_worst_event_bound=self.feasible.max_target_worst_event_bound,
            events=len(deck.events),
            roles=len(deck.roles),
            left_out=[texts[pick] for texts in self.left_out],
            adapted=[texts[pick] for texts in self.adapted],
            warnings=[texts[pick] for texts in self.warnings],
        )


# ---- reading cells --------------------------------------------------------------------------------

Cell = str | float | int | bool | None


def _key(name: object) -> str:
    """A column or field name as matched: lower case, without spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_.\-]+", "", str(name or "")).lower()


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # The CSV export's guard against spreadsheets running a cell: a leading ' before =, +, - or @.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]
    return text


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def parse_number(value: Cell, decimal: str | None = None) -> float | None:
    """A number as Excel in Denmark writes it ("-1.234,5", "2,5", "0.8", "−3"); None if it is not one.

    `decimal` is the file's decimal mark when known (a `;` CSV: comma, a `,` CSV: point); None guesses:
    both marks: the last is the decimal; only a comma: decimal; only dots in groups of three: thousands."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value or "")).replace("\u2212", "-")
    if not text:
        return None
    if "," in text and "." in text:
        decimal = "," if text.rindex(",") > text.rindex(".") else "."
    elif decimal is None:
        decimal = "," if "," in text else ("," if _THOUSANDS.match(text) else ".")
    thousands = "." if decimal == "," else ","
    text = text.replace(thousands, "").replace(",", ".")
    return float(text) if _NUMBER.match(text) else None


@dataclass
class Sheet:
    name: str
    rows: list[list[Cell]]  # rows[0] is the spreadsheet's row 1
    decimal: str | None = None


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's "CSV (semikolonsepareret)" on a Danish Windows
    except UnicodeDecodeError:
        return None


def read_csv(data: bytes) -> tuple[dict[str, Sheet], list[CatalogError]]:
    text = _decode(data)
    if text is None:
        return {}, [CatalogError(None, None, "catalog.encoding")]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    decimal = "," if delimiter == ";" else "."
    sheets = {"forslag": Sheet("Forslag", [], decimal)}
    current = sheets["forslag"]
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells: list[Cell] = list(row)
        marker = _key(cells[0]) if cells and not any(_text(c) for c in cells[1:]) else ""
        if marker in ("[kommune]", "[kilder]"):
            name = marker.strip("[]")
            # The block's rows keep the file's row numbers: rows 1 … number stand empty in it.
            current = sheets[name] = Sheet(name.capitalize(), [[] for _ in range(number)], decimal)
            continue
        current.rows.append(cells)
    return sheets, []


def read_xlsx(data: bytes) -> tuple[dict[str, Sheet], list[CatalogError]]:
    import openpyxl  # type: ignore[import-untyped]  # only for xlsx; a CSV needs only the standard library

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if any(name.lower().endswith("vbaproject.bin") for name in archive.namelist()):
                return {}, [CatalogError(None, None, "catalog.macros")]
        # data_only=False: a formula cell reads as its text ("=A1*2") and is never evaluated.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file; its name says which
        return {}, [CatalogError(None, None, "catalog.unreadable", type(error).__name__)]
    sheets: dict[str, Sheet] = {}
    for index, worksheet in enumerate(book.worksheets):
        key = _key(worksheet.title)
        if key not in ("forslag", "kommune", "kilder"):
            if index != 0:
                continue
            key = "forslag"
        if key in sheets:
            continue
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        sheets[key] = Sheet(worksheet.title, rows)
    book.close()
    if "forslag" not in sheets and book.worksheets:
        first = book.worksheets[0]
        sheets["forslag"] = Sheet(first.title, [])
    return sheets, []


def read_file(data: bytes, filename: str, max_bytes: int = MAX_BYTES) -> tuple[dict[str, Sheet], list[CatalogError]]:
    if not data:
        return {}, [CatalogError(None, None, "catalog.empty")]
    if len(data) > max_bytes:
        return {}, [CatalogError(None, None, "catalog.too_large", size_text(max_bytes))]
    suffix = filename.lower().rpartition(".")[2]
    if suffix in ("xlsm", "xltm", "xlsb"):
        return {}, [CatalogError(None, None, "catalog.macros")]
    if suffix == "xlsx" and data.startswith(b"PK"):
        return read_xlsx(data)
    if suffix in ("csv", "txt") and not data.startswith(b"PK") and b"\x00" not in data[:4096]:
        return read_csv(data)
    return {}, [CatalogError(None, None, "catalog.file_type")]


# ---- columns --------------------------------------------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "nr", "nummer"),
    "title": ("titel", "title", "forslag"),
    "title_en": ("titelen", "titleen"),
    "area": ("område", "omraade", "omrade", "area"),
    "kind": ("type", "kind", "art"),
    "fte": ("årsværk", "aarsvaerk", "fte"),
    "service": ("service",),
    "uncertainty": ("usikkerhed", "uncertainty"),
    "description": ("beskrivelse", "description"),
    "description_en": ("beskrivelseen", "descriptionen"),
    "consequences": ("konsekvenser", "consequences"),
    "consequences_en": ("konsekvenseren", "consequencesen"),
    "phase_in": ("indfasning", "phasein"),
    "phase_in_en": ("indfasningen", "phaseinen"),
    "sources": ("kilder", "sources"),
    "requires": ("kræver", "kraever", "requires"),
    "excludes": ("udelukker", "excludes"),
    "estimated": ("skønnet", "skoennet", "estimated"),
    "scaled": ("skaleret", "scaled"),
    "scaled_en": ("skaleret_en", "skaleren", "scaleden"),
    # The meter's warnings about a pair (Card.warns_with): the other cards, and why, one line per card.
    "warns": ("advarer", "advarermod", "warnswith"),
    "warns_text": ("advarsel", "warning"),
    "warns_text_en": ("advarselen", "warningen"),
}
REQUIRED_COLUMNS = ("title", "area", "kind")
ALIASES = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
_YEAR = re.compile(r"^(?:anlæg|anlaeg|capital)?(\d{4})$")

KIND_WORDS = {
    "besparelse": "besparelse",
    "saving": "besparelse",
    "effektivisering": "effektivisering",
    "efficiency": "effektivisering",
    "investering": "investering",
    "investment": "investering",
    "ønske": "udvidelse",
    "onske": "udvidelse",
    "udvidelse": "udvidelse",
    "wish": "udvidelse",
    "expansion": "udvidelse",
}
UNCERTAINTY_WORDS = {"lav": "lav", "low": "lav", "medium": "medium", "mellem": "medium", "middel": "medium",
                     "høj": "høj", "hoej": "høj", "hoj": "høj", "high": "høj"}  # fmt: skip
YES = {"ja", "j", "yes", "y", "x", "sand", "true", "1"}
NO = {"nej", "n", "no", "falsk", "false", "0", ""}
# Without a Kommune sheet, an area whose name holds one of these is a welfare area (docs/decks.md).
WELFARE_WORDS = ("ældre", "aeldre", "dagtilbud", "børn", "boern", "skole", "social", "handicap", "sundhed",
                 "psykiatri", "beskæftigelse", "familie", "unge", "pleje")  # fmt: skip

DEFAULT_PHASE_IN = ("Som beløbene pr. år viser", "As the amounts per year show")
DEFAULT_CONSEQUENCES = ("Ikke beskrevet i kataloget", "Not described in the catalogue")


@dataclass
class Header:
    columns: dict[str, int]  # field -> index
    names: dict[int, str]  # index -> the header as written
    years: list[tuple[str, int]]  # (label, index) of the operating amounts
    capital: dict[str, int]  # year label -> index
    ignored: list[str]


def _header(row: Sequence[Cell], errors: list[CatalogError]) -> Header:
    header = Header({}, {}, [], {}, [])
    for index, cell in enumerate(row):
        written = _text(cell)
        if not written:
            continue
        header.names[index] = written
        key = _key(written)
        year = _YEAR.match(key)
        name = ALIASES.get(key)
        if year and key[0].isdigit():
            header.years.append((year.group(1), index))
        elif year:
            header.capital[year.group(1)] = index
        elif name is None:
            header.ignored.append(written)
        elif name in header.columns:
            errors.append(CatalogError(1, written, "catalog.column_duplicate"))
        else:
            header.columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in header.columns:
            errors.append(CatalogError(1, COLUMNS[name][0], "catalog.column_missing"))
    if len(header.years) != 4:
        errors.append(CatalogError(1, None, "catalog.years", str(len(header.years))))
    return header


# ---- the scenario ---------------------------------------------------------------------------------


@dataclass
class KommuneSheet:
    values: dict[str, list[Cell]]
    rows: dict[str, int]  # field -> row number
    areas: list[tuple[int, list[Cell]]]  # (row number, id, navn, navn_en, servicebudget, velfærd)


KOMMUNE_FIELDS = {
    "kommune": "municipality", "kommuneen": "municipality_en", "navn": "municipality",
    "beskrivelse": "description", "beskrivelseen": "description_en",
    "indbyggere": "inhabitants", "nettodriftsudgifter": "net_operating_budget",
    "år": "years", "aar": "years", "ubalance": "baseline_gap", "måltal": "default_target", "x": "default_target",
    "ønsker": "wish_funding", "ønskefinansiering": "wish_funding", "anlægspulje": "capital_pool",
    "runder": "default_rounds", "afstemning": "default_rule", "hemmeligeroller": "secret_roles",
    "prisniveau": "price_level", "prisniveauen": "price_level_en",
    "minspillere": "min_players", "maxspillere": "max_players",
    "målprofil": "target_profile", "strukturtolerance": "structural_tolerance", "artsandel": "kind_share_min",
    "træthedsandsynlighed": "fatigue_probability", "træthedfaktor": "fatigue_factor",
}  # fmt: skip
KOMMUNE_NAMES = {value: key for key, value in reversed(KOMMUNE_FIELDS.items())}
BALANCE_FIELDS = ("target_profile", "structural_tolerance", "kind_share_min", "fatigue_probability", "fatigue_factor")
RULE_WORDS = {"broad": "broad", "bredt": "broad", "consensus": "consensus", "enighed": "consensus",
              "majority": "majority", "flertal": "majority"}  # fmt: skip


def _kommune(sheet: Sheet | None, errors: list[CatalogError]) -> KommuneSheet:
    result = KommuneSheet({}, {}, [])
    if sheet is None:
        return result
    for number, row in enumerate(sheet.rows, start=1):
        key = _key(row[0]) if row else ""
        if not key or key == "felt":
            continue
        if key in ("område", "omraade", "area"):
            if len(row) > 1 and _key(row[1]) != "id":  # not the areas' own header row
                result.areas.append((number, list(row[1:6]) + [None] * (5 - len(row[1:6]))))
        elif key in KOMMUNE_FIELDS:
            result.values[KOMMUNE_FIELDS[key]] = list(row[1:5])
            result.rows[KOMMUNE_FIELDS[key]] = number
        else:
            errors.append(CatalogError(number, _text(row[0]), "catalog.kommune_field", _text(row[0]), "Kommune"))
    return result


def _slug(name: str) -> str:
    text = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"[^a-z]+", "_", text).strip("_") or "omraade"


class _Cells:
    """Reads typed values out of cells, collecting an error for each one that is not what it should be."""

    def __init__(self, errors: list[CatalogError], sheet: str, decimal: str | None) -> None:
        self.errors = errors
        self.sheet = sheet
        self.decimal = decimal

    def error(self, row: int, column: str | None, code: str, value: object = "") -> None:
        self.errors.append(CatalogError(row, column, code, str(value), self.sheet))

    def number(self, value: Cell, row: int, column: str, default: float | None = 0.0) -> float | None:
        text = _text(value)
        if not text and not isinstance(value, int | float):
            if default is None:
                self.error(row, column, "catalog.required")
            return default
        number = parse_number(value, self.decimal)
        if number is None:
            formula = isinstance(value, str) and value.strip()[:1] in FORMULA_START
            self.error(row, column, "catalog.formula" if formula else "catalog.not_number", text)
        return number

    def yes_no(self, value: Cell, row: int, column: str) -> bool:
        word = _key(value) if not isinstance(value, bool) else ("ja" if value else "nej")
        if word in YES:
            return True
        if word not in NO:
            self.error(row, column, "catalog.yes_no", _text(value))
        return False


def _years(cells: _Cells, values: list[Cell], row: int, column: str) -> tuple[float, ...]:
    numbers = [cells.number(values[i] if i < len(values) else None, row, column, None) for i in range(4)]
    return tuple(number or 0.0 for number in numbers)


def _scenario_data(
    kommune: KommuneSheet, cells: _Cells, deck_id: str, name: str | None, years: list[str], cards: int
) -> tuple[dict[str, Any], list[Area | None]]:
    """The scenario's fields from the Kommune sheet (or the defaults), without areas and the target."""
    values, rows = kommune.values, kommune.rows

    def text(key: str, default: str) -> str:
        return _text((values.get(key) or [None])[0]) or default

    def number(key: str, default: float) -> float:
        if key not in values:
            return default
        return cells.number((values[key] or [None])[0], rows[key], KOMMUNE_NAMES[key], default) or 0.0

    municipality = text("municipality", name or "Vores Kommune")
    data: dict[str, Any] = {
        "id": deck_id,
        "municipality": {"da": municipality, "en": text("municipality_en", municipality)},
        "description": {
            "da": text("description", f"{municipality}s eget råderumskatalog med {cards} forslag."),
            "en": text("description_en", f"{municipality}'s own catalogue of {cards} proposals."),
        },
        "inhabitants": int(number("inhabitants", 50000)),
        "years": tuple(_text(v) for v in values["years"][:4]) if "years" in values else tuple(years),
        "wish_funding": _years(cells, values["wish_funding"], rows["wish_funding"], KOMMUNE_NAMES["wish_funding"])
        if "wish_funding" in values
        else (0.0, 0.0, 0.0, 0.0),
        "capital_pool": number("capital_pool", 0.0),
        "default_rounds": int(number("default_rounds", 3)),
        "default_rule": RULE_WORDS.get(_key(text("default_rule", "broad")), text("default_rule", "broad")),
        "secret_roles": cells.yes_no(values["secret_roles"][0], rows["secret_roles"], "hemmelige_roller")
        if "secret_roles" in values
        else True,
        "min_players": int(number("min_players", 3)),
        "max_players": int(number("max_players", 8)),
    }
    if "net_operating_budget" in values:
        data["net_operating_budget"] = number("net_operating_budget", 1.0)
    if "default_target" in values:
        data["default_target"] = number("default_target", 1.0)
    if "baseline_gap" in values:
        data["baseline_gap"] = _years(cells, values["baseline_gap"], rows["baseline_gap"], "ubalance")
    if "price_level" in values:
        level = text("price_level", "")
        data["price_level"] = {"da": level, "en": text("price_level_en", level)}
    balance = {key: values[key][0] for key in BALANCE_FIELDS if key in values}
    if balance:
        data["balance"] = {
            key: (_text(value) if key == "target_profile" else number(key, 0.0)) for key, value in balance.items()
        }
    areas: list[Area | None] = []
    for row, (area_id, area_name, area_en, budget, welfare) in kommune.areas:
        try:
            areas.append(
                Area(
                    id=_text(area_id),
                    name={"da": _text(area_name) or _text(area_id), "en": _text(area_en) or _text(area_name)},
                    service_budget=cells.number(budget, row, "servicebudget", None) or 0.0,
                    welfare=cells.yes_no(welfare, row, "velfærd"),
                )
            )
        except ValidationError as error:
            cells.error(row, "område", "catalog.invalid", _first_problem(error))
            areas.append(None)
    return data, areas


def _first_problem(error: ValidationError) -> str:
    detail = error.errors()[0]
    return f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"


# ---- proposals ------------------------------------------------------------------------------------


def _split_ids(value: Cell) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in re.split(r"[,;]", _text(value)) if part.strip())


DEFAULT_WARNING = ("Forslagene trækker i hver sin retning", "The proposals pull in different directions")


def _warnings_of(cards: Cell, texts: Cell, texts_en: Cell) -> list[dict[str, Any]]:
    """`advarer` (ids separated by commas) with `advarsel`/`advarsel_en` (one line per id, in the same order)."""
    da = [line.strip() for line in _text(texts).splitlines() if line.strip()]
    en = [line.strip() for line in _text(texts_en).splitlines() if line.strip()]
    found = []
    for index, card in enumerate(_split_ids(cards)):
        text_da = da[index] if index < len(da) else DEFAULT_WARNING[0]
        text_en = en[index] if index < len(en) else (text_da if index < len(da) else DEFAULT_WARNING[1])
        found.append({"card": card, "text": {"da": text_da, "en": text_en}})
    return found


def _split_sources(value: Cell) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,;]", _text(value)) if part.strip())


def _area_for(areas: list[Area], value: str) -> Area | None:
    key = _key(value)
    return next((a for a in areas if key in (_key(a.id), _key(a.name.da), _key(a.name.en))), None)


def _card_rows(
    sheet: Sheet, header: Header, areas: list[Area], fixed_areas: bool, cells: _Cells
) -> tuple[list[tuple[int, dict[str, Any]]], list[Area]]:
    """Each proposal row as the fields of a Card (areas made up when there is no Kommune sheet)."""
    col, name_of = header.columns, header.names
    found: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(sheet.rows[1:], start=2):
        if not any(_text(cell) for cell in row):
            continue

        def get(field: str, row: list[Cell] = row) -> Cell:
            index = col.get(field)
            return row[index] if index is not None and index < len(row) else None

        def column(field: str) -> str:
            return name_of.get(col.get(field, -1), COLUMNS[field][0])

        title = _text(get("title"))
        if not title:
            cells.error(number, column("title"), "catalog.required")
        area_text = _text(get("area"))
        area = _area_for(areas, area_text) if area_text else None
        if not area_text:
            cells.error(number, column("area"), "catalog.required")
        elif area is None and fixed_areas:
            cells.error(number, column("area"), "catalog.area_unknown", area_text)
        elif area is None:
            area = Area(id=_slug(area_text), name={"da": area_text, "en": area_text}, service_budget=100.0,
                        welfare=any(word in area_text.lower() for word in WELFARE_WORDS))  # fmt: skip
            if _area_for(areas, area.id) is not None:  # "Ældre" and "Aeldre": one area
                area = _area_for(areas, area.id)
            else:
                areas.append(area)
        kind_text = _text(get("kind"))
        kind = KIND_WORDS.get(_key(kind_text))
        if kind is None:
            cells.error(number, column("kind"), "catalog.kind_unknown" if kind_text else "catalog.required", kind_text)
        service = cells.number(get("service"), number, column("service"), 0.0)
        if service is not None and (not float(service).is_integer() or not -2 <= service <= 2):
            cells.error(number, column("service"), "catalog.service_range", _text(get("service")))
        uncertainty_text = _text(get("uncertainty")) or "medium"
        uncertainty = UNCERTAINTY_WORDS.get(_key(uncertainty_text))
        if uncertainty is None:
            cells.error(number, column("uncertainty"), "catalog.uncertainty_unknown", uncertainty_text)
        amounts = [cells.number(row[i] if i < len(row) else None, number, name_of[i]) for _, i in header.years]
        capital = [
            cells.number(row[i] if i < len(row) else None, number, name_of[i])
            if (i := header.capital.get(label)) is not None
            else 0.0
            for label, _ in header.years
        ]
        fte = cells.number(get("fte"), number, column("fte"), 0.0)
        card_id = _text(get("id")).upper()
        if not card_id and area is not None:
            letters = re.sub(r"[^A-ZÆØÅ]", "", area.name.da.upper()) + "XX"
            card_id = f"{letters[:2]}-{number}"

        def text(field: str, default: str) -> dict[str, str]:
            da = _text(get(field)) or default
            return {"da": da, "en": _text(get(f"{field}_en")) or da}

        scaled = _text(get("scaled"))
        found.append(
            (
                number,
                {
                    "id": card_id,
                    "title": {"da": title or "-", "en": _text(get("title_en")) or title or "-"},
                    "area": area.id if area else "",
                    "kind": kind or "besparelse",
                    "amounts": tuple(a or 0.0 for a in amounts),
                    "capital": tuple(c or 0.0 for c in capital),
                    "fte": fte or 0.0,
                    "service": int(service) if service is not None and -2 <= service <= 2 else 0,
                    "uncertainty": uncertainty or "medium",
                    "phase_in": {"da": _text(get("phase_in")) or DEFAULT_PHASE_IN[0],
                                 "en": _text(get("phase_in_en")) or _text(get("phase_in")) or DEFAULT_PHASE_IN[1]},
                    "description": text("description", title or "-"),
                    "consequences": {"da": _text(get("consequences")) or DEFAULT_CONSEQUENCES[0],
                                     "en": _text(get("consequences_en")) or _text(get("consequences"))
                                     or DEFAULT_CONSEQUENCES[1]},
                    "sources": _split_sources(get("sources")),
                    "estimated": cells.yes_no(get("estimated"), number, column("estimated")),
                    "scaled": {"da": scaled, "en": _text(get("scaled_en")) or scaled} if scaled else None,
                    "requires": _split_ids(get("requires")),
                    "warns_with": _warnings_of(get("warns"), get("warns_text"), get("warns_text_en")),
                    "excludes": _split_ids(get("excludes")),
                },
            )
        )  # fmt: skip
    return found, areas


def _cards(rows: list[tuple[int, dict[str, Any]]], header: Header, cells: _Cells) -> list[Card]:
    names = header.names
    column = {field: names.get(header.columns.get(field, -1), COLUMNS[field][0]) for field in COLUMNS}
    ids = Counter(data["id"] for _, data in rows)
    seen: set[str] = set()
    cards: list[Card] = []
    for row, data in rows:
        if data["id"] in seen:
            cells.error(row, column["id"], "catalog.id_duplicate", data["id"])
        seen.add(data["id"])
        for link in ("requires", "excludes"):
            for other in data[link]:
                if other not in ids:
                    cells.error(row, column[link], "catalog.card_unknown", other)
        for warning in data["warns_with"]:
            if warning["card"] not in ids:
                cells.error(row, column["warns"], "catalog.card_unknown", warning["card"])
        try:
            cards.append(Card.model_validate(data))
        except ValidationError as error:
            for detail in error.errors():
                field = str(detail["loc"][0])
                if field == "id":
                    cells.error(row, column["id"], "catalog.id_invalid", data["id"])
                else:
                    cells.error(row, column.get(field, field), "catalog.invalid", detail["msg"])
    return cards


def _sources(sheet: Sheet | None, cells: _Cells) -> list[Source]:
    if sheet is None:
        return []
    sources: list[Source] = []
    header: list[str] = []
    for number, row in enumerate(sheet.rows, start=1):
        if not any(_text(cell) for cell in row):
            continue
        if not header:
            header = [_key(cell) for cell in row]
            continue
        values = dict(zip(header, row, strict=False))
        year = _text(values.get("år"))
        try:
            sources.append(
                Source(
                    id=_text(values.get("id")),
                    title=_text(values.get("titel")),
                    publisher=_text(values.get("udgiver")),
                    year=int(parse_number(year) or 0) if year else None,
                    url=_text(values.get("url")),
                    see_also=_split_sources(values.get("seogså")),
                )
            )
        except ValidationError as error:
            cells.error(number, str(error.errors()[0]["loc"][0]), "catalog.invalid", _first_problem(error))
    return sources


# ---- events, roles and levers ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_set() -> Deck:
    """The events, roles and levers every imported catalogue plays with (those that fit it)."""
    return load_deck(DEFAULT_DECK_PATH)


def _localised(items: Iterable[BaseModel], model: type[BaseModel], short_name: str) -> list[Any]:
    """The default set's texts with Korsbæk replaced by the catalogue's municipality."""
    items = list(items)
    if short_name == "Korsbæk":
        return items
    dumped = json.dumps([item.model_dump(mode="json") for item in items], ensure_ascii=False)
    return [model.model_validate(item) for item in json.loads(dumped.replace("Korsbæk", short_name))]


def _fitting_set(
    cards: Sequence[Card], areas: Sequence[Area], sources: set[str], short_name: str
) -> tuple[list[EventCard], list[Role], list[Lever], list[tuple[str, str]], list[tuple[str, str]]]:
    """The default set for the catalogue: events and hjertesager naming absent cards bound to the catalogue's
    cards of the same kind and area (engine/catalog_generic.py), or left out when there are none; the levers.
    Returns them with the (Danish, English) lines of the items left out and of those bound anew."""
    base = default_set()
    binding = Binding(base.cards, base.scenario.areas, cards, areas)
    ids, area_ids = {card.id for card in cards}, {area.id for area in areas}
    left_out: list[tuple[str, str]] = []
    adapted: list[tuple[str, str]] = []

    def cited(found: tuple[str, ...]) -> tuple[str, ...]:
        # The catalogue's source table decides which citations stay; none without a table.
        return tuple(source for source in found if source in sources)

    events: list[EventCard] = []
    for event in base.events:
        missing = sorted({ref for effect in event.effects for _, ref in _effect_card_refs(effect)} - ids)
        generic = generic_event(event, binding) if missing else event
        if generic is None:
            left_out.append((f"Begivenhed {event.id} «{event.title.da}»: nævner {', '.join(missing)}",
                             f"Event {event.id} “{event.title.en}”: names {', '.join(missing)}"))  # fmt: skip
            continue
        events.append(generic.model_copy(update={"sources": cited(event.sources)}))
        if missing:
            bound = ", ".join(sorted({ref for effect in generic.effects for _, ref in _effect_card_refs(effect)}))
            instead = ", ".join(missing)
            adapted.append((f"Begivenhed {event.id} «{event.title.da}»: gælder {bound} (for {instead})",
                            f"Event {event.id} “{event.title.en}”: applies to {bound} (for {instead})"))  # fmt: skip
    roles: list[Role] = []
    for role in base.roles:
        kept = []
        for sag in role.hjertesager:
            names = set(getattr(sag.condition, "cards", ()))
            area = getattr(sag.condition, "area", None)
            missing = sorted(names - ids) + ([area] if area is not None and area not in area_ids else [])
            fitted = generic_hjertesag(sag, binding) if missing else sag
            if fitted is None:
                left_out.append((f"Hjertesag for {role.title.da} «{sag.text.da}»: nævner {', '.join(missing)}",
                                 f"Cause of {role.title.en} “{sag.text.en}”: names {', '.join(missing)}"))  # fmt: skip
                continue
            kept.append(fitted)
            if missing:
                adapted.append((f"Hjertesag for {role.title.da} «{sag.text.da}»: nu «{fitted.text.da}»",
                                f"Cause of {role.title.en} “{sag.text.en}”: now “{fitted.text.en}”"))  # fmt: skip
        abilities = _fitted_abilities(role, binding, {event.id for event in events}, left_out, adapted)
        printed = role.ability if abilities or not role.abilities else None  # no ability left: no text either
        roles.append(role.model_copy(update={"hjertesager": tuple(kept), "abilities": abilities, "ability": printed}))
    levers = [lever.model_copy(update={"sources": cited(lever.sources)}) for lever in base.levers]
    return (
        _localised(events, EventCard, short_name),
        _localised(roles, Role, short_name),
        _localised(levers, Lever, short_name),
        left_out,
        adapted,
    )


def _fitted_abilities(
    role: Role, binding: Binding, event_ids: set[str], left_out: list[tuple[str, str]], adapted: list[tuple[str, str]]
) -> tuple[Any, ...]:
    """A role's abilities on the catalogue: the cards an ability may take bound to the catalogue's cards of their
    kind and area, the events it answers kept when the catalogue kept them; an ability left with no card or no
    event is taken off the card (the report says so), as an ability that cannot work must not be offered."""
    fitted = []
    for ability in role.abilities:
        update: dict[str, tuple[str, ...]] = {}
        cards = getattr(ability, "cards", None)
        if cards and not set(cards) <= set(binding.cards):
            update["cards"] = tuple(dict.fromkeys(c for card in cards for c in binding.bind(card)))
        events = getattr(ability, "events", None)
        if events and not set(events) <= event_ids:
            update["events"] = tuple(event for event in events if event in event_ids)
        if any(not values for values in update.values()):
            missing = ", ".join(sorted({*(cards or ()), *(events or ())} - set(binding.cards) - event_ids))
            left_out.append((f"Evne {ability.id} for {role.title.da}: nævner {missing}",
                             f"Ability {ability.id} of {role.title.en}: names {missing}"))  # fmt: skip
            continue
        if update:
            bound = ", ".join(value for values in update.values() for value in values)
            adapted.append((f"Evne {ability.id} for {role.title.da}: gælder {bound}",
                            f"Ability {ability.id} of {role.title.en}: applies to {bound}"))  # fmt: skip
        fitted.append(ability.model_copy(update=update))
    return tuple(fitted)


# The default set's levers are sized for Korsbæk: a tax rise of 0,1 procentpoint on its tax base, a draw on
# its cash reserve, a flat cut of its service budgets (engine/budget.lever_amounts applies the share itself).
KORSBAEK_INHABITANTS = 50_000
KORSBAEK_NET_OPERATING = 3_000.0
KORSBAEK_SERVICE = 2_300.0
_DA_AMOUNT = re.compile(r"(\d+(?:,\d+)?)( mio\. kr\.)")
_EN_AMOUNT = re.compile(r"(DKK )(\d+(?:\.\d+)?)( million)")


def _scale_text(text: Any, factor: float) -> Any:
    """A lever's Text with every amount of mio. kr. in it multiplied by `factor` (one decimal)."""
    if text is None:
        return None

    def figure(value: float, mark: str) -> str:
        return f"{round(value, 1):g}".replace(".", mark)

    da = _DA_AMOUNT.sub(lambda m: figure(float(m[1].replace(",", ".")) * factor, ",") + m[2], text.da)
    en = _EN_AMOUNT.sub(lambda m: m[1] + figure(float(m[2]) * factor, ".") + m[3], text.en)
    return text.model_copy(update={"da": da, "en": en})


_NUMBERS = ("nul", "ét", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti", "elleve", "tolv")
_NUMBERS_EN = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def _count_areas(text: Any, areas: int) -> Any:
    """Korsbæk's "alle otte områder" / "all eight areas" with the catalogue's number of areas."""
    if text is None or areas == 8:
        return text
    da = _NUMBERS[areas] if areas < len(_NUMBERS) else str(areas)
    en = _NUMBERS_EN[areas] if areas < len(_NUMBERS_EN) else str(areas)
    return text.model_copy(update={"da": text.da.replace("alle otte områder", f"alle {da} områder"),
                                   "en": text.en.replace("all eight areas", f"all {en} areas")})  # fmt: skip


def scaled_levers(
    levers: Sequence[Lever],
    inhabitants: int | None,
    net_operating_budget: float | None,
    areas: Sequence[Area],
    cards: Sequence[Card],
) -> list[Lever]:
    """The default set's levers sized for the catalogue's municipality: the tax rise by its inhabitants (the
    tax base per inhabitant is Korsbæk's), the cash draw and its repayment by its net operating expenditure
    (by the inhabitants when the Kommune sheet gives none), the grønthøster's figures in the texts by its
    service budgets (its amount is already a share of them). A catalogue without inhabitants is sized by its
    proposals: their year-4 gains against Korsbæk's. Korsbæk's own figures give Korsbæk's levers."""
    if inhabitants is not None:
        people = inhabitants / KORSBAEK_INHABITANTS
    else:
        gains = sum(max(0.0, card.amounts[3]) for card in cards if card.kind != "udvidelse")
        korsbaek = sum(max(0.0, card.amounts[3]) for card in default_set().cards if card.kind != "udvidelse")
        people = gains / korsbaek if gains > 0 else 1.0
    factors = {
        "skatteforhoejelse": people,
        "kassetraek": net_operating_budget / KORSBAEK_NET_OPERATING if net_operating_budget else people,
        "groenthoester": sum(area.service_budget for area in areas) / KORSBAEK_SERVICE,
    }
    scaled: list[Lever] = []
    for lever in levers:
        factor = factors[lever.lever]
        if abs(factor - 1.0) < 1e-9 and len(areas) == 8:
            scaled.append(lever)
            continue
        update: dict[str, Any] = {
            field: _count_areas(_scale_text(getattr(lever, field), factor), len(areas))
            for field in ("description", "consequences")
        }
        if lever.lever != "groenthoester":
            a, b, c, d = (round(value * factor, 1) + 0.0 for value in lever.amounts)
            update["amounts"] = (a, b, c, d)
        scaled.append(lever.model_copy(update=update))
    return scaled


# ---- the import -----------------------------------------------------------------------------------


def _warnings(deck: Deck, feasible: FeasibleRange, ignored: list[str]) -> list[tuple[str, str]]:
    warnings: list[tuple[str, str]] = []
    kinds = Counter(card.kind for card in deck.cards)
    names = {"besparelse": "besparelser", "effektivisering": "effektiviseringer", "investering": "investeringer"}
    for kind in REQUIRED_KINDS:
        if not kinds[kind]:
            warnings.append((f"Ingen {names[kind]}: forliget kræver alle tre typer", f"No {kind} proposals: the "
                             "verdict asks for all three kinds"))  # fmt: skip
    scenario = deck.scenario
    if scenario.default_target > feasible.max_target:
        warnings.append(
            (f"Kataloget er for lille til X = {scenario.default_target:g}: højst {feasible.max_target:g} mio. kr.",
             f"The catalogue is too small for X = {scenario.default_target:g}: at most {feasible.max_target:g}")
        )  # fmt: skip
    harsh = [card for card in deck.cards if card.service == -2]
    if harsh and all(scenario.area(card.area).welfare for card in harsh):
        warnings.append(("Alle forslag med service −2 ligger på velfærdsområder",
                         "Every proposal with service −2 is in a welfare area"))  # fmt: skip
    if any(scenario.wish_funding) and not kinds["udvidelse"]:
        warnings.append(("Kommunen kræver ønsker finansieret, men kataloget har ingen ønsker",
                         "Wishes must be funded, but the catalogue has none"))  # fmt: skip
    if scenario.capital_pool == 0 and any(any(value < 0 for value in card.capital) for card in deck.cards):
        warnings.append(("Forslag kræver anlæg, men der er ingen anlægspulje",
                         "Proposals need capital, but there is no capital pool"))  # fmt: skip
    if ignored:
        warnings.append((f"Kolonner, der ikke bruges: {', '.join(ignored)}", f"Columns not used: {', '.join(ignored)}"))
    return warnings


def import_catalog(
    data: bytes,
    filename: str,
    deck_id: str = "katalog",
    name: str | None = None,
    *,
    feasibility: Callable[[Deck], FeasibleRange] = feasible_range,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Catalog:
    """The catalogue in `data` as a deck with its report; CatalogInvalid naming every problem at once. A file
    over `max_bytes` or with more than `max_rows` proposals is refused (catalog.too_large, too_many_rows)."""
    sheets, errors = read_file(data, filename, max_bytes)
    if errors:
        raise CatalogInvalid(errors)
    forslag = sheets["forslag"]
    cells = _Cells(errors, forslag.name, forslag.decimal)
    rows = [row for row in forslag.rows]
    while rows and not any(_text(cell) for cell in rows[0]):
        rows.pop(0)  # a title row or two above the header: the rows keep their numbers below
    skipped = len(forslag.rows) - len(rows)
    forslag = Sheet(forslag.name, forslag.rows[skipped:], forslag.decimal)
    if not forslag.rows:
        raise CatalogInvalid([CatalogError(None, None, "catalog.no_proposals")])
    header = _header(forslag.rows[0], errors)
    kommune_sheet = sheets.get("kommune")
    kommune = _kommune(kommune_sheet, errors)
    kcells = _Cells(errors, kommune_sheet.name if kommune_sheet else "Kommune", forslag.decimal)
    if len(forslag.rows) - 1 > max_rows:
        errors.append(CatalogError(None, None, "catalog.too_many_rows", str(max_rows)))
    if any(error.sheet == forslag.name for error in errors):
        # Without its columns the rows cannot be read; the Kommune sheet's problems are listed with these.
        raise CatalogInvalid(_renumbered(errors, skipped, forslag.name))
    proposals = sum(1 for row in forslag.rows[1:] if any(_text(cell) for cell in row))
    data_, fixed = _scenario_data(kommune, kcells, deck_id, name, [label for label, _ in header.years], proposals)
    rows_, areas = _card_rows(forslag, header, [a for a in fixed if a], bool(kommune.areas), cells)
    cards = _cards(rows_, header, cells)
    sources = _sources(sheets.get("kilder"), _Cells(errors, "Kilder", forslag.decimal))
    if not rows_:
        errors.append(CatalogError(None, None, "catalog.no_proposals"))
    if errors:
        raise CatalogInvalid(_renumbered(errors, skipped, forslag.name))
    short = data_["municipality"]["da"].removesuffix(" Kommune").strip()
    events, roles, levers, left_out, adapted = _fitting_set(cards, areas, {source.id for source in sources}, short)
    data_["areas"] = tuple(areas)
    people = data_["inhabitants"] if "inhabitants" in kommune.values else None
    levers = scaled_levers(levers, people, data_.get("net_operating_budget"), areas, cards)
    data_.setdefault("net_operating_budget", sum(area.service_budget for area in areas))
    given_target = "default_target" in data_
    data_.setdefault("default_target", 1.0)
    data_.setdefault("baseline_gap", (data_["default_target"],) * 4)
    deck = _deck(data_, cards, events, roles, sources, levers, kommune.rows)
    feasible = feasibility(deck)
    if not given_target:
        # The default X: the budgetår's ubalance when the Kommune sheet gives one; else what the proposals alone
        # deliver under the worst single event (the gap then X in every year). The search's figures do not
        # depend on X here (a given gap is kept; a constant one has no pressure and slope 1), only its levels.
        if "baseline_gap" in kommune.values:
            target = float(data_["baseline_gap"][0])
        else:
            target = _step(feasible.max_target_cards_worst_event) or _step(feasible.max_target_worst_event)
            target = target or max(STEP, _step(feasible.max_target))
            data_["baseline_gap"] = (target,) * 4
        data_["default_target"] = target
        deck = _deck(data_, cards, events, roles, sources, levers)
        if feasibility is feasible_range:
            feasible = with_default_target(feasible, deck)
    return Catalog(deck, feasible, left_out, _warnings(deck, feasible, header.ignored), adapted)


def _step(value: float) -> float:
    """Down to the feasibility's step of 0,5 mio. kr."""
    return math.floor(value / STEP + 1e-9) * STEP


def _deck(
    scenario: dict[str, Any],
    cards: list[Card],
    events: list[EventCard],
    roles: list[Role],
    sources: list[Source],
    levers: list[Lever],
    rows: dict[str, int] | None = None,
) -> Deck:
    try:
        return Deck(
            scenario=Scenario.model_validate(scenario),
            cards=tuple(cards),
            events=tuple(events),
            roles=tuple(roles),
            sources=tuple(sources),
            levers=tuple(levers),
        )
    except ValidationError as error:
        # The Kommune sheet's row of the field, when the sheet gave it (a default has no row).
        errors = [
            CatalogError((rows or {}).get(str(detail["loc"][0])),
                         KOMMUNE_NAMES.get(str(detail["loc"][0]), ".".join(map(str, detail["loc"]))),
                         "catalog.invalid", detail["msg"], "Kommune")
            for detail in error.errors()
        ]  # fmt: skip
        raise CatalogInvalid(errors) from None


def _renumbered(errors: list[CatalogError], skipped: int, sheet: str) -> list[CatalogError]:
    """Rows counted from the header back to the file's own row numbers (blank rows above the header)."""
    if not skipped:
        return errors
    return [
        CatalogError(e.row + skipped if e.row is not None and e.sheet == sheet else e.row, e.column, e.code,
                     e.value, e.sheet)
        for e in errors
    ]  # fmt: skip
