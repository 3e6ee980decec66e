"""The cross-table debrief: a conference's tables side by side, from each table's own `Debrief` and state.

Pure, like the rest of the engine: the server hands in every table's state and debrief, this module counts
and averages. Nothing here does budget arithmetic of its own; every figure per table comes from
`engine.debrief.debrief`, so a table's line in the cross-table debrief always equals its own debrief.

- `reached`: per year, how many tables' forlig reaches the target (as planned, and after the reality check
  for the tables that had one).
- `heatmap`: every card × every table: `chosen` (in the table's forlig), `proposed` (in some proposal of the
  table, not in its forlig) or `never` (never proposed there).
- `composition`: each table's shares of the headroom (year-4 gains) by kind and by area, the share from
  administration against the welfare areas, and the average over the tables that have a forlig.
- `probability`: each table's Monte Carlo probability of reaching the target per year, and the spread
  (lowest, median, mean, highest) over the tables that have a forlig.
- `rules_compared`: the tables grouped by the rules they played (adoption rule and rules version), with
  what each group reached; `rules_differ` when there is more than one group.
- `dialogue`: the article's three "Tag dialogen" questions (engine.explain.QUESTIONS) with the conference's
  facts, for the projector's "Tag dialogen" screen.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.debrief import Debrief
from engine.deck import KINDS, Kind, Text
from engine.explain import BAROMETER_SHARE, QUESTIONS, SPENDING_SHARE, Question
from engine.model import Phase, State

CardStatus = Literal["chosen", "proposed", "never"]
CARD_STATUSES: tuple[CardStatus, ...] = ("chosen", "proposed", "never")
Flags = tuple[bool, bool, bool, bool]
Years = tuple[float, float, float, float]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class TableInput:
    table_id: str
    number: int
    name: str
    state: State
    debrief: Debrief


class TableSummary(Frozen):
    table_id: str
    number: int
    name: str
    phase: Phase
    players: int  # seated now
    forlig: str | None  # proposal id of the forlig
    cards: tuple[str, ...]  # of the forlig
    proposals: int
    rounds: int  # rounds started
    result: Years  # the forlig against the target per year (planned: before the reality check)
    reached: Flags
    verdict_reached: bool  # every required reason of the verdict holds
    rolled: bool  # the reality check has happened
    realised_result: Years | None
    realised_reached: Flags | None
    administration_share: float
    welfare_share: float
    probability: Years
    probability_all_years: float
    rule: str | None = None  # the adoption rule the table played (consensus, broad, majority)
    rules: int = 1  # the rules version (game_created)


class YearCount(Frozen):
    year: int
    label: str
    reached: int  # tables whose forlig reaches the target this year, as planned
    realised: int  # … after the reality check (tables that had one)
    rolled: int  # tables that had the reality check


class HeatRow(Frozen):
    card: str
    title: Text
    kind: Kind
    area: str
    statuses: tuple[CardStatus, ...]  # one per table, in the order of `tables`
    chosen: int
    proposed: int
    never: int


class Heatmap(Frozen):
    tables: tuple[str, ...]  # table ids, the columns
    rows: tuple[HeatRow, ...]  # one per card of the deck, in the deck's order


class Shares(Frozen):
    by_kind: dict[str, float]  # kind -> share of the year-4 gains
    by_area: dict[str, float]  # area id -> share
    administration_share: float
    welfare_share: float
    total_gains: float


class TableComposition(Frozen):
    table_id: str
    has_forlig: bool
    shares: Shares


class CompositionComparison(Frozen):
    tables: tuple[TableComposition, ...]
    average: Shares  # the mean over the tables that have a forlig (all zero when none has)
    averaged_over: int


class Spread(Frozen):
    year: int | None  # None: all four years at once
    label: str
    tables: int
    lowest: float | None
    median: float | None
    mean: float | None
    highest: float | None


class ProbabilityComparison(Frozen):
    spread: tuple[Spread, ...]  # the four years, then all years together


class RulesGroup(Frozen):
    rule: str | None  # the adoption rule
    rules: int  # the rules version
    tables: tuple[str, ...]  # table ids
    with_forlig: int
    verdict_reached: int
    mean_share_for: float | None  # the forligs' mean share of the votes (None without a forlig)


class CrossDebrief(Frozen):
    scenario: str
    years: tuple[str, str, str, str]
    target: Years | None
    tables: tuple[TableSummary, ...]
    reached: tuple[YearCount, ...]
    verdict_reached: int
    with_forlig: int
    heatmap: Heatmap
    composition: CompositionComparison
    probability: ProbabilityComparison
    rules_compared: tuple[RulesGroup, ...] = ()
    rules_differ: bool = False
    dialogue: tuple[Question, ...] = ()


def card_statuses(state: State) -> dict[str, CardStatus]:
    """Every card of the deck at this table: chosen (in the forlig), proposed (not adopted) or never."""
    chosen = set(state.forlig.cards) if state.forlig is not None else set()
    proposed = {card for proposal in state.proposals.values() for card in proposal.cards}
    return {
        card.id: "chosen" if card.id in chosen else "proposed" if card.id in proposed else "never"
        for card in state.deck.cards
    }


def _flags(values: Sequence[bool]) -> Flags:
    a, b, c, d = values
    return (a, b, c, d)


def _years(values: Sequence[float]) -> Years:
    a, b, c, d = values
    return (a, b, c, d)


def summary(table: TableInput) -> TableSummary:
    state, result = table.state, table.debrief
    check = result.reality_check
    realised = check.years if check.rolled else ()
    return TableSummary(
        table_id=table.table_id,
        number=table.number,
        name=table.name,
        phase=state.phase,
        players=sum(1 for _ in state.seated()),
        forlig=result.forlig.proposal_id if result.forlig else None,
        cards=result.forlig.cards if result.forlig else (),
        proposals=len(state.proposals),
        rounds=len(state.rounds),
        result=_years([row.result for row in result.years]),
        reached=_flags([row.reached for row in result.years]),
        verdict_reached=result.verdict.reached,
        rolled=check.rolled,
        realised_result=_years([row.result for row in realised]) if realised else None,
        realised_reached=_flags([row.reached for row in realised]) if realised else None,
        administration_share=result.composition.administration_share,
        welfare_share=result.composition.welfare_share,
        probability=check.probability,
        probability_all_years=check.probability_all_years,
        rule=state.config.rule if state.config is not None else None,
        rules=result.rules,
    )


def _shares(result: Debrief) -> Shares:
    composition = result.composition
    return Shares(
        by_kind={row.id: row.share for row in composition.by_kind},
        by_area={row.id: row.share for row in composition.by_area},
        administration_share=composition.administration_share,
        welfare_share=composition.welfare_share,
        total_gains=composition.total_gains,
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _average(shares: Sequence[Shares], kinds: Sequence[str], areas: Sequence[str]) -> Shares:
    return Shares(
        by_kind={kind: _mean([s.by_kind[kind] for s in shares]) for kind in kinds},
        by_area={area: _mean([s.by_area[area] for s in shares]) for area in areas},
        administration_share=_mean([s.administration_share for s in shares]),
        welfare_share=_mean([s.welfare_share for s in shares]),
        total_gains=_mean([s.total_gains for s in shares]),
    )


def _spread(year: int | None, label: str, values: Sequence[float]) -> Spread:
    if not values:
        return Spread(year=year, label=label, tables=0, lowest=None, median=None, mean=None, highest=None)
    return Spread(
        year=year,
        label=label,
        tables=len(values),
        lowest=min(values),
        median=statistics.median(values),
        mean=_mean(values),
        highest=max(values),
    )


def cross_debrief(tables: Sequence[TableInput]) -> CrossDebrief:
    """The conference's tables compared. `tables` in the conference's order; all on one deck."""
    if not tables:
        raise ValueError("a conference has at least one table")
    deck = tables[0].state.deck
    labels = deck.scenario.years
    summaries = tuple(summary(table) for table in tables)
    rolled = [s for s in summaries if s.realised_reached is not None]
    reached = tuple(
        YearCount(
            year=index + 1,
            label=labels[index],
            reached=sum(1 for s in summaries if s.reached[index]),
            realised=sum(1 for s in rolled if s.realised_reached is not None and s.realised_reached[index]),
            rolled=len(rolled),
        )
        for index in range(4)
    )
    statuses = [card_statuses(table.state) for table in tables]
    rows = []
    for card in deck.cards:
        row = tuple(status[card.id] for status in statuses)
        rows.append(
            HeatRow(
                card=card.id,
                title=card.title,
                kind=card.kind,
                area=card.area,
                statuses=row,
                chosen=row.count("chosen"),
                proposed=row.count("proposed"),
                never=row.count("never"),
            )
        )
    kinds = list(KINDS)
    areas = [area.id for area in deck.scenario.areas]
    compositions = tuple(
        TableComposition(table_id=t.table_id, has_forlig=t.debrief.forlig is not None, shares=_shares(t.debrief))
        for t in tables
    )
    with_forlig = [c.shares for c in compositions if c.has_forlig]
    probable = [s for s in summaries if s.forlig is not None]
    spread = [_spread(index + 1, labels[index], [s.probability[index] for s in probable]) for index in range(4)]
    spread.append(_spread(None, "all", [s.probability_all_years for s in probable]))
    first = tables[0].state.config
    groups = _rules_groups(tables, summaries)
    return CrossDebrief(
        scenario=deck.scenario.id,
        years=labels,
        target=first.target if first is not None else None,
        tables=summaries,
        reached=reached,
        verdict_reached=sum(1 for s in summaries if s.verdict_reached),
        with_forlig=len(probable),
        heatmap=Heatmap(tables=tuple(t.table_id for t in tables), rows=tuple(rows)),
        composition=CompositionComparison(
            tables=compositions, average=_average(with_forlig, kinds, areas), averaged_over=len(with_forlig)
        ),
        probability=ProbabilityComparison(spread=tuple(spread)),
        rules_compared=groups,
        rules_differ=len(groups) > 1,
        dialogue=cross_dialogue(tables, summaries, rows),
    )


def _rules_groups(tables: Sequence[TableInput], summaries: Sequence[TableSummary]) -> tuple[RulesGroup, ...]:
    keys: dict[tuple[str | None, int], list[int]] = {}
    for index, s in enumerate(summaries):
        keys.setdefault((s.rule, s.rules), []).append(index)
    groups = []
    for (rule, rules), members in keys.items():
        forligs = [tables[i].debrief.forlig for i in members if tables[i].debrief.forlig is not None]
        groups.append(
            RulesGroup(
                rule=rule,
                rules=rules,
                tables=tuple(summaries[i].table_id for i in members),
                with_forlig=len(forligs),
                verdict_reached=sum(1 for i in members if summaries[i].verdict_reached),
                mean_share_for=_mean(voted)
                if (voted := [f.share_for for f in forligs if f is not None and not f.forced])
                else None,
            )
        )
    return tuple(groups)


def _pct(share: float, lang: str) -> str:
    return f"{share:.0%}".replace("%", " pct.") if lang == "da" else f"{share:.0%}"


def cross_dialogue(
    tables: Sequence[TableInput], summaries: Sequence[TableSummary], rows: Sequence[HeatRow]
) -> tuple[Question, ...]:
    """The three questions with the conference's facts: who adopted and how, which cards the tables reached
    for and which of them cut service, and administration's and the welfare areas' share of the gains."""
    n = len(summaries)
    with_forlig = [t.debrief.forlig for t in tables if t.debrief.forlig is not None]
    forced = sum(1 for f in with_forlig if f is not None and f.forced)
    reached = sum(1 for s in summaries if s.verdict_reached)
    roles = [
        Text(
            da=f"{len(with_forlig)} af {n} borde vedtog et forlig ({forced} tvunget igennem af facilitator); "
            f"{reached} nåede målet på alle betingelser.",
            en=f"{len(with_forlig)} of {n} tables adopted an agreement ({forced} forced through by the facilitator); "
            f"{reached} met every condition.",
        )
    ]
    # A forced forlig has no votes behind it: the mean is over the forligs the table voted for.
    shares = [f.share_for for f in with_forlig if f is not None and not f.forced]
    if shares:
        roles.append(
            Text(
                da=f"De vedtagne forlig havde i gennemsnit {_pct(_mean(shares), 'da')} af stemmerne bag sig.",
                en=f"The agreements voted through had {_pct(_mean(shares), 'en')} of the votes behind them on average.",
            )
        )
    deck = tables[0].state.deck
    popular = sorted((r for r in rows if r.chosen), key=lambda r: (-r.chosen, r.card))[:3]
    transparency = []
    if popular:
        transparency.append(
            Text(
                da="Oftest i forligene: "
                + "; ".join(
                    f"{r.card} {r.title.da} ({r.chosen} {'bord' if r.chosen == 1 else 'borde'})" for r in popular
                )
                + ".",
                en="Most often in the agreements: "
                + "; ".join(
                    f"{r.card} {r.title.en} ({r.chosen} {'table' if r.chosen == 1 else 'tables'})" for r in popular
                )
                + ".",
            )
        )
    cutting = [
        r
        for r in rows
        if r.chosen and r.kind == "effektivisering" and deck.has_card(r.card) and deck.card(r.card).service < 0
    ]
    transparency.append(
        Text(
            da=f"Effektiviseringer, der sænker servicen (en borger vil kalde dem besparelser), kom med ved "
            f"{sum(1 for i in range(n) if any(r.statuses[i] == 'chosen' for r in cutting))} af {n} borde"
            + (f": {', '.join(r.card for r in cutting)}." if cutting else "."),
            en=f"Efficiency measures that lower service (a citizen would call them savings) were in the agreement at "
            f"{sum(1 for i in range(n) if any(r.statuses[i] == 'chosen' for r in cutting))} of {n} tables"
            + (f": {', '.join(r.card for r in cutting)}." if cutting else "."),
        )
    )
    adopted = [s for s in summaries if s.forlig is not None]
    admin = _mean([s.administration_share for s in adopted])
    welfare_share = _mean([s.welfare_share for s in adopted])
    welfare = [
        Text(
            da=f"Velfærdsområderne bar i gennemsnit {_pct(welfare_share, 'da')} af forligenes gevinster og "
            f"administrationen {_pct(admin, 'da')} VIVE 2025: politikerne ville tage 28,5 pct. af en besparelse fra "
            f"administrationen, der er ca. {_pct(SPENDING_SHARE, 'da')} af udgifterne.",
            en=f"The welfare areas carried {_pct(welfare_share, 'en')} of the agreements' gains on average and "
            f"administration {_pct(admin, 'en')}. VIVE 2025: politicians would take {BAROMETER_SHARE:.1%} of a cut "
            f"from administration, about {SPENDING_SHARE:.0%} of spending.",
        )
    ]
    facts = (roles, transparency, welfare)
    return tuple(
        Question(id=qid, question=question, facts=tuple(facts[index]))
        for index, (qid, question) in enumerate(QUESTIONS)
    )
