"""The debrief: what the table's forlig does, whether it reaches the goal, and how it holds up in reality.

`debrief(state)` works at any step of a log, so a replay can show it as the game unfolds; before a forlig
exists it reports an empty one. All budget arithmetic comes from `engine.budget.assess`; this module adds
the verdict, the composition, the hjertesager, the negotiation's story and the reality check (table 3.4 of
the domain brief: one d6 per chosen card).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import assert_never

from pydantic import BaseModel, ConfigDict

from engine import reality
from engine.abilities import assess_table, events_in_force, score_costs
from engine.budget import (
    PRECISION,
    Assessment,
    active_effects,
    add,
    balance,
    rounded,
    target_years,
    year_reached,
)
from engine.deck import (
    KINDS,
    REQUIRED_KINDS,
    AdoptedShareAtLeast,
    BalancedYears,
    Card,
    ChosenAny,
    ChosenNone,
    Condition,
    CountAtLeast,
    CountAtMost,
    Deck,
    FteAtLeast,
    HearingEffect,
    Kind,
    KindExceeds,
    KindGainsAtLeast,
    NotAllChosen,
    ServiceAtLeast,
    Text,
    Uncertainty,
    Years,
)
from engine.format import format_mio
from engine.model import Forlig, State
from engine.reality import REALISATION_V1, fatigue_multipliers, fatigued, forecast

DEFAULT_DRAWS = 10_000

# Brief table 3.4: the share of a card's gains realised for each d6 roll, by uncertainty.
REALISATION: dict[Uncertainty, tuple[float, float, float, float, float, float]] = {
    "lav": (0.8, 1.0, 1.0, 1.0, 1.0, 1.1),
    "medium": (0.4, 0.7, 1.0, 1.0, 1.0, 1.2),
    "høj": (0.0, 0.4, 0.7, 1.0, 1.0, 1.4),
}
ROLLS = (1, 2, 3, 4, 5, 6)
DELAYING_ROLLS = (1, 2)

KIND_NAMES: dict[Kind, Text] = {
    "besparelse": Text(da="Besparelser", en="Savings"),
    "effektivisering": Text(da="Effektiviseringer", en="Efficiency measures"),
    "investering": Text(da="Investeringer", en="Investments"),
    "udvidelse": Text(da="Ønsker (udvidelser)", en="Wishes (expansions)"),
}
# "Forliget mangler en investering" / "The budget agreement lacks an investment".
_KIND_ARTICLE: dict[Kind, Text] = {
    "besparelse": Text(da="en besparelse", en="a saving"),
    "effektivisering": Text(da="en effektivisering", en="an efficiency measure"),
    "investering": Text(da="en investering", en="an investment"),
    "udvidelse": Text(da="et ønske", en="a wish"),
}


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- The result of the debrief -------------------------------------------------------------------


class YearRow(Frozen):
    year: int  # 1 = budgetår, 2-4 = overslagsår
    label: str
    baseline_gap: float
    target: float
    event_effect: float
    forlig_effect: float
    result: float  # forlig_effect + event_effect − target
    reached: bool


class Reason(Frozen):
    # verdict.budget_year | verdict.overslagsaar | verdict.kinds | verdict.kind_share | verdict.wishes
    # | verdict.capital | verdict.trust | verdict.levers
    code: str
    ok: bool
    required: bool  # a required reason that is not ok means the goal is not reached
    year: int | None = None
    kind: Kind | None = None  # verdict.kind_share
    da: str
    en: str


class Verdict(Frozen):
    reached: bool
    reasons: tuple[Reason, ...]
    rules: int = 1  # the rules version the game is played under (game_created)


class KindSlice(Frozen):
    id: Kind
    name: Text
    year1: float
    year4: float
    gains: float  # the positive year-4 amounts: the headroom this group frees at full effect
    share: float  # of the forlig's total gains in year 4


class AreaSlice(Frozen):
    id: str
    name: Text
    welfare: bool
    year1: float
    year4: float
    gains: float
    share: float
    service_budget: float
    service_budget_share: float  # of the scenario's serviceudgifter, to set against `share`


class Composition(Frozen):
    by_kind: tuple[KindSlice, ...]
    by_area: tuple[AreaSlice, ...]
    total_gains: float
    administration_share: float  # gains from the administration area proper (not kultur, not teknik)
    welfare_share: float


class HjertesagOutcome(Frozen):
    text: Text
    condition: str
    met: bool


class RoleOutcome(Frozen):
    player_id: str
    name: str
    role: str
    title: Text
    hjertesager: tuple[HjertesagOutcome, ...]
    # A point per hjertesag met, less what the role's abilities cost (engine.abilities.score_costs).
    score: int = 0
    ability_cost: int = 0


class ForligRow(Frozen):
    proposal_id: str
    round: int
    cards: tuple[str, ...]
    share_for: float
    forced: bool
    at: datetime


class ProposalRow(Frozen):
    id: str
    round: int
    by: str
    cards: tuple[str, ...]
    amends: str | None
    status: str
    votes_for: tuple[str, ...]
    votes_against: tuple[str, ...]
    votes_abstain: tuple[str, ...]
    at: datetime
    votes_outside: tuple[str, ...] = ()  # byråd mode: who stood udenfor forliget on it


class PlayerRow(Frozen):
    id: str
    name: str
    number: int
    seated: bool
    role: str | None
    messages: int
    proposals: int
    votes: int
    party: str | None = None  # byråd mode: the member's party


class RoundRow(Frozen):
    number: int
    event_card: str | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    adopted: str | None
    seconds_to_forlig: float | None


class Negotiation(Frozen):
    proposals: tuple[ProposalRow, ...]
    players: tuple[PlayerRow, ...]
    rounds: tuple[RoundRow, ...]


class RealisedCard(Frozen):
    card: str
    kind: Kind
    uncertainty: Uncertainty
    roll: int
    factor: float
    delayed: bool
    planned: Years  # after event effects
    realised: Years


class RealisedYear(Frozen):
    year: int
    label: str
    target: float
    event_effect: float
    planned_effect: float
    realised_effect: float
    result: float
    reached: bool


class RealityCheck(Frozen):
    rolled: bool  # the reality check has happened: `cards` and `years` hold the realised outcome
    cards: tuple[RealisedCard, ...]
    years: tuple[RealisedYear, ...]
    draws: int
    probability: Years  # share of the Monte Carlo draws that reach the target, per year
    probability_all_years: float
    expected: Years = (0.0, 0.0, 0.0, 0.0)  # the Monte Carlo's mean result per year (realised + events − target)
    fatigue: bool | None = None  # rules 2: "træthed i organisationen" hit every effektivisering


class PartyRow(Frozen):
    """Byråd mode: a party, its members at the end and how they voted on the forlig."""

    id: str
    name: Text
    mandates: int
    members: tuple[str, ...]  # player ids, seated at the end
    for_forlig: tuple[str, ...]  # members who voted for the adopted proposal
    outside_forlig: tuple[str, ...]  # members who stood udenfor forliget on it


class ByraadRow(Frozen):
    """Byråd mode's part of the debrief: mandates, the parties, who stood outside the forlig."""

    mandates: int  # all the byråd's mandates (0 without parties: every member one vote)
    roles: str  # "dealt" or "themselves"
    parties: tuple[PartyRow, ...]
    outside_forlig: tuple[str, ...]  # every member who stood udenfor forliget on the adopted proposal


