"""The deck's levers in the players' builder (Debian's Chromium via Playwright): picked like cards, their cost
per year a row of the meter (the engine's figures), the kassetræk's liquidity warning, a lever's detail."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import expect

from engine.budget import lever_amounts
from engine.deck import load_deck
from engine.format import format_mio
from tests.web.conftest import LAPTOP, Conference, Facilitator, WebServer, wait_ready
from tests.web.test_game import open_tab

DECK = load_deck("decks/korsbaek")


def test_a_lever_is_picked_like_a_card_and_the_meter_shows_its_cost(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    seats = [
        httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": n}, timeout=10).json()
        for n in ("Vera", "Wil", "Xena")
    ]
    facilitator.command("start_round")
    seat = {**seats[0], "name": "Vera", "code": conference.code}
    watched = new_context(LAPTOP)
    watched.context.add_init_script(
        f"localStorage.setItem('raaderum:seats', JSON.stringify({json.dumps({seat['table_id']: seat})}))"
    )
    page = watched.page()
    page.goto(f"{web_server.url}/table/{conference.table_id}")
    wait_ready(page)
    open_tab(page, "builder")
    for lever in DECK.levers:
        expect(page.locator(f"#deck-list li.kind-lever [id='pick-{lever.id}']")).to_have_count(1)

    page.locator("[id='pick-ÆL-04']").check()
    page.locator("[id='pick-L-KASSE']").check()
    meter = page.locator("#meter")
    row = meter.locator("tr.lever-row")
    expect(row.locator("th")).to_have_text(f"Håndtag: {DECK.lever('L-KASSE').title.da}")
    expected = [format_mio(v).removesuffix(" mio. kr.") for v in lever_amounts(DECK, "L-KASSE")]
    expect(row.locator("td")).to_have_text(
        [("+" if not v.startswith("−") and v != "0,0" else "") + v for v in expected]
    )
    expect(meter.locator(".warnings")).to_contain_text(
        "Likviditet: 10,0\u00a0mio.\u00a0kr. trækkes fra kassebeholdningen"
    )
    expect(page.locator("#selected button.chip[data-card='L-KASSE']")).to_contain_text("Kassetræk")
    # Proposed like cards: the server accepts it, and the proposal lists the lever with no amount of its own.
    page.locator("#propose").click()
    item = page.locator("article.proposal[data-proposal='F1'] .proposal-cards li", has_text="L-KASSE")
    expect(item).to_have_count(1)
    expect(item.locator(".amount")).to_have_count(0)
    open_tab(page, "builder")

    # A lever's detail: what it is, its political cost and its sources from the deck's table.
    page.locator("#deck-list li.kind-lever", has_text="L-SKAT").locator("button.details").click()
    dialog = page.locator("#card-dialog")
    expect(dialog).to_contain_text(DECK.lever("L-SKAT").title.da)
    expect(dialog.locator(".political-cost")).to_contain_text(DECK.lever("L-SKAT").political_cost.da)  # type: ignore[union-attr]
    expect(dialog.locator("ul.sources li")).to_have_count(len(DECK.lever("L-SKAT").sources))
    assert watched.errors == [], watched.errors
