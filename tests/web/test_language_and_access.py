"""English on request, Danish numbers, readable contrast, and the table by keyboard at phone width."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from engine.format import format_mio
from tests.web.conftest import LAPTOP, PHONE, Conference, Facilitator, WebServer, join_by_link, wait_ready

AMOUNTS = [0, 0.04, -0.04, 0.05, 0.15, 0.25, 0.35, 1.25, -1.25, 2.675, 12.5, -4, 999.95, 1234.56, -1234.56, 1e6 + 0.45]

CONTRAST = """
() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    const stack = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) stack.push(c);
      if (c && c.a === 1) break;
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of stack.reverse()) result = blend(c, result);
    return result;
  };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".visually-hidden, [hidden], svg")) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden") continue;
    const bg = background(el);
    const fg = blend(parse(cs.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (parseInt(cs.fontWeight, 10) >= 700 && size >= 18.66);
    const what = el.textContent.trim().slice(0, 50);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${ratio.toFixed(2)} ${cs.color} on ${JSON.stringify(bg)}: ${what}`);
  }
  return bad;
}
"""


def low_contrast(page: Page) -> list[str]:
    result: list[str] = page.evaluate(CONTRAST)
    return result


def test_money_is_formatted_in_the_browser_exactly_as_the_engine_does(web_server: WebServer, new_context: Any) -> None:
    page = new_context(PHONE).page()
    page.goto(web_server.url)
    wait_ready(page)
    for lang in ("da", "en"):
        shown = page.evaluate(
            "([values, lang]) => import('/static/js/format.js').then((f) => values.map((v) => f.mio(v, { lang })))",
            [AMOUNTS, lang],
        )
        assert [s.replace("\u00a0", " ") for s in shown] == [format_mio(v, lang) for v in AMOUNTS]
    assert page.evaluate("import('/static/js/format.js').then((f) => f.percent(0.755, { lang: 'da' }))") == "76\u00a0%"


def test_english_is_selectable_and_remembered(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    watched = new_context(LAPTOP)
    page = watched.page()
    page.goto(f"{web_server.url}/join/{conference.code}?lang=en")
    wait_ready(page)
    expect(page.locator("h1")).to_have_text("Join a table")
    page.fill("#name", "Eve")
    page.click("button[type=submit]")
    page.wait_for_url("**/table/**")
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#tab-builder")).to_contain_text("Proposals")
    expect(page.locator("#standing")).to_contain_text("target in 2027: DKK\u00a020.0m")
    expect(page.locator("#deck-list")).to_contain_text("Screen visits in home care")  # the deck's own translation
    expect(page.locator("#phase-banner")).to_contain_text("The facilitator starts the game")
    page.locator("a.lang-switch").click()
    wait_ready(page)
    expect(page.locator("#tab-builder")).to_contain_text("Forslag")
    expect(page.locator("#deck-list")).to_contain_text("Skærmbesøg i hjemmeplejen")
    assert not watched.errors, watched.errors
    assert httpx.get(f"{web_server.url}/", cookies={"raaderum_lang": "en"}).text.count("Join a table") >= 1


def test_the_table_works_by_keyboard_at_360_px_with_readable_contrast(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    watched = new_context(PHONE)
    page = watched.page()
    join_by_link(page, web_server, conference.code, "Frida")
    for name in ("Gorm", "Hanne"):
        httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": name}, timeout=10)
    facilitator.command("start_round")
    expect(page.locator("#stream")).to_contain_text("Runde 1 af 3 begynder")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "nothing is wider than the phone"
    assert not low_contrast(page), low_contrast(page)

    # Keyboard only: the tabs, the builder's checkboxes, the propose button, the chat.
    page.locator("#tab-chat").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-builder")).to_be_focused()
    expect(page.locator("#tab-builder")).to_have_attribute("aria-selected", "true")
    page.locator("#filter-text").focus()
    page.keyboard.type("ledelseslag")
    expect(page.locator("#deck-list li.deck-card")).to_have_count(1)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("[id='pick-AD-03']")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("[id='pick-AD-03']")).to_be_checked()
    expect(page.locator("#meter svg")).to_be_visible()
    assert not low_contrast(page), low_contrast(page)
    page.locator("#propose").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tab-chat")).to_have_attribute("aria-selected", "true")
    expect(page.locator("article.proposal[data-proposal='F1']")).to_be_visible()
    page.locator("#message").focus()
    page.keyboard.type("Et forslag med #AD-03")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    expect(page.locator("#stream .message .text", has_text="Et forslag med")).to_have_count(1)
    # New messages from others are announced to screen readers.
    other = httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": "Ib"}, timeout=10).json()
    ib_ctx = new_context(PHONE)
    ib = ib_ctx.page()
    ib.goto(web_server.url)
    ib.evaluate(
        "seat => localStorage.setItem('raaderum:seats',"
        " JSON.stringify({[seat.table_id]: {...seat, name: 'Ib', code: ''}}))",
        other,
    )
    ib.goto(f"{web_server.url}/table/{conference.table_id}")
    wait_ready(ib)
    ib.locator("#message").fill("Hej fra Ib")
    ib.locator("#message").press("Enter")
    expect(page.locator("#announcer")).to_contain_text("Ib: Hej fra Ib")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    page.locator("#stream button.chip[data-card='AD-03']").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card-dialog")).to_be_visible()
    assert not low_contrast(page), low_contrast(page)
    page.keyboard.press("Escape")
    expect(page.locator("#card-dialog")).to_be_hidden()
    assert not watched.errors, watched.errors


PLACEHOLDER_FITS = """
() => {
  const box = document.querySelector('#message');
  const style = getComputedStyle(box);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return { text: box.placeholder, width: context.measureText(box.placeholder).width, room };
}
"""


def test_the_chat_placeholder_fits_its_one_line_box_on_a_360_px_phone(
    web_server: WebServer, conference: Conference, new_context: Any
) -> None:
    """The walkthrough's "Skriv til bordet – # nævner et kort" wrapped and was cut in its one-line box."""
    for lang, name in (("da", "Jonna"), ("en", "Kirk")):
        page = new_context(PHONE).page()
        page.goto(f"{web_server.url}/join/{conference.code}?lang={lang}")
        wait_ready(page)
        page.fill("#name", name)
        page.click("button[type=submit]")
        page.wait_for_url("**/table/**")
        wait_ready(page)
        fits = page.evaluate(PLACEHOLDER_FITS)
        assert "#" in fits["text"], fits  # it still tells how to mention a card
        assert fits["width"] <= fits["room"], fits
