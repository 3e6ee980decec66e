"""Play a whole game in a browser and take a screenshot at each step (a walkthrough, not a test).

    PYTHONPATH=. .venv/bin/python scripts/walk_game.py --url http://127.0.0.1:8731 --out artifacts/walkthrough

Needs a running server (`raaderum demo --port 8731`) and Debian's Chromium. The facilitator creates a conference
on /conference/new, opens the control room and the projector; three players join on phones and one on a laptop;
they chat, propose, amend and vote; an event card comes between rounds; the mayor calls a vote; the game ends
with the debrief, the forligsreferat and the replay. Console errors and warnings go to <out>/console-<lang>.txt;
screenshots are <out>/<lang>-NN-<step>.png. `--lang en` walks the English screens.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
HALL = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}
SHORT = ["ÆL-01", "SK-02", "AD-03"]
ENOUGH = [
    "ÆL-05", "SK-04", "SP-05", "DT-02", "AD-02", "TM-04", "SP-04", "BE-01", "SK-05", "DT-03", "SP-U1", "KF-U1",
    "ÆL-U1", "TM-01", "ÆL-04", "SK-01", "DT-01", "AD-05", "KF-02", "ÆL-06", "AD-06", "SK-03", "TM-03", "SU-03",
    "SK-U1", "TM-06", "DT-04", "SP-01",
]  # fmt: skip


class Walk:
    def __init__(self, browser: Browser, url: str, out: Path, lang: str) -> None:
        self.browser, self.url, self.out, self.lang = browser, url, out, lang
        self.errors: list[str] = []
        self.step = 0
        out.mkdir(parents=True, exist_ok=True)

    def context(self, size: dict[str, object], who: str) -> tuple[BrowserContext, Page]:
        locale = "da-DK" if self.lang == "da" else "en-GB"
        context = self.browser.new_context(**size, locale=locale)  # type: ignore[arg-type]
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: self._console(who, m))
        page.on("pageerror", lambda e: self.errors.append(f"{who} pageerror: {e}"))
        return context, page

    def _console(self, who: str, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{who} console {message.type}: {message.text}")

    def shot(self, page: Page, name: str, full: bool = False) -> None:
        self.step += 1
        page.wait_for_timeout(300)
        page.screenshot(path=str(self.out / f"{self.lang}-{self.step:02d}-{name}.png"), full_page=full)


def open_tab(page: Page, name: str) -> None:
    tab = page.locator(f"#tab-{name}")
    if tab.is_visible():
        tab.click()


def proposal(page: Page, pid: str) -> Locator:
    return page.locator(f"article.proposal[data-proposal='{pid}']")


def confirm(page: Page) -> None:
    """Answer yes to a confirmation dialog, when one opens."""
    yes = page.locator("dialog[data-confirm] button[value=yes]")
    try:
        yes.wait_for(state="visible", timeout=1500)
    except PlaywrightTimeout:
        return
    yes.click()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8731")
    parser.add_argument("--out", type=Path, default=Path("artifacts/walkthrough"))
    parser.add_argument("--lang", default="da", choices=["da", "en"])
    parser.add_argument("--upto", type=int, default=99)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        walk = Walk(browser, args.url, args.out, args.lang)
        try:
            play(walk, args.upto)
        finally:
            (args.out / f"console-{args.lang}.txt").write_text("\n".join(walk.errors) + "\n", encoding="utf-8")
            print("\n".join(walk.errors))
            browser.close()


def play(walk: Walk, upto: int) -> None:
    url = walk.url
    _, fac = walk.context(LAPTOP, "facilitator")
    fac.goto(f"{url}/conference/new" + ("?lang=en" if walk.lang == "en" else ""))
    fac.wait_for_selector("body[data-ready]", state="attached")
    fac.wait_for_timeout(1500)
    walk.shot(fac, "setup", full=True)
    fac.fill("#name", "Budgetseminar 2027" if walk.lang == "da" else "Budget seminar 2027")
    fac.fill("#tables", "2")
    fac.fill("#target", "18,5")
    fac.fill("#rounds", "3")
    fac.fill("#minutes", "20")
    fac.select_option("#language", walk.lang)
    fac.wait_for_timeout(800)
    walk.shot(fac, "setup-filled", full=True)
    fac.locator("#setup-form button[type=submit]").click()
    fac.wait_for_url("**/control/**")
    fac.wait_for_selector("body[data-ready]", state="attached")
    fac.wait_for_timeout(1000)
    walk.shot(fac, "control-empty", full=True)
    if upto <= 1:
        return
    codes = [c.strip() for c in fac.locator("#grid .code").all_inner_texts()]
    code = codes[0]
    _, hall = walk.context(HALL, "projector")
    with fac.expect_popup() as popup:
        fac.locator("#open-projector").click()
    hall_url = popup.value.url
    popup.value.close()
    hall.goto(hall_url)
    hall.wait_for_timeout(1500)
    walk.shot(hall, "projector-lobby")

    players: dict[str, Page] = {}
    for name, size in (("Anna", PHONE), ("Bo", LAPTOP), ("Cem", PHONE), ("Dorte", PHONE)):
        _, page = walk.context(size, name)
        if name == "Bo":
            page.goto(f"{url}/")
            page.wait_for_selector("body[data-ready]", state="attached")
            page.fill("#code", code.lower())
            walk.shot(page, "join-by-code-laptop")
        else:
            page.goto(f"{url}/join/{code}")
            page.wait_for_selector("body[data-ready]", state="attached")
            if name == "Anna":
                walk.shot(page, "join-phone")
        page.fill("#name", name)
        page.locator("button[type=submit]:visible").first.click()
        page.wait_for_url("**/table/**")
        page.wait_for_selector("body[data-ready]", state="attached")
        players[name] = page
    anna, bo = players["Anna"], players["Bo"]
    anna.wait_for_timeout(800)
    walk.shot(anna, "lobby-phone")
    walk.shot(bo, "lobby-laptop")
    walk.shot(fac, "control-lobby", full=True)
    walk.shot(hall, "projector-lobby-joined")
    if upto <= 2:
        return
    negotiate(walk, fac, hall, players, upto)


def negotiate(walk: Walk, fac: Page, hall: Page, players: dict[str, Page], upto: int) -> None:
    """Round 1: roles, chat with a mention, a proposal that falls short, an amendment, the mayor's vote."""
    anna, bo, cem = players["Anna"], players["Bo"], players["Cem"]
    fac.locator("[data-action=start_all]").click()
    confirm(fac)
    expect(anna.locator("#round-status")).to_contain_text(re.compile("1"))
    anna.wait_for_timeout(800)
    walk.shot(anna, "round1-phone")
    open_tab(anna, "people")
    walk.shot(anna, "people-phone", full=True)
    open_tab(anna, "chat")
    walk.shot(bo, "round1-laptop")
    walk.shot(hall, "projector-round1")
    walk.shot(fac, "control-round1", full=True)
    roles: dict[str, str] = {}
    for name, page in players.items():
        open_tab(page, "people")
        roles[name] = page.locator("#people .role-card h2").inner_text()
        open_tab(page, "chat")
    print("roles", roles)
    if upto <= 3:
        return

    anna.locator("#message").click()
    anna.keyboard.type("Skal vi tage #ael")
    anna.wait_for_timeout(400)
    walk.shot(anna, "mention-autocomplete")
    anna.keyboard.press("Enter")
    anna.keyboard.type("med fra start?")
    anna.keyboard.press("Enter")
    cem.locator("#message").fill("Jeg vil ikke skære i folkeskolen.")
    cem.locator("#message").press("Enter")
    bo.wait_for_timeout(500)
    bo.locator("#stream button.chip").first.click()
    walk.shot(bo, "card-dialog-laptop")
    bo.keyboard.press("Escape")

    open_tab(anna, "builder")
    for card in SHORT:
        anna.locator(f"[id='pick-{card}']").check()
    anna.wait_for_timeout(800)
    walk.shot(anna, "builder-phone", full=True)
    anna.locator("#propose").click()
    anna.wait_for_timeout(800)
    walk.shot(anna, "proposal-f1-phone", full=True)

    proposal(bo, "F1").locator("button.amend").click()
    open_tab(bo, "builder")
    for card in ENOUGH:
        box = bo.locator(f"[id='pick-{card}']")
        if not box.is_checked():
            box.check()
    bo.wait_for_timeout(800)
    walk.shot(bo, "amend-laptop", full=True)
    bo.locator("#propose").click()
    bo.wait_for_timeout(800)
    walk.shot(hall, "projector-proposals")
    walk.shot(fac, "control-proposals", full=True)
    if upto <= 4:
        return

    mayor = next(players[n] for n, t in roles.items() if "orgmester" in t or "ayor" in t)
    for page in players.values():
        open_tab(page, "chat")
    proposal(mayor, "F1").locator(".vote-against").click()
    mayor.wait_for_timeout(400)
    walk.shot(mayor, "mayor-voted-against-f1", full=True)
    proposal(mayor, "F1").locator(".call-vote").click()
    confirm(mayor)
    mayor.wait_for_timeout(800)
    walk.shot(mayor, "f1-called", full=True)
    for page in players.values():
        button = proposal(page, "F2").locator(".vote-for")
        if button.is_visible():
            button.click()
            page.wait_for_timeout(300)
    anna.wait_for_timeout(1000)
    walk.shot(anna, "forlig-phone", full=True)
    walk.shot(bo, "forlig-laptop")
    walk.shot(hall, "projector-forlig")
    walk.shot(fac, "control-forlig", full=True)
    if upto <= 5:
        return
    finish(walk, fac, hall, players)


