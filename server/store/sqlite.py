"""SQLite event store: the default backend, for ONE server process.

One dedicated worker thread owns the connection, so the event loop never blocks on SQLite. The worker drains
every job queued at that moment and runs the writes in one ``BEGIN IMMEDIATE`` transaction (each write inside
its own savepoint, so one failing append does not undo its neighbours) and one commit/fsync: group commit.
Callers get their result only after the commit.

``subscribe()`` fans out in-process only: appends made by another process on the same file do not signal here.
Several server processes need the Redis backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import (
    AppendResult,
    ConcurrencyError,
    Fanout,
    NewEvent,
    StoredEvent,
    StoreError,
    Subscription,
    check_append,
    check_read,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    stream TEXT NOT NULL,
    command_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    PRIMARY KEY (stream, command_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

# Skip-scan over the primary key: one index seek per distinct stream instead of reading every event.
_STREAMS_SQL = """
WITH RECURSIVE s(name) AS (
    SELECT (SELECT MIN(stream) FROM events WHERE stream >= :prefix)
    UNION ALL
    SELECT (SELECT MIN(stream) FROM events WHERE stream > s.name) FROM s
    WHERE s.name IS NOT NULL AND substr(s.name, 1, length(:prefix)) = :prefix
)
SELECT name FROM s WHERE name IS NOT NULL AND substr(name, 1, length(:prefix)) = :prefix
"""

DEFAULT_MAX_BATCH = 512


def path_from_url(url: str) -> str:
    """``sqlite:///./rel.db`` → ``./rel.db``; ``sqlite:////abs.db`` → ``/abs.db``; ``sqlite:///:memory:``."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"not a sqlite URL (sqlite:///relative.db or sqlite:////absolute.db): {url!r}")
    return url[len(prefix) :].split("?", 1)[0]


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    write: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    on_success: Callable[[Any], None] | None = None
    stop: bool = False  # close(): the worker finishes everything queued before it, then exits
    outcome: tuple[Any, BaseException | None] | None = None  # (value, error) once run
    append: _Append | None = None  # an append, which the worker runs together with its neighbours


@dataclass(slots=True)
class _Append:
    stream: str
    expected_version: int
    rows: list[tuple[str, str]]
    command_id: str | None


