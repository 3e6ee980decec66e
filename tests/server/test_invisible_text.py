"""Text that shows nothing is refused, and names lose bidirectional controls (engine/text.py), over a real server."""

from __future__ import annotations

import pytest

from tests.server.helpers import Api, ServerProcess, connect_as

BLANK = ["\u200b", "\u200b\u200d\ufeff", " \u2060 ", "\u3164", "\u2800\u2800", "\u202e", "\u00ad"]


@pytest.mark.parametrize("name", BLANK)
async def test_a_name_that_shows_nothing_is_refused(api: Api, name: str) -> None:
    conference = await api.create_conference()
    response = await api.http.post("/api/join", json={"code": conference.join_code, "name": name})
    assert response.status_code == 409, response.text
    assert response.json()["detail"]["code"] == "seat.name_invalid"


async def test_bidirectional_overrides_are_taken_out_of_names(api: Api) -> None:
    conference = await api.create_conference()
    spoof = await api.join(conference.join_code, "Anna\u202egnp.exe")
    arabic = await api.join(conference.join_code, "\u0645\u0631\u064a\u0645")  # Maryam: right-to-left letters stay
    log = await api.events(conference.table_id, conference.facilitator_token)
    names = {event["data"]["player_id"]: event["data"]["name"] for event in log if event["type"] == "player_joined"}
    assert names[spoof.player_id] == "Annagnp.exe"
    assert names[arabic.player_id] == "\u0645\u0631\u064a\u0645"


async def test_a_chat_line_that_shows_nothing_is_refused(server: ServerProcess, api: Api) -> None:
    conference = await api.create_conference()
    anna = await api.join(conference.join_code, "Anna")
    client = await connect_as(server, anna.table_id, anna.token)
    facilitator = await connect_as(server, anna.table_id, conference.facilitator_token)
    try:
        for text in BLANK:
            assert await client.error("chat", text=text) == "chat.empty", repr(text)
            assert await facilitator.error("announce", text=text) == "chat.empty", repr(text)
        await client.ok("chat", text="\u200bhej")  # something visible: accepted as written
    finally:
        await client.close()
        await facilitator.close()
