"""Practice bots (issue 18): what a bot player wants to do next, as a pure function of what it may see.

`next_commands(deck, seen, seed, at)` reads the bot's own view (engine.views.view for that player: other
players' role cards and the game's seed are not in it), its own role's hjertesager from the deck, and the
bot's seed, which the server draws and records in the bot's `player_joined` event (`bot_seed`, shown to the
facilitator only). Each decision draws from `random.Random(f"{seed}:{seq}")`, so the same view gives the
same commands, and a game with bots replays from its log like any other: the bots' commands reach the log
as the events the rules decided, through the same `decide` as a person's.

The policy, in order of what it does first:
1. vote on every open proposal of the round it has not voted on (or change its vote when it now concedes),
   with a one-line reason in the chat that names cards with `#` mentions;
2. use its role's ability when it plainly helps (`use_ability`: the round's event put on hold);
3. call the vote on a proposal it is for, that the votes cast already carry, when its role may (`call_vote`,
   rules 3: the mayor) and voters have left it open for CALL_AFTER_SECONDS;
4. propose (or amend the most supported open proposal to) the portfolio it prefers: one that meets the
   verdict at the table's X under the events drawn, found by a local search over the engine's own
   arithmetic (engine.feasibility's arrays, checked with engine.budget.assess and engine.debrief.verdict),
   scored by its hjertesager first and then the service it keeps.
A bot concedes as the game goes on: its aspiration (how many of its hjertesager a proposal must meet to get
its vote) falls with each round and with the number of proposals the round has seen, so tables converge.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engine.budget import RULES_VERSION, Years, assess, target_years, validate_portfolio
from engine.debrief import hjertesag_met, verdict
from engine.deck import (
    REQUIRED_KINDS,
    AdoptedShareAtLeast,
    BalancedYears,
    ChosenAny,
    ChosenNone,
    Condition,
    CountAtLeast,
    CountAtMost,
    Deck,
    FteAtLeast,
    Hjertesag,
    KindExceeds,
    KindGainsAtLeast,
    NotAllChosen,
    PauseEventAbility,
    ServiceAtLeast,
)
from engine.errors import RuleViolation
from engine.feasibility import Model, best_portfolio, model_for, year_results
from engine.model import CallVote, CastVote, Choice, Command, PostMessage, Propose, UseAbility
from engine.views import ProposalView, TableView

Matrix = npt.NDArray[np.float64]

# How many proposals a bot makes in one round at most, and how much of a round's proposals it takes for it to
# concede one hjertesag more.
MAX_PROPOSALS_PER_ROUND = 2
# Human pace (the server's runner): seconds between a bot's commands, by default; a table or conference may
# set its own (docs/bots.md).
DEFAULT_PACE_SECONDS = 4.0

# A bot whose role calls votes (the mayor, rules 3) calls a proposal it is for, that would pass on the votes cast,
# once it has been open this long with voters still to vote.
CALL_AFTER_SECONDS = 90.0

_FEASIBLE = 1000.0  # a portfolio meeting the verdict outranks every one that does not
_PER_HJERTESAG = 40.0
_PER_SERVICE = 3.0
_PER_FTE = 0.05
_PER_LEVER = 12.0  # levers cost trust (the verdict's levers reason): a bot uses one only when it must


@dataclass(frozen=True, slots=True)
class Candidate:
    """A portfolio as the bot judges it."""

    cards: tuple[str, ...]
    reached: bool  # meets the verdict (engine.debrief.verdict) at the table's X under the drawn events
    met: tuple[bool, ...]  # each of the bot's hjertesager
    service: int
    failed: tuple[str, ...]  # the year labels or reason codes of the verdict's failed required reasons

    @property
    def score(self) -> int:
        return sum(self.met)


class _Keyed:
    """A deck as a cache key: by its digest (hashing a whole deck per call would cost more than the search)."""

    __slots__ = ("deck", "digest")

    def __init__(self, deck: Deck) -> None:
        self.deck, self.digest = deck, deck.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.digest == self.digest


# ---- the arrays: every neighbour of a portfolio scored at once --------------------------------------------


@lru_cache(maxsize=256)
def _model(keyed: _Keyed, events: tuple[str, ...], rules: int) -> Model:
    deck = keyed.deck
    ids = [card.id for card in deck.cards] + [lever.id for lever in deck.levers]
    return model_for(deck, events, rules, ids)


@lru_cache(maxsize=256)
def _start(keyed: _Keyed, events: tuple[str, ...], rules: int) -> tuple[str, ...]:
    """The portfolio with the most room (engine.feasibility.best_portfolio): where a bot's search begins."""
    return best_portfolio(keyed.deck, events, rules)[0]


