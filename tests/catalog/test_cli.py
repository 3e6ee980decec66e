"""`raaderum deck template` and `raaderum deck import`: Korsbæk out as a template and back in as a deck folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.deck import DEFAULT_DECK_PATH, load_deck
from server.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("extra", "name"), [([], "katalog.csv"), (["--xlsx"], "katalog.xlsx")])
def test_template_then_import_gives_the_same_deck_folder(tmp_path: Path, extra: list[str], name: str) -> None:
    out = tmp_path / name
    result = runner.invoke(app, ["deck", "template", *extra, str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["deck", "import", str(out), "--id", "korsbaek", "--decks-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert load_deck(tmp_path / "korsbaek") == load_deck(DEFAULT_DECK_PATH)
    assert "45 forslag" in result.output
    assert "X i budgetåret: 20 mio. kr." in result.output
    assert "X er bevist: intet forlig når højere" in result.output  # the exact search says so


def test_a_catalogue_imported_with_events_bound_to_its_cards_reads_back_as_a_deck(tmp_path: Path) -> None:
    from tests.catalog.test_import import GOOD, HEADER

    source = tmp_path / "lille.csv"
    source.write_text(HEADER + GOOD, encoding="utf-8")
    result = runner.invoke(app, ["deck", "import", str(source), "--id", "lille", "--decks-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "tilpasset: Begivenhed E03" in result.output
    assert "udeladt: " in result.output
    deck = load_deck(tmp_path / "lille")  # validated: every bound event names the catalogue's own cards
    assert {"E03", "E01"} <= {event.id for event in deck.events}


def test_import_prints_every_problem_with_row_and_column_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id;titel;område;type;2027;2028;2029;2030;service\nAA-1;X;Adm;sparekniv;1;1;1;1;5\n")
    result = runner.invoke(app, ["deck", "import", str(bad), "--id", "bad", "--decks-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Forslag række 2, kolonne type: catalog.kind_unknown" in result.output
    assert "Forslag række 2, kolonne service: catalog.service_range" in result.output
    assert not (tmp_path / "bad").exists()
