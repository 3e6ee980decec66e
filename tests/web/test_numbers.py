"""Danish numbers in and out (issue 16 item 1): a decimal comma or point in every number field, what was
understood shown before submitting, the server reading Danish text too, and the control room showing the
conference's target, rule, rounds and round length as it was understood."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from engine.format import parse_number
from tests.web.conftest import LAPTOP, PHONE, WebServer, wait_ready

TYPED = [
    "12,5",
    "12.5",
    " 12,5 ",
    "1.234,5",
    "1,234.5",
    "1.000.000",
    "1,000,000",
    "−4",
    "-4,25",
    "+3",
    "20",
    "12,5 mio. kr.",
    "DKK 12.5m",
    "7,5 min.",
    "0,1",
    ",5",
    "12,",
    "tolv",
    "",
    "1,2,3.4",
    "1.2.3,4",
    "12 500",
    "1e3",
    "--4",
    "12,5,",
    "²",
]


def test_the_browser_reads_typed_numbers_exactly_as_the_engine(web_server: WebServer, new_context: Any) -> None:
    page = new_context(PHONE).page()
    page.goto(web_server.url)
    wait_ready(page)
    read = page.evaluate(
        "(typed) => import('/static/js/format.js').then((f) => typed.map((t) => f.parseNumber(t)))", TYPED
    )
    assert read == [parse_number(text) for text in TYPED]
    assert (parse_number("12,5"), parse_number("1.234,5"), parse_number("tolv")) == (12.5, 1234.5, None)


def test_the_server_reads_danish_numbers_in_the_setup_it_is_posted(web_server: WebServer) -> None:
    body = {"name": "Tekst", "tables": "2", "target": "12,5", "rounds": "3", "round_seconds": "900"}
    created = httpx.post(f"{web_server.url}/api/conferences", json=body, timeout=120)
    assert created.status_code == 201, created.text
    data = created.json()
    info = httpx.get(
        f"{web_server.url}/api/conferences/{data['conference_id']}",
        headers={"Authorization": f"Bearer {data['facilitator_token']}"},
        timeout=10,
    ).json()
    assert (info["target"][0], info["rounds"], info["round_seconds"], len(info["tables"])) == (12.5, 3, 900, 2)
    bad = httpx.post(f"{web_server.url}/api/conferences", json={**body, "tables": "2,5"}, timeout=10)
    assert bad.status_code == 422


def test_a_decimal_comma_in_the_target_is_understood_and_shown_in_the_control_room(
    web_server: WebServer, new_context: Any
) -> None:
    page = new_context(LAPTOP).page()
    page.goto(f"{web_server.url}/conference/new")
    wait_ready(page)
    page.get_by_label("Konferencens navn").fill("Budgetseminar")
    page.get_by_label("Antal borde").fill("1")
    target = page.get_by_label("Mål i budgetåret")
    target.fill("12,5")
    expect(page.locator("#target-understood")).to_have_text("Forstået: 12,5\u00a0mio.\u00a0kr.")
    expect(target).to_have_attribute("aria-invalid", "false")
    page.get_by_label("Minutter pr. runde").fill("7,5")
    expect(page.locator("#minutes-understood")).to_have_text("Forstået: 7,5 min.")
    page.get_by_label("Runder").fill("tre")
    expect(page.locator("#rounds-understood")).to_have_text("Ikke et helt tal: tre")
    page.click("button[type=submit]")
    expect(page.locator("#setup-error")).to_be_visible()
    page.get_by_label("Runder").fill("2")
    page.click("button[type=submit]")
    page.wait_for_url("**/control/**", timeout=180_000)
    wait_ready(page)
    expect(page.locator("#setup-target")).to_contain_text("12,5\u00a0mio.\u00a0kr.")
    expect(page.locator("#setup-rounds")).to_have_text("2")
    expect(page.locator("#setup-length")).to_have_text("7,5 min.")
    expect(page.locator("#setup-rule")).not_to_be_empty()
    conference_id = page.url.split("/control/")[1].split("?")[0].split("#")[0]
    token = page.evaluate(f"localStorage.getItem('raaderum:conference:{conference_id}')")
    info = httpx.get(
        f"{web_server.url}/api/conferences/{conference_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert (info["target"][0], info["round_seconds"], info["rounds"]) == (12.5, 450, 2)
    # The timer field starts at the conference's round length (it said 15 whatever the conference said).
    expect(page.locator("#timer-minutes")).to_have_value("7,5")
    # The control room's timer takes a decimal comma too.
    page.fill("#timer-minutes", "2,5")
    expect(page.locator("#timer-minutes-understood")).to_have_text("Forstået: 2,5 min.")