class Debrief(Frozen):
    scenario: str
    rules: int = 1  # the rules version the game was played under (game_created; 1 for older logs)
    phase: str
    forlig: ForligRow | None
    event_cards: tuple[str, ...]
    years: tuple[YearRow, ...]
    verdict: Verdict
    composition: Composition
    service_index: int
    net_fte: float
    hjertesager: tuple[RoleOutcome, ...]
    negotiation: Negotiation
    table_score: int = 0  # the seated roles' scores added up
    reality_check: RealityCheck
    byraad: ByraadRow | None = None  # byråd mode only


# ---- Realisation: engine/reality.py ---------------------------------------------------------------

REALISATION = REALISATION_V1  # brief table 3.4 (rules 1); rules 2's centred table is in engine/reality.py


def realise(card: Card, amounts: Years, roll: int, rules: int = 1) -> Years:
    """The amounts a card really delivers for a d6 roll (engine.reality.realise)."""
    return reality.realise(card, amounts, roll, rules)


# ---- Hjertesager ---------------------------------------------------------------------------------


def _kind_year4(deck: Deck, assessment: Assessment, kind: Kind) -> float:
    return round(
        sum(amounts[3] for card_id, amounts in assessment.card_amounts.items() if deck.card(card_id).kind == kind),
        PRECISION,
    )