@dataclass(frozen=True, slots=True)
class _Arrays:
    model: Model
    offset: Matrix  # (4,) the target at the table's X minus the target at X = 0
    service: Matrix  # (n,) the service index each item adds
    fte: Matrix
    lever: Matrix  # (n,) 1 for a lever
    noise: Matrix  # (n,) the bot's own small taste for each item (seeded)
    requires: tuple[tuple[int, int], ...]
    excludes: tuple[tuple[int, int], ...]
    x: float = 0.0  # the budgetår's target: the hjertesager's thresholds follow it


def _arrays(deck: Deck, events: tuple[str, ...], rules: int, target: Years, seed: int) -> _Arrays:
    model = _model(_Keyed(deck), events, rules)
    index = {item: i for i, item in enumerate(model.ids)}
    areas = len(deck.scenario.areas)
    service: list[float] = []
    fte: list[float] = []
    lever: list[float] = []
    for item in model.ids:
        if deck.has_lever(item):
            service.append(deck.lever(item).service_per_area * areas)
            fte.append(0.0)
            lever.append(1.0)
        else:
            card = deck.card(item)
            service.append(float(card.service))
            fte.append(card.fte)
            lever.append(0.0)
    requires, excludes = [], []
    for item in model.ids:
        if deck.has_card(item):
            card = deck.card(item)
            requires += [(index[item], index[other]) for other in card.requires if other in index]
            excludes += [(index[item], index[other]) for other in card.excludes if other in index]
    taste = np.random.default_rng(seed & 0xFFFFFFFF).normal(0.0, 0.6, len(model.ids))
    zero = np.array(target_years(deck.scenario, 0.0, rules))
    return _Arrays(
        model=model,
        offset=np.array(target) - zero,
        service=np.array(service),
        fte=np.array(fte),
        lever=np.array(lever),
        noise=taste,
        requires=tuple(requires),
        excludes=tuple(excludes),
        x=float(target[0]),
    )


def _floats(values: object) -> Matrix:
    found: Matrix = np.asarray(values, dtype=np.float64)
    return found


def _condition_met(condition: Condition, deck: Deck, arrays: _Arrays, chosen: Matrix, sums: Matrix) -> Matrix:
    """1.0 per row of `chosen` where the hjertesag holds (engine.debrief.hjertesag_met, as arrays)."""
    model = arrays.model
    index = {item: i for i, item in enumerate(model.ids)}
    rows = chosen.shape[0]

    def count(cards: Sequence[str]) -> Matrix:
        picks = [index[c] for c in cards if c in index]
        return _floats(chosen[:, picks].sum(axis=1)) if picks else np.zeros(rows)

    if isinstance(condition, ChosenAny):
        return _floats(count(condition.cards) > 0)
    if isinstance(condition, ChosenNone):
        return _floats(count(condition.cards) == 0)
    if isinstance(condition, NotAllChosen):
        return _floats(count(condition.cards) < len(condition.cards))
    if isinstance(condition, CountAtMost | CountAtLeast):
        matching = [
            card.id
            for card in deck.cards
            if (condition.area is None or card.area == condition.area)
            and (condition.card_kind is None or card.kind == condition.card_kind)
            and (condition.service_at_most is None or card.service <= condition.service_at_most)
        ]
        if isinstance(condition, CountAtLeast):
            return _floats(count(matching) >= condition.n)
        return _floats(count(matching) <= condition.n)
    if isinstance(condition, KindGainsAtLeast):
        of_kind = np.array(
            [1.0 if deck.has_card(item) and deck.card(item).kind == condition.card_kind else 0.0 for item in model.ids]
        )
        gains = np.maximum(0.0, model.amounts[:, 3]) * of_kind
        return _floats(chosen @ gains >= condition.threshold(arrays.x) - 1e-9)
    if isinstance(condition, ServiceAtLeast):
        return _floats(chosen @ arrays.service >= condition.threshold(arrays.x) - 1e-9)
    if isinstance(condition, FteAtLeast):
        return _floats(chosen @ arrays.fte >= condition.threshold(arrays.x) - 1e-9)
    if isinstance(condition, BalancedYears):
        years = [year - 1 for year in condition.years]
        return _floats((sums[:, years] >= condition.margin(arrays.x) - 1e-9).all(axis=1))
    if isinstance(condition, KindExceeds):
        kinds = [deck.card(item).kind if deck.has_card(item) else None for item in model.ids]
        more = np.array([1.0 if kind == condition.more else 0.0 for kind in kinds])
        than = np.array([1.0 if kind == condition.than else 0.0 for kind in kinds])
        year4 = model.amounts[:, 3]
        return _floats(chosen @ (year4 * more) > chosen @ (year4 * than) + 1e-9)
    if isinstance(condition, AdoptedShareAtLeast):
        return np.ones(rows)  # decided by the vote, not by the cards: every portfolio may meet it
    raise AssertionError(condition)


