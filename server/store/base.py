"""The event-store protocol shared by the SQLite and Redis backends.

Every game table is one stream of events with seqs 1, 2, 3 … and no gaps. Writers use optimistic
concurrency (``expected_version``) plus per-stream command ids for idempotent retries; readers follow
``subscribe()`` hints and catch up with ``read(after=last_seq)``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    data: str  # the event encoded as JSON once, by the caller; stored and returned verbatim


@dataclass(frozen=True, slots=True)
class StoredEvent:
    stream: str
    seq: int  # 1, 2, 3 … per stream, no gaps
    type: str
    data: str  # verbatim JSON
    at: float  # unix time of the append (server clock)


@dataclass(frozen=True, slots=True)
class AppendResult:
    version: int  # stream version after the append (= seq of the last event)
    first_seq: int  # seq of the first appended event
    duplicate: bool  # command id seen before: nothing was written, the first result is returned


class StoreError(Exception):
    """The backend failed (I/O, connection, closed store); the append may or may not have happened."""


class HistoryLost(StoreError):
    """The store holds less of a stream than this process has seen: it was emptied (a Redis restarted without
    its data) or restored from an older backup. Appending would fork the stream's history, so the table stops."""


class ConcurrencyError(Exception):
    """``expected_version`` did not match the stream's version; nothing was written."""

    def __init__(self, expected: int, actual: int, stream: str = "") -> None:
        super().__init__(f"stream {stream!r}: expected version {expected}, actual {actual}")
        self.expected = expected
        self.actual = actual
        self.stream = stream

    def __reduce__(self) -> tuple[type[ConcurrencyError], tuple[int, int, str]]:
        return (ConcurrencyError, (self.expected, self.actual, self.stream))


class Subscription:
    """Async iterator of ``(stream, version)`` hints, also usable as ``async with``.

    Pending hints are coalesced per stream (only the highest version is kept), so a slow consumer costs memory
    per stream, not per append, and never misses the latest version. Iteration ends when the subscription or
    the store is closed.
    """

    def __init__(self, ready: Callable[[], Awaitable[object]] | None = None) -> None:
        self._pending: dict[str, int] = {}
        self._wakeup = asyncio.Event()
        self._closed = False
        self._ready = ready
        self._on_close: list[Callable[[Subscription], None]] = []

    # -- producer side (called by the store, on the event loop) --

    def _push(self, stream: str, version: int) -> None:
        if self._closed:
            return
        if version > self._pending.get(stream, 0):
            self._pending[stream] = version
        self._wakeup.set()

    def _finish(self) -> None:
        self._closed = True
        self._pending.clear()
        self._wakeup.set()

    # -- consumer side --

    @property
    def closed(self) -> bool:
        return self._closed

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait until hints are flowing (Redis: the SUBSCRIBE is confirmed); raises StoreError on timeout."""
        if self._ready is None or self._closed:
            return
        try:
            await asyncio.wait_for(self._ready(), timeout)
        except TimeoutError as exc:
            raise StoreError(f"subscription not ready after {timeout} s") from exc

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[str, int]:
        while not self._pending:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        stream = next(iter(self._pending))
        return stream, self._pending.pop(stream)

    async def aclose(self) -> None:
        if not self._closed:
            self._finish()
            for callback in self._on_close:
                callback(self)

    async def __aenter__(self) -> Self:
        await self.ready()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class Fanout:
    """In-process fan-out of hints; subscriptions are weakly held, so an abandoned one is collected."""

    def __init__(self) -> None:
        self._subs: weakref.WeakSet[Subscription] = weakref.WeakSet()

    def add(self, sub: Subscription) -> Subscription:
        self._subs.add(sub)
        sub._on_close.append(self._subs.discard)
        return sub

    def publish(self, stream: str, version: int) -> None:
        for sub in list(self._subs):
            sub._push(stream, version)

    def __len__(self) -> int:
        return len(self._subs)

    def close_all(self) -> None:
        for sub in list(self._subs):
            sub._finish()
        self._subs.clear()


@runtime_checkable
class EventStore(Protocol):
    kind: str  # "sqlite" | "redis"

    async def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        command_id: str | None = None,
    ) -> AppendResult: ...

    async def read(self, stream: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]: ...

    async def version(self, stream: str) -> int: ...

    def subscribe(self) -> Subscription: ...

    async def streams(self, prefix: str = "") -> list[str]: ...

    async def delete_stream(self, stream: str) -> None: ...

    async def rewrite(self, stream: str, replacements: Mapping[int, NewEvent]) -> None:
        """Replace the type and data of existing events (seq -> new), keeping seqs, times and the version,
        and forget the stream's command ids; no hint is published. For erasing personal data only: the
        old text must not survive anywhere the store keeps it. KeyError for a seq the stream lacks."""
        ...

    async def get_key(self, key: str) -> str | None: ...

    async def set_key(self, key: str, value: str, *, only_if_absent: bool = False) -> bool: ...

    async def delete_key(self, key: str) -> None: ...

    async def close(self) -> None: ...


def check_append(
    stream: str, expected_version: int, events: Sequence[NewEvent], command_id: str | None
) -> tuple[NewEvent, ...]:
    """Argument checks shared by the backends, so both reject the same calls with the same errors."""
    if not isinstance(stream, str) or not stream:
        raise ValueError("stream must be a non-empty str")
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
        raise ValueError(f"expected_version must be an int >= 0, got {expected_version!r}")
    if command_id is not None and (not isinstance(command_id, str) or not command_id):
        raise ValueError("command_id must be None or a non-empty str")
    batch = tuple(events)
    if not batch:
        raise ValueError("append needs at least one event")
    for event in batch:
        if not (isinstance(event, NewEvent) and isinstance(event.type, str) and isinstance(event.data, str)):
            raise ValueError(f"not a NewEvent with str type and data: {event!r}")
    return batch


def check_read(after: int, limit: int | None) -> None:
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValueError(f"after must be an int >= 0, got {after!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