def hjertesag_met(condition: Condition, deck: Deck, forlig: Forlig | None, assessment: Assessment) -> bool:
    """Whether a role's hjertesag holds for the forlig (an empty one when none is adopted)."""
    chosen = frozenset(forlig.cards if forlig is not None else ())
    if isinstance(condition, ChosenAny):
        return any(card in chosen for card in condition.cards)
    if isinstance(condition, ChosenNone):
        return not any(card in chosen for card in condition.cards)
    if isinstance(condition, NotAllChosen):
        return not all(card in chosen for card in condition.cards)
    if isinstance(condition, CountAtMost | CountAtLeast):
        matching = [
            card
            for card in (deck.card(card_id) for card_id in chosen if deck.has_card(card_id))  # levers: no card
            if (condition.area is None or card.area == condition.area)
            and (condition.card_kind is None or card.kind == condition.card_kind)
            and (condition.service_at_most is None or card.service <= condition.service_at_most)
        ]
        return len(matching) <= condition.n if isinstance(condition, CountAtMost) else len(matching) >= condition.n
    if isinstance(condition, KindGainsAtLeast):
        gains = kind_gains(deck, assessment)[condition.card_kind]
        return gains >= condition.threshold(assessment.target[0]) - 1e-9
    if isinstance(condition, ServiceAtLeast):
        return assessment.service >= condition.threshold(assessment.target[0])
    if isinstance(condition, FteAtLeast):
        return assessment.fte >= condition.threshold(assessment.target[0])
    if isinstance(condition, BalancedYears):
        margin = condition.margin(assessment.target[0])
        return all(year_reached(assessment.result[year - 1] - margin) for year in condition.years)
    if isinstance(condition, AdoptedShareAtLeast):
        return forlig is not None and forlig.share_for >= condition.share
    if isinstance(condition, KindExceeds):
        return _kind_year4(deck, assessment, condition.more) > _kind_year4(deck, assessment, condition.than)
    assert_never(condition)


def _hjertesager(state: State, assessment: Assessment) -> tuple[RoleOutcome, ...]:
    outcomes: list[RoleOutcome] = []
    costs = score_costs(state)
    for player in state.seated():
        if player.role is None:
            continue
        role = state.deck.role(player.role)
        sager = tuple(
            HjertesagOutcome(
                text=sag.text,
                condition=sag.condition.kind,
                met=hjertesag_met(sag.condition, state.deck, state.forlig, assessment),
            )
            for sag in role.hjertesager
        )
        cost = costs.get(role.id, 0)
        outcomes.append(
            RoleOutcome(
                player_id=player.id,
                name=player.name,
                role=role.id,
                title=role.title,
                hjertesager=sager,
                score=sum(1 for sag in sager if sag.met) - cost,
                ability_cost=cost,
            )
        )
    return tuple(outcomes)


# ---- Verdict -------------------------------------------------------------------------------------


def _end(sentence: str) -> str:
    """A full stop, unless the sentence already ends with one ("… 20,0 mio. kr.")."""
    return sentence if sentence.endswith(".") else f"{sentence}."


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'and' if lang == 'en' else 'og'} {items[-1]}"


def _budget_year_reason(label: str, result: float, target: float) -> Reason:
    ok = year_reached(result)
    if ok:
        da = f"Budgetåret {label} er i balance med {format_mio(result)} til overs i forhold til målet på "
        da += _end(format_mio(target))
        en = f"The budget year {label} is balanced, with {format_mio(result, 'en')} to spare against the "
        en += f"target of {format_mio(target, 'en')}."
    else:
        da = f"Budgetåret {label} er ikke i balance: der mangler {format_mio(-result)} for at nå målet på "
        da += _end(format_mio(target))
        en = f"The budget year {label} is not balanced: {format_mio(-result, 'en')} is missing to reach the "
        en += f"target of {format_mio(target, 'en')}."
    return Reason(code="verdict.budget_year", ok=ok, required=True, year=1, da=da, en=en)