def _utility(deck: Deck, arrays: _Arrays, sags: Sequence[Hjertesag], chosen: Matrix) -> Matrix:
    """The bot's score of each row: the verdict's conditions first, then its hjertesager, then service."""
    model = arrays.model
    sums = year_results(model, chosen) - arrays.offset
    required = np.isfinite(model.tolerance)
    slack = (sums[:, required] + model.tolerance[required]).min(axis=1)
    shortfall = np.maximum(0.0, -slack)
    shortfall += np.maximum(0.0, model.need - chosen @ model.wishes).sum(axis=1)
    shortfall += np.maximum(0.0, chosen @ model.capital - model.pool)
    if model.rules < 2:
        shortfall += (chosen @ model.present.T < 1).sum(axis=1)
    else:
        base = chosen @ model.base_gains
        shortfall += np.maximum(0.0, model.share * base[:, None] - chosen @ model.kinds.T).sum(axis=1)
        shortfall += (base <= 0) * 1.0
    for first, second in arrays.requires:
        shortfall += chosen[:, first] * (1.0 - chosen[:, second]) * 10.0
    for first, second in arrays.excludes:
        shortfall += chosen[:, first] * chosen[:, second] * 10.0
    met = np.zeros(len(chosen))
    for sag in sags:
        met += _condition_met(sag.condition, deck, arrays, chosen, sums)
    # A little room above the target keeps a forlig standing when the next event comes.
    cushion = np.minimum(np.clip(slack, 0.0, None), 3.0)
    utility: Matrix = np.where(shortfall <= 1e-9, _FEASIBLE, -shortfall * 50.0)
    utility += met * _PER_HJERTESAG + (chosen @ arrays.service) * _PER_SERVICE + (chosen @ arrays.fte) * _PER_FTE
    utility += cushion - (chosen @ arrays.lever) * _PER_LEVER + chosen @ arrays.noise
    return utility


def _climb(deck: Deck, arrays: _Arrays, sags: Sequence[Hjertesag], start: Matrix) -> Matrix:
    """Best-improvement local search over single flips and swaps."""
    n = len(arrays.model.ids)
    x = start.copy()
    current = _utility(deck, arrays, sags, x[None, :])[0]
    eye = np.eye(n)
    for _ in range(60):
        inside, outside = np.flatnonzero(x > 0.5), np.flatnonzero(x < 0.5)
        swaps = np.repeat(x[None, :], len(inside) * len(outside), axis=0)
        rows = np.arange(len(swaps))
        swaps[rows, np.repeat(inside, len(outside))] = 0.0
        swaps[rows, np.tile(outside, len(inside))] = 1.0
        candidates = np.vstack([np.abs(x[None, :] - eye), swaps])
        scores = _utility(deck, arrays, sags, candidates)
        best = int(np.argmax(scores))
        if scores[best] <= current + 1e-9:
            break
        x, current = candidates[best], scores[best]
    return x


# ---- judging a portfolio with the engine itself ---------------------------------------------------------


