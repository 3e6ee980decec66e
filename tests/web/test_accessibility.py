"""WCAG 2.1 A/AA with axe-core on every page and every state a player, a facilitator and the hall see.

`check_accessibility` (tests/web/conftest.py) fails on any violation; `wait_ready` and `screenshot` call it too,
so every other browser test checks the pages it reaches. This file walks the pages the others do not: each tab of
the table page at phone and laptop width, the lobby, the table sheets, the control room, the projector and the
conference pages, and the 404 page. Screenshots at 320, 360, 1280 and 1920 px go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.web.conftest import (
    LAPTOP,
    PHONE,
    SCREENSHOTS,
    Conference,
    Facilitator,
    WebServer,
    check_accessibility,
    create_conference,
    wait_ready,
)

WIDTHS = {320: 640, 360: 740, 1280: 800, 1920: 1080}


def every_width(page: Page, name: str) -> None:
    """axe and a screenshot at each width: the layout (and so what axe sees, e.g. contrast over a wrapped line)
    changes with it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}-{width}.png"))
        check_accessibility(page, f"{name} at {width} px")


def seated_page(new_context: Any, server: WebServer, seat: dict[str, Any], size: dict[str, Any]) -> Page:
    watched = new_context(size)
    watched.context.add_init_script(
        f"localStorage.setItem('raaderum:seats', JSON.stringify({json.dumps({seat['table_id']: seat})}))"
    )
    page: Page = watched.page()
    page.goto(f"{server.url}/table/{seat['table_id']}")
    wait_ready(page)
    return page


def test_every_tab_of_the_table_page(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    seats = [
        {
            **httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": n}, timeout=10).json(),
            "name": n,
            "code": conference.code,
        }
        for n in ("Sara", "Tom", "Ulla")
    ]
    lobby = seated_page(new_context, web_server, seats[0], PHONE)
    every_width(lobby, "table-lobby")
    facilitator.command("start_round")
    facilitator.command("announce", text="Velkommen til budgetseminaret.")
    for size in (PHONE, LAPTOP):
        page = seated_page(new_context, web_server, seats[1], size)
        page.wait_for_selector("#stream li >> nth=2")
        for tab in ("chat", "builder", "people"):
            if page.locator(f"#tab-{tab}").is_visible():  # a laptop shows every panel side by side
                page.click(f"#tab-{tab}")
                page.wait_for_timeout(150)
            check_accessibility(page, f"table page, tab {tab}, {size['viewport']['width']} px")
    phone = seated_page(new_context, web_server, seats[2], PHONE)
    for tab in ("people", "builder", "chat"):
        phone.set_viewport_size(PHONE["viewport"])
        phone.click(f"#tab-{tab}")
        if tab == "builder":
            phone.locator("#panel-builder input[type=checkbox]").first.check()
        every_width(phone, f"table-{tab}")


def test_conference_pages(web_server: WebServer, new_context: Any) -> None:
    conference = create_conference(web_server, tables=2, round_seconds=1800)
    page = new_context(LAPTOP).page()
    for path, name in (
        ("/", "home"),
        (f"/join/{conference.code}", "join"),
        ("/conference/new", "conference-new"),
        (f"/control/{conference.conference_id}#token={conference.facilitator_token}", "control"),
        (f"/projector/{conference.conference_id}#token={conference.facilitator_token}", "projector"),
        (f"/conference/{conference.conference_id}/sheets", "sheets"),
        (f"/conference/{conference.conference_id}/debrief", "conference-debrief"),
        ("/replay", "replay-upload"),
        ("/join/ZZZZZZ", "unknown-code"),
    ):
        page.goto(f"{web_server.url}{path}")
        page.wait_for_load_state("networkidle")
        every_width(page, name)
