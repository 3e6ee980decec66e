"""Why a table's forlig ends where it does, what would have fixed it, and the article's three questions.

`table_debrief(state)` is the debrief (engine.debrief) plus:

- `why`: per year the contributions that make the result: the target, each event, the forlig's cards by
  kind (the largest named), its levers. They sum exactly to the year's result: the events' effect on the
  cards is found by applying the events one at a time, so every part telescopes.
- `fixes`: for each failed required condition, up to three of the cheapest single changes (add a card not
  chosen, drop one, swap one) that would have met it, with what they cost in service and årsværk.
- `dialogue`: the article's "Tag dialogen" questions, each with the table's own facts.
- `administration`: the forlig's gains from the administration area proper against the area's share of the
  scenario's service spending and the article's figures (VIVE, Kommunalpolitisk Barometer 2025).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from engine.abilities import assess_table, events_in_force
from engine.budget import (
    NO_ADJUSTMENTS,
    PRECISION,
    Adjustments,
    Assessment,
    _apply_events,
    _grant_row,
    _sanction_row,
    active_effects,
    add,
    assess,
    rounded,
    target_years,
    validate_portfolio,
    year_reached,
)
from engine.debrief import KIND_NAMES, Debrief, Frozen, Reason, composition, debrief, verdict
from engine.deck import (
    KINDS,
    Deck,
    DisableCardsEffect,
    EarmarkedGrantEffect,
    GapEffect,
    Kind,
    OverspendSanctionEffect,
    Text,
    Years,
)
from engine.errors import RuleViolation
from engine.format import format_mio
from engine.model import State

# The area whose gains are "taken from administration". Kultur and teknik are never counted with it.
ADMINISTRATION = "administration"
# The article: politicians would take 28.5 % of a cut from administration (VIVE, Kommunalpolitisk Barometer
# 2025), although administration is about 16 % of spending.
BAROMETER_SHARE = 0.285
SPENDING_SHARE = 0.16
MAX_FIXES = 3


class Contribution(Frozen):
    code: str = Field(description="why.target | why.event | why.kind | why.abilities | why.levers")
    id: str | None = Field(default=None, description="The event id (why.event) or the kind (why.kind)")
    name: Text
    amount: float = Field(description="Mio. kr. this part adds to the year's result (− pulls it down)")
    cards: tuple[str, ...] = Field(default=(), description="The cards or levers of this part")
    largest: str | None = Field(default=None, description="The card with the largest amount this year")
    largest_amount: float | None = None


class YearWhy(Frozen):
    year: int = Field(description="1 = budgetår, 2-4 = overslagsår")
    label: str
    target: float = Field(description="The råderum to find this year")
    planned: float = Field(description="What the forlig's cards and levers deliver as planned, after events")
    expected: float = Field(description="The Monte Carlo's mean result (realised + events − target)")
    realised: float | None = Field(description="The result after the reality check; null before it")
    result: float = Field(description="The planned result: planned + events − target; ≥ 0 reaches the target")
    reached: bool
    contributions: tuple[Contribution, ...] = Field(description="Sum exactly to `result`")
    da: str = Field(description="The year's why in words")
    en: str


class Fix(Frozen):
    condition: str = Field(description="The failed reason's code (verdict.*)")
    year: int | None = None
    kind: Kind | None = None
    add: tuple[str, ...] = Field(description="Cards to add")
    remove: tuple[str, ...] = Field(description="Cards to drop")
    service: int = Field(description="The change in the service index (− worse service)")
    fte: float = Field(description="The change in årsværk (− fewer positions)")
    da: str
    en: str


class Question(Frozen):
    id: str = Field(description="dialogue.roles | dialogue.transparency | dialogue.welfare")
    question: Text
    facts: tuple[Text, ...] = Field(description="The table's own facts for the question")


class Administration(Frozen):
    area: str | None = Field(description="The administration area's id; null when the deck has none")
    gains: float = Field(description="Year 4's gains of the forlig's cards in that area (mio. kr.)")
    share_of_gains: float = Field(description="Of the forlig's total gains in year 4")
    service_budget_share: float = Field(description="The area's share of the scenario's service spending")
    barometer_share: float = Field(default=BAROMETER_SHARE, description="VIVE 2025: share of a cut from administration")
    spending_share: float = Field(default=SPENDING_SHARE, description="The article: administration's share of spending")
    da: str
    en: str


class TableDebrief(Debrief):
    """The debrief with its why, fixes, dialogue and administration share (GET /api/tables/{id}/debrief)."""

    why: tuple[YearWhy, ...] = ()
    fixes: tuple[Fix, ...] = ()
    dialogue: tuple[Question, ...] = ()
    administration: Administration | None = None


# ---- why -----------------------------------------------------------------------------------------


def _event_parts(
    deck: Deck, cards: Sequence[str], event_ids: Sequence[str], adjust: Adjustments = NO_ADJUSTMENTS
) -> dict[str, Years]:
    """Each event's whole effect on the result: its gap, grants and sanctions, and what it does to the
    cards' amounts (the events applied one after another, so the parts add up to the events' total). The
    events are those in force; `adjust` is the abilities used (a softened event carries its own cost)."""
    chosen = frozenset(cards)
    parts: dict[str, Years] = {}
    before = {card_id: adjust.amounts(deck.card(card_id)) for card_id in cards}
    final = _apply_events(deck, cards, active_effects(deck, event_ids, chosen, adjust), adjust).amounts
    for index, event_id in enumerate(event_ids):
        effects = active_effects(deck, [event_id], chosen, adjust)
        after = _apply_events(deck, cards, active_effects(deck, event_ids[: index + 1], chosen, adjust), adjust).amounts
        on_cards = add(*(rounded(a - b for a, b in zip(after[c], before[c], strict=True)) for c in cards))
        rows: list[Years] = [on_cards]
        for effect in effects:
            if isinstance(effect, GapEffect):
                rows.append(effect.amounts)
            elif isinstance(effect, EarmarkedGrantEffect) and not any(c in chosen for c in effect.void_if_chosen):
                rows.append(_grant_row(deck, cards, final, effect))
            elif isinstance(effect, OverspendSanctionEffect):
                rows.append(rounded(_sanction_row(deck, cards, final, effect)))
        parts[event_id] = add(*rows)
        before = after
    return parts


def _contributions(deck: Deck, assessment: Assessment, event_ids: Sequence[str], index: int) -> list[Contribution]:
    target = assessment.target[index]
    parts = [Contribution(code="why.target", name=Text(da="Målet", en="The target"), amount=-target)]
    adjust = assessment.adjustments
    events = _event_parts(deck, assessment.cards, event_ids, adjust)
    for event_id, amounts in events.items():
        parts.append(
            Contribution(code="why.event", id=event_id, name=deck.event(event_id).title, amount=amounts[index])
        )
    for kind in KINDS:
        members = [c for c in assessment.cards if deck.card(c).kind == kind]
        if not members:
            continue
        printed = {c: deck.card(c).amounts[index] for c in members}
        largest = max(members, key=lambda c: (abs(printed[c]), c))
        parts.append(
            Contribution(
                code="why.kind",
                id=kind,
                name=KIND_NAMES[kind],
                amount=round(sum(printed.values()), PRECISION),
                cards=tuple(members),
                largest=largest,
                largest_amount=printed[largest],
            )
        )
    moved = round(
        sum(adjust.amounts(deck.card(c))[index] - deck.card(c).amounts[index] for c in assessment.cards), PRECISION
    )
    if moved:
        # Abilities that move a card in time (fremrykning, trykprøvning's later phase-in).
        parts.append(
            Contribution(
                code="why.abilities",
                name=Text(da="Evner", en="Abilities"),
                amount=moved,
                cards=tuple(c for c in assessment.cards if adjust.amounts(deck.card(c)) != deck.card(c).amounts),
            )
        )
    if assessment.levers:
        levers = assessment.lever_amounts or {}
        parts.append(
            Contribution(
                code="why.levers",
                name=Text(da="Håndtag", en="Levers"),
                amount=round(sum(levers[lever][index] for lever in assessment.levers), PRECISION),
                cards=assessment.levers,
            )
        )
    # The parts are exact in mio. kr. to PRECISION decimals; what float addition leaves over goes to the
    # target's line, so the contributions sum exactly to the result.
    rest = round(assessment.result[index] - sum(part.amount for part in parts), PRECISION)
    if rest:
        parts[0] = parts[0].model_copy(update={"amount": round(parts[0].amount + rest, PRECISION)})
    return [part.model_copy(update={"amount": part.amount + 0.0}) for part in parts]


def _year_words(label: str, result: float, parts: Sequence[Contribution]) -> tuple[str, str]:
    helping = sorted((p for p in parts if p.amount > 0 and p.code != "why.target"), key=lambda p: -p.amount)
    hurting = sorted((p for p in parts if p.amount < 0 and p.code != "why.target"), key=lambda p: p.amount)

    def named(part: Contribution, lang: str) -> str:
        name = part.name.da if lang == "da" else part.name.en
        if part.largest is not None and len(part.cards) > 1:
            name += f" ({', '.join(part.cards)})"
        elif part.cards:
            name += f" ({part.cards[0]})"
        elif part.id is not None:
            name = f"{part.id} {name}"
        return f"{name} {format_mio(part.amount, lang)}"

    if year_reached(result):
        da = f"{label}: {format_mio(result)} til overs"
        en = f"{label}: {format_mio(result, 'en')} to spare"
    else:
        da = f"{label}: der mangler {format_mio(-result)}"
        en = f"{label}: {format_mio(-result, 'en')} short"
    da, en = _end(da), _end(en)
    if hurting:
        da += " Trækker ned: " + _end("; ".join(named(p, "da") for p in hurting[:3]))
        en += " Pulling down: " + _end("; ".join(named(p, "en") for p in hurting[:3]))
    if helping:
        da += " Bærer: " + _end("; ".join(named(p, "da") for p in helping[:3]))
        en += " Carrying: " + _end("; ".join(named(p, "en") for p in helping[:3]))
    return da, en


def why(
    deck: Deck,
    assessment: Assessment,
    event_ids: Sequence[str],
    *,
    expected: Years = (0.0, 0.0, 0.0, 0.0),
    realised: Years | None = None,
) -> tuple[YearWhy, ...]:
    """Per year the contributions that make the planned result, summing exactly to it."""
    rows: list[YearWhy] = []
    for index in range(4):
        parts = _contributions(deck, assessment, event_ids, index)
        label = deck.scenario.years[index]
        da, en = _year_words(label, assessment.result[index], parts)
        rows.append(
            YearWhy(
                year=index + 1,
                label=label,
                target=assessment.target[index],
                planned=assessment.forlig_effect[index],
                expected=expected[index],
                realised=realised[index] if realised is not None else None,
                result=assessment.result[index],
                reached=year_reached(assessment.result[index]),
                contributions=tuple(parts),
                da=da,
                en=en,
            )
        )
    return tuple(rows)


# ---- fixes ---------------------------------------------------------------------------------------


def _same(a: Reason, b: Reason) -> bool:
    return (a.code, a.year, a.kind) == (b.code, b.year, b.kind)


def _cost(deck: Deck, add_: Sequence[str], remove: Sequence[str]) -> tuple[int, float]:
    service = sum(deck.card(c).service for c in add_) - sum(deck.card(c).service for c in remove)
    fte = sum(deck.card(c).fte for c in add_) - sum(deck.card(c).fte for c in remove)
    return service, round(fte, PRECISION) + 0.0


def _fix_words(deck: Deck, reason: Reason, add_: Sequence[str], remove: Sequence[str]) -> tuple[str, str]:
    service, fte = _cost(deck, add_, remove)
    steps_da = [f"tilføj {c} {deck.card(c).title.da}" for c in add_] + [
        f"fjern {c} {deck.card(c).title.da}" for c in remove
    ]
    steps_en = [f"add {c} {deck.card(c).title.en}" for c in add_] + [
        f"drop {c} {deck.card(c).title.en}" for c in remove
    ]
    fte_da = f"{fte:+.1f}".replace(".", ",").replace("-", "−")
    fte_en = f"{fte:+.1f}".replace("-", "−")
    service_text = f"{service:+d}".replace("-", "−")
    # Only the first letter is raised and only the figures get a minus sign: card ids keep their hyphen.
    da = f"{_first_upper(' og '.join(steps_da))}: service {service_text}, {fte_da} årsværk."
    en = f"{_first_upper(' and '.join(steps_en))}: service {service_text}, {fte_en} FTE."
    return da, en


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def fixes(
    deck: Deck,
    cards: Sequence[str],
    event_ids: Sequence[str],
    target: Years,
    rules: int,
    adjust: Adjustments = NO_ADJUSTMENTS,
    *,
    limit: int = MAX_FIXES,
) -> tuple[Fix, ...]:
    """Up to `limit` of the cheapest single changes that would meet each failed required condition:
    least service lost first, then fewest årsværk lost, then the fewest cards changed. `event_ids` are the
    events in force, `adjust` the abilities used."""
    levers = [c for c in cards if deck.has_lever(c)]
    chosen = [c for c in cards if not deck.has_lever(c)]
    current = verdict(deck, assess(deck, cards, event_ids, target, adjust), event_ids, rules)
    failed = [reason for reason in current.reasons if reason.required and not reason.ok]
    if not failed or not cards:
        return ()
    others = [card.id for card in deck.cards if card.id not in chosen]
    changes: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((c,), ()) for c in others]
    changes += [((), (c,)) for c in chosen if len(chosen) > 1]
    changes += [((o,), (c,)) for c in chosen for o in others]
    found: dict[int, list[tuple[tuple[int, float, int, str], Fix]]] = {i: [] for i in range(len(failed))}
    for add_, remove in changes:
        portfolio = tuple(c for c in chosen if c not in remove) + add_ + tuple(levers)
        try:
            validate_portfolio(deck, portfolio, event_ids, adjust)
        except RuleViolation:
            continue
        after = verdict(deck, assess(deck, portfolio, event_ids, target, adjust), event_ids, rules)
        service, fte = _cost(deck, add_, remove)
        for i, reason in enumerate(failed):
            if any(_same(reason, r) and r.ok for r in after.reasons):
                da, en = _fix_words(deck, reason, add_, remove)
                fix = Fix(
                    condition=reason.code,
                    year=reason.year,
                    kind=reason.kind,
                    add=add_,
                    remove=remove,
                    service=service,
                    fte=fte,
                    da=da,
                    en=en,
                )
                found[i].append(((-service, -fte, len(add_) + len(remove), ",".join(add_ + remove)), fix))
    result: list[Fix] = []
    for i in range(len(failed)):
        result += [fix for _, fix in sorted(found[i], key=lambda pair: pair[0])[:limit]]
    return tuple(result)


# ---- administration and the dialogue -------------------------------------------------------------


def administration(deck: Deck, assessment: Assessment) -> Administration:
    """The forlig's gains from the administration area proper (not kultur, not teknik)."""
    # The composition's own figures, so the table's and the cross-table's share are one number.
    parts = composition(deck, assessment)
    area = next((row for row in parts.by_area if row.id == ADMINISTRATION), None)
    gains = area.gains if area is not None else 0.0
    budget_share = area.service_budget_share if area is not None else 0.0
    share = parts.administration_share
    da = (
        f"Forliget tager {share:.1%} af gevinsterne fra administrationen, som er {budget_share:.1%} af "
        f"scenariets serviceudgifter. VIVE's Kommunalpolitisk Barometer 2025: politikerne ville tage "
        f"{BAROMETER_SHARE:.1%} af en besparelse fra administrationen, der er ca. {SPENDING_SHARE:.0%} af udgifterne."
    ).replace("%", " pct.")
    en = (
        f"The forlig takes {share:.1%} of its gains from administration, which is {budget_share:.1%} of the "
        f"scenario's service spending. VIVE's Kommunalpolitisk Barometer 2025: politicians would take "
        f"{BAROMETER_SHARE:.1%} of a cut from administration, about {SPENDING_SHARE:.0%} of spending."
    )
    return Administration(
        area=area.id if area is not None else None,
        gains=round(gains, PRECISION) + 0.0,
        share_of_gains=share,
        service_budget_share=budget_share,
        da=_danish_decimals(da),
        en=en,
    )


