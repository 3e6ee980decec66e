"""Personal data belongs to the municipality: the facilitator deletes a conference with all its logs, and
RAADERUM_RETENTION_DAYS deletes old conferences by itself (at startup and then regularly)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

from engine.deck import DEFAULT_DECK_PATH
from server.live import conferences
from server.live.conferences import ConferenceRequest
from server.live.tables import Decks, Tables
from server.operations import retention
from server.store import open_store
from tests.conference.conftest import Facilitator, StartServer, Watch, new_conference
from tests.server.helpers import Api, bearer, connect_as


def _rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, args).fetchall()


async def test_the_facilitator_deletes_a_conference_with_every_log(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server()
    db = tmp_path / "events.db"
    async with Api(server.url) as api:
        keep, _ = await new_conference(api, 1, players=3)  # another conference, untouched
        fac, seated = await new_conference(api, 2, players=3)
        await fac.ok("start_all")
        anna = seated[0][0]
        player = await connect_as(server, fac.table_ids[0], anna.token)
        await player.ok("chat", text="Mit cpr-nummer er hemmeligt")
        watch = await Watch.open(server, fac.id, fac.token)
        await watch.wait_for(lambda f: f["type"] == "overview")
        streams = [f"table:{t}" for t in fac.table_ids] + [f"conference:{fac.id}"]
        assert all(_rows(db, "SELECT 1 FROM events WHERE stream = ?", s) for s in streams)

        response = await api.http.delete(f"/api/conferences/{fac.id}", headers=bearer(fac.token))
        assert response.status_code == 204

        # Everything of it is gone from the store: logs (names, chat), command ids, join codes, keys.
        for stream in streams:
            assert _rows(db, "SELECT 1 FROM events WHERE stream = ?", stream) == []
            assert _rows(db, "SELECT 1 FROM commands WHERE stream = ?", stream) == []
        assert _rows(db, "SELECT 1 FROM events WHERE data LIKE ?", "%cpr-nummer%") == []
        for table in fac.conference.tables:
            assert _rows(db, "SELECT 1 FROM keys WHERE key = ?", f"code:{table['join_code']}") == []
            assert _rows(db, "SELECT 1 FROM keys WHERE key = ?", f"table-conference:{table['table_id']}") == []
        # Connected sockets are told and closed; the API knows the conference no more.
        assert await player.wait_closed(5) == 4004
        await player.close()
        assert await watch.closed(5) == 4004
        assert (await fac.get()).status_code == 404
        assert (
            await api.http.post("/api/join", json={"code": fac.conference.tables[0]["join_code"], "name": "X"})
        ).status_code == 404
        assert (
            await api.http.get(f"/api/tables/{fac.table_ids[0]}/events", headers=bearer(fac.token))
        ).status_code == 403
        again = await api.http.delete(f"/api/conferences/{fac.id}", headers=bearer(fac.token))
        assert again.status_code == 404
        # The other conference is whole.
        assert (await keep.get()).status_code == 200
        assert len(await keep.log(keep.table_ids[0])) == 4
    server.stop()
    server.start()  # a restart does not trip over the deleted tables (their deadlines were forgotten too)
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(f"/api/conferences/{fac.id}", headers=bearer(fac.token))).status_code == 404


async def test_expired_conferences_are_found_and_deleted_with_an_injected_clock(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        tables = Tables(store, Decks(DEFAULT_DECK_PATH.parent))
        old = await conferences.create_conference(store, tables, ConferenceRequest(name="Gammel", tables=2))
        await asyncio.sleep(0.05)
        new = await conferences.create_conference(store, tables, ConferenceRequest(name="Ny", tables=1))
        services = SimpleNamespace(
            store=store, tables=tables, presence=None, settings=SimpleNamespace(retention_days=3)
        )
        app = SimpleNamespace(state=SimpleNamespace(services=services))

        # Three days after the old one and a moment before the new one is three days old: only the old goes.
        moment = new.at + timedelta(days=3) - timedelta(milliseconds=10)
        assert await conferences.expired_conferences(store, new.at - timedelta(milliseconds=10)) == [old.conference_id]
        assert await retention.purge_expired(app, 3, moment) == [old.conference_id]
        assert await conferences.load_conference(store, old.conference_id) is None
        assert await store.read(f"table:{old.tables[0].table_id}") == []
        assert await store.get_key(f"code:{old.tables[0].join_code}") is None
        assert await conferences.load_conference(store, new.conference_id) is not None
        assert await retention.purge_expired(app, 3, moment) == []

        # The loop: at startup, then again; the clock says it is a week later.
        task = asyncio.create_task(retention.keep_retention(app, clock=lambda: new.at + timedelta(days=7)))
        for _ in range(100):
            if await conferences.load_conference(store, new.conference_id) is None:
                break
            await asyncio.sleep(0.02)
        task.cancel()
        assert await conferences.conference_ids(store) == []
    finally:
        await store.close()


async def test_a_server_with_a_retention_period_deletes_old_conferences(start_server: StartServer) -> None:
    # A period of 2.6 s (RAADERUM_RETENTION_DAYS accepts fractions), checked every second.
    days = 2.6 / 86400
    server = start_server()
    async with Api(server.url) as api:
        before, _ = await new_conference(api, 1, players=1)
    server.stop()
    await asyncio.sleep(3)  # older than the period when the server comes back
    server.extra_env["RAADERUM_RETENTION_DAYS"] = repr(days)
    server.start()
    async with Api(server.url) as api:
        before = Facilitator(api.http, before.conference)
        deadline = time.monotonic() + 5
        while (await before.get()).status_code != 404:  # deleted at startup
            assert time.monotonic() < deadline, "the old conference survived the startup"
            await asyncio.sleep(0.1)
        fresh, _ = await new_conference(api, 1)
        assert (await fresh.get()).status_code == 200
        deadline = time.monotonic() + 10
        while (await fresh.get()).status_code != 404:  # and later, while running
            assert time.monotonic() < deadline, "the conference was not deleted when its period ran out"
            await asyncio.sleep(0.2)
