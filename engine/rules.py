"""The rules: `decide` turns a command into events or a RuleViolation; `evolve` applies one event.

`decide` never changes state and `evolve` never refuses: every check lives in `decide`, so replaying a
log can never fail on an event that was once accepted.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, replace
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from engine.abilities import ability_used, adjustments, decide_use, events_in_force
from engine.budget import RULES_VERSION, balance, target_years, validate_portfolio
from engine.deck import AdoptionRule, Deck
from engine.errors import RuleCode, RuleViolation
from engine.model import (
    MAX_CHAT,
    MAX_NAME,
    AbilityUsed,
    Actor,
    Announce,
    AnnouncementMade,
    AssignParty,
    AssignRole,
    Byraad,
    CallVote,
    CastVote,
    Chat,
    ChatLine,
    Command,
    Config,
    CreateGame,
    DeadlineSet,
    DebriefShown,
    EndGame,
    EndRound,
    Event,
    ExtendDeadline,
    ForceAdopt,
    Forlig,
    GameCreated,
    HandOverSeat,
    HideMessage,
    Join,
    Leave,
    MessageHidden,
    MessagePosted,
    PartyAssigned,
    Pause,
    Player,
    PlayerJoined,
    PlayerLeft,
    PlayerRemoved,
    PostMessage,
    Proposal,
    ProposalAdopted,
    ProposalMade,
    ProposalRejected,
    Propose,
    RealityChecked,
    RemovePlayer,
    Resume,
    RolesDealt,
    Round,
    RoundEnded,
    RoundPaused,
    RoundResumed,
    RoundStarted,
    RuleChanged,
    SeatHandedOver,
    SetDeadline,
    SetRule,
    ShowDebrief,
    StartRound,
    State,
    UseAbility,
    VoteCast,
)
from engine.text import clean_name, is_blank, name_key

MENTION = re.compile(r"#([A-ZÆØÅ]{2}-[A-Z0-9]+)")
ENDED = ("reality_check", "debrief")  # the phases after end_game


def initial_state(deck: Deck) -> State:
    return State(deck=deck)


def fold(deck: Deck, events: Iterable[Event], state: State | None = None) -> State:
    state = state if state is not None else initial_state(deck)
    for event in events:
        state = evolve(state, event)
    return state


def seeded(state: State, purpose: str) -> random.Random:
    """A draw that depends only on the game's seed, what it is for and where in the log it happens."""
    assert state.config is not None
    return random.Random(f"{state.config.seed}:{purpose}:{state.seq}")


# ---- Voting ----------------------------------------------------------------------------------------


def vote_weight(state: State, player_id: str) -> int:
    """A seated player's vote weight: their role's, when the role votes; 0 for everyone else."""
    return voters(state).get(player_id, 0)


def voters(state: State) -> dict[str, int]:
    """Who may vote now: the seated players whose role has a vote, in seat order, with their weight.

    Byråd mode: every seated member has one vote (one mandate), whatever their role, unless their role has
    none (an official's); with parties, only a member in a party votes."""
    byraad = state.config.byraad if state.config is not None else None
    if byraad is not None:
        silent = {role.id for role in state.deck.roles if not role.votes}
        need_party = bool(byraad.parties)
        return {
            p.id: 1
            for p in state.players.values()
            if p.seated and p.role not in silent and (p.party is not None or not need_party)
        }
    weight = {role.id: role.weight if role.votes else 0 for role in state.deck.roles}  # each role looked up once
    return {p.id: weight[p.role] for p in state.players.values() if p.seated and p.role and weight[p.role] > 0}


def vote_total(state: State, weights: dict[str, int]) -> int:
    """What the thresholds are counted against: the seated voters' weight; in byråd mode with parties, every
    mandate of the byråd (a member who is not there is not for a proposal)."""
    byraad = state.config.byraad if state.config is not None else None
    if byraad is not None and byraad.parties:
        return byraad.mandates
    return sum(weights.values())


def tally(state: State, proposal: Proposal, weights: dict[str, int] | None = None) -> tuple[int, int, int, int, bool]:
    """(for, against, abstain, total) vote weight among seated voters, and whether all of them have voted.
    `weights` is `voters(state)` when the caller has it already. Udenfor forliget ("outside") is in none of
    the three (see `outside`), but the member has voted."""
    weights = voters(state) if weights is None else weights
    sums = {"for": 0, "against": 0, "abstain": 0, "outside": 0}
    for player_id, choice in proposal.votes.items():
        if player_id in weights:
            sums[choice] += weights[player_id]
    total = vote_total(state, weights)
    return sums["for"], sums["against"], sums["abstain"], total, weights.keys() <= proposal.votes.keys()