def _danish_decimals(text: str) -> str:
    """ "28.5 pct." → "28,5 pct." (only a digit-point-digit is a decimal point)."""
    out = list(text)
    for i in range(1, len(text) - 1):
        if text[i] == "." and text[i - 1].isdigit() and text[i + 1].isdigit():
            out[i] = ","
    return "".join(out)


QUESTIONS = (
    (
        "dialogue.roles",
        Text(
            da="Hvordan er rollefordelingen mellem byråd og forvaltning i budgetlægningen?",
            en="How are the roles divided between the council and the administration in budgeting?",
        ),
    ),
    (
        "dialogue.transparency",
        Text(
            da="Hvordan beskrives og prioriteres budgetforslagene, så det er gennemsigtigt?",
            en="How are budget proposals described and prioritised so that it is transparent?",
        ),
    ),
    (
        "dialogue.welfare",
        Text(
            da="Hvordan fører vi en konstruktiv dialog om de svære prioriteringer på velfærdsområderne?",
            en="How do we hold a constructive dialogue about the hard priorities on the welfare areas?",
        ),
    ),
)


def _names(state: State, player_ids: Sequence[str]) -> str:
    names = [state.players[p].name if p in state.players else p for p in player_ids]
    return ", ".join(names) if names else "–"


def _role_title(state: State, player_id: str, lang: str) -> str:
    player = state.players.get(player_id)
    if player is None or player.role is None:
        return ""
    title = state.deck.role(player.role).title
    return f" ({title.da if lang == 'da' else title.en})"


