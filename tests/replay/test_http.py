"""End to end on a real server: a game over websockets, exported over HTTP, imported, and replayed.

What "the server showed" at a seq is the snapshot a facilitator gets who opens the table right then; the
replay of the exported log must show exactly that view at that seq.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from engine.archive import read_archive
from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.rules import evolve, initial_state
from engine.upcast import decode_event
from engine.views import FACILITATOR_VIEWER, view
from server.operations.archive import replay_id_of
from tests.server.helpers import Api, Client, Conference, Player, ServerProcess, bearer, connect_as, free_port

NAMES = ("Anna Holm", "Bo Kristensen", "Carina Lund", "Dennis Møller")
CARDS = (
    "AD-03", "ÆL-05", "SK-04", "ÆL-04", "DT-02", "SP-05", "SP-04", "TM-06", "SK-01",
    "AD-02", "SK-02", "SK-05", "TM-01", "SK-U1", "AD-05", "TM-04", "KF-02",
)  # fmt: skip
RAADERUM = Path(sys.executable).parent / "raaderum"
DECK = load_deck(DEFAULT_DECK_PATH)


@dataclass
class Game:
    conference: Conference
    players: list[Player]
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> the facilitator's snapshot view

    @property
    def table_id(self) -> str:
        return self.conference.table_id

    @property
    def token(self) -> str:
        return self.conference.facilitator_token


async def _snapshot(server: ServerProcess, game: Game) -> None:
    """Open the table as a facilitator would, right now, and keep the view the server sends."""
    client = await Client.connect(server.ws_url, game.table_id, "look")
    try:
        frames = await client.hello(game.token, after=0)
        (snapshot,) = [frame for frame in frames if frame["type"] == "snapshot"]
        game.shown[snapshot["seq"]] = snapshot["view"]
    finally:
        await client.close()


async def play_game(server: ServerProcess, api: Api) -> Game:
    """Two rounds with chat (naming players), an announcement, a rejected and an adopted proposal, an event card."""
    conference = await api.create_conference(tables=2, rule="broad", rounds=2)
    players = [await api.join(conference.join_code, name) for name in NAMES]
    game = Game(conference, players)
    facilitator = await connect_as(server, game.table_id, game.token, label="facilitator")
    seats = {p.player_id: await connect_as(server, p.table_id, p.token, label=p.name) for p in players}
    try:
        await _snapshot(server, game)
        await facilitator.ok("announce", text="Velkommen, Anna Holm og Bo!")
        await facilitator.ok("start_round")
        await _snapshot(server, game)
        latest = game.shown[max(game.shown)]
        roles = {p["id"]: p["role"] for p in latest["players"]}
        mayor = next(pid for pid, role in roles.items() if role == "borgmester")
        voters = [pid for pid, role in roles.items() if role is not None and DECK.role(role).votes]
        anna, bo = players[0].player_id, players[1].player_id
        await seats[bo].ok("chat", text="Anna, kan du leve med #SK-01?")
        await seats[anna].ok("chat", text="Ja, hvis Bos ønske kommer med.")
        await _snapshot(server, game)
        await seats[mayor].ok("propose", cards=[card for card in CARDS if card != "TM-01"])
        await _snapshot(server, game)
        for proposal_id, choice in (("F1", "against"), ("F2", "for")):
            if proposal_id == "F2":
                await seats[mayor].ok("propose", cards=list(CARDS), amends="F1")
            for pid in voters:
                reply = await seats[pid].call("vote", proposal_id=proposal_id, choice=choice)
                if reply["type"] == "error":  # decided before everyone voted
                    assert reply["code"] in ("round.not_open", "proposal.not_open"), reply
                    break
                await _snapshot(server, game)
        await facilitator.ok("end_round")  # rules 3: a forlig does not end the round
        await facilitator.ok("start_round")
        await _snapshot(server, game)
        await seats[anna].ok("chat", text="Hændelseskortet gør det svært, Carina.")
        await facilitator.ok("end_game")
        await _snapshot(server, game)
        await facilitator.ok("show_debrief")
        await _snapshot(server, game)
    finally:
        await facilitator.close()
        for client in seats.values():
            await client.close()
    return game


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


async def test_the_replay_of_an_exported_game_shows_what_the_server_showed(replay_server: ServerProcess) -> None:
    async with Api(replay_server.url) as api:
        game = await play_game(replay_server, api)
        http = api.http
        exported = await http.get(f"/api/tables/{game.table_id}/export", headers=bearer(game.token))
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith("application/x-ndjson")
        assert "attachment" in exported.headers["content-disposition"]
        text = exported.text
        log = read_archive(text).tables[0]
        events = await api.events(game.table_id, game.token)
        assert log.total == len(events) == max(game.shown)
        assert [(line.seq, line.type, line.data) for line in log.lines] == [
            (e["seq"], e["type"], e["data"]) for e in events
        ]

        uploaded = await http.post("/api/replays", content=text.encode())
        assert uploaded.status_code == 201, uploaded.text
        (replay,) = uploaded.json()["replays"]
        assert replay["table_id"] == game.table_id
        assert replay["events"] == log.total
        replay_id = replay["replay_id"]

        # At every seq the server showed, the replay shows the same view.
        assert len(game.shown) >= 12
        for seq, seen in game.shown.items():
            frame = (await http.get(f"/api/replays/{replay_id}/at/{seq}")).json()
            assert frame["seq"] == seq
            assert frame["total"] == log.total
            assert frame["view"] == seen, f"seq {seq}"
            assert frame["event"] == events[seq - 1]["data"]
        # At every seq, the replay shows the fold of the live log up to there (the events API + the engine);
        # the debrief appears once the game has ended.
        phases = {}
        state = initial_state(DECK)
        for seq in range(1, log.total + 1):
            record = events[seq - 1]
            state = evolve(state, decode_event(record["type"], record["version"], record["data"]))
            frame = (await http.get(f"/api/replays/{replay_id}/at/{seq}")).json()
            assert frame["view"] == view(state, FACILITATOR_VIEWER).model_dump(mode="json"), f"seq {seq}"
            phases[seq] = (frame["view"]["phase"], frame["debrief"] is not None)
        assert phases[log.total] == ("debrief", True)
        assert all(shows is (phase in ("reality_check", "debrief")) for phase, shows in phases.values())
        assert (await http.get(f"/api/replays/{replay_id}/at/{log.total + 1}")).status_code == 404

        meta = (await http.get(f"/api/replays/{replay_id}")).json()
        kinds = {kind for _, kind, _ in meta["markers"]}
        assert {"round", "event_card", "proposal", "vote", "forlig", "rejected", "announcement", "end"} <= kinds
        assert meta["deck"]["cards"]["SK-01"]["title"]

        # Export -> import -> export gives the same file.
        again = await http.get(f"/api/replays/{replay_id}/export")
        assert again.content == exported.content
        assert (await http.post("/api/replays", content=again.content)).json()["replays"][0]["replay_id"] == replay_id

        # The pages.
        page = await http.get(f"/replay/{replay_id}", params={"at": 5})
        assert page.status_code == 200
        assert "Genafspilning" in page.text
        assert 'data-total="' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert (await http.get("/replay/0123456789abcdef0123")).status_code == 404
        assert (await http.get("/replay", params={"lang": "en"})).text.count("Open a log") >= 1


async def test_a_pseudonymised_export_holds_no_player_name(replay_server: ServerProcess) -> None:
    async with Api(replay_server.url) as api:
        game = await play_game(replay_server, api)
        response = await api.http.get(
            f"/api/tables/{game.table_id}/export", params={"pseudonymise": "true"}, headers=bearer(game.token)
        )
        assert response.status_code == 200
        text = response.text
        for name in NAMES:
            for part in (name, *name.split()):
                assert not _word(part).search(text), f"{part!r} is in the pseudonymised log"
        log = read_archive(text).tables[0]
        assert log.header.table.pseudonymised
        assert sorted(p.name for p in log.final.players.values()) == [f"Spiller {n}" for n in range(1, 5)]
        chat = [line.text for line in log.final.chat.recent()] if log.final.chat else []
        assert "Spiller 1, kan du leve med #SK-01?" in chat
        assert "Ja, hvis Spiller 2s ønske kommer med." in chat
        assert "Velkommen, Spiller 1 og Spiller 2!" in chat


async def test_export_is_for_the_facilitator_of_the_conference_only(replay_server: ServerProcess) -> None:
    async with Api(replay_server.url) as api:
        conference = await api.create_conference()
        other = await api.create_conference()
        player = await api.join(conference.join_code, "Anna")
        url = f"/api/tables/{conference.table_id}/export"
        assert (await api.http.get(url)).status_code == 401
        assert (await api.http.get(url, headers=bearer("nonsense"))).status_code == 401
        assert (await api.http.get(url, headers=bearer(player.token))).status_code == 403
        assert (await api.http.get(url, headers=bearer(other.facilitator_token))).status_code == 403
        assert (await api.http.get(url, headers=bearer(conference.facilitator_token))).status_code == 200
        conf_url = f"/api/conferences/{conference.conference_id}/export"
        assert (await api.http.get(conf_url, headers=bearer(other.facilitator_token))).status_code == 403
        missing = await api.http.get("/api/tables/nosuchtable/export", headers=bearer(conference.facilitator_token))
        assert missing.status_code == 403  # not this facilitator's table: unknown tables look the same


async def test_a_conference_exports_in_one_file_and_imports_as_one_replay_per_table(
    replay_server: ServerProcess,
) -> None:
    async with Api(replay_server.url) as api:
        game = await play_game(replay_server, api)
        response = await api.http.get(
            f"/api/conferences/{game.conference.conference_id}/export", headers=bearer(game.token)
        )
        assert response.status_code == 200, response.text
        text = response.text
        archive = read_archive(text)
        assert archive.conference is not None
        assert archive.conference.tables == 2
        assert [t.header.table.table_id for t in archive.tables] == [t["table_id"] for t in game.conference.tables]
        assert archive.render() == text

        # A broken second table: refused with its line, and the fine first table is not imported either.
        lines = text.split("\n")
        second = 1 + 1 + archive.tables[0].total  # conference line, first header, its events
        lines[second + 1] = lines[second + 1].replace('"game_created"', '"game_kreated"', 1)
        refused = await api.http.post("/api/replays", content="\n".join(lines).encode())
        assert refused.status_code == 422
        detail = refused.json()["detail"]
        assert detail["code"] == "replay.invalid"
        assert detail["line"] == second + 2
        assert detail["message"].startswith(f"line {second + 2}: ")
        first_id = replay_id_of(archive.tables[0].render())
        assert (await api.http.get(f"/api/replays/{first_id}")).status_code == 404

        uploaded = await api.http.post("/api/replays", content=text.encode())
        assert uploaded.status_code == 201
        replays = uploaded.json()["replays"]
        assert [r["table_name"] for r in replays] == ["Bord 1", "Bord 2"]
        assert replays[0]["replay_id"] == first_id
        assert (await api.http.get(f"/api/replays/{first_id}")).status_code == 200


async def test_uploads_that_are_not_logs_are_refused(replay_server: ServerProcess) -> None:
    async with Api(replay_server.url) as api:
        for body, line in ((b"", 1), (b"hello\n", 1), (b'{"format":"raaderum-log"}\n', 1), (b"\n\xff\xfe", 2)):
            response = await api.http.post("/api/replays", content=body)
            assert response.status_code == 422, body
            assert response.json()["detail"]["line"] == line


# ---- the command line ----------------------------------------------------------------------------


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RAADERUM), *args], capture_output=True, text=True, input=stdin, timeout=120, check=False)


async def test_the_command_line_exports_what_http_exports_and_replays_it_as_text(
    replay_server: ServerProcess, tmp_path: Path
) -> None:
    async with Api(replay_server.url) as api:
        game = await play_game(replay_server, api)
        over_http = await api.http.get(f"/api/tables/{game.table_id}/export", headers=bearer(game.token))
        pseudo_http = await api.http.get(
            f"/api/tables/{game.table_id}/export", params={"pseudonymise": "1"}, headers=bearer(game.token)
        )
        conference_http = await api.http.get(
            f"/api/conferences/{game.conference.conference_id}/export", headers=bearer(game.token)
        )
    store = ["--store", replay_server.store_url]
    out = tmp_path / "bord1.jsonl"
    done = _run("export", "--table", game.table_id, "--out", str(out), *store)
    assert done.returncode == 0, done.stderr
    assert "Eksporteret: Bord 1" in done.stderr
    assert out.read_bytes() == over_http.content
    done = _run("export", "--table", game.table_id, "--out", "-", "--pseudonymise", *store)
    assert done.returncode == 0
    assert done.stdout == pseudo_http.text
    whole = tmp_path / "conference.jsonl"
    done = _run("export", "--conference", game.conference.conference_id, "--out", str(whole), *store)
    assert done.returncode == 0
    assert whole.read_text(encoding="utf-8") == conference_http.text
    assert _run("export", "--out", "x.jsonl", *store).returncode == 2
    missing = _run("export", "--table", "nosuchtable", "--out", str(tmp_path / "x.jsonl"), *store)
    assert missing.returncode == 1
    assert "no table 'nosuchtable'" in missing.stderr

    danish = _run("replay", str(out))
    assert danish.returncode == 0, danish.stderr
    assert "Debriefing · Korsbæk Kommune · Bord 1" in danish.stdout
    assert re.search(r"2027 +20,0 mio\. kr\. ", danish.stdout)
    english = _run("replay", str(out), "--lang", "en")
    assert "Debrief · Korsbæk Municipality · Bord 1" in english.stdout
    assert "DKK 20.0m" in english.stdout
    both = _run("replay", str(whole))
    assert both.stdout.count("Debriefing · Korsbæk Kommune") == 2
    assert _run("replay", "-", stdin=out.read_text(encoding="utf-8")).stdout == danish.stdout

    broken = tmp_path / "broken.jsonl"
    lines = out.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3][:40]
    broken.write_text("\n".join(lines), encoding="utf-8")
    refused = _run("replay", str(broken))
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"{broken}: line 4: not JSON")


def test_replay_serve_opens_a_read_only_viewer_for_the_file(tmp_path: Path, log_v1_text: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(RAADERUM), "replay", "tests/fixtures/log-v1.jsonl", "--serve", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        header = process.stdout.readline()
        assert header.startswith("Genafspilning"), header
        line = process.stdout.readline()
        match = re.search(r"Bord 1: (http://127\.0\.0\.1:\d+/replay/([0-9a-f]{20}))", line)
        assert match, line
        url, replay_id = match.groups()
        with httpx.Client(timeout=2) as http:
            for _ in range(200):
                try:
                    if http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            assert http.get(url).status_code == 200
            assert http.get(f"http://127.0.0.1:{port}/api/replays/{replay_id}/at/42").json()["debrief"]
            assert http.get(f"http://127.0.0.1:{port}/api/replays/{replay_id}/export").text == log_v1_text
    finally:
        process.terminate()
        process.wait(15)
        if process.stdout is not None:
            process.stdout.close()
