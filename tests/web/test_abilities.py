"""An ability used at the table in the browser (issue 13, item 3): the mayor's page offers the borgmesterkompromis
once there is a forlig, the mayor takes a card out of it, and every page shows it at once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import LAPTOP, PHONE, Conference, Facilitator, WebServer, join_by_link, screenshot

FORLIG = ["AD-03", "SK-04", "ÆL-05"]


def open_tab(page: Page, name: str) -> None:
    tab = page.locator(f"#tab-{name}")
    if tab.is_visible():
        tab.click()


def role_title(page: Page) -> str:
    open_tab(page, "people")
    expect(page.locator("#people .role-card h2")).not_to_have_text("Din rolle")
    return page.locator("#people .role-card h2").inner_text()


def test_the_mayor_uses_the_compromise_and_the_table_sees_the_forlig_change(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    pages = {name: new_context(LAPTOP if name == "Bo" else PHONE).page() for name in ("Anna", "Bo", "Cem")}
    for name, page in pages.items():
        join_by_link(page, web_server, conference.code, name)
    facilitator.command("start_round")
    titles = {name: role_title(page) for name, page in pages.items()}
    mayor = next(page for name, page in pages.items() if titles[name] == "Borgmester")
    other = next(page for name, page in pages.items() if titles[name] != "Borgmester")

    # Before a forlig the card says when the ability can be used, and offers no button.
    form = mayor.locator("form.ability-use[data-ability='borgmesterkompromis']")
    expect(form).to_contain_text("Borgmesterkompromis")
    expect(form).to_contain_text("når der er et forlig")
    expect(form.locator("button")).to_have_count(0)

    mayor.evaluate("(cards) => window.raaderum.conn.send({type: 'propose', cards})", FORLIG)
    facilitator.command("force_adopt", proposal_id="F1")
    expect(form.locator("button")).to_be_visible()
    expect(form).to_contain_text("Du kan bruge den nu")
    screenshot(mayor, "ability-offered")
    form.locator("select").select_option("ÆL-05")
    form.locator("button").click()

    for page in pages.values():
        open_tab(page, "chat")
        expect(page.locator("#stream")).to_contain_text("ÆL-05 tages ud af forliget uden afstemning")
    assert other.evaluate("() => window.raaderum.state.forlig.cards") == ["AD-03", "SK-04"]
    facilitator.command("ping_only")  # reads the frames that came meanwhile
    used = [event for event in facilitator.events if event["type"] == "ability_used"]
    assert [(e["ability"], e["card"], e["moved"]) for e in used] == [("borgmesterkompromis", "ÆL-05", "out")]
    open_tab(mayor, "people")
    expect(form).to_contain_text("Brugt")
    expect(form.locator("button")).to_have_count(0)