def dialogue(state: State, result: Debrief, admin: Administration) -> tuple[Question, ...]:
    deck = state.deck
    forlig = state.forlig
    roles: list[Text] = []
    if forlig is None:
        roles.append(Text(da="Bordet vedtog intet forlig.", en="The table adopted no budget agreement."))
    else:
        proposal = state.proposals[forlig.proposal_id]
        by = _names(state, [proposal.player_id])
        roles.append(
            Text(
                da=f"Forliget ({proposal.id}) blev stillet af {by}{_role_title(state, proposal.player_id, 'da')}.",
                en=f"The agreement ({proposal.id}) was proposed by {by}{_role_title(state, proposal.player_id, 'en')}.",
            )
        )
        chain: list[str] = []
        amends = proposal.amends
        while amends is not None and amends in state.proposals and amends not in chain:
            chain.append(amends)
            amends = state.proposals[amends].amends
        if chain:
            authors = _names(state, sorted({state.proposals[p].player_id for p in chain}))
            roles.append(
                Text(
                    da=f"Det ændrede {', '.join(chain)} af {authors}.",
                    en=f"It amended {', '.join(chain)} by {authors}.",
                )
            )
        voters = [p for p, choice in proposal.votes.items() if choice == "for"]
        suffix_da = " (tvunget igennem af facilitator)" if forlig.forced else ""
        suffix_en = " (forced through by the facilitator)" if forlig.forced else ""
        roles.append(
            Text(
                da=f"Stemte for: {_names(state, voters)}; {forlig.share_for:.0%} af stemmerne{suffix_da}.".replace(
                    "%", " pct."
                ),
                en=f"Voted for: {_names(state, voters)}; {forlig.share_for:.0%} of the votes{suffix_en}.",
            )
        )
    silent = [p for p in state.seated() if p.role is not None and not deck.role(p.role).votes]
    for player in silent:
        title = deck.role(player.role).title  # type: ignore[arg-type]
        proposed = sum(1 for p in state.proposals.values() if p.player_id == player.id)
        messages = state.messages_by_player().get(player.id, 0)
        roles.append(
            Text(
                da=f"{title.da} ({player.name}) har ingen stemme: {proposed} forslag, {messages} beskeder.",
                en=f"{title.en} ({player.name}) has no vote: {proposed} proposals, {messages} messages.",
            )
        )
    chosen = forlig.cards if forlig is not None else ()
    cutting = [
        c for c in chosen if deck.has_card(c) and deck.card(c).kind == "effektivisering" and deck.card(c).service < 0
    ]
    transparency: list[Text] = []
    if cutting:
        listed = ", ".join(f"{c} {deck.card(c).title.da}" for c in cutting)
        listed_en = ", ".join(f"{c} {deck.card(c).title.en}" for c in cutting)
        transparency.append(
            Text(
                da="Effektiviseringer i forliget, der sænker servicen (en borger vil kalde dem besparelser): "
                f"{listed}.",
                en=f"Efficiency measures in the agreement that lower service (a citizen would call them savings): "
                f"{listed_en}.",
            )
        )
    else:
        transparency.append(
            Text(
                da="Ingen effektivisering i forliget sænker servicen.", en="No efficiency measure in it lowers service."
            )
        )
    weights = [row for row in result.composition.by_kind if row.gains > 0]
    if weights:
        transparency.append(
            Text(
                da=_end(
                    "Vægtningen af gevinsterne: "
                    + ", ".join(f"{row.name.da.lower()} {row.share:.0%}" for row in weights).replace("%", " pct.")
                ),
                en="The gains weighed: " + ", ".join(f"{row.name.en.lower()} {row.share:.0%}" for row in weights) + ".",
            )
        )
    welfare = sum(row.gains for row in result.composition.by_area if row.welfare)
    total = result.composition.total_gains
    welfare_share = welfare / total if total > 0 else 0.0
    welfare_facts = [
        Text(
            da=f"Velfærdsområderne bærer {welfare_share:.0%} af forligets gevinster.".replace("%", " pct."),
            en=f"The welfare areas carry {welfare_share:.0%} of the agreement's gains.",
        ),
        Text(da=admin.da, en=admin.en),
    ]
    return (
        Question(id=QUESTIONS[0][0], question=QUESTIONS[0][1], facts=tuple(roles)),
        Question(id=QUESTIONS[1][0], question=QUESTIONS[1][1], facts=tuple(transparency)),
        Question(id=QUESTIONS[2][0], question=QUESTIONS[2][1], facts=tuple(welfare_facts)),
    )


