"""Secret roles (the default deck) over real websockets: each player sees only its own role, by any path."""

from __future__ import annotations

from tests.server.helpers import Api, ServerProcess, connect_as


async def test_roles_dealt_shows_each_player_only_its_own_role(server: ServerProcess, api: Api) -> None:
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
            (mine,) = [event for _, kind, event in client.events if kind == "roles_dealt"]
            assert mine["assignments"] == {player.player_id: assignments[player.player_id]}, player.name
            hidden = {role for pid, role in assignments.items() if pid != player.player_id}
            leaked = [text for text in client.raw for role in hidden if f'"{role}"' in text]
            assert not leaked, f"{player.name} saw another player's role: {leaked}"

        # The log keeps the whole truth.
        log = await api.events(table_id, conference.facilitator_token)
        (logged,) = [e["data"] for e in log if e["type"] == "roles_dealt"]
        assert logged["assignments"] == assignments
    finally:
        for client in [facilitator, *clients]:
            await client.close()

    # A snapshot hides the other players' roles; the facilitator's shows all of them.
    for player in players:
        late = await connect_as(server, table_id, player.token, after=0, label=f"{player.name}-snapshot")
        try:
            (snapshot,) = late.snapshots
            view = snapshot["view"]
            assert view["your_role"] == assignments[player.player_id]
            roles = {p["id"]: p["role"] for p in view["players"]}
            assert roles == {pid: (assignments[pid] if pid == player.player_id else None) for pid in ids}
        finally:
            await late.close()
    watcher = await connect_as(server, table_id, conference.facilitator_token, after=0, label="facilitator-snapshot")
    try:
        (snapshot,) = watcher.snapshots
        assert {p["id"]: p["role"] for p in snapshot["view"]["players"]} == assignments
    finally:
        await watcher.close()


async def test_replayed_events_hide_other_players_roles(server: ServerProcess, api: Api) -> None:
    """Resume sends stored events: they go through the same filter as live ones."""
    conference = await api.create_conference()
    table_id = conference.table_id
    players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
    try:
        await facilitator.ok("start_round")
    finally:
        await facilitator.close()
    log = await api.events(table_id, conference.facilitator_token)
    (assignments,) = [e["data"]["assignments"] for e in log if e["type"] == "roles_dealt"]

    anna = players[0]
    replay = await connect_as(server, table_id, anna.token, after=1, label="anna-replay")
    try:
        assert replay.snapshots == []
        assert [kind for _, kind, _ in replay.events] == [e["type"] for e in log[1:]]
        (dealt,) = [event for _, kind, event in replay.events if kind == "roles_dealt"]
        assert dealt["assignments"] == {anna.player_id: assignments[anna.player_id]}
        hidden = {role for pid, role in assignments.items() if pid != anna.player_id}
        assert not [text for text in replay.raw for role in hidden if f'"{role}"' in text]
    finally:
        await replay.close()
