"""Chat text and names with HTML or script in them are shown as text and never run; nothing leaves the origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import expect

from tests.web.conftest import LAPTOP, PHONE, Conference, Facilitator, WebServer, join_by_link

ATTACKS = [
    '<img src=x onerror="window.__pwned = 1">',
    "<script>window.__pwned = 2</script>",
    '"><svg onload="window.__pwned = 3"></svg>',
    '<a href="javascript:window.__pwned = 4">#ÆL-01 klik</a>',
]
EVIL_NAME = "<b>Bo</b><img src=y onerror=window.__pwned=5>"


def test_html_in_chat_and_names_is_text(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    anna_ctx, bo_ctx = new_context(PHONE), new_context(LAPTOP)
    anna, bo = anna_ctx.page(), bo_ctx.page()
    join_by_link(anna, web_server, conference.code, "Anna")
    join_by_link(bo, web_server, conference.code, EVIL_NAME[:40])
    httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": "Cem"}, timeout=10)
    facilitator.command("start_round")
    facilitator.command("announce", text="<i>fra facilitatoren</i><img src=z onerror=window.__pwned=6>")
    for attack in ATTACKS:
        anna.locator("#message").fill(attack)
        anna.locator("#message").press("Enter")
    for page in (anna, bo):
        texts = page.locator("#stream .message .text")
        expect(texts).to_have_count(len(ATTACKS) + 1)
        shown = texts.all_text_contents()
        assert shown[0] == "<i>fra facilitatoren</i><img src=z onerror=window.__pwned=6>"
        # The mention in the last one is still a chip; the rest is the very text that was typed.
        assert shown[1:] == [a.replace("#ÆL-01", "#ÆL-01Skærmbesøg i hjemmeplejen") for a in ATTACKS]
        for selector in ("img", "script", "svg", "a", "b", "i"):
            expect(page.locator(f"#stream .message .text {selector}")).to_have_count(0)
        assert page.evaluate("window.__pwned") is None
    # The name is text wherever the stream shows it (after roles are dealt a fresh snapshot carries the
    # chat, not the join lines, so the "Ved bordet" line is where it stays).
    expect(anna.locator("#stream")).to_contain_text(f"Ved bordet: Anna, {EVIL_NAME[:40]}, Cem.")
    anna.locator("#tab-people").click()
    expect(anna.locator("#people .players .name", has_text="<b>Bo</b>")).to_have_count(1)
    expect(anna.locator("#people .players b")).to_have_count(0)
    assert anna.evaluate("window.__pwned") is None
    assert not anna_ctx.errors, (anna_ctx.errors, bo_ctx.errors)
    assert not bo_ctx.errors, (anna_ctx.errors, bo_ctx.errors)


def test_pages_request_nothing_outside_their_origin_and_say_so_in_their_csp(
    web_server: WebServer, conference: Conference, new_context: Any
) -> None:
    watched = new_context(PHONE)
    page = watched.page()
    join_by_link(page, web_server, conference.code, "Dorte")
    page.goto(f"{web_server.url}/table/{conference.table_id}/debrief")
    page.wait_for_selector("body[data-ready]", state="attached")
    expect(page.locator("#debrief")).to_contain_text("Debriefingen er ikke vist endnu")
    page.goto(f"{web_server.url}/?lang=en")
    page.wait_for_selector("body[data-ready]", state="attached")
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in watched.requests}
    assert origins <= {web_server.url, web_server.ws_url}, watched.requests
    for path in (
        "/",
        f"/join/{conference.code}",
        f"/table/{conference.table_id}",
        f"/table/{conference.table_id}/debrief",
    ):
        response = httpx.get(f"{web_server.url}{path}")
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "connect-src 'self'" in csp
        assert "script-src 'self' 'sha256-" in csp
        for marker in ("http://", "https://", "//cdn", "googleapis", "fonts."):
            assert marker not in response.text.replace('xmlns="http://www.w3.org/2000/svg"', ""), (path, marker)
