"""The setup page in a browser (Debian's Chromium via Playwright): before submitting, the facilitator sees the
targets the deck can deliver and the three suggested levels; a target above the highest is warned about on
the page and refused by the server, whose message the page shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.feasibility import FeasibleRange, feasible_range
from engine.format import format_mio
from tests.server.helpers import ServerProcess
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, LAPTOP, Watched, new_context, wait_ready  # noqa: F401

SEARCH_MS = 180_000  # the server's first search of the deck's range takes seconds on a loaded machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def feasible() -> FeasibleRange:
    return feasible_range(load_deck(DEFAULT_DECK_PATH))


def mio(value: float, lang: str = "da") -> str:
    return format_mio(value, lang).replace(" ", "\u00a0")  # the page never breaks an amount across lines


def open_setup(context: Watched, server: ServerProcess, lang: str = "da") -> Page:
    page = context.page()
    page.goto(f"{server.url}/conference/new?lang={lang}")
    wait_ready(page)
    expect(page.locator("#levels .level").first).to_be_visible(timeout=SEARCH_MS)
    return page


def test_the_setup_page_shows_the_range_and_the_levels_and_the_refusal(
    server: ServerProcess,
    new_context: Any,  # noqa: F811
    feasible: FeasibleRange,
) -> None:
    context: Watched = new_context(LAPTOP)
    page = open_setup(context, server)
    expect(page.locator("#feasible-range")).to_contain_text(f"højst give {mio(feasible.max_target)} i budgetåret")
    if feasible.worst_event:
        expect(page.locator("#feasible-range")).to_contain_text(
            f"{mio(feasible.max_target_worst_event)} under den værste hændelse ({feasible.worst_event})"
        )
    names = {"let": "Let", "middel": "Middel", "svær": "Svær"}
    buttons = page.locator("#levels .level")
    expect(buttons).to_have_text([f"{names[level.name]}: {mio(level.target)}" for level in feasible.levels])

    # A suggested level fills in the target and shows as chosen.
    hard = feasible.levels[-1]
    page.click("#levels .level[data-level='svær']")
    # In the page's own format (a decimal comma), with what was understood under it.
    expect(page.locator("#target")).to_have_value(format_mio(hard.target).removesuffix(" mio. kr.").removesuffix(",0"))
    expect(page.locator("#target-understood")).to_have_text(f"Forstået: {mio(hard.target)}")
    expect(page.locator("#levels .level[data-level='svær']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#target-warning")).to_be_hidden()

    # Above the highest target: a warning before submitting, then the server's refusal in Danish.
    too_high = feasible.max_target + 5
    page.fill("#name", "Budgetseminar")
    page.fill("#tables", "1")
    page.fill("#target", str(too_high))
    expect(page.locator("#target-warning")).to_be_visible()
    expect(page.locator("#target-warning")).to_contain_text(f"Ingen portefølje når {mio(too_high)}")
    page.click("button[type=submit]")
    expect(page.locator("#setup-error")).to_have_text(
        f"Målet på {format_mio(too_high)} kan ikke nås med dette kortsæt: "
        f"det kan højst give {format_mio(feasible.max_target)} i budgetåret.",
        timeout=SEARCH_MS,
    )
    assert page.url.endswith("/conference/new?lang=da")
    Path("artifacts/screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="artifacts/screenshots/setup-target-refused.png", full_page=True)

    # The chosen level is accepted: on to the control room.
    page.fill("#target", str(hard.target))
    page.click("button[type=submit]")
    page.wait_for_url("**/control/**", timeout=SEARCH_MS)
    assert context.errors == [] or all("422" in error for error in context.errors), context.errors


def test_the_levels_in_english(server: ServerProcess, new_context: Any, feasible: FeasibleRange) -> None:  # noqa: F811
    page = open_setup(new_context(LAPTOP, locale="en-GB"), server, "en")
    expect(page.locator("#feasible-range")).to_contain_text(f"at most {mio(feasible.max_target, 'en')}")
    names = {"let": "Easy", "middel": "Medium", "svær": "Hard"}
    expect(page.locator("#levels .level")).to_have_text(
        [f"{names[level.name]}: {mio(level.target, 'en')}" for level in feasible.levels]
    )
