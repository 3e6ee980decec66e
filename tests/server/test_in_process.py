"""The app in this process (httpx's ASGITransport and the app's own lifespan, on a real SQLite file): the
dependencies every route takes from server/deps.py, and the control room's rows as the engine makes them
(engine/monitor.py). What needs a real socket or a second process stays in the subprocess tests."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from engine.monitor import flags, table_overview
from server.app import create_app
from server.deps import monitor_of, replays_of, services_of
from server.live.tables import now
from server.settings import Settings


class InProcess(httpx.AsyncClient):
    app: FastAPI

    async def conference(self, tables: int = 2) -> dict[str, Any]:
        response = await self.post("/api/conferences", json={"name": "Konference", "tables": tables})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def join(self, code: str, name: str) -> dict[str, Any]:
        response = await self.post("/api/join", json={"code": code, "name": name})
        assert response.status_code == 200, response.text
        joined: dict[str, Any] = response.json()
        return joined


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[InProcess]:
    threshold = gc.get_threshold()
    app = create_app(Settings(store=f"sqlite:///{tmp_path / 'events.db'}", secret="in-process-test-secret"))
    try:
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), InProcess(transport=transport, base_url="http://t") as client:
            client.app = app
            yield client
    finally:
        # The lifespan tunes the collector for a server process; this one is the test runner's.
        gc.unfreeze()
        gc.set_threshold(*threshold)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_route_refuses_a_missing_or_bad_token_with_the_same_coded_error(client: InProcess) -> None:
    created = await client.conference()
    conference, table = created["conference_id"], created["tables"][0]["table_id"]
    routes = [
        ("GET", f"/api/conferences/{conference}"),
        ("GET", f"/api/conferences/{conference}/overview"),
        ("GET", f"/api/conferences/{conference}/debrief"),
        ("GET", f"/api/conferences/{conference}/debrief.csv"),
        ("GET", f"/api/conferences/{conference}/export"),
        ("DELETE", f"/api/conferences/{conference}"),
        ("POST", f"/api/conferences/{conference}/projector-token"),
        ("GET", f"/api/tables/{table}/events"),
        ("GET", f"/api/tables/{table}/debrief"),
        ("GET", f"/api/tables/{table}/export"),
        ("POST", f"/api/tables/{table}/follow-move"),
    ]
    for method, path in routes:
        missing = await client.request(method, path)
        assert missing.status_code == 401, (method, path, missing.text)
        assert missing.json()["detail"] == {"code": "auth.missing_token", "message": "Authorization: Bearer <token>"}
        bad = await client.request(method, path, headers=bearer("not-a-token"))
        assert bad.status_code == 401, (method, path, bad.text)
        assert bad.json()["detail"] == {"code": "auth.invalid_token", "message": "invalid token"}


async def test_a_player_or_another_conference_is_refused_and_the_projector_only_reads(client: InProcess) -> None:
    created, other = await client.conference(), await client.conference()
    conference = created["conference_id"]
    overview = f"/api/conferences/{conference}/overview"
    player = await client.join(created["tables"][0]["join_code"], "Ida")
    for token in (player["token"], other["facilitator_token"]):
        refused = await client.get(overview, headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "auth.forbidden"
    made = await client.post(
        f"/api/conferences/{conference}/projector-token", headers=bearer(created["facilitator_token"])
    )
    projector = bearer(made.json()["token"])
    assert (await client.get(overview, headers=projector)).status_code == 200
    action = await client.post(f"/api/conferences/{conference}/actions", json={"action": "pause"}, headers=projector)
    assert action.status_code == 403
    assert action.json()["detail"]["code"] == "auth.forbidden"


async def test_the_overviews_rows_are_the_engines_rows_and_flags(client: InProcess) -> None:
    created = await client.conference()
    conference, first = created["conference_id"], created["tables"][0]
    facilitator = bearer(created["facilitator_token"])
    for name in ("Ida", "Bo", "Ali"):
        await client.join(first["join_code"], name)
    actions = f"/api/conferences/{conference}/actions"
    started = await client.post(actions, json={"action": "start_all"}, headers=facilitator)
    assert started.status_code == 200, started.text
    overview = (await client.get(f"/api/conferences/{conference}/overview", headers=facilitator)).json()
    row = overview["tables"][0]
    assert (row["phase"], row["seated"], row["online"], row["forlig"], row["reached"]) == ("round", 3, 0, None, None)
    assert row["flags"] == ["offline"]  # nobody is connected; over HTTP there is no grace period
    assert overview["stalled_seconds"] == 300.0
    assert overview["near_deadline_seconds"] == 180.0

    table = await services_of(client.app).tables.get(first["table_id"])
    engine_row = table_overview(table.state, None).model_dump(mode="json", exclude={"table_name"})
    assert {key: row[key] for key in engine_row} == engine_row
    moment = now()
    assert flags(table_overview(table.state, None), now=moment, last_activity=moment, online=0, offline_since=None) == [
        "offline"
    ]


async def test_the_monitor_and_the_replays_are_made_once_per_app(client: InProcess) -> None:
    assert monitor_of(client.app) is monitor_of(client.app)
    assert replays_of(client.app) is replays_of(client.app)
    assert monitor_of(client.app).tables is services_of(client.app).tables
