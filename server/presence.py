"""Who is connected to a table right now. Kept out of the event log: it changes by the second."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from server import protocol

if TYPE_CHECKING:
    from server.tables import Table
    from server.ws import Connection


class Presence:
    """Counts connections per table and viewer in this process and tells the table when the set changes."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}

    def online(self, table_id: str) -> protocol.Presence:
        counts = self._counts.get(table_id, Counter())
        players = sorted(
            key.removeprefix("player:") for key, n in counts.items() if n > 0 and key.startswith("player:")
        )
        return protocol.Presence(online=players, facilitator=counts.get("facilitator", 0) > 0)

    def _key(self, connection: Connection) -> str:
        viewer = connection.viewer
        return f"player:{viewer.player_id}" if viewer.kind == "player" else viewer.kind

    def connected(self, table: Table, connection: Connection) -> None:
        self._change(table, connection, +1)

    def disconnected(self, table: Table, connection: Connection) -> None:
        self._change(table, connection, -1)

    def _change(self, table: Table, connection: Connection, delta: int) -> None:
        counts = self._counts.setdefault(table.id, Counter())
        key = self._key(connection)
        before = self.online(table.id)
        counts[key] += delta
        if counts[key] <= 0:
            del counts[key]
        after = self.online(table.id)
        if after != before or delta > 0:
            frame = after.model_dump_json()
            for listener in list(table.listeners):
                listener.send(frame)