def outside(state: State, proposal: Proposal, weights: dict[str, int] | None = None) -> int:
    """The vote weight of the seated voters who declared themselves udenfor forliget on the proposal."""
    weights = voters(state) if weights is None else weights
    return sum(weights[pid] for pid, choice in proposal.votes.items() if choice == "outside" and pid in weights)


def still_to_vote(proposal: Proposal, weights: dict[str, int]) -> tuple[str, ...]:
    """The voters (`voters(state)`) who have not voted on an open proposal; nobody once it is resolved."""
    if proposal.status != "open":
        return ()
    return tuple(player_id for player_id in weights if player_id not in proposal.votes)


def outcome(rule: AdoptionRule, state: State, proposal: Proposal, called: bool = False) -> str | None:
    """'adopted', 'rejected' or None while undecided. Votes may change until the proposal is resolved.

    Rules 1-2 adopt the moment the threshold is crossed. Rules 3 decide only when every voter has voted or
    the vote is `called` (mayor, facilitator, deadline); under broad and majority at least two voting
    players must be for it, so no one adopts a forlig alone."""
    weights = voters(state)
    for_weight, against, _, total, everyone_voted = tally(state, proposal, weights)
    if total == 0 or not weights:  # nobody present may vote (a byråd's mandates are counted even so)
        return None
    rules = state.config.rules if state.config is not None else 1
    if rules >= 3 and not (everyone_voted or called):
        return None
    if rule == "consensus":
        adopted = everyone_voted and against == 0 and for_weight > 0
    elif rule == "broad":
        adopted = 3 * for_weight >= 2 * total
    else:
        adopted = 2 * for_weight > total
    if rules >= 3 and rule != "consensus":
        adopted = adopted and sum(1 for pid, c in proposal.votes.items() if c == "for" and pid in weights) >= 2
    if adopted:
        return "adopted"
    return "rejected" if everyone_voted or (rules >= 3 and called) else None


# ---- decide ----------------------------------------------------------------------------------------


def _require_facilitator(actor: Actor) -> None:
    if actor.kind == "player":
        raise RuleViolation("actor.not_facilitator")


def _require_seated(state: State, actor: Actor) -> str:
    if actor.kind != "player" or actor.player_id is None:
        raise RuleViolation("actor.not_player")
    if not state.is_seated(actor.player_id):
        raise RuleViolation("seat.not_seated")
    return actor.player_id


def _require_open_round(state: State) -> Round:
    round_ = state.current_round
    if state.phase != "round" or round_ is None:
        raise RuleViolation("round.not_open")
    return round_


def _require_running_round(state: State) -> Round:
    """An open round that is not paused: proposals and votes wait while the facilitator pauses it."""
    round_ = _require_open_round(state)
    if round_.paused:
        raise RuleViolation("round.paused")
    return round_


def _chat_line(state: State, seq: int) -> ChatLine | None:
    return state.chat.line(seq) if state.chat is not None else None


def _clean_text(text: str, violation_empty: RuleCode) -> str:
    text = text.strip()
    if is_blank(text):  # also "", and a line of only zero-width or blank characters
        raise RuleViolation(violation_empty)
    if len(text) > MAX_CHAT:
        raise RuleViolation("chat.too_long", max=MAX_CHAT)
    return text


def _deal(state: State, player_ids: Sequence[str]) -> dict[str, str]:
    """Free roles, at random, to those of `player_ids` who have none (the facilitator may have assigned some);
    none at a byråd table where everyone plays as themselves."""
    assert state.config is not None
    if state.config.byraad is not None and state.config.byraad.roles == "themselves":
        return {}
    player_ids = [pid for pid in player_ids if pid not in state.players or state.players[pid].role is None]
    taken = {player.role for player in state.seated() if player.role is not None}
    free = [role for role in state.deck.roles if role.id not in taken]
    rng = seeded(state, "roles")
    required = [role.id for role in free if role.required]
    others = [role.id for role in free if not role.required]
    rng.shuffle(others)
    order = list(player_ids)
    rng.shuffle(order)
    return dict(zip(order, required + others, strict=False))


