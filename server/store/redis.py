"""Redis event store (redis.asyncio): for several server processes sharing one Redis.

Layout, per stream S (the ``{S}`` hash tag keeps a table's keys in one cluster slot):

- ``raaderum:{S}:events``   a Redis Stream, entry id ``<seq>-1``, fields ``type``, ``data``, ``at``
- ``raaderum:{S}:commands`` a hash, command_id → ``"<version>:<first_seq>"``
- ``raaderum:key:<key>``    plain strings for get_key/set_key
- channel ``raaderum:notify`` carries ``"<stream> <version>"`` after each append

One Lua script does the command-id check, the version check, the XADDs, the HSET and the PUBLISH, so an
append is atomic and concurrent appends at the same version are serialised by Redis itself.
Durability follows the server's AOF setting (``appendfsync always`` loses nothing once an append returned).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError, WatchError

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

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "raaderum:notify"
_MAX_PIPELINE = 256
SOCKET_TIMEOUT = 5.0  # seconds
_PREFIX = "raaderum:{"
_EVENTS_SUFFIX = "}:events"

# KEYS[1] events stream, KEYS[2] command-id hash.
# ARGV[1] expected version, ARGV[2] command id ('' = none), ARGV[3] at, ARGV[4] notify channel,
# ARGV[5] stream name, then type, data pairs.
# Returns {status, version, first_seq}: status 1 appended, 2 duplicate command id,
# 0 conflict (version = the actual version).
_APPEND_LUA = """
local cmd = ARGV[2]
if cmd ~= '' then
  local prev = redis.call('HGET', KEYS[2], cmd)
  if prev then
    local sep = string.find(prev, ':', 1, true)
    return {2, tonumber(string.sub(prev, 1, sep - 1)), tonumber(string.sub(prev, sep + 1))}
  end
end
local version = redis.call('XLEN', KEYS[1])
if version ~= tonumber(ARGV[1]) then
  return {0, version, 0}
end
local seq = version
for i = 6, #ARGV, 2 do
  seq = seq + 1
  redis.call('XADD', KEYS[1], string.format('%d-1', seq), 'type', ARGV[i], 'data', ARGV[i + 1], 'at', ARGV[3])