def _overslagsaar_reason(year: int, label: str, result: float, target: float) -> Reason:
    ok = year_reached(result)
    if ok:
        da = f"Overslagsåret {label} er i balance med {format_mio(result)} til overs."
        en = f"The projection year {label} is balanced, with {format_mio(result, 'en')} to spare."
    else:
        da = f"Overslagsåret {label} mangler {format_mio(-result)} for at nå målet på {format_mio(target)} "
        da += "(et blødt krav)."
        en = f"The projection year {label} is {format_mio(-result, 'en')} short of the target of "
        en += f"{format_mio(target, 'en')} (a soft requirement)."
    return Reason(code="verdict.overslagsaar", ok=ok, required=False, year=year, da=da, en=en)


def _kinds_reason(assessment: Assessment) -> Reason:
    missing = [kind for kind in REQUIRED_KINDS if kind not in assessment.kinds_present]
    all_da = _join([KIND_NAMES[kind].da.lower() for kind in REQUIRED_KINDS], "da")
    all_en = _join([KIND_NAMES[kind].en.lower() for kind in REQUIRED_KINDS], "en")
    if not missing:
        da = f"Forliget rummer både {all_da}."
        en = f"The budget agreement includes {all_en}."
    else:
        da = f"Forliget mangler {_join([_KIND_ARTICLE[kind].da for kind in missing], 'da')}: "
        da += f"det skal rumme både {all_da}."
        en = f"The budget agreement lacks {_join([_KIND_ARTICLE[kind].en for kind in missing], 'en')}: "
        en += f"it must include {all_en}."
    return Reason(code="verdict.kinds", ok=not missing, required=True, da=da, en=en)


def _wishes_reason(labels: Sequence[str], assessment: Assessment) -> Reason:
    short = [
        (label, funded, required)
        for label, funded, required in zip(labels, assessment.wish_funding, assessment.wish_required, strict=True)
        if funded < required
    ]
    if not short:
        da = "Forliget finansierer mindst de krævede ønsker hvert år."
        en = "The budget agreement funds at least the required wishes every year."
    else:
        da = "Ønskerne er ikke fuldt finansieret: "
        da += _end("; ".join(f"{label}: {format_mio(f)} mod et krav på {format_mio(r)}" for label, f, r in short))
        en = "Wishes are not fully funded: "
        en += "; ".join(
            f"{label}: {format_mio(f, 'en')} against a requirement of {format_mio(r, 'en')}" for label, f, r in short
        )
        en += "."
    return Reason(code="verdict.wishes", ok=not short, required=True, da=da, en=en)


def _capital_reason(assessment: Assessment) -> Reason:
    spent, pool = assessment.capital_spent, assessment.capital_pool
    ok = spent <= pool
    if ok:
        da = f"Anlægspuljen holder: {format_mio(spent)} af {format_mio(pool)} er brugt."
        en = f"The capital pool holds: {format_mio(spent, 'en')} of {format_mio(pool, 'en')} is used."
    else:
        over = round(spent - pool, PRECISION)
        da = f"Anlægspuljen er overskredet med {format_mio(over)} ({format_mio(spent)} mod {format_mio(pool)})."
        en = f"The capital pool is exceeded by {format_mio(over, 'en')} "
        en += f"({format_mio(spent, 'en')} against {format_mio(pool, 'en')})."
    return Reason(code="verdict.capital", ok=ok, required=True, da=da, en=en)


def _trust_reason(deck: Deck, cards: Sequence[str], hearings: Sequence[HearingEffect], penalty: int) -> Reason:
    contested = sorted(
        {card for card in cards for hearing in hearings if deck.card(card).service <= hearing.service_at_most}
    )
    if not contested:
        da = "Høringssvarene koster ikke forliget tillid."
        en = "The consultation responses cost the budget agreement no trust."
    else:
        listed = ", ".join(contested)
        da = f"Forliget beholder kort, som høringssvarene protesterer imod ({listed}), og mister {penalty} i tillid."
        en = f"The budget agreement keeps cards the consultation responses object to ({listed}) and loses "
        en += f"{penalty} trust."
    return Reason(code="verdict.trust", ok=not contested, required=False, da=da, en=en)


