"""Hostile HTTP bodies get typed 4xx answers, never a 500; every answer carries the security headers."""

from __future__ import annotations

import pytest

from tests.server.helpers import Api

DEEP = "[" * 1000
BODIES = [
    ("/api/join", "application/json", b'{"code": "ABCDEF", "name": 1e999}'),
    ("/api/conferences", "application/json", b'{"name": "x", "tables": 1e999}'),
    ("/api/conferences", "application/json", b'{"name": "x", "tables": 1, "target": -1e999}'),
    ("/api/join", "application/json", DEEP.encode()),
    ("/api/conferences", "application/json", b'{"name": ' + DEEP.encode() + b"}"),
    ("/api/replays", "application/json", DEEP.encode()),
    ("/api/replays", "application/x-ndjson", b"\xff\xfe\n"),
    ("/api/join", "text/plain", b"\xff\xfe"),
    ("/api/join", "application/x-www-form-urlencoded", b"code=\xff&name=\xfe"),
    ("/api/join", "multipart/form-data; boundary=x", b"--x\r\n\xff\r\n--x--"),
    ("/api/join", "application/json", b"\xff\xfe{}"),
    ("/api/conferences", "application/json", b'{"name": "\\ud800", "tables": 1}'),
]


@pytest.mark.parametrize(("path", "content_type", "body"), BODIES)
async def test_a_hostile_body_gets_a_typed_4xx(api: Api, path: str, content_type: str, body: bytes) -> None:
    response = await api.http.post(path, content=body, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
    detail = response.json()["detail"]
    typed = isinstance(detail, list) and all("type" in item and "input" not in item for item in detail)
    assert typed or (isinstance(detail, dict) and "code" in detail), detail


async def test_a_meter_with_an_infinite_number_is_refused(api: Api) -> None:
    conference = await api.create_conference()
    response = await api.http.post(
        f"/api/tables/{conference.table_id}/meter",
        content=b'{"cards": [], "x": 1e999}',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {conference.facilitator_token}"},
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("path", ["/healthz", "/api/decks/korsbaek", "/", "/api/tables/nope/events", "/no-such-page"])
async def test_every_answer_carries_the_security_headers(api: Api, path: str) -> None:
    response = await api.http.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers, "no HSTS over plain HTTP"


async def test_behind_tls_hsts_and_secure_cookies(api: Api) -> None:
    # The test server trusts proxy headers from 127.0.0.1, as behind a TLS-terminating proxy on the same host.
    plain = await api.http.get("/?lang=en")
    proxied = await api.http.get("/?lang=en", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
    assert proxied.headers["strict-transport-security"].startswith("max-age=")
    plain_cookies = plain.headers.get_list("set-cookie")
    proxied_cookies = proxied.headers.get_list("set-cookie")
    assert plain_cookies, "the language cookie is set"
    assert all("secure" not in cookie.lower() for cookie in plain_cookies)
    assert proxied_cookies
    assert all(cookie.endswith("; Secure") for cookie in proxied_cookies)