def judge(deck: Deck, cards: Sequence[str], seen: TableView, sags: Sequence[Hjertesag], rules: int) -> Candidate:
    """The portfolio judged by the engine: engine.budget.assess and engine.debrief.verdict at the table's X."""
    assert seen.target is not None
    return _judge(_Keyed(deck), tuple(cards), tuple(seen.event_cards), seen.target, tuple(sags), rules)


@lru_cache(maxsize=4096)
def _judge(
    keyed: _Keyed, cards: tuple[str, ...], events: tuple[str, ...], target: Years, sags: tuple[Hjertesag, ...],
    rules: int,
) -> Candidate:  # fmt: skip

    deck = keyed.deck
    try:
        validate_portfolio(deck, cards, events)
    except RuleViolation as error:
        return Candidate(tuple(cards), False, tuple(False for _ in sags), 0, (error.code,))
    assessment = assess(deck, cards, events, target)
    result = verdict(deck, assessment, events, rules)
    labels = deck.scenario.years
    failed = tuple(
        labels[reason.year - 1] if reason.year is not None else reason.code
        for reason in result.reasons
        if reason.required and not reason.ok
    )
    met = tuple(
        isinstance(sag.condition, AdoptedShareAtLeast) or hjertesag_met(sag.condition, deck, None, assessment)
        for sag in sags
    )
    return Candidate(tuple(cards), result.reached, met, assessment.service, failed)


def preferred(deck: Deck, seen: TableView, seed: int, start: Sequence[str] | None = None) -> tuple[str, ...]:
    """The portfolio this bot would propose now (from `start`, e.g. a proposal it amends, when given)."""
    assert seen.target is not None
    assert seen.your_role is not None
    sags = deck.role(seen.your_role).hjertesager
    begin = tuple(start) if start is not None else None
    return _preferred(_Keyed(deck), tuple(seen.event_cards), seen.target, sags, seed, begin, RULES_VERSION)


@lru_cache(maxsize=1024)
def _preferred(
    keyed: _Keyed,
    events: tuple[str, ...],
    target: Years,
    sags: tuple[Hjertesag, ...],
    seed: int,
    start: tuple[str, ...] | None,
    rules: int,
) -> tuple[str, ...]:
    """Cached: the same inputs give the same portfolio (the search is deterministic)."""
    deck = keyed.deck
    arrays = _arrays(deck, events, rules, target, seed)
    index = {item: i for i, item in enumerate(arrays.model.ids)}
    starts = [_start(keyed, events, rules)]
    if start is not None:
        starts.insert(0, tuple(start))
    best: tuple[float, Matrix] | None = None
    for portfolio in starts:
        x = np.zeros(len(index))
        for item in portfolio:
            if item in index:
                x[index[item]] = 1.0
        found = _climb(deck, arrays, sags, x)
        score = float(_utility(deck, arrays, sags, found[None, :])[0])
        if best is None or score > best[0]:
            best = (score, found)
    assert best is not None
    chosen = {item for item, value in zip(arrays.model.ids, best[1], strict=True) if value > 0.5}
    order = [card.id for card in deck.cards] + [lever.id for lever in deck.levers]
    return tuple(item for item in order if item in chosen)


# ---- what to say ----------------------------------------------------------------------------------------


def _card_name(deck: Deck, card_id: str, lang: str) -> str:
    if deck.has_card(card_id):
        title = deck.card(card_id).title
        return title.en if lang == "en" else title.da
    title = deck.lever(card_id).title
    return title.en if lang == "en" else title.da


def _grievance(deck: Deck, cards: Sequence[str], sags: Sequence[Hjertesag], met: Sequence[bool], lang: str) -> str:
    """A line naming the card that breaks one of the bot's hjertesager (or what it misses)."""
    chosen = set(cards)
    for sag, ok in zip(sags, met, strict=True):
        if ok:
            continue
        condition = sag.condition
        if isinstance(condition, ChosenNone | NotAllChosen | CountAtMost):
            hit = [c for c in cards if deck.has_card(c) and _hurts(deck, condition, c)]
            if hit:
                card = hit[0]
                name = _card_name(deck, card, lang).lower()
                if lang == "en":
                    return f"I cannot support #{card} ({name}) – it goes against what matters to me."
                return f"Jeg kan ikke støtte #{card} ({name}) – det går imod det, jeg kæmper for."
        if isinstance(condition, ChosenAny):
            missing = [c for c in condition.cards if c not in chosen and deck.has_card(c)]
            if missing:
                card = missing[0]
                name = _card_name(deck, card, lang).lower()
                if lang == "en":
                    return f"Without #{card} ({name}) I cannot vote for it."
                return f"Uden #{card} ({name}) kan jeg ikke stemme for."
        return _unmet(condition, lang)
    return "It is not good enough yet." if lang == "en" else "Den er ikke god nok endnu."


