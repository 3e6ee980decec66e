"""Issue 14 in Chromium: the facilitator goes from the control room to a table's debrief (the why as a
chart with its figures, the fixes, the three questions), projects it, opens its replay and downloads its log;
the projector's "Tag dialogen" screen; the one-page forligsreferat printed to PDF (one A4 page, the expected
text). axe-core checks every screen (wait_ready, screenshot)."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import replace
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.web.conftest import LAPTOP, SCREENSHOTS, Conference, Facilitator, WebServer, screenshot, wait_ready
from tests.web.test_game import SHORT
from tests.web.test_http import join

A4 = (595, 842)  # points


def _played(web_server: WebServer, conference: Conference, facilitator: Facilitator) -> None:
    """Three players; Ole proposes a forlig that falls short, the facilitator adopts it and ends the game."""
    players = [join(web_server, conference, name) for name in ("Ole", "Pia", "Rasmus")]
    facilitator.command("start_round")
    ole = Facilitator(web_server, replace(conference, facilitator_token=players[0]["token"]))
    try:
        ole.command("propose", cards=SHORT)
    finally:
        ole.close()
    facilitator.command("force_adopt", proposal_id="F1")
    facilitator.command("end_game")


def _control_room(page: Page, web_server: WebServer, conference: Conference) -> Any:
    page.goto(f"{web_server.url}/control/{conference.conference_id}#token={conference.facilitator_token}")
    wait_ready(page)
    tile = page.locator(f'.tile[data-table="{conference.table_id}"]')
    expect(tile.locator(".table-links")).to_be_visible()
    return tile


def test_the_facilitator_opens_a_tables_debrief_projects_it_replays_it_and_downloads_its_log(
    new_context: Any, web_server: WebServer, conference: Conference, facilitator: Facilitator
) -> None:
    _played(web_server, conference, facilitator)
    watched = new_context(LAPTOP)
    page = watched.page()
    tile = _control_room(page, web_server, conference)
    screenshot(page, "control-table-links")

    # The debrief: the facilitator's token opens it before show_debrief (the players' is refused till then).
    with page.context.expect_page() as opened:
        tile.locator('[data-link="debrief"]').click()
    debrief = opened.value
    wait_ready(debrief)
    expect(debrief.locator(".verdict")).to_have_class(re.compile(r"\bshort\b"))
    expect(debrief.locator(".verdict h2")).to_have_text("Målet er ikke nået")
    chart = debrief.locator("svg.why-chart")
    expect(chart).to_be_visible()
    label = re.compile(r"^Hvorfor hvert år ender, hvor det gør \(mio\. kr\.\): 2027: der mangler")
    expect(chart).to_have_attribute("aria-label", label)
    # The figures sit on the bars they belong to: the target's segment is labelled with its own amount.
    expect(chart.locator("text.seg-value-target").first).to_have_text(re.compile(r"^−\d+,\d$"))
    expect(chart.locator("text.result")).to_have_count(4)
    # No green where a condition fails: the verdict decides the colour.
    expect(debrief.locator(".year-chart .bar.ok")).to_have_count(0)
    expect(debrief.locator(".why-lines li").first).to_contain_text("2027: der mangler")
    expect(debrief.locator("#fixes-title")).to_have_text("Hvad der ville have lukket hullet")
    expect(debrief.locator(".fixes .fix-reason").first).to_be_visible()
    questions = debrief.locator(".dialogue .question")
    expect(questions).to_have_count(3)
    expect(questions.first).to_have_text("Hvordan er rollefordelingen mellem byråd og forvaltning i budgetlægningen?")
    roles = debrief.locator('.dialogue [data-question="dialogue.roles"] .facts-lines')
    expect(roles).to_contain_text("Forliget (F1) blev stillet af Ole")
    expect(debrief.locator(".debrief-tools")).to_contain_text("Tilbage til kontrolrummet")
    debrief.locator(".why-figures summary").click()
    table = debrief.locator("table.why-table")
    expect(table.locator("thead th")).to_have_count(5)
    expect(table.locator("tr.result-row td")).to_have_count(4)
    screenshot(debrief, "debrief-facilitator")
    debrief.close()

    # Project it: a projector token in the fragment, every player anonymised.
    with page.context.expect_page() as opened:
        tile.locator('[data-link="project"]').click()
    projected = opened.value
    wait_ready(projected)
    expect(projected.locator("body")).to_have_attribute("data-viewer", "projector")
    expect(projected.locator(".dialogue")).to_contain_text("Spiller 1")
    expect(projected.locator("main")).not_to_contain_text("Ole")
    assert "#token" not in projected.url
    projected.close()

    # Its replay: the log exported with the facilitator's token, imported, opened at its end.
    with page.context.expect_page() as opened:
        tile.locator('[data-link="replay"]').click()
    replay = opened.value
    replay.wait_for_url(re.compile(r"/replay/[0-9a-f]{20}"))
    wait_ready(replay)
    expect(replay.locator("#position")).to_contain_text("Hændelse")
    replay.close()

    # Its log, as a file.
    with page.expect_download() as download:
        tile.locator('[data-link="log"]').click()
    saved = download.value
    assert saved.suggested_filename.endswith(".jsonl")
    path = saved.path()
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "raaderum-log"
    assert header["table"]["table_id"] == conference.table_id
    expect(page.locator("#action-result")).to_contain_text("Hentet")

    # The same buttons in the table's drill-down.
    tile.locator(".tile-open").click()
    drill = page.locator("#drill")
    expect(drill.locator(".table-links [data-link]")).to_have_count(4)
    expect(drill.locator('[data-link="debrief"]')).to_have_attribute("href", f"/table/{conference.table_id}/debrief")
    screenshot(page, "control-drill-links")
    assert not watched.errors, watched.errors


def test_a_table_in_the_lobby_offers_its_log_but_no_debrief_or_replay(
    new_context: Any, web_server: WebServer, conference: Conference, facilitator: Facilitator
) -> None:
    watched = new_context(LAPTOP)
    page = watched.page()
    tile = _control_room(page, web_server, conference)
    for link in ("debrief", "project", "replay"):
        expect(tile.locator(f'[data-link="{link}"]')).to_be_hidden()
    expect(tile.locator('[data-link="log"]')).to_be_visible()
    tile.locator(".tile-open").click()
    drill = page.locator("#drill")
    expect(drill.locator('.table-links [data-link="log"]')).to_be_visible()
    expect(drill.locator('.table-links [data-link="replay"]')).to_be_hidden()
    # Once the table has played, the tile and the drill-down offer all four.
    _played(web_server, conference, facilitator)
    for link in ("debrief", "project", "replay", "log"):
        expect(tile.locator(f'[data-link="{link}"]')).to_be_visible()
        expect(drill.locator(f'.table-links [data-link="{link}"]')).to_be_visible()
    assert not watched.errors, watched.errors


def test_the_projectors_tag_dialogen_screen(new_context: Any, web_server: WebServer) -> None:
    made = httpx.post(f"{web_server.url}/api/conferences", json={"name": "Dialog", "tables": 2}, timeout=10).json()
    first, second = (
        Conference(made["conference_id"], made["facilitator_token"], t["table_id"], t["join_code"])
        for t in made["tables"]
    )
    for table, rule in ((first, None), (second, "majority")):
        fac = Facilitator(web_server, table)
        try:
            if rule:
                fac.command("set_rule", rule=rule)  # this table plays another rule: the screen compares them
            _played(web_server, table, fac)
        finally:
            fac.close()
    watched = new_context({"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1})
    page = watched.page()
    _control_room(page, web_server, first)
    with page.context.expect_page() as opened:
        page.locator("#open-dialogue").click()
    screen = opened.value
    wait_ready(screen)
    expect(screen.locator(".dialogue .question")).to_have_count(3)
    expect(screen.locator('[data-question="dialogue.roles"]')).to_contain_text("2 af 2 borde vedtog et forlig")
    expect(screen.locator('[data-question="dialogue.welfare"]')).to_contain_text("28,5 pct.")
    heat = screen.locator("table.heatmap")
    expect(heat.locator("tbody tr")).to_have_count(len(SHORT))  # only the cards some table reached for
    expect(heat.locator("td.cell-chosen")).to_have_count(2 * len(SHORT))
    chart = screen.locator("svg.admin-chart")
    expect(chart.locator(".ref")).to_have_count(2)
    expect(chart).to_contain_text("28,5 %")
    expect(chart.locator(".admin-bar")).to_have_count(2)
    rules = screen.locator("table.rules-compared tbody tr")
    expect(rules).to_have_count(2)
    expect(rules.nth(1)).to_contain_text("flertal")
    screenshot(screen, "projector-tag-dialogen")
    assert not watched.errors, watched.errors


def test_the_forligsreferat_prints_on_one_a4_page(
    new_context: Any, web_server: WebServer, conference: Conference, facilitator: Facilitator
) -> None:
    _played(web_server, conference, facilitator)
    facilitator.command("show_debrief")
    watched = new_context(LAPTOP)
    page = watched.page()
    _control_room(page, web_server, conference)  # stores the facilitator's token in this browser
    page.goto(f"{web_server.url}/table/{conference.table_id}/referat")
    wait_ready(page)
    expect(page.locator("h1")).to_have_text("Forligsreferat")
    expect(page.locator("#print")).to_have_text("Udskriv / gem som PDF")
    screenshot(page, "referat-screen")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "referat-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (SCREENSHOTS / "referat.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1, f"{len(reader.pages)} pages"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    text = " ".join(unicodedata.normalize("NFKC", reader.pages[0].extract_text()).split())  # no "ﬁ" ligatures
    for expected in (
        "Forligsreferat",
        "Bord 1",
        "Målet er ikke nået",
        "Forliget",
        "Forlig F1 blev vedtaget af facilitatoren i runde 1",
        *SHORT,
        "De fire år",
        "Hvorfor",
        "2027: der mangler",
        "Rollernes hjertesager",
        "Bordets point:",
        "Point:",
        "Tag dialogen",
        "Hvordan er rollefordelingen mellem byråd og forvaltning i budgetlægningen?",
        "Hvordan fører vi en konstruktiv dialog om de svære prioriteringer på velfærdsområderne?",
    ):
        assert expected in text, (expected, text[:2000])
    assert "Udskriv / gem som PDF" not in text  # the button is not printed
    # English on request, and the debrief and the referat at a phone's width (axe runs in wait_ready).
    page.emulate_media(media="screen")
    page.goto(f"{web_server.url}/table/{conference.table_id}/referat?lang=en")
    wait_ready(page)
    expect(page.locator("h1")).to_have_text("Agreement summary (forligsreferat)")
    expect(page.locator("#print")).to_have_text("Print / save as PDF")
    expect(page.locator(".dialogue .question").first).to_have_text(
        "How are the roles divided between the council and the administration in budgeting?"
    )
    expect(page.locator(".why-lines li").first).to_contain_text("2027: DKK 15.8m short.")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{web_server.url}/table/{conference.table_id}/debrief?lang=da")
    wait_ready(page)
    page.locator("svg.why-chart").scroll_into_view_if_needed()
    expect(page.locator("svg.why-chart")).to_be_in_viewport()
    screenshot(page, "debrief-phone")
    assert not watched.errors, watched.errors
