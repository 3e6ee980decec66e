"""Importing a råderumskatalog: catalogues of 50, 100 and 200 proposals as CSV and as xlsx, read and validated
into a deck, and the feasible range of X the import report holds.

    .venv/bin/python bench/bench_catalog.py [--proposals 50,100,200] [--repeat 5]

"import" is what `import_catalog` does before the report's feasibility search (read, every cell checked,
the deck built with its events and roles); "feasible range" is `engine.feasibility` on that deck (the exact
search: a MILP per event that hurts, solved by branch and bound within a budget of nodes); "import + range"
is the whole `import_catalog`, as `POST /api/decks` and `raaderum deck import` run it. Medians of --repeat runs
in one process (scipy's first import, about 0.5 s, is paid once per process and left out); "cpu" is the
process's CPU time for import + range, which a loaded machine inflates less than the wall clock.

Two kinds of catalogue: "korsbæk" (Korsbæk's 45 cards repeated and renumbered, its Kommune sheet) and "random"
(seeded proposals with amounts to two decimals over seven areas, wishes to fund, an anlægspulje and a few
`kræver`: distinct figures make the branch and bound work harder).
"""

from __future__ import annotations

import argparse
import random
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
        unlinked = {"requires": (), "excludes": (), "warns_with": ()}  # the links name Korsbæk's own ids
        cards.append(card.model_copy(update={"id": f"{card.id[:2]}-{n + 1}", **unlinked}))
    return base.model_copy(update={"cards": tuple(cards)})


def random_catalogue(proposals: int, seed: int = 0) -> bytes:
    """A seeded catalogue as CSV: every kind, amounts to two decimals, anlæg, a few kræver, a Kommune block."""
    rng = random.Random(seed)
    areas = ["Ældre", "Skole", "Dagtilbud", "Administration", "Teknik og miljø", "Kultur og fritid", "Sundhed"]
    rows = ["id;titel;område;type;2027;2028;2029;2030;anlæg 2027;service;usikkerhed;kræver"]
    for n in range(proposals):
        kind = rng.choice(["besparelse", "effektivisering", "investering", "ønske"])
        if kind == "ønske":
            amounts = [-round(rng.uniform(0.2, 3), 2)] * 4
        elif kind == "investering":
            amounts = [-round(rng.uniform(0, 2), 2)] + [round(rng.uniform(0, 4), 2) for _ in range(3)]
        else:
            full = round(rng.uniform(0.1, 3), 2)
            amounts = [round(full * rng.uniform(0.3, 1), 2), full, full, full]
        capital = -round(rng.uniform(0, 10), 1) if kind == "investering" else 0.0
        requires = f"XX-{rng.randrange(1, n)}" if n > 2 and rng.random() < 0.05 else ""
        cells = [f"XX-{n + 1}", f"Forslag {n + 1}", rng.choice(areas), kind, *map(str, amounts), str(capital),
                 str(rng.randint(-2, 1)), rng.choice(["lav", "medium", "høj"]), requires]  # fmt: skip
        rows.append(";".join(cell.replace(".", ",") for cell in cells))
    kommune = ["[Kommune]", "kommune;Prøveby Kommune", "indbyggere;60000", "ønsker;0;5;5;5", "anlægspulje;40",
               "ubalance;30;40;50;60"]  # fmt: skip
    return ("\n".join(rows + kommune) + "\n").encode()


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
        files = {
            ("korsbæk", "csv"): write_csv(deck),
            ("korsbæk", "xlsx"): write_xlsx(deck),
            ("random", "csv"): random_catalogue(proposals),
        }
        for (source, kind), data in files.items():
            name = f"katalog.{kind}"
            read = timed(lambda data=data, name=name: import_catalog(data, name, "bench", feasibility=no_search),
                         args.repeat)  # fmt: skip
            whole = timed(lambda data=data, name=name: import_catalog(data, name, "bench", feasibility=uncached),
                          args.repeat)  # fmt: skip
            cpu_started = time.process_time()
            catalog = import_catalog(data, name, "bench", feasibility=uncached)
            cpu = time.process_time() - cpu_started
            found = catalog.feasible
            print(
                f"  {proposals:4} {source:7} {kind:4} {len(data) / 1024:4.0f} kB  import {read * 1000:6.1f} ms"
                f"  feasible range {(whole - read) * 1000:6.1f} ms  import + range {whole * 1000:6.1f} ms"
                f" (cpu {cpu * 1000:6.1f} ms)  max X {found.max_target:g}, worst {found.max_target_worst_event:g},"
                f" exact {found.exact}"
            )


if __name__ == "__main__":
    main()
