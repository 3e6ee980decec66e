"""The `raaderum` command line: one Typer app; each area of work is a sub-app added with `add_typer`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from engine.deck import DEFAULT_DECK_PATH, KINDS, Deck, DeckError, load_deck
from engine.feasibility import feasible_range
from engine.format import format_mio
from server.operations.archive_cli import export_command, replay_command
from server.operations.catalog_cli import import_command, template_command

app = typer.Typer(
    name="raaderum",
    help="Råderum: a multiplayer web version of the Danish municipal budget game Råderumsspillet.",
    no_args_is_help=True,
)
deck_app = typer.Typer(help="Validate and inspect decks (scenario, cards, events, roles).", no_args_is_help=True)
app.add_typer(deck_app, name="deck")


def _counts(deck: Deck) -> str:
    return f"{len(deck.cards)} kort, {len(deck.events)} hændelser, {len(deck.roles)} roller"


def _range(deck: Deck) -> str:
    """The targets the deck can deliver, as the setup page offers them (engine/feasibility.py)."""
    feasible = feasible_range(deck)
    line = f"mål i budgetåret: højst {format_mio(feasible.max_target)}"
    if feasible.worst_event:
        line += f" ({format_mio(feasible.max_target_worst_event)} under den værste hændelse, {feasible.worst_event})"
    levels = " · ".join(f"{level.name} {format_mio(level.target)}" for level in feasible.levels)
    if not feasible.exact and feasible.max_target_bound is not None:
        levels += f" (ikke bevist optimum: intet forlig når over {format_mio(feasible.max_target_bound)})"
    return f"{line}; forslag: {levels}"


def _echo_problems(error: DeckError) -> None:
    # One line per problem so editors and CI logs can point at file, item and field.
    for problem in error.problems:
        typer.echo(str(problem))


def _load_or_exit(path: Path) -> Deck:
    try:
        return load_deck(path)
    except DeckError as error:
        _echo_problems(error)
        raise typer.Exit(1) from None


@deck_app.command("check")
def deck_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Deck folders or TOML files; the default deck when none is given."),
    ] = None,
) -> None:
    """Validate decks: an `ok:` line and the feasible targets per valid deck, one line per problem
    (file: item: field: message)."""
    failed = False
    for path in paths or [DEFAULT_DECK_PATH]:
        try:
            deck = load_deck(path)
        except DeckError as error:
            failed = True
            _echo_problems(error)
            continue
        typer.echo(f"ok: {path} ({_counts(deck)})")
        typer.echo(f"  {_range(deck)}")
    if failed:
        raise typer.Exit(1)


@deck_app.command("show")
def deck_show(
    path: Annotated[Path, typer.Argument(help="Deck folder or TOML file.")] = DEFAULT_DECK_PATH,
    as_json: Annotated[
        bool, typer.Option("--json", help="The validated deck as JSON: scenario, cards, events, roles.")
    ] = False,
) -> None:
    """Show a validated deck: a short summary, or the whole deck with --json."""
    deck = _load_or_exit(path)
    if as_json:
        typer.echo(json.dumps(deck.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    scenario = deck.scenario
    inhabitants = f"{scenario.inhabitants:,}".replace(",", ".")
    typer.echo(f"{scenario.municipality.da} ({scenario.id}), {inhabitants} indbyggere")
    typer.echo(f"Deck: {path} ({_counts(deck)}), sha256 {deck.digest[:12]}")
    typer.echo(f"År: {' / '.join(scenario.years)}")
    typer.echo(f"Ubalance: {_years(scenario.baseline_gap)} mio. kr.")
    typer.echo(f"Råderum at finde i budgetåret: {_num(scenario.default_target)} mio. kr.")
    typer.echo(f"Ønsker at finansiere: {_years(scenario.wish_funding)} mio. kr.")
    typer.echo(f"Anlægspulje: {_num(scenario.capital_pool)} mio. kr.")
    kinds = Counter(card.kind for card in deck.cards)
    typer.echo("Kort: " + ", ".join(f"{kinds[kind]} {kind}" for kind in KINDS))
    typer.echo("Roller: " + ", ".join(role.id for role in deck.roles))


def _num(value: float) -> str:
    # Danish decimal comma, and no trailing ",0" on whole amounts.
    return f"{value:g}".replace(".", ",")


def _years(values: tuple[float, ...]) -> str:
    return " / ".join(_num(value) for value in values)


# ---- running the server ------------------------------------------------------------------------------


def _run_server(host: str, port: int, store: str | None, workers: int, demo: bool) -> None:
    import os

    import uvicorn

    from server.serving import uvicorn_options
    from server.settings import get_settings

    # Workers are separate processes that build their own app from the environment, so settings go there.
    if store:
        os.environ["RAADERUM_STORE"] = store
    if demo:
        os.environ["RAADERUM_DEMO"] = "1"
        os.environ.setdefault("RAADERUM_PUBLIC_URL", f"http://{host}:{port}")
    get_settings.cache_clear()
    settings = get_settings()
    if workers > 1 and demo:
        typer.echo("--demo kører med én proces (ellers fik hver worker sin egen demokonference).", err=True)
        raise typer.Exit(2)
    if workers > 1 and settings.store_kind != "redis":
        typer.echo("Flere workers kræver Redis: sæt --store redis://… eller REDIS_URL.", err=True)
        raise typer.Exit(2)
    uvicorn.run(**uvicorn_options(host=host, port=port, workers=workers))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    store: Annotated[
        str | None, typer.Option(help="Event store URL (sqlite:///./data/raaderum.db or redis://host:6379/0).")
    ] = None,
    workers: Annotated[int, typer.Option(envvar="WEB_CONCURRENCY", min=1, help="Processes; >1 needs Redis.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Also create a demo conference and print how to join.")] = False,
) -> None:
    """Run the Råderum server."""
    _run_server(host, port, store, workers, demo)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
) -> None:
    """Run the server on the embedded store with a demo conference of 2 tables on the default deck."""
    from server.settings import DEFAULT_SQLITE_URL

    _run_server(host, port, DEFAULT_SQLITE_URL, 1, True)


def _find_loadtest() -> None:
    """Make the load-test package importable from a checkout: it is not in the wheel, and an editable install
    maps only the wheel's packages, so it is found beside this `server/` package."""
    import importlib.util
    import sys

    checkout = Path(__file__).resolve().parents[1]
    if importlib.util.find_spec("loadtest") is None and (checkout / "loadtest" / "__init__.py").is_file():
        sys.path.append(str(checkout))


