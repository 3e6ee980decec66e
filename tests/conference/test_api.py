"""The conference API: setup, every facilitator action in each affected table's own log, moderation, the
overview and its live channel."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import httpx

from engine.deck import DEFAULT_DECK_PATH
from server.api.monitor import OverviewFrame, TablesFrame
from tests.conference.conftest import StartServer, Watch, new_conference, rows_of
from tests.server.helpers import Api, ServerProcess, bearer, connect_as

BALANCED = ["ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "ÆL-U1", "SK-04", "DT-02", "ÆL-05"]


async def test_thirty_tables_get_thirty_distinct_join_codes(api: Api) -> None:
    fac, _ = await new_conference(api, 30, name="Norddjurs borgermøde", round_seconds=900, language="da")
    codes = [t["join_code"] for t in fac.conference.tables]
    assert len(codes) == 30
    assert len(set(codes)) == 30
    assert len({t["table_id"] for t in fac.conference.tables}) == 30
    info = (await fac.get()).json()
    assert info["name"] == "Norddjurs borgermøde"
    assert info["round_seconds"] == 900
    assert [t["join_code"] for t in info["tables"]] == codes
    assert [t["name"] for t in info["tables"]] == [f"Bord {n}" for n in range(1, 31)]
    assert all(t["join_url"] == f"{info['join_base']}/join/{t['join_code']}" for t in info["tables"])
    # Each code seats its player at its own table.
    for table in info["tables"][::7]:
        player = await api.join(table["join_code"].lower(), "Test")
        assert player.table_id == table["table_id"]


async def test_every_action_lands_in_each_affected_tables_log(api: Api) -> None:
    fac, _ = await new_conference(api, 3, players=3, round_seconds=600)
    one, two, three = fac.table_ids

    async def after(action: str, tables: list[str] | None = None, **fields: object) -> dict[str, list[str]]:
        """The event types each table's log gained from one action."""
        before = {t: await fac.version(t) for t in fac.table_ids}
        await fac.ok(action, **({"table_ids": tables} if tables else {}), **fields)
        return {t: await fac.types(t, before[t]) for t in fac.table_ids}

    assert await after("start_all") == {t: ["roles_dealt", "round_started"] for t in fac.table_ids}
    assert await after("announce", text="Velkommen til Norddjurs!") == {t: ["announcement_made"] for t in fac.table_ids}
    assert await after("pause") == {t: ["round_paused"] for t in fac.table_ids}
    assert await after("extend", seconds=120) == {t: ["deadline_set"] for t in fac.table_ids}
    assert await after("resume") == {t: ["round_resumed"] for t in fac.table_ids}
    assert await after("set_deadline", seconds=900) == {t: ["deadline_set"] for t in fac.table_ids}
    assert await after("end_round", [one]) == {one: ["round_ended"], two: [], three: []}
    assert await after("next_round", [one]) == {one: ["round_started"], two: [], three: []}
    # Tables still in round 1 end it first; table 1 (round 2) ends its round too and goes on to round 3.
    assert await after("next_round") == {t: ["round_ended", "round_started"] for t in fac.table_ids}
    assert await after("end_game") == {t: ["round_ended", "reality_checked"] for t in fac.table_ids}
    assert await after("show_debrief") == {t: ["debrief_shown"] for t in fac.table_ids}
    for table_id in fac.table_ids:
        log = await fac.log(table_id)
        announcement = next(e for e in log if e["type"] == "announcement_made")
        assert announcement["data"]["text"] == "Velkommen til Norddjurs!"
        paused = next(e for e in log if e["type"] == "round_paused")
        assert 0 < paused["data"]["remaining"] <= 600
        started = [e["data"]["round"] for e in log if e["type"] == "round_started"]
        assert started == ([1, 2, 3] if table_id == one else [1, 2])


async def test_a_table_in_the_wrong_phase_says_why_and_the_others_go_on(api: Api) -> None:
    fac, _ = await new_conference(api, 3, players=3)
    await fac.ok("start_all", table_ids=[fac.table_ids[0]])
    response = await fac.action("start_all")
    results = {r["table_id"]: r for r in response.json()["results"]}
    assert results[fac.table_ids[0]]["ok"] is False
    assert results[fac.table_ids[0]]["code"] == "round.still_open"
    assert results[fac.table_ids[1]]["ok"]
    assert results[fac.table_ids[2]]["ok"]
    english = await fac.http.post(
        f"/api/conferences/{fac.id}/actions?lang=en", json={"action": "resume"}, headers=bearer(fac.token)
    )
    assert {r["message"] for r in english.json()["results"]} == {"The round is not paused."}


