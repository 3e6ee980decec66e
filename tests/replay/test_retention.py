"""Imported replays hold names and chat too: RAADERUM_RETENTION_DAYS deletes a replay imported longer ago than
the period, by the same pass that deletes old conferences, on SQLite and on Redis, from several processes."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from engine.deck import Deck
from server.deps import replays_of
from server.operations import retention
from server.operations.archive import REPLAY_IMPORTS, ReplayImported, Replays, replay_id_of, replay_key
from server.store import EventStore, open_store
from tests.replay.conftest import TRACEBACK
from tests.replay.logs import moderated_game, table_log
from tests.server.helpers import ServerProcess

DAYS = 3.0


@pytest.fixture
def other_log(deck: Deck) -> str:
    """A second table log, unlike the committed fixture."""
    return table_log(deck, moderated_game(deck), table_name="Bord 2").render()


def app_of(store: EventStore, retention_days: float | None = DAYS) -> Any:
    """What the retention pass needs of the app: the services' store and settings (the replays come with it)."""
    services = SimpleNamespace(store=store, tables=None, settings=SimpleNamespace(retention_days=retention_days))
    return SimpleNamespace(state=SimpleNamespace(services=services))


async def import_time(store: EventStore, replay_id: str) -> datetime:
    """The time of the newest import record of this replay."""
    stored = [r for r in await store.read(REPLAY_IMPORTS) if r.type == "replay_imported"]
    records = [ReplayImported.model_validate_json(r.data) for r in stored]
    return [r for r in records if r.replay_id == replay_id][-1].at


