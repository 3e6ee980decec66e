"""Keyboard and screen reader (issue 16 item 6): skip links to the chat, the builder and the votes; the meter
says only the years that changed; focus goes to the proposal after proposing and voting; a warning at least
20 seconds before the deadline; the accessibility statement linked from every page's footer."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    PHONE,
    Conference,
    Facilitator,
    WebServer,
    check_accessibility,
    join_by_link,
    screenshot,
    wait_ready,
)


def focused(page: Page) -> str:
    script = "() => { const el = document.activeElement; return el && (el.id || el.dataset.proposal || el.tagName); }"
    return str(page.evaluate(script))


def test_the_accessibility_statement_is_linked_from_every_page(web_server: WebServer, new_context: Any) -> None:
    page = new_context(PHONE).page()
    for path in ("/", "/conference/new"):
        page.goto(f"{web_server.url}{path}")
        wait_ready(page)
        expect(page.locator("footer a[href='/tilgaengelighed']")).to_have_text("Tilgængelighedserklæring")
    page.click("footer a[href='/tilgaengelighed']")
    page.wait_for_url("**/tilgaengelighed")
    expect(page.locator("h1")).to_have_text("Tilgængelighedserklæring")
    expect(page.locator("main")).to_contain_text("WCAG 2.1")
    expect(page.locator("main")).to_contain_text("Digitaliseringsstyrelsen")
    screenshot(page, "accessibility-statement-phone")
    page.goto(f"{web_server.url}/tilgaengelighed?lang=en")
    expect(page.locator("h1")).to_have_text("Accessibility statement")
    check_accessibility(page, "accessibility statement, English")


def test_keyboard_and_screen_reader_at_the_table(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    for name in ("Bo", "Carl"):
        httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": name}, timeout=10)
    page = new_context(PHONE).page()
    join_by_link(page, web_server, conference.code, "Anna")
    facilitator.command("start_round")
    page.wait_for_function("() => window.raaderum.state.phase === 'round'")

    # Skip links: the builder's tab opens and focus lands in it; the chat's link goes to the composer.
    page.keyboard.press("Tab")  # the page's own "Spring til indholdet"
    page.keyboard.press("Tab")
    expect(page.locator(".skip-links a").first).to_be_focused()
    page.get_by_role("link", name="Spring til forslagsbyggeren").focus()
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-tab", "builder")
    assert focused(page) == "panel-builder"
    page.get_by_role("link", name="Spring til chatten").focus()
    page.keyboard.press("Enter")
    assert focused(page) == "message"

    # The meter says only what changed, year by year, in a short status line (not a 700-character region).
    page.click("#tab-builder")
    expect(page.locator("#meter")).not_to_have_attribute("aria-live", "polite")
    page.check("[id='pick-AD-03']")
    news = page.locator("#meter-news")
    expect(news).to_have_attribute("role", "status")
    expect(news).to_contain_text("2027: mangler")
    first = news.inner_text()
    assert first.count("mangler") == 4, first
    assert len(first) < 200, first
    page.check("[id='pick-AD-02']")
    expect(news).not_to_have_text(first)
    check_accessibility(page, "builder with the meter's status line")

    # Proposing: focus goes to the new proposal in the chat.
    page.click("#propose")
    page.wait_for_function("() => document.activeElement && document.activeElement.dataset.proposal === 'F1'")

    # Voting: focus stays on the proposal's result.
    voter = page.locator("article.proposal[data-proposal='F1'] .vote-row button:not([disabled])")
    if voter.count():
        voter.first.click()
        page.wait_for_function("() => document.activeElement && document.activeElement.dataset.proposal === 'F1'")
        # And the votes' skip link leads to a vote button of an open proposal.
        page.get_by_role("link", name="Spring til afstemningerne").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.closest('.vote-row') !== null")

    # A deadline 25 s away: warned at once (at least 20 s before), said aloud and shown.
    facilitator.command("set_deadline", seconds=25)
    announcer = page.locator("#announcer")
    expect(announcer).to_contain_text("tilbage af runde 1. Facilitatoren kan give mere tid.", timeout=10_000)
    expect(page.locator("#toast")).to_contain_text("tilbage af runde 1")
    screenshot(page, "deadline-warning-phone")