# ---- live, while negotiating ---------------------------------------------------------------------


class Blocked(Frozen):
    card: str = Field(description="A card not in the portfolio that cannot be added to it as it stands")
    code: str = Field(description="portfolio.requires | portfolio.excludes | portfolio.card_disabled")
    others: tuple[str, ...] = Field(description="The cards it requires or clashes with, or the events that disable it")
    da: str
    en: str


class CardPair(Frozen):
    cards: tuple[str, str] = Field(description="The card that warns and the other card, both in the portfolio")
    text: Text = Field(description="Why the two together are a problem (the deck's warns_with)")


class Explanation(Frozen):
    """The debrief's why for any portfolio, in words, while the table negotiates (the live meter)."""

    years: tuple[YearWhy, ...] = Field(description="Per year the contributions summing to the result, in words")
    failed: tuple[Reason, ...] = Field(description="The verdict's failed required conditions for this portfolio")
    fixes: tuple[Fix, ...] = Field(description="The cheapest single change for each failed condition")
    lines: tuple[Text, ...] = Field(
        description="Per failed condition: which year and by how much, the cards and events that cause it, "
        "the cheapest fix; one line saying all is met when nothing fails"
    )
    blocked: tuple[Blocked, ...] = Field(description="Cards that cannot be added, and why")
    pairs: tuple[CardPair, ...] = Field(description="Pairs of chosen cards the deck warns about")


