"""Credentials that end: replay upload behind the operator's password, a cap on one token's connections, tokens
with an expiry and a key id (rotation with a grace period, old tokens without a key id), and a removed player's
token revoked for reading and writing. Real server processes throughout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.auth import DAY, Claims, TokenSigner, key_id
from tests.server.conftest import StartServer
from tests.server.helpers import TEST_SECRET, Api, Client, bearer, connect_as


def _payload(token: str) -> dict[str, object]:
    part = token.partition(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def _legacy_token(secret: str, claims: Claims) -> str:
    """A token as the server signed them before key ids and expiry."""
    payload = base64.urlsafe_b64encode(json.dumps(claims.model_dump(exclude_none=True)).encode()).rstrip(b"=")
    mac = hmac.new(hashlib.sha256(secret.encode()).digest(), payload, hashlib.sha256).digest()
    return f"{payload.decode()}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def _hello_refused(server_ws: str, table_id: str, token: str) -> tuple[str, int | None]:
    client = await Client.connect(server_ws, table_id)
    await client.send({"type": "hello", "token": token, "after": 0, "lang": "en"})
    error = await client.wait_for(lambda f: f["type"] == "error", what="a refusal")
    return str(error["code"]), await client.wait_closed()


# ---- replay upload --------------------------------------------------------------------------------


async def test_replay_upload_needs_the_operator_or_a_facilitator_when_a_password_is_set(
    start_server: StartServer, tmp_path: Path
) -> None:
    env = {"RAADERUM_ADMIN_PASSWORD": "operator-pw", "RAADERUM_MAX_UPLOAD_MB": "1", "RAADERUM_UPLOADS_PER_MINUTE": "3"}
    server = start_server(f"sqlite:///{tmp_path / 'events.db'}", env=env)
    async with Api(server.url) as api:
        conference = await api.http.post(
            "/api/conferences", json={"name": "T", "tables": 1}, headers={"X-Admin-Password": "operator-pw"}
        )
        facilitator = conference.json()["facilitator_token"]
        join = await api.http.post("/api/join", json={"code": conference.json()["tables"][0]["join_code"], "name": "A"})
        player = join.json()["token"]
        nobody = await api.http.post("/api/replays", content=b"hello\n")
        assert nobody.status_code == 401
        assert nobody.json()["detail"]["code"] == "auth.admin_password"
        assert nobody.headers["www-authenticate"].startswith("Basic")  # the upload page's browser asks for it
        as_player = await api.http.post("/api/replays", content=b"hello\n", headers=bearer(player))
        assert as_player.status_code == 401
        # Past the door, the log itself is checked (and refused: it is not a log).
        as_facilitator = await api.http.post("/api/replays", content=b"hello\n", headers=bearer(facilitator))
        assert as_facilitator.status_code == 422
        as_operator = await api.http.post(
            "/api/replays", content=b"hello\n", headers={"X-Admin-Password": "operator-pw"}
        )
        assert as_operator.status_code == 422
        too_big = await api.http.post("/api/replays", content=b"x" * (2 * 1024 * 1024), headers=bearer(facilitator))
        assert too_big.status_code == 413
        assert too_big.json()["detail"]["code"] == "replay.too_large"
        too_many = await api.http.post("/api/replays", content=b"hello\n", headers=bearer(facilitator))
        assert too_many.status_code == 429, "the fourth upload within a minute"
        assert too_many.json()["detail"]["code"] == "replay.rate_limited"


# ---- connections per token ------------------------------------------------------------------------


async def test_one_token_holds_at_most_the_configured_connections(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'events.db'}", env={"RAADERUM_MAX_CONNECTIONS_PER_TOKEN": "3"})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
    held = [await connect_as(server, anna.table_id, anna.token, label=f"anna-{n}") for n in range(3)]
    assert await _hello_refused(server.ws_url, anna.table_id, anna.token) == ("auth.too_many_connections", 4009)
    # Another token is not affected, and a closed connection frees its place.
    other = await connect_as(server, anna.table_id, conference.facilitator_token, label="facilitator")
    await held[0].close()
    await connect_as(server, anna.table_id, anna.token, label="anna-again")
    await other.close()


# ---- expiry and key ids ---------------------------------------------------------------------------


async def test_tokens_carry_a_key_id_and_end_after_the_retention_period(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'events.db'}", env={"RAADERUM_RETENTION_DAYS": "2"})
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        payload = _payload(anna.token)
        assert payload["kid"] == key_id(TEST_SECRET)
        expected = time.time() + DAY + 2 * DAY  # the conference's day, then the retention period
        assert abs(float(str(payload["exp"])) - expected) < 60
        # The same claims, signed as if a little more than a lifetime ago: refused everywhere.
        lifetime = DAY + 2 * DAY
        old = TokenSigner(TEST_SECRET, lifetime=lifetime, clock=lambda: time.time() - lifetime - 5)
        expired = old.sign(Claims(role="facilitator", conference_id=conference.conference_id))
        response = await api.events_response(conference.table_id, expired)
        assert response.status_code == 401
        fresh = await api.events_response(conference.table_id, conference.facilitator_token)
        assert fresh.status_code == 200
    assert await _hello_refused(server.ws_url, anna.table_id, expired) == ("auth.invalid_token", 4001)


async def test_a_rotated_secret_is_accepted_for_its_grace_period(start_server: StartServer, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'events.db'}"
    before = start_server(store)  # signs with TEST_SECRET
    async with Api(before.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
    legacy = _legacy_token(TEST_SECRET, Claims(role="facilitator", conference_id=conference.conference_id))
    before.stop()

    new_secret = "the-new-secret-after-rotation"
    rotated = start_server(store, env={"RAADERUM_SECRET": new_secret, "RAADERUM_PREVIOUS_SECRETS": TEST_SECRET})
    async with Api(rotated.url) as api:
        for token in (conference.facilitator_token, legacy):
            response = await api.events_response(conference.table_id, token)
            assert response.status_code == 200, "a token of the previous secret works during the grace period"
        bo = await api.join(conference.join_code, "Bo")
    assert _payload(bo.token)["kid"] == key_id(new_secret)
    client = await connect_as(rotated, anna.table_id, anna.token, label="anna-old-key")
    await client.close()
    rotated.stop()

    ended = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    after = start_server(
        store,
        env={
            "RAADERUM_SECRET": new_secret,
            "RAADERUM_PREVIOUS_SECRETS": TEST_SECRET,
            "RAADERUM_PREVIOUS_SECRETS_UNTIL": ended,
        },
    )
    async with httpx.AsyncClient(base_url=after.url) as http:
        for token in (conference.facilitator_token, legacy):
            old = await http.get(f"/api/tables/{conference.table_id}/events", headers=bearer(token))
            assert old.status_code == 401, "after the grace period the previous secret's tokens are refused"
        new = await http.get(f"/api/tables/{bo.table_id}/debrief", headers=bearer(bo.token))
        assert new.status_code != 401
    assert await _hello_refused(after.ws_url, anna.table_id, anna.token) == ("auth.invalid_token", 4001)


# ---- removal revokes ------------------------------------------------------------------------------


async def test_a_removed_players_token_no_longer_reads_or_writes(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'events.db'}")
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        bo = await api.join(conference.join_code, "Bo")
        facilitator = await connect_as(server, anna.table_id, conference.facilitator_token, label="facilitator")
        a = await connect_as(server, anna.table_id, anna.token, label="anna")
        b = await connect_as(server, bo.table_id, bo.token, label="bo")
        await facilitator.ok("remove_player", player_id=anna.player_id)
        revoked = await a.wait_for(lambda f: f["type"] == "error", what="the revocation")
        assert revoked["code"] == "auth.revoked"
        assert await a.wait_closed() == 4001
        assert await _hello_refused(server.ws_url, anna.table_id, anna.token) == ("auth.revoked", 4001)
        meter = await api.http.post(
            f"/api/tables/{anna.table_id}/meter", json={"cards": []}, headers=bearer(anna.token)
        )
        assert meter.status_code == 403
        assert meter.json()["detail"]["code"] == "auth.revoked"
        # The others go on.
        await b.ok("chat", text="still here")
        other_meter = await api.http.post(
            f"/api/tables/{bo.table_id}/meter", json={"cards": []}, headers=bearer(bo.token)
        )
        assert other_meter.status_code != 403
    # A restarted process knows it too: the removal is in the log.
    server.stop()
    server.start()
    assert await _hello_refused(server.ws_url, anna.table_id, anna.token) == ("auth.revoked", 4001)
