"""Download file names (server/api/debrief.py): æ, ø and å kept by RFC 6266, one name per CSV variant."""

from __future__ import annotations

from urllib.parse import unquote

from server.api.debrief import _csv_suffix, _filename, content_disposition


def test_a_danish_name_keeps_its_letters_in_filename_star_with_an_ascii_fallback() -> None:
    header = content_disposition(_filename("Korsbæk 2027 / Øst", "tables.csv"))
    assert header.startswith('attachment; filename="raaderum-Korsbaek-2027-Oest-tables.csv"; ')
    star = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == "raaderum-Korsbæk-2027-Øst-tables.csv"
    assert header.isascii()


def test_each_csv_variant_has_its_own_file_name() -> None:
    assert _csv_suffix("tables.csv", "standard") == "tables.csv"
    assert _csv_suffix("tables.csv", "da") == "tables-excel-da.csv"
    assert _csv_suffix("cards.csv", "da") != _csv_suffix("cards.csv", "standard")


def test_a_logs_file_name_keeps_its_letters_too() -> None:
    from server.api.replays import _download

    header = _download("{}\n", "Bord Ærø-tbl1").headers["content-disposition"]
    assert header.startswith('attachment; filename="raaderum-Bord-Aeroe-tbl1.jsonl"; ')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == "raaderum-Bord-Ærø-tbl1.jsonl"