def card_pairs(deck: Deck, cards: Sequence[str]) -> tuple[CardPair, ...]:
    """The deck's `warns_with` pairs that the portfolio holds both cards of."""
    chosen = frozenset(cards)
    return tuple(
        CardPair(cards=(card_id, warning.card), text=warning.text)
        for card_id in cards
        if deck.has_card(card_id)
        for warning in deck.card(card_id).warns_with
        if warning.card in chosen
    )


def blocked(deck: Deck, cards: Sequence[str], event_ids: Sequence[str]) -> tuple[Blocked, ...]:
    """Every card not in the portfolio that cannot be added to it as it stands, and why (the engine's
    validate_portfolio reasons: requires, excludes, disabled by an event, conditional effects included)."""
    chosen = frozenset(c for c in cards if deck.has_card(c))
    out: list[Blocked] = []
    for card in deck.cards:
        if card.id in chosen:
            continue
        with_it = chosen | {card.id}
        disabling = [
            event_id
            for event_id in event_ids
            if any(
                isinstance(effect, DisableCardsEffect) and card.id in effect.cards
                for effect in active_effects(deck, [event_id], with_it)
            )
        ]
        excluded_by = {c for c in chosen if card.id in deck.card(c).excludes}
        clashing = sorted({o for o in card.excludes if o in chosen} | excluded_by)
        missing = [o for o in card.requires if o not in chosen]
        if disabling:
            names_da = ", ".join(f"{e} {deck.event(e).title.da}" for e in disabling)
            names_en = ", ".join(f"{e} {deck.event(e).title.en}" for e in disabling)
            out.append(
                Blocked(
                    card=card.id,
                    code="portfolio.card_disabled",
                    others=tuple(disabling),
                    da=f"{card.id} er taget ud af spil af hændelsen {names_da}.",
                    en=f"{card.id} is out of play because of the event {names_en}.",
                )
            )
        elif clashing:
            out.append(
                Blocked(
                    card=card.id,
                    code="portfolio.excludes",
                    others=tuple(clashing),
                    da=f"{card.id} kan ikke vælges sammen med {', '.join(clashing)}, som er valgt.",
                    en=f"{card.id} cannot be chosen together with {', '.join(clashing)}, already chosen.",
                )
            )
        elif missing:
            out.append(
                Blocked(
                    card=card.id,
                    code="portfolio.requires",
                    others=tuple(missing),
                    da=f"{card.id} kræver også {', '.join(missing)}: vælg dem sammen.",
                    en=f"{card.id} also requires {', '.join(missing)}: choose them together.",
                )
            )
    return tuple(out)


