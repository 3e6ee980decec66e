"""A reload in the middle of the game and a connection that drops: nothing missing, nothing twice."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import LAPTOP, PHONE, Conference, Facilitator, WebServer, join_by_link, wait_ready


def chat_texts(page: Page) -> list[str]:
    return page.locator("#stream .message .text").all_inner_texts()


def stream_seqs(page: Page) -> list[int]:
    return [int(seq) for seq in page.eval_on_selector_all("#stream [data-seq]", "els => els.map(e => e.dataset.seq)")]


def say(page: Page, text: str) -> None:
    page.locator("#message").fill(text)
    page.locator("#message").press("Enter")


def assert_once_in_order(page: Page, expected: list[str]) -> None:
    for text in expected:
        expect(page.locator("#stream .message .text", has_text=text)).to_have_count(1)
    texts = chat_texts(page)
    positions = [next(i for i, t in enumerate(texts) if t == text) for text in expected]
    assert positions == sorted(positions), texts
    seqs = stream_seqs(page)
    assert len(seqs) == len(set(seqs)), f"an event is shown twice: {seqs}"


def test_reload_and_offline_resume_without_gaps_or_duplicates(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    anna_ctx, bo_ctx = new_context(PHONE), new_context(LAPTOP)
    anna, bo = anna_ctx.page(), bo_ctx.page()
    join_by_link(anna, web_server, conference.code, "Anna")
    join_by_link(bo, web_server, conference.code, "Bo")
    joined = httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": "Cem"}, timeout=10)
    assert joined.status_code == 200, joined.text  # a third seat, so the game can start
    facilitator.command("start_round")
    sent: list[str] = []
    for n in range(1, 4):
        sent.append(f"før genindlæsning {n}")
        say(bo, sent[-1])
    assert_once_in_order(anna, sent)

    # A reload: the page starts from a snapshot and goes on with live events.
    anna.locator("#message").fill("en kladde der overlever")
    anna.reload()
    wait_ready(anna)
    expect(anna.locator("#message")).to_have_value("en kladde der overlever")
    sent.append("efter genindlæsning")
    say(bo, sent[-1])
    assert_once_in_order(anna, sent)
    expect(anna.locator("#conn")).to_have_attribute("data-state", "online")

    # Offline: the state is visible, messages sent meanwhile arrive once when the network is back.
    anna.locator("#message").fill("")
    anna_ctx.context.set_offline(True)
    expect(anna.locator("#conn")).to_contain_text("Forbindelsen genoprettes")
    say(anna, "skrevet mens jeg var offline")
    for n in range(1, 4):
        sent.append(f"mens Anna var væk {n}")
        say(bo, sent[-1])
    if bo.locator("#tab-builder").is_visible():
        bo.locator("#tab-builder").click()
    bo.locator("[id='pick-AD-03']").check()
    expect(bo.locator("#propose")).to_be_enabled()
    bo.locator("#propose").click()
    expect(bo.locator("article.proposal[data-proposal='F1']")).to_be_visible()
    expect(anna.locator("article.proposal[data-proposal='F1']")).to_have_count(0)
    anna_ctx.context.set_offline(False)
    expect(anna.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)
    sent.insert(4, "skrevet mens jeg var offline")
    expected = [*sent[:4], *sent[5:]]
    assert_once_in_order(anna, expected)
    expect(anna.locator("#stream .message .text", has_text="skrevet mens jeg var offline")).to_have_count(1)
    expect(anna.locator("article.proposal[data-proposal='F1']")).to_have_count(1)
    expect(bo.locator("#stream .message .text", has_text="skrevet mens jeg var offline")).to_have_count(1)

    # The server's log agrees: each chat line was recorded exactly once.
    texts = [e["text"] for e in facilitator_log(facilitator) if e["type"] == "message_posted"]
    assert sorted(texts) == sorted(set(texts)), texts
    assert "skrevet mens jeg var offline" in texts

    # And a second reload after all that still shows everything once.
    anna.reload()
    wait_ready(anna)
    assert_once_in_order(anna, [t for t in expected if t != "skrevet mens jeg var offline"])
    expect(anna.locator("#stream .message .text", has_text="skrevet mens jeg var offline")).to_have_count(1)
    assert not anna_ctx.errors, (anna_ctx.errors, bo_ctx.errors)
    assert not bo_ctx.errors, (anna_ctx.errors, bo_ctx.errors)


def facilitator_log(facilitator: Facilitator) -> list[dict[str, Any]]:
    facilitator.command("ping_only")  # drains the frames that arrived so far
    return facilitator.events
