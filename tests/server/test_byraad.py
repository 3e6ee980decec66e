"""Byråd mode over a real server (issue 13 item 5): a conference of byråd tables with parties, members put in
parties at join and by the facilitator, roles by hand, votes counted in mandates, and a member whose
connection drops keeps their seat and their votes when they come back."""

from __future__ import annotations

from typing import Any

from tests.server.helpers import Api, Player, ServerProcess, bearer, connect_as
from tests.server.test_hjertesager_secret import ALL_TEXTS, DECK, hjertesag_texts, leaked

PARTIES = [
    {"id": "a", "name": {"da": "Socialdemokratiet", "en": "Social Democrats"}, "mandates": 9},
    {"id": "v", "name": {"da": "Venstre", "en": "Liberals"}, "mandates": 7},
    {"id": "c", "name": {"da": "Konservative", "en": "Conservatives"}, "mandates": 4},
    {"id": "f", "name": {"da": "SF", "en": "SF"}, "mandates": 3},
    {"id": "o", "name": {"da": "Dansk Folkeparti", "en": "Danish People's Party"}, "mandates": 2},
    {"id": "oe", "name": {"da": "Enhedslisten", "en": "Red-Green Alliance"}, "mandates": 2},
]
CARDS = ["ÆL-04", "AD-03", "AD-02", "ÆL-01", "TM-02", "ÆL-U1", "SK-04", "DT-02", "ÆL-05"]


