"""The replay viewer in Chromium: upload a log, scrub to a proposal, step, play, and open a ?at= link.

The log is the committed fixture (tests/fixtures/log-v1.jsonl, 42 events): F1 is proposed at seq 11 and
voted down at 18, F2 becomes the forlig at 25, round 2 opens with event card E09 at 27, the debrief is at 42.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from engine.archive import read_archive
from engine.deck import DEFAULT_DECK_PATH, load_deck
from tests.replay.logs import HIDDEN_ANNOUNCEMENT, HIDDEN_MESSAGE, moderated_game, table_log
from tests.web.conftest import LAPTOP, PHONE, WebServer, create_conference, screenshot, wait_ready

LOG_V1 = Path(__file__).resolve().parent.parent / "fixtures" / "log-v1.jsonl"
DOWNLOAD = 'async ([url, token]) => (await import("/static/replay/download.js")).downloadLog(url, token)'
FAILED_DOWNLOAD = DOWNLOAD.removesuffix("downloadLog(url, token)") + "downloadLog(url, token).catch((e) => e.message)"


def shown(page: Page, seq: int) -> None:
    expect(page.locator("main")).to_have_attribute("data-seq", str(seq))


def open_by_upload(page: Page, server: WebServer) -> str:
    page.goto(f"{server.url}/replay")
    page.set_input_files("#file", str(LOG_V1))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/replay/[0-9a-f]{20}"))
    wait_ready(page)
    match = re.search(r"/replay/([0-9a-f]{20})", page.url)
    assert match
    return match.group(1)


def test_scrub_to_a_proposal_step_play_and_share_the_moment(new_context: Any, web_server: WebServer) -> None:
    watched = new_context(LAPTOP)
    page = watched.page()
    replay_id = open_by_upload(page, web_server)
    shown(page, 1)
    expect(page.locator("#position")).to_contain_text("Hændelse 1 af 42")
    expect(page.locator("#happened")).to_contain_text("Spillet blev oprettet: Bord 1")
    expect(page.locator(".rp-markers .rp-tick")).to_have_count(28)

    # Scrub to the first proposal: F1 is on the table, nobody has voted yet.
    page.locator("#scrubber").fill("11")
    shown(page, 11)
    expect(page.locator("#happened")).to_have_text("Eva Jensen stillede forslag F1")
    expect(page.locator("#proposal-F1 .rp-tally")).to_have_text("For 0 · imod 0 · hverken for eller imod 0 · af 5")
    expect(page.locator("#proposal-meter")).to_contain_text("Det nyeste forslag, F1, på måleren")
    assert page.url.endswith(f"/replay/{replay_id}?lang=da&at=11")

    # One forward and one back, by button and by key.
    page.click("#step-forward")
    shown(page, 12)
    expect(page.locator("#happened")).to_contain_text("F1 er et udgangspunkt")
    expect(page.locator("#chat li")).to_have_count(3)
    page.click("#step-back")
    shown(page, 11)
    page.locator("h1").click()
    page.keyboard.press("ArrowRight")
    shown(page, 12)
    page.keyboard.press("ArrowLeft")
    shown(page, 11)

    # Jump between markers of one kind: the votes on F1, then the forlig.
    page.select_option("#marker-kind", "vote")
    page.click("#next-marker")
    shown(page, 13)
    expect(page.locator("#happened")).to_have_text("Bo Kristensen stemte for F1")
    page.click("#next-marker")
    shown(page, 14)
    expect(page.locator("#happened")).to_have_text("Bo Kristensen stemte imod F1")
    page.select_option("#marker-kind", "forlig")
    page.click("#next-marker")
    shown(page, 25)
    expect(page.locator("#forlig")).to_contain_text("Forlig F2 fra runde 1: 17 kort, 100 % for")
    expect(page.locator("#forlig table")).to_contain_text("Resultat")
    page.click("#prev-marker")
    shown(page, 25)  # no forlig before this one

    # Play at 10 events a second, then pause.
    page.select_option("#speed", "10")
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("main")).to_have_attribute("data-seq", re.compile(r"^(3\d|4[0-2])$"))  # 30 or later
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    stopped = int(page.locator("main").get_attribute("data-seq") or 0)
    assert 30 <= stopped < 42
    page.wait_for_timeout(400)
    shown(page, stopped)
    expect(page.locator("#round")).to_contain_text("Runde 2 af 3")
    expect(page.locator("#round")).to_contain_text("E09")

    # The link to this moment opens at this moment, on another screen.
    link = page.locator("#permalink").get_attribute("href")
    assert link == f"/replay/{replay_id}?lang=da&at={stopped}"
    other = new_context(PHONE).page()
    other.goto(f"{web_server.url}{link}")
    wait_ready(other)
    shown(other, stopped)
    expect(other.locator("#scrubber")).to_have_value(str(stopped))
    expect(other.locator("#happened")).to_have_text(page.locator("#happened").inner_text())

    # The end: the debrief, in English on request.
    page.goto(f"{web_server.url}/replay/{replay_id}?at=42&lang=en")
    wait_ready(page)
    shown(page, 42)
    expect(page.locator("#debrief-panel")).to_be_visible()
    expect(page.locator("#debrief")).to_contain_text("The goal is not reached.")
    expect(page.locator("#happened")).to_have_text("The facilitator showed the debrief")
    screenshot(page, "replay-debrief")
    assert watched.errors == []


def test_a_broken_log_is_refused_in_the_upload_page(new_context: Any, web_server: WebServer, tmp_path: Path) -> None:
    lines = LOG_V1.read_text(encoding="utf-8").split("\n")
    lines.pop(9)  # seq 9 is missing
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines), encoding="utf-8")
    watched = new_context(PHONE)
    page = watched.page()
    page.goto(f"{web_server.url}/replay")
    page.set_input_files("#file", str(broken))
    page.click("button[type=submit]")
    expect(page.locator("#upload-error")).to_have_text(
        "Loggen blev afvist (linje 10): seq 9 expected, found 10 (a gap in the log). Intet blev importeret."
    )
    expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
    assert "/replay/" not in page.url
    assert [error for error in watched.errors if "422" not in error] == []


def test_the_facilitators_pages_can_download_a_log_with_the_token(new_context: Any, web_server: WebServer) -> None:
    conference = create_conference(web_server)
    url = f"/api/tables/{conference.table_id}/export"
    page = new_context(LAPTOP).page()
    page.goto(f"{web_server.url}/replay")
    page.wait_for_load_state("load")
    with page.expect_download() as info:
        name = page.evaluate(
            DOWNLOAD, [f"/api/tables/{conference.table_id}/export?pseudonymise=1", conference.facilitator_token]
        )
    download = info.value
    assert name == download.suggested_filename == f"raaderum-Bord-1-{conference.table_id}.jsonl"
    log = read_archive(Path(download.path()).read_text(encoding="utf-8")).tables[0]
    assert log.header.table.pseudonymised
    assert log.header.table.table_id == conference.table_id
    refused = page.evaluate(FAILED_DOWNLOAD, [url, "nonsense"])
    assert refused == "invalid token"


# Event types the viewer once showed by their raw name (and the end marker's labels).
RAW_TYPES = ("message_hidden", "player_removed", "round_paused", "round_resumed", "reality_checked", "debrief_shown")


def test_moderation_has_words_and_a_hidden_line_is_never_shown(new_context: Any, web_server: WebServer) -> None:
    """tests/replay/logs.moderated_game: line 9 and announcement 14 are hidden at 13 and 15, a pause at 11–12,
    Carina moved to another table at 22, Dennis removed at 23. On the projector, no step shows a hidden text."""
    log = table_log(load_deck(DEFAULT_DECK_PATH), moderated_game(load_deck(DEFAULT_DECK_PATH)))
    uploaded = httpx.post(f"{web_server.url}/api/replays", content=log.render().encode(), timeout=10)
    assert uploaded.status_code == 201, uploaded.text
    url = f"{web_server.url}{uploaded.json()['replays'][0]['url']}"
    watched = new_context(LAPTOP)
    page = watched.page()
    page.goto(f"{url}?at=1")
    wait_ready(page)
    happened: dict[int, str] = {}
    for seq in range(1, log.total + 1):
        if seq > 1:
            page.click("#step-forward")
        shown(page, seq)
        html = page.content()
        for secret in (HIDDEN_MESSAGE, HIDDEN_ANNOUNCEMENT, "idiot", "forkert"):
            assert secret not in html, f"seq {seq} shows {secret!r}"
        for raw in RAW_TYPES:
            assert raw not in html, f"seq {seq} shows the raw type {raw}"
        happened[seq] = page.locator("#happened").inner_text()
        hidden_lines = page.locator("#chat .rp-hidden-text")
        expect(hidden_lines).to_have_count(len([n for n in (9, 14) if n <= seq]))
        if seq == 15:
            screenshot(page, "replay-hidden-chat")

    # The hidden line is shown as hidden from the moment it was written, not only after the hide.
    assert happened[9] == "Anna Holm: Skjult af facilitatoren"
    assert happened[14] == "Facilitator: Skjult af facilitatoren"
    assert re.fullmatch(r"Facilitatoren satte runde 1 på pause med 1[0-4]:\d\d tilbage", happened[11]), happened[11]
    assert re.fullmatch(r"Runde 1 blev genoptaget; fristen er nu .+", happened[12]), happened[12]
    assert happened[13] == "Facilitatoren skjulte en besked fra Anna Holm (hændelse 9)"
    assert happened[15] == "Facilitatoren skjulte en meddelelse (hændelse 14)"
    assert happened[22] == "Facilitatoren flyttede Carina Lund til et andet bord"
    assert happened[23] == "Facilitatoren fjernede Dennis Møller fra bordet"
    assert page.locator('.rp-tick[data-seq="25"]').get_attribute("title") == "25: spillet slutter · Debriefing"
    assert page.locator('.rp-tick[data-seq="17"]').get_attribute("title") == "17: stemme · F1 for"

    page.goto(f"{url}?at=11&lang=en")
    wait_ready(page)
    expect(page.locator("#round")).to_contain_text("The round is paused.")
    expect(page.locator("#chat .rp-hidden-text")).to_have_text(["Hidden by the facilitator"])
    expect(page.locator("#chat .rp-text")).to_have_text(
        ["Anna, kan du leve med #SK-01?", "Hidden by the facilitator", "Husk tonen ved bordet."]
    )
    expect(page.locator("#happened")).to_have_text(
        re.compile(r"^The facilitator paused round 1 with 1[0-4]:\d\d left$")
    )
    for seq, text in (
        (9, "Anna Holm: Hidden by the facilitator"),
        (12, re.compile(r"^Round 1 resumed; the deadline is now .+")),
        (13, "The facilitator hid a message from Anna Holm (event 9)"),
        (15, "The facilitator hid an announcement (event 14)"),
        (22, "The facilitator moved Carina Lund to another table"),
        (23, "The facilitator removed Dennis Møller from the table"),
    ):
        page.goto(f"{url}?at={seq}&lang=en")
        wait_ready(page)
        shown(page, seq)
        expect(page.locator("#happened")).to_have_text(text)
        assert HIDDEN_MESSAGE not in page.content()
    assert page.locator('.rp-tick[data-seq="24"]').get_attribute("title") == "24: the game ends · Reality check"
    assert watched.errors == []
