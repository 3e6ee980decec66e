"""What is particular to each backend: on-disk / in-Redis layout, URLs, group commit, reconnects, AOF."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.store import AppendResult, NewEvent, StoreError, open_store
from server.store import sqlite as sqlite_store
from server.store.sqlite import SqliteEventStore, path_from_url
from testsupport.redis import RedisServer


def ev(n: int) -> NewEvent:
    return NewEvent("e", json.dumps({"n": n}))


# ------------------------------------------------------------------ open_store


def test_sqlite_url_paths() -> None:
    assert path_from_url("sqlite:///./data/raaderum.db") == "./data/raaderum.db"
    assert path_from_url("sqlite:///data/raaderum.db") == "data/raaderum.db"
    assert path_from_url("sqlite:////abs/path.db") == "/abs/path.db"
    with pytest.raises(ValueError, match="not a sqlite URL"):
        path_from_url("sqlite://")


async def test_open_store_rejects_unknown_schemes() -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        open_store("postgres://localhost/db")


async def test_relative_sqlite_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///./data/raaderum.db")
    try:
        assert store.kind == "sqlite"
        await store.append("s", 0, [ev(1)])
    finally:
        await store.close()
    assert (tmp_path / "data" / "raaderum.db").is_file()


# ------------------------------------------------------------------ SQLite


async def test_sqlite_layout_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = open_store(f"sqlite:///{path}")
    await store.append("table:a", 0, [ev(1), ev(2)], command_id="cmd")
    await store.set_key("join:X", "table:a")
    await store.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = conn.execute("SELECT stream, seq, type, data FROM events ORDER BY seq").fetchall()
        assert rows == [("table:a", 1, "e", '{"n": 1}'), ("table:a", 2, "e", '{"n": 2}')]
        assert conn.execute("SELECT * FROM commands").fetchall() == [("table:a", "cmd", 2, 1)]
        assert conn.execute("SELECT * FROM keys").fetchall() == [("join:X", "table:a")]
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()[0]
        assert "WITHOUT ROWID" in ddl
        assert "PRIMARY KEY (stream, seq)" in ddl
    conn.close()


async def test_sqlite_commits_concurrent_appends_together(tmp_path: Path) -> None:
    store = SqliteEventStore(str(tmp_path / "events.db"))
    try:
        results = await asyncio.gather(*(store.append(f"table:{i}", 0, [ev(i)]) for i in range(100)))
        assert results == [AppendResult(1, 1, False)] * 100
        assert store.commits < 50  # group commit: far fewer transactions than appends
    finally:
        await store.close()


async def test_sqlite_without_batching_commits_each_append(tmp_path: Path) -> None:
    store = SqliteEventStore(str(tmp_path / "events.db"), max_batch=1)
    try:
        await asyncio.gather(*(store.append(f"table:{i}", 0, [ev(i)]) for i in range(20)))
        assert store.commits == 20
    finally:
        await store.close()


async def test_sqlite_fsyncs_the_wal_after_every_commit_before_answering(tmp_path: Path) -> None:
    # The writer runs synchronous=NORMAL (no fsync in a commit) and fsyncs the WAL itself: FULL's durability
    # holds only if no append is answered before the fsync that follows its commit.
    path = tmp_path / "events.db"
    store = SqliteEventStore(str(path))
    try:
        for version in range(10):  # one writer: every answer comes after the fsync of its own commit
            await store.append("table:alone", version, [ev(version)])
            assert store.syncs == store.commits
            assert store.commits == version + 1
        for round_ in range(5):  # many: still one fsync per commit, each before its batch is answered
            results = await asyncio.gather(*(store.append(f"table:{i}", round_, [ev(i)]) for i in range(20)))
            assert all(not r.duplicate for r in results)
            assert store.syncs == store.commits
        assert 15 <= store.commits < 110
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (110,)
    finally:
        await store.close()


def _sizes(path: Path) -> tuple[int, int]:
    """The WAL's size and the database file's, in bytes."""
    return os.path.getsize(f"{path}-wal"), os.path.getsize(path)


async def test_sqlite_checkpoints_the_wal_off_the_event_loop(tmp_path: Path) -> None:
    # The writer's automatic checkpoint is off (it would run inside a commit, on the event loop): the fsync
    # thread checkpoints instead, with no commit meanwhile, so the WAL is reused rather than growing.
    path = tmp_path / "events.db"
    store = SqliteEventStore(str(path))
    big = NewEvent("e", json.dumps({"text": "x" * 4000}))
    try:
        for version in range(3000):  # about 12 MB through the WAL, many checkpoints' worth
            await store.append("table:big", version, [big])
        wal, database = _sizes(path)
        assert store.checkpoints >= 3000 // sqlite_store.CHECKPOINT_COMMITS - 1
        assert wal < 8_000_000  # reused from its start after each checkpoint, not grown to hold every event
        assert database > 10_000_000  # the events reached the database file itself
    finally:
        await store.close()


async def test_sqlite_waits_for_another_connections_write_lock_without_stopping_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = SqliteEventStore(str(path))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await store.append("s", 0, [ev(1)])
        other.execute("BEGIN IMMEDIATE")  # a CLI or a backup holding the write lock
        append = asyncio.ensure_future(store.append("s", 1, [ev(2)]))
        ticks = 0
        for _ in range(20):  # the loop goes on: the writer does not wait inside SQLite
            await asyncio.sleep(0.005)
            ticks += 1
        assert not append.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(append, 5) == AppendResult(2, 2, False)
        assert ticks == 20
    finally:
        other.close()
        await store.close()


async def test_sqlite_fails_a_write_when_the_lock_stays_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_WAIT_S", 0.2)
    path = tmp_path / "events.db"
    store = SqliteEventStore(str(path))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await store.append("s", 0, [ev(1)])
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            await store.append("s", 1, [ev(2)])
        other.execute("COMMIT")
        assert (await store.append("s", 1, [ev(2)])).version == 2  # nothing was lost or half-written
        assert [e.seq for e in await store.read("s")] == [1, 2]
    finally:
        other.close()
        await store.close()


async def test_sqlite_a_second_concurrent_close_waits_for_the_first_to_drain(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = SqliteEventStore(str(path))
    appends = [asyncio.ensure_future(store.append(f"table:{i}", 0, [ev(i)])) for i in range(1000)]
    await asyncio.sleep(0)  # every append is queued
    first = asyncio.ensure_future(store.close())
    await asyncio.sleep(0)  # the first close is draining them
    await asyncio.wait_for(store.close(), 10)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # the second returned: every append is committed
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (1000,)
    await first
    assert await asyncio.gather(*appends) == [AppendResult(1, 1, False)] * 1000


async def test_sqlite_unopenable_file_fails_every_call(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    store = open_store(f"sqlite:///{tmp_path / 'a-file' / 'events.db'}")
    try:
        with pytest.raises(StoreError):
            await store.version("s")
        with pytest.raises(StoreError):
            await store.append("s", 0, [ev(1)])
    finally:
        await store.close()


async def test_sqlite_reads_appends_of_another_process_on_the_same_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    one, two = open_store(url), open_store(url)
    try:
        await one.append("s", 0, [ev(1)])
        await two.append("s", 1, [ev(2)])  # the version check sees the other connection's commit
        assert [e.seq for e in await one.read("s")] == [1, 2]
    finally:
        await one.close()
        await two.close()


# ------------------------------------------------------------------ Redis


async def test_redis_layout(redis_url: str) -> None:
    store = open_store(redis_url)
    raw = aioredis.from_url(redis_url, decode_responses=True)
    try:
        await store.append("table:abc-1", 0, [ev(1), ev(2)], command_id="cmd")
        await store.set_key("join:X", "table:abc-1")

        entries: Any = await raw.xrange("raaderum:{table:abc-1}:events")
        assert [eid for eid, _ in entries] == ["1-1", "2-1"]
        assert entries[0][1]["type"] == "e"
        assert entries[0][1]["data"] == '{"n": 1}'
        assert float(entries[0][1]["at"]) > 0
        assert await raw.hgetall("raaderum:{table:abc-1}:commands") == {"cmd": "2:1"}
        assert await raw.get("raaderum:key:join:X") == "table:abc-1"
        assert sorted(await raw.keys("*")) == [
            "raaderum:key:join:X",
            "raaderum:{table:abc-1}:commands",
            "raaderum:{table:abc-1}:events",
        ]
    finally:
        await raw.aclose()
        await store.close()


async def test_redis_publishes_on_the_notify_channel(redis_url: str) -> None:
    store = open_store(redis_url)
    raw = aioredis.from_url(redis_url, decode_responses=True)
    pubsub = raw.pubsub()
    try:
        await pubsub.subscribe("raaderum:notify")
        assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"
        await store.append("table with spaces", 0, [ev(1), ev(2)])
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        assert message is not None
        assert message["data"] == "table with spaces 2"
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await raw.aclose()
        await store.close()


async def test_redis_subscription_recovers_after_a_server_restart(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    reader = open_store(server.url)
    try:
        async with reader.subscribe() as sub:
            server.stop()
            server.start()  # same socket, empty data
            writer = open_store(server.url)

            async def keep_appending() -> None:
                # Hints sent before the reader has resubscribed are lost by design; later ones must arrive.
                for v in range(1000):
                    await writer.append("s", v, [ev(v)])
                    await asyncio.sleep(0.02)

            appender = asyncio.create_task(keep_appending())
            try:
                stream, version = await asyncio.wait_for(anext(sub), 15)
                assert stream == "s"
                assert version >= 1
            finally:
                appender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await appender
                await writer.close()
    finally:
        await reader.close()
        server.stop()


async def test_redis_reports_a_dead_server_as_store_error(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    store = open_store(server.url)
    try:
        await store.append("s", 0, [ev(1)])
        server.stop()
        with pytest.raises(StoreError):
            await store.append("s", 1, [ev(2)])
    finally:
        await store.close()
        server.stop()


async def test_redis_with_aof_always_keeps_every_acknowledged_append_across_a_crash(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, "--appendonly", "yes", "--appendfsync", "always")
    server.start()
    try:
        store = open_store(server.url)
        for v in range(50):
            await store.append("table:crash", v, [ev(v)], command_id=f"c{v}")
        await store.close()
        server.kill()  # SIGKILL: no shutdown flush
        server.start()
        store = open_store(server.url)
        try:
            assert [e.seq for e in await store.read("table:crash")] == list(range(1, 51))
            assert (await store.append("table:crash", 0, [ev(0)], command_id="c0")).duplicate
        finally:
            await store.close()
    finally:
        server.stop()
