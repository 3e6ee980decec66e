"""The FastAPI application: HTTP API, the table websocket, and the services they share."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response, WebSocket
from pydantic import BaseModel
from starlette.types import ASGIApp

from engine import SYSTEM, RuleViolation
from engine.model import Join
from engine.versions import parse_stored_type
from server import conferences, control, metrics
from server.auth import Claims, InvalidToken, TokenSigner
from server.conference_web import router as conference_web_router
from server.conferences import ConferenceRequest, JoinRequest, TableRef
from server.presence import Presence
from server.replay import router as replay_router
from server.settings import Settings, get_settings
from server.store import EventStore, StoredEvent, open_store
from server.tables import Decks, Tables, now, table_stream
from server.web import router as web_router
from server.ws import serve_table
from server.wsdirect import TableSockets

log = logging.getLogger("raaderum")


@dataclass
class Services:
    settings: Settings
    store: EventStore
    signer: TokenSigner
    tables: Tables
    presence: Presence

    async def conference_of(self, table_id: str) -> str | None:
        return await conferences.conference_of(self.store, table_id)


async def _secret(settings: Settings, store: EventStore) -> str:
    if settings.secret:
        return settings.secret
    # Every process of a deployment must sign alike: the first one to start writes the secret.
    await store.set_key("server-secret", secrets.token_hex(32), only_if_absent=True)
    secret = await store.get_key("server-secret")
    assert secret is not None
    return secret


async def _create_demo(services: Services) -> None:
    request = ConferenceRequest(name="Demo: Korsbæk Kommune", tables=2)
    created = await conferences.create_conference(services.store, services.tables, request)
    token = services.signer.sign(Claims(role="facilitator", conference_id=created.conference_id))
    base = services.settings.public_url or "http://127.0.0.1:8000"
    projector = services.signer.sign(Claims(role="projector", conference_id=created.conference_id))
    conference = created.conference_id
    lines = [
        "",
        f"Demokonference oprettet: {request.name}",
        f"  Kontrolrum (hemmeligt link, del det ikke): {base}/control/{conference}#token={token}",
        f"  Projektorskærm: {base}/projector/{conference}#token={projector}",
        *(f"  Bord {n}: kode {t.join_code}  →  {base}/join/{t.join_code}" for n, t in enumerate(created.tables, 1)),
        f"  Spillere: {base}/  ·  API og dokumentation: {base}/docs",
        "",
    ]
    print("\n".join(lines), flush=True)


class Health(BaseModel):
    status: str
    store: str


class ConferenceResponse(BaseModel):
    conference_id: str
    facilitator_token: str
    tables: list[TableRef]


class JoinResponse(BaseModel):
    table_id: str
    player_id: str
    token: str


class ProjectorTokenResponse(BaseModel):
    token: str


class StoredEventOut(BaseModel):
    seq: int
    type: str
    version: int  # of the event's type, see engine/versions.py; `data` is the event at this version
    at: float
    data: dict[str, Any]


def _stored_event_out(record: StoredEvent) -> StoredEventOut:
    event_type, version = parse_stored_type(record.type)
    return StoredEventOut(seq=record.seq, type=event_type, version=version, at=record.at, data=json.loads(record.data))


class EventsResponse(BaseModel):
    table_id: str
    events: list[StoredEventOut]


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(services)]


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, detail={"code": "auth.missing_token", "message": "Authorization: Bearer <token>"})
    return authorization.removeprefix("Bearer ").strip()


def claims(services: ServicesDep, token: Annotated[str, Depends(bearer)]) -> Claims:
    try:
        return services.signer.verify(token)
    except InvalidToken:
        raise HTTPException(401, detail={"code": "auth.invalid_token", "message": "invalid token"}) from None


ClaimsDep = Annotated[Claims, Depends(claims)]


class _App(FastAPI):
    """FastAPI with the table websocket, /ws/tables/{table_id}, served in front of its whole middleware stack.

    Each layer a connection passes is a suspended coroutine it keeps while idle, and every frame it reads
    resumes them all: served ahead of FastAPI's own middleware and routing, an open connection holds about
    7 KB and a dozen collectable objects less. Frames are written straight to uvicorn's transport.
    """

    table_sockets: tuple[Callable[[WebSocket, str], Awaitable[None]], bool] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.table_sockets is None:
            return stack
        serve, direct = self.table_sockets
        return TableSockets(stack, serve=serve, direct=direct)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store_url)
        tables = Tables(store, Decks(settings.decks_dir))
        redis_url = settings.store_url if settings.store_kind == "redis" else None
        presence = Presence(redis_url, tables.loaded)
        services = Services(settings, store, TokenSigner(await _secret(settings, store)), tables, presence)
        app.state.services = services
        metrics.track_tables(tables.count)
        metrics.track_gc()
        if settings.demo:
            await _create_demo(services)
        # What lives as long as the process (modules, classes, the app, decks) leaves the cyclic collector's
        # sight: its full collections, which stop the loop, then scan only what the games allocate.
        gc.freeze()
        # Young collections 14× rarer: with 2,000 connections each collection of the middle generation stops
        # the loop for 10-25 ms, and p99 at 1,500 actions/s fell from 117-289 ms to 19-62 ms (performance.md).
        gc.set_threshold(10_000, 20, 10)
        follower = asyncio.create_task(tables.follow_store())
        scheduler = asyncio.create_task(tables.follow_schedule())
        sharing = asyncio.create_task(presence.run())
        retention = asyncio.create_task(control.keep_retention(app))  # RAADERUM_RETENTION_DAYS, if set
        try:
            yield
        finally:
            for task in (follower, scheduler, sharing, retention):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            tables.close()
            await store.close()

    app = _App(
        title="Råderum",
        summary="Real-time server for the municipal budget game Råderumsspillet",
        lifespan=lifespan,
    )

    async def table_socket(websocket: WebSocket, table_id: str) -> None:
        await serve_table(websocket, table_id, websocket.app.state.services)

    app.table_sockets = (table_socket, settings.direct_writes)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        """This process's metrics in the Prometheus text format (see server/metrics.py)."""
        if not metrics.token_ok(settings.metrics_token, authorization):
            raise HTTPException(
                401, detail={"code": "auth.metrics_token", "message": "Authorization: Bearer <RAADERUM_METRICS_TOKEN>"}
            )
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok", store=settings.store_kind)

    @app.post("/api/conferences", status_code=201, response_model=ConferenceResponse)
    async def create_conference(
        body: ConferenceRequest,
        services: ServicesDep,
        x_admin_password: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> ConferenceResponse:
        """Needs RAADERUM_ADMIN_PASSWORD, when it is set, in `X-Admin-Password` (or HTTP basic auth)."""
        if not control.admin_password_ok(services.settings, x_admin_password, authorization):
            raise HTTPException(
                401, detail={"code": "auth.admin_password", "message": "X-Admin-Password: the operator's password"}
            )
        try:
            created = await conferences.create_conference(services.store, services.tables, body)
        except KeyError:
            raise HTTPException(
                422, detail={"code": "conference.unknown_deck", "message": f"no deck {body.deck!r}"}
            ) from None
        token = services.signer.sign(Claims(role="facilitator", conference_id=created.conference_id))
        return ConferenceResponse(conference_id=created.conference_id, facilitator_token=token, tables=created.tables)

    @app.post("/api/join", response_model=JoinResponse)
    async def join(body: JoinRequest, services: ServicesDep) -> JoinResponse:
        table_id = await conferences.table_for_code(services.store, body.code)
        conference_id = await services.conference_of(table_id) if table_id else None
        if table_id is None or conference_id is None:
            raise HTTPException(404, detail={"code": "join.unknown_code", "message": "Ukendt kode / unknown code"})
        table = await services.tables.get(table_id)
        player_id = conferences.new_id()
        try:
            await table.execute(Join(at=now(), player_id=player_id, name=body.name), SYSTEM, f"join:{player_id}")
        except RuleViolation as violation:
            raise HTTPException(409, detail={"code": violation.code, "message": violation.message()}) from None
        token = services.signer.sign(
            Claims(role="player", conference_id=conference_id, table_id=table_id, player_id=player_id)
        )
        return JoinResponse(table_id=table_id, player_id=player_id, token=token)

    @app.post("/api/conferences/{conference_id}/projector-token", response_model=ProjectorTokenResponse)
    async def projector_token(conference_id: str, services: ServicesDep, who: ClaimsDep) -> ProjectorTokenResponse:
        """A read-only token for the hall's screen: any table of the conference, names and chat hidden."""
        if who.role != "facilitator" or who.conference_id != conference_id:
            raise HTTPException(
                403, detail={"code": "auth.forbidden", "message": "facilitator of this conference only"}
            )
        token = services.signer.sign(Claims(role="projector", conference_id=conference_id))
        return ProjectorTokenResponse(token=token)

    @app.get("/api/tables/{table_id}/events", response_model=EventsResponse)
    async def table_events(
        table_id: str, services: ServicesDep, who: ClaimsDep, after: Annotated[int, Query(ge=0)] = 0
    ) -> EventsResponse:
        if who.role != "facilitator" or await services.conference_of(table_id) != who.conference_id:
            raise HTTPException(403, detail={"code": "auth.forbidden", "message": "facilitator of this table only"})
        records = await services.store.read(table_stream(table_id), after=after)
        return EventsResponse(
            table_id=table_id,
            events=[_stored_event_out(r) for r in records],
        )

    app.include_router(web_router)  # the players' web client: pages, static files, deck, meter, debrief
    app.include_router(replay_router)  # export, import and the replay viewer (docs/replay.md)
    app.include_router(control.router)  # the facilitator's conference API and live overview (docs/conferences.md)
    app.include_router(conference_web_router)  # conference setup, control room, projector, sheets, debrief
    return app
