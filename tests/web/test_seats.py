"""Seats that follow people in the browser (issue 16 item 2): the same name on a second phone is offered
"Er du Dina? Fortsæt på denne enhed", which moves the seat with the seat code shown on the first phone; the
first phone is told and stops acting; the facilitator's "flyt pladsen til en ny enhed" link does the same."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import PHONE, Conference, WebServer, check_accessibility, join_by_link, screenshot, wait_ready


def seat_of(page: Page) -> str:
    return str(page.evaluate("() => window.raaderum.state.you"))


def test_a_seat_follows_its_player_to_a_new_phone(
    web_server: WebServer, conference: Conference, new_context: Any
) -> None:
    first = new_context(PHONE).page()
    join_by_link(first, web_server, conference.code, "Dina")
    dina = seat_of(first)
    first.click("#tab-people")
    code = first.locator("#own-seat-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{5}$"))
    seat_code = code.inner_text()
    assert len(seat_code) == 5
    expect(first.locator(".seat-code")).to_contain_text("Din pladskode")
    screenshot(first, "seat-code-phone")

    # The same name on another phone: asked whether it is Dina, and shown where the code is.
    second = new_context(PHONE).page()
    second.goto(f"{web_server.url}/join/{conference.code}")
    wait_ready(second)
    second.fill("#name", " dina ")
    second.click("#join-form button[type=submit]")
    expect(second.locator("#claim-title")).to_have_text("Er du Dina?")
    expect(second.locator("#claim-button")).to_have_text("Fortsæt på denne enhed")
    expect(second.locator("#seat-code")).to_be_focused()
    check_accessibility(second, "claim a seat")
    second.fill("#seat-code", "ZZZZZ" if seat_code != "ZZZZZ" else "YYYYY")
    second.click("#claim-button")
    expect(second.locator("#claim-error")).to_contain_text("Det er ikke pladskoden")
    screenshot(second, "seat-claim-wrong-code")
    second.fill("#seat-code", seat_code.lower())
    second.click("#claim-button")
    second.wait_for_url("**/table/**")
    wait_ready(second)
    assert seat_of(second) == dina  # the same seat, not a new one

    # The first phone is told and stops acting.
    expect(first.locator("#phase-banner")).to_contain_text("Din plads er flyttet til en anden enhed")
    expect(first.locator("#composer")).to_be_hidden()
    assert first.evaluate("() => JSON.parse(localStorage.getItem('raaderum:seats') || '{}')") == {}
    screenshot(first, "seat-moved-phone")

    # The facilitator's "flyt pladsen til en ny enhed" link moves it again, with nothing to type.
    seats = httpx.get(
        f"{web_server.url}/api/tables/{conference.table_id}/seats",
        headers={"Authorization": f"Bearer {conference.facilitator_token}"},
        timeout=10,
    ).json()["seats"]
    (link,) = [s["handover_url"] for s in seats if s["player_id"] == dina]
    third = new_context(PHONE).page()
    third.goto(link)
    third.wait_for_url("**/table/**")
    wait_ready(third)
    assert seat_of(third) == dina
    expect(second.locator("#phase-banner")).to_contain_text("Din plads er flyttet til en anden enhed")
    # The facilitator's panel shows the code and the link.
    control = new_context({"viewport": {"width": 1280, "height": 800}}).page()
    control.goto(f"{web_server.url}/control/{conference.conference_id}#token={conference.facilitator_token}")
    wait_ready(control)
    control.click("#grid .tile-open")
    row = control.locator("#drill li[data-player]", has_text="Dina")
    expect(row.locator(".seat-code")).to_have_text(seat_code)
    expect(row.get_by_role("link", name="Flyt pladsen til en ny enhed")).to_be_visible()
    check_accessibility(control, "control room, seat codes")
