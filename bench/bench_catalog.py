"""Importing a råderumskatalog: catalogues of 50, 100 and 200 proposals as CSV and as xlsx, read and validated
into a deck, and the feasible range of X the import report holds.

    .venv/bin/python bench/bench_catalog.py [--proposals 50,100,200] [--repeat 5]

"import" is what `import_catalog` does before the report's feasibility search (read, every cell checked,
the deck built with its events and roles); "feasible range" is `engine.feasibility` on that deck (the exact
search: a MILP per event that hurts, solved by branch and bound within a budget of nodes); "import + range"
is the whole `import_catalog`, as `POST /api/decks` and `raaderum deck import` run it. Medians of --repeat runs
in one process (scipy's first import, about 0.5 s, is paid once per process and left out).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import feasibility
from engine.catalog import import_catalog
from engine.catalog_template import write_csv, write_xlsx
from engine.deck import DEFAULT_DECK_PATH, Card, Deck, load_deck
from engine.feasibility import FeasibleRange


def catalogue_deck(proposals: int) -> Deck:
    """Korsbæk's scenario with `proposals` cards made from its 45, ids renumbered per area."""
    base = load_deck(DEFAULT_DECK_PATH)
    cards: list[Card] = []
    for n in range(proposals):
        card = base.cards[n % len(base.cards)]
        cards.append(card.model_copy(update={"id": f"{card.id[:2]}-{n + 1}", "requires": (), "excludes": ()}))
    return base.model_copy(update={"cards": tuple(cards)})


def no_search(deck: object) -> FeasibleRange:
    return FeasibleRange(max_target=0, max_target_worst_event=0, worst_event=None, portfolio=(), levels=())


def uncached(deck: Deck) -> FeasibleRange:
    return feasibility._compute(deck)


def timed(run, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proposals", default="50,100,200")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    uncached(load_deck(DEFAULT_DECK_PATH))  # scipy's first import
    print(f"median of {args.repeat} runs")
    for proposals in (int(value) for value in args.proposals.split(",")):
        deck = catalogue_deck(proposals)
        files = {"csv": write_csv(deck), "xlsx": write_xlsx(deck)}
        for kind, data in files.items():
            name = f"katalog.{kind}"
            read = timed(lambda data=data, name=name: import_catalog(data, name, "bench", feasibility=no_search),
                         args.repeat)  # fmt: skip
            whole = timed(lambda data=data, name=name: import_catalog(data, name, "bench", feasibility=uncached),
                          args.repeat)  # fmt: skip
            catalog = import_catalog(data, name, "bench", feasibility=uncached)
            found = catalog.feasible
            print(
                f"  {proposals:4} proposals {kind:4} {len(data) / 1024:5.0f} kB  import {read * 1000:6.1f} ms"
                f"  feasible range {(whole - read) * 1000:6.1f} ms  import + range {whole * 1000:6.1f} ms"
                f"  (max X {found.max_target:g}, worst {found.max_target_worst_event:g}, exact {found.exact})"
            )


if __name__ == "__main__":
    main()