def blocked_at(state: State) -> tuple[Blocked, ...]:
    """The cards that cannot go into an empty portfolio at this table now, and why (`blocked` for no cards
    under the events in force: a card that requires others, or one an event takes out of play). The builder
    shows these before a card is picked (GET /api/tables/{id}/blocked); the meter's `why.blocked` after."""
    return blocked(state.deck, (), events_in_force(state))


def _line(reason: Reason, years: Sequence[YearWhy], found: Sequence[Fix]) -> Text:
    year = next((row for row in years if reason.year is not None and row.year == reason.year), None)
    da = year.da if year is not None and not year.reached else reason.da
    en = year.en if year is not None and not year.reached else reason.en
    da, en = _sentence(da), _sentence(en)
    if found:
        da += f" Billigste løsning: {found[0].da}"
        en += f" Cheapest fix: {found[0].en}"
    else:
        da += " Ingen enkelt ændring af ét kort klarer det."
        en += " No single change of one card fixes it."
    return Text(da=da, en=en)


def _sentence(text: str) -> str:
    return _end(text.strip())


def _end(sentence: str) -> str:
    """A full stop, unless the sentence already ends with one ("… 20,0 mio. kr.")."""
    return sentence if sentence.endswith((".", "!", "?")) else f"{sentence}."


_EXPLANATIONS: dict[tuple[object, ...], Explanation] = {}
_EXPLANATIONS_KEPT = 2_048


