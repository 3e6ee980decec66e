"""`raaderum deck import` and `raaderum deck template`: a municipality's råderumskatalog in and out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from engine.catalog import Catalog, CatalogInvalid, import_catalog
from engine.catalog_template import deck_files, write_csv, write_xlsx
from engine.deck import DEFAULT_DECK_PATH, load_deck


def print_report(catalog: Catalog) -> None:
    report = catalog.report("da")
    typer.echo(f"{report.municipality}: {report.cards} forslag, {report.events} hændelser, {report.roles} roller")
    typer.echo("Typer: " + ", ".join(f"{count} {kind}" for kind, count in report.by_kind.items()))
    for area, kinds in report.by_area.items():
        typer.echo(f"  {area}: " + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))
    levels = " · ".join(f"{name} {target:g}" for name, target in report.levels.items())
    typer.echo(
        f"X i budgetåret: {report.target:g} mio. kr.; højst {report.max_target:g} "
        f"({report.max_target_worst_event:g} under den værste hændelse); forslag: {levels}"
    )
    if report.exact:
        typer.echo("X er bevist: intet forlig når højere (eksakt søgning)")
    else:
        typer.echo(f"X er ikke bevist: intet forlig når over {report.max_target_bound:g} (søgningens grænse)")
    for line in report.adapted:
        typer.echo(f"tilpasset: {line}")
    for line in report.left_out:
        typer.echo(f"udeladt: {line}")
    for line in report.warnings:
        typer.echo(f"advarsel: {line}")


def import_command(
    file: Annotated[Path, typer.Argument(help="The catalogue: .xlsx or .csv (docs/decks.md, 'Råderumskatalog').")],
    deck_id: Annotated[str, typer.Option("--id", help="The deck's id: its folder's name (a-z, 0-9, - and _).")],
    name: Annotated[
        str | None, typer.Option("--name", help="The municipality's name when the file has no Kommune sheet.")
    ] = None,
    decks_dir: Annotated[
        Path, typer.Option("--decks-dir", help="Where the deck folder is written (RAADERUM_DECKS_DIR's default).")
    ] = DEFAULT_DECK_PATH.parent,
    force: Annotated[bool, typer.Option("--force", help="Replace a deck folder of that id.")] = False,
) -> None:
    """Import a råderumskatalog as a deck folder and print the import report (cards, feasible X, warnings)."""
    if not re.fullmatch(r"[a-z0-9_-]+", deck_id):
        typer.echo("fejl: --id må kun have a-z, 0-9, - og _", err=True)
        raise typer.Exit(2)
    folder = decks_dir / deck_id
    if folder.exists() and not force:
        typer.echo(f"fejl: {folder} findes allerede (--force erstatter den)", err=True)
        raise typer.Exit(1)
    try:
        catalog = import_catalog(file.read_bytes(), file.name, deck_id, name)
    except CatalogInvalid as invalid:
        for error in invalid.errors:
            where = f"{error.sheet} række {error.row}" if error.row is not None else error.sheet
            column = f", kolonne {error.column}" if error.column else ""
            typer.echo(f"{file}: {where}{column}: {error.code}: {error.message('da')}", err=True)
        raise typer.Exit(1) from None
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.toml"):
        old.unlink()
    for filename, text in deck_files(catalog.deck).items():
        (folder / filename).write_text(text, encoding="utf-8")
    assert load_deck(folder) == catalog.deck  # the folder reads back as the imported deck
    typer.echo(f"ok: {folder} (sha256 {catalog.deck.digest[:12]})")
    print_report(catalog)


def template_command(
    out: Annotated[Path, typer.Argument(help="The file to write (.csv, or .xlsx with --xlsx).")],
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="An Excel workbook (Forslag, Kommune, Kilder) instead of CSV.")
    ] = False,
    deck: Annotated[Path, typer.Option("--deck", help="The deck written as the example.")] = DEFAULT_DECK_PATH,
) -> None:
    """Write the catalogue template filled with a deck (Korsbæk): one row per proposal, the Kommune sheet."""
    loaded = load_deck(deck)
    out.write_bytes(write_xlsx(loaded) if xlsx else write_csv(loaded))
    typer.echo(f"ok: {out} ({len(loaded.cards)} forslag)")