def _structural_reason(year: int, label: str, result: float, target: float, tolerance: float) -> Reason:
    ok = year_reached(round(result + tolerance, PRECISION))
    if year_reached(result):
        da = f"Overslagsåret {label} er i balance med {format_mio(result)} til overs."
        en = f"The projection year {label} is balanced, with {format_mio(result, 'en')} to spare."
    elif ok:
        da = f"Overslagsåret {label} er i strukturel balance: {format_mio(-result)} under målet på "
        da += f"{format_mio(target)}, inden for tolerancen på {_end(format_mio(tolerance))}"
        en = f"The projection year {label} is in structural balance: {format_mio(-result, 'en')} below the "
        en += f"target of {format_mio(target, 'en')}, within the tolerance of {format_mio(tolerance, 'en')}."
    else:
        da = f"Overslagsåret {label} er ikke i strukturel balance: der mangler {format_mio(-result)} af målet på "
        da += f"{format_mio(target)}, mere end tolerancen på {_end(format_mio(tolerance))}"
        en = f"The projection year {label} is not in structural balance: {format_mio(-result, 'en')} of the "
        en += f"target of {format_mio(target, 'en')} is missing, more than the tolerance of "
        en += f"{format_mio(tolerance, 'en')}."
    return Reason(code="verdict.overslagsaar", ok=ok, required=True, year=year, da=da, en=en)


def kind_gains(deck: Deck, assessment: Assessment) -> dict[Kind, float]:
    """Year 4's gains (the positive amounts at full effect) of the cards of each kind; levers have none."""
    gains: dict[Kind, float] = dict.fromkeys(KINDS, 0.0)
    for card_id, amounts in assessment.card_amounts.items():
        gains[deck.card(card_id).kind] += max(0.0, amounts[3])
    return {kind: round(value, PRECISION) for kind, value in gains.items()}


def share_base(deck: Deck, assessment: Assessment) -> float:
    """What a kind's share is taken of: year 4's gains of the required kinds and of the levers, so that
    levers doing the work cannot let a token card of each kind pass."""
    gains = kind_gains(deck, assessment)
    levers = sum(max(0.0, amounts[3]) for amounts in (assessment.lever_amounts or {}).values())
    return round(sum(gains[kind] for kind in REQUIRED_KINDS) + levers, PRECISION)


def kind_shares_met(deck: Deck, assessment: Assessment) -> dict[Kind, bool]:
    """Whether each required kind carries at least the deck's share of year 4's gains (share_base)."""
    share = balance(deck.scenario).kind_share_min
    gains = kind_gains(deck, assessment)
    total = share_base(deck, assessment)
    return {kind: total > 0 and gains[kind] >= share * total - 1e-9 for kind in REQUIRED_KINDS}


def kind_share_shortfalls(deck: Deck, assessment: Assessment) -> dict[Kind, float]:
    """Each required kind that carries less than its share: the year-4 gains it lacks (mio. kr.)."""
    share = balance(deck.scenario).kind_share_min
    gains = kind_gains(deck, assessment)
    total = share_base(deck, assessment)
    met = kind_shares_met(deck, assessment)
    return {kind: round(share * total - gains[kind], PRECISION) for kind in REQUIRED_KINDS if not met[kind]}


def _kind_share_reasons(deck: Deck, assessment: Assessment) -> list[Reason]:
    share = balance(deck.scenario).kind_share_min
    gains = kind_gains(deck, assessment)
    total = share_base(deck, assessment)
    met = kind_shares_met(deck, assessment)
    reasons: list[Reason] = []
    for kind in REQUIRED_KINDS:
        part = _share(gains[kind], total)
        name = KIND_NAMES[kind]
        da = f"{name.da} bærer {part:.0%} af gevinsterne i {deck.scenario.years[3]} (kravet er mindst {share:.0%})."
        en = f"{name.en} carry {part:.0%} of the gains in {deck.scenario.years[3]} (at least {share:.0%} required)."
        reasons.append(
            Reason(
                code="verdict.kind_share",
                ok=met[kind],
                required=True,
                kind=kind,
                da=da.replace("%", " pct."),
                en=en,
            )
        )
    return reasons


