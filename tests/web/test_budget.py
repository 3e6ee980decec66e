"""What a phone downloads to show the table, and how soon the table is usable (loopback, cold and warm cache).

The figures are written to artifacts/web-bench.json and printed; the asserts are budgets with room to spare, so
a change that doubles the page's weight or its start-up time fails here.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response

from tests.web.conftest import PHONE, ROOT, Conference, Facilitator, WebServer, wait_ready

BYTES_BUDGET = 120_000  # HTML + JS + CSS + catalog + deck + websocket snapshot, gzipped where the server gzips
USABLE_BUDGET_MS = 2_000


def measure(page: Any, url: str) -> dict[str, Any]:
    sizes: dict[str, int] = {}
    bodies: dict[str, int] = {}
    frames: list[int] = []

    def on_response(response: Response) -> None:
        request = response.request
        kind = request.resource_type
        try:
            body = request.sizes()["responseBodySize"]  # bytes on the wire (after gzip)
            headers = request.sizes()["responseHeadersSize"]
        except PlaywrightError:  # a response whose sizes the browser no longer has (e.g. a cancelled request)
            body, headers = 0, 0
        key = {"document": "html", "script": "js", "stylesheet": "css"}.get(kind, kind)
        if "/api/decks/" in request.url:
            key = "deck"
        elif "/i18n/" in request.url:
            key = "catalog"
        sizes[key] = sizes.get(key, 0) + max(0, body) + max(0, headers)
        bodies[key] = bodies.get(key, 0) + max(0, body)

    page.on("response", on_response)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))
    page.goto(url)
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    usable = page.evaluate("performance.getEntriesByName('raaderum:usable')[0].startTime")
    page.remove_listener("response", on_response)
    sizes["websocket"] = sum(frames)
    return {"bytes": sizes, "bodies": bodies, "total": sum(sizes.values()), "usable_ms": round(usable, 1)}


def test_bytes_and_time_to_a_usable_table_on_a_phone(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    seats = [
        httpx.post(f"{web_server.url}/api/join", json={"code": conference.code, "name": n}, timeout=10).json()
        for n in ("Sara", "Tom", "Ulla")
    ]
    facilitator.command("start_round")
    for n in range(20):
        facilitator.command("announce", text=f"Besked nummer {n} til bordet, så chatten har lidt indhold.")
    seat = {**seats[0], "name": "Sara", "code": conference.code}
    watched = new_context(PHONE)
    watched.context.add_init_script(
        f"localStorage.setItem('raaderum:seats', JSON.stringify({json.dumps({seat['table_id']: seat})}))"
    )
    url = f"{web_server.url}/table/{conference.table_id}"
    cold = measure(watched.page(), url)
    warm_page = watched.page()
    warm = measure(warm_page, url)
    report = {"cold": cold, "warm": warm}
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "web-bench.json").write_text(json.dumps(report, indent=2))
    print("\nweb client, table page on a phone:", json.dumps(report))
    assert cold["total"] < BYTES_BUDGET, cold
    assert cold["usable_ms"] < USABLE_BUDGET_MS, cold
    assert warm["bodies"].get("js", 0) == 0, "modules come from the cache under their versioned URLs"
    assert warm["bodies"].get("deck", 0) == 0, "the deck comes from the cache under its version"