async def _action(api: Api, conference: Any, **body: Any) -> dict[str, Any]:
    response = await api.http.post(
        f"/api/conferences/{conference.conference_id}/actions",
        json={"table_ids": [conference.table_id], **body},
        headers=bearer(conference.facilitator_token),
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    return result  # type: ignore[no-any-return]


async def _join(api: Api, code: str, name: str, party: str | None) -> Player:
    response = await api.http.post("/api/join", json={"code": code, "name": name, "party": party})
    assert response.status_code == 200, response.text
    body = response.json()
    return Player(name, body["table_id"], body["player_id"], body["token"])


async def test_a_byraad_table_counts_mandates_and_a_dropped_member_keeps_seat_and_vote(
    server: ServerProcess, api: Api
) -> None:
    conference = await api.create_conference(byraad={"parties": PARTIES, "roles": "themselves"}, rule="majority")
    info = (
        await api.http.get(f"/api/conferences/{conference.conference_id}", headers=bearer(conference.facilitator_token))
    ).json()
    assert info["byraad"]["parties"][0]["mandates"] == 9
    assert info["byraad"]["roles"] == "themselves"

    # 16 members: A's nine and V's seven. Most pick their party at join; the last two get it from the facilitator.
    members = [await _join(api, conference.join_code, f"A{n}", "a") for n in range(1, 10)]
    members += [await _join(api, conference.join_code, f"V{n}", "v") for n in range(1, 6)]
    members += [await _join(api, conference.join_code, f"V{n}", None) for n in range(6, 8)]
    offered = (await api.http.get(f"/api/join/{conference.join_code}/parties")).json()["parties"]
    assert [(p["id"], p["mandates"], p["free"]) for p in offered[:3]] == [("a", 9, 0), ("v", 7, 2), ("c", 4, 4)]
    assert offered[0]["name"] == {"da": "Socialdemokratiet", "en": "Social Democrats"}
    unknown = await api.http.get("/api/join/ZZZZZZ/parties")
    assert unknown.json() == {"parties": []}  # the join itself says the code is wrong
    full = await api.http.post("/api/join", json={"code": conference.join_code, "name": "A10", "party": "a"})
    assert full.status_code == 409
    assert full.json()["detail"]["code"] == "party.full"
    for member in members[-2:]:
        result = await _action(api, conference, action="assign_party", player_id=member.player_id, party="v")
        assert result["ok"], result
    refused = await _action(api, conference, action="assign_role", player_id=members[0].player_id, role="borgmester")
    assert refused["code"] == "role.themselves"

    facilitator = await connect_as(server, conference.table_id, conference.facilitator_token, label="facilitator")
    started = await _action(api, conference, action="start_all")
    assert started["ok"], started
    await facilitator.wait_seq(started["seq"])

    clients = [await connect_as(server, m.table_id, m.token, label=m.name) for m in members]
    snapshot = clients[0].snapshots[-1]["view"]
    assert snapshot["voters"] == {m.player_id: 1 for m in members}
    assert snapshot["byraad"]["parties"][1]["id"] == "v"
    proposed = await clients[0].ok("propose", cards=CARDS)
    # 13 for: short of a majority of 27 whatever happens, so the vote stays open until the others vote.
    for client in clients[:13]:
        await client.ok("vote", proposal_id="F1", choice="for")
    dropped, dropped_member = clients[12], members[12]
    await dropped.wait_seq(proposed["seq"] + 13)
    last = dropped.last_seq
    await facilitator.wait_for(lambda f: f["type"] == "presence" and len(f["online"]) == len(members), what="all in")
    since = len(facilitator.frames)
    await dropped.close()
    gone = await facilitator.wait_for(
        lambda f: f["type"] == "presence" and dropped_member.player_id not in f["online"], since=since, what="the drop"
    )
    since = len(facilitator.frames)
    assert len(gone["online"]) == len(members) - 1

    # While away nothing is lost: the seat and the vote stay in the table's state.
    back = await connect_as(server, dropped_member.table_id, dropped_member.token, after=last, label="back")
    await facilitator.wait_for(
        lambda f: f["type"] == "presence" and dropped_member.player_id in f["online"], since=since, what="the return"
    )
    resumed = await connect_as(server, dropped_member.table_id, dropped_member.token, label="fresh")
    view = resumed.snapshots[-1]["view"]
    (me,) = [p for p in view["players"] if p["id"] == dropped_member.player_id]
    assert me["seated"] is True
    assert me["party"] == "v"
    (proposal,) = view["proposals"]
    assert proposal["votes"][dropped_member.player_id] == "for"
    assert proposal["tally"] == {"for_": 13, "against": 0, "abstain": 0, "total": 27, "outside": 0}
    assert view["you_may_vote"] is True

    # The returning member votes on (the same vote again records nothing), and a 14th vote makes the majority.
    again = await back.ok("vote", proposal_id="F1", choice="for")
    assert again["seq"] == last
    await clients[13].ok("vote", proposal_id="F1", choice="for")
    await clients[14].ok("vote", proposal_id="F1", choice="outside")
    adopted = await clients[15].ok("vote", proposal_id="F1", choice="against")
    await facilitator.wait_seq(adopted["seq"])
    kinds = [kind for _, kind, _ in facilitator.events]
    assert "proposal_adopted" in kinds
    (forlig,) = [event for _, kind, event in facilitator.events if kind == "proposal_adopted"]
    assert forlig["share_for"] == round(14 / 27, 4)


async def test_a_moved_member_keeps_their_party_where_it_has_a_free_mandate(api: Api) -> None:
    conference = await api.create_conference(tables=2, byraad={"parties": PARTIES})
    first, second = conference.tables
    anna = await _join(api, first["join_code"], "Anna", "o")
    await _join(api, second["join_code"], "Carl", "o")
    await _join(api, second["join_code"], "Dorte", "o")  # Dansk Folkeparti's two mandates are taken there
    erik = await _join(api, second["join_code"], "Erik", "v")

    async def move(player: Player, to: str) -> str | None:
        response = await api.http.post(
            f"/api/conferences/{conference.conference_id}/actions",
            json={
                "action": "move_player",
                "table_ids": [player.table_id],
                "player_id": player.player_id,
                "to_table": to,
            },
            headers=bearer(conference.facilitator_token),
        )
        assert all(result["ok"] for result in response.json()["results"]), response.text
        events = await api.events(to, conference.facilitator_token)
        party: str | None = [e["data"]["party"] for e in events if e["type"] == "player_joined"][-1]
        return party

    assert await move(erik, first["table_id"]) == "v"  # Venstre has mandates free at the first table
    assert await move(anna, second["table_id"]) is None  # Dansk Folkeparti's are all taken at the second


async def test_a_byraad_with_more_mandates_than_seats_is_refused(api: Api) -> None:
    response = await api.http.post(
        "/api/conferences",
        json={"name": "Byråd", "tables": 1, "byraad": {"parties": PARTIES, "seats": 20}, "language": "en"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == "game.seats_below_mandates"
    too_many = await api.http.post(
        "/api/conferences",
        json={"name": "Byråd", "tables": 1, "byraad": {"seats": 32}},
    )
    assert too_many.status_code == 422


async def test_roles_by_hand_in_the_control_room_and_31_seats(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference(byraad={})
    assert (await api.http.get(f"/api/join/{conference.join_code}/parties")).json() == {"parties": []}
    members = [await _join(api, conference.join_code, f"Medlem {n}", None) for n in range(1, 32)]
    full = await api.http.post("/api/join", json={"code": conference.join_code, "name": "Medlem 32"})
    assert full.status_code == 409, full.text
    assert full.json()["detail"]["code"] == "seat.table_full"
    assigned = await _action(api, conference, action="assign_role", player_id=members[4].player_id, role="borgmester")
    assert assigned["ok"], assigned
    taken = await _action(api, conference, action="assign_role", player_id=members[5].player_id, role="borgmester")
    assert taken["code"] == "role.taken"
    missing = await api.http.post(
        f"/api/conferences/{conference.conference_id}/actions",
        json={"action": "assign_role", "table_ids": [conference.table_id], "player_id": members[5].player_id},
        headers=bearer(conference.facilitator_token),
    )
    assert missing.status_code == 422
    watcher = await connect_as(server, members[30].table_id, members[30].token, label="watcher")
    started = await _action(api, conference, action="start_all")
    assert started["ok"]
    await watcher.wait_seq(started["seq"])
    mayor = await connect_as(server, members[4].table_id, members[4].token, label="mayor")
    events = await api.events(conference.table_id, conference.facilitator_token)
    # Hjertesager stay secret with roles given by hand: the mayor's are in the mayor's view only.
    own = hjertesag_texts(DECK, "borgmester")
    assert any(leaked(raw, own) == own for raw in mayor.raw)
    dealt_to = {
        pid: role for e in events if e["type"] == "roles_dealt" for pid, role in e["data"]["assignments"].items()
    }
    watcher_role = dealt_to.get(members[30].player_id)  # 31 members, 8 roles: most play as themselves
    secret = ALL_TEXTS - (hjertesag_texts(DECK, watcher_role) if watcher_role else set())
    assert not any(leaked(raw, secret) for raw in watcher.raw)
    dealt = [e["data"]["assignments"] for e in events if e["type"] == "roles_dealt"]
    assert dealt[0] == {members[4].player_id: "borgmester"}
    assert members[4].player_id not in dealt[1]
    assert "borgmester" not in dealt[1].values()
