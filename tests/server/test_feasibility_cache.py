"""A deck's feasible targets are searched once per machine, not once per server process."""

from __future__ import annotations

from pathlib import Path

from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.feasibility import feasible_range
from server.live.feasibility import cached_feasible_range


def test_a_second_process_reads_the_first_ones_answer(tmp_path: Path) -> None:
    deck = load_deck(DEFAULT_DECK_PATH)
    first = cached_feasible_range(deck, tmp_path)
    (cached,) = tmp_path.glob("feasibility-*.json")
    assert first == feasible_range(deck)
    # What a later process finds is the file, not this process's memory: a changed file is what it returns.
    edited = first.model_copy(update={"max_target": 1.5})
    cached.write_text(edited.model_dump_json())
    assert cached_feasible_range(deck, tmp_path).max_target == 1.5


def test_a_broken_cache_file_is_searched_again(tmp_path: Path) -> None:
    deck = load_deck(DEFAULT_DECK_PATH)
    cached_feasible_range(deck, tmp_path)
    (cached,) = tmp_path.glob("feasibility-*.json")
    cached.write_text("{not json")
    assert cached_feasible_range(deck, tmp_path) == feasible_range(deck)
    assert cached.read_text().startswith("{")


def test_an_unwritable_cache_only_costs_the_search(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    deck = load_deck(DEFAULT_DECK_PATH)
    assert cached_feasible_range(deck, blocked / "cache") == feasible_range(deck)