async def test_a_retried_action_is_applied_once(api: Api) -> None:
    fac, _ = await new_conference(api, 2, players=3)
    await fac.ok("start_all")
    first = await fac.action("announce", text="Kaffe!", action_id="announce-1")
    again = await fac.action("announce", text="Kaffe!", action_id="announce-1")
    assert [r["duplicate"] for r in first.json()["results"]] == [False, False]
    assert [r["duplicate"] for r in again.json()["results"]] == [True, True]
    assert [r["seq"] for r in again.json()["results"]] == [r["seq"] for r in first.json()["results"]]
    for table_id in fac.table_ids:
        assert (await fac.types(table_id)).count("announcement_made") == 1
    other = await fac.action("announce", text="Kaffe!", action_id="announce-2")
    assert all(not r["duplicate"] for r in other.json()["results"])


async def test_an_action_must_have_what_it_needs(api: Api) -> None:
    fac, _ = await new_conference(api, 2)
    cases = [
        ({"action": "announce"}, "action.invalid"),
        ({"action": "extend"}, "action.invalid"),
        ({"action": "start_all", "table_ids": ["nope"]}, "action.unknown_table"),
        ({"action": "hide_message", "seq": 3}, "action.invalid"),  # one table only
        ({"action": "call_vote", "table_ids": fac.table_ids[:1]}, "action.invalid"),  # which proposal
        ({"action": "call_vote", "proposal_id": "F1"}, "action.invalid"),  # one table only
        ({"action": "move_player", "player_id": "x", "table_ids": [fac.table_ids[0]]}, "action.invalid"),
        (
            {"action": "move_player", "player_id": "x", "table_ids": fac.table_ids[:1], "to_table": fac.table_ids[0]},
            "action.invalid",
        ),
    ]
    for body, code in cases:
        response = await fac.http.post(f"/api/conferences/{fac.id}/actions", json=body, headers=bearer(fac.token))
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]["code"] == code, (body, response.text)
    response = await fac.http.post(
        f"/api/conferences/{fac.id}/actions", json={"action": "dance"}, headers=bearer(fac.token)
    )
    assert response.status_code == 422