end
if cmd ~= '' then
  redis.call('HSET', KEYS[2], cmd, string.format('%d:%d', seq, version + 1))
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. string.format('%d', seq))
return {1, seq, version + 1}
"""


def events_key(stream: str) -> str:
    return f"{_PREFIX}{stream}{_EVENTS_SUFFIX}"


def commands_key(stream: str) -> str:
    return f"{_PREFIX}{stream}}}:commands"


def value_key(key: str) -> str:
    return f"raaderum:key:{key}"


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisEventStore:
    kind = "redis"

    def __init__(self, url: str, *, max_connections: int = 32) -> None:
        self.url = url
        # A busy server has a read or append in flight for hundreds of tables at once: callers wait for a
        # connection (redis-py's default pool raises "Too many connections" past 100).
        # A Redis that stops answering (killed, stopped, a network gone quiet) fails a call after
        # SOCKET_TIMEOUT with StoreError rather than hanging the command and its table's lock.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            max_connections=max_connections,
            timeout=None,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
        )
        self._redis: aioredis.Redis = aioredis.Redis.from_pool(pool)  # closing the client closes the pool
        # The notify subscription waits for messages indefinitely: its own client, without the read timeout.
        self._notify = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=SOCKET_TIMEOUT)
        self._append_script = self._redis.register_script(_APPEND_LUA)
        self._fanout = Fanout()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._closed = False
        # Appends wait here for the next pipeline: all appends made while one is in flight go in one round
        # trip (and one fsync with appendfsync always), as SQLite's group commit does.
        self._appends: list[tuple[list[str], list[str | int], asyncio.Future[Any]]] = []
        self._sending: asyncio.Task[None] | None = None
        self.round_trips = 0  # pipelines sent: appends / round_trips is the batching factor

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
        at = repr(time.time())
        args: list[str | int] = [expected_version, command_id or "", at, NOTIFY_CHANNEL, stream]
        for event in batch:
            args += (event.type, event.data)
        if self._closed:
            raise StoreError("the store is closed")
        for value in args:  # what Redis cannot take fails this append alone, not the pipeline it would join
            if isinstance(value, str):
                value.encode()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._appends.append(([events_key(stream), commands_key(stream)], args, future))
        if self._sending is None or self._sending.done():
            self._sending = asyncio.get_running_loop().create_task(self._send_appends(), name="redis-store-appends")
        status, version, first_seq = await future
        if status == 0:
            raise ConcurrencyError(expected_version, int(version), stream)
        return AppendResult(version=int(version), first_seq=int(first_seq), duplicate=status == 2)

    async def read(self, stream: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        check_read(after, limit)
        if limit == 0:
            return []
        entries = await self._call(self._redis.xrange(events_key(stream), f"{after + 1}-1", "+", count=limit))
        return [
            StoredEvent(stream, int(eid.partition("-")[0]), f["type"], f["data"], float(f["at"])) for eid, f in entries
        ]

    async def version(self, stream: str) -> int:
        return int(await self._call(self._redis.xlen(events_key(stream))))

    def subscribe(self) -> Subscription:
        sub = Subscription(ready=self._subscribed.wait)
        if self._closed:
            sub._finish()
            return sub
        self._fanout.add(sub)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen(), name="redis-store-notify")
        return sub

    async def streams(self, prefix: str = "") -> list[str]:
        pattern = f"{_PREFIX}{_glob_escape(prefix)}*{_EVENTS_SUFFIX}"

        async def scan() -> list[str]:
            names = set()
            async for key in self._redis.scan_iter(match=pattern, count=1000, _type="stream"):
                names.add(key[len(_PREFIX) : -len(_EVENTS_SUFFIX)])
            return sorted(names)

        names: list[str] = await self._call(scan())
        return names

    async def delete_stream(self, stream: str) -> None:
        await self._call(self._redis.delete(events_key(stream), commands_key(stream)))

    async def rewrite(self, stream: str, replacements: Mapping[int, NewEvent]) -> None:
        """The stream rebuilt with the same entry ids in one MULTI, retried if an append came in between
        (WATCH); then an AOF rewrite, so the append-only file forgets the old text too."""
        key = events_key(stream)

        async def run() -> None:
            while True:
                async with self._redis.pipeline(transaction=True) as pipe:
                    try:
                        await pipe.watch(key)
                        # decode_responses: ids and fields are str.
                        entries: list[tuple[str, dict[str, str]]] = await pipe.xrange(key)  # type: ignore[assignment]
                        seqs = {int(entry_id.partition("-")[0]) for entry_id, _ in entries}
                        missing = set(replacements) - seqs
                        if missing:
                            raise KeyError(f"{stream}: no event {min(missing)}")
                        pipe.multi()  # type: ignore[no-untyped-call]
                        pipe.delete(key)
                        for entry_id, fields in entries:
                            new = replacements.get(int(entry_id.partition("-")[0]))
                            if new is not None:
                                fields = {**fields, "type": new.type, "data": new.data}
                            pipe.xadd(key, dict(fields), id=entry_id)  # type: ignore[arg-type]
                        pipe.delete(commands_key(stream))  # command ids carry a digest of the command
                        await pipe.execute()
                        return
                    except WatchError:
                        continue  # an append came in between: read again

        await self._call(run())
        with contextlib.suppress(RedisError):  # already running, or AOF off: nothing to rewrite
            await self._redis.bgrewriteaof()

    async def get_key(self, key: str) -> str | None:
        value: str | None = await self._call(self._redis.get(value_key(key)))
        return value

    async def set_key(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        done = await self._call(self._redis.set(value_key(key), value, nx=only_if_absent))
        return bool(done)

    async def delete_key(self, key: str) -> None:
        await self._call(self._redis.delete(value_key(key)))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._fanout.close_all()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()
        await self._notify.aclose()

    # ---------------------------------------------------------------- internals

    async def _send_appends(self) -> None:
        """Send the waiting appends as pipelines, one at a time, until none is left.

        The task starts on the loop's next turn, so every append made in this turn is in the first pipeline.
        """
        while self._appends:
            batch, self._appends = self._appends[:_MAX_PIPELINE], self._appends[_MAX_PIPELINE:]
            try:
                results = await self._pipeline(batch)
                if any(isinstance(result, NoScriptError) for result in results):  # Redis restarted or flushed
                    await self._call(self._redis.script_load(_APPEND_LUA))
                    results = await self._pipeline(batch)
            except Exception as exc:  # noqa: BLE001 - whatever failed, every waiting caller needs an answer
                # The connection (or anything else) failed: every append of the batch may or may not be in.
                error = exc if isinstance(exc, StoreError) else StoreError(f"Redis error: {exc}")
                results = [error] * len(batch)
            for (_, _, future), result in zip(batch, results, strict=True):
                if future.done():  # the caller was cancelled
                    continue
                if isinstance(result, Exception):
                    future.set_exception(
                        result if isinstance(result, StoreError) else StoreError(f"Redis error: {result}")
                    )
                else:
                    future.set_result(result)

    async def _call(self, awaitable: Any) -> Any:
        if self._closed:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise StoreError("the store is closed")
        try:
            return await awaitable
        except RedisError as exc:
            raise StoreError(f"Redis error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"Redis connection error: {exc}") from exc

    async def _pipeline(self, batch: list[tuple[list[str], list[str | int], asyncio.Future[Any]]]) -> list[Any]:
        # EVALSHA without redis-py's script registration, which would ask SCRIPT EXISTS on every pipeline.
        sha = self._append_script.sha
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args, _ in batch:
                pipe.evalsha(sha, len(keys), *keys, *args)
            results: list[Any] = await self._call(pipe.execute(raise_on_error=False))
        self.round_trips += 1
        return results

    async def _listen(self) -> None:
        """One pubsub connection per store, fanned out locally; reconnects with backoff."""
        delay = 0.1
        while not self._closed:
            pubsub = self._notify.pubsub()
            try:
                await pubsub.subscribe(NOTIFY_CHANNEL)
                async for message in pubsub.listen():
                    kind = message.get("type")
                    if kind == "subscribe":
                        self._subscribed.set()
                        delay = 0.1
                    elif kind == "message":
                        stream, _, version = str(message["data"]).rpartition(" ")
                        with contextlib.suppress(ValueError):
                            self._fanout.publish(stream, int(version))
            except (RedisError, OSError) as exc:
                log.warning("Redis notify subscription lost (%s); retrying in %.1f s", exc, delay)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            # Hints sent while disconnected are lost; consumers still catch up on the next one.
            self._subscribed.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