def _levers_reason(deck: Deck, assessment: Assessment) -> Reason:
    parts_da: list[str] = []
    parts_en: list[str] = []
    for lever_id in assessment.levers:
        lever = deck.lever(lever_id)
        amounts = (assessment.lever_amounts or {})[lever_id]
        text = lever.political_cost or lever.consequences
        parts_da.append(f"{lever.title.da} ({format_mio(amounts[0])} i budgetåret): {text.da}")
        parts_en.append(f"{lever.title.en} ({format_mio(amounts[0], 'en')} in the budget year): {text.en}")
    da = "Forliget bruger håndtag uden for kortene. " + " ".join(parts_da)
    en = "The budget agreement uses levers beyond the cards. " + " ".join(parts_en)
    return Reason(code="verdict.levers", ok=False, required=False, da=da, en=en)


def verdict(deck: Deck, assessment: Assessment, event_ids: Sequence[str], rules: int = 1) -> Verdict:
    """Whether the forlig reaches the goal, every condition named met or failed.

    Rules 1: the budgetår balances, every required kind is present, wishes funded, anlægspuljen kept; the
    overslagsår are soft. Rules 2 (structural): the overslagsår must be within the deck's tolerance of
    their targets, and each of besparelse, effektivisering and investering carries at least the deck's
    share of year 4's gains (no token cards)."""
    labels = deck.scenario.years
    reasons = [_budget_year_reason(labels[0], assessment.result[0], assessment.target[0])]
    if rules < 2:
        reasons += [
            _overslagsaar_reason(year, labels[year - 1], assessment.result[year - 1], assessment.target[year - 1])
            for year in (2, 3, 4)
        ]
        reasons.append(_kinds_reason(assessment))
    else:
        tolerance = balance(deck.scenario).structural_tolerance
        reasons += [
            _structural_reason(
                year, labels[year - 1], assessment.result[year - 1], assessment.target[year - 1], tolerance
            )
            for year in (2, 3, 4)
        ]
        reasons += _kind_share_reasons(deck, assessment)
    reasons += [_wishes_reason(labels, assessment), _capital_reason(assessment)]
    effects = active_effects(deck, event_ids, frozenset(assessment.cards), assessment.adjustments)
    hearings = [effect for effect in effects if isinstance(effect, HearingEffect)]
    if hearings:
        # The levers' trust is theirs (verdict.levers), not the hearing's.
        levers = sum(deck.lever(lever_id).trust_penalty for lever_id in assessment.levers)
        reasons.append(_trust_reason(deck, assessment.cards, hearings, assessment.trust_penalty - levers))
    if assessment.levers:
        reasons.append(_levers_reason(deck, assessment))
    return Verdict(
        reached=all(reason.ok for reason in reasons if reason.required),
        reasons=tuple(reasons),
        rules=rules,
    )


# ---- Composition ---------------------------------------------------------------------------------


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def composition(deck: Deck, assessment: Assessment) -> Composition:
    scenario = deck.scenario
    rows = [(deck.card(card_id), amounts) for card_id, amounts in assessment.card_amounts.items()]
    # Gains at full effect (year 4): costs would make shares negative and hide what paid for what.
    total_gains = round(sum(max(0.0, amounts[3]) for _, amounts in rows), PRECISION)

    def sums(group: Iterable[tuple[Card, Years]]) -> tuple[float, float, float]:
        members = list(group)
        return (
            round(sum(amounts[0] for _, amounts in members), PRECISION) + 0.0,
            round(sum(amounts[3] for _, amounts in members), PRECISION) + 0.0,
            round(sum(max(0.0, amounts[3]) for _, amounts in members), PRECISION) + 0.0,
        )

    by_kind: list[KindSlice] = []
    for kind in KINDS:
        year1, year4, gains = sums((card, amounts) for card, amounts in rows if card.kind == kind)
        by_kind.append(
            KindSlice(
                id=kind,
                name=KIND_NAMES[kind],
                year1=year1,
                year4=year4,
                gains=gains,
                share=_share(gains, total_gains),
            )
        )
    service_total = sum(area.service_budget for area in scenario.areas)
    by_area: list[AreaSlice] = []
    for area in scenario.areas:
        year1, year4, gains = sums((card, amounts) for card, amounts in rows if card.area == area.id)
        by_area.append(
            AreaSlice(
                id=area.id,
                name=area.name,
                welfare=area.welfare,
                year1=year1,
                year4=year4,
                gains=gains,
                share=_share(gains, total_gains),
                service_budget=area.service_budget,
                service_budget_share=area.service_budget / service_total,
            )
        )
    welfare_gains = sum(row.gains for row in by_area if row.welfare)
    administration_gains = sum(row.gains for row in by_area if row.id == "administration")
    return Composition(
        by_kind=tuple(by_kind),
        by_area=tuple(by_area),
        total_gains=total_gains,
        administration_share=_share(administration_gains, total_gains),
        welfare_share=_share(welfare_gains, total_gains),
    )