# What a bot says about a hjertesag it misses that names no card: the gist, never the secret card's own words.
_UNMET = {
    "service_at_least": ("Den koster for meget service for borgerne.", "It costs the citizens too much service."),
    "fte_at_least": ("Den koster for mange stillinger.", "It costs too many jobs."),
    "balanced_years": ("Den hænger ikke sammen i overslagsårene.", "It does not balance in the later years."),
    "kind_exceeds": ("Der er for mange rene besparelser i den.", "It leans too much on plain cuts."),
}


def _unmet(condition: Condition, lang: str) -> str:
    da, en = _UNMET.get(condition.kind, ("Den er ikke god nok endnu.", "It is not good enough yet."))
    return en if lang == "en" else da


def _hurts(deck: Deck, condition: ChosenNone | NotAllChosen | CountAtMost, card_id: str) -> bool:
    if isinstance(condition, ChosenNone | NotAllChosen):
        return card_id in condition.cards
    card = deck.card(card_id)
    return (
        (condition.area is None or card.area == condition.area)
        and (condition.card_kind is None or card.kind == condition.card_kind)
        and (condition.service_at_most is None or card.service <= condition.service_at_most)
    )


def _praise(deck: Deck, cards: Sequence[str], sags: Sequence[Hjertesag], met: Sequence[bool], lang: str) -> str:
    chosen = set(cards)
    for sag, ok in zip(sags, met, strict=True):
        condition = sag.condition
        if ok and isinstance(condition, ChosenAny):
            card = next(c for c in condition.cards if c in chosen)
            if lang == "en":
                return f"it reaches the target and keeps #{card} in."
            return f"den når målet og har #{card} med."
        if ok and isinstance(condition, ChosenNone):
            card = condition.cards[0]
            if lang == "en":
                return f"it reaches the target and leaves #{card} out."
            return f"den når målet og holder #{card} ude."
    return "it reaches the target." if lang == "en" else "den når målet."


def _vote_line(deck: Deck, proposal: ProposalView, judged: Candidate, choice: Choice, sags: Sequence[Hjertesag],
               lang: str) -> str:  # fmt: skip
    if choice == "for":
        reason = _praise(deck, judged.cards, sags, judged.met, lang)
        return f"I vote for {proposal.id}: {reason}" if lang == "en" else f"Jeg stemmer for {proposal.id}: {reason}"
    if not judged.reached:
        where = ", ".join(judged.failed[:2])
        if lang == "en":
            return f"I vote against {proposal.id}: it does not reach the goal ({where})."
        return f"Jeg stemmer imod {proposal.id}: den når ikke målet ({where})."
    prefix = f"Against {proposal.id}." if lang == "en" else f"Imod {proposal.id}."
    return f"{prefix} {_grievance(deck, judged.cards, sags, judged.met, lang)}"


def _short_vote_line(proposal: ProposalView, choice: Choice, lang: str) -> str:
    if lang == "en":
        return f"{'For' if choice == 'for' else 'Against'} {proposal.id}."
    return f"{'For' if choice == 'for' else 'Imod'} {proposal.id}."


def _proposal_line(deck: Deck, cards: Sequence[str], amends: str | None, proposal_id: str, judged: Candidate,
                   sags: Sequence[Hjertesag], lang: str) -> str:  # fmt: skip
    reason = _praise(deck, cards, sags, judged.met, lang)
    if amends is not None:
        if lang == "en":
            return f"I propose {proposal_id}, an amendment of {amends}: {reason}"
        return f"Jeg foreslår {proposal_id} som ændring af {amends}: {reason}"
    return f"I propose {proposal_id}: {reason}" if lang == "en" else f"Jeg foreslår {proposal_id}: {reason}"


