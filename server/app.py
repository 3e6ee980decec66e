"""The FastAPI application, composed: settings, services, the routers of each room, and the lifespan.

Where each part lives (docs/architecture.md): `deps.py` the services and the dependencies every route takes,
`live/` the tables, presence and the control room's live state, `transport/` the websockets, `api/` the HTTP
API, `web/` the pages and their assets, `operations/` archive and retention, `store/` the event stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Response, WebSocket
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from server import metrics
from server.api import actions, bots, debrief, decks, moves, privacy, replays, seats, tables
from server.api import conferences as conference_api
from server.api import monitor as monitor_api
from server.auth import Claims, TokenSigner, token_lifetime
from server.deps import Services, ServicesDep, StoreState, fail, services_of
from server.live import conferences
from server.live.bots import BotRunner, fill_seats, seat_bots
from server.live.conferences import ConferenceRequest
from server.live.presence import Presence
from server.live.tables import Decks, Table, Tables
from server.operations.retention import keep_retention
from server.responses import SecurityHeaders, http_refused, store_failed, validation_failed
from server.settings import Settings, get_settings
from server.store import EventStore, StoreError, open_store
from server.transport import wsnative
from server.transport.sessions import Connection, serve_table
from server.transport.wsdirect import TableSockets
from server.web import assets, catalogs, pages
from server.web import conference as conference_web
from server.web import replay as replay_web

log = logging.getLogger("raaderum")


async def _secret(settings: Settings, store: EventStore) -> str:
    if settings.secret:
        return settings.secret
    # Every process of a deployment must sign alike: the first one to start writes the secret.
    await store.set_key("server-secret", secrets.token_hex(32), only_if_absent=True)
    secret = await store.get_key("server-secret")
    assert secret is not None
    return secret


async def _create_demo(services: Services) -> None:
    base = services.settings.public_url or "http://127.0.0.1:8000"
    # "Prøv selv" (docs/bots.md): one table where one person plays with three bots. Its join link comes first.
    solo_request = ConferenceRequest(
        name="Prøv selv: Korsbæk Kommune", tables=1, bots_fill_to=4, start_when_joined=True
    )
    solo = await conferences.create_conference(services.store, services.tables, solo_request)
    solo_token = services.signer.sign(Claims(role="facilitator", conference_id=solo.conference_id))
    solo_table = solo.tables[0]
    table = await services.tables.get(solo_table.table_id)
    await seat_bots(services.store, table, 3, solo_request.language)
    if services.bots is not None:
        services.bots.kick()
    request = ConferenceRequest(name="Demo: Korsbæk Kommune", tables=2)
    created = await conferences.create_conference(services.store, services.tables, request)
    token = services.signer.sign(Claims(role="facilitator", conference_id=created.conference_id))
    projector = services.signer.sign(Claims(role="projector", conference_id=created.conference_id))
    conference = created.conference_id
    lines = [
        "",
        f"Prøv selv (du og tre bots): {base}/join/{solo_table.join_code}",
        f"  Runde 1 starter, når du sætter dig; kontrolrummet: {base}/control/{solo.conference_id}#token={solo_token}",
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
    status: str = Field(description="`ok`, or `degraded` when the store is not (503)")
    store: str = Field(description="The store's kind: `sqlite` or `redis`")
    store_state: StoreState = Field(
        default="ok",
        description="`ok`; `unavailable`: the store does not answer; `emptied`: the store lost what this process "
        "had seen (a Redis restarted without its data), so its tables take no more commands",
    )


# Answers any route may give besides its own (docs/protocol.md, "HTTP errors"); documented on every operation
# of /openapi.json so that a client, or a schema-driven fuzzer, knows every status it can meet.
ERROR_ANSWERS = {
    "400": "The body could not be read (not the content type the route takes, or cut off)",
    "401": "No token, or one that is not valid",
    "403": "The token is valid but not for this",
    "404": "No such conference, table, deck or replay",
    "409": "Not possible in the conference's or table's present state",
    "413": "The body is larger than the route accepts",
    "422": "The request was refused: detail lists the fields, or is {code, message}",
    "429": "Too many requests; try again later",
    "503": "The event store is unavailable (store.unavailable); try again",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                },
            ]
        }
    },
}


def _with_error_answers(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorAnswer"] = ERROR_SCHEMA
    components.setdefault("ValidationError", _VALIDATION_ERROR)
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_ANSWERS.items():
                answer = responses.setdefault(status, {"description": description})
                answer["content"] = content  # FastAPI's 422 schema lacks the {code, message} form
    return schema


_VALIDATION_ERROR = {
    "type": "object",
    "required": ["loc", "msg", "type"],
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
}


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

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = _with_error_answers(super().openapi())
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        store = open_store(settings.store_url)
        tables = Tables(store, Decks(settings.decks_dir))
        tables.ghost_seconds = settings.ghost_seconds  # seats never opened leave the lobby (docs/protocol.md)
        redis_url = settings.store_url if settings.store_kind == "redis" else None
        presence = Presence(redis_url, tables.loaded)
        signer = TokenSigner(
            await _secret(settings, store),
            settings.previous_secret_list,
            previous_until=settings.previous_secrets_until.timestamp() if settings.previous_secrets_until else None,
            lifetime=token_lifetime(settings.retention_days),
        )
        services = Services(settings, store, signer, tables, presence)
        runner = services.bots = BotRunner(store, tables, settings.bot_pace_seconds, settings.bot_lease_seconds)

        async def fill(table: Table) -> None:
            await fill_seats(store, table, runner)

        tables.before_first_round = fill
        await services.mark_store()
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
        retention = asyncio.create_task(keep_retention(app))  # RAADERUM_RETENTION_DAYS, if set
        driving = asyncio.create_task(runner.run())  # the practice bots of the tables this process holds
        ghosts = asyncio.create_task(tables.sweep_ghosts())  # RAADERUM_GHOST_SECONDS
        # Under uvicorn, table websockets are served by the server's own protocol (server/transport/wsnative.py),
        # which finds what it needs in the lifespan state; with RAADERUM_DIRECT_WRITES=0 they take the ASGI path.
        state: dict[str, Any] = {}
        if settings.direct_writes:
            state[wsnative.STATE_KEY] = wsnative.opener(
                lambda socket, table_id: Connection(socket, table_id, services),
                settings.max_frame_bytes,
                settings.heartbeat_seconds,
            )
        try:
            yield state
        finally:
            await runner.close()
            for task in (follower, scheduler, sharing, retention, driving, ghosts):
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
        await serve_table(websocket, table_id, services_of(websocket.app))

    app.table_sockets = (table_socket, settings.direct_writes)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, http_refused)
    app.add_exception_handler(StoreError, store_failed)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        """This process's metrics in the Prometheus text format (see server/metrics.py)."""
        if not metrics.token_ok(settings.metrics_token, authorization):
            raise fail(401, "auth.metrics_token", "Authorization: Bearer <RAADERUM_METRICS_TOKEN>")
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz(services: ServicesDep) -> Response:
        state = await services.store_state()
        health = Health(status="ok" if state == "ok" else "degraded", store=settings.store_kind, store_state=state)
        return Response(health.model_dump_json(), 200 if state == "ok" else 503, media_type="application/json")

    app.include_router(conference_api.router)  # create, read, delete a conference; the projector's token
    app.include_router(tables.router)  # join by code, events, the live meter, the debrief, the join link's QR code
    app.include_router(decks.router)  # the deck as JSON
    app.include_router(pages.router)  # the players' pages
    app.include_router(assets.router)  # the web client's static files
    app.include_router(catalogs.router)  # the interface strings for the pages' JS
    app.include_router(replays.router)  # export, import and the replay data (docs/replay.md)
    app.include_router(replay_web.router)  # the replay pages
    app.include_router(monitor_api.router)  # the control room's grid and its live channel
    app.include_router(actions.router)  # the facilitator's actions on tables
    app.include_router(moves.router)  # a moved player's new seat
    app.include_router(bots.router)  # practice bots: seat one, remove one (docs/bots.md)
    app.include_router(seats.router)  # seat codes and moving a seat to a new device
    app.include_router(debrief.router)  # the cross-table debrief and its downloads
    app.include_router(privacy.router)  # erasing names and chat: a conference anonymised, a player's own name
    app.include_router(conference_web.router)  # the conference's pages: setup, control room, projector, sheets
    return app
