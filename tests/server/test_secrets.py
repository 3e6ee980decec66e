"""Roles over real websockets (rules 3, issue 13): public at the table, as in a byråd, by any path; the hjertesager
stay secret (tests/server/test_hjertesager_secret.py). Games created under rules 1-2 keep each player's role
to itself (tests/engine/test_voting.py)."""

from __future__ import annotations

from tests.server.helpers import Api, ServerProcess, connect_as


async def test_roles_dealt_shows_every_player_every_role(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    table_id = conference.table_id
    players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    ids = [p.player_id for p in players]
    facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
    clients = [await connect_as(server, table_id, p.token, label=p.name) for p in players]
    try:
        ack = await facilitator.ok("start_round")
        for client in [facilitator, *clients]:
            await client.wait_seq(ack["seq"])

        (all_roles,) = [event for _, kind, event in facilitator.events if kind == "roles_dealt"]
        assignments = all_roles["assignments"]
        assert set(assignments) == set(ids)
        assert "borgmester" in assignments.values()  # the deck's required role is always dealt
        assert len(set(assignments.values())) == 3

        for player, client in zip(players, clients, strict=True):
            (seen,) = [event for _, kind, event in client.events if kind == "roles_dealt"]
            assert seen["assignments"] == assignments, player.name
            # Its own hjertesager come in the snapshot sent right after: the view has everyone's role.
            view = client.snapshots[-1]["view"]
            assert {p["id"]: p["role"] for p in view["players"]} == assignments
            assert view["voters"][next(pid for pid, role in assignments.items() if role == "borgmester")] == 2

        # The log keeps the whole truth.
        log = await api.events(table_id, conference.facilitator_token)
        (logged,) = [e["data"] for e in log if e["type"] == "roles_dealt"]
        assert logged["assignments"] == assignments
    finally:
        for client in [facilitator, *clients]:
            await client.close()

    # A late snapshot shows every role, to the players and the facilitator alike.
    for player in [*players, None]:
        token = player.token if player else conference.facilitator_token
        late = await connect_as(server, table_id, token, after=0, label="late-snapshot")
        try:
            (snapshot,) = late.snapshots
            view = snapshot["view"]
            assert {p["id"]: p["role"] for p in view["players"]} == assignments
            if player is not None:
                assert view["your_role"] == assignments[player.player_id]
        finally:
            await late.close()


async def test_a_resume_that_missed_its_own_role_gets_a_snapshot_and_later_ones_replay(
    server: ServerProcess, api: Api
) -> None:
    """A player whose role was dealt while it was away is sent a snapshot (its hjertesager are only in its
    view); one that missed only later events gets them replayed."""
    conference = await api.create_conference()
    table_id = conference.table_id
    players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
    try:
        await facilitator.ok("start_round")
        log = await api.events(table_id, conference.facilitator_token)
        (assignments,) = [e["data"]["assignments"] for e in log if e["type"] == "roles_dealt"]
        anna = players[0]
        replay = await connect_as(server, table_id, anna.token, after=1, label="anna-resume")
        try:
            (snapshot,) = replay.snapshots
            assert snapshot["seq"] == len(log)
            assert snapshot["view"]["your_role"] == assignments[anna.player_id]
            assert snapshot["view"]["your_hjertesager"]
            assert replay.events == []
        finally:
            await replay.close()
        await facilitator.ok("announce", text="Kaffe om fem minutter.")
        later = await connect_as(server, table_id, anna.token, after=len(log), label="anna-later")
        try:
            assert later.snapshots == []
            assert [kind for _, kind, _ in later.events] == ["announcement_made"]
        finally:
            await later.close()
    finally:
        await facilitator.close()
