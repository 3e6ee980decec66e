"""The setup page's "Brug jeres eget katalog": a bad catalogue shows its errors with row and column, a good
one the preview; the conference is created on it and the players play a game of its proposals to the debrief."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.catalog.test_api import CATALOGUE
from tests.conference.conftest import check_log
from tests.server.helpers import NO_RATE_LIMIT, ServerProcess, bearer
from tests.web.conftest import (  # noqa: F401 (new_context is a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    PHONE,
    Watched,
    join_by_link,
    new_context,
    wait_ready,
)

# Two players may start a table on this catalogue (the Kommune block after the proposals).
PLAYABLE = CATALOGUE + b"\n[Kommune]\nkommune;Lilleby Kommune\nmin_spillere;2\n"
BAD = b"id;titel;omr\xc3\xa5de;type;2027;2028;2029;2030;service\nAA-1;X;Adm;sparekniv;1;1;1;1;5\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("catalog-browser")
    process = ServerProcess(f"sqlite:///{folder / 'events.db'}", env=NO_RATE_LIMIT, log_dir=folder)
    process.start()
    yield process
    process.stop()
    check_log(process.log_text(), "the catalogue browser test's server")


def test_upload_a_catalogue_on_the_setup_page_and_play_a_table_on_it(
    server: ServerProcess,
    new_context: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    desk: Watched = new_context(LAPTOP)
    page = desk.page()
    page.goto(f"{server.url}/conference/new")
    wait_ready(page)
    page.click("#catalog summary")
    assert "Brug jeres eget katalog" in page.inner_text("#catalog summary")

    # A bad file: every problem, each with its row and column, and the deck list unchanged.
    (tmp_path / "forkert.csv").write_bytes(BAD)
    page.set_input_files("#catalog-file", str(tmp_path / "forkert.csv"))
    page.click("#catalog-upload")
    page.wait_for_selector("#catalog-errors li >> nth=1")
    errors = page.locator("#catalog-errors li").all_inner_texts()
    assert "Række 2, kolonne type: Typen sparekniv kendes ikke" in errors[0]
    assert any(line.startswith("Række 2, kolonne service:") for line in errors)
    assert page.locator("#deck option").count() == 1

    # A good one: the preview (proposals by kind and area, the feasible target), and the deck chosen.
    (tmp_path / "lilleby.csv").write_bytes(PLAYABLE)
    page.set_input_files("#catalog-file", str(tmp_path / "lilleby.csv"))
    page.click("#catalog-upload")
    page.wait_for_selector("#catalog-preview:not([hidden]) table")
    assert page.locator("#catalog-errors").is_hidden()
    assert "Lilleby Kommune: 16 forslag" in page.inner_text("#catalog-preview h3")
    assert "Højeste mål" in page.inner_text("#catalog-range")
    assert "(bevist: intet forlig når højere)" in page.inner_text("#catalog-range")  # the exact search
    # Korsbæk's events naming its school cards are bound to the catalogue's own, and the preview says so.
    assert page.locator("#catalog-preview h4", has_text="Tilpasset jeres forslag").count() == 1
    assert page.locator(".catalog-adapted li").count() > 0
    skole = page.locator("#catalog-preview tr:has(th:text-is('Skole')) td").all_inner_texts()
    assert skole == ["4", "4", "4", "0"]
    deck_id = page.eval_on_selector("#deck", "select => select.value")
    assert deck_id.startswith("u-")
    page.wait_for_selector("#levels:not([hidden])", timeout=60_000)  # the feasible range, as for any deck

    page.fill("#name", "Lilleby budgetseminar")
    page.fill("#tables", "1")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/control/\w+$"))
    wait_ready(page)
    conference_id = page.url.rsplit("/", 1)[1]
    token = page.evaluate(f"localStorage.getItem('raaderum:conference:{conference_id}')")
    info = httpx.get(f"{server.url}/api/conferences/{conference_id}", headers=bearer(token)).json()
    assert info["deck"] == deck_id
    code = info["tables"][0]["join_code"]

    # Three players join, the table starts, and they see and propose the catalogue's own proposals.
    phones = []
    for name in ("Anna", "Bo", "Cem"):  # three, so two can vote whatever roles are dealt (no one-person forlig)
        phone = new_context(PHONE).page()
        join_by_link(phone, server, code, name)  # type: ignore[arg-type]
        phones.append(phone)
    page.wait_for_function("() => [...window.raaderumControl.rows.values()].every(r => r.seated === 3)")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=start_all]")
    for phone in phones:
        phone.wait_for_function("() => window.raaderum.state.phase === 'round'")
        phone.wait_for_selector("#pick-AA-1", state="attached")  # the builder lists the catalogue's proposals
    assert "Færre kontorer" in (phones[0].text_content("li:has(#pick-AA-1)") or "")
    assert phones[0].locator("[id^=pick-ÆL-0]").count() == 0  # none of Korsbæk's cards
    phones[0].evaluate("cards => window.raaderum.conn.send({type: 'propose', cards})", ["AA-1", "BB-0", "BB-1"])
    phones[1].wait_for_function("() => window.raaderum.state.proposals.size > 0")

    # They vote it through: the forlig is the catalogue's cards; the facilitator ends the game and shows the
    # debrief, which reckons the catalogue's own proposals.
    proposal = phones[0].evaluate("() => [...window.raaderum.state.proposals.keys()].at(-1)")
    for phone in phones:  # those with a vote vote for; a non-voting role's refusal is fine
        phone.evaluate(
            "id => window.raaderum.conn.send({type: 'vote', proposal_id: id, choice: 'for'}).catch(() => {})", proposal
        )
    phones[0].wait_for_function("() => window.raaderum.state.forlig !== null", timeout=10_000)
    assert phones[1].evaluate("() => [...window.raaderum.state.forlig.cards]") == ["AA-1", "BB-0", "BB-1"]
    page.click("[data-action=end_game]")
    page.locator("dialog[data-confirm]").get_by_role("button", name="Afslut spillet").click()
    page.wait_for_selector(".tile[data-phase=reality_check]")
    page.click("[data-action=show_debrief]")
    for phone in phones:
        phone.wait_for_function("() => window.raaderum.state.phase === 'debrief'")
    phones[0].click("a[href$='/debrief']")
    wait_ready(phones[0])
    text = phones[0].inner_text("body")
    assert "Forlig F1 blev vedtaget" in text
    # The catalogue's three cards against its own target, X as the import chose it.
    target = f"{info['target'][0]:.1f}".replace(".", ",")
    assert "Budgetåret 2027" in text
    assert f"{target} mio. kr." in text, text
    assert "Korsbæk" not in text
