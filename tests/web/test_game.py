"""Three players in separate browser contexts play a whole game at one table, and what each of them sees."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from engine.deck import EventCard, load_deck
from tests.web.conftest import (
    LAPTOP,
    PHONE,
    SCREENSHOTS,
    Conference,
    Facilitator,
    WebServer,
    join_by_link,
    screenshot,
    wait_ready,
)

DECK = load_deck("decks/korsbaek")
SHORT = ["ÆL-01", "SK-02", "AD-03"]
# With SHORT, this reaches the target in all four years before any event card (checked in test_http).
ENOUGH = [
    "ÆL-05", "SK-04", "SP-05", "DT-02", "AD-02", "TM-04", "SP-04", "BE-01", "SK-05", "DT-03", "SP-U1", "KF-U1",
    "ÆL-U1", "TM-01", "ÆL-04", "SK-01", "DT-01", "AD-05", "KF-02", "ÆL-06", "AD-06", "SK-03", "TM-03", "SU-03",
    "SK-U1", "TM-06",  # the wishes must come to 6 mio. kr. a year, and no single wish reaches it
    "DT-04", "SP-01",  # rules 2: the investeringer carry their share of year 4's gains
]  # fmt: skip


def stream(page: Page) -> Any:
    return page.locator("#stream")


def proposal(page: Page, proposal_id: str) -> Any:
    return page.locator(f"article.proposal[data-proposal='{proposal_id}']")


def person(page: Page, name: str) -> Any:
    """The people panel's line of the player called `name` (not one whose role's title contains it)."""
    exact = page.locator(".name", has_text=re.compile(f"^{re.escape(name)}$"))
    return page.locator("#people .players li").filter(has=exact)


def open_tab(page: Page, name: str) -> None:
    tab = page.locator(f"#tab-{name}")
    if tab.is_visible():
        tab.click()


def pick(page: Page, cards: list[str]) -> None:
    open_tab(page, "builder")
    for card in cards:
        box = page.locator(f"[id='pick-{card}']")
        if not box.is_checked():
            box.check()


def can_vote(page: Page, proposal_id: str) -> bool:
    card = proposal(page, proposal_id)
    expect(card.locator(".vote-row:visible, .actions > .note:visible")).to_have_count(1)
    return bool(card.locator(".vote-row").is_visible())


def vote(page: Page, proposal_id: str, choice: str) -> None:
    open_tab(page, "chat")
    button = proposal(page, proposal_id).locator(f".vote-{choice}")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def _join(web_server: WebServer, conference: Conference, players: dict[str, Page]) -> None:
    """Anna joins by the QR link, Bo by typing the code on the join page, by keyboard only; Cem by link. All three
    are in the lobby, online."""
    origin = web_server.url
    anna, bo, cem = players["Anna"], players["Bo"], players["Cem"]
    anna.goto(f"{origin}/join/{conference.code}")
    wait_ready(anna)
    expect(anna.locator("#code")).to_have_value(conference.code)
    expect(anna.locator("#name")).to_be_focused()
    screenshot(anna, "join-phone")
    anna.keyboard.type("Anna")
    anna.keyboard.press("Enter")
    anna.wait_for_url(f"**/table/{conference.table_id}")
    wait_ready(anna)

    bo.goto(f"{origin}/")
    wait_ready(bo)
    expect(bo.locator("#code")).to_be_focused()
    bo.keyboard.type(conference.code.lower())
    bo.keyboard.press("Tab")
    bo.keyboard.type("Bo")
    screenshot(bo, "join-laptop")
    bo.keyboard.press("Enter")
    bo.wait_for_url(f"**/table/{conference.table_id}")
    wait_ready(bo)

    join_by_link(cem, web_server, conference.code, "Cem")

    for name, page in players.items():
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.locator("#phase-banner")).to_contain_text("Facilitatoren starter spillet")
        open_tab(page, "people")
        for other in players:
            expect(page.locator("#people .players")).to_contain_text(other)
        expect(page.locator("#people .players li.online")).to_have_count(3)
        expect(page.locator(f"#people .players li:has-text('{name}') .you")).to_be_visible()
        open_tab(page, "chat")


def _round_one_deals_the_roles(facilitator: Facilitator, players: dict[str, Page]) -> dict[str, str]:
    """Round 1: roles dealt; each sees every role (public, as in a byråd) but only their own hjertesager, which
    come in their view (the deck served to the page has none). The roles' titles by player."""
    facilitator.command("start_round")
    roles: dict[str, str] = {}
    for name, page in players.items():
        expect(stream(page)).to_contain_text("Runde 1 af 3 begynder")
        expect(page.locator("#round-status")).to_contain_text(re.compile(r"Runde 1 af 3 · \d+:\d\d"))
        spoken = re.compile(r"Runde 1 af 3, \d+:\d\d tilbage")
        expect(page.locator("#round-status")).to_have_attribute("aria-label", spoken)
        open_tab(page, "people")
        title = page.locator("#people .role-card h2").inner_text()
        roles[name] = title
        expect(page.locator("#people .hjertesager")).to_contain_text("Hemmelige: kun du kan se dem.")
        role = next(r for r in DECK.roles if r.title.da == title)
        expect(page.locator("#people .hjertesager li")).to_have_text([sag.text.da for sag in role.hjertesager])
        expect(page.locator("#people .their-role")).to_have_count(2)
        expect(page.locator("#people .people .note")).to_have_text(
            "Rollerne og stemmerne er offentlige; hjertesagerne er hemmelige indtil debriefingen."
        )
        open_tab(page, "chat")
    assert set(roles.values()) <= {role.title.da for role in DECK.roles}
    assert len(set(roles.values())) == 3
    for name, page in players.items():  # everybody sees the others' roles, and nobody another's hjertesager
        open_tab(page, "people")
        for other, title in roles.items():
            if other != name:
                expect(person(page, other).locator(".their-role")).to_have_text(title)
        html = page.content()
        for other, title in roles.items():
            role = next(r for r in DECK.roles if r.title.da == title)
            if other != name:
                assert not [sag for sag in role.hjertesager if sag.text.da in html], (name, other)
        open_tab(page, "chat")
    return roles