def _closing_events(state: State, proposal_id: str, share_for: float, forced: bool, command: Command) -> list[Event]:
    """A forlig. Under rules 3 the round goes on (a later forlig replaces it); before, it ended the round."""
    round_ = state.current_round
    assert round_ is not None
    assert state.config is not None
    adopted = ProposalAdopted(at=command.at, proposal_id=proposal_id, share_for=share_for, forced=forced)
    if state.config.rules >= 3:
        return [adopted]
    return [adopted, RoundEnded(at=command.at, round=round_.number, reason="adopted")]


def _share_for(state: State, proposal: Proposal) -> float:
    """The share of all seated voters' weight that is for the proposal (a voter who did not vote is not)."""
    for_weight, _, _, total, _ = tally(state, proposal)
    return round(for_weight / total, 4) if total else 0.0


def _resolve_open(state: State, command: Command, only: str | None = None, called: bool = False) -> list[Event]:
    """Adopt or reject open proposals of the round whose vote is now decided (rules 1-2: at most one is
    adopted, and that ends the round; rules 3: each is decided in turn, a later forlig replacing an earlier)."""
    assert state.config is not None
    events: list[Event] = []
    for proposal in list(state.proposals.values()):
        if proposal.status != "open" or (only is not None and proposal.id != only):
            continue
        result = outcome(state.config.rule, state, proposal, called)
        if result == "adopted":
            closing = _closing_events(state, proposal.id, _share_for(state, proposal), False, command)
            if state.config.rules < 3:
                return [*events, *closing]
            events += closing
            state = fold(state.deck, closing, state)
        elif result == "rejected":
            rejected = ProposalRejected(at=command.at, proposal_id=proposal.id)
            events.append(rejected)
            state = evolve(state, rejected)
    return events


# One function per command. Each checks its own rules (in the order a violation is reported) and
# returns the events; `decide` dispatches and checks what all of them share.


