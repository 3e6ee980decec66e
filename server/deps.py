"""What every route shares: the process's `Services`, the `Annotated` dependencies that hand them (and the
caller's token claims) to a route, and the one way a route fails with a coded error.

Routers import from here and from the rooms below them (live/, store/, operations/), never from `server.app`,
which only composes the app: that keeps the import graph of `server/` free of cycles (tests/test_layout.py).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException
from starlette.requests import HTTPConnection

from server.auth import Claims, InvalidToken, TokenSigner
from server.live import conferences
from server.live.bots import BotRunner
from server.live.monitor import Monitor
from server.live.presence import Presence
from server.live.tables import Tables
from server.operations.archive import Replays
from server.settings import Settings
from server.store import EventStore, StoreError

Lang = Literal["da", "en"]  # the interface languages a request may ask for
StoreState = Literal["ok", "unavailable", "emptied"]
STORE_MARK = "store-mark"
HEALTH_TIMEOUT = 3.0  # seconds


@dataclass
class Services:
    settings: Settings
    store: EventStore
    signer: TokenSigner
    tables: Tables
    presence: Presence

    # The random id this process found in the store at startup (STORE_MARK): gone means the store was emptied.
    store_mark: str | None = None
    # Open table websockets per (token digest, table id) in this process, for RAADERUM_MAX_CONNECTIONS_PER_TOKEN.
    sockets: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The practice bots this process drives (server/live/bots.py); set when the app starts.
    bots: BotRunner | None = None

    async def conference_of(self, table_id: str) -> str | None:
        return await conferences.conference_of(self.store, table_id)

    async def mark_store(self) -> None:
        """Find or leave a mark in the store, so that a store emptied under us (a Redis restarted without its
        data) is told apart from one that is merely unreachable."""
        await self.store.set_key(STORE_MARK, secrets.token_hex(16), only_if_absent=True)
        self.store_mark = await self.store.get_key(STORE_MARK)

    async def store_state(self) -> StoreState:
        """`ok`, `unavailable` (no answer within HEALTH_TIMEOUT) or `emptied` (our mark is gone)."""
        try:
            mark = await asyncio.wait_for(self.store.get_key(STORE_MARK), HEALTH_TIMEOUT)
        except (StoreError, TimeoutError):
            return "unavailable"
        return "ok" if mark == self.store_mark else "emptied"


def fail(status: int, code: str, message: str, **extra: Any) -> HTTPException:
    """The HTTP error every route raises: `{"detail": {"code", "message", …extra}}` (docs/protocol.md)."""
    return HTTPException(status, detail={"code": code, "message": message, **extra})


def services_of(app: Any) -> Services:
    return app.state.services  # type: ignore[no-any-return]


def get_services(connection: HTTPConnection) -> Services:
    return services_of(connection.app)


ServicesDep = Annotated[Services, Depends(get_services)]


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise fail(401, "auth.missing_token", "Authorization: Bearer <token>")
    return authorization.removeprefix("Bearer ").strip()


def get_claims(services: ServicesDep, token: Annotated[str, Depends(bearer)]) -> Claims:
    try:
        return services.signer.verify(token)
    except InvalidToken:
        raise fail(401, "auth.invalid_token", "invalid token") from None


ClaimsDep = Annotated[Claims, Depends(get_claims)]


def replays_of(app: Any) -> Replays:
    """The process's imported replays, made on first use (next to the app's services)."""
    services = services_of(app)
    replays: Replays | None = getattr(app.state, "replays", None)
    if replays is None or replays.store is not services.store:
        replays = Replays(services.store, retention_days=services.settings.retention_days)
        app.state.replays = replays
    return replays


def get_replays(connection: HTTPConnection) -> Replays:
    return replays_of(connection.app)


ReplaysDep = Annotated[Replays, Depends(get_replays)]


def monitor_of(app: Any) -> Monitor:
    """The process's control-room monitor, made on first use (next to the app's services, like the replays)."""
    services = services_of(app)
    monitor: Monitor | None = getattr(app.state, "conference_monitor", None)
    if monitor is None or monitor.tables is not services.tables:
        monitor = Monitor(services.store, services.tables, services.presence)
        app.state.conference_monitor = monitor
    return monitor


def get_monitor(connection: HTTPConnection) -> Monitor:
    return monitor_of(connection.app)


MonitorDep = Annotated[Monitor, Depends(get_monitor)]