def _chat_with_a_mention(players: dict[str, Page]) -> None:
    """Chat with a mention picked from the autocomplete, by keyboard; the chip opens the card."""
    anna, bo = players["Anna"], players["Bo"]
    anna.locator("#message").click()
    anna.keyboard.type("Skal vi tage #ael")
    expect(anna.locator("#mentions [role=option]").first).to_contain_text("ÆL-01")
    anna.keyboard.press("Enter")  # chooses the first suggestion
    anna.keyboard.type("med fra start?")
    expect(anna.locator("#message")).to_have_value("Skal vi tage #ÆL-01 med fra start?")
    anna.keyboard.press("Enter")
    for page in players.values():
        message = stream(page).locator(".message", has_text="Skal vi tage")
        expect(message).to_have_count(1)
        expect(message.locator("button.chip[data-card='ÆL-01']")).to_contain_text("Skærmbesøg i hjemmeplejen")
    expect(anna.locator("#message")).to_have_value("")
    # The chip opens the card's detail: four years, capital, årsværk, service, uncertainty, phase-in, sources.
    bo.locator("#stream button.chip[data-card='ÆL-01']").click()
    dialog = bo.locator("#card-dialog")
    expect(dialog).to_be_visible()
    for text in ("Skærmbesøg i hjemmeplejen", "Drift", "Anlæg", "Årsværk", "−2,5", "Usikkerhed", "middel", "Indfasning",
                 "Konsekvenser", "Kilder", "+0,2", "+1,2", "Kildernes egne priser"):  # fmt: skip
        expect(dialog).to_contain_text(text)
    # Each source from the deck's source table: its title as a link to its address, the publisher and year.
    first = dialog.locator("ul.sources li").first
    expect(first).to_contain_text("S4 Skærmbesøg kan give kommunerne økonomisk råderum. KL, 2019")
    expect(first.locator("a")).to_have_attribute("href", re.compile(r"^https://www\.kl\.dk/nyheder/os/2019/"))
    expect(dialog.locator("ul.sources li")).to_have_count(2)
    expect(dialog.locator(".scaled")).to_have_count(0)  # ÆL-01's figures are not scaled from elsewhere
    bo.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # A card whose figures come from another municipality says how they were scaled.
    bo.evaluate("window.raaderum.openCard('DT-02')")
    expect(dialog.locator(".scaled")).to_have_text(f"Skaleret: {DECK.card('DT-02').scaled.da}")  # type: ignore[union-attr]
    bo.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def _a_proposal_that_falls_short(players: dict[str, Page]) -> None:
    """Anna builds a proposal that falls short; the live meter says so before she proposes it."""
    anna = players["Anna"]
    pick(anna, SHORT)
    meter = anna.locator("#meter")
    expect(meter.locator("svg.year-chart")).to_be_visible()
    expect(meter).to_contain_text("2027: mangler 15,8 mio. kr. for at nå målet")
    # The engine's forecast while negotiating: the expected result and the chance per year (not computed here).
    expect(meter.locator("tr.expected-row th")).to_have_text("Forventet efter terningerne")
    expect(meter.locator("tr.chance-row td")).to_have_count(4)
    expect(meter.locator("tr.chance-row td").first).to_have_text(re.compile(r"^\d+\u00a0%$"))
    expect(meter).to_contain_text("Ingen investering i forslaget")
    expect(meter.locator(".why-words")).to_contain_text("2027: der mangler 15,8 mio. kr.")
    # Service cuts and improvements are counted apart, per area too (SK-02 is the only card with a cut).
    expect(meter.locator(".facts")).to_contain_text("Service: −1 i forringelser, 0 i forbedringer")
    expect(meter.locator(".service-areas")).to_have_text("Skole og SFO: −1 i forringelser, 0 i forbedringer")
    expect(anna.locator("#tab-builder .count")).to_have_text("3")
    screenshot(anna, "builder-phone")
    anna.locator("#propose").click()
    expect(anna.locator("#tab-chat")).to_have_attribute("aria-selected", "true")
    for page in players.values():
        card = proposal(page, "F1")
        expect(card).to_contain_text("Stillet af Anna · runde 1")
        expect(card.locator(".proposal-cards li")).to_have_count(3)
        expect(card.locator(".year-strip")).to_contain_text("−15,8")
        # Every open proposal says why in words, the engine's (issue 14): the year, by how much, the cheapest fix.
        expect(card.locator(".why-words")).to_contain_text("2027: der mangler 15,8 mio. kr.")
        expect(card.locator(".why-words")).to_contain_text(re.compile("Billigste løsning|Ingen enkelt ændring"))
        # Every open proposal carries the engine's forecast too: the chance per year, the expected result.
        expect(card.locator(".year-strip .chance")).to_have_count(4)
        expect(card.locator(".year-strip .chance").first).to_have_text(re.compile(r"^\d+\u00a0%$"))
        expect(card.locator("tr.expected-row td")).to_have_count(4)
        expect(card.locator(".status")).to_have_text("Åbent")


