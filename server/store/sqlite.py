"""SQLite event store: the default backend, for ONE server process.

Writes run on the event loop's thread, on one writer connection: every write queued during one turn of the
loop goes into one ``BEGIN IMMEDIATE`` transaction (each write inside its own savepoint, so one failing
append does not undo its neighbours), committed to the WAL, which a helper thread then fsyncs while the
loop goes on and the next batch gathers: group commit. Callers get their result only after that fsync:
``synchronous=NORMAL`` plus an fsync of the WAL after every commit is ``synchronous=FULL``'s durability.
The statements stay on the loop's thread because a worker thread gives up the GIL around every SQLite call
and, under load, waits up to the interpreter's switch interval (5 ms) each time to get it back.
Every 250 commits the fsync thread also checkpoints the WAL into the file while the next batch waits.
Reads run on a second connection in a worker thread, so a long read never stops the loop (an in-memory
database is one connection's: there, reads run on the loop too).

``subscribe()`` fans out in-process only: appends made by another process on the same file do not signal here.
Several server processes need the Redis backend.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
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

log = logging.getLogger(__name__)


def path_from_url(url: str) -> str:
    """``sqlite:///./rel.db`` → ``./rel.db``; ``sqlite:////abs.db`` → ``/abs.db``; ``sqlite:///:memory:``."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"not a sqlite URL (sqlite:///relative.db or sqlite:////absolute.db): {url!r}")
    return url[len(prefix) :].split("?", 1)[0]


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
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


# The WAL is checkpointed into the database file every CHECKPOINT_COMMITS commits (a commit writes about
# 2-4 pages: about SQLite's own 1,000 pages, which its automatic checkpoint would do inside a commit, on
# the loop), by the fsync thread while the next batch waits, so that it copies every frame and the WAL is
# then used again from its start instead of growing.
CHECKPOINT_COMMITS = 250
# Another process (a CLI, a backup) may hold the write lock: retry every BUSY_RETRY_S, for up to BUSY_WAIT_S.
BUSY_RETRY_S = 0.002
COMMIT_INTERVAL_S = 0.002
BUSY_WAIT_S = 5.0


class _Busy(Exception):
    """Another connection holds the write lock: the batch is tried again shortly, not failed."""


class _Wal:
    """The WAL file, fsynced after each commit: the part of ``synchronous=FULL`` that NORMAL leaves out."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.path = db_path + "-wal"
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._checkpointer: sqlite3.Connection | None = None  # the fsync thread's

    def sync(self) -> None:
        """fsync the WAL (in the helper thread)."""
        info = os.stat(self.path)
        if self._fd is None or self._inode != (info.st_dev, info.st_ino):
            # First use, or the file was replaced (deleted when every connection closed, then made again).
            if self._fd is not None:
                os.close(self._fd)
            self._fd = os.open(self.path, os.O_RDONLY)
            self._inode = (info.st_dev, info.st_ino)
            _sync_directory(os.path.dirname(os.path.abspath(self.path)))  # the new file's name, too
        os.fsync(self._fd)

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (in the helper thread, while the writer waits)."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self.db_path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._checkpointer is not None:
            with contextlib.suppress(sqlite3.Error):
                self._checkpointer.close()
            self._checkpointer = None


def _settle(job: _Job, missing: str) -> tuple[Any, BaseException | None]:
    """Give a job's caller its outcome (`missing`, as a StoreError, if it has none); the outcome."""
    value, error = job.outcome or (None, StoreError(missing))
    if not job.future.done():  # else the caller was cancelled
        if error is None:
            job.future.set_result(value)
        else:
            job.future.set_exception(error)
    return value, error


def _error_of(done: asyncio.Future[None]) -> BaseException | None:
    """What the helper thread's call raised (cancelled: the loop is shutting down), or None."""
    return StoreError("cancelled: the event loop is closing") if done.cancelled() else done.exception()