async def test_a_replay_imported_before_the_period_is_deleted_and_a_recent_one_stays(
    store: EventStore, log_v1_text: str, other_log: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_of(store)
    replays = replays_of(app)
    (old,) = await replays.add(log_v1_text)
    await asyncio.sleep(0.05)
    (new,) = await replays.add(other_log)
    assert (await replays.get(old.replay_id)).replay_id == old.replay_id  # parsed and cached in this process
    new_at = await import_time(store, new.replay_id)

    # Three days after the old import and a moment before the new one is three days old: only the old goes.
    moment = new_at + timedelta(days=DAYS) - timedelta(milliseconds=10)
    with caplog.at_level(logging.WARNING, logger="raaderum.control"):
        assert await retention.purge_expired_replays(app, DAYS, moment) == [old.replay_id]
    assert "retention: deleted 1 replay(s) imported more than 3 days ago" in caplog.text
    assert await store.get_key(replay_key(old.replay_id)) is None
    assert await store.get_key(replay_key(new.replay_id)) == other_log
    # Not served from this process's cache either: the log and the export are gone.
    with pytest.raises(KeyError):
        await replays.get(old.replay_id)
    with pytest.raises(KeyError):
        await replays.text(old.replay_id)
    assert (await replays.get(new.replay_id)).log.render() == other_log

    # Idempotent: the next pass deletes nothing and logs nothing.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="raaderum.control"):
        assert await retention.purge_expired_replays(app, DAYS, moment) == []
    assert "retention" not in caplog.text

    # A week later the new one goes too, by the loop that also deletes old conferences.
    task = asyncio.create_task(retention.keep_retention(app, clock=lambda: new_at + timedelta(days=7)))
    try:
        for _ in range(200):
            if await store.get_key(replay_key(new.replay_id)) is None:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert await store.get_key(replay_key(new.replay_id)) is None
    with pytest.raises(KeyError):
        await replays.get(new.replay_id)


async def test_several_processes_delete_at_once_and_none_keeps_serving_its_cache(
    store_url: str, log_v1_text: str
) -> None:
    stores = [open_store(store_url) for _ in range(3)]
    try:
        apps = [app_of(s) for s in stores]
        (imported,) = await replays_of(apps[0]).add(log_v1_text)
        for app in apps[1:]:
            await replays_of(app).get(imported.replay_id)  # cached in every "process"
        moment = await import_time(stores[0], imported.replay_id) + timedelta(days=DAYS, seconds=1)

        # Two passes at once: the key is deleted (twice, harmlessly), nothing fails.
        results = await asyncio.gather(*(retention.purge_expired_replays(app, DAYS, moment) for app in apps[:2]))
        assert imported.replay_id in results[0] + results[1]
        assert await stores[2].get_key(replay_key(imported.replay_id)) is None
        # The third process's pass finds it deleted already: it deletes nothing more but forgets its cached copy.
        assert await retention.purge_expired_replays(apps[2], DAYS, moment) == []
        for app in apps:
            with pytest.raises(KeyError):
                await replays_of(app).get(imported.replay_id)
        # Deleting what is deleted is harmless.
        await stores[0].delete_key(replay_key(imported.replay_id))
    finally:
        for s in stores:
            await s.close()


async def test_importing_a_log_again_refreshes_its_time(store: EventStore, log_v1_text: str) -> None:
    app = app_of(store)
    replays = replays_of(app)
    (first,) = await replays.add(log_v1_text)
    first_at = await import_time(store, first.replay_id)
    await asyncio.sleep(0.05)
    (again,) = await replays.add(log_v1_text)
    assert again.replay_id == first.replay_id
    again_at = await import_time(store, again.replay_id)
    assert again_at > first_at

    # Past the first import's period but not the second's: the newest import counts.
    between = again_at + timedelta(days=DAYS) - timedelta(milliseconds=10)
    assert await retention.purge_expired_replays(app, DAYS, between) == []
    assert await store.get_key(replay_key(first.replay_id)) == log_v1_text
    later = again_at + timedelta(days=DAYS, seconds=1)
    assert await retention.purge_expired_replays(app, DAYS, later) == [first.replay_id]
    assert await store.get_key(replay_key(first.replay_id)) is None

    # Imported once more after its deletion: it is back, and counted from now.
    await replays.add(log_v1_text)
    third_at = await import_time(store, first.replay_id)
    assert third_at > again_at
    assert await retention.purge_expired_replays(app, DAYS, third_at + timedelta(days=DAYS, milliseconds=-10)) == []
    assert await store.get_key(replay_key(first.replay_id)) == log_v1_text
    assert (await replays.get(first.replay_id)).replay_id == first.replay_id


async def test_a_replay_is_not_served_once_its_period_is_over_even_before_the_pass(
    store: EventStore, log_v1_text: str
) -> None:
    clock = SimpleNamespace(now=datetime.fromisoformat("2026-01-01T12:00:00+00:00"))
    here = Replays(store, retention_days=DAYS, clock=lambda: clock.now)
    there = Replays(store, retention_days=DAYS, clock=lambda: clock.now)  # another process
    (imported,) = await here.add(log_v1_text)
    assert (await there.get(imported.replay_id)).log.render() == log_v1_text
    clock.now += timedelta(days=DAYS, seconds=1)
    for replays in (here, there):  # cached in both: neither serves it any more
        with pytest.raises(KeyError):
            await replays.get(imported.replay_id)
        with pytest.raises(KeyError):
            await replays.text(imported.replay_id)
    fresh = Replays(store, retention_days=DAYS, clock=lambda: clock.now)  # nothing cached
    with pytest.raises(KeyError):
        await fresh.get(imported.replay_id)
    assert await store.get_key(replay_key(imported.replay_id)) == log_v1_text  # until the pass deletes it


async def test_a_replay_stored_without_an_import_record_is_counted_from_its_first_opening(
    store: EventStore, log_v1_text: str
) -> None:
    """A replay imported before imports were recorded: retention cannot find it until it is opened."""
    replay_id = replay_id_of(log_v1_text)
    await store.set_key(replay_key(replay_id), log_v1_text)
    app = app_of(store)
    assert await retention.purge_expired_replays(app, DAYS, datetime.fromisoformat("2100-01-01T00:00:00+00:00")) == []
    assert (await replays_of(app).get(replay_id)).replay_id == replay_id
    opened = await import_time(store, replay_id)
    assert await retention.purge_expired_replays(app, DAYS, opened + timedelta(days=DAYS, seconds=1)) == [replay_id]
    assert await store.get_key(replay_key(replay_id)) is None


async def test_without_a_retention_period_no_replay_is_deleted(store: EventStore, log_v1_text: str) -> None:
    app = app_of(store, retention_days=None)
    clock = SimpleNamespace(now=datetime.fromisoformat("2026-01-01T12:00:00+00:00"))
    replays = Replays(store, clock=lambda: clock.now)
    (imported,) = await replays.add(log_v1_text)
    clock.now += timedelta(days=3650)
    # The loop returns at once without a period: it deletes nothing, ever.
    await asyncio.wait_for(retention.keep_retention(app, clock=lambda: clock.now), 1)
    assert await store.get_key(replay_key(imported.replay_id)) == log_v1_text
    assert (await replays.get(imported.replay_id)).replay_id == imported.replay_id
    assert await replays.text(imported.replay_id) == log_v1_text
    assert (await Replays(store, clock=lambda: clock.now).get(imported.replay_id)).replay_id == imported.replay_id


# ---- On real servers -----------------------------------------------------------------------------


async def _upload(http: httpx.AsyncClient, text: str) -> str:
    response = await http.post("/api/replays", content=text.encode())
    assert response.status_code == 201, response.text
    replay_id: str = response.json()["replays"][0]["replay_id"]
    return replay_id


async def _gone(http: httpx.AsyncClient, replay_id: str) -> bool:
    return (await http.get(f"/api/replays/{replay_id}")).status_code == 404


async def _wait_deleted(store: EventStore, replay_id: str, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while await store.get_key(replay_key(replay_id)) is not None:
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_a_server_with_a_retention_period_deletes_old_replays(
    tmp_path: Path, log_v1_text: str, other_log: str
) -> None:
    days = 2.6 / 86400  # 2.6 s, checked every second
    url = f"sqlite:///{tmp_path / 'events.db'}"
    server = ServerProcess(url, log_dir=tmp_path / "logs")
    store = open_store(url)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            before = await _upload(http, log_v1_text)
            await asyncio.sleep(3)  # older than the period; without one, nothing is deleted
            assert (await http.get(f"/api/replays/{before}")).status_code == 200
        server.stop()
        assert await store.get_key(replay_key(before)) == log_v1_text
        server.extra_env["RAADERUM_RETENTION_DAYS"] = repr(days)
        server.start()
        async with httpx.AsyncClient(base_url=server.url) as http:
            await _wait_deleted(store, before, 5, "the old replay survived the startup")
            response = await http.get(f"/api/replays/{before}")
            assert response.status_code == 404
            assert response.json()["detail"]["code"] == "replay.unknown"
            assert (await http.get(f"/api/replays/{before}/at/1")).status_code == 404
            assert (await http.get(f"/api/replays/{before}/export")).status_code == 404
            assert (await http.get(f"/replay/{before}")).status_code == 404

            fresh = await _upload(http, other_log)
            assert (await http.get(f"/api/replays/{fresh}/at/1")).status_code == 200
            await _wait_deleted(store, fresh, 10, "the replay was not deleted when its period ran out")
            assert await _gone(http, fresh)
        log = server.log_text()
        assert "retention: deleted 1 replay(s) imported more than" in log
        assert TRACEBACK not in log, log[-4000:]
    finally:
        server.stop()
        await store.close()


async def test_two_workers_on_redis_delete_an_old_replay_once_and_both_stop_serving_it(
    tmp_path: Path, redis_url: str, log_v1_text: str
) -> None:
    env = {"RAADERUM_RETENTION_DAYS": repr(2.6 / 86400)}
    servers = [ServerProcess(redis_url, env=env, log_dir=tmp_path / "logs") for _ in range(2)]
    store = open_store(redis_url)
    try:
        for server in servers:
            server.start()
        async with httpx.AsyncClient(base_url=servers[0].url) as one, httpx.AsyncClient(base_url=servers[1].url) as two:
            replay_id = await _upload(one, log_v1_text)
            for http in (one, two):  # cached in both workers
                assert (await http.get(f"/api/replays/{replay_id}/at/1")).status_code == 200
            await _wait_deleted(store, replay_id, 10, "the replay was not deleted when its period ran out")
            for http in (one, two):
                assert await _gone(http, replay_id)
                assert (await http.get(f"/api/replays/{replay_id}/at/1")).status_code == 404
        await asyncio.sleep(1.5)  # a pass of each worker after the deletion
        logs = [server.log_text() for server in servers]
        for log in logs:
            assert TRACEBACK not in log, log[-4000:]
        assert "".join(logs).count("retention: deleted 1 replay(s)") in (1, 2)  # both may race to the same key
    finally:
        for server in servers:
            server.stop()
        await store.close()
