"""Deleting a conference, and the retention period (RAADERUM_RETENTION_DAYS): conferences older than the
period, replays imported longer ago than that, and uploaded decks older than that which no conference uses,
are deleted at startup and then daily."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from server.deps import monitor_of, replays_of, services_of
from server.live import conferences, stored_decks
from server.live.tables import Table, now
from server.transport import protocol
from server.transport.sessions import Connection

log = logging.getLogger("raaderum.control")


DAY = 24 * 3600.0


def _closer(table: Table) -> None:
    """Close the sockets of a deleted table in this process: the table is unknown now (4004)."""
    for listener in list(table.listeners):
        if isinstance(listener, Connection):
            listener.refuse("table.unknown", protocol.CLOSE_UNKNOWN_TABLE)


async def delete(app: Any, conference_id: str) -> bool:
    services = services_of(app)
    deleted = await conferences.delete_conference(services.store, services.tables, conference_id, _closer)
    if deleted is not None:
        await monitor_of(app).deleted(conference_id)
    return deleted is not None


async def purge_expired(app: Any, days: float, moment: datetime) -> list[str]:
    """Delete every conference created more than `days` before `moment`; returns their ids."""
    services = services_of(app)
    expired = await conferences.expired_conferences(services.store, moment - timedelta(days=days))
    for conference_id in expired:
        await delete(app, conference_id)
    if expired:
        log.warning("retention: deleted %d conference(s) older than %g days", len(expired), days)
    return expired


async def purge_expired_replays(app: Any, days: float, moment: datetime) -> list[str]:
    """Delete every replay last imported more than `days` before `moment` (docs/replay.md); returns their ids."""
    deleted = await replays_of(app).purge(moment - timedelta(days=days))
    if deleted:
        log.warning("retention: deleted %d replay(s) imported more than %g days ago", len(deleted), days)
    return deleted


async def purge_unused_decks(app: Any, days: float, moment: datetime) -> list[str]:
    """Delete every uploaded deck (POST /api/decks) uploaded more than `days` before `moment` that no
    conference is created on; returns their ids. A deck a conference uses stays as long as the conference."""
    services = services_of(app)
    cut_off = moment - timedelta(days=days)
    old = [deck_id for deck_id, at in (await stored_decks.uploaded(services.store)).items() if at < cut_off]
    if not old:
        return []
    used = set()
    for conference_id in await conferences.conference_ids(services.store):
        created = await conferences.load_conference(services.store, conference_id)
        if created is not None:
            used.add(created.request.deck)
    unused = [deck_id for deck_id in old if deck_id not in used]
    for deck_id in unused:
        await stored_decks.delete(services.store, deck_id)
        services.tables.decks.forget(deck_id)
    if unused:
        log.warning("retention: deleted %d uploaded deck(s) no conference uses", len(unused))
    return unused


async def keep_retention(app: Any, clock: Callable[[], datetime] = now) -> None:
    """At startup and then daily (more often for a period under ten days' tenth): delete old conferences and
    old imported replays."""
    days = services_of(app).settings.retention_days
    if days is None:
        return
    interval = min(DAY, max(1.0, days * DAY / 10))
    while True:
        try:
            await purge_expired(app, days, clock())
        except Exception:
            log.exception("retention: deleting old conferences failed; trying again later")
        try:
            await purge_expired_replays(app, days, clock())
        except Exception:
            log.exception("retention: deleting old replays failed; trying again later")
        try:
            await purge_unused_decks(app, days, clock())
        except Exception:
            log.exception("retention: deleting unused uploaded decks failed; trying again later")
        await asyncio.sleep(interval)