# ---- the policy -----------------------------------------------------------------------------------------


def aspiration(seen: TableView, best: int) -> int:
    """How many of its hjertesager a proposal must meet for the bot's vote: its best, less what it concedes
    (a hjertesag per round after the first, and one per round of proposals the table has seen this round)."""
    assert seen.round is not None
    number = seen.round.number
    players = max(1, sum(1 for p in seen.players if p.seated))
    this_round = sum(1 for p in seen.proposals if p.round == number)
    last = seen.rounds_total is not None and number >= seen.rounds_total
    conceded = (number - 1) + this_round // players + (2 if last and this_round >= players else 0)
    return max(0, best - conceded)


def _would_pass(seen: TableView, proposal: ProposalView) -> bool:
    """Whether the votes cast already carry the proposal under the table's rule (engine.rules.outcome)."""
    tally = proposal.tally
    if tally.total == 0 or seen.rule == "consensus":
        return False
    backers = sum(1 for pid, choice in proposal.votes.items() if choice == "for" and pid in seen.voters)
    if backers < 2:
        return False
    if seen.rule == "broad":
        return 3 * tally.for_ >= 2 * tally.total
    return 2 * tally.for_ > tally.total


def _call(
    deck: Deck, seen: TableView, open_now: Sequence[ProposalView], at: datetime, lang: str
) -> tuple[Command, ...]:
    assert seen.your_role is not None
    if not deck.role(seen.your_role).calls_votes:
        return ()
    for proposal in open_now:
        waited = (at - proposal.at).total_seconds() >= CALL_AFTER_SECONDS
        if waited and proposal.votes.get(seen.you or "") == "for" and proposal.missing and _would_pass(seen, proposal):
            line = (
                f"I call the vote on {proposal.id}: it has the votes." if lang == "en"
                else f"Jeg sætter {proposal.id} til afstemning nu: den har flertallet."
            )  # fmt: skip
            return (CallVote(at=at, proposal_id=proposal.id), PostMessage(at=at, text=line))
    return ()


def _ability(deck: Deck, seen: TableView, at: datetime, lang: str) -> tuple[Command, ...]:
    """`use_ability` (and a line about it) when its moment has come and it plainly helps: putting the round's
    event on hold (pause_event), which costs nothing. The others cost money in the budgetår (soften_event), change
    the forlig or cost the role points, so a bot leaves them to people: its judgement of a portfolio does not
    see their adjustments."""
    assert seen.your_role is not None
    assert seen.round is not None
    event = seen.round.event_card
    if event is None:
        return ()
    moment = {offer.id: offer for offer in seen.abilities}
    for ability in deck.role(seen.your_role).abilities:
        offer = moment.get(ability.id)
        if offer is None or not offer.now or offer.uses_left <= 0:
            continue
        if isinstance(ability, PauseEventAbility) and event in ability.events:
            title = (ability.title.en if lang == "en" else ability.title.da).lower()
            card = deck.event(event).title
            name = card.en if lang == "en" else card.da
            line = (
                f"I use my {title} on {event} ({name}): it helps us all." if lang == "en"
                else f"Jeg bruger min {title} på {event} ({name}): det hjælper os alle."
            )  # fmt: skip
            return (UseAbility(at=at, ability=ability.id), PostMessage(at=at, text=line))
    return ()


def _choice(judged: Candidate, wanted: int) -> Choice:
    return "for" if judged.reached and judged.score >= wanted else "against"


