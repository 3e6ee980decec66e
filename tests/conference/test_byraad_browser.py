"""Byråd mode in the browser (issue 13 item 5): the setup form makes a byråd of 27 mandates where everyone plays
as themselves; the control room's table panel shows who is connected and puts members in parties; a member's
phone shows their party, the rule counted in mandates and the 'Uden for forliget' vote, and the whole byråd
of 27 fits a 360 px phone. Debian's Chromium via Playwright, axe on every page reached."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.conference.test_browser import FORLIG, browser  # noqa: F401 (browser is a fixture)
from tests.server.helpers import ServerProcess, bearer
from tests.web.conftest import (  # noqa: F401 (new_context is a fixture)
    LAPTOP,
    PHONE,
    Watched,
    check_accessibility,
    join_by_link,
    new_context,
    wait_ready,
)

PARTIES = "Socialdemokratiet 9\nVenstre 7\nKonservative 4\nSF 3\nDansk Folkeparti 2\nEnhedslisten 2"


def _state(page: Page, script: str) -> Any:
    return page.evaluate(f"() => {{ const s = window.raaderum.state; return {script}; }}")


def test_a_byraad_session_in_the_browser(server: ServerProcess, new_context: Any) -> None:  # noqa: F811
    desk: Watched = new_context(LAPTOP)
    control = desk.page()
    control.goto(f"{server.url}/conference/new")
    wait_ready(control)
    control.fill("#name", "Korsbæk Byråd")
    control.fill("#tables", "1")
    control.click("#byraad summary")
    control.select_option("#byraad-roles", "themselves")
    control.fill("#byraad-parties", PARTIES)
    check_accessibility(control, "setup with the byråd section open")
    control.click("button[type=submit]")
    control.wait_for_url(re.compile(r"/control/\w+$"))
    wait_ready(control)
    conference_id = control.url.rsplit("/", 1)[1]
    token = control.evaluate(f"localStorage.getItem('raaderum:conference:{conference_id}')")
    info = httpx.get(f"{server.url}/api/conferences/{conference_id}", headers=bearer(token)).json()
    assert [p["mandates"] for p in info["byraad"]["parties"]] == [9, 7, 4, 3, 2, 2]
    (table,) = info["tables"]
    control.wait_for_selector("#setup-byraad:has-text('27 mandater, 6 partier · alle som sig selv')")
    code, table_id = table["join_code"], table["table_id"]

    # Two members on phones, 25 more by the API: the whole byråd of 27, all but Anna in a party at join.
    anna = new_context(PHONE).page()
    join_by_link(anna, server, code, "Anna")  # type: ignore[arg-type]
    ids = [p["id"] for p in info["byraad"]["parties"]]
    # Bo picks his party on the join page (the code's parties with their free mandates).
    bo = new_context(PHONE).page()
    bo.goto(f"{server.url}/join/{code}")
    wait_ready(bo)
    bo.wait_for_selector("#party-field:not([hidden])")
    assert "Venstre (7 af 7 ledige)" in bo.inner_text("#party")
    bo.fill("#name", "Bo")
    bo.select_option("#party", ids[1])
    check_accessibility(bo, "the join page with its party menu")
    bo.click("button[type=submit]")
    bo.wait_for_url("**/table/**")
    wait_ready(bo)
    # The other 25 of the 27 mandates: Anna will be in Socialdemokratiet (by the control room), Bo is in Venstre.
    seats = [p["id"] for p in info["byraad"]["parties"] for _ in range(p["mandates"])]
    seats.remove(ids[0])
    seats.remove(ids[1])
    for number, party in enumerate(seats):
        member = {"code": code, "name": f"Medlem {number + 1}", "party": party}
        answer = httpx.post(f"{server.url}/api/join", json=member)
        assert answer.status_code == 200, answer.text
    anna_id = _state(anna, "s.you")
    bo_id = _state(bo, "s.you")
    assert _state(bo, f"s.players.get('{bo_id}').party") == ids[1]

    # The control room's panel: who is connected, and Anna put in Socialdemokratiet by its party menu.
    control.click(f".tile[data-table='{table_id}'] .tile-open")
    control.wait_for_selector(f"#drill .drill-players li[data-player='{anna_id}'] select.assign-party")
    control.wait_for_selector("#drill .drill-online:has-text('2 af 27 er forbundet')")
    assert control.locator("#drill select.assign-role").count() == 0, "everyone plays as themselves: no roles"
    control.select_option(f"#drill li[data-player='{anna_id}'] select.assign-party", ids[0])
    anna.wait_for_function(f"() => window.raaderum.state.players.get('{anna_id}').party === '{ids[0]}'")
    anna.wait_for_selector(".your-party:has-text('Dit parti: Socialdemokratiet')", state="attached")
    check_accessibility(control, "control room with a byråd table open")

    control.click("#drill .drill-actions button:has-text('Start')")
    anna.wait_for_function("() => window.raaderum.state.phase === 'round'")
    assert _state(anna, "Object.keys(s.derived.voters).length") == 27
    anna.wait_for_selector(".voting-rule:has-text('27 mandater')", state="attached")

    # A proposal: Anna stands outside the forlig by its button; the tally is counted in mandates.
    anna.evaluate("cards => window.raaderum.conn.send({type: 'propose', cards})", FORLIG)
    anna.wait_for_selector(".proposal .vote-outside")
    anna.click(".proposal .vote-outside")
    anna.wait_for_selector(".proposal .vote-outside[aria-pressed=true]")
    bo.evaluate("() => window.raaderum.conn.send({type: 'vote', proposal_id: 'F1', choice: 'for'})")
    anna.wait_for_selector(".proposal .vote-count:has-text('1 af 27 mandater for')")
    anna.wait_for_selector(".proposal .tally:has-text('Uden for forliget: Anna')")
    assert _state(anna, "s.derived.proposals.F1.tally.outside") == 1
    check_accessibility(anna, "a byråd member's phone")
    Path("artifacts/screenshots").mkdir(parents=True, exist_ok=True)
    anna.locator(".proposal .vote-row").scroll_into_view_if_needed()
    anna.screenshot(path="artifacts/screenshots/byraad-phone-vote.png")
    anna.click("#tab-people")
    anna.wait_for_selector(".your-party")
    check_accessibility(anna, "a byråd member's role and table")
    anna.screenshot(path="artifacts/screenshots/byraad-phone-people.png", full_page=True)
    control.screenshot(path="artifacts/screenshots/byraad-control-room.png", full_page=True)
    # 27 names, parties and four vote buttons fit the 360 px phone: nothing runs off to the side.
    assert anna.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # The debrief: the byråd's parties and who stood outside; no hjertesager where nobody had a role.
    for action in ("end_game", "show_debrief"):
        done = httpx.post(
            f"{server.url}/api/conferences/{conference_id}/actions",
            json={"action": action, "table_ids": [table_id]},
            headers=bearer(token),
        )
        assert done.json()["results"][0]["ok"], done.text
    anna.goto(f"{server.url}/table/{table_id}/debrief")
    wait_ready(anna)
    anna.wait_for_selector("#byraad-title")
    assert "Socialdemokratiet" in anna.inner_text("#byraad-title + p + ul")
    assert "Uden for forliget: Anna" in anna.inner_text("main")
    assert anna.locator("#hjertesager-title").count() == 0
    anna.goto(f"{server.url}/table/{table_id}/referat")
    wait_ready(anna)
    assert anna.locator("#r-hjertesager").count() == 0