async def test_moderation_hide_remove_and_move_are_events_in_the_tables_logs(server: ServerProcess, api: Api) -> None:
    fac, seated = await new_conference(api, 3, players=3)
    one, two, three = fac.table_ids
    await fac.ok("start_all")
    anna, bo, _ = seated[0]
    async with await connect_as(server, one, anna.token) as a, await connect_as(server, one, bo.token) as b:
        await a.ok("chat", text="Noget grimt")
        line = a.last_seq
        await b.wait_seq(line)
        # Hide: an event in table 1's log only; Bo's client is told to drop the line.
        await fac.ok("hide_message", table_ids=[one], seq=line)
        hidden = await b.wait_for(lambda f: f["type"] == "event" and f["event"]["type"] == "message_hidden")
        assert hidden["event"]["seq"] == line
        # A client that comes back gets no text: not in the snapshot, blank in the missed events.
        async with await connect_as(server, one, bo.token) as fresh:
            assert all(c["text"] != "Noget grimt" for c in fresh.snapshots[0]["view"]["chat"])
        async with await connect_as(server, one, bo.token, after=line - 1) as resumed:
            posted = [e for s, kind, e in resumed.events if s == line]
            assert posted
            assert posted[0]["type"] == "message_posted"
            assert posted[0]["text"] == ""
        # Remove: Bo's seat and votes go, like a leave, and his token no longer opens the table (issue 17).
        await fac.ok("remove_player", table_ids=[one], player_id=bo.player_id)
        await b.wait_for(lambda f: f["type"] == "event" and f["event"]["type"] == "player_removed")
        assert await b.wait_closed() == 4001
    removed = (await fac.log(one))[-1]
    assert removed["type"] == "player_removed"
    assert removed["data"] == {
        "type": "player_removed",
        "at": removed["data"]["at"],
        "player_id": bo.player_id,
        "moved_to": None,
    }
    refused = await fac.action("remove_player", table_ids=[one], player_id=bo.player_id)
    assert refused.json()["results"][0]["code"] == "player.not_seated"
    assert [e["type"] for e in await fac.log(two) if e["type"] in ("message_hidden", "player_removed")] == []

    # Move: Carl leaves table 2 and sits down at table 3 under his name; his phone trades its token.
    carl = seated[1][2]
    before_two, before_three = await fac.version(two), await fac.version(three)
    results = await fac.ok("move_player", table_ids=[two], player_id=carl.player_id, to_table=three, action_id="m1")
    assert [r["table_id"] for r in results] == [two, three]
    [left] = await fac.log(two, before_two)
    assert left["type"] == "player_removed"
    assert left["data"]["moved_to"] == three
    [joined, dealt] = await fac.log(three, before_three)
    assert joined["type"] == "player_joined"
    assert joined["data"]["name"] == carl.name
    assert dealt["type"] == "roles_dealt"
    assert joined["data"]["player_id"] in dealt["data"]["assignments"]
    again = await fac.ok("move_player", table_ids=[two], player_id=carl.player_id, to_table=three, action_id="m1")
    assert all(r["duplicate"] for r in again)
    assert await fac.version(three) == before_three + 2, "a retried move seats nobody twice"
    moved = await fac.http.post(f"/api/tables/{two}/follow-move", headers=bearer(carl.token))
    assert moved.status_code == 200, moved.text
    seat = moved.json()
    assert seat["table_id"] == three
    assert seat["player_id"] == joined["data"]["player_id"]
    assert seat["join_code"] == fac.conference.tables[2]["join_code"]
    async with await connect_as(server, three, seat["token"]) as c:
        assert c.snapshots[0]["view"]["you"] == seat["player_id"]
        await c.ok("chat", text="Hej bord 3")
    not_moved = await fac.http.post(f"/api/tables/{one}/follow-move", headers=bearer(anna.token))
    assert not_moved.status_code == 404
    assert not_moved.json()["detail"]["code"] == "move.none"


async def test_the_facilitator_calls_a_vote_from_the_control_room(server: ServerProcess, api: Api) -> None:
    """Rules 3: `call_vote` decides an open proposal now on the votes cast; nobody alone makes a forlig."""
    fac, seated = await new_conference(api, 1, players=3)
    (table,) = fac.table_ids
    await fac.ok("start_all")
    anna = seated[0][0]
    async with await connect_as(server, table, anna.token) as a:
        await a.ok("propose", cards=BALANCED)
        before = await fac.version(table)
        results = await fac.ok("call_vote", table_ids=[table], proposal_id="F1")
        assert results[0]["seq"] == before + 1
    (decided,) = await fac.log(table, before)
    assert decided["type"] == "proposal_rejected"  # no votes cast: called, it is voted down
    again = await fac.action("call_vote", table_ids=[table], proposal_id="F1")
    assert again.json()["results"][0]["code"] == "proposal.not_open"


async def test_a_move_to_a_full_table_changes_nothing(api: Api) -> None:
    fac, seated = await new_conference(api, 2, players=3)
    for n in range(5):
        await api.join(fac.conference.tables[1]["join_code"], f"Fyld {n}")  # table 2 has its 8 seats taken
    before = [await fac.version(t) for t in fac.table_ids]
    response = await fac.action("move_player", table_ids=[fac.table_ids[0]], player_id=seated[0][0].player_id,
                                to_table=fac.table_ids[1])  # fmt: skip
    assert {r["code"] for r in response.json()["results"]} == {"seat.table_full"}
    assert [await fac.version(t) for t in fac.table_ids] == before