def _an_amendment_that_reaches_the_target(players: dict[str, Page]) -> None:
    """Bo amends it into a proposal that reaches the target (laptop: chat and builder side by side)."""
    bo = players["Bo"]
    proposal(bo, "F1").locator("button.amend").click()
    expect(bo.locator("#amending")).to_contain_text("Du laver et ændringsforslag til F1")
    pick(bo, ENOUGH)
    # The engine's why in words (issue 14), and the deck's linked pairs as warnings, not rules.
    expect(bo.locator("#meter .why-words")).to_contain_text("Porteføljen opfylder alle betingelser")
    expect(bo.locator("#meter .warnings li")).to_have_count(3)
    expect(bo.locator("#meter .warnings")).to_contain_text("ÆL-05 + ÆL-U1: Færre medarbejdertimer på plejecentrene")
    expect(bo.locator("#panel-chat")).to_be_visible()
    screenshot(bo, "builder-laptop")
    bo.locator("#propose").click()
    for page in players.values():
        card = proposal(page, "F2")
        expect(card).to_contain_text("Stillet af Bo · runde 1 · ændrer F1")
        expect(card.locator(".proposal-cards li")).to_have_count(len(SHORT) + len(ENOUGH))
        expect(card.locator(".year-strip li.ok")).to_have_count(4)


