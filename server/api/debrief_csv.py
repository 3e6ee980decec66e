"""The cross-table debrief as CSV: a row per table, and a row per table and card, with the column names and the
words among the values in the conference's language (server/api/export_names.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Literal

from engine.conference import CrossDebrief
from server.api import export_names as names
from server.api.export_names import Lang

Dialect = Literal["standard", "da"]


def _number(value: float | None, dialect: Dialect) -> str:
    if value is None:
        return ""
    text = f"{round(value, 4) + 0.0:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if dialect == "da" else text


def _flag(value: bool | None) -> str:
    return "" if value is None else "1" if value else "0"


# A cell a spreadsheet would run (a formula, or DDE): text that starts with one of these and is not a number.
# Names and titles come from people (a conference's name, an uploaded catalogue's titles), so such a cell gets a
# leading ' and is shown as the text it is (as engine/catalog_template.py writes the catalogue).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: str) -> str:
    if not cell.startswith(FORMULA_START):
        return cell
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return "'" + cell
    return cell


def _csv(rows: Sequence[Sequence[str]], dialect: Dialect) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dialect == "da" else ",", lineterminator="\r\n")
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    # Excel in Danish reads ; and decimal commas, and needs the byte order mark to see UTF-8.
    return ("\ufeff" if dialect == "da" else "") + buffer.getvalue()


def tables_csv(cross: CrossDebrief, dialect: Dialect = "standard", lang: Lang = "da") -> str:
    """A row per table: its forlig against the target, the verdict, the composition, the reality check."""
    labels = cross.years
    kind_ids = list(cross.composition.average.by_kind)

    def per(key: str, suffixes: Sequence[str]) -> list[str]:
        return [names.column(key, lang, suffix) for suffix in suffixes]

    header = [
        *(names.name(key, lang) for key in ("table_number", "table", "table_id", "phase", "players", "forlig")),
        *(names.name(key, lang) for key in ("cards", "proposals", "rounds")),
        *per("result", labels),
        *per("reached", labels),
        names.name("verdict_reached", lang),
        names.name("reality_checked", lang),
        *per("realised_result", labels),
        *per("realised_reached", labels),
        names.name("administration_share", lang),
        names.name("welfare_share", lang),
        *per("share", [names.kind(kind, lang) for kind in kind_ids]),
        *per("probability", labels),
        names.name("probability_all_years", lang),
    ]
    shares = {c.table_id: c.shares for c in cross.composition.tables}
    rows = [header]
    for t in cross.tables:
        realised = t.realised_result or (None, None, None, None)
        realised_reached = t.realised_reached or (None, None, None, None)
        rows.append(
            [
                str(t.number),
                t.name,
                t.table_id,
                names.phase(t.phase, lang),
                str(t.players),
                t.forlig or "",
                " ".join(t.cards),
                str(t.proposals),
                str(t.rounds),
                *(_number(value, dialect) for value in t.result),
                *(_flag(value) for value in t.reached),
                _flag(t.verdict_reached),
                _flag(t.rolled),
                *(_number(value, dialect) for value in realised),
                *(_flag(value) for value in realised_reached),
                _number(t.administration_share, dialect),
                _number(t.welfare_share, dialect),
                *(_number(shares[t.table_id].by_kind[kind], dialect) for kind in kind_ids),
                *(_number(value, dialect) for value in t.probability),
                _number(t.probability_all_years, dialect),
            ]
        )
    return _csv(rows, dialect)


def cards_csv(cross: CrossDebrief, lang: Lang = "da", dialect: Dialect = "standard") -> str:
    """A row per table × card: chosen (in the forlig), proposed (not adopted) or never proposed."""
    keys = ("table_number", "table", "table_id", "card", "title", "kind", "area", "status")
    rows = [[names.name(key, lang) for key in keys]]
    for column, t in enumerate(cross.tables):
        for card in cross.heatmap.rows:
            title = card.title.en if lang == "en" else card.title.da
            kind, status = names.kind(card.kind, lang), names.status(card.statuses[column], lang)
            rows.append([str(t.number), t.name, t.table_id, card.card, title, kind, card.area, status])
    return _csv(rows, dialect)