async def test_the_overview_shows_every_table(server: ServerProcess, api: Api) -> None:
    fac, seated = await new_conference(api, 3, players=3, round_seconds=120)
    await fac.ok("start_all", table_ids=fac.table_ids[:2])
    anna = seated[0][0]
    async with (
        await connect_as(server, fac.table_ids[0], fac.token) as desk,
        await connect_as(server, fac.table_ids[0], anna.token) as a,
    ):
        await a.ok("propose", cards=BALANCED)
        await desk.ok("force_adopt", proposal_id="F1")
        # Rules 3: a forlig does not end the round; the overview shows it while the round goes on.
        during = rows_of((await fac.get("/overview")).json())[fac.table_ids[0]]
        assert (during["phase"], during["forlig"]) == ("round", "F1")
        await desk.ok("end_round")
        async with await connect_as(server, fac.table_ids[1], seated[1][0].token) as b:
            await b.ok("propose", cards=["ÆL-01"])
        await fac.ok("pause", table_ids=[fac.table_ids[1]])
        response = await fac.get("/overview")
        assert response.status_code == 200
        rows = rows_of(response.json())
    first, second, third = (rows[t] for t in fac.table_ids)
    assert [r["number"] for r in (first, second, third)] == [1, 2, 3]
    assert first["phase"] == "round_ended"
    assert first["forlig"] == "F1"
    assert first["round"] == 1
    assert first["result"] is not None
    assert first["reached"] == [v >= 0 for v in first["result"]]
    assert first["seated"] == 3
    assert first["online"] == 1
    assert second["phase"] == "round"
    assert second["paused"]
    assert second["deadline"] is None
    assert second["proposals_open"] == 1
    assert first["proposals_open"] == 0
    assert 0 < second["remaining"] <= 120
    assert third["phase"] == "lobby"
    assert third["round"] is None
    assert third["forlig"] is None
    assert "offline" in third["flags"]
    assert "offline" in second["flags"]
    assert first["last_activity"] is not None
    assert first["join_code"] == fac.conference.tables[0]["join_code"]


async def test_the_live_overview_sends_only_changed_rows_and_coalesces_them(server: ServerProcess, api: Api) -> None:
    fac, seated = await new_conference(api, 4, players=3)
    await fac.ok("start_all")
    watch = await Watch.open(server, fac.id, fac.token)
    try:
        overview = await watch.wait_for(lambda f: f["type"] == "overview")
        OverviewFrame.model_validate(overview)  # what docs/protocol/conference/overview.schema.json describes
        assert set(rows_of(overview)) == set(fac.table_ids)
        assert all(row["phase"] == "round" for row in overview["tables"])
        anna = seated[2][0]
        async with await connect_as(server, fac.table_ids[2], anna.token) as a:
            since = len(watch.frames)
            started = time.monotonic()
            update = await watch.wait_for(lambda f: f["type"] == "tables", since=since)
            TablesFrame.model_validate(update)
            assert set(rows_of(update)) == {fac.table_ids[2]}, "only the table whose player came online"
            assert rows_of(update)[fac.table_ids[2]]["online"] == 1
            assert time.monotonic() - started < 1.0
            # A burst of 30 chat lines at one table arrives as a handful of frames, the last one current.
            since, acked = len(watch.frames), len(a.frames)
            for n in range(30):
                await a.command("chat", text=f"Linje {n}")
            await a.wait_for_many(lambda f: f["type"] == "ack", 30, since=acked)
            last = a.last_seq
            await watch.wait_for(
                lambda f: f["type"] == "tables" and rows_of(f).get(fac.table_ids[2], {}).get("seq") == last, since=since
            )
            burst = [f for f in watch.frames[since:] if f["type"] == "tables"]
            assert 1 <= len(burst) <= 8, len(burst)
            assert all(set(rows_of(f)) == {fac.table_ids[2]} for f in burst)
        pong = len(watch.frames)
        await watch.ws.send('{"type": "ping", "id": "p1"}')
        await watch.wait_for(lambda f: f == {"type": "pong", "id": "p1"}, since=pong)
    finally:
        await watch.close()


async def test_the_projector_watches_the_same_grid(server: ServerProcess, api: Api) -> None:
    fac, _ = await new_conference(api, 2)
    projector = (await fac.http.post(f"/api/conferences/{fac.id}/projector-token", headers=bearer(fac.token))).json()[
        "token"
    ]
    watch = await Watch.open(server, fac.id, projector)
    try:
        overview = await watch.wait_for(lambda f: f["type"] == "overview")
        assert len(overview["tables"]) == 2
        await api.join(fac.conference.tables[0]["join_code"], "Dorthe")
        update = await watch.wait_for(lambda f: f["type"] == "tables")
        assert rows_of(update)[fac.table_ids[0]]["seated"] == 1
        assert "Dorthe" not in str(watch.frames), "the overview holds no names"
    finally:
        await watch.close()