def next_commands(deck: Deck, seen: TableView, seed: int, at: datetime, lang: str = "da") -> tuple[Command, ...]:
    """The commands the bot wants to send now (empty: it waits), the first one first. `seen` is the bot's own
    view (engine.views.view with Viewer("player", bot)); `seed` the bot's recorded seed. Pure."""
    me = seen.you
    if (
        me is None
        or seen.phase != "round"
        or seen.round is None
        or seen.round.paused
        or seen.your_role is None
        or seen.target is None
        or not any(p.id == me and p.seated for p in seen.players)
    ):
        return ()
    rng = random.Random(f"{seed}:{seen.seq}")
    rules = RULES_VERSION
    sags = deck.role(seen.your_role).hjertesager
    number = seen.round.number
    open_now = [p for p in seen.proposals if p.status == "open" and p.round == number]
    own = preferred(deck, seen, seed)
    mine = judge(deck, own, seen, sags, rules)
    wanted = aspiration(seen, mine.score)
    forlig = seen.forlig
    standing = judge(deck, forlig.cards, seen, sags, rules) if forlig is not None else None

    # 1. Votes: every open proposal gets one; a vote changes when the bot now concedes.
    if seen.you_may_vote:
        for proposal in sorted(open_now, key=lambda p: int(p.id[1:]) if p.id[1:].isdigit() else 0):
            judged = judge(deck, proposal.cards, seen, sags, rules)
            choice = _choice(judged, wanted)
            if standing is not None and standing.reached and forlig is not None and forlig.round == number:
                # A forlig stands this round: a later proposal replaces it only if it is better for the bot.
                better = judged.reached and judged.score > standing.score
                choice = "for" if better else "against"
            if proposal.votes.get(me) == choice:
                continue
            line = _vote_line(deck, proposal, judged, choice, sags, lang)
            if rng.random() < 0.25:  # the seeded draw: now and then the bot says it more briefly
                line = _short_vote_line(proposal, choice, lang)
            return (
                CastVote(at=at, proposal_id=proposal.id, choice=choice),
                PostMessage(at=at, text=line),
            )

    # 2. Use its role's ability when it plainly helps the table: the round's event put on hold or softened.
    used = _ability(deck, seen, at, lang)
    if used:
        return used

    # 3. Call the vote (rules 3, a role that calls votes) on a proposal it is for that would pass now.
    called = _call(deck, seen, open_now, at, lang)
    if called:
        return called

    # 4. Propose (or amend): only while no forlig that meets the verdict stands, when no open proposal already
    # has the bot's vote, and at most MAX_PROPOSALS_PER_ROUND a round.
    if standing is not None and standing.reached:
        return ()
    supported = [p for p in open_now if p.votes.get(me) == "for"]
    made = sum(1 for p in seen.proposals if p.round == number and p.player_id == me)
    if supported or made >= MAX_PROPOSALS_PER_ROUND or not mine.reached:
        return ()
    cards, amends = own, None
    if open_now and made > 0:
        # The second proposal amends the proposal with the most support so far, towards the bot's own.
        target = max(open_now, key=lambda p: (p.tally.for_, -int(p.id[1:]) if p.id[1:].isdigit() else 0))
        amended = preferred(deck, seen, seed, start=target.cards)
        if judge(deck, amended, seen, sags, rules).reached:
            cards, amends = amended, target.id
    if any(set(p.cards) == set(cards) for p in open_now):
        return ()  # it is on the table already: the bot has voted on it above
    proposal_id = f"F{len(seen.proposals) + 1}"
    judged = judge(deck, cards, seen, sags, rules)
    return (
        Propose(at=at, cards=cards, amends=amends),
        PostMessage(at=at, text=_proposal_line(deck, cards, amends, proposal_id, judged, sags, lang)),
    )


def reveals(deck: Deck, seen: TableView) -> list[str]:
    """What in a bot's input would be another player's secret (the property test's check): another role's
    hjertesag, at a table whose hjertesager are secret. Roles are public (rules 3, issue 13); a game of the
    older rules hid the other roles too. The chat is left out: what a player tells the table of its own
    hjertesager is its choice (a bot quotes one it finds unmet). Empty when the input is clean."""
    if not deck.scenario.secret_roles:
        return []
    strings = json.dumps(seen.model_copy(update={"chat": ()}).model_dump(mode="json"), ensure_ascii=False)
    return [
        f"hjertesag of {role.id}"
        for role in deck.roles
        if role.id != seen.your_role
        for sag in role.hjertesager
        if json.dumps(sag.text.da, ensure_ascii=False)[1:-1] in strings
    ]


__all__ = [
    "DEFAULT_PACE_SECONDS",
    "REQUIRED_KINDS",
    "Candidate",
    "aspiration",
    "judge",
    "next_commands",
    "preferred",
    "reveals",
]
