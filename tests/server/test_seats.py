"""Seats that follow people (issue 16 item 2), over real server processes: one name per table, a seat moved to
a new device only with its seat code (the old device is told and stops acting, also when it is connected to
another process), and seats whose player never opened the table leaving the lobby before roles are dealt."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT, Api, Client, ServerProcess, bearer, connect_as


async def seat_code(api: Api, table_id: str, token: str) -> str:
    response = await api.http.get(f"/api/tables/{table_id}/seat", headers=bearer(token))
    assert response.status_code == 200, response.text
    code: str = response.json()["seat_code"]
    return code


async def claim(api: Api, join_code: str, name: str, code: str) -> httpx.Response:
    return await api.http.post("/api/join/claim", json={"code": join_code, "name": name, "seat_code": code})


async def test_a_name_is_one_seat_per_table(api: Api) -> None:
    conference = await api.create_conference(tables=2)
    await api.join(conference.join_code, "Dina")
    for same in ("Dina", " dina ", "DI NA"):
        refused = await api.http.post("/api/join", json={"code": conference.join_code, "name": same})
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert detail["code"] == "seat.name_taken"
        assert detail["details"] == {"name": "Dina"}  # the page asks "Er du Dina?"
    # The same name at another table is another person's seat.
    await api.join(conference.tables[1]["join_code"], "Dina")


async def hand_over(old_server: ServerProcess, new_api: Api, old_api: Api) -> None:
    """Dina's seat moves from a device on `old_server` to a new one through `new_api`'s process."""
    conference = await old_api.create_conference()
    table_id, join_code = conference.table_id, conference.join_code
    dina = await old_api.join(join_code, "Dina")
    for name in ("Emil", "Frida"):
        await old_api.join(join_code, name)
    old = await connect_as(old_server, table_id, dina.token, label="dina-old")
    code = await seat_code(old_api, table_id, dina.token)
    assert len(code) == 5

    # The facilitator sees the same code and a link that carries it.
    seats = await old_api.http.get(f"/api/tables/{table_id}/seats", headers=bearer(conference.facilitator_token))
    assert seats.status_code == 200, seats.text
    (mine,) = [s for s in seats.json()["seats"] if s["player_id"] == dina.player_id]
    assert mine["seat_code"] == code
    assert mine["handover_url"].endswith(f"/join/{join_code}#name=Dina&seat={code}")
    stranger = await old_api.http.get(f"/api/tables/{table_id}/seats", headers=bearer(dina.token))
    assert stranger.status_code == 403

    # No proof, no seat: a wrong code, or a name nobody holds, moves nothing.
    wrong = await claim(new_api, join_code, "dina", "AAAAA" if code != "AAAAA" else "BBBBB")
    assert (wrong.status_code, wrong.json()["detail"]["code"]) == (403, "seat.wrong_code")
    nobody = await claim(new_api, join_code, "Gustav", code)
    assert (nobody.status_code, nobody.json()["detail"]["code"]) == (404, "seat.unknown")
    await old.ok("chat", text="Stadig min telefon")

    # With the code (typed in lower case, with a space) the seat moves: same player, role and votes.
    moved = await claim(new_api, join_code, " dina ", f"{code[:2].lower()} {code[2:]}")
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["player_id"], body["table_id"], body["name"]) == (dina.player_id, table_id, "Dina")

    # The old device is told and closed; its token no longer opens the table nor gives the seat code.
    told = await old.wait_for(lambda f: f["type"] == "error" and f.get("code") == "seat.moved", timeout=15)
    assert "anden enhed" in told["message"] or "another device" in told["message"]
    await asyncio.wait_for(old.closed.wait(), 15)
    assert old.close_code == 4001
    again = await Client.connect(old_server.ws_url, table_id, "dina-old-again")
    await again.send({"type": "hello", "token": dina.token, "after": 0, "lang": "da"})
    refused = await again.wait_for(lambda f: f["type"] == "error", timeout=10)
    assert refused["code"] == "seat.moved"
    assert (await old_api.http.get(f"/api/tables/{table_id}/seat", headers=bearer(dina.token))).status_code == 403

    # The new device acts as Dina; the log says the seat moved, players see no device id.
    new_server_url = str(new_api.http.base_url).replace("http", "ws", 1).rstrip("/")
    new = await Client.connect(new_server_url, table_id, "dina-new")
    await new.hello(body["token"])
    reply = await new.ok("chat", text="Nu på den nye")
    assert reply["type"] == "ack"
    events = await old_api.events(table_id, conference.facilitator_token)
    handed = [e for e in events if e["type"] == "seat_handed_over"]
    assert len(handed) == 1
    assert handed[0]["data"]["player_id"] == dina.player_id
    chats = [e["data"] for e in events if e["type"] == "message_posted"]
    assert [(c["player_id"], c["text"]) for c in chats] == [
        (dina.player_id, "Stadig min telefon"),
        (dina.player_id, "Nu på den nye"),
    ]
    # Another player replaying the log from before the handover sees it without the new device's id.
    emil = (await old_api.events(table_id, conference.facilitator_token))[1]
    assert emil["type"] == "player_joined"
    other = await old_api.http.post("/api/join", json={"code": join_code, "name": "Emil"})
    assert other.status_code == 409  # Emil is seated already: replay with a fresh player instead
    gustav = await old_api.join(join_code, "Gustav")
    watcher = await Client.connect(old_server.ws_url, table_id, "gustav")
    await watcher.hello(gustav.token, after=handed[0]["seq"] - 1)
    (frame,) = [f for f in watcher.frames if f["type"] == "event" and f["event"]["type"] == "seat_handed_over"]
    assert frame["event"]["device"] == ""
    assert body["token"] != dina.token


async def test_a_seat_moves_to_a_new_device_only_with_its_code(api: Api, server: ServerProcess) -> None:
    await hand_over(server, api, api)


@pytest.mark.redis
async def test_the_old_device_on_another_process_is_told_too(start_server: StartServer, redis_url: str) -> None:
    one = start_server(redis_url, env=NO_RATE_LIMIT)
    two = start_server(redis_url, env=NO_RATE_LIMIT)
    async with Api(one.url) as api_one, Api(two.url) as api_two:
        await hand_over(one, api_two, api_one)


async def test_seats_never_opened_leave_the_lobby_and_are_dealt_no_role(
    start_server: StartServer, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, env={**NO_RATE_LIMIT, "RAADERUM_GHOST_SECONDS": "2"})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        table_id, join_code = conference.table_id, conference.join_code
        present = [await api.join(join_code, name) for name in ("Anna", "Bo", "Cecilie")]
        ghost = await api.join(join_code, "Spøgelse")  # joined by HTTP, never opened the table
        clients = [await connect_as(server, table_id, p.token, label=p.name) for p in present]
        await clients[2].close()  # Cecilie opened it once and left: hers is no ghost
        facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
        removed = await facilitator.wait_for(
            lambda f: f["type"] == "event" and f["event"]["type"] == "player_removed", timeout=30
        )
        assert removed["event"]["player_id"] == ghost.player_id
        await facilitator.ok("start_round")
        events = await api.events(table_id, conference.facilitator_token)
        (dealt,) = [e["data"] for e in events if e["type"] == "roles_dealt"]
        assert set(dealt["assignments"]) == {p.player_id for p in present}
        assert [e["data"]["player_id"] for e in events if e["type"] == "player_removed"] == [ghost.player_id]
        # The freed name can be taken again, by a real person.
        await api.join(join_code, "Spøgelse")