# ---- Negotiation ---------------------------------------------------------------------------------


def negotiation(state: State) -> Negotiation:
    proposals = tuple(
        ProposalRow(
            id=proposal.id,
            round=proposal.round,
            by=proposal.player_id,
            cards=proposal.cards,
            amends=proposal.amends,
            status=proposal.status,
            votes_for=tuple(player for player, choice in proposal.votes.items() if choice == "for"),
            votes_against=tuple(player for player, choice in proposal.votes.items() if choice == "against"),
            votes_abstain=tuple(player for player, choice in proposal.votes.items() if choice == "abstain"),
            at=proposal.at,
            votes_outside=tuple(player for player, choice in proposal.votes.items() if choice == "outside"),
        )
        for proposal in state.proposals.values()
    )
    proposed: dict[str, int] = {}
    voted: dict[str, int] = {}
    messages = state.messages_by_player()
    for proposal in state.proposals.values():
        proposed[proposal.player_id] = proposed.get(proposal.player_id, 0) + 1
        for player_id in proposal.votes:
            voted[player_id] = voted.get(player_id, 0) + 1
    players = tuple(
        PlayerRow(
            id=player.id,
            name=player.name,
            number=player.number,
            seated=player.seated,
            role=player.role,
            messages=messages.get(player.id, 0),
            proposals=proposed.get(player.id, 0),
            votes=voted.get(player.id, 0),
            party=player.party,
        )
        for player in state.players.values()
    )
    forlig_by_round = {forlig.round: forlig for forlig in state.forlig_history}
    rounds = []
    for round_ in state.rounds:
        forlig = forlig_by_round.get(round_.number)
        rounds.append(
            RoundRow(
                number=round_.number,
                event_card=round_.event_card,
                started_at=round_.started_at,
                ended_at=round_.ended_at,
                end_reason=round_.end_reason,
                adopted=forlig.proposal_id if forlig is not None else round_.adopted,
                seconds_to_forlig=(forlig.at - round_.started_at).total_seconds() if forlig is not None else None,
            )
        )
    return Negotiation(proposals=proposals, players=players, rounds=tuple(rounds))


# ---- Reality check -------------------------------------------------------------------------------


