"""Confirmations with consequences (issue 16 item 3): ending the game, ending a round for all tables, removing
a player and deleting a conference each ask first in a modal <dialog> that says what will happen; Escape and
Cancel leave everything as it was, and focus goes back to the button that asked."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import LAPTOP, WebServer, check_accessibility, create_conference, screenshot, wait_ready

DIALOG = "dialog[data-confirm]"


def phase(page: Page) -> str:
    return str(page.evaluate("() => [...window.raaderumControl.rows.values()][0].phase"))


def test_actions_with_consequences_ask_first_and_escape_cancels(web_server: WebServer, new_context: Any) -> None:
    conference = create_conference(web_server)
    for name in ("Sara", "Tom", "Ulla"):
        joined = httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": name}, timeout=10)
        assert joined.status_code in (200, 201), joined.text
    page = new_context(LAPTOP).page()
    page.goto(f"{web_server.url}/control/{conference.conference_id}#token={conference.facilitator_token}")
    wait_ready(page)
    expect(page.locator("#grid .tile")).to_have_count(1)
    page.click("[data-action=start_all]")
    page.wait_for_function("() => [...window.raaderumControl.rows.values()][0].phase === 'round'")

    # Ending the game: the dialog says what happens; Escape cancels and focus returns to the button.
    end_game = page.locator("[data-action=end_game]")
    end_game.click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Afslut spillet ved alle borde?")
    expect(dialog).to_contain_text("1 bord går til virkelighedstjekket")
    expect(dialog).to_contain_text("1 bord har intet forlig og slutter uden.")
    expect(dialog).to_contain_text("Det kan ikke fortrydes.")
    expect(dialog.get_by_role("button", name="Annullér")).to_be_focused()
    screenshot(page, "confirm-end-game")  # axe with the dialog open
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(end_game).to_be_focused()
    assert phase(page) == "round"

    # Ending the round for all tables: Cancel keeps it open, the confirm button ends it.
    page.click("[data-action=end_round]")
    expect(dialog).to_contain_text("1 bord har en åben runde.")
    dialog.get_by_role("button", name="Annullér").click()
    expect(dialog).to_have_count(0)
    assert phase(page) == "round"
    page.click("[data-action=end_round]")
    dialog.get_by_role("button", name="Afslut runden").click()
    page.wait_for_function("() => [...window.raaderumControl.rows.values()][0].phase === 'round_ended'")

    # Removing a player, from the table's panel: Escape closes the dialog only, not the panel.
    page.click("#grid .tile-open")
    sara = page.locator("#drill li[data-player]", has_text="Sara")
    expect(sara).to_be_visible()
    sara.get_by_role("button", name="Fjern").click()
    expect(dialog).to_contain_text("Sara mister pladsen og rollen")
    check_accessibility(page, "remove player dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#drill")).to_be_visible()
    expect(sara).to_be_visible()
    sara.get_by_role("button", name="Fjern").click()
    dialog.get_by_role("button", name="Fjern Sara").click()
    expect(page.locator("#drill li[data-player]", has_text="Sara")).to_have_count(0)
    page.click("#drill-close")

    # Deleting the conference: Escape keeps it; confirming deletes it and leaves for the setup page.
    url = f"{web_server.url}/api/conferences/{conference.conference_id}"
    auth = {"Authorization": f"Bearer {conference.facilitator_token}"}
    page.click("details.danger summary")
    page.click("#delete-conference")
    expect(dialog).to_contain_text("Loggen for 1 bord slettes")
    page.keyboard.press("Escape")
    assert httpx.get(url, headers=auth, timeout=10).status_code == 200
    page.click("#delete-conference")
    dialog.get_by_role("button", name="Slet det hele").click()
    page.wait_for_url("**/conference/new")
    assert httpx.get(url, headers=auth, timeout=10).status_code in (403, 404)