def explain(
    deck: Deck,
    cards: Sequence[str],
    event_ids: Sequence[str],
    target: Years,
    rules: int,
    adjust: Adjustments = NO_ADJUSTMENTS,
) -> Explanation:
    """The live why of a valid portfolio: each year's contributions in words, the failed conditions with
    the year, the amount, the cards and events behind them and the cheapest fix, the cards that cannot be
    added and the pairs the deck warns about. `event_ids` are the events in force, `adjust` the abilities
    used. Same arguments, same result (cached)."""
    key = (deck.digest, tuple(cards), tuple(event_ids), tuple(target), rules, adjust)
    found = _EXPLANATIONS.get(key)
    if found is not None:
        return found
    assessment = assess(deck, cards, event_ids, target, adjust)
    years = why(deck, assessment, event_ids)
    result = verdict(deck, assessment, event_ids, rules)
    failed = tuple(reason for reason in result.reasons if reason.required and not reason.ok)
    cheapest = fixes(deck, cards, event_ids, target, rules, adjust, limit=1) if failed else ()
    lines: list[Text] = []
    for reason in failed:
        matching = [f for f in cheapest if (f.condition, f.year, f.kind) == (reason.code, reason.year, reason.kind)]
        lines.append(_line(reason, years, matching))
    if not failed:
        lines.append(
            Text(
                da="Porteføljen opfylder alle betingelser: målet nås i alle fire år.",
                en="The portfolio meets every condition: the target is reached in all four years.",
            )
        )
    explanation = Explanation(
        years=years,
        failed=failed,
        fixes=cheapest,
        lines=tuple(lines),
        blocked=blocked(deck, cards, event_ids),
        pairs=card_pairs(deck, cards),
    )
    if len(_EXPLANATIONS) >= _EXPLANATIONS_KEPT:
        _EXPLANATIONS.clear()
    _EXPLANATIONS[key] = explanation
    return explanation


# ---- the table debrief ---------------------------------------------------------------------------


def table_debrief(state: State, *, draws: int | None = None) -> TableDebrief:
    """The debrief with why, fixes, dialogue and administration. Same state, same result."""
    result = debrief(state) if draws is None else debrief(state, draws=draws)
    deck = state.deck
    target = state.config.target if state.config is not None else target_years(deck.scenario, None)
    cards = state.forlig.cards if state.forlig is not None else ()
    assessment = assess_table(state, cards, target)
    in_force = events_in_force(state, assessment.adjustments)
    check = result.reality_check
    realised = rounded(row.result for row in check.years) if check.rolled else None
    admin = administration(deck, assessment)
    return TableDebrief(
        **dict(result),
        why=why(deck, assessment, in_force, expected=check.expected, realised=realised),
        fixes=fixes(deck, cards, in_force, target, result.rules, assessment.adjustments),
        dialogue=dialogue(state, result, admin),
        administration=admin,
    )


# ---- the documented schema -----------------------------------------------------------------------

