"""Event store: one append-only stream per game table, with SQLite (default) and Redis backends."""

from __future__ import annotations

from .base import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    HistoryLost,
    NewEvent,
    StoredEvent,
    StoreError,
    Subscription,
)

__all__ = [
    "AppendResult",
    "ConcurrencyError",
    "EventStore",
    "HistoryLost",
    "NewEvent",
    "StoreError",
    "StoredEvent",
    "Subscription",
    "open_store",
]


def open_store(url: str) -> EventStore:
    """Open a store from a URL.

    - ``sqlite:///./data/raaderum.db`` (relative path) or ``sqlite:////abs/path.db``: one server process
    - ``redis://host:port/db``, ``rediss://…`` or ``unix:///path/redis.sock``: several processes may share it

    Cheap and synchronous: SQLite opens its file on the store's worker thread, Redis connects on first use.
    """
    if url.startswith("sqlite:"):
        from .sqlite import SqliteEventStore, path_from_url

        return SqliteEventStore(path_from_url(url))
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisEventStore

        return RedisEventStore(url)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///…, redis://… or unix:///…")
