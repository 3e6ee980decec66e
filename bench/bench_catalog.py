"""Importing a råderumskatalog: a 200-proposal catalogue as CSV and as xlsx, read and validated into a deck.

    .venv/bin/python bench/bench_catalog.py [--proposals 200] [--repeat 5]

"import" is what `import_catalog` does before the report's feasibility search (read, every cell checked,
the deck built with its events and roles); "with feasibility" adds the engine's search for the feasible
range of X (engine/feasibility.py), which the report and the default X need and which takes seconds.
The catalogue has a Kommune sheet with the target, so the search runs once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.catalog import import_catalog
from engine.catalog_template import write_csv, write_xlsx
from engine.deck import DEFAULT_DECK_PATH, Card, load_deck
from engine.feasibility import FeasibleRange


def catalogue_deck(proposals: int):  # type: ignore[no-untyped-def]
    """Korsbæk's scenario with `proposals` cards made from its 45, ids renumbered per area."""
    base = load_deck(DEFAULT_DECK_PATH)
    cards: list[Card] = []
    for n in range(proposals):
        card = base.cards[n % len(base.cards)]
        cards.append(card.model_copy(update={"id": f"{card.id[:2]}-{n + 1}", "requires": (), "excludes": ()}))
    return base.model_copy(update={"cards": tuple(cards)})


def no_search(deck: object) -> FeasibleRange:
    return FeasibleRange(max_target=0, max_target_worst_event=0, worst_event=None, portfolio=(), levels=())


def timed(run, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    deck = catalogue_deck(args.proposals)
    files = {"csv": write_csv(deck), "xlsx": write_xlsx(deck)}
    print(f"{args.proposals} proposals (median of {args.repeat})")
    for kind, data in files.items():
        name = f"katalog.{kind}"
        seconds = timed(
            lambda data=data, name=name: import_catalog(data, name, "bench", feasibility=no_search), args.repeat
        )
        print(f"  {kind:4} {len(data) / 1024:6.0f} kB  import {seconds * 1000:7.1f} ms")
    started = time.perf_counter()
    catalog = import_catalog(files["csv"], "katalog.csv", "bench")
    print(f"  csv with feasibility: {time.perf_counter() - started:.2f} s (max X {catalog.feasible.max_target:g})")


if __name__ == "__main__":
    main()