class _Versions:
    """The worker's cache of stream versions, trusted while no other connection has written (data_version)."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.data_version: int | None = None

    def check(self, conn: sqlite3.Connection) -> None:
        data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version != self.data_version:
            self.versions.clear()
            self.data_version = data_version


class SqliteEventStore:
    kind = "sqlite"

    def __init__(self, path: str, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        """``max_batch=1`` turns group commit off (one transaction per write), for benchmarks."""
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self.path = path
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._fanout = Fanout()
        self._closed = False
        self._closed_event = threading.Event()
        self.commits = 0  # write transactions committed: appends / commits is the group-commit factor
        self._versions = _Versions()  # the worker thread's only
        self._thread = threading.Thread(target=self._run, name=f"sqlite-store:{path}", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- public API

    async def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        command_id: str | None = None,
    ) -> AppendResult:
        batch = check_append(stream, expected_version, events, command_id)
        rows = [(e.type, e.data) for e in batch]

        def run(conn: sqlite3.Connection) -> AppendResult:
            return _append_tx(conn, stream, expected_version, rows, command_id)

        def signal(result: AppendResult) -> None:
            if not result.duplicate:
                self._fanout.publish(stream, result.version)

        spec = _Append(stream, expected_version, rows, command_id)
        result: AppendResult = await self._submit(run, write=True, on_success=signal, append=spec)
        return result

    async def read(self, stream: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        check_read(after, limit)
        if limit == 0:
            return []

        def run(conn: sqlite3.Connection) -> list[StoredEvent]:
            cur = conn.execute(
                "SELECT seq, type, data, at FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?",
                (stream, after, -1 if limit is None else limit),
            )
            return [StoredEvent(stream, seq, type_, data, at) for seq, type_, data, at in cur]

        events: list[StoredEvent] = await self._submit(run)
        return events

    async def version(self, stream: str) -> int:
        version: int = await self._submit(lambda conn: _version(conn, stream))
        return version

    def subscribe(self) -> Subscription:
        sub = Subscription()
        if self._closed:
            sub._finish()
            return sub
        return self._fanout.add(sub)

    async def streams(self, prefix: str = "") -> list[str]:
        def run(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute(_STREAMS_SQL, {"prefix": prefix})]

        names: list[str] = await self._submit(run)
        return names

    async def delete_stream(self, stream: str) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM events WHERE stream = ?", (stream,))
            conn.execute("DELETE FROM commands WHERE stream = ?", (stream,))

        await self._submit(run, write=True)

    async def rewrite(self, stream: str, replacements: Mapping[int, NewEvent]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            for seq, event in replacements.items():
                changed = conn.execute(
                    "UPDATE events SET type = ?, data = ? WHERE stream = ? AND seq = ?",
                    (event.type, event.data, stream, seq),
                ).rowcount
                if changed != 1:
                    raise KeyError(f"{stream}: no event {seq}")
            # Command ids carry a digest of the command, chat text included.
            conn.execute("DELETE FROM commands WHERE stream = ?", (stream,))

        await self._submit(run, write=True)
        # The old text may still be in the WAL: copy it into the file (secure_delete zeroes what the
        # updates freed there) and cut the WAL to nothing. Own connection: the worker's may be in a transaction.
        if self.path != ":memory:":
            await asyncio.to_thread(_checkpoint, self.path)

    async def get_key(self, key: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM keys WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        value: str | None = await self._submit(run)
        return value

    async def set_key(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        verb = "INSERT OR IGNORE" if only_if_absent else "INSERT OR REPLACE"

        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute(f"{verb} INTO keys (key, value) VALUES (?, ?)", (key, value)).rowcount == 1

        done: bool = await self._submit(run, write=True)
        return done

    async def delete_key(self, key: str) -> None:
        await self._submit(lambda conn: conn.execute("DELETE FROM keys WHERE key = ?", (key,)), write=True)

    async def close(self) -> None:
        if self._closed:
            await asyncio.to_thread(self._closed_event.wait)  # a concurrent close() is still draining
            return
        self._closed = True
        self._fanout.close_all()
        loop = asyncio.get_running_loop()
        stop = _Job(lambda conn: None, False, loop, loop.create_future(), stop=True)
        self._jobs.put(stop)  # queued after every pending job: those still complete
        await stop.future

    # ---------------------------------------------------------------- loop side

    async def _submit(
        self,
        fn: Callable[[sqlite3.Connection], Any],
        *,
        write: bool = False,
        on_success: Callable[[Any], None] | None = None,
        append: _Append | None = None,
    ) -> Any:
        if self._closed:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put(_Job(fn, write, loop, future, on_success, append=append))
        return await future

    @staticmethod
    def _deliver(jobs: list[_Job]) -> None:
        for job in jobs:
            value, error = job.outcome or (None, StoreError("the store worker stopped"))
            # The caller first, then the signal: the appending table wakes up (and applies its events)
            # before its own signal reaches the follower, which then has nothing to catch up.
            if not job.future.done():  # else the caller was cancelled
                if error is None:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(error)
            if error is None and job.on_success is not None:
                job.on_success(value)  # the write happened even if its caller has gone: still signal

    # ---------------------------------------------------------------- worker thread

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        startup_error: Exception | None = None
        try:
            conn = _connect(self.path)
        except Exception as exc:  # noqa: BLE001 - the worker must answer every job: whatever failed, each hears it
            startup_error = exc
        stop: _Job | None = None
        while stop is None:
            batch: list[_Job] = [self._jobs.get()]
            while len(batch) < self._max_batch and not batch[-1].stop:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            if batch[-1].stop:
                stop = batch.pop()
            if conn is None:
                err = StoreError(f"cannot open the SQLite store at {self.path!r}: {startup_error}")
                for job in batch:
                    job.outcome = (None, err)
            else:
                try:
                    if _execute(conn, batch, self._versions):
                        self.commits += 1
                except Exception as exc:  # noqa: BLE001 - the connection itself failed: fail this batch, keep serving
                    self._versions.versions.clear()
                    with contextlib.suppress(sqlite3.Error):
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                    err = StoreError(f"SQLite failure: {exc}")
                    for job in batch:
                        if job.outcome is None or (job.write and job.outcome[1] is None):
                            job.outcome = (None, err)
            self._send(batch)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._closed_event.set()
        stop.outcome = (None, None)
        self._send([stop])

    def _send(self, batch: list[_Job]) -> None:
        # One wake-up per event loop per batch, not one per job.
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(self._deliver, jobs)


def _connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # timeout = busy timeout: another process (a CLI, a backup) may hold the lock briefly.
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, cached_statements=256)
    try:
        for attempt in range(100):
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                # Switching to WAL ignores the busy timeout while another connection opens the same new file.
                if attempt == 99:
                    raise
                time.sleep(0.05)
        conn.execute("PRAGMA synchronous=FULL")
        # Erased personal data (rewrite, delete_stream) is overwritten with zeros, not left in free space.
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return conn


def _checkpoint(path: str) -> None:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _version(conn: sqlite3.Connection, stream: str) -> int:
    row = conn.execute("SELECT MAX(seq) FROM events WHERE stream = ?", (stream,)).fetchone()
    return int(row[0] or 0)


def _append_tx(
    conn: sqlite3.Connection,
    stream: str,
    expected_version: int,
    rows: list[tuple[str, str]],
    command_id: str | None,
) -> AppendResult:
    if command_id is not None:
        row = conn.execute(
            "SELECT version, first_seq FROM commands WHERE stream = ? AND command_id = ?",
            (stream, command_id),
        ).fetchone()
        if row is not None:
            return AppendResult(version=int(row[0]), first_seq=int(row[1]), duplicate=True)
    current = _version(conn, stream)
    if current != expected_version:
        raise ConcurrencyError(expected_version, current, stream)
    at = time.time()
    conn.executemany(
        "INSERT INTO events (stream, seq, type, data, at) VALUES (?, ?, ?, ?, ?)",
        [(stream, current + i, type_, data, at) for i, (type_, data) in enumerate(rows, start=1)],
    )
    version = current + len(rows)
    if command_id is not None:
        conn.execute(
            "INSERT INTO commands (stream, command_id, version, first_seq) VALUES (?, ?, ?, ?)",
            (stream, command_id, version, current + 1),
        )
    return AppendResult(version=version, first_seq=current + 1, duplicate=False)


def _execute(conn: sqlite3.Connection, batch: list[_Job], cache: _Versions) -> bool:
    """Run a drained batch: reads directly, writes together in one transaction. True if it committed.

    Consecutive appends run as one group (`_append_group`): a handful of statements for the whole group
    rather than six per append. The worker thread gives up the GIL around every SQLite call and may wait
    up to the interpreter's switch interval (5 ms) to get it back from a busy event loop, so the number
    of statements per batch, not their work, is what bounds the store under load.
    """
    writes = [job for job in batch if job.write]
    in_tx = False
    if writes:
        try:
            conn.execute("BEGIN IMMEDIATE")
            in_tx = True
            cache.check(conn)  # holding the write lock: nobody else can write until the commit
        except sqlite3.Error as exc:
            err = StoreError(f"cannot start a write transaction: {exc}")
            for job in writes:
                job.outcome = (None, err)
    group: list[_Job] = []
    for job in batch:
        if job.write and not in_tx:
            continue
        if job.append is not None:
            group.append(job)
            continue
        if group:
            _append_group(conn, group, cache)
            group = []
        if job.write:
            cache.versions.clear()  # a delete_stream, say: versions are read again
            _run_alone(conn, job)
        else:
            try:
                job.outcome = (job.fn(conn), None)
            except Exception as exc:  # noqa: BLE001 - whatever the job raised goes to its caller
                job.outcome = (None, _wrap(exc))
    if group:
        _append_group(conn, group, cache)
    if not in_tx:
        return False
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        cache.versions.clear()
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        err = StoreError(f"commit failed: {exc}")
        for job in writes:
            if job.outcome is None or job.outcome[1] is None:
                job.outcome = (None, err)
        return False
    return True


def _run_alone(conn: sqlite3.Connection, job: _Job) -> None:
    """One write in its own savepoint, so that its failure does not undo its neighbours."""
    conn.execute("SAVEPOINT job")
    try:
        job.outcome = (job.fn(conn), None)
        conn.execute("RELEASE job")
    except Exception as exc:  # noqa: BLE001 - whatever the job raised goes to its caller
        conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
        job.outcome = (None, _wrap(exc))


# Rows per multi-row statement: 5 parameters a row stays under SQLite's 32,766 bound parameters.
_ROWS_PER_INSERT = 6000
_KEYS_PER_SELECT = 400


def _append_group(conn: sqlite3.Connection, jobs: list[_Job], cache: _Versions) -> None:
    """Appends decided in Python against cached versions, then written with one INSERT per table."""
    conn.execute("SAVEPOINT appends")
    try:
        _append_together(conn, jobs, cache)
        conn.execute("RELEASE appends")
    except Exception:  # noqa: BLE001 - any failure: each append again on its own, to get its own answer
        conn.execute("ROLLBACK TO appends")
        conn.execute("RELEASE appends")
        cache.versions.clear()
        for job in jobs:  # one at a time, each in its own savepoint, as before grouping
            job.outcome = None
            _run_alone(conn, job)


def _append_together(conn: sqlite3.Connection, jobs: list[_Job], cache: _Versions) -> None:
    specs = [job.append for job in jobs]
    keys = [(spec.stream, spec.command_id) for spec in specs if spec is not None and spec.command_id is not None]
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    for start in range(0, len(keys), _KEYS_PER_SELECT):
        chunk = keys[start : start + _KEYS_PER_SELECT]
        # The VALUES list in a subquery: written as `IN (VALUES …)` SQLite would scan the whole table.
        sql = (
            "SELECT stream, command_id, version, first_seq FROM commands WHERE (stream, command_id) IN "
            "(SELECT column1, column2 FROM (VALUES " + ",".join(["(?,?)"] * len(chunk)) + "))"
        )
        for stream, command_id, version, first_seq in conn.execute(sql, [v for key in chunk for v in key]):
            seen[(stream, command_id)] = (int(version), int(first_seq))
    versions = cache.versions
    unknown = list({spec.stream for spec in specs if spec is not None and spec.stream not in versions})
    for start in range(0, len(unknown), _KEYS_PER_SELECT):
        streams = unknown[start : start + _KEYS_PER_SELECT]
        sql = f"SELECT stream, MAX(seq) FROM events WHERE stream IN ({','.join('?' * len(streams))}) GROUP BY stream"
        found = dict(conn.execute(sql, streams).fetchall())
        for stream in streams:
            versions[stream] = int(found.get(stream) or 0)
    at = time.time()
    event_rows: list[Any] = []
    command_rows: list[Any] = []
    for job, spec in zip(jobs, specs, strict=True):
        assert spec is not None
        key = (spec.stream, spec.command_id) if spec.command_id is not None else None
        if key is not None and key in seen:
            version, first_seq = seen[key]
            job.outcome = (AppendResult(version=version, first_seq=first_seq, duplicate=True), None)
            continue
        current = versions[spec.stream]
        if current != spec.expected_version:
            job.outcome = (None, ConcurrencyError(spec.expected_version, current, spec.stream))
            continue
        for offset, (type_, data) in enumerate(spec.rows, start=1):
            event_rows.append((spec.stream, current + offset, type_, data, at))
        version = current + len(spec.rows)
        versions[spec.stream] = version
        if key is not None:
            seen[key] = (version, current + 1)
            command_rows.append((spec.stream, spec.command_id, version, current + 1))
        job.outcome = (AppendResult(version=version, first_seq=current + 1, duplicate=False), None)
    for start in range(0, len(event_rows), _ROWS_PER_INSERT):
        chunk = event_rows[start : start + _ROWS_PER_INSERT]
        sql = "INSERT INTO events (stream, seq, type, data, at) VALUES " + ",".join(["(?,?,?,?,?)"] * len(chunk))
        conn.execute(sql, [v for row in chunk for v in row])
    for start in range(0, len(command_rows), _ROWS_PER_INSERT):
        chunk = command_rows[start : start + _ROWS_PER_INSERT]
        sql = "INSERT INTO commands (stream, command_id, version, first_seq) VALUES " + ",".join(
            ["(?,?,?,?)"] * len(chunk)
        )
        conn.execute(sql, [v for row in chunk for v in row])


def _wrap(exc: Exception) -> Exception:
    if isinstance(exc, sqlite3.Error):
        wrapped = StoreError(f"SQLite error: {exc}")
        wrapped.__cause__ = exc
        return wrapped
    return exc
