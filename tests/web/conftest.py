"""Browser tests of the web client: a real uvicorn process, Debian's Chromium driven by Playwright.

Chromium comes from Debian (`apt-get install chromium`, see scripts/ensure-chromium.sh); Playwright's own
browser download is never used. The tests fail (they do not skip) when /usr/bin/chromium is missing, so a
CI machine without it is noticed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Request, sync_playwright
from websockets.sync.client import ClientConnection, connect

from testsupport.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("RAADERUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = "raaderum-web-test-secret"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
TIMEOUT_MS = 15_000
# axe-core from npm (tests/browser/package.json, installed by scripts/ensure-npm-packages.sh); the server never
# serves it. The pages' CSP allows only their own scripts, so the tests hand it to the page through Playwright's
# evaluate (DevTools, outside the CSP) rather than a <script> tag the CSP would block.
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]  # best practice: heading order, landmarks
AXE_RUN = r"""async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.slice(0, 4).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`).join("\n"));
}"""


class WebServer(ServerProcess):
    """A real server (testsupport's, with the production options) on a free port and a fresh SQLite file."""

    def __init__(self, directory: Path) -> None:
        rates = {"RAADERUM_FRAMES_PER_SECOND": "1000", "RAADERUM_FRAME_BURST": "1000"}
        super().__init__(f"sqlite:///{directory / 'events.db'}", env=rates, log_dir=directory, secret=SECRET)
        self.start()

    def log(self) -> str:
        return self.log_text()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web"))
    yield server
    server.stop()
    assert "Traceback (most recent call last)" not in server.log(), server.log()[-4000:]


@dataclass
class Conference:
    conference_id: str
    facilitator_token: str
    table_id: str
    code: str


def create_conference(server: WebServer, **fields: Any) -> Conference:
    response = httpx.post(f"{server.url}/api/conferences", json={"name": "Webtest", "tables": 1, **fields}, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    table = body["tables"][0]
    return Conference(body["conference_id"], body["facilitator_token"], table["table_id"], table["join_code"])


@pytest.fixture
def conference(web_server: WebServer) -> Conference:
    return create_conference(web_server, round_seconds=1800)


class Facilitator:
    """The facilitator over the websocket (their pages are a later issue): commands and their acks."""

    def __init__(self, server: WebServer, conference: Conference) -> None:
        self._stack = contextlib.ExitStack()
        url = f"{server.ws_url}/ws/tables/{conference.table_id}"
        self.ws: ClientConnection = self._stack.enter_context(connect(url, open_timeout=10))
        self.counter = 0
        self.events: list[dict[str, Any]] = []
        self.ws.send(json.dumps({"type": "hello", "token": conference.facilitator_token, "after": 0, "lang": "da"}))
        self.command("ping_only")

    def _frames_until(self, frame_id: str) -> dict[str, Any]:
        while True:
            frame = json.loads(self.ws.recv(timeout=10))
            if frame["type"] == "event":
                self.events.append(frame["event"])
            if frame.get("id") == frame_id and frame["type"] in ("ack", "error", "pong"):
                return frame  # type: ignore[no-any-return]

    def command(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.counter += 1
        frame_id = f"f{self.counter}"
        if kind == "ping_only":
            self.ws.send(json.dumps({"type": "ping", "id": frame_id}))
            return self._frames_until(frame_id)
        self.ws.send(json.dumps({"type": kind, "id": frame_id, **fields}))
        reply = self._frames_until(frame_id)
        assert reply["type"] == "ack", f"{kind} {fields}: {reply}"
        return reply

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def facilitator(web_server: WebServer, conference: Conference) -> Iterator[Facilitator]:
    fac = Facilitator(web_server, conference)
    yield fac
    fac.close()


# Module scope: Playwright's sync API holds an event loop while it runs, and the suite runs in a random order,
# so an asynchronous test module that comes after a browser module must not find it still running.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Watched:
    """A browser context whose every request and console error is recorded."""

    context: BrowserContext
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self) -> Page:
        page = self.context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        expected = ("WebSocket", "ERR_INTERNET_DISCONNECTED")  # a dropped connection while offline
        if message.type == "error" and not any(marker in message.text for marker in expected):
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def make(size: dict[str, Any] | None = None, locale: str = "da-DK") -> Watched:
        context = browser.new_context(**(size or PHONE), locale=locale)
        contexts.append(context)
        watched = Watched(context)

        def record(request: Request) -> None:
            watched.requests.append(request.url)

        context.on("request", record)
        return watched

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


def check_accessibility(page: Page, where: str = "") -> None:
    """Fail on any WCAG 2.1 A/AA violation axe-core finds in the page's current state (never skips: a machine
    without axe-core fails here, like one without Chromium)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/ensure-npm-packages.sh (npm ci in tests/browser)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    assert not violations, f"axe on {where or page.url}:\n" + "\n".join(violations)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    check_accessibility(page, name)


def wait_ready(page: Page) -> None:
    """The page has finished its first render; every page the tests reach is checked with axe here."""
    page.wait_for_selector("body[data-ready]", state="attached")
    check_accessibility(page)


def join_by_link(page: Page, server: WebServer, code: str, name: str) -> None:
    page.goto(f"{server.url}/join/{code}")
    wait_ready(page)
    page.fill("#name", name)
    page.click("button[type=submit]")
    page.wait_for_url("**/table/**")
    wait_ready(page)


def fresh_dir() -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
