"""GET /metrics in the Prometheus text format, and projector tokens (both added for the load test)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.helpers import Api, ServerProcess, bearer, connect_as

METRICS = (
    "raaderum_connections",
    "raaderum_commands_total",
    "raaderum_command_seconds_bucket",
    "raaderum_events_appended_total",
    "raaderum_fanout_seconds_bucket",
    "raaderum_store_seconds_bucket",
    "raaderum_slow_consumer_disconnects_total",
    "raaderum_tables_loaded",
    "raaderum_gc_pause_seconds_bucket",
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(f"sqlite:///{tmp_path / 'events.db'}", log_dir=tmp_path)
    process.start()
    yield process
    process.stop()
    assert "Traceback" not in process.log_text()


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` from a Prometheus text page (labels in any order); 0 when absent."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            return float(match[3])
    return 0.0


async def test_metrics_count_connections_commands_and_events(server: ServerProcess) -> None:
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        client = await connect_as(server, anna.table_id, anna.token)
        try:
            await client.ok("chat", text="hej")
            await client.ok("chat", text="igen")
            assert await client.error("propose", cards=["ÆL-01"]) == "round.not_open"
            page = await api.http.get("/metrics")
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/plain")
            text = page.text
            for name in METRICS:
                assert re.search(rf"^{name}[ {{]", text, re.MULTILINE), f"{name} missing"
            assert value(text, "raaderum_connections") == 1
            assert value(text, "raaderum_commands_total", type="chat", result="ok") == 2
            assert value(text, "raaderum_commands_total", type="propose", result="rejected") == 1
            # game_created and player_joined came from the HTTP API; the two chats from the socket.
            assert value(text, "raaderum_events_appended_total", type="message_posted") == 2
            assert value(text, "raaderum_events_appended_total", type="player_joined") == 1
            assert value(text, "raaderum_command_seconds_count") == 3
            assert value(text, "raaderum_fanout_seconds_count") >= 2
            assert value(text, "raaderum_store_seconds_count", op="append") >= 4
            assert value(text, "raaderum_slow_consumer_disconnects_total") == 0
            assert value(text, "raaderum_tables_loaded") == 1
        finally:
            await client.close()
        text = (await api.http.get("/metrics")).text
        assert value(text, "raaderum_connections") == 0


async def test_the_facilitator_gets_a_projector_token_that_can_watch_but_not_act(server: ServerProcess) -> None:
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Anna")
        url = f"/api/conferences/{conference.conference_id}/projector-token"
        assert (await api.http.post(url)).status_code == 401
        assert (await api.http.post(url, headers=bearer(anna.token))).status_code == 403
        other = await api.create_conference()
        assert (await api.http.post(url, headers=bearer(other.facilitator_token))).status_code == 403
        response = await api.http.post(url, headers=bearer(conference.facilitator_token))
        assert response.status_code == 200, response.text
        token = response.json()["token"]

        projector = await connect_as(server, conference.table_id, token)
        player = await connect_as(server, anna.table_id, anna.token)
        try:
            (snapshot,) = projector.snapshots
            assert snapshot["view"]["viewer"] == "projector"
            await player.ok("chat", text="hemmeligt")
            await projector.wait_seq(snapshot["seq"] + 1)
            assert projector.events[-1][2]["text"] == ""  # the hall does not see the chat
            assert await projector.error("chat", text="nej") == "auth.read_only"
        finally:
            await projector.close()
            await player.close()


def test_metrics_render_without_a_server() -> None:
    from server import metrics

    metrics.command("chat", "ok")
    assert b'raaderum_commands_total{result="ok",type="chat"}' in metrics.render()


def test_every_garbage_collection_is_timed_by_generation() -> None:
    import gc

    from server import metrics

    metrics.track_gc()
    metrics.track_gc()  # once only, however often the app starts in one process
    before = value(metrics.render().decode(), "raaderum_gc_pause_seconds_count", generation="2")
    gc.collect()
    after = value(metrics.render().decode(), "raaderum_gc_pause_seconds_count", generation="2")
    assert after == before + 1


def test_a_metrics_token_guards_the_page(tmp_path: Path) -> None:
    import httpx

    process = ServerProcess(
        f"sqlite:///{tmp_path / 'events.db'}", env={"RAADERUM_METRICS_TOKEN": "s3cret-scrape"}, log_dir=tmp_path
    )
    process.start()
    try:
        with httpx.Client(base_url=process.url, timeout=10) as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-scrape-and-more"}):
                refused = http.get("/metrics", headers=headers)
                assert refused.status_code == 401, headers
                assert refused.json()["detail"]["code"] == "auth.metrics_token"
                assert "raaderum_" not in refused.text
            page = http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
            assert page.status_code == 200
            assert "raaderum_connections" in page.text
            assert http.get("/healthz").status_code == 200  # the health check stays open
    finally:
        process.stop()
