"""`raaderum rehearse`: tables of bots played to the end in process, and the cross-table headline figures."""

from __future__ import annotations

from typer.testing import CliRunner

from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.rehearsal import rehearse
from server.cli import app

runner = CliRunner()


def test_rehearse_prints_the_cross_table_headline_figures() -> None:
    result = runner.invoke(app, ["rehearse", "--deck", "korsbaek", "--target", "20", "--tables", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Generalprøve: 3 borde à 4 bots, korsbaek, X = 20 mio. kr."
    # The figures are the cross-table debrief's (engine/conference.py) of the same seeded tables.
    cross = rehearse(load_deck(DEFAULT_DECK_PATH), tables=3, target=20.0, seed=1).cross
    assert f"Forlig: {cross.with_forlig} af 3 borde" in lines
    assert f"Når målet (dommen): {cross.verdict_reached} af 3 borde" in lines
    top = max(cross.heatmap.rows, key=lambda row: row.chosen)
    most = next(line for line in lines if line.startswith("Oftest valgt: "))
    assert f"({top.chosen})" in most.split(",")[0]


def test_rehearse_refuses_a_target_the_deck_cannot_reach() -> None:
    result = runner.invoke(app, ["rehearse", "--deck", "korsbaek", "--target", "500", "--tables", "1"])
    assert result.exit_code == 2
    assert "mere end decket kan nå" in result.output


def test_rehearse_refuses_an_unknown_deck() -> None:
    result = runner.invoke(app, ["rehearse", "--deck", "nowhere", "--tables", "1"])
    assert result.exit_code == 1