def _vote_f1_down_and_adopt_f2(facilitator: Facilitator, players: dict[str, Page], roles: dict[str, str]) -> None:
    """The table page shows the rule, each player's weight and who is still to vote; the mayor votes F1 down
    and calls the vote before the others have voted. F2 is adopted when everyone has voted; the tally is live
    for everybody. The facilitator ends the round."""
    bo, cem = players["Bo"], players["Cem"]
    mayor_name = next(name for name, title in roles.items() if title == DECK.role("borgmester").title.da)
    mayor = players[mayor_name]
    voters = [page for page in players.values() if can_vote(page, "F1")]
    assert mayor in voters, "the mayor always votes"
    # Who has not voted yet: the players with a vote, never one whose role has none (the server says who).
    waiting = re.escape(", ".join(name for name, page in players.items() if page in voters))
    total = 2 + len(voters) - 1  # the mayor has 2 votes, the others 1
    for page in players.values():
        expect(proposal(page, "F1").locator(".tally")).to_have_text(re.compile(f"Har ikke stemt: {waiting}$"))
        count = proposal(page, "F1").locator(".vote-count")
        expect(count).to_have_text(f"0 af {total} stemmer for · bredt forlig: to tredjedele af stemmerne")
        # Only the mayor may call the vote (the facilitator too, from the control room's socket).
        expect(proposal(page, "F1").locator(".call-vote")).to_be_visible(visible=page is mayor)
        open_tab(page, "people")
        expect(page.locator("#people .voting-rule")).to_contain_text("Afstemningsregel: bredt forlig")
        weight = person(page, mayor_name).locator(".weight")
        expect(weight).to_have_text("2 stemmer")
        for other, other_page in players.items():
            if other_page not in voters:
                expect(person(page, other).locator(".weight")).to_have_text("ingen stemme")
        open_tab(page, "chat")
    for page in players.values():
        if page not in voters:
            expect(proposal(page, "F1").locator(".actions > .note")).to_have_text("Din rolle har ikke stemmeret.")
    vote(mayor, "F1", "against")
    others = re.escape(", ".join(name for name, page in players.items() if page in voters and page is not mayor))
    for page in players.values():
        expect(proposal(page, "F1").locator(".tally")).to_have_text(re.compile(f"Har ikke stemt: {others}$"))
        expect(proposal(page, "F1").locator(".status")).to_have_text("Åbent")
    proposal(mayor, "F1").locator(".call-vote").click()
    for page in players.values():
        expect(stream(page)).to_contain_text("Forslag F1 blev stemt ned.")
        expect(proposal(page, "F1").locator(".status")).to_have_text("Stemt ned")
        expect(proposal(page, "F1").locator(".tally")).to_contain_text(f"Imod: {mayor_name}")
        expect(proposal(page, "F1").locator(".call-vote")).to_be_hidden()
    # Rules 3: crossing two thirds adopts nothing; F2 is decided when the last voter has voted.
    for index, page in enumerate(voters):
        expect(proposal(page, "F2").locator(".status")).to_have_text("Åbent")
        vote(page, "F2", "for")
        name = next(name for name, other in players.items() if other is page)
        for other in players.values():
            expect(proposal(other, "F2").locator(".tally")).to_contain_text(re.compile(f"For: [^·]*{name}"))
            if index < len(voters) - 1:
                expect(proposal(other, "F2").locator(".status")).to_have_text("Åbent")
    for page in players.values():
        expect(stream(page)).to_contain_text(re.compile(r"Forlig! Forslag F2 er vedtaget med 100\s% af stemmerne\."))
        expect(page.locator("#standing")).to_contain_text("Forlig F2")
        expect(page.locator("#standing li.ok")).to_have_count(4)
        # A forlig does not end the round: the table may still amend it until the facilitator ends the round.
        expect(page.locator("#round-status")).to_contain_text("Runde 1 af 3 ·")
    facilitator.command("end_round")
    for page in players.values():
        expect(stream(page)).to_contain_text("Runde 1 er slut: afsluttet af facilitatoren.")
        expect(page.locator("#round-status")).to_have_text("Runde 1 er slut")
    screenshot(cem, "table-phone")
    screenshot(bo, "table-laptop")


