"""The control room's grid over HTTP and its live channel, /ws/conferences/{id}."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.websockets import WebSocketDisconnect

from server.api.access import allowed, conference_for
from server.auth import InvalidToken
from server.deps import ClaimsDep, MonitorDep, ServicesDep, fail
from server.live import conferences
from server.live.monitor import ConferenceGone, Hub, Overview, TableRow, Watcher
from server.transport import protocol
from server.transport.sockets import close as close_socket
from server.transport.sockets import refuse as refuse_socket

log = logging.getLogger("raaderum.control")

router = APIRouter()


@router.get("/api/conferences/{conference_id}/overview", response_model=Overview, tags=["conferences"])
async def get_overview(conference_id: str, services: ServicesDep, monitor: MonitorDep, who: ClaimsDep) -> Overview:
    """The control room's grid: a row per table (facilitator or projector; no names, no chat)."""
    created = await conference_for(services, who, conference_id, projector=True)
    try:
        return await monitor.overview(created)
    except ConferenceGone:
        raise fail(404, "conference.unknown", "a table of the conference is gone (deleted?)") from None


# ---- the live channel -------------------------------------------------------------------------------------


class ConferenceHello(BaseModel):
    """The first frame on /ws/conferences/{id}: the facilitator's or the projector's token of the conference."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["hello"]
    token: str = Field(max_length=2000)
    lang: Literal["da", "en"] = "da"


class OverviewFrame(BaseModel):
    """After the hello: the whole grid, a row per table in the conference's order."""

    type: Literal["overview"] = "overview"
    conference_id: str
    at: datetime
    tables: list[TableRow]


class TablesFrame(BaseModel):
    """Then, at most every 250 ms: only the rows that changed (the newest version of each)."""

    type: Literal["tables"] = "tables"
    at: datetime
    tables: list[TableRow]


class ConferenceHeartbeat(BaseModel):
    """Nothing changed for 25 seconds: the connection is alive."""

    type: Literal["heartbeat"] = "heartbeat"
    at: datetime


async def _receive(websocket: WebSocket, limit: int) -> str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
    if len(text) > limit:
        await close_socket(websocket, protocol.CLOSE_TOO_BIG, "frame too large")
        raise WebSocketDisconnect(protocol.CLOSE_TOO_BIG)
    return text


@router.websocket("/ws/conferences/{conference_id}")
async def conference_socket(
    websocket: WebSocket, conference_id: str, services: ServicesDep, monitor: MonitorDep
) -> None:
    """The control room's (and the projector's) live grid: hello, the whole overview, then changed rows."""
    settings = services.settings
    await websocket.accept()
    hub: Hub | None = None
    watcher: Watcher | None = None
    watched_tables: list[str] = []  # the control room's tables, where it counts as the facilitator being online
    try:
        try:
            text = await asyncio.wait_for(_receive(websocket, settings.max_frame_bytes), settings.hello_timeout_seconds)
            hello = ConferenceHello.model_validate_json(text)
        except (TimeoutError, ValidationError, ValueError):
            await refuse_socket(websocket, "hello.expected", protocol.CLOSE_PROTOCOL)
            return
        try:
            claims = services.signer.verify(hello.token)
        except InvalidToken:
            await refuse_socket(websocket, "auth.invalid_token", protocol.CLOSE_UNAUTHORIZED, hello.lang)
            return
        if not allowed(claims, conference_id, projector=True):
            await refuse_socket(websocket, "auth.not_conference", protocol.CLOSE_UNAUTHORIZED, hello.lang)
            return
        created = await conferences.load_conference(services.store, conference_id)
        watcher = Watcher(websocket, hello.lang)
        try:
            if created is None:
                raise ConferenceGone(conference_id)
            hub = await monitor.watch(created, watcher)
        except ConferenceGone:
            await refuse_socket(websocket, "conference.unknown", protocol.CLOSE_UNKNOWN_TABLE, hello.lang)
            return
        if claims.role == "facilitator":
            watched_tables = [ref.table_id for ref in created.tables]
            services.presence.control_room(watched_tables, +1)
        while True:
            text = await _receive(websocket, settings.max_frame_bytes)
            try:
                frame = json.loads(text)
            except ValueError:
                frame = None
            if isinstance(frame, dict) and frame.get("type") == "ping" and isinstance(frame.get("id"), str):
                await websocket.send_text(protocol.Pong(id=frame["id"][: protocol.MAX_ID]).model_dump_json())
            else:
                error = protocol.Error(
                    id=None, code="frame.unknown_type", message=protocol.error_message("frame.unknown_type", hello.lang)
                )
                await websocket.send_text(error.model_dump_json())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if watched_tables:
            services.presence.control_room(watched_tables, -1)
        if hub is not None and watcher is not None:
            monitor.unwatch(hub, watcher)
