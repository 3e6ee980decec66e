"""What each viewer may see: a player, the facilitator, or a projector in the hall.

Both the snapshot (`view`) and the event stream (`event_for`) go through this module, so a secret
(another player's role card, the game's seed) cannot reach the wrong client by either path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.abilities import assess_table, offers
from engine.budget import Assessment, year_reached
from engine.debrief import kind_share_shortfalls
from engine.deck import Text
from engine.explain import Explanation, card_pairs, explain
from engine.model import (
    AbilityUsed,
    AnnouncementMade,
    Byraad,
    Choice,
    Event,
    GameCreated,
    MessagePosted,
    PartyAssigned,
    Phase,
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    Proposal,
    ProposalAdopted,
    ProposalMade,
    ProposalRejected,
    RealityChecked,
    RolesDealt,
    RoundEnded,
    RoundPaused,
    RoundResumed,
    RoundStarted,
    SeatHandedOver,
    State,
    VoteCast,
    Years,
)
from engine.reality import Forecast, forecast
from engine.rules import outside, still_to_vote, tally, voters

ViewerKind = Literal["player", "facilitator", "projector"]
CHAT_IN_SNAPSHOT = 200


@dataclass(frozen=True, slots=True)
class Viewer:
    kind: ViewerKind
    player_id: str | None = None


FACILITATOR_VIEWER = Viewer("facilitator")
PROJECTOR_VIEWER = Viewer("projector")


class ViewModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlayerView(ViewModel):
    id: str
    name: str
    number: int
    seated: bool
    role: str | None  # None when the deck keeps roles secret from this viewer
    bot: bool = False  # a practice bot (docs/bots.md): every screen marks it
    party: str | None = None  # byråd mode: the member's party (public, as in a byråd)


class ChatLineView(ViewModel):
    seq: int
    player_id: str | None
    text: str
    mentions: tuple[str, ...]
    at: datetime


class TallyView(ViewModel):
    for_: int
    against: int
    abstain: int
    total: int  # in byråd mode with parties: all the byråd's mandates, present or not
    outside: int = 0  # byråd mode: the weight that stands udenfor forliget (not for it, not missing)


class ProposalView(ViewModel):
    id: str
    round: int
    player_id: str
    cards: tuple[str, ...]
    amends: str | None
    status: str
    votes: dict[str, Choice]
    tally: TallyView
    missing: tuple[str, ...]  # the voters who have not voted yet, while the proposal is open
    at: datetime


class WarningView(ViewModel):
    code: str
    year: int | None
    kind: str | None
    amount: float | None
    cards: tuple[str, ...] = ()  # budget.card_pair: the two cards
    note: Text | None = None  # budget.card_pair: the deck's words for the pair


class ServiceAreaView(ViewModel):
    area: str
    reductions: int  # ≤ 0
    improvements: int  # ≥ 0


class MeterView(ViewModel):
    """The four years of a portfolio against the target, as the live meter draws them."""

    cards: tuple[str, ...]
    target: Years
    event_effect: Years
    forlig_effect: Years
    result: Years
    wish_funding: Years
    capital_spent: float
    service: int
    fte: float
    warnings: tuple[WarningView, ...]
    reached: tuple[bool, bool, bool, bool]  # per year: the result reaches the target
    all_reached: bool  # all four years are reached
    # The seeded Monte Carlo of the reality check (engine.reality.forecast), while the table negotiates:
    expected: Years = (0.0, 0.0, 0.0, 0.0)  # the expected result per year after the dice
    reach_probability: Years = (0.0, 0.0, 0.0, 0.0)  # the chance of reaching the target per year
    levers: tuple[str, ...] = ()  # the portfolio's levers (ids with the L- prefix), also in `cards`
    lever_amounts: tuple[Years, ...] = ()  # each lever's operating effect, in the order of `levers`
    service_reductions: int = 0  # service cuts and improvements, counted apart (never netted)
    service_improvements: int = 0
    service_by_area: tuple[ServiceAreaView, ...] = ()
    # The debrief's why for this portfolio, live (engine.explain.explain): per year in words, the failed
    # conditions with the cheapest fix, the cards that cannot be added and why. Null in the snapshot.
    why: Explanation | None = None


class RoundView(ViewModel):
    number: int
    event_card: str | None
    started_at: datetime
    deadline: datetime | None
    ended_at: datetime | None
    adopted: str | None
    paused: bool = False
    remaining: float | None = None  # seconds left when paused (the deadline is null while paused)


class ForligView(ViewModel):
    proposal_id: str
    round: int
    cards: tuple[str, ...]
    share_for: float
    forced: bool


class AbilityView(ViewModel):
    """An ability printed on a role card (the deck's abilities), public at the table."""

    id: str  # the role card it is printed on is in the deck (no role id here: roles may be secret)
    effect: str
    uses_left: int
    now: bool  # its moment has come: use_ability would not be refused for the timing (a card may be needed)


class AbilityUseView(ViewModel):
    seq: int
    player_id: str
    role: str
    ability: str
    effect: str
    round: int
    card: str | None
    event: str | None
    moved: str | None
    at: datetime


class TableView(ViewModel):
    viewer: ViewerKind
    you: str | None
    your_role: str | None
    seq: int
    table_name: str | None
    deck_id: str
    phase: Phase
    rule: str | None
    rounds_total: int | None
    target: Years | None
    round: RoundView | None
    event_cards: tuple[str, ...]
    players: tuple[PlayerView, ...]
    chat: tuple[ChatLineView, ...]
    proposals: tuple[ProposalView, ...]
    forlig: ForligView | None
    meter: MeterView | None
    rolls: dict[str, int] | None
    voters: dict[str, int]  # the seated players who may vote now (in seat order), with their vote weight
    you_may_vote: bool  # this viewer is a player who may vote now
    # The viewer's own hjertesager (a player with a role): the deck served to browsers carries none, so this
    # is the only way a player learns them; nobody else's are in any view before the debrief.
    your_hjertesager: tuple[Text, ...] = ()
    abilities: tuple[AbilityView, ...] = ()  # every ability in the deck: uses left, and whether it is its moment
    ability_uses: tuple[AbilityUseView, ...] = ()  # the abilities used, in order: visible to the whole table
    byraad: Byraad | None = None  # byråd mode: parties and mandates, seats, how roles are given; null otherwise


class ProposalVotes(ViewModel):
    tally: TallyView
    missing: tuple[str, ...]


class Derived(ViewModel):
    """What an event changed in the figures that follow from the voting rules, for a client that applies
    events as they come: `voters` when the seats or roles changed (else null), and `tally` and `missing` of
    each proposal whose figures the event may have changed. Laid over the snapshot's `voters` and its
    proposals' `tally` and `missing`, in seq order, they give the view's figures at every seq. The same for
    every viewer: one frame serves everybody who sees the event alike."""

    voters: dict[str, int] | None
    proposals: dict[str, ProposalVotes]
    abilities: tuple[AbilityView, ...] | None = None  # the abilities' uses left and moment, when they may differ


# The events after which an ability's uses left or its moment can differ: a round opens, pauses, resumes or
# ends, a forlig is adopted, an ability is used, the game ends.
ABILITIES_BY = (RoundStarted, RoundEnded, RoundPaused, RoundResumed, ProposalAdopted, AbilityUsed, RealityChecked)


def ability_views(state: State) -> tuple[AbilityView, ...]:
    """Every ability in the deck as the table sees it now (engine.abilities.offers)."""
    return tuple(
        AbilityView(
            id=offer.ability.id,
            effect=offer.ability.effect,
            uses_left=offer.uses_left,
            now=offer.now,
        )
        for offer in offers(state)
    )


# The events after which the voting figures can differ from before. Votes and resolutions touch one
# proposal (a round's end, those it closes); seats and roles change who votes, so every tally's total (a
# join only in byråd mode, where a member votes without a role).
DERIVED_BY = (
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    RolesDealt,
    PartyAssigned,
    ProposalMade,
    VoteCast,
    ProposalAdopted,
    ProposalRejected,
    RoundEnded,
)


def _proposal_votes(state: State, proposal: Proposal, weights: dict[str, int]) -> ProposalVotes:
    for_weight, against, abstain, total, _ = tally(state, proposal, weights)
    return ProposalVotes(
        tally=TallyView(
            for_=for_weight, against=against, abstain=abstain, total=total, outside=outside(state, proposal, weights)
        ),
        missing=still_to_vote(proposal, weights),
    )


def voting(state: State) -> Derived:
    """All the voting figures: who may vote and with what weight, each proposal's tally and who is still to
    vote on it (a player without a vote never is)."""
    weights = voters(state)
    return Derived(
        voters=weights, proposals={key: _proposal_votes(state, p, weights) for key, p in state.proposals.items()}
    )


def derived(state: State, event: Event) -> Derived | None:
    """What `event` changed in the voting figures (`state` is the state right after it); None for an event
    that changes none of them (only events in DERIVED_BY can)."""
    abilities = ability_views(state) if isinstance(event, ABILITIES_BY) else None
    byraad = state.config is not None and state.config.byraad is not None
    if not isinstance(event, DERIVED_BY) or (isinstance(event, PlayerJoined) and not byraad):
        return Derived(voters=None, proposals={}, abilities=abilities) if abilities is not None else None
    if isinstance(event, PlayerJoined | PlayerLeft | PlayerRemoved | RolesDealt | PartyAssigned):
        return voting(state)
    if isinstance(event, RoundEnded):
        touched = [p for p in state.proposals.values() if p.round == event.round and p.status == "closed"]
        if not touched:
            return Derived(voters=None, proposals={}, abilities=abilities)  # nothing was left open
    else:
        touched = [state.proposals[event.proposal_id]]
    weights = voters(state)
    return Derived(
        voters=None, proposals={p.id: _proposal_votes(state, p, weights) for p in touched}, abilities=abilities
    )


def meter(state: State, cards: tuple[str, ...], *, explained: bool = False) -> MeterView:
    """The live meter for any portfolio under the events drawn so far (cards must be valid). `explained`
    adds the live why (engine.explain.explain: a search over single changes, a few tenths of a second the
    first time, then cached), as POST /api/tables/{id}/meter sends it; the snapshot's meter leaves it out."""
    assert state.config is not None
    deck = state.deck
    assessment: Assessment = assess_table(state, cards)
    a, b, c, d = (year_reached(value) for value in assessment.result)
    chance = _forecast(state, assessment)
    return MeterView(
        cards=cards,
        target=assessment.target,
        event_effect=assessment.event_effect,
        forlig_effect=assessment.forlig_effect,
        result=assessment.result,
        wish_funding=assessment.wish_funding,
        capital_spent=assessment.capital_spent,
        service=assessment.service,
        fte=assessment.fte,
        warnings=tuple(WarningView(code=w.code, year=w.year, kind=w.kind, amount=w.amount) for w in assessment.warnings)
        + _kind_share_warnings(state, assessment)
        + tuple(
            WarningView(code="budget.card_pair", year=None, kind=None, amount=None, cards=pair.cards, note=pair.text)
            for pair in card_pairs(state.deck, cards)
        ),
        reached=(a, b, c, d),
        all_reached=a and b and c and d,
        expected=chance.expected,
        reach_probability=chance.probability,
        levers=assessment.levers,
        lever_amounts=tuple((assessment.lever_amounts or {})[lever_id] for lever_id in assessment.levers),
        service_reductions=assessment.service_reductions,
        service_improvements=assessment.service_improvements,
        service_by_area=tuple(
            ServiceAreaView(area=change.area, reductions=change.reductions, improvements=change.improvements)
            for change in assessment.service_by_area
        ),
        why=explain(
            deck,
            cards,
            assessment.adjustments.in_force(state.event_cards),
            state.config.target,
            state.config.rules,
            assessment.adjustments,
        )
        if explained
        else None,
    )


def _kind_share_warnings(state: State, assessment: Assessment) -> tuple[WarningView, ...]:
    """Rules 2: budget.kind_share for each kind below its share of year 4's gains (amount: what it lacks)."""
    assert state.config is not None
    if state.config.rules < 2 or not assessment.cards:
        return ()
    return tuple(
        WarningView(code="budget.kind_share", year=None, kind=kind, amount=lacking)
        for kind, lacking in kind_share_shortfalls(state.deck, assessment).items()
    )


# The meter's Monte Carlo: fewer draws than the debrief's (±1 percentage point is enough while
# negotiating), cached by everything it depends on, so an unchanged proposal costs nothing to redraw.
METER_DRAWS = 1_000
_FORECASTS: dict[tuple[object, ...], Forecast] = {}
_FORECASTS_KEPT = 4_096


def _forecast(state: State, assessment: Assessment) -> Forecast:
    assert state.config is not None
    key = (
        state.deck.digest,
        state.config.seed,
        state.config.rules,
        assessment.cards,
        assessment.levers,
        state.event_cards,
        assessment.target,
        assessment.adjustments,
    )
    found = _FORECASTS.get(key)
    if found is None:
        if len(_FORECASTS) >= _FORECASTS_KEPT:
            _FORECASTS.clear()
        found = forecast(state.deck, assessment, draws=METER_DRAWS, seed=state.config.seed, rules=state.config.rules)
        _FORECASTS[key] = found
    return found


def _role_visible(state: State, viewer: Viewer, player_id: str) -> bool:
    """Rules 3 (issue 13): roles are public at the table, as in a byråd (the hjertesager stay secret). Before,
    a deck with `secret_roles` showed each player only their own role, and an old log replays so."""
    if viewer.kind == "facilitator" or not state.deck.scenario.secret_roles:
        return True
    if state.config is not None and state.config.rules >= 3:
        return True
    return viewer.kind == "player" and viewer.player_id == player_id


def _name(state: State, viewer: Viewer, player_id: str) -> str:
    player = state.players[player_id]
    if viewer.kind != "projector":
        return player.name
    return f"Spiller {player.number} (bot)" if player.bot else f"Spiller {player.number}"


def view(state: State, viewer: Viewer) -> TableView:
    """The table as this viewer may see it: what a snapshot sends.

    >>> from datetime import UTC, datetime
    >>> from engine.deck import DEFAULT_DECK_PATH, load_deck
    >>> from engine.model import GameCreated, PlayerJoined
    >>> from engine.rules import fold
    >>> at = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    >>> deck = load_deck(DEFAULT_DECK_PATH)
    >>> created = GameCreated(at=at, table_name="Bord 1", deck_id=deck.scenario.id, deck_digest=deck.digest,
    ...     seed=7, target=(1.0, 1.0, 1.0, 1.0), rule="majority", rounds=3, round_seconds=None)
    >>> state = fold(deck, [created, PlayerJoined(at=at, player_id="p1", name="Anna")])
    >>> [(p.name, p.seated) for p in view(state, PROJECTOR_VIEWER).players]
    [('Spiller 1', True)]
    >>> seen = view(state, Viewer("player", "p1"))
    >>> seen.you, seen.voters, seen.you_may_vote  # no role dealt yet, so no vote
    ('p1', {}, False)
    """
    config = state.config
    round_ = state.current_round
    players = tuple(
        PlayerView(
            id=p.id,
            name=_name(state, viewer, p.id),
            number=p.number,
            seated=p.seated,
            role=p.role if _role_visible(state, viewer, p.id) else None,
            bot=p.bot,
            party=p.party,
        )
        for p in state.players.values()
    )
    chat: tuple[ChatLineView, ...] = ()
    if state.chat is not None:
        # The projector shows the facilitator's announcements, never the players' chat. Hidden lines are left
        # out for everyone: the facilitator hid them (the events API still has them).
        hidden = state.hidden_chat
        chat = tuple(
            ChatLineView(seq=line.seq, player_id=line.player_id, text=line.text, mentions=line.mentions, at=line.at)
            for line in state.chat.recent(CHAT_IN_SNAPSHOT)
            if (viewer.kind != "projector" or line.player_id is None) and line.seq not in hidden
        )
    figures = voting(state)
    weights = figures.voters or {}  # voting() always says who votes
    proposals = []
    for proposal in state.proposals.values():
        votes = figures.proposals[proposal.id]
        proposals.append(
            ProposalView(
                id=proposal.id,
                round=proposal.round,
                player_id=proposal.player_id,
                cards=proposal.cards,
                amends=proposal.amends,
                status=proposal.status,
                votes=dict(proposal.votes),
                tally=votes.tally,
                missing=votes.missing,
                at=proposal.at,
            )
        )
    forlig = state.forlig
    you = viewer.player_id if viewer.kind == "player" else None
    your_player = state.players.get(you) if you else None
    return TableView(
        viewer=viewer.kind,
        you=you,
        your_role=your_player.role if your_player else None,
        seq=state.seq,
        table_name=config.table_name if config else None,
        deck_id=state.deck.scenario.id,
        phase=state.phase,
        rule=config.rule if config else None,
        rounds_total=config.rounds if config else None,
        target=config.target if config else None,
        round=RoundView(
            number=round_.number,
            event_card=round_.event_card,
            started_at=round_.started_at,
            deadline=round_.deadline,
            ended_at=round_.ended_at,
            adopted=round_.adopted,
            paused=round_.paused,
            remaining=round_.remaining,
        )
        if round_
        else None,
        event_cards=state.event_cards,
        players=players,
        chat=chat,
        proposals=tuple(proposals),
        forlig=ForligView(
            proposal_id=forlig.proposal_id,
            round=forlig.round,
            cards=forlig.cards,
            share_for=forlig.share_for,
            forced=forlig.forced,
        )
        if forlig
        else None,
        meter=meter(state, forlig.cards) if forlig else None,
        rolls=dict(state.rolls) if state.rolls is not None else None,
        voters=weights,
        you_may_vote=viewer.kind == "player" and viewer.player_id in weights,
        your_hjertesager=tuple(sag.text for sag in state.deck.role(your_player.role).hjertesager)
        if your_player is not None and your_player.role is not None
        else (),
        abilities=ability_views(state),
        ability_uses=tuple(
            AbilityUseView(
                seq=use.seq,
                player_id=use.player_id,
                role=use.role,
                ability=use.ability,
                effect=use.effect,
                round=use.round,
                card=use.card,
                event=use.event,
                moved=use.moved,
                at=use.at,
            )
            for use in state.abilities_used
        ),
        byraad=config.byraad if config else None,
    )


def seen_per_player(event: Event) -> bool:
    """Whether `event_for` and `snapshot_after` may differ between two viewers of the same kind: only for a
    dealing of roles (each player sees its own, and a snapshot after it). For every other event they depend on
    the viewer's kind alone, so a fan-out asks once per kind (server/live/tables.py)."""
    return isinstance(event, RolesDealt)


def snapshot_after(event: Event, viewer: Viewer) -> bool:
    """Whether the server sends this viewer a fresh snapshot after `event` (live, or instead of replaying it):
    the player's own role was just dealt, and its hjertesager come only in its view (`your_hjertesager`), never
    in an event or in the deck served to browsers."""
    return viewer.kind == "player" and isinstance(event, RolesDealt) and viewer.player_id in event.assignments


def event_for(state: State, event: Event, viewer: Viewer, seq: int | None = None) -> Event:
    """The event as this viewer may see it. `state` is the state after the event, or later when `seq` (the
    event's own seq) is given: a chat line hidden since then is sent without its text."""
    if viewer.kind == "facilitator":
        return event
    hidden = state.hidden_chat
    if hidden and isinstance(event, MessagePosted | AnnouncementMade) and (seq or state.seq) in hidden:
        blank: dict[str, object] = {"text": "", "mentions": ()} if isinstance(event, MessagePosted) else {"text": ""}
        return event.model_copy(update=blank)
    if isinstance(event, GameCreated):
        return event.model_copy(update={"seed": 0})
    if isinstance(event, SeatHandedOver):
        return event.model_copy(update={"device": ""})
    if isinstance(event, RolesDealt):
        visible = {pid: role for pid, role in event.assignments.items() if _role_visible(state, viewer, pid)}
        return event if len(visible) == len(event.assignments) else event.model_copy(update={"assignments": visible})
    if isinstance(event, PlayerJoined) and event.bot_seed is not None:
        event = event.model_copy(update={"bot_seed": None})  # the bot's seed is the facilitator's to see
    if viewer.kind == "projector":
        if isinstance(event, PlayerJoined):
            return event.model_copy(update={"name": _name(state, viewer, event.player_id)})
        if isinstance(event, MessagePosted):
            return event.model_copy(update={"text": ""})
    return event
