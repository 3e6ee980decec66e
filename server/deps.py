"""What every route shares: the process's `Services`, the `Annotated` dependencies that hand them (and the
caller's token claims) to a route, and the one way a route fails with a coded error.

Routers import from here and from the rooms below them (live/, store/, operations/), never from `server.app`,
which only composes the app: that keeps the import graph of `server/` free of cycles (tests/test_layout.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException
from starlette.requests import HTTPConnection

from server.auth import Claims, InvalidToken, TokenSigner
from server.live import conferences
from server.live.monitor import Monitor
from server.live.presence import Presence
from server.live.tables import Tables
from server.operations.archive import Replays
from server.settings import Settings
from server.store import EventStore

Lang = Literal["da", "en"]  # the interface languages a request may ask for


@dataclass
class Services:
    settings: Settings
    store: EventStore
    signer: TokenSigner
    tables: Tables
    presence: Presence

    async def conference_of(self, table_id: str) -> str | None:
        return await conferences.conference_of(self.store, table_id)


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
