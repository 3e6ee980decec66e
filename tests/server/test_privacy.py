"""Data protection: a facilitator anonymises a conference and the names and chat are gone from the store's bytes
(the SQLite file and its WAL; every Redis key, and its append-only file), while the game still replays with its
figures; a player leaves and erases their own name. Real server processes, a played game."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.replay.test_http import NAMES, Game, play_game
from tests.server.conftest import StartServer
from tests.server.helpers import Api, ServerProcess, bearer, connect_as
from testsupport.redis import DURABLE, RedisServer

PERSONAL = "personal"
# What play_game writes that is personal: the names and words of the chat and the announcement.
SECRETS = [*NAMES, "Hændelseskortet gør det svært", "kan du leve med", "Velkommen, Anna"]


def _without_personal(events: list[dict[str, Any]]) -> list[tuple[int, str, dict[str, Any]]]:
    drop = {"name", "text"}
    return [(e["seq"], e["type"], {k: v for k, v in e["data"].items() if k not in drop}) for e in events]


async def _anonymise_and_check(server: ServerProcess, api: Api, game: Game) -> None:
    before = await api.events(game.table_id, game.token)
    debrief = await api.http.get(f"/api/tables/{game.table_id}/debrief", headers=bearer(game.token))
    assert NAMES[0] in debrief.text, "the debrief names the players (and the server keeps it cached)"
    response = await api.http.post(
        f"/api/conferences/{game.conference.conference_id}/anonymise", headers=bearer(game.token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["names"] == len(NAMES)
    after = await api.events(game.table_id, game.token)
    assert _without_personal(after) == _without_personal(before), "only names and texts changed"
    names = sorted(e["data"]["name"] for e in after if e["type"] == "player_joined")
    assert names == [f"Spiller {n}" for n in range(1, len(NAMES) + 1)]
    assert all(e["data"]["text"] == "" for e in after if e["type"] in ("message_posted", "announcement_made"))
    debrief = await api.http.get(f"/api/tables/{game.table_id}/debrief", headers=bearer(game.token))
    assert debrief.status_code == 200
    assert not [name for name in NAMES if name in debrief.text], "the cached debrief still names them"
    # The game replays to its end, debrief and all.
    export = await api.http.get(f"/api/tables/{game.table_id}/export", headers=bearer(game.token))
    assert export.status_code == 200
    uploaded = await api.http.post("/api/replays", content=export.content)
    assert uploaded.status_code == 201, uploaded.text
    replay_id = uploaded.json()["replays"][0]["replay_id"]
    last = await api.http.get(f"/api/replays/{replay_id}/at/{len(after)}")
    assert last.status_code == 200
    assert last.json()["debrief"] is not None
    # And the server itself shows the anonymised table from now on.
    look = await connect_as(server, game.table_id, game.token, label="after")
    snapshot = look.snapshots[0]["view"]
    await look.close()
    assert sorted(p["name"] for p in snapshot["players"]) == names
    assert all(line["text"] == "" for line in snapshot["chat"])


def _files(folder: Path, pattern: str) -> dict[str, bytes]:
    """The bytes of every file under `folder` whose name matches `pattern`, by path (the tests call it in a
    thread, off the event loop)."""
    return {str(path): path.read_bytes() for path in folder.rglob(pattern) if path.is_file()}


def _leftovers(blobs: dict[str, bytes]) -> list[tuple[str, str]]:
    return [(where, secret) for where, blob in blobs.items() for secret in SECRETS if secret.encode() in blob]


async def test_anonymising_a_conference_erases_names_and_chat_from_the_sqlite_file(
    start_server: StartServer, tmp_path: Path
) -> None:
    database = tmp_path / "events.db"
    server = start_server(f"sqlite:///{database}", env={"RAADERUM_FRAMES_PER_SECOND": "1000"})
    async with Api(server.url) as api:
        game = await play_game(server, api)
        files = await asyncio.to_thread(_files, tmp_path, "events.db*")
        assert _leftovers(files), "the played game's names are in the file before"
        await _anonymise_and_check(server, api, game)
    files = await asyncio.to_thread(_files, tmp_path, "events.db*")
    assert not _leftovers(files), f"still in the SQLite files: {_leftovers(files)}"
    server.stop()
    files = await asyncio.to_thread(_files, tmp_path, "events.db*")
    assert not _leftovers(files), f"in the SQLite files after shutdown: {_leftovers(files)}"


@pytest.mark.redis
async def test_anonymising_a_conference_erases_names_and_chat_from_redis(
    start_server: StartServer, tmp_path: Path
) -> None:
    # A plain AOF (no RDB preamble, which compresses strings), so that a scan of its bytes means something.
    store = RedisServer(tmp_path / "redis", *DURABLE, "--aof-use-rdb-preamble", "no")
    store.start()
    try:
        server = start_server(store.url, env={"RAADERUM_FRAMES_PER_SECOND": "1000"})
        async with Api(server.url) as api:
            game = await play_game(server, api)
            aof = await asyncio.to_thread(_files, store.dir, "*.aof")
            assert _leftovers(aof), "the played game's names are in the append-only file before"
            await _anonymise_and_check(server, api, game)
        with redis.Redis(unix_socket_path=str(store.socket_path)) as raw:
            blobs: dict[str, bytes] = {}
            for key in raw.scan_iter(count=1000):
                kind = raw.type(key)
                if kind == b"stream":
                    value = repr(raw.xrange(key)).encode()
                elif kind == b"hash":
                    value = repr(raw.hgetall(key)).encode()
                elif kind == b"string":
                    value = raw.get(key) or b""
                else:
                    value = repr(raw.dump(key)).encode()
                blobs[key.decode()] = value.decode("unicode_escape").encode("latin-1", "replace") + value
            assert not _leftovers(blobs), f"still in Redis: {_leftovers(blobs)}"
            for _ in range(200):  # a rewrite in progress (at most 20 s) would leave the old file's bytes behind
                if not raw.info("persistence")["aof_rewrite_in_progress"]:
                    break
                await asyncio.sleep(0.1)
        aof = await asyncio.to_thread(_files, store.dir, "*aof*")
        assert aof, "the Redis runs with an append-only file"
        assert not _leftovers(aof), f"still in the append-only file: {_leftovers(aof)}"
    finally:
        store.stop()


async def test_a_player_leaves_and_erases_their_name(start_server: StartServer, tmp_path: Path) -> None:
    database = tmp_path / "events.db"
    server = start_server(f"sqlite:///{database}")
    async with Api(server.url) as api:
        conference = await api.create_conference()
        anna = await api.join(conference.join_code, "Annabella Zweistein")
        bo = await api.join(conference.join_code, "Bonifacius Quist")
        client = await connect_as(server, bo.table_id, bo.token, label="bo")
        await client.close()
        erased = await api.http.post(f"/api/tables/{bo.table_id}/erase-me", headers=bearer(bo.token))
        assert erased.status_code == 200, erased.text
        log = await api.events(conference.table_id, conference.facilitator_token)
        names = {e["data"]["player_id"]: e["data"]["name"] for e in log if e["type"] == "player_joined"}
        assert names == {anna.player_id: "Annabella Zweistein", bo.player_id: "Spiller 2"}
        assert any(e["type"] == "player_left" and e["data"]["player_id"] == bo.player_id for e in log)
        other = await api.http.post(f"/api/tables/{bo.table_id}/erase-me", headers=bearer(conference.facilitator_token))
        assert other.status_code == 403
    blob = b"".join((await asyncio.to_thread(_files, tmp_path, "events.db*")).values())
    assert b"Bonifacius" not in blob
    assert b"Annabella" in blob


def test_the_privacy_doc_answers_what_where_how_long_and_who() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "privacy.md").read_text()
    for needed in (
        "Data controller (dataansvarlig): the municipality",
        "RAADERUM_RETENTION_DAYS",
        "/api/conferences/{id}/anonymise",
        "/api/tables/{table_id}/erase-me",
        "Record of processing (fortegnelse",
        "01/2025",
    ):
        assert needed in text, needed