async def test_a_paused_round_refuses_proposals_over_the_wire(server: ServerProcess, api: Api) -> None:
    fac, seated = await new_conference(api, 1, players=3)
    await fac.ok("start_all")
    await fac.ok("pause")
    async with await connect_as(server, fac.table_ids[0], seated[0][0].token) as a:
        assert await a.error("propose", cards=BALANCED) == "round.paused"
        await a.ok("chat", text="Vi venter")
        assert a.snapshots[0]["view"]["round"]["paused"] is True
    await fac.ok("resume")


async def test_the_qr_code_is_an_svg_of_the_join_link(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/join/qp8453/qr.svg")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.text.startswith("<svg")
        assert f"{server.url}/join/QP8453" in response.text
        assert (await http.get("/join/no%20way!/qr.svg")).status_code == 404


async def test_the_conference_pages_hold_no_token(server: ServerProcess, api: Api) -> None:
    fac, _ = await new_conference(api, 1)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for path in (
            "/conference/new",
            f"/control/{fac.id}",
            f"/projector/{fac.id}",
            f"/conference/{fac.id}/sheets",
            f"/conference/{fac.id}/debrief",
        ):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert fac.token not in response.text
            assert "Content-Security-Policy" in response.headers
        english = await http.get(f"/control/{fac.id}?lang=en")
        assert "Control room" in english.text
        danish = await http.get(f"/control/{fac.id}?lang=da")
        assert "Kontrolrum" in danish.text
        catalog = (await http.get("/i18n/conference/da.json")).json()["messages"]
        assert catalog["Start all"] == "Start alle"
        assert catalog["Chat"] == "Chat"


async def test_sixty_busy_tables_reach_the_control_room_as_a_few_frames_a_second(
    server: ServerProcess, api: Api
) -> None:
    fac, seated = await new_conference(api, 60, players=1)
    watch = await Watch.open(server, fac.id, fac.token)
    clients = []
    try:
        overview = await watch.wait_for(lambda f: f["type"] == "overview")
        assert len(overview["tables"]) == 60
        clients = await asyncio.gather(
            *(connect_as(server, t, players[0].token) for t, players in zip(fac.table_ids, seated, strict=True))
        )
        await asyncio.sleep(0.5)
        since = len(watch.frames)
        started = time.monotonic()
        for round_ in range(10):  # every table busy: 10 chat lines each, 600 events in all
            await asyncio.gather(*(c.command("chat", text=f"{round_}") for c in clients))
            await asyncio.sleep(0.05)
        for client in clients:
            await client.wait_for_many(lambda f: f["type"] == "ack", 10)
        versions = {table_id: client.last_seq for table_id, client in zip(fac.table_ids, clients, strict=True)}
        deadline = time.monotonic() + 5
        while True:
            latest: dict[str, int] = {}
            for frame in watch.frames:
                if frame["type"] in ("overview", "tables"):
                    latest.update({row["table_id"]: row["seq"] for row in frame["tables"]})
            if latest == versions or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert latest == versions, "the grid caught up with every table"
        elapsed = time.monotonic() - started
        frames = [f for f in watch.frames[since:] if f["type"] == "tables"]
        assert len(frames) <= elapsed / 0.25 + 3, (len(frames), elapsed)
        assert sum(len(f["tables"]) for f in frames) < 600, "coalesced: fewer rows than events"
    finally:
        for client in clients:
            await client.close()
        await watch.close()


async def test_the_setup_page_offers_the_decks_that_load_and_skips_the_others(
    start_server: StartServer, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    shutil.copytree(DEFAULT_DECK_PATH, decks / "korsbaek")
    (decks / "broken").mkdir()
    (decks / "broken" / "scenario.toml").write_text("[scenario\n")  # not TOML: the deck has a problem
    shutil.copytree(DEFAULT_DECK_PATH, decks / "no deck id")  # a folder name that is no deck id
    server = start_server(env={"RAADERUM_DECKS_DIR": str(decks)})
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/conference/new")
    assert page.status_code == 200
    assert 'value="korsbaek"' in page.text
    assert 'value="broken"' not in page.text
    assert 'value="no deck id"' not in page.text