def finish(walk: Walk, fac: Page, hall: Page, players: dict[str, Page]) -> None:
    """End round 1, an event card in round 2, end the game, the debriefs, the referat, the replay."""
    anna, bo, cem = players["Anna"], players["Bo"], players["Cem"]
    fac.locator("[data-action=end_round]").click()
    confirm(fac)
    anna.wait_for_timeout(1000)
    walk.shot(anna, "round1-ended-phone")
    walk.shot(hall, "projector-round1-ended")
    fac.locator("[data-action=next_round]").click()
    confirm(fac)
    anna.wait_for_timeout(1500)
    walk.shot(anna, "round2-event-phone")
    walk.shot(bo, "round2-event-laptop")
    walk.shot(hall, "projector-event")
    walk.shot(fac, "control-round2", full=True)
    cem.locator("#message").fill("Hændelsen rammer os – skal vi justere?")
    cem.locator("#message").press("Enter")
    fac.fill("#announce-text", "Fem minutter tilbage af runden.")
    fac.locator("#announce-form button[type=submit]").click()
    anna.wait_for_timeout(800)
    walk.shot(anna, "announcement-phone")
    walk.shot(hall, "projector-announcement")
    fac.locator("[data-action=end_game]").click()
    confirm(fac)
    anna.wait_for_timeout(1500)
    walk.shot(anna, "game-ended-phone")
    walk.shot(hall, "projector-game-ended")
    walk.shot(fac, "control-ended", full=True)
    fac.locator("[data-action=show_debrief]").click()
    confirm(fac)
    anna.wait_for_timeout(1500)
    walk.shot(anna, "debrief-offered-phone")
    walk.shot(hall, "projector-debrief")
    for page in (anna, bo):
        link = page.locator("#phase-banner a").first
        link.click()
        page.wait_for_url("**/debrief")
        page.wait_for_selector("body[data-ready]", state="attached")
        page.wait_for_timeout(1500)
    walk.shot(anna, "debrief-phone", full=True)
    walk.shot(bo, "debrief-laptop", full=True)
    bo.locator("a", has_text=re.compile("Forligsreferat|Agreement summary")).first.click()
    bo.wait_for_url("**/referat")
    bo.wait_for_timeout(1500)
    walk.shot(bo, "referat-laptop", full=True)
    fac.locator("#debrief-link").click()
    fac.wait_for_timeout(2000)
    for page in fac.context.pages:
        if page is not fac:
            page.wait_for_timeout(1000)
            walk.shot(page, "conference-debrief", full=True)
    grid = fac.locator("#grid")
    with fac.context.expect_page() as replay_page:
        grid.locator("a, button", has_text=re.compile("Genafspil|Replay")).first.click()
    replay = replay_page.value
    replay.wait_for_timeout(2500)
    walk.shot(replay, "replay", full=True)
    with fac.context.expect_page() as dialogue_page:
        fac.locator("#open-dialogue").click()
    dialogue = dialogue_page.value
    dialogue.set_viewport_size({"width": 1920, "height": 1080})
    dialogue.wait_for_timeout(2500)
    walk.shot(dialogue, "projector-dialogue")


if __name__ == "__main__":
    main()
