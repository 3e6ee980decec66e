"""The voting figures over real websockets: an event frame carries what the event changed in them (the engine's
`derived`), the same bytes for every player, and a resumed client gets them as they went out live."""

from __future__ import annotations

from tests.server.helpers import Api, ServerProcess, connect_as


async def test_event_frames_carry_the_voting_figures_and_a_resume_replays_them_as_sent(
    server: ServerProcess, api: Api
) -> None:
    conference = await api.create_conference()
    table_id = conference.table_id
    players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
    anna, bo, carl = [await connect_as(server, table_id, p.token, label=p.name) for p in players]
    try:
        started = await facilitator.ok("start_round")
        await carl.wait_seq(started["seq"])
        away = carl.last_seq
        await carl.close()
        proposed = await anna.ok("propose", cards=["DT-02", "AD-01"])
        # Roles are dealt at random: the vote comes from whichever of Anna and Bo has one (one of them does).
        await facilitator.wait_seq(proposed["seq"])
        dealt_to = next(
            f["event"]["assignments"]
            for f in facilitator.frames
            if f["type"] == "event" and f["event"]["type"] == "roles_dealt"
        )
        voter = anna if dealt_to[players[0].player_id] != "oekonomidirektoer" else bo
        await voter.ok("vote", proposal_id="F1", choice="abstain")
        await anna.wait_seq(proposed["seq"] + 1)
        await bo.wait_seq(proposed["seq"] + 1)

        dealt = next(f for f in anna.frames if f["type"] == "event" and f["event"]["type"] == "roles_dealt")
        roles = next(f for f in facilitator.frames if f["type"] == "event" and f["event"]["type"] == "roles_dealt")
        voters = dealt["derived"]["voters"]
        without = {pid for pid, role in roles["event"]["assignments"].items() if role == "oekonomidirektoer"}
        assert set(voters) == {p.player_id for p in players} - without  # the økonomidirektør has no vote
        made = next(f for f in anna.frames if f["type"] == "event" and f["event"]["type"] == "proposal_made")
        tally = {"for_": 0, "against": 0, "abstain": 0, "total": sum(voters.values()), "outside": 0}
        assert made["derived"] == {
            "voters": None,
            "proposals": {"F1": {"tally": tally, "missing": list(voters)}},
            "abilities": None,  # a proposal changes no ability's uses or moment
        }
        round_started = next(f for f in anna.frames if f["type"] == "event" and f["event"]["type"] == "round_started")
        # A round's start changes no vote figure, only the abilities' moment (issue 13's use_ability).
        assert (round_started["derived"]["voters"], round_started["derived"]["proposals"]) == (None, {})
        assert round_started["derived"]["abilities"]

        # Every player got the same bytes for the events they see alike, figures included.
        def raw_events(client_raw: list[str], first: int) -> list[str]:
            return [text for text in client_raw if text.startswith('{"type":"event"') and seq_of(text) >= first]

        assert raw_events(anna.raw, proposed["seq"]) == raw_events(bo.raw, proposed["seq"])
        back = await connect_as(server, table_id, players[2].token, after=away, label="carl-again")
        try:
            assert back.snapshots == []
            assert raw_events(back.raw, proposed["seq"]) == raw_events(anna.raw, proposed["seq"])
        finally:
            await back.close()
    finally:
        for client in (facilitator, anna, bo):
            await client.close()


def seq_of(frame: str) -> int:
    return int(frame.split('"seq":', 1)[1].split(",", 1)[0])
