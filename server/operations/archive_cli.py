"""`raaderum export` and `raaderum replay`: logs out of the store, and logs read back (debrief or viewer)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

LangOption = Literal["da", "en"]


def _store_url(store: str | None) -> str:
    from server.settings import get_settings

    return store or get_settings().store_url


def export_command(
    out: Annotated[str, typer.Option("--out", "-o", help="The file to write; - writes to standard output.")],
    table: Annotated[str | None, typer.Option("--table", help="Export this table's log.")] = None,
    conference: Annotated[
        str | None, typer.Option("--conference", help="Export every table of this conference in one file.")
    ] = None,
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise", help="Player names become Spiller 1, Spiller 2, … (also in the chat).")
    ] = False,
    store: Annotated[
        str | None, typer.Option(help="Event store URL; default: RAADERUM_STORE, REDIS_URL or the local SQLite.")
    ] = None,
    decks: Annotated[Path | None, typer.Option(help="Folder of decks; default: RAADERUM_DECKS_DIR or decks/.")] = None,
) -> None:
    """Export a table's or a conference's log as a self-contained JSONL file (docs/replay.md)."""
    if (table is None) == (conference is None):
        typer.echo("Angiv enten --table ID eller --conference ID.", err=True)
        raise typer.Exit(2)
    from server.live.tables import Decks
    from server.operations.archive import ExportError, export_conference, export_table
    from server.settings import get_settings
    from server.store import open_store

    folder = decks or get_settings().decks_dir

    async def run() -> tuple[str, str]:
        opened = open_store(_store_url(store))
        try:
            if table is not None:
                log = await export_table(opened, Decks(folder), table, pseudonymised=pseudonymise)
                info = log.header.table
                return log.render(), f"{info.table_name} ({info.events} hændelser)"
            assert conference is not None
            archive = await export_conference(opened, Decks(folder), conference, pseudonymised=pseudonymise)
            events = sum(log.total for log in archive.tables)
            return archive.render(), f"{len(archive.tables)} borde ({events} hændelser)"
        finally:
            await opened.close()

    try:
        text, what = asyncio.run(run())
    except ExportError as error:
        typer.echo(f"Kunne ikke eksportere: {error.message}", err=True)
        raise typer.Exit(1) from None
    if out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    Path(out).write_text(text, encoding="utf-8")
    typer.echo(f"Eksporteret: {what}{' (pseudonymiseret)' if pseudonymise else ''} → {out}", err=True)


def replay_command(
    file: Annotated[Path, typer.Argument(help="A log exported by Råderum (one table or a conference); - reads stdin.")],
    lang: Annotated[LangOption, typer.Option(help="Language of the debrief.")] = "da",
    serve: Annotated[bool, typer.Option("--serve", help="Open a read-only replay viewer instead.")] = False,
    host: Annotated[str, typer.Option(help="With --serve: interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port to listen on.")] = 8000,
    store: Annotated[
        str | None, typer.Option(help="With --serve: keep the replay in this store (default: a temporary SQLite).")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="With --serve: open the viewer in a browser.")] = False,
) -> None:
    """Read a log back: print each table's debrief as text, or serve the replay viewer (--serve)."""
    from engine.archive import ArchiveError, read_archive

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"{file}: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        archive = read_archive(text)
    except ArchiveError as error:
        typer.echo(f"{file}: {error}", err=True)
        raise typer.Exit(1) from None
    if not serve:
        from engine.debrief import debrief
        from engine.debrief_text import debrief_text

        for index, log in enumerate(archive.tables):
            if index:
                typer.echo("")
            result = debrief(log.final)
            typer.echo(debrief_text(result, log.deck, table_name=log.header.table.table_name, lang=lang), nl=False)
        return
    _serve(archive, host, port, store, open_browser, lang)


def _serve(archive: object, host: str, port: int, store: str | None, open_browser: bool, lang: str) -> None:
    import secrets
    import tempfile
    import webbrowser

    import uvicorn

    from engine.archive import Archive
    from server.app import create_app
    from server.operations.archive import Replays
    from server.settings import Settings
    from server.store import open_store

    assert isinstance(archive, Archive)
    with tempfile.TemporaryDirectory(prefix="raaderum-replay-") as folder:
        url = store or f"sqlite:///{Path(folder) / 'replay.db'}"

        async def load() -> list[str]:
            opened = open_store(url)
            try:
                return [item.replay_id for item in await Replays(opened).add_archive(archive)]
            finally:
                await opened.close()

        ids = asyncio.run(load())
        settings = Settings(store=url, secret=secrets.token_hex(32))
        base = f"http://{host}:{port}"
        typer.echo("Genafspilning (skrivebeskyttet):")
        for replay_id, log in zip(ids, archive.tables, strict=True):
            typer.echo(f"  {log.header.table.table_name}: {base}/replay/{replay_id}?lang={lang}")
        typer.echo("Stop med Ctrl+C.", err=True)
        if open_browser:
            webbrowser.open(f"{base}/replay/{ids[0]}?lang={lang}")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