def reality_check(state: State, assessment: Assessment, *, draws: int, seed: int, rules: int) -> RealityCheck:
    deck = state.deck
    chance = forecast(deck, assessment, draws=draws, seed=seed, rules=rules)
    if state.rolls is None:
        return RealityCheck(
            rolled=False,
            cards=(),
            years=(),
            draws=draws,
            probability=chance.probability,
            probability_all_years=chance.probability_all_years,
            expected=chance.expected,
        )
    hit, spared = fatigue_multipliers(deck)
    multiplier = 1.0 if rules < 2 else (hit if state.fatigue else spared)
    cards: list[RealisedCard] = []
    for card_id in assessment.cards:
        card = assessment.card(deck, card_id)  # its uncertainty as an ability left it
        roll = state.rolls[card_id]
        planned = assessment.card_amounts[card_id]
        realised = reality.realise(card, planned, roll, rules)
        cards.append(
            RealisedCard(
                card=card_id,
                kind=card.kind,
                uncertainty=card.uncertainty,
                roll=roll,
                factor=reality.factor(card, planned, roll, rules),
                delayed=reality.delayed(card, roll, rules),
                planned=planned,
                realised=fatigued(card, realised, planned, multiplier) if rules >= 2 else realised,
            )
        )
    levers = tuple((assessment.lever_amounts or {}).values())
    realised_total = add(*(card.realised for card in cards), *levers)
    result = rounded(
        r + e - t for r, e, t in zip(realised_total, assessment.event_effect, assessment.target, strict=True)
    )
    years = tuple(
        RealisedYear(
            year=index + 1,
            label=deck.scenario.years[index],
            target=assessment.target[index],
            event_effect=assessment.event_effect[index],
            planned_effect=assessment.forlig_effect[index],
            realised_effect=realised_total[index],
            result=result[index],
            reached=year_reached(result[index]),
        )
        for index in range(4)
    )
    return RealityCheck(
        rolled=True,
        cards=tuple(cards),
        years=years,
        draws=draws,
        probability=chance.probability,
        probability_all_years=chance.probability_all_years,
        expected=chance.expected,
        fatigue=state.fatigue if rules >= 2 else None,
    )


# ---- The debrief ---------------------------------------------------------------------------------


def debrief(state: State, *, draws: int = DEFAULT_DRAWS) -> Debrief:
    """The whole analysis of a table at this point of its log. Same state, same debrief."""
    deck = state.deck
    scenario = deck.scenario
    target = state.config.target if state.config is not None else target_years(scenario, None)
    seed = state.config.seed if state.config is not None else 0
    rules = state.config.rules if state.config is not None else 1
    forlig = state.forlig
    cards = forlig.cards if forlig is not None else ()
    event_ids = state.event_cards
    assessment = assess_table(state, cards, target)
    roles = _hjertesager(state, assessment)
    years = tuple(
        YearRow(
            year=index + 1,
            label=scenario.years[index],
            baseline_gap=assessment.baseline_gap[index],
            target=assessment.target[index],
            event_effect=assessment.event_effect[index],
            forlig_effect=assessment.forlig_effect[index],
            result=assessment.result[index],
            reached=assessment.reached(index + 1),
        )
        for index in range(4)
    )
    return Debrief(
        scenario=scenario.id,
        rules=rules,
        phase=state.phase,
        forlig=(
            ForligRow(
                proposal_id=forlig.proposal_id,
                round=forlig.round,
                cards=forlig.cards,
                share_for=forlig.share_for,
                forced=forlig.forced,
                at=forlig.at,
            )
            if forlig is not None
            else None
        ),
        event_cards=event_ids,
        years=years,
        verdict=verdict(deck, assessment, events_in_force(state), rules),
        composition=composition(deck, assessment),
        service_index=assessment.service,
        net_fte=assessment.fte,
        hjertesager=roles,
        table_score=sum(role.score for role in roles),
        negotiation=negotiation(state),
        reality_check=reality_check(state, assessment, draws=draws, seed=seed, rules=rules),
        byraad=byraad_part(state),
    )


def byraad_part(state: State) -> ByraadRow | None:
    """The parties and who stood outside the forlig (by the votes on the adopted proposal)."""
    config = state.config.byraad if state.config is not None else None
    if config is None:
        return None
    adopted = state.proposals.get(state.forlig.proposal_id) if state.forlig is not None else None
    votes = dict(adopted.votes) if adopted is not None else {}
    seated = [player for player in state.players.values() if player.seated]

    def members(party: str, choice: str | None = None) -> tuple[str, ...]:
        return tuple(p.id for p in seated if p.party == party and (choice is None or votes.get(p.id) == choice))

    return ByraadRow(
        mandates=config.mandates,
        roles=config.roles,
        parties=tuple(
            PartyRow(
                id=party.id,
                name=party.name,
                mandates=party.mandates,
                members=members(party.id),
                for_forlig=members(party.id, "for"),
                outside_forlig=members(party.id, "outside"),
            )
            for party in config.parties
        ),
        outside_forlig=tuple(pid for pid, choice in votes.items() if choice == "outside"),
    )