def _round_two_draws_an_event(facilitator: Facilitator, players: dict[str, Page]) -> EventCard:
    """Round 2 draws an event card; everybody sees it revealed in the stream. The card drawn."""
    cem = players["Cem"]
    facilitator.command("start_round")
    drawn = [e for e in facilitator.events if e["type"] == "round_started" and e["round"] == 2]
    assert drawn, facilitator.events
    assert drawn[0]["event_card"], facilitator.events
    event = DECK.event(drawn[0]["event_card"])
    for page in players.values():
        round_item = stream(page).locator(".round-start", has_text="Runde 2 af 3 begynder")
        expect(round_item.locator(".event-card")).to_contain_text(event.title.da)
        expect(round_item.locator(".event-card")).to_contain_text(event.description.da[:40])
        # Its background lists the sources from the deck's table, each with its title and address.
        sources = round_item.locator(".event-card ul.sources li")
        expect(sources).to_have_count(len(event.sources))
        first = DECK.source(event.sources[0])
        expect(sources.first).to_contain_text(f"{first.id} {first.title}")
        expect(sources.first.locator("a")).to_have_attribute("href", first.url)
        expect(page.locator("#round-status")).to_contain_text("Runde 2 af 3")
    cem.locator("#message").fill("Hændelsen rammer os – skal vi justere?")
    cem.locator("#message").press("Enter")
    for page in players.values():
        expect(stream(page).locator(".message", has_text="Hændelsen rammer os")).to_have_count(1)
    facilitator.command("announce", text="Fem minutter tilbage af runden.")
    for page in players.values():
        expect(stream(page).locator(".message.announcement")).to_contain_text("Fem minutter tilbage")
    return event


