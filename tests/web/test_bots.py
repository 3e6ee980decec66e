"""One person and three practice bots (issue 18): the person plays a table of bots to a forlig in the browser."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    LAPTOP,
    Facilitator,
    WebServer,
    check_accessibility,
    create_conference,
    join_by_link,
    screenshot,
    wait_ready,
)
from tests.web.test_game import open_tab, stream

ROUND_SECONDS = 40.0  # at most this long per round in the test; the bots act every 0.3 s
QUIET_SECONDS = 3.0


def _vote_for_what_is_open(page: Page) -> int:
    """The person votes for every open proposal they have not voted for yet; how many votes they cast."""
    cast = 0
    for card in page.locator("article.proposal").all():
        status = card.locator(".status").first
        if not status.is_visible() or status.inner_text() != "Åbent":
            continue
        button = card.locator(".vote-for")
        if button.count() and button.is_visible() and button.get_attribute("aria-pressed") != "true":
            button.click()
            cast += 1
    return cast


def _play_round(page: Page) -> bool:
    """Vote along until a forlig or until the table is quiet; whether a forlig was adopted."""
    started = time.monotonic()
    last, still = -1, time.monotonic()
    while time.monotonic() - started < ROUND_SECONDS:
        if _vote_for_what_is_open(page):
            still = time.monotonic()
        if "Forlig!" in stream(page).inner_text():
            return True
        size = page.locator("article.proposal").count() + page.locator("#stream li").count()
        if size != last:
            last, still = size, time.monotonic()
        elif time.monotonic() - still > QUIET_SECONDS:
            return False
        page.wait_for_timeout(250)
    return "Forlig!" in stream(page).inner_text()


def test_one_person_plays_a_table_of_three_bots_to_a_forlig(web_server: WebServer, new_context) -> None:  # type: ignore[no-untyped-def]
    conference = create_conference(web_server, round_seconds=1800, bots_fill_to=4, bot_pace_seconds=0.3)
    watched = new_context(LAPTOP)
    page = watched.page()
    join_by_link(page, web_server, conference.code, "Tove")
    facilitator = Facilitator(web_server, conference)
    try:
        facilitator.command("start_round")  # bots_fill_to: three bots take the empty seats first
        open_tab(page, "people")
        expect(page.locator("#people .players li")).to_have_count(4)
        expect(page.locator("#people .players .bot-badge")).to_have_count(3)
        expect(page.locator("#people .players li:has-text('Tove') .bot-badge")).to_have_count(0)
        weight = page.locator("#people .players li:has-text('Tove') .weight")
        expect(weight).to_have_text(re.compile(r"stemme"))
        votes = weight.inner_text() != "ingen stemme"  # the økonomidirektør has none: the bots decide then
        open_tab(page, "chat")
        # The bots argue in the chat, naming cards with # mentions.
        expect(stream(page)).to_contain_text(re.compile(r"Jeg (foreslår|stemmer)"), timeout=20_000)
        forlig = False
        for number in range(1, 4):
            if number > 1:
                facilitator.command("start_round")
                expect(stream(page)).to_contain_text(f"Runde {number} af 3 begynder")
            forlig = _play_round(page)
            if forlig:
                break
            facilitator.command("end_round")
        assert forlig, "the person and the three bots reached no forlig in three rounds"
        expect(page.locator("#standing")).to_contain_text("Forlig F")
        adopted = page.locator("article.proposal:has(.status:text-is('Vedtaget'))").first
        if votes:
            expect(adopted.locator(".tally")).to_contain_text(re.compile(r"For: [^·]*Tove"))  # the person's vote
        screenshot(page, "bots-forlig-laptop")
        assert not watched.errors, watched.errors
    finally:
        facilitator.close()


def test_the_control_room_adds_and_removes_a_bot(web_server: WebServer, new_context) -> None:  # type: ignore[no-untyped-def]
    conference = create_conference(web_server)
    joined = httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": "Sara"}, timeout=10)
    assert joined.status_code == 200, joined.text
    page = new_context(LAPTOP).page()
    page.goto(f"{web_server.url}/control/{conference.conference_id}#token={conference.facilitator_token}")
    wait_ready(page)
    page.click("#grid .tile-open")
    players = page.locator("#drill li[data-player]")
    expect(players).to_have_count(1)
    page.get_by_role("button", name="Tilføj bot").click()
    expect(players).to_have_count(2)
    bot = page.locator("#drill li[data-player]:has(.bot-badge)")
    expect(bot).to_contain_text("Bot Aase")
    expect(page.locator("#drill li[data-player]:has-text('Sara') .bot-badge")).to_have_count(0)
    check_accessibility(page, "control room with a bot")
    bot.get_by_role("button", name="Fjern bot").click()
    expect(page.locator("#drill li[data-player]:has(.bot-badge)")).to_have_count(0)
    expect(players).to_have_count(1)
    events = httpx.get(
        f"{web_server.url}/api/tables/{conference.table_id}/events",
        headers={"Authorization": f"Bearer {conference.facilitator_token}"},
        timeout=10,
    ).json()["events"]
    assert [e["type"] for e in events][-2:] == ["player_joined", "player_removed"]
    assert events[-2]["data"]["bot"] is True


def test_the_setup_page_fills_the_tables_with_bots(web_server: WebServer, new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(LAPTOP).page()
    page.goto(f"{web_server.url}/conference/new")
    wait_ready(page)
    page.fill("#name", "Prøv med bots")
    page.fill("#tables", "1")
    page.select_option("#bots-fill-to", "4")
    expect(page.locator("#bots-fill-to")).to_have_accessible_name("Bots på tomme pladser")
    page.click("button[type=submit]")
    page.wait_for_url("**/control/**")
    page.wait_for_function("() => window.raaderumControl && window.raaderumControl.token")
    token = str(page.evaluate("() => window.raaderumControl.token"))
    conference_id = page.url.split("/control/")[1].split("#")[0].split("?")[0]
    auth = {"Authorization": f"Bearer {token}"}
    info = httpx.get(f"{web_server.url}/api/conferences/{conference_id}", headers=auth, timeout=10).json()
    table_id = info["tables"][0]["table_id"]
    started = httpx.post(
        f"{web_server.url}/api/conferences/{conference_id}/actions", json={"action": "start_all"}, headers=auth,
        timeout=10,
    )  # fmt: skip
    assert started.status_code == 200, started.text
    events = httpx.get(f"{web_server.url}/api/tables/{table_id}/events", headers=auth, timeout=10).json()["events"]
    joined = [e["data"] for e in events if e["type"] == "player_joined"]
    assert [j["bot"] for j in joined] == [True, True, True, True]
