"""Who may run a conference: only its facilitator. A player's token is refused on every facilitator endpoint
and the live channel, another conference's facilitator sees nothing, the projector only reads, and the
operator password (when set) guards creating conferences."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from server.auth import Claims, TokenSigner
from tests.conference.conftest import Facilitator, StartServer, Watch, new_conference
from tests.server.helpers import TEST_SECRET, Api, Player, ServerProcess, bearer, connect_as

Two = tuple[Facilitator, Facilitator, Player]

# (method, path under /api/conferences/{id}, body): every facilitator endpoint of a conference.
WRITES = [
    ("POST", "/actions", {"action": "announce", "text": "Hej"}),
    ("POST", "/projector-token", None),
    ("DELETE", "", None),
]
DOWNLOADS = [("GET", "/debrief.json", None), ("GET", "/debrief.csv", None), ("GET", "/debrief-cards.csv", None)]
READS = [("GET", "", None), ("GET", "/overview", None), ("GET", "/debrief", None)]
ENDPOINTS = WRITES + DOWNLOADS + READS


async def _call(http: httpx.AsyncClient, method: str, url: str, body: object, token: str | None) -> httpx.Response:
    headers = bearer(token) if token is not None else {}
    return await http.request(method, url, json=body, headers=headers)


@pytest.fixture
async def two(api: Api) -> Two:
    """Two conferences; players at the first."""
    first, seated = await new_conference(api, 2, players=3)
    second, _ = await new_conference(api, 1)
    return first, second, seated[0][0]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_a_player_token_is_refused_on_every_facilitator_endpoint(
    api: Api,
    two: Two,
    method: str,
    path: str,
    body: object,
) -> None:
    first, _, player = two
    response = await _call(api.http, method, f"/api/conferences/{first.id}{path}", body, player.token)
    assert response.status_code == 403, response.text
    assert response.json()["detail"]["code"] == "auth.forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_another_conferences_facilitator_can_neither_see_nor_touch_it(
    api: Api,
    two: Two,
    method: str,
    path: str,
    body: object,
) -> None:
    first, second, _ = two
    response = await _call(api.http, method, f"/api/conferences/{first.id}{path}", body, second.token)
    assert response.status_code == 403, response.text
    assert (await first.get()).status_code == 200, "the conference is still there"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_no_token_or_a_forged_one_is_refused(
    api: Api,
    two: Two,
    method: str,
    path: str,
    body: object,
) -> None:
    first, _, _ = two
    url = f"/api/conferences/{first.id}{path}"
    assert (await _call(api.http, method, url, body, None)).status_code == 401
    forged = first.token[:-4] + ("AAAA" if not first.token.endswith("AAAA") else "BBBB")
    response = await _call(api.http, method, url, body, forged)
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "auth.invalid_token"


async def test_the_projector_reads_but_does_not_run_the_conference(api: Api, two: Two) -> None:
    first, _, _ = two
    token = (await api.http.post(f"/api/conferences/{first.id}/projector-token", headers=bearer(first.token))).json()[
        "token"
    ]
    for method, path, body in WRITES + DOWNLOADS:
        response = await _call(api.http, method, f"/api/conferences/{first.id}{path}", body, token)
        assert response.status_code == 403, (path, response.text)
    for method, path, body in READS:
        response = await _call(api.http, method, f"/api/conferences/{first.id}{path}", body, token)
        assert response.status_code == 200, (path, response.text)
    assert '"A1"' not in (await first.get("/overview", token=token)).text, "no names on the projector"


async def test_a_player_token_cannot_drive_the_tables_through_the_facilitators_commands(
    server: ServerProcess,
    api: Api,
    two: Two,
) -> None:
    first, _, player = two
    async with await connect_as(server, first.table_ids[0], player.token) as client:
        for kind, fields in [
            ("pause", {}),
            ("resume", {}),
            ("extend_deadline", {"seconds": 60}),
            ("hide_message", {"seq": 2}),
            ("remove_player", {"player_id": player.player_id}),
        ]:
            assert await client.error(kind, **fields) == "actor.not_facilitator"


@pytest.mark.parametrize("who", ["player", "other facilitator", "forged", "no hello"])
async def test_the_live_channel_is_for_the_facilitator_and_the_projector_only(
    server: ServerProcess,
    two: Two,
    who: str,
) -> None:
    first, second, player = two
    token = {"player": player.token, "other facilitator": second.token, "forged": "x.y", "no hello": None}[who]
    watch = await Watch.open(server, first.id, token)
    if token is None:
        await watch.ws.send(json.dumps({"type": "ping", "id": "1"}))
    code = await watch.closed(15)
    assert code == (4000 if who == "no hello" else 4001)
    assert not any(f.get("type") in ("overview", "tables") for f in watch.frames)
    errors = [f["code"] for f in watch.frames if f.get("type") == "error"]
    expected = {
        "player": "auth.not_conference",
        "other facilitator": "auth.not_conference",
        "forged": "auth.invalid_token",
        "no hello": "hello.expected",
    }
    assert errors == [expected[who]]


async def test_the_live_channel_of_an_unknown_conference_is_closed(server: ServerProcess, api: Api) -> None:
    token = TokenSigner(TEST_SECRET).sign(Claims(role="facilitator", conference_id="nonesuch"))
    watch = await Watch.open(server, "nonesuch", token)
    assert await watch.closed(10) == 4004
    assert (await api.http.get("/api/conferences/nonesuch", headers=bearer(token))).status_code == 404


async def test_a_player_cannot_follow_someone_elses_move(api: Api, two: Two) -> None:
    first, _, player = two
    other_table = first.table_ids[1]
    response = await api.http.post(f"/api/tables/{other_table}/follow-move", headers=bearer(player.token))
    assert response.status_code == 403
    response = await api.http.post(f"/api/tables/{first.table_ids[0]}/follow-move", headers=bearer(first.token))
    assert response.status_code == 403


async def test_without_an_operator_password_anyone_creates_a_conference(api: Api) -> None:
    response = await api.http.post("/api/conferences", json={"name": "Laptop", "tables": 1})
    assert response.status_code == 201


async def test_the_operator_password_guards_creating_conferences(start_server: StartServer) -> None:
    server = start_server(env={"RAADERUM_ADMIN_PASSWORD": "kl-2027-hemmelig"})
    body = {"name": "Offentlig server", "tables": 2}
    basic = base64.b64encode(b"admin:kl-2027-hemmelig").decode()
    async with httpx.AsyncClient(base_url=server.url) as http:
        for headers in (
            {},
            {"X-Admin-Password": "forkert"},
            {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
        ):
            response = await http.post("/api/conferences", json=body, headers=headers)
            assert response.status_code == 401, headers
            assert response.json()["detail"]["code"] == "auth.admin_password"
        assert (
            await http.post("/api/conferences", json=body, headers={"X-Admin-Password": "kl-2027-hemmelig"})
        ).status_code == 201
        created = await http.post("/api/conferences", json=body, headers={"Authorization": f"Basic {basic}"})
        assert created.status_code == 201
        # The password is for creating; the facilitator's own link runs the conference without it.
        conference = created.json()
        info = await http.get(
            f"/api/conferences/{conference['conference_id']}", headers=bearer(conference["facilitator_token"])
        )
        assert info.status_code == 200
        page = await http.get("/conference/new")
        assert 'id="password"' in page.text
        assert "kl-2027-hemmelig" not in page.text
