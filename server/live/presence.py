"""Who is connected to a table right now. Kept out of the event log: it changes by the second.

Each process counts its own connections. With several processes (Redis), each publishes its part for a
table whenever it changes and again every few seconds; the others merge the parts and forget a process
that has gone quiet, so a crashed process's players drop out of the list by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from server.transport import protocol
from server.transport.wsdirect import Outgoing

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from engine.views import Viewer
    from server.live.tables import Table


class Connection(Protocol):
    """What presence needs of a socket (server/transport/sessions.py): who is behind it."""

    viewer: Viewer


log = logging.getLogger("raaderum.presence")

CHANNEL = "raaderum:presence"
REPUBLISH_SECONDS = 10.0
FORGET_SECONDS = 3 * REPUBLISH_SECONDS


class Presence:
    def __init__(self, redis_url: str | None, loaded: Callable[[str], Table | None]) -> None:
        self.process = uuid.uuid4().hex
        self._redis_url = redis_url
        self._loaded = loaded
        self._local: dict[str, Counter[str]] = {}
        # table id -> process id -> (monotonic time heard, that process's viewer keys)
        self._remote: dict[str, dict[str, tuple[float, frozenset[str]]]] = {}
        self._redis: Redis | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._told: dict[str, protocol.Presence] = {}

    # ---- the merged view ------------------------------------------------------------------------

    def _keys(self, table_id: str) -> set[str]:
        keys = {key for key, count in self._local.get(table_id, Counter()).items() if count > 0}
        deadline = time.monotonic() - FORGET_SECONDS
        for heard, remote_keys in self._remote.get(table_id, {}).values():
            if heard >= deadline:
                keys |= remote_keys
        return keys

    def online(self, table_id: str) -> protocol.Presence:
        keys = self._keys(table_id)
        players = sorted(key.removeprefix("player:") for key in keys if key.startswith("player:"))
        return protocol.Presence(online=players, facilitator="facilitator" in keys)

    def _tell(self, table_id: str, frame: protocol.Presence) -> None:
        self._told[table_id] = frame
        table = self._loaded(table_id)
        if table is None:
            return
        table.connected_ever.update(frame.online)  # a seat once opened, here or elsewhere, is no ghost
        shared = Outgoing(frame.model_dump_json())  # encoded once for every socket at the table
        for listener in list(table.listeners):
            listener.send(shared)

    # ---- local connections ----------------------------------------------------------------------

    @staticmethod
    def _key(connection: Connection) -> str:
        viewer = connection.viewer
        return f"player:{viewer.player_id}" if viewer.kind == "player" else viewer.kind

    def connected(self, table: Table, connection: Connection) -> None:
        self._change(table.id, self._key(connection), +1, always_tell=True)

    def disconnected(self, table: Table, connection: Connection) -> None:
        self._change(table.id, self._key(connection), -1, always_tell=False)

    def control_room(self, table_ids: list[str], delta: int) -> None:
        """The facilitator's control room opened (+1) or closed (-1): the facilitator is online at every table
        of the conference, as with a table socket of their own (players read "Facilitatoren ser med")."""
        for table_id in table_ids:
            self._change(table_id, "facilitator", delta, always_tell=False)

    def _change(self, table_id: str, key: str, delta: int, *, always_tell: bool) -> None:
        before = self.online(table_id)
        counts = self._local.setdefault(table_id, Counter())
        counts[key] += delta
        if counts[key] <= 0:
            del counts[key]
        if not counts:
            del self._local[table_id]
        after = self.online(table_id)
        if always_tell or after != before:
            self._tell(table_id, after)  # a newcomer needs the list even when it did not change
        self._publish_soon(table_id)

    # ---- other processes (Redis) ------------------------------------------------------------------

    def _message(self, table_id: str) -> str:
        keys = sorted(self._local.get(table_id, Counter()))
        return json.dumps({"process": self.process, "table": table_id, "keys": keys})

    def _publish_soon(self, table_id: str) -> None:
        if self._redis is None:
            return
        task = asyncio.create_task(self._publish(self._message(table_id)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, message: str) -> None:
        with contextlib.suppress(Exception):  # presence is best effort; the next republish repairs it
            if self._redis is not None:
                await self._redis.publish(CHANNEL, message)

    def _heard(self, message: str) -> None:
        entry = json.loads(message)
        if entry.get("process") == self.process:
            return
        table_id = entry["table"]
        before = self.online(table_id)
        self._remote.setdefault(table_id, {})[entry["process"]] = (time.monotonic(), frozenset(entry["keys"]))
        after = self.online(table_id)
        if after != before:
            self._tell(table_id, after)

    async def run(self) -> None:
        """Share presence with other processes until cancelled; a no-op without Redis."""
        if self._redis_url is None:
            return
        import redis.asyncio as redis

        client = redis.from_url(self._redis_url, decode_responses=True)
        self._redis = client
        try:
            await asyncio.gather(self._listen(client), self._republish())
        finally:
            self._redis = None
            await client.aclose()

    async def _listen(self, client: Redis) -> None:
        from redis.exceptions import RedisError

        while True:
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._heard(message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:  # Redis restarting: a line in the log, not a traceback per second
                log.warning("presence channel lost (%s); reconnecting", error)
                await asyncio.sleep(1)
            except Exception:  # a malformed message, say: its traceback, and presence carries on
                log.exception("presence listener failed; listening again")
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _republish(self) -> None:
        while True:
            for table_id in list(self._local):
                await self._publish(self._message(table_id))
            # Forget processes that went quiet, and tell the tables whose list shrank.
            deadline = time.monotonic() - FORGET_SECONDS
            for table_id, parts in list(self._remote.items()):
                for process in [process for process, (heard, _) in parts.items() if heard < deadline]:
                    del parts[process]
                if self._told.get(table_id) != self.online(table_id):
                    self._tell(table_id, self.online(table_id))
            await asyncio.sleep(REPUBLISH_SECONDS)