@app.command()
def loadtest(
    tables: Annotated[int, typer.Option(min=1, help="Game tables.")] = 2,
    players: Annotated[int, typer.Option(min=1, max=8, help="Player bots per table.")] = 8,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of play to measure.")] = 30.0,
    rate: Annotated[float, typer.Option(min=0, max=15, help="Actions per player per second (0.2 = every 5 s).")] = 0.2,
    url: Annotated[
        str | None, typer.Option(help="A running server (comma-separate several; tables are spread over them).")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="Store of the server it starts: a URL, 'sqlite' (temp file) or 'redis'.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes to start; >1 needs Redis.")] = 1,
    watchers: Annotated[bool, typer.Option(help="A control room and a projector on every table.")] = True,
    reconnect_every: Annotated[float, typer.Option(min=0, help="Mean seconds between a player's reconnects.")] = 120,
    seed: Annotated[int | None, typer.Option(help="Seed for the bots' choices.")] = None,
    server_cpu: Annotated[
        float | None, typer.Option(min=0.1, help="Cap each server process it starts at this share of a core.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Play a conference with bots over real websockets and report latency, errors, memory and correctness."""
    _find_loadtest()
    try:
        from loadtest import LoadtestError, Options, main, render
    except ModuleNotFoundError as error:
        if error.name not in ("loadtest", "httpx", "websockets"):
            raise
        typer.echo(
            f"loadtest: the load tester is not installed ({error.name} is missing). It runs from a checkout "
            "of Råderum: pip install -e '.[loadtest]' (docs/performance.md).",
            err=True,
        )
        raise typer.Exit(2) from None

    options = Options(
        tables=tables, players=players, duration=duration, rate=rate, url=url, store=store, workers=workers,
        watchers=watchers, reconnect_every=reconnect_every, seed=seed, server_cpu=server_cpu,
        progress=lambda line: typer.echo(line, err=True),
    )  # fmt: skip
    try:
        report = main(options)
    except LoadtestError as error:
        typer.echo(f"loadtest: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report, indent=2) if as_json else render(report))
    if not report["ok"]:
        raise typer.Exit(1)


# ---- a rehearsal with bots (docs/bots.md) --------------------------------------------------------------------


@app.command()
def rehearse(
    deck: Annotated[str, typer.Option("--deck", help="Deck id (a folder in the decks folder) or a deck folder.")] = (
        DEFAULT_DECK_PATH.name
    ),
    target: Annotated[
        float | None, typer.Option("--target", min=0.1, help="X, mio. kr. (the deck's default when left out).")
    ] = None,
    tables: Annotated[int, typer.Option("--tables", min=1, max=500, help="Tables of bots to play.")] = 10,
    bots: Annotated[int, typer.Option("--bots", min=3, max=8, help="Bots per table.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the rehearsal (each table's seed is drawn from it).")] = 1,
    lang: Annotated[str, typer.Option(help="The bots' language in the chat: da or en.")] = "da",
) -> None:
    """Play N tables of bots to the end, at once, and print the cross-table debrief's headline figures."""
    from engine.rehearsal import rehearse as play
    from server.settings import get_settings

    path = Path(deck)
    if not path.is_dir():
        path = get_settings().decks_dir / deck
    loaded = _load_or_exit(path)
    feasible = feasible_range(loaded)
    x = target if target is not None else loaded.scenario.default_target
    if not feasible.allows(x):
        typer.echo(f"rehearse: X = {_num(x)} er mere end decket kan nå ({format_mio(feasible.max_target)}).", err=True)
        raise typer.Exit(2)
    result = play(loaded, tables=tables, target=x, seed=seed, bots=bots, lang="en" if lang == "en" else "da")
    cross = result.cross
    typer.echo(f"Generalprøve: {tables} borde à {bots} bots, {loaded.scenario.id}, X = {_num(x)} mio. kr.")
    typer.echo(f"Forlig: {cross.with_forlig} af {tables} borde")
    typer.echo(f"Når målet (dommen): {cross.verdict_reached} af {tables} borde")
    typer.echo("Når målet pr. år: " + ", ".join(f"{year.label} {year.reached}/{tables}" for year in cross.reached))
    chosen = sorted((row for row in cross.heatmap.rows if row.chosen), key=lambda row: (-row.chosen, row.card))
    typer.echo("Oftest valgt: " + ", ".join(f"{row.card} {row.title.da} ({row.chosen})" for row in chosen[:8]))
    never = [row.card for row in cross.heatmap.rows if row.chosen == 0]
    typer.echo("Aldrig valgt: " + (", ".join(never) if never else "–"))
    services = [one.service_index for one in result.debriefs if one.forlig is not None]
    if services:
        typer.echo(f"Serviceindeks i forligene: gennemsnit {_num(round(sum(services) / len(services), 1))}")


# ---- logs: export and replay (docs/replay.md) -------------------------------------------------------------------

deck_app.command("import")(import_command)
deck_app.command("template")(template_command)
app.command("export")(export_command)
app.command("replay")(replay_command)


if __name__ == "__main__":
    app()