def _the_debrief(
    facilitator: Facilitator, conference: Conference, players: dict[str, Page], roles: dict[str, str], event: EventCard
) -> None:
    """The end: reality check, then the debrief for everybody."""
    anna, bo = players["Anna"], players["Bo"]
    facilitator.command("end_game")
    for page in players.values():
        expect(page.locator("#phase-banner")).to_contain_text("Spillet er slut")
    facilitator.command("show_debrief")
    for name, page in players.items():
        link = page.locator("#phase-banner a", has_text="Se debriefingen")
        expect(link).to_be_visible()
        link.click()
        page.wait_for_url(f"**/table/{conference.table_id}/debrief")
        wait_ready(page)
        debrief = page.locator("#debrief")
        expect(debrief.locator(".verdict h2")).to_have_text(re.compile(r"^Målet er (ikke )?nået$"))
        expect(debrief.locator(".verdict")).to_contain_text(
            re.compile(r"Forlig F2 blev vedtaget i runde 1 med \d+\s% af stemmerne")
        )
        expect(debrief.locator("svg.year-chart")).to_be_visible()
        # Issue 14 on the player's debrief: the why as a chart with its figures, the fixes, the three questions;
        # the verdict decides the colour, so a green year only where every condition holds.
        expect(debrief.locator("svg.why-chart text.result")).to_have_count(4)
        expect(debrief.locator("#fixes-title")).to_be_visible()
        expect(debrief.locator(".dialogue .question")).to_have_count(3)
        if "ikke" in debrief.locator(".verdict h2").inner_text():
            expect(debrief.locator(".year-chart .bar.ok")).to_have_count(0)
        else:
            expect(debrief.locator(".fixes")).to_have_count(0)
        expect(debrief.locator("svg.year-chart")).to_have_attribute("aria-label", re.compile("2027: fundet"))
        expect(debrief).to_contain_text("Efter type")
        expect(debrief).to_contain_text("Ældre")
        expect(debrief).to_contain_text("serviceindeks")
        expect(debrief).to_contain_text("årsværk ved fuld effekt")
        for other, role_title in roles.items():
            expect(debrief.locator(".roles")).to_contain_text(f"{other} – {role_title}")
        # Issue 13: a point per hjertesag met, per role and for the table.
        expect(debrief.locator(".roles .role-score")).to_have_count(len(roles))
        expect(debrief.locator(".roles .role-score").first).to_contain_text(re.compile(r"Point: \d+ af \d+"))
        expect(debrief.locator(".table-score")).to_contain_text(re.compile(r"Bordets point: \d+ af \d+"))
        expect(debrief).to_contain_text("Alle fire år")
        expect(debrief.locator(".rolls li")).to_have_count(len(SHORT) + len(ENOUGH))
        dice = f"Terningerne for hvert af de {len(SHORT) + len(ENOUGH)} kort"
        expect(debrief.locator(".rolls-box summary")).to_have_text(dice)
        timeline = debrief.locator(".timeline")
        expect(timeline).to_contain_text("Forslag F1 (Stemt ned)")
        expect(timeline).to_contain_text("Forslag F2 (Vedtaget)")
        expect(timeline).to_contain_text(f"Hændelseskort: {event.title.da}")
        expect(debrief).to_contain_text(f"{name}: ")
        expect(debrief.locator(".price-level")).to_have_text(f"Prisniveau: {DECK.scenario.price_level.da}")  # type: ignore[union-attr]
    anna.set_viewport_size(PHONE["viewport"])
    screenshot(anna, "debrief-phone")
    bo.set_viewport_size(LAPTOP["viewport"])
    screenshot(bo, "debrief-laptop")
    anna.screenshot(path=str(SCREENSHOTS / "debrief-phone-full.png"), full_page=True)


def _nothing_left_the_origin(web_server: WebServer, contexts: list[Any]) -> None:
    """Nothing left the origin, and nothing went wrong in any page."""
    origin, ws_origin = web_server.url, web_server.ws_url
    for watched in contexts:
        assert watched.requests, "the recorder saw the requests"
        for url in watched.requests:
            parts = urlsplit(url)
            assert f"{parts.scheme}://{parts.netloc}" in (origin, ws_origin), f"request outside the origin: {url}"
        assert not watched.errors, watched.errors


def test_three_players_play_a_whole_game(
    web_server: WebServer, conference: Conference, facilitator: Facilitator, new_context: Any
) -> None:
    anna_ctx, bo_ctx, cem_ctx = new_context(PHONE), new_context(LAPTOP), new_context(PHONE)
    players = {"Anna": anna_ctx.page(), "Bo": bo_ctx.page(), "Cem": cem_ctx.page()}
    _join(web_server, conference, players)
    roles = _round_one_deals_the_roles(facilitator, players)
    _chat_with_a_mention(players)
    _a_proposal_that_falls_short(players)
    _an_amendment_that_reaches_the_target(players)
    _vote_f1_down_and_adopt_f2(facilitator, players, roles)
    event = _round_two_draws_an_event(facilitator, players)
    _the_debrief(facilitator, conference, players, roles, event)
    _nothing_left_the_origin(web_server, [anna_ctx, bo_ctx, cem_ctx])
