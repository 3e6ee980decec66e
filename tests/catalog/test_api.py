"""POST /api/decks and GET /api/decks on real servers: an uploaded catalogue is a deck in the event store,
served by every process, pinned by conferences, embedded in exports, refused with every problem at once,
and deleted by retention when no conference uses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from engine.catalog import import_catalog
from server.live import stored_decks
from server.live.conferences import ConferenceCreated, ConferenceRequest, conference_stream
from server.live.tables import Decks
from server.operations import retention
from server.store import EventStore, NewEvent
from tests.catalog.test_import import GOOD, HEADER
from tests.server.helpers import NO_RATE_LIMIT, Api, ServerProcess, bearer

# The small catalogue of test_import plus enough proposals for a target: X is its middel level.
CATALOGUE = (
    HEADER
    + GOOD
    + "".join(
        f"BB-{n};Forslag {n};Skole;{kind};{n % 3 + 1};{n % 3 + 2};{n % 3 + 2};{n % 3 + 2};0;lav;\n"
        for n, kind in enumerate(["besparelse", "effektivisering", "investering"] * 4)
    )
).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("catalog")
    process = ServerProcess(f"sqlite:///{directory / 'events.db'}", env=NO_RATE_LIMIT, log_dir=directory)
    process.start()
    yield process
    process.stop()


async def upload(url: str, content: bytes, filename: str = "katalog.csv", **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        return await http.post("/api/decks", files={"file": (filename, content)}, **kwargs)


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.get(url)


async def test_an_uploaded_catalogue_is_a_deck_a_conference_is_created_on(server: ServerProcess) -> None:
    response = await upload(server.url, CATALOGUE, data={"name": "Lilleby Kommune"})
    assert response.status_code == 201, response.text
    body = response.json()
    deck_id, report = body["deck_id"], body["report"]
    assert deck_id.startswith("u-")
    assert report["municipality"] == "Lilleby Kommune"
    assert report["cards"] == 16
    assert report["by_area"]["Skole"] == {"besparelse": 4, "effektivisering": 4, "investering": 4}
    assert report["max_target"] >= report["target"] > 0
    assert report["left_out"]
    # The same content uploaded again is the same deck.
    assert (await upload(server.url, CATALOGUE, data={"name": "Lilleby Kommune"})).json()["deck_id"] == deck_id

    listed = (await get(f"{server.url}/api/decks")).json()
    assert {"korsbaek", deck_id} <= {deck["deck_id"] for deck in listed}
    deck = (await get(f"{server.url}/api/decks/{deck_id}")).json()
    assert deck["scenario"]["id"] == deck_id

    async with Api(server.url) as api:
        conference = await api.create_conference(deck=deck_id, target=report["target"])
        player = await api.join(conference.tables[0]["join_code"], "Anne")
        events = [event["data"] for event in await api.events(player.table_id, conference.facilitator_token)]
        created = events[0]
        assert created["deck_digest"] == deck["digest"]
        # The exported log embeds the uploaded deck, as for any deck.
        exported = await api.http.get(
            f"/api/tables/{player.table_id}/export", headers=bearer(conference.facilitator_token)
        )
        assert exported.status_code == 200, exported.text
        header = json.loads(exported.text.splitlines()[0])
        assert header["deck"]["scenario"]["municipality"]["da"] == "Lilleby Kommune"


async def test_a_bad_catalogue_lists_every_problem_in_the_requests_language_and_stores_nothing(
    server: ServerProcess,
) -> None:
    before = (await get(f"{server.url}/api/decks")).json()
    bad = (HEADER + "AA-1;X;Adm;sparekniv;1;1;1;1;0;lav;\nAA-1;Y;Adm;besparelse;mange;1;1;1;7;lav;ZZ-1\n").encode()
    response = await upload(server.url, bad)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "deck.import_invalid"
    assert detail["message"].startswith("Kataloget kan ikke bruges")
    found = {(e["row"], e["column"], e["code"]) for e in detail["errors"]}
    assert found == {
        (2, "type", "catalog.kind_unknown"),
        (3, "id", "catalog.id_duplicate"),
        (3, "2027", "catalog.not_number"),
        (3, "service", "catalog.service_range"),
        (3, "kræver", "catalog.card_unknown"),
    }
    assert any(e["message"] == "mange er ikke et tal" for e in detail["errors"])
    english = (await upload(server.url + "", bad, params={"lang": "en"})).json()["detail"]
    assert any(e["message"] == "mange is not a number" for e in english["errors"])
    assert (await upload(server.url, b"", "tom.csv")).json()["detail"]["errors"][0]["code"] == "catalog.empty"
    assert (await upload(server.url, b"PK\x03\x04", "makro.xlsm")).json()["detail"]["errors"][0][
        "code"
    ] == "catalog.macros"
    assert (await get(f"{server.url}/api/decks")).json() == before


async def test_with_an_operator_password_only_the_operator_uploads(tmp_path: Path) -> None:
    env = {**NO_RATE_LIMIT, "RAADERUM_ADMIN_PASSWORD": "hemmelig"}
    process = ServerProcess(f"sqlite:///{tmp_path / 'events.db'}", env=env, log_dir=tmp_path)
    process.start()
    try:
        refused = await upload(process.url, CATALOGUE)
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "auth.admin_password"
        accepted = await upload(process.url, CATALOGUE, headers={"X-Admin-Password": "hemmelig"})
        assert accepted.status_code == 201, accepted.text
    finally:
        process.stop()


async def test_every_process_of_a_redis_deployment_serves_an_uploaded_deck(redis_url: str, tmp_path: Path) -> None:
    first = ServerProcess(redis_url, env=NO_RATE_LIMIT, log_dir=tmp_path / "a")
    second = ServerProcess(redis_url, env=NO_RATE_LIMIT, log_dir=tmp_path / "b")
    first.start()
    second.start()
    try:
        body = (await upload(first.url, CATALOGUE)).json()
        assert (await get(f"{second.url}/api/decks/{body['deck_id']}")).status_code == 200
        async with Api(second.url) as api:
            conference = await api.create_conference(deck=body["deck_id"], target=body["report"]["target"])
        async with Api(first.url) as api:
            player = await api.join(conference.tables[0]["join_code"], "Bo")
            assert (await api.events(player.table_id, conference.facilitator_token))[0]["type"] == "game_created"
    finally:
        first.stop()
        second.stop()


async def test_retention_deletes_the_uploaded_decks_no_conference_uses(store: EventStore) -> None:
    used = import_catalog(CATALOGUE, "a.csv", "a", "Aby", feasibility=_flat).deck
    unused = import_catalog(CATALOGUE, "b.csv", "b", "Bby", feasibility=_flat).deck
    used_id, unused_id = await stored_decks.save(store, used), await stored_decks.save(store, unused)
    request = ConferenceRequest(name="K", deck=used_id, tables=1)
    created = ConferenceCreated(at=datetime.now().astimezone(), conference_id="c1", request=request, tables=[])
    await store.append(conference_stream("c1"), 0, [NewEvent(type=created.type, data=created.model_dump_json())])
    decks = Decks(Path("/nonexistent"))
    services = SimpleNamespace(store=store, tables=SimpleNamespace(decks=decks))
    app = SimpleNamespace(state=SimpleNamespace(services=services))
    now = datetime.now().astimezone()
    # Within the period nothing goes; after it, only the deck no conference uses.
    assert await retention.purge_unused_decks(app, 3, now) == []
    assert await retention.purge_unused_decks(app, 3, now + timedelta(days=4)) == [unused_id]
    assert set(await stored_decks.uploaded(store)) == {used_id}
    assert await stored_decks.load(store, used_id) == stored_decks.identified(used)


def _flat(deck: object):  # type: ignore[no-untyped-def]
    from tests.catalog.test_import import _flat as flat

    return flat(deck)


def test_the_upload_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.settings import Settings

    assert Settings().catalog_max_bytes == 2 * 1024 * 1024
    assert Settings().catalog_max_rows == 2000
    monkeypatch.setenv("RAADERUM_CATALOG_MAX_MB", "0.5")
    monkeypatch.setenv("RAADERUM_CATALOG_MAX_ROWS", "10")
    assert Settings().catalog_max_bytes == 512 * 1024
    assert Settings().catalog_max_rows == 10


async def test_a_server_refuses_catalogues_over_its_configured_limits(tmp_path: Path) -> None:
    assert len(CATALOGUE) < 1024
    env = {**NO_RATE_LIMIT, "RAADERUM_CATALOG_MAX_MB": str(1 / 1024), "RAADERUM_CATALOG_MAX_ROWS": "15"}
    process = ServerProcess(f"sqlite:///{tmp_path / 'events.db'}", env=env, log_dir=tmp_path)
    process.start()
    try:
        rows = (await upload(process.url, CATALOGUE)).json()["detail"]
        assert [(e["row"], e["column"], e["code"]) for e in rows["errors"]] == [(None, None, "catalog.too_many_rows")]
        assert rows["errors"][0]["message"] == "Højst 15 forslag"
        large = (await upload(process.url, CATALOGUE + b"\n" * 1024)).json()["detail"]
        assert [e["code"] for e in large["errors"]] == ["catalog.too_large"]
        assert large["errors"][0]["message"] == "Filen er større end 1 kB"
        small = await upload(process.url, (HEADER + GOOD).encode())
        assert small.status_code == 201, small.text
    finally:
        process.stop()
