"""Hjertesager are secret until the debrief (issue 13 item 2): roles, weights and who may vote are public, as in
a real byråd, but no frame and no HTTP answer a player or a projector can reach holds another player's
hjertesager before `show_debrief`; a player gets its own in its view; the debrief reveals them all.

The property runs over generated games at the engine's seams, which are exactly what the server sends: a
snapshot is `view(...)` as JSON, an event frame `event_for(...)` with `derived(...)`, a replayed event
`event_for` at today's state, the deck served to browsers `server.api.decks._deck_json`, the table debrief
`table_debrief`. The test after it walks the same paths over a real server.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.debrief import debrief
from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from engine.model import Event, State
from engine.views import PROJECTOR_VIEWER, Viewer, derived, event_for, snapshot_after, view
from server.api.decks import _deck_json
from tests.engine.test_properties import MODES, commands, opening, play
from tests.server.helpers import Api, ServerProcess, connect_as

DECK = load_deck(DEFAULT_DECK_PATH)


def hjertesag_texts(deck: Deck, role_id: str) -> set[str]:
    role = deck.role(role_id)
    return {text for sag in role.hjertesager for text in (sag.text.da, sag.text.en)}


ALL_TEXTS = {text for role in DECK.roles for text in hjertesag_texts(DECK, role.id)}


def strings(value: Any) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def leaked(document: str, secret: set[str]) -> set[str]:
    found = strings(json.loads(document))
    return {text for text in secret if any(text in s for s in found)}


def secret_for(state: State, viewer: Viewer) -> set[str]:
    """What this viewer must not see: every hjertesag but the player's own role's."""
    own: set[str] = set()
    if viewer.kind == "player" and viewer.player_id in state.players:
        role = state.players[viewer.player_id].role
        own = hjertesag_texts(state.deck, role) if role is not None else set()
    return ALL_TEXTS - own


def frames(state: State, event: Event, viewer: Viewer, final: State, seq: int) -> list[str]:
    """The frames the server sends this viewer for `event` (live and replayed) and the snapshot after it."""
    figures = derived(state, event)
    out = [
        event_for(state, event, viewer).model_dump_json(),
        event_for(final, event, viewer, seq).model_dump_json(),
        view(state, viewer).model_dump_json(),
    ]
    if figures is not None:
        out.append(figures.model_dump_json())
    return out


def test_the_deck_served_to_browsers_has_no_hjertesager() -> None:
    assert len(ALL_TEXTS) >= 2 * len(DECK.roles)  # every role has some, in two languages
    for lang in (None, "da", "en"):
        body = _deck_json(DECK, lang)[0].decode()
        assert not leaked(body, ALL_TEXTS), lang
        assert [role["id"] for role in json.loads(body)["roles"]] == [role.id for role in DECK.roles]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_no_frame_holds_another_players_hjertesager_before_the_debrief(data: st.DataObject, seed: int) -> None:
    steps = opening(data.draw(st.integers(3, 6))) + data.draw(st.lists(commands(DECK), min_size=20, max_size=80))
    # Also byråd tables (issue 13 item 5): roles assigned by hand, parties, everyone as themselves.
    log, states = play(DECK, steps, seed, data.draw(st.sampled_from(MODES)))
    if not states:
        return
    final = states[-1]
    for seq, (event, state) in enumerate(zip(log, states, strict=True), 1):
        if state.phase == "debrief":
            break
        viewers = [PROJECTOR_VIEWER, *(Viewer("player", player_id) for player_id in state.players)]
        for viewer in viewers:
            secret = secret_for(state, viewer)
            for frame in frames(state, event, viewer, final, seq):
                assert not leaked(frame, secret), (event.type, viewer)
            if viewer.kind == "player":
                player = state.players[viewer.player_id or ""]
                mine = view(state, viewer).your_hjertesager
                # A player's own hjertesager are in its view, and the server sends the view when they come.
                if player.role is not None:
                    assert {t for text in mine for t in (text.da, text.en)} == hjertesag_texts(DECK, player.role)
                else:
                    assert mine == ()
                if snapshot_after(event, viewer):
                    assert player.role is not None
        # Roles and weights are public: every player sees every seated player's role (rules 3).
        for player_id in state.players:
            seen = {p.id: p.role for p in view(state, Viewer("player", player_id)).players}
            assert seen == {p.id: p.role for p in state.players.values()}
    if final.phase == "debrief":
        # The debrief reveals them: every seated role's hjertesager, to everyone it is shown to.
        revealed = debrief(final, draws=20).model_dump_json()
        for player in final.seated():
            if player.role is not None:
                assert leaked(revealed, hjertesag_texts(DECK, player.role)) == hjertesag_texts(DECK, player.role)


async def test_over_the_wire_a_player_and_the_projector_see_no_other_hjertesag_until_the_debrief(
    server: ServerProcess, api: Api
) -> None:
    conference = await api.create_conference()
    table_id = conference.table_id
    players = [await api.join(conference.join_code, name) for name in ("Anna", "Bo", "Carl")]
    facilitator = await connect_as(server, table_id, conference.facilitator_token, label="facilitator")
    clients = [await connect_as(server, table_id, p.token, label=p.name) for p in players]
    http = httpx.AsyncClient(base_url=server.url, timeout=30)
    try:
        ack = await facilitator.ok("start_round")
        for client in [facilitator, *clients]:
            await client.wait_seq(ack["seq"])
        (dealt,) = [event for _, kind, event in facilitator.events if kind == "roles_dealt"]
        roles = dealt["assignments"]
        for player, client in zip(players, clients, strict=True):
            mine = hjertesag_texts(DECK, roles[player.player_id])
            # Roles are public: the player's roles_dealt holds everyone's.
            (seen,) = [event for _, kind, event in client.events if kind == "roles_dealt"]
            assert seen["assignments"] == roles
            # Its own hjertesager came in a snapshot right after its role was dealt.
            snapshot = client.snapshots[-1]["view"]
            assert snapshot["your_role"] == roles[player.player_id]
            assert {t for text in snapshot["your_hjertesager"] for t in text.values()} == mine
            # Nothing it received holds anybody else's.
            assert not [text for frame in client.raw for text in leaked(frame, ALL_TEXTS - mine)], player.name
            # Nor does an HTTP answer it can reach: the deck, the table page, the debrief (refused).
            auth = {"Authorization": f"Bearer {player.token}"}
            for path in ("/api/decks/korsbaek", "/api/decks/korsbaek?lang=da", "/api/decks/korsbaek?lang=en"):
                answer = await http.get(path, headers=auth)
                assert answer.status_code == 200
                assert not leaked(answer.text, ALL_TEXTS), path
            page = await http.get(f"/table/{table_id}")
            assert not any(text in page.text for text in ALL_TEXTS)
            refused = await http.get(f"/api/tables/{table_id}/debrief", headers=auth)
            assert refused.status_code == 409
        issued = await http.post(
            f"/api/conferences/{conference.conference_id}/projector-token",
            headers={"Authorization": f"Bearer {conference.facilitator_token}"},
        )
        assert issued.status_code == 200, issued.text
        projector = {"Authorization": f"Bearer {issued.json()['token']}"}
        early = await http.get(f"/api/tables/{table_id}/debrief", headers=projector)
        assert early.status_code == 200
        assert not leaked(early.text, ALL_TEXTS)
        assert early.json()["hjertesager"] == []

        await facilitator.ok("end_game")
        done = await facilitator.ok("show_debrief")
        for client in clients:
            await client.wait_seq(done["seq"])
        dealt_texts = set().union(*(hjertesag_texts(DECK, role) for role in roles.values()))
        for player in players:
            answer = await http.get(
                f"/api/tables/{table_id}/debrief", headers={"Authorization": f"Bearer {player.token}"}
            )
            assert answer.status_code == 200
            assert leaked(answer.text, dealt_texts) == dealt_texts  # the debrief reveals every role's
        late = await http.get(f"/api/tables/{table_id}/debrief", headers=projector)
        assert leaked(late.text, dealt_texts) == dealt_texts
    finally:
        await http.aclose()
        for client in [facilitator, *clients]:
            await client.close()