def _sync_directory(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Lane:
    """One event loop's writes waiting for their transaction, and whether that loop's last commit is syncing."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[_Job] = []
        self.scheduled = False  # a flush is queued (call_soon, or call_later while another process writes)
        self.syncing = False  # a committed batch waits for its fsync: the next batch gathers meanwhile
        self.busy_since: float | None = None  # monotonic time since another process has held the write lock
        self.last_commit = -1e9  # loop.time() when the last batch began
        self.last_size = 0  # and how many writes it held

    @property
    def idle(self) -> bool:
        return not self.pending and not self.syncing


class SqliteEventStore:
    kind = "sqlite"

    def __init__(self, path: str, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        """``max_batch=1`` turns group commit off (one transaction per write), for benchmarks."""
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self.path = path
        self._max_batch = max_batch
        self._fanout = Fanout()
        self._closed = False
        self._drained = threading.Event()  # close() has finished
        self.commits = 0  # write transactions committed: appends / commits is the group-commit factor
        self.syncs = 0  # fsyncs of the WAL, each after a commit and before its callers hear of it
        self._versions = _Versions()  # the writer connection's, under _write_lock
        self._write_lock = threading.Lock()  # the writer connection, for a store used from two loops (tests)
        self._lanes: dict[asyncio.AbstractEventLoop, _Lane] = {}
        self._writer: sqlite3.Connection | None = None
        self._open_error: Exception | None = None
        self._wal: _Wal | None = None
        try:
            self._writer = _connect(path, writer=True)
            if path != ":memory:":
                self._wal = _Wal(path)
        except Exception as exc:  # noqa: BLE001 - every call hears of it, as a StoreError
            self._open_error = exc
        self._syncer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-fsync")
        self._commits_since_checkpoint = 0
        self.checkpoints = 0  # WAL checkpoints, run by the fsync thread
        # An in-memory database is its one connection's: there the reads go with the writes, on the loop.
        self._reads_on_loop = path == ":memory:"
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._run_reads, name=f"sqlite-reads:{path}", daemon=True)
        self._reader.start()

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
        result: AppendResult = await self._write(run, on_success=signal, append=spec)
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

        events: list[StoredEvent] = await self._read(run)
        return events

    async def version(self, stream: str) -> int:
        version: int = await self._read(lambda conn: _version(conn, stream))
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

        names: list[str] = await self._read(run)
        return names

    async def delete_stream(self, stream: str) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM events WHERE stream = ?", (stream,))
            conn.execute("DELETE FROM commands WHERE stream = ?", (stream,))

        await self._write(run)

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

        await self._write(run)
        # The old text may still be in the WAL: copy it into the file (secure_delete zeroes what the
        # updates freed there) and cut the WAL to nothing. Own connection: the writer may be in a transaction.
        if self.path != ":memory:":
            await asyncio.to_thread(_checkpoint, self.path)

    async def get_key(self, key: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM keys WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        value: str | None = await self._read(run)
        return value

    async def set_key(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        verb = "INSERT OR IGNORE" if only_if_absent else "INSERT OR REPLACE"

        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute(f"{verb} INTO keys (key, value) VALUES (?, ?)", (key, value)).rowcount == 1

        done: bool = await self._write(run)
        return done

    async def delete_key(self, key: str) -> None:
        await self._write(lambda conn: conn.execute("DELETE FROM keys WHERE key = ?", (key,)))

    async def close(self) -> None:
        if self._closed:
            await asyncio.to_thread(self._drained.wait)  # a concurrent close() is still draining
            return
        self._closed = True
        self._fanout.close_all()
        # Every write queued before the close still completes, on whichever loop queued it.
        # The lanes may belong to other loops (a store shared by a test's loop and an app's): poll, briefly.
        while not all(lane.idle for lane in list(self._lanes.values())):  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        loop = asyncio.get_running_loop()
        stop = _Job(lambda conn: None, loop, loop.create_future(), stop=True)
        self._jobs.put(stop)  # queued after every pending read: those still complete
        await stop.future
        await asyncio.to_thread(self._syncer.shutdown)
        with self._write_lock:
            if self._writer is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._writer.close()
            if self._wal is not None:
                self._wal.close()
        self._drained.set()

    # ---------------------------------------------------------------- writes, on the event loop

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
        if self._open_error is not None:
            raise StoreError(f"cannot open the SQLite store at {self.path!r}: {self._open_error}")

    async def _write(
        self,
        fn: Callable[[sqlite3.Connection], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        append: _Append | None = None,
    ) -> Any:
        self._check_open()
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        if lane is None:
            lane = self._lanes[loop] = _Lane(loop)
        future: asyncio.Future[Any] = loop.create_future()
        lane.pending.append(_Job(fn, loop, future, on_success, append=append))
        self._schedule(lane)
        return await future

    def _schedule(self, lane: _Lane) -> None:
        if lane.pending and not lane.scheduled and not lane.syncing:
            lane.scheduled = True
            # After this turn of the loop, so that its other writes join in. Under load (the last batch
            # held several writes) not sooner than COMMIT_INTERVAL_S after the last commit began either, so
            # that a commit and its fsync carry several writes, not one each; one writer alone never waits.
            wait = lane.last_commit + COMMIT_INTERVAL_S - lane.loop.time()
            if wait > 0 and lane.last_size > 1:
                lane.loop.call_later(wait, self._flush, lane)
            else:
                lane.loop.call_soon(self._flush, lane)

    def _flush(self, lane: _Lane) -> None:
        lane.scheduled = False
        if lane.syncing or not lane.pending:
            return
        batch, lane.pending = lane.pending[: self._max_batch], lane.pending[self._max_batch :]
        lane.last_commit, lane.last_size = lane.loop.time(), len(batch)
        assert self._writer is not None  # else _write refused
        try:
            with self._write_lock:
                committed = _execute(self._writer, batch, self._versions)
        except _Busy:
            now = time.monotonic()
            lane.busy_since = lane.busy_since or now
            if now - lane.busy_since < BUSY_WAIT_S:
                lane.pending[:0] = batch
                lane.scheduled = True
                lane.loop.call_later(BUSY_RETRY_S, self._flush, lane)
                return
            err = StoreError(f"the SQLite file is locked by another connection for over {BUSY_WAIT_S:g} s")
            for job in batch:
                job.outcome = (None, err)
            committed = False
        except Exception as exc:  # noqa: BLE001 - the connection itself failed: fail this batch, keep serving
            committed = False
            self._failed(batch, exc)
        lane.busy_since = None
        if committed:
            self.commits += 1
        if not committed or self._wal is None:  # failed, or in memory: nothing to make durable
            self._answer(batch)
            self._schedule(lane)
            return
        lane.syncing = True
        synced = lane.loop.run_in_executor(self._syncer, self._wal.sync)
        synced.add_done_callback(lambda done: self._synced(lane, batch, done))

    def _failed(self, batch: list[_Job], exc: BaseException) -> None:
        assert self._writer is not None
        with self._write_lock:
            self._versions.versions.clear()
            with contextlib.suppress(sqlite3.Error):
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
        err = StoreError(f"SQLite failure: {exc}")
        for job in batch:
            if job.outcome is None or job.outcome[1] is None:
                job.outcome = (None, err)

    def _synced(self, lane: _Lane, batch: list[_Job], done: asyncio.Future[None]) -> None:
        lane.syncing = False
        error = _error_of(done)
        if error is None:
            self.syncs += 1
            self._commits_since_checkpoint += 1
        else:
            # Committed, but not known to be on disk: the callers hear of a failure, as the store's contract
            # allows ("may or may not have happened"); the versions are read again.
            with self._write_lock:
                self._versions.versions.clear()
            err = StoreError(f"fsync of the SQLite WAL failed: {error}")
            for job in batch:
                if job.outcome is None or job.outcome[1] is None:
                    job.outcome = (None, err)
        self._answer(batch)
        if self._commits_since_checkpoint >= CHECKPOINT_COMMITS and self._wal is not None:
            self._commits_since_checkpoint = 0
            lane.syncing = True  # no commit while the WAL is copied: then the copy is whole
            checkpointed = lane.loop.run_in_executor(self._syncer, self._wal.checkpoint)
            checkpointed.add_done_callback(lambda done: self._checkpointed(lane, done))
            return
        self._schedule(lane)  # what gathered during the fsync

    def _checkpointed(self, lane: _Lane, done: asyncio.Future[None]) -> None:
        lane.syncing = False
        error = _error_of(done)
        if error is None:
            self.checkpoints += 1
        else:  # nothing is lost: the events are in the WAL; the next one tries again
            log.warning("%s: WAL checkpoint failed: %s", self.path, error)
        self._schedule(lane)

    @staticmethod
    def _answer(jobs: list[_Job]) -> None:
        for job in jobs:
            # The caller first, then the signal: the appending table wakes up (and applies its events)
            # before its own signal reaches the follower, which then has nothing to catch up.
            value, error = _settle(job, "the write was not run")
            if error is None and job.on_success is not None:
                job.on_success(value)  # the write happened even if its caller has gone: still signal

    # ---------------------------------------------------------------- reads, in the reader thread

    async def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        self._check_open()
        if self._reads_on_loop:
            assert self._writer is not None
            with self._write_lock:
                try:
                    return fn(self._writer)
                except Exception as exc:  # noqa: BLE001 - as from the reader thread
                    raise _wrap(exc) from None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put(_Job(fn, loop, future))
        return await future

    def _run_reads(self) -> None:
        conn: sqlite3.Connection | None = None
        startup_error: Exception | None = None
        if not self._reads_on_loop and self._open_error is None:
            try:
                conn = _connect(self.path, writer=False)
            except Exception as exc:  # noqa: BLE001 - the worker must answer every job: whatever failed, each hears it
                startup_error = exc
        stop: _Job | None = None
        while stop is None:
            batch: list[_Job] = [self._jobs.get()]
            while not batch[-1].stop:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            if batch[-1].stop:
                stop = batch.pop()
            for job in batch:
                if conn is None:
                    job.outcome = (None, StoreError(f"cannot open the SQLite store at {self.path!r}: {startup_error}"))
                    continue
                try:
                    job.outcome = (job.fn(conn), None)
                except Exception as exc:  # noqa: BLE001 - whatever the job raised goes to its caller
                    job.outcome = (None, _wrap(exc))
            self._send(batch)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        stop.outcome = (None, None)
        self._send([stop])

    @staticmethod
    def _deliver(jobs: list[_Job]) -> None:
        for job in jobs:
            _settle(job, "the store worker stopped")

    def _send(self, batch: list[_Job]) -> None:
        # One wake-up per event loop per batch, not one per job.
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(self._deliver, jobs)


def _connect(path: str, *, writer: bool) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # timeout = busy timeout: another process (a CLI, a backup) may hold the lock briefly. The writer, on
    # the event loop, must not wait in SQLite: after opening, it retries a locked file itself (_flush).
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, cached_statements=256, check_same_thread=not writer)
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
        # Erased personal data (rewrite, delete_stream) is overwritten with zeros, not left in free space.
        conn.execute("PRAGMA secure_delete=ON")
        if not writer:
            return conn
        # NORMAL: a commit does not fsync; the store fsyncs the WAL after each commit itself (_Wal.sync),
        # off the loop's thread, and checkpoints it there too (_Wal.checkpoint).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("PRAGMA busy_timeout=0")
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


def _stored_command(conn: sqlite3.Connection, key: tuple[str, str]) -> tuple[int, int] | None:
    """(version, first_seq) of a command id already stored on its stream, if it is."""
    row = conn.execute("SELECT version, first_seq FROM commands WHERE stream = ? AND command_id = ?", key).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def _append_tx(
    conn: sqlite3.Connection,
    stream: str,
    expected_version: int,
    rows: list[tuple[str, str]],
    command_id: str | None,
) -> AppendResult:
    if command_id is not None:
        stored = _stored_command(conn, (stream, command_id))
        if stored is not None:
            return AppendResult(version=stored[0], first_seq=stored[1], duplicate=True)
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


def _execute(conn: sqlite3.Connection, writes: list[_Job], cache: _Versions) -> bool:
    """Run a batch of writes together in one transaction. True if it committed.

    Consecutive appends run as one group (`_append_group`): a handful of statements for the whole group
    rather than six per append. A write lock held by another connection raises `_Busy` before anything
    ran, for the caller to try again later.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        cache.check(conn)  # holding the write lock: nobody else can write until the commit
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            raise _Busy from exc
        raise
    group: list[_Job] = []
    for job in writes:
        if job.append is not None:
            group.append(job)
            continue
        if group:
            _append_group(conn, group, cache)
            group = []
        cache.versions.clear()  # a delete_stream, say: versions are read again
        _run_alone(conn, job)
    if group:
        _append_group(conn, group, cache)
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
    """Every append of the group against the cached versions, then one INSERT per table.

    A command id is not looked up first: new ids are the rule, and a repeated one (a client's retry) makes
    the commands INSERT fail on its primary key, which sends the whole group through `_append_group`'s
    one-by-one path, where `_append_tx` answers it as a duplicate. An append whose version does not match
    may be the retry of one already stored, so its id is looked up then.
    """
    specs = [job.append for job in jobs]
    seen: dict[tuple[str, str], tuple[int, int]] = {}  # the group's own ids: a repeat within one batch
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
            stored = _stored_command(conn, key) if key is not None else None
            if stored is not None:
                job.outcome = (AppendResult(version=stored[0], first_seq=stored[1], duplicate=True), None)
            else:
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
