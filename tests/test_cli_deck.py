"""`raaderum deck check` and `raaderum deck show`, in-process and through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.deck import DEFAULT_DECK_PATH, Deck, DeckError, load_deck
from engine.feasibility import feasible_range
from engine.format import format_mio
from server.cli import app
from tests.test_deck import BROKEN, Broken, broken_deck, expected_problem

runner = CliRunner()
# The child prints Danish text; make its pipes UTF-8 whatever the CI machine's locale.
UTF8_ENV = {**os.environ, "PYTHONUTF8": "1"}
OK_LINE = f"ok: {DEFAULT_DECK_PATH} (45 kort, 12 hændelser, 8 roller)"


def range_line() -> str:
    """The feasible targets `deck check` prints under each valid deck: the engine's figures, in Danish."""
    feasible = feasible_range(load_deck(DEFAULT_DECK_PATH))
    levels = " · ".join(f"{level.name} {format_mio(level.target)}" for level in feasible.levels)
    worst = f" ({format_mio(feasible.max_target_worst_event)} under den værste hændelse, {feasible.worst_event})"
    return f"  mål i budgetåret: højst {format_mio(feasible.max_target)}{worst}; forslag: {levels}"


OK_DEFAULT = [OK_LINE, range_line()]


def broken_case(name: str) -> Broken:
    return next(case for case in BROKEN if case.name == name)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DeckError) as caught:
        load_deck(path)
    return [str(problem) for problem in caught.value.problems]


def test_check_valid_deck_prints_ok_line() -> None:
    result = runner.invoke(app, ["deck", "check", str(DEFAULT_DECK_PATH)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == OK_DEFAULT


def test_check_without_paths_checks_the_default_deck() -> None:
    result = runner.invoke(app, ["deck", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == OK_DEFAULT


def test_check_several_decks(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(DEFAULT_DECK_PATH, copy)
    result = runner.invoke(app, ["deck", "check", str(DEFAULT_DECK_PATH), str(copy)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [*OK_DEFAULT, f"ok: {copy} (45 kort, 12 hændelser, 8 roller)", range_line()]


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case.name)
def test_check_broken_deck_exits_1_with_one_line_per_problem(tmp_path: Path, case: Broken) -> None:
    deck_dir = broken_deck(tmp_path, case)
    result = runner.invoke(app, ["deck", "check", str(deck_dir)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == problems_of(deck_dir)
    file, item, field = expected_problem(deck_dir, case)
    assert lines[0].startswith(f"{file}: {item}: {field}: ")


def test_check_reports_every_problem_and_still_checks_the_other_decks(tmp_path: Path) -> None:
    deck_dir = tmp_path / "deck"
    shutil.copytree(DEFAULT_DECK_PATH, deck_dir)
    cards = deck_dir / "cards.toml"
    text = cards.read_text(encoding="utf-8")
    cards.write_text(text.replace("service = 0", "service = 3", 1).replace('kind = "udvidelse"', 'kind = "ønske"', 1))
    result = runner.invoke(app, ["deck", "check", str(deck_dir), str(DEFAULT_DECK_PATH)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [*problems_of(deck_dir), *OK_DEFAULT]
    assert len(lines) == 4
    assert lines[0].startswith(f"{cards}: card ÆL-01: service: ")
    assert lines[1].startswith(f"{cards}: card ÆL-U1: kind: ")


def test_show_json_is_the_validated_deck() -> None:
    result = runner.invoke(app, ["deck", "show", str(DEFAULT_DECK_PATH), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data)[:4] == ["scenario", "cards", "events", "roles"]
    assert len(data["sources"]) == 85
    assert (len(data["cards"]), len(data["events"]), len(data["roles"])) == (45, 12, 8)
    assert Deck.model_validate(data) == load_deck(DEFAULT_DECK_PATH)
    assert "Korsbæk Kommune" in result.stdout  # not \u-escaped


def test_show_summary() -> None:
    result = runner.invoke(app, ["deck", "show", str(DEFAULT_DECK_PATH)])
    assert result.exit_code == 0, result.output
    assert "Korsbæk Kommune (korsbaek), 50.000 indbyggere" in result.stdout
    assert "45 kort, 12 hændelser, 8 roller" in result.stdout
    assert "Ubalance: 20 / 30 / 40 / 45 mio. kr." in result.stdout
    assert "19 besparelse, 10 effektivisering, 10 investering, 6 udvidelse" in result.stdout


def test_show_broken_deck_exits_1(tmp_path: Path) -> None:
    deck_dir = broken_deck(tmp_path, broken_case("service out of range"))
    result = runner.invoke(app, ["deck", "show", str(deck_dir), "--json"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == problems_of(deck_dir)


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], capture_output=True, encoding="utf-8", env=UTF8_ENV, timeout=60, check=False
    )


def test_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "raaderum"
    assert script.exists(), f"console script missing at {script}: pip install -e . first"
    ok = run_script(script, "deck", "check", str(DEFAULT_DECK_PATH))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == OK_DEFAULT

    deck_dir = broken_deck(tmp_path, broken_case("unknown card in an event effect"))
    bad = run_script(script, "deck", "check", str(deck_dir))
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == problems_of(deck_dir)