def _create_game(state: State, command: CreateGame, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if state.config is not None:
        raise RuleViolation("game.already_created")
    scenario = state.deck.scenario
    return [
        GameCreated(
            at=command.at,
            table_name=command.table_name,
            deck_id=scenario.id,
            deck_digest=state.deck.digest,
            seed=command.seed,
            target=target_years(scenario, command.target, RULES_VERSION),
            rule=command.rule or scenario.default_rule,
            rounds=command.rounds or scenario.default_rounds,
            round_seconds=command.round_seconds,
            rules=RULES_VERSION,
            byraad=_byraad(state, command),
        )
    ]


def table_byraad(deck: Deck, byraad: Byraad | None) -> Byraad | None:
    """Byråd mode as a table plays it: the deck's parties when the command (the conference) names none."""
    if byraad is not None and not byraad.parties and deck.parties:
        return byraad.model_copy(update={"parties": deck.parties})
    return byraad


def _byraad(state: State, command: CreateGame) -> Byraad | None:
    byraad = table_byraad(state.deck, command.byraad)
    if byraad is None:
        return None
    if byraad.seat_count < byraad.mandates:
        raise RuleViolation("game.seats_below_mandates", seats=byraad.seat_count, mandates=byraad.mandates)
    return byraad


def _post_message(state: State, command: PostMessage, actor: Actor) -> list[Event]:
    player_id = _require_seated(state, actor)
    text = _clean_text(command.text, "chat.empty")
    mentions = tuple(dict.fromkeys(m for m in MENTION.findall(text) if state.deck.has_card(m)))
    return [MessagePosted(at=command.at, player_id=player_id, text=text, mentions=mentions)]


def _announce(state: State, command: Announce, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    return [AnnouncementMade(at=command.at, text=_clean_text(command.text, "chat.empty"))]


def _hide_message(state: State, command: HideMessage, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if command.seq in state.hidden_chat:
        return []  # hidden already: nothing new to record
    if _chat_line(state, command.seq) is None:
        raise RuleViolation("chat.unknown_message", seq=command.seq)
    return [MessageHidden(at=command.at, seq=command.seq)]


def _remove_player(state: State, command: RemovePlayer, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if not state.is_seated(command.player_id):
        raise RuleViolation("player.not_seated", player=command.player_id)
    removed: list[Event] = [PlayerRemoved(at=command.at, player_id=command.player_id, moved_to=command.moved_to)]
    if state.phase == "round":
        removed += _resolve_open(evolve(state, removed[0]), command)
    return removed


def _hand_over_seat(state: State, command: HandOverSeat, actor: Actor) -> list[Event]:
    """The server (after checking the seat code) or the facilitator moves a seat to another device."""
    _require_facilitator(actor)
    if not state.is_seated(command.player_id):
        raise RuleViolation("player.not_seated", player=command.player_id)
    return [SeatHandedOver(at=command.at, player_id=command.player_id, device=command.device)]


def _join(state: State, command: Join, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if state.phase in ENDED:
        raise RuleViolation("game.ended")
    name = clean_name(command.name)
    if is_blank(name) or len(name) > MAX_NAME:
        raise RuleViolation("seat.name_invalid")
    if state.is_seated(command.player_id):
        raise RuleViolation("seat.already_seated")
    # One name per person at a table, ignoring case and spaces: "Dina" and " dina " are one seat.
    taken = next((p for p in state.seated() if name_key(p.name) == name_key(name)), None)
    if taken is not None:
        raise RuleViolation("seat.name_taken", name=taken.name)
    seats = seat_count(state)
    if sum(1 for _ in state.seated()) >= seats:
        raise RuleViolation("seat.table_full", max=seats)
    if command.party is not None:
        _check_party(state, command.party)
    bot_seed = (command.bot_seed or 0) if command.bot else None
    joined: list[Event] = [
        PlayerJoined(
            at=command.at,
            player_id=command.player_id,
            name=name,
            bot=command.bot,
            bot_seed=bot_seed,
            party=command.party,
        )
    ]
    if state.phase != "lobby":
        # A late arrival gets one of the roles nobody holds.
        dealt = _deal(state, [command.player_id])
        if dealt:
            joined.append(RolesDealt(at=command.at, assignments=dealt))
    return joined


def seat_count(state: State) -> int:
    """The seats at the table: the deck's max_players; in byråd mode up to 31 (the table's own)."""
    byraad = state.config.byraad if state.config is not None else None
    return byraad.seat_count if byraad is not None else state.deck.scenario.max_players


def party_seats(state: State) -> dict[str, int]:
    """Byråd mode: how many of each party's mandates seated members hold (every party, 0 for none)."""
    byraad = state.config.byraad if state.config is not None else None
    taken = {party.id: 0 for party in byraad.parties} if byraad is not None else {}
    for player in state.seated():
        if player.party in taken:
            taken[player.party] += 1
    return taken


def _check_party(state: State, party_id: str, moving: str | None = None) -> None:
    """A member may join `party_id`: the table is in byråd mode with that party, and a mandate is free
    (`moving`: the member who is moving to it, who holds none of its mandates yet)."""
    byraad = state.config.byraad if state.config is not None else None
    if byraad is None or not byraad.parties:
        raise RuleViolation("party.no_parties")
    party = byraad.party(party_id)
    if party is None:
        raise RuleViolation("party.unknown", party=party_id)
    members = party_seats(state)[party_id] - (1 if moving and state.players[moving].party == party_id else 0)
    if members >= party.mandates:
        raise RuleViolation("party.full", party=party.name.da, mandates=party.mandates)


def _assign_party(state: State, command: AssignParty, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if not state.is_seated(command.player_id):
        raise RuleViolation("player.not_seated", player=command.player_id)
    if state.players[command.player_id].party == command.party:
        return []
    _check_party(state, command.party, moving=command.player_id)
    # A party only ever gives a vote (never takes one), so no open vote can be decided by it.
    return [PartyAssigned(at=command.at, player_id=command.player_id, party=command.party)]


def _assign_role(state: State, command: AssignRole, actor: Actor) -> list[Event]:
    """A role by hand. Another seated player's role is refused: take it from them first by giving them
    another."""
    _require_facilitator(actor)
    assert state.config is not None
    if state.config.byraad is not None and state.config.byraad.roles == "themselves":
        raise RuleViolation("role.themselves")
    if not state.is_seated(command.player_id):
        raise RuleViolation("player.not_seated", player=command.player_id)
    if command.role not in {role.id for role in state.deck.roles}:
        raise RuleViolation("role.unknown", role=command.role)
    holder = next((p for p in state.seated() if p.role == command.role), None)
    if holder is not None:
        if holder.id == command.player_id:
            return []
        raise RuleViolation("role.taken", role=command.role, name=holder.name)
    assigned: list[Event] = [RolesDealt(at=command.at, assignments={command.player_id: command.role})]
    if state.phase == "round":
        assigned += _resolve_open(evolve(state, assigned[0]), command)
    return assigned


def _leave(state: State, command: Leave, actor: Actor) -> list[Event]:
    player_id = _require_seated(state, actor)
    left: list[Event] = [PlayerLeft(at=command.at, player_id=player_id)]
    if state.phase == "round":
        left += _resolve_open(evolve(state, left[0]), command)
    return left


def _start_round(state: State, command: StartRound, actor: Actor) -> list[Event]:
    assert state.config is not None
    _require_facilitator(actor)
    if state.phase == "round":
        raise RuleViolation("round.still_open")
    seated = [player.id for player in state.seated()]
    deadline = command.at + timedelta(seconds=state.config.round_seconds) if state.config.round_seconds else None
    if state.phase == "lobby":
        minimum = state.deck.scenario.min_players
        if len(seated) < minimum:
            raise RuleViolation("game.too_few_players", min=minimum, count=len(seated))
        dealt = _deal(state, seated)
        started = RoundStarted(at=command.at, round=1, event_card=None, deadline=deadline)
        return [RolesDealt(at=command.at, assignments=dealt), started] if dealt else [started]
    if len(state.rounds) >= state.config.rounds:
        raise RuleViolation("game.no_rounds_left", rounds=state.config.rounds)
    drawn = set(state.event_cards)
    remaining = [event.id for event in state.deck.events if event.id not in drawn]
    card = seeded(state, "event").choice(remaining) if remaining else None
    return [RoundStarted(at=command.at, round=len(state.rounds) + 1, event_card=card, deadline=deadline)]


def _propose(state: State, command: Propose, actor: Actor) -> list[Event]:
    player_id = _require_seated(state, actor)
    round_ = _require_running_round(state)
    validate_portfolio(state.deck, command.cards, events_in_force(state), adjustments(state))
    if command.amends is not None and command.amends not in state.proposals:
        raise RuleViolation("proposal.unknown", proposal=command.amends)
    return [
        ProposalMade(
            at=command.at,
            proposal_id=f"F{len(state.proposals) + 1}",
            player_id=player_id,
            round=round_.number,
            cards=command.cards,
            amends=command.amends,
        )
    ]


def _cast_vote(state: State, command: CastVote, actor: Actor) -> list[Event]:
    player_id = _require_seated(state, actor)
    _require_running_round(state)
    proposal = _open_proposal(state, command.proposal_id)
    if vote_weight(state, player_id) == 0:
        raise RuleViolation("vote.no_vote")
    if command.choice == "outside" and (state.config is None or state.config.byraad is None):
        raise RuleViolation("vote.outside_byraad_only")
    if proposal.votes.get(player_id) == command.choice:
        return []  # the same vote again changes nothing, so it records nothing
    vote = VoteCast(at=command.at, proposal_id=proposal.id, player_id=player_id, choice=command.choice)
    return [vote, *_resolve_open(evolve(state, vote), command, only=proposal.id)]


def _call_vote(state: State, command: CallVote, actor: Actor) -> list[Event]:
    """Decide one open proposal on the votes cast so far: the mayor's (a role that calls votes) or the
    facilitator's call."""
    if actor.kind == "player":
        player_id = _require_seated(state, actor)
        role = state.players[player_id].role
        if role is None or not state.deck.role(role).calls_votes:
            raise RuleViolation("vote.not_mayor")
    _require_running_round(state)
    proposal = _open_proposal(state, command.proposal_id)
    return _resolve_open(state, command, only=proposal.id, called=True)


def _end_round(state: State, command: EndRound, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    round_ = _require_open_round(state)
    assert state.config is not None
    if actor.kind == "system":
        if round_.deadline is None:
            raise RuleViolation("round.no_deadline")
        if command.at < round_.deadline:
            raise RuleViolation("round.deadline_not_reached")
        # Rules 3: the deadline calls every open vote before the round ends.
        called = _resolve_open(state, command, called=True) if state.config.rules >= 3 else []
        return [*called, RoundEnded(at=command.at, round=round_.number, reason="deadline")]
    return [RoundEnded(at=command.at, round=round_.number, reason="facilitator")]


def _force_adopt(state: State, command: ForceAdopt, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    _require_open_round(state)
    proposal = _open_proposal(state, command.proposal_id)
    return _closing_events(state, proposal.id, _share_for(state, proposal), True, command)


def _set_rule(state: State, command: SetRule, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    changed = RuleChanged(at=command.at, rule=command.rule)
    after = evolve(state, changed)
    return [changed, *(_resolve_open(after, command) if state.phase == "round" else [])]


def _set_deadline(state: State, command: SetDeadline, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    _require_open_round(state)
    return [DeadlineSet(at=command.at, deadline=command.at + timedelta(seconds=command.seconds))]


def _extend_deadline(state: State, command: ExtendDeadline, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    round_ = _require_open_round(state)
    if round_.paused:
        base = command.at + timedelta(seconds=round_.remaining or 0.0)
    elif round_.deadline is not None:
        base = max(round_.deadline, command.at)
    else:
        base = command.at
    return [DeadlineSet(at=command.at, deadline=base + timedelta(seconds=command.seconds))]


def _pause(state: State, command: Pause, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    round_ = _require_open_round(state)
    if round_.paused:
        raise RuleViolation("round.paused")
    time_left = max(0.0, (round_.deadline - command.at).total_seconds()) if round_.deadline else None
    return [RoundPaused(at=command.at, round=round_.number, remaining=time_left)]


def _resume(state: State, command: Resume, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    round_ = _require_open_round(state)
    if not round_.paused:
        raise RuleViolation("round.not_paused")
    deadline = command.at + timedelta(seconds=round_.remaining) if round_.remaining is not None else None
    return [RoundResumed(at=command.at, round=round_.number, deadline=deadline)]


def _end_game(state: State, command: EndGame, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if state.phase == "lobby":
        raise RuleViolation("round.not_open")
    closing: list[Event] = []
    if state.phase == "round":
        round_ = _require_open_round(state)
        closing.append(RoundEnded(at=command.at, round=round_.number, reason="facilitator"))
    # Levers are certain: only cards are rolled for.
    cards = sorted(card for card in state.forlig.cards if state.deck.has_card(card)) if state.forlig else []
    rng = seeded(state, "reality")
    rolls = {card: rng.randint(1, 6) for card in cards}
    rules = state.config.rules if state.config is not None else 1
    if rules < 2:
        return [*closing, RealityChecked(at=command.at, rolls=rolls)]
    # Rules 2: one correlated draw, "træthed i organisationen", for every effektivisering at once.
    fatigue = rng.random() < balance(state.deck.scenario).fatigue_probability
    return [*closing, RealityChecked(at=command.at, rolls=rolls, fatigue=fatigue)]


def _use_ability(state: State, command: UseAbility, actor: Actor) -> list[Event]:
    player_id = _require_seated(state, actor)
    return decide_use(state, command, player_id)


def _show_debrief(state: State, command: ShowDebrief, actor: Actor) -> list[Event]:
    _require_facilitator(actor)
    if state.phase != "reality_check":
        raise RuleViolation("game.not_in_reality_check")
    return [DebriefShown(at=command.at)]


Decision = Callable[[State, Any, Actor], list[Event]]
# Command type -> its rules. Every command in engine.model.Command has one (a test checks).
DECISIONS: dict[type[BaseModel], Decision] = {
    CreateGame: _create_game,
    PostMessage: _post_message,
    Announce: _announce,
    HideMessage: _hide_message,
    RemovePlayer: _remove_player,
    Join: _join,
    Leave: _leave,
    StartRound: _start_round,
    Propose: _propose,
    CastVote: _cast_vote,
    CallVote: _call_vote,
    EndRound: _end_round,
    ForceAdopt: _force_adopt,
    SetRule: _set_rule,
    SetDeadline: _set_deadline,
    ExtendDeadline: _extend_deadline,
    Pause: _pause,
    Resume: _resume,
    EndGame: _end_game,
    ShowDebrief: _show_debrief,
    HandOverSeat: _hand_over_seat,
    UseAbility: _use_ability,
    AssignRole: _assign_role,
    AssignParty: _assign_party,
}
# What may still happen once the game has ended: the chat, the seats (Join refuses on its own, after
# checking the actor) and the debrief.
AFTER_THE_END: frozenset[type[BaseModel]] = frozenset(
    {PostMessage, Announce, HideMessage, RemovePlayer, Join, Leave, ShowDebrief, HandOverSeat}
)


def decide(state: State, command: Command, actor: Actor) -> list[Event]:
    """The events a command causes, or a RuleViolation. The state is not changed.

    >>> from datetime import UTC, datetime
    >>> from engine.deck import DEFAULT_DECK_PATH, load_deck
    >>> from engine.model import FACILITATOR, CreateGame, Join
    >>> state = initial_state(load_deck(DEFAULT_DECK_PATH))
    >>> at = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    >>> [event.type for event in decide(state, CreateGame(at=at, table_name="Bord 1", seed=1), FACILITATOR)]
    ['game_created']
    >>> decide(state, Join(at=at, player_id="p1", name="Anna"), FACILITATOR)
    Traceback (most recent call last):
    ...
    engine.errors.RuleViolation: game.not_created: The game has not been created yet.
    """
    if not isinstance(command, CreateGame):
        if state.config is None:
            raise RuleViolation("game.not_created")
        if state.phase in ENDED and type(command) not in AFTER_THE_END:
            raise RuleViolation("game.ended")
    return DECISIONS[type(command)](state, command, actor)


def _open_proposal(state: State, proposal_id: str) -> Proposal:
    proposal = state.proposals.get(proposal_id)
    if proposal is None:
        raise RuleViolation("proposal.unknown", proposal=proposal_id)
    if proposal.status != "open":
        raise RuleViolation("proposal.not_open", proposal=proposal_id)
    return proposal


# ---- evolve ----------------------------------------------------------------------------------------


_STATE_FIELDS = tuple(f.name for f in fields(State))


def _next(state: State, **changes: Any) -> State:
    """The state one event later, with `changes`: the fold's hot path, so cheaper than dataclasses.replace."""
    new = object.__new__(State)
    for name in _STATE_FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(state, name))
    object.__setattr__(new, "seq", state.seq + 1)
    return new


def _with_proposal(state: State, proposal: Proposal) -> dict[str, Proposal]:
    return {**state.proposals, proposal.id: proposal}


def _close_round(state: State, event: RoundEnded) -> State:
    round_ = state.current_round
    assert round_ is not None
    proposals = {key: (replace(p, status="closed") if p.status == "open" else p) for key, p in state.proposals.items()}
    adopted = state.forlig.proposal_id if state.forlig and state.forlig.round == round_.number else None
    ended = replace(round_, ended_at=event.at, end_reason=event.reason, adopted=adopted, paused=False, remaining=None)
    return _next(state, phase="round_ended", rounds=(*state.rounds[:-1], ended), proposals=proposals)


def _seat_handed_over(state: State, event: SeatHandedOver) -> State:
    """Nothing of the game changes: the server's table keeps which device holds each seat."""
    return _next(state)


def _unseat(state: State, player_id: str) -> State:
    """A player left or was removed: the seat and the role are free, their votes on open proposals withdrawn."""
    gone = replace(state.players[player_id], seated=False, role=None)
    proposals = {
        key: (
            replace(p, votes={k: v for k, v in p.votes.items() if k != player_id})
            if p.status == "open" and player_id in p.votes
            else p
        )
        for key, p in state.proposals.items()
    }
    return _next(state, players={**state.players, gone.id: gone}, proposals=proposals)


def _message_posted(state: State, event: MessagePosted) -> State:
    line = ChatLine(state.seq + 1, event.player_id, event.text, event.mentions, event.at)
    return _next(state, chat=Chat.append(state.chat, line))


def _announcement_made(state: State, event: AnnouncementMade) -> State:
    line = ChatLine(state.seq + 1, None, event.text, (), event.at)
    return _next(state, chat=Chat.append(state.chat, line))


def _game_created(state: State, event: GameCreated) -> State:
    config = Config(
        table_name=event.table_name,
        deck_digest=event.deck_digest,
        seed=event.seed,
        target=event.target,
        rule=event.rule,
        rounds=event.rounds,
        round_seconds=event.round_seconds,
        rules=event.rules,
        byraad=event.byraad,
    )
    return _next(state, config=config)


def _player_joined(state: State, event: PlayerJoined) -> State:
    player = Player(
        event.player_id, event.name, True, None, len(state.players) + 1, event.bot, event.bot_seed, event.party
    )
    previous = state.players.get(event.player_id)
    if previous is not None:
        player = replace(player, number=previous.number)
    return _next(state, players={**state.players, player.id: player})


def _player_gone(state: State, event: PlayerLeft | PlayerRemoved) -> State:
    return _unseat(state, event.player_id)


def _roles_dealt(state: State, event: RolesDealt) -> State:
    players = dict(state.players)
    for player_id, role_id in event.assignments.items():
        players[player_id] = replace(players[player_id], role=role_id)
    return _next(state, players=players)


def _party_assigned(state: State, event: PartyAssigned) -> State:
    player = replace(state.players[event.player_id], party=event.party)
    return _next(state, players={**state.players, player.id: player})


def _round_started(state: State, event: RoundStarted) -> State:
    round_ = Round(event.round, event.event_card, event.at, event.deadline)
    return _next(state, phase="round", rounds=(*state.rounds, round_))


def _proposal_made(state: State, event: ProposalMade) -> State:
    proposal = Proposal(
        event.proposal_id, event.round, event.player_id, event.cards, event.amends, "open", {}, event.at
    )
    return _next(state, proposals=_with_proposal(state, proposal))


def _vote_cast(state: State, event: VoteCast) -> State:
    proposal = state.proposals[event.proposal_id]
    proposal = replace(proposal, votes={**proposal.votes, event.player_id: event.choice})
    return _next(state, proposals=_with_proposal(state, proposal))


def _proposal_adopted(state: State, event: ProposalAdopted) -> State:
    proposal = replace(state.proposals[event.proposal_id], status="adopted")
    forlig = Forlig(proposal.id, proposal.round, proposal.cards, event.share_for, event.forced, event.at)
    return _next(
        state,
        proposals=_with_proposal(state, proposal),
        forlig=forlig,
        forlig_history=(*state.forlig_history, forlig),
    )


def _proposal_rejected(state: State, event: ProposalRejected) -> State:
    proposal = replace(state.proposals[event.proposal_id], status="rejected")
    return _next(state, proposals=_with_proposal(state, proposal))


def _rule_changed(state: State, event: RuleChanged) -> State:
    assert state.config is not None
    return _next(state, config=replace(state.config, rule=event.rule))


def _with_current_round(state: State, current: Round) -> State:
    return _next(state, rounds=(*state.rounds[:-1], current))


def _deadline_set(state: State, event: DeadlineSet) -> State:
    current = state.current_round
    assert current is not None
    if current.paused:  # the clock stands still: the new deadline is kept as the time left at resume
        current = replace(current, remaining=max(0.0, (event.deadline - event.at).total_seconds()))
    else:
        current = replace(current, deadline=event.deadline)
    return _with_current_round(state, current)


def _round_paused(state: State, event: RoundPaused) -> State:
    current = state.current_round
    assert current is not None
    return _with_current_round(state, replace(current, paused=True, remaining=event.remaining, deadline=None))


def _round_resumed(state: State, event: RoundResumed) -> State:
    current = state.current_round
    assert current is not None
    return _with_current_round(state, replace(current, paused=False, remaining=None, deadline=event.deadline))


def _reality_checked(state: State, event: RealityChecked) -> State:
    return _next(state, phase="reality_check", rolls=dict(event.rolls), fatigue=event.fatigue)


def _debrief_shown(state: State, event: DebriefShown) -> State:
    return _next(state, phase="debrief")


def _message_hidden(state: State, event: MessageHidden) -> State:
    return _next(state, hidden_chat=state.hidden_chat | {event.seq})


def _ability_used(state: State, event: AbilityUsed) -> State:
    return _next(state, **ability_used(state, event))


Evolution = Callable[[State, Any], State]
# One function per event type, as DECISIONS has one per command: a new event type gets its entry here.
EVOLUTIONS: dict[type[BaseModel], Evolution] = {
    MessagePosted: _message_posted,
    AnnouncementMade: _announcement_made,
    GameCreated: _game_created,
    PlayerJoined: _player_joined,
    PlayerLeft: _player_gone,
    PlayerRemoved: _player_gone,
    RolesDealt: _roles_dealt,
    RoundStarted: _round_started,
    ProposalMade: _proposal_made,
    VoteCast: _vote_cast,
    ProposalAdopted: _proposal_adopted,
    ProposalRejected: _proposal_rejected,
    RoundEnded: _close_round,
    RuleChanged: _rule_changed,
    DeadlineSet: _deadline_set,
    RoundPaused: _round_paused,
    RoundResumed: _round_resumed,
    RealityChecked: _reality_checked,
    DebriefShown: _debrief_shown,
    MessageHidden: _message_hidden,
    SeatHandedOver: _seat_handed_over,
    AbilityUsed: _ability_used,
    PartyAssigned: _party_assigned,
}


def evolve(state: State, event: Event) -> State:
    """The state after one event. Total: never raises on an event that `decide` produced.

    >>> from datetime import UTC, datetime
    >>> from engine.deck import DEFAULT_DECK_PATH, load_deck
    >>> from engine.model import PlayerJoined
    >>> state = initial_state(load_deck(DEFAULT_DECK_PATH))
    >>> after = evolve(state, PlayerJoined(at=datetime(2026, 9, 1, tzinfo=UTC), player_id="p1", name="Anna"))
    >>> after.seq, after.players["p1"].number, after.is_seated("p1")
    (1, 1, True)
    """
    evolution = EVOLUTIONS.get(type(event))
    if evolution is None:
        raise AssertionError(f"unhandled event {event!r}")
    return evolution(state, event)
