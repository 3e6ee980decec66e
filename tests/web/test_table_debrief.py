"""GET /api/tables/{table_id}/debrief as a documented resource: why, fixes, dialogue, administration, the
projector's anonymised copy and the OpenAPI schema (engine/explain.py)."""

from __future__ import annotations

import httpx

from tests.web.conftest import Conference, Facilitator, WebServer
from tests.web.test_http import bearer, join


def test_the_table_debrief_explains_the_result_and_the_projector_sees_no_names(
    web_server: WebServer, conference: Conference, facilitator: Facilitator
) -> None:
    url = f"{web_server.url}/api/tables/{conference.table_id}/debrief"
    players = [join(web_server, conference, name) for name in ("Ole", "Pia", "Rasmus", "Sanne")]
    facilitator.command("start_round")
    ole = players[0]
    with httpx.Client(timeout=10) as http:
        body = http.get(url, headers=bearer(conference.facilitator_token)).json()
        assert len(body["why"]) == 4
        for year in body["why"]:
            assert round(sum(part["amount"] for part in year["contributions"]), 6) == year["result"]
        assert [q["id"] for q in body["dialogue"]] == ["dialogue.roles", "dialogue.transparency", "dialogue.welfare"]
        assert body["administration"]["barometer_share"] == 0.285
        assert ole["player_id"]
        token = http.post(
            f"{web_server.url}/api/conferences/{conference.conference_id}/projector-token",
            headers=bearer(conference.facilitator_token),
        ).json()["token"]
        projected = http.get(url, headers=bearer(token))
        assert projected.status_code == 200, projected.text
        assert "Ole" not in projected.text
        assert "Spiller 1" in projected.text
        schema = http.get(f"{web_server.url}/openapi.json").json()
        responses = schema["paths"]["/api/tables/{table_id}/debrief"]["get"]["responses"]
        assert "TableDebrief" in str(responses["200"])
        assert {"403", "404", "409"} <= responses.keys()
        assert "debrief.not_shown" in str(responses["409"])
