"""The HTTP API of a real server process: health, conferences and join codes, joining, the events log."""

from __future__ import annotations

import re

import pytest

from server.live.conferences import CODE_ALPHABET
from tests.server.conftest import StartServer
from tests.server.helpers import Api, bearer


async def test_healthz_names_the_sqlite_store(api: Api) -> None:
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "sqlite", "store_state": "ok"}


@pytest.mark.redis
async def test_healthz_names_the_redis_store(start_server: StartServer, redis_url: str) -> None:
    server = start_server(redis_url)
    async with Api(server.url) as api:
        response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "redis", "store_state": "ok"}


async def test_create_conference_returns_a_token_and_a_join_code_per_table(api: Api) -> None:
    response = await api.http.post("/api/conferences", json={"name": "Budgetseminar", "tables": 3})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"conference_id", "facilitator_token", "tables"}
    assert body["conference_id"]
    assert body["facilitator_token"]
    assert len(body["tables"]) == 3
    for table in body["tables"]:
        assert set(table) == {"table_id", "join_code"}
        assert table["table_id"]
        assert table["join_code"]
    assert len({t["table_id"] for t in body["tables"]}) == 3


async def test_thirty_tables_get_distinct_unambiguous_six_character_codes(api: Api) -> None:
    conference = await api.create_conference(tables=30)
    codes = [t["join_code"] for t in conference.tables]
    assert len(codes) == 30
    assert len(set(codes)) == 30, codes
    assert not set(CODE_ALPHABET) & set("0O1lI")
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{6}", code), code
        assert not set(code) & set("0O1lI"), code
        assert set(code) <= set(CODE_ALPHABET), code


async def test_join_with_a_code_seats_the_player(api: Api) -> None:
    conference = await api.create_conference()
    player = await api.join(conference.join_code.lower(), "Anna")  # codes are typed by hand: case does not matter
    assert player.table_id == conference.table_id
    log = await api.events(conference.table_id, conference.facilitator_token)
    joined = [e["data"] for e in log if e["type"] == "player_joined"]
    assert joined == [
        {"type": "player_joined", "at": joined[0]["at"], "player_id": player.player_id, "name": "Anna", "bot": False,
         "bot_seed": None, "party": None}
    ]  # fmt: skip


async def test_join_with_an_unknown_code_is_404(api: Api) -> None:
    response = await api.http.post("/api/join", json={"code": "ZZZZZZ", "name": "Anna"})
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "join.unknown_code"


async def test_join_with_a_name_over_40_characters_is_422_and_seats_nobody(api: Api) -> None:
    conference = await api.create_conference()
    before = await api.events(conference.table_id, conference.facilitator_token)
    response = await api.http.post("/api/join", json={"code": conference.join_code, "name": "x" * 41})
    assert response.status_code == 422
    ok = await api.http.post("/api/join", json={"code": conference.join_code, "name": "x" * 40})
    assert ok.status_code == 200, ok.text
    after = await api.events(conference.table_id, conference.facilitator_token)
    assert after[: len(before)] == before
    assert [e["data"]["name"] for e in after[len(before) :]] == ["x" * 40]


async def test_events_api_is_for_this_conferences_facilitator_only(api: Api) -> None:
    conference = await api.create_conference()
    other = await api.create_conference()
    player = await api.join(conference.join_code, "Anna")
    table_id = conference.table_id

    response = await api.events_response(table_id, conference.facilitator_token)
    assert response.status_code == 200
    body = response.json()
    assert body["table_id"] == table_id
    log = body["events"]
    assert [e["seq"] for e in log] == [1, 2]
    assert [e["type"] for e in log] == ["game_created", "player_joined"]
    assert all(set(e) == {"seq", "type", "version", "at", "data"} for e in log)
    assert [e["version"] for e in log] == [1, 1]  # engine/versions.py
    assert log[0]["data"]["seed"] != 0  # the facilitator's log is the whole truth, secrets included

    tail = await api.events(table_id, conference.facilitator_token, after=1)
    assert tail == log[1:]

    as_player = await api.events_response(table_id, player.token)
    assert as_player.status_code == 403
    assert as_player.json()["detail"]["code"] == "auth.forbidden"

    as_other_facilitator = await api.events_response(table_id, other.facilitator_token)
    assert as_other_facilitator.status_code == 403

    no_token = await api.events_response(table_id, None)
    assert no_token.status_code == 401
    assert no_token.json()["detail"]["code"] == "auth.missing_token"

    forged = await api.http.get(f"/api/tables/{table_id}/events", headers=bearer(conference.facilitator_token + "x"))
    assert forged.status_code == 401
    assert forged.json()["detail"]["code"] == "auth.invalid_token"

    unknown_table = await api.events_response("no-such-table", conference.facilitator_token)
    assert unknown_table.status_code == 403


async def test_openapi_docs_answer(api: Api) -> None:
    docs = await api.http.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = await api.http.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/healthz", "/api/conferences", "/api/join", "/api/tables/{table_id}/events"} <= set(paths)