# The debrief's models live in engine/debrief.py; their fields are described here, where the resource is
# documented, so the schema (docs/debrief.schema.json) describes every field.
_DA_EN = {"da": "In Danish", "en": "In English"}
_YEAR = {"year": "1 = budgetår, 2-4 = overslagsår", "label": "The year as written (e.g. 2027)"}
FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Text": _DA_EN,
    "Administration": _DA_EN,
    "Contribution": {"name": "The part's name", "largest_amount": "That card's amount this year (mio. kr.)"},
    "Fix": {"year": "The failed reason's year", "kind": "The failed reason's kind (verdict.kind_share)", **_DA_EN},
    "Question": {"question": "The article's question"},
    "YearWhy": {"label": "The year as written", "reached": "result ≥ 0", "en": "In English"},
    "AreaSlice": {
        "id": "Area id",
        "name": "Area name",
        "welfare": "A welfare area (the deck says)",
        "year1": "The forlig's cards in this area, budgetår (mio. kr.)",
        "year4": "The same, year 4",
        "gains": "Year 4's positive amounts (mio. kr.)",
        "share": "Of the forlig's total gains in year 4",
        "service_budget": "The area's service spending in the scenario (mio. kr.)",
        "service_budget_share": "Of the scenario's service spending",
    },
    "KindSlice": {
        "id": "The kind",
        "name": "The kind's name",
        "year1": "The forlig's cards of this kind, budgetår (mio. kr.)",
        "year4": "The same, year 4",
        "gains": "Year 4's positive amounts (mio. kr.)",
        "share": "Of the forlig's total gains in year 4",
    },
    "Composition": {
        "by_kind": "The forlig by kind",
        "by_area": "The forlig by area",
        "total_gains": "Year 4's gains of all the forlig's cards (mio. kr.)",
        "administration_share": "Share of the gains from the administration area proper (not kultur, not teknik)",
        "welfare_share": "Share of the gains from the welfare areas",
    },
    "ForligRow": {
        "proposal_id": "The adopted proposal",
        "round": "The round it was adopted in",
        "cards": "Its cards and levers",
        "share_for": "The share of the votes for it",
        "forced": "Forced through by the facilitator",
        "at": "When it was adopted",
    },
    "HjertesagOutcome": {"text": "The hjertesag", "condition": "Its condition's kind", "met": "Whether it holds"},
    "RoleOutcome": {
        "player_id": "The player",
        "name": "The player's name (anonymised on the projector)",
        "role": "Role id",
        "title": "Role title",
        "hjertesager": "The role's hjertesager",
        "score": "A point per hjertesag met, less the points its abilities cost",
        "ability_cost": "The points the role's abilities cost (fremrykning: 1)",
    },
    "Negotiation": {"proposals": "Every proposal", "players": "Every player", "rounds": "Every round"},
    "PlayerRow": {
        "id": "Player id",
        "name": "Name",
        "number": "Seat number",
        "seated": "Still seated",
        "role": "Role id",
        "messages": "Chat messages sent",
        "proposals": "Proposals made",
        "votes": "Votes cast",
    },
    "ProposalRow": {
        "id": "Proposal id",
        "round": "Round",
        "by": "Proposer's player id",
        "cards": "Cards and levers",
        "amends": "The proposal it amends",
        "status": "open | adopted | rejected | closed",
        "votes_for": "Player ids",
        "votes_against": "Player ids",
        "votes_abstain": "Player ids",
        "at": "When it was made",
    },
    "RealisedCard": {
        "card": "Card id",
        "kind": "Its kind",
        "uncertainty": "lav | medium | høj",
        "roll": "The d6",
        "factor": "The share of its gains realised",
        "delayed": "Its gains came a year late",
    },
    "RealisedYear": {
        **_YEAR,
        "target": "The target (mio. kr.)",
        "event_effect": "The events' effect",
        "planned_effect": "The forlig as planned",
        "realised_effect": "The forlig after the dice",
        "result": "realised_effect + event_effect − target",
        "reached": "result ≥ 0",
    },
    "RealityCheck": {
        "rolled": "The dice have been rolled: cards and years hold the outcome",
        "cards": "Per card",
        "years": "Per year",
        "draws": "Monte Carlo draws",
        "probability_all_years": "Share of the draws that reach every year",
        "fatigue": "Rules 2: træthed i organisationen hit",
    },
    "Reason": {
        "code": "verdict.* (docs/protocol.md)",
        "ok": "The condition holds",
        "required": "Failing it fails the goal",
        "year": "The year it is about",
        "kind": "The kind it is about",
        **_DA_EN,
    },
    "RoundRow": {
        "number": "Round",
        "event_card": "Its event",
        "started_at": "Start",
        "ended_at": "End",
        "end_reason": "Why it ended",
        "adopted": "The proposal adopted",
        "seconds_to_forlig": "Seconds from its start to the forlig",
    },
    "Verdict": {"reached": "The goal is reached", "reasons": "Every condition", "rules": "The rules version"},
    "YearRow": {
        **_YEAR,
        "baseline_gap": "The scenario's gap",
        "target": "The target",
        "event_effect": "The events' effect",
        "forlig_effect": "The forlig as planned",
        "result": "forlig_effect + event_effect − target",
        "reached": "result ≥ 0",
    },
    "TableDebrief": {
        "scenario": "Scenario id",
        "rules": "Rules version (game_created; 1 for older logs)",
        "phase": "The table's phase",
        "forlig": "The adopted forlig, null before one",
        "event_cards": "Events drawn",
        "years": "Per year, as planned",
        "verdict": "Whether the goal is reached, every condition named",
        "composition": "The forlig by kind and area",
        "service_index": "The sum of the cards' service figures",
        "net_fte": "Årsværk",
        "hjertesager": "Per seated role",
        "table_score": "The seated roles' scores added up",
        "negotiation": "The negotiation's story",
        "reality_check": "The dice and the Monte Carlo",
        "why": "Per year: target, planned, expected, realised, result and the contributions summing to result",
        "fixes": "Up to three cheapest changes per failed required condition",
        "dialogue": "The three questions of 'Tag dialogen' with the table's facts",
        "administration": "The administration share against the article's figures",
    },
}


def debrief_schema() -> dict[str, object]:
    """The JSON Schema of TableDebrief as served, every field described."""
    schema = TableDebrief.model_json_schema(mode="serialization")

    def describe(name: str, node: dict[str, object]) -> None:
        properties = node.get("properties")
        if isinstance(properties, dict):
            for field_name, prop in properties.items():
                text = FIELD_DESCRIPTIONS.get(name, {}).get(field_name)
                if text is not None and "description" not in prop:
                    prop["description"] = text

    describe("TableDebrief", schema)
    for name, node in schema.get("$defs", {}).items():
        describe(name, node)
    return schema
