"""Commands, events and the table's state: the engine's whole vocabulary on a few screens.

Commands and events are pydantic models (discriminated by `type`) because they cross the wire and the
event store; the state is plain frozen dataclasses because it is folded 100,000 times a second.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from engine.deck import MAX_BYRAAD_SEATS, AdoptionRule, Deck, Party, parties_problem

MAX_NAME = 40
MAX_CHAT = 1000

# "outside": udenfor forliget, a byråd member's declaration that they stand outside the forlig (byråd mode only):
# it counts neither for it nor as a vote still missing, and the tally and the debrief show it apart.
Choice = Literal["for", "against", "abstain", "outside"]
Phase = Literal["lobby", "round", "round_ended", "reality_check", "debrief"]
Years = tuple[float, float, float, float]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Byraad(Message):
    """Byråd mode (docs/conferences.md, "Byråd"): a council session of up to 31 members, one vote each.

    With parties, every member belongs to one and the thresholds are counted in the parties' mandates (all
    of them, present or not); without, every seated member has one vote. `roles`: "dealt" deals the deck's
    roles (those the facilitator did not assign) as at any table, "themselves" deals none: everyone plays as
    themselves, with no hjertesager and no abilities."""

    parties: tuple[Party, ...] = ()
    roles: Literal["dealt", "themselves"] = "dealt"
    seats: int | None = Field(
        default=None, ge=1, le=MAX_BYRAAD_SEATS, description="Seats at the table (default: the mandates, or 31)"
    )

    @model_validator(mode="after")
    def _sound(self) -> Byraad:
        problem = parties_problem(self.parties)
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def mandates(self) -> int:
        return sum(party.mandates for party in self.parties)

    @property
    def seat_count(self) -> int:
        return self.seats or self.mandates or MAX_BYRAAD_SEATS

    def party(self, party_id: str) -> Party | None:
        return next((party for party in self.parties if party.id == party_id), None)


# ---- Commands: what a player, the facilitator or the server's clock asks for ---------------------


class CreateGame(Message):
    type: Literal["create_game"] = "create_game"
    at: datetime
    table_name: str
    seed: int = Field(description="Seeds every draw; chosen by the server and recorded in game_created")
    target: float | None = Field(default=None, gt=0, description="X: råderum for the budgetår, mio. kr.")
    rule: AdoptionRule | None = None
    rounds: int | None = Field(default=None, ge=1, le=10)
    round_seconds: int | None = Field(default=None, ge=30, le=24 * 3600)
    byraad: Byraad | None = Field(default=None, description="Byråd mode; null: an ordinary table")


class Join(Message):
    type: Literal["join"] = "join"
    at: datetime
    player_id: str
    name: str
    bot: bool = Field(default=False, description="A practice bot (issue 18) takes the seat")
    bot_seed: int | None = Field(default=None, description="The bot's seed, drawn by the server (bots only)")
    party: str | None = Field(default=None, max_length=40, description="Byråd mode: the member's party")


class Leave(Message):
    type: Literal["leave"] = "leave"
    at: datetime


class StartRound(Message):
    type: Literal["start_round"] = "start_round"
    at: datetime


class PostMessage(Message):
    type: Literal["chat"] = "chat"
    at: datetime
    text: str


class Propose(Message):
    type: Literal["propose"] = "propose"
    at: datetime
    cards: tuple[str, ...]
    amends: str | None = Field(default=None, description="Id of the proposal (or forlig) this one amends")


class CastVote(Message):
    type: Literal["vote"] = "vote"
    at: datetime
    proposal_id: str
    choice: Choice


class CallVote(Message):
    """Rules 3: decide a proposal now on the votes cast (the mayor or the facilitator calls it)."""

    type: Literal["call_vote"] = "call_vote"
    at: datetime
    proposal_id: str


class EndRound(Message):
    type: Literal["end_round"] = "end_round"
    at: datetime


class ForceAdopt(Message):
    type: Literal["force_adopt"] = "force_adopt"
    at: datetime
    proposal_id: str


class SetRule(Message):
    type: Literal["set_rule"] = "set_rule"
    at: datetime
    rule: AdoptionRule


class SetDeadline(Message):
    type: Literal["set_deadline"] = "set_deadline"
    at: datetime
    seconds: int = Field(ge=10, le=24 * 3600, description="New deadline, counted from now")


class Announce(Message):
    type: Literal["announce"] = "announce"
    at: datetime
    text: str


class EndGame(Message):
    type: Literal["end_game"] = "end_game"
    at: datetime


class ShowDebrief(Message):
    type: Literal["show_debrief"] = "show_debrief"
    at: datetime


class HideMessage(Message):
    type: Literal["hide_message"] = "hide_message"
    at: datetime
    seq: int = Field(ge=1, description="The seq of the chat line (message_posted or announcement_made) to hide")


class RemovePlayer(Message):
    type: Literal["remove_player"] = "remove_player"
    at: datetime
    player_id: str
    moved_to: str | None = Field(
        default=None, max_length=40, description="The table the player was moved to (set by the server's move)"
    )


class HandOverSeat(Message):
    """The seat moves to another device (the server checked the seat code, or the facilitator moved it); the
    device that held it stops acting (docs/protocol.md, "Seats")."""

    type: Literal["hand_over_seat"] = "hand_over_seat"
    at: datetime
    player_id: str
    device: str = Field(min_length=1, max_length=40, description="The new device's id, in its token's claims")


class Pause(Message):
    type: Literal["pause"] = "pause"
    at: datetime


class Resume(Message):
    type: Literal["resume"] = "resume"
    at: datetime


class ExtendDeadline(Message):
    type: Literal["extend_deadline"] = "extend_deadline"
    at: datetime
    seconds: int = Field(ge=10, le=24 * 3600, description="Added to the deadline (from now when there is none)")


class UseAbility(Message):
    type: Literal["use_ability"] = "use_ability"
    at: datetime
    ability: str = Field(max_length=64, description="The ability's id on the player's role card (the deck's abilities)")
    card: str | None = Field(default=None, max_length=40, description="The card it works on, when it needs one")
    event: str | None = Field(
        default=None, max_length=40, description="The event card it works on (default: the round's, when it is one)"
    )


class AssignRole(Message):
    """The facilitator gives a seated player a role by hand (before the deal, or later for a seat whose
    holder changed); the first round's deal gives only the roles left to the players left."""

    type: Literal["assign_role"] = "assign_role"
    at: datetime
    player_id: str
    role: str = Field(max_length=40)


class AssignParty(Message):
    """Byråd mode: the facilitator puts a seated member in a party (or moves them to another)."""

    type: Literal["assign_party"] = "assign_party"
    at: datetime
    player_id: str
    party: str = Field(max_length=40)


Command = Annotated[
    CreateGame
    | Join
    | Leave
    | StartRound
    | PostMessage
    | Propose
    | CastVote
    | CallVote
    | EndRound
    | ForceAdopt
    | SetRule
    | SetDeadline
    | Announce
    | EndGame
    | ShowDebrief
    | HideMessage
    | RemovePlayer
    | Pause
    | Resume
    | ExtendDeadline
    | HandOverSeat
    | UseAbility
    | AssignRole
    | AssignParty,
    Field(discriminator="type"),
]
FACILITATOR_COMMANDS = frozenset(
    {"create_game", "join", "start_round", "end_round", "force_adopt", "set_rule", "set_deadline", "announce",
     "end_game", "show_debrief", "hide_message", "remove_player", "pause", "resume", "extend_deadline",
     "call_vote", "hand_over_seat", "assign_role", "assign_party"}
)  # fmt: skip
PLAYER_COMMANDS = frozenset({"leave", "chat", "propose", "vote", "call_vote", "use_ability"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who gives a command: a seated player, the facilitator, or the server itself (deadlines)."""

    kind: Literal["player", "facilitator", "system"]
    player_id: str | None = None

    @staticmethod
    def player(player_id: str) -> Actor:
        return Actor("player", player_id)


FACILITATOR = Actor("facilitator")
SYSTEM = Actor("system")


# ---- Events: what happened. Every field needed to replay is in the event ---------------------------


class GameCreated(Message):
    type: Literal["game_created"] = "game_created"
    at: datetime
    table_name: str
    deck_id: str
    deck_digest: str
    seed: int
    target: Years
    rule: AdoptionRule
    rounds: int
    round_seconds: int | None
    # The rules the game is played under (engine.budget.RULES_VERSION when it was created); a log written
    # before the field existed was played under version 1, and keeps its arithmetic when replayed.
    rules: int = Field(default=1, ge=1)
    byraad: Byraad | None = Field(default=None, description="Byråd mode (null: an ordinary table, as every older log)")


class PlayerJoined(Message):
    type: Literal["player_joined"] = "player_joined"
    at: datetime
    player_id: str
    name: str
    bot: bool = Field(default=False, description="The seat is a practice bot's (docs/bots.md)")
    # Seeds every decision of the bot (engine.bots), recorded like the game's seed; shown to the facilitator only.
    bot_seed: int | None = None
    party: str | None = Field(default=None, description="Byråd mode: the member's party (null: none yet)")


class PlayerLeft(Message):
    type: Literal["player_left"] = "player_left"
    at: datetime
    player_id: str


class RolesDealt(Message):
    type: Literal["roles_dealt"] = "roles_dealt"
    at: datetime
    assignments: dict[str, str] = Field(description="player id -> role id (filtered per viewer when secret)")


class PartyAssigned(Message):
    type: Literal["party_assigned"] = "party_assigned"
    at: datetime
    player_id: str
    party: str


class RoundStarted(Message):
    type: Literal["round_started"] = "round_started"
    at: datetime
    round: int
    event_card: str | None
    deadline: datetime | None


class MessagePosted(Message):
    type: Literal["message_posted"] = "message_posted"
    at: datetime
    player_id: str
    text: str
    mentions: tuple[str, ...] = ()


class AnnouncementMade(Message):
    type: Literal["announcement_made"] = "announcement_made"
    at: datetime
    text: str


class ProposalMade(Message):
    type: Literal["proposal_made"] = "proposal_made"
    at: datetime
    proposal_id: str
    player_id: str
    round: int
    cards: tuple[str, ...]
    amends: str | None


class VoteCast(Message):
    type: Literal["vote_cast"] = "vote_cast"
    at: datetime
    proposal_id: str
    player_id: str
    choice: Choice


class ProposalAdopted(Message):
    type: Literal["proposal_adopted"] = "proposal_adopted"
    at: datetime
    proposal_id: str
    share_for: float = Field(description="Share of the vote weight for it when adopted (0..1)")
    forced: bool = False


class ProposalRejected(Message):
    type: Literal["proposal_rejected"] = "proposal_rejected"
    at: datetime
    proposal_id: str


class RoundEnded(Message):
    type: Literal["round_ended"] = "round_ended"
    at: datetime
    round: int
    reason: Literal["adopted", "facilitator", "deadline"]


class RuleChanged(Message):
    type: Literal["rule_changed"] = "rule_changed"
    at: datetime
    rule: AdoptionRule


class DeadlineSet(Message):
    type: Literal["deadline_set"] = "deadline_set"
    at: datetime
    deadline: datetime


class RealityChecked(Message):
    type: Literal["reality_checked"] = "reality_checked"
    at: datetime
    rolls: dict[str, int] = Field(description="card id -> d6 roll that decides how much of it is realised")
    # Rules 2: whether "træthed i organisationen" hit every effektivisering (None under rules 1).
    fatigue: bool | None = None


class DebriefShown(Message):
    type: Literal["debrief_shown"] = "debrief_shown"
    at: datetime


class MessageHidden(Message):
    type: Literal["message_hidden"] = "message_hidden"
    at: datetime
    seq: int = Field(description="The seq of the hidden chat line; clients drop it, snapshots leave it out")


class PlayerRemoved(Message):
    type: Literal["player_removed"] = "player_removed"
    at: datetime
    player_id: str
    moved_to: str | None = Field(description="The table the facilitator moved the player to, or null")


class RoundPaused(Message):
    type: Literal["round_paused"] = "round_paused"
    at: datetime
    round: int
    remaining: float | None = Field(description="Seconds left until the deadline when paused; null without one")


class RoundResumed(Message):
    type: Literal["round_resumed"] = "round_resumed"
    at: datetime
    round: int
    deadline: datetime | None = Field(description="The new deadline: now plus the time that was left")


class SeatHandedOver(Message):
    """A player's seat moved to another device: only tokens for `device` act for the player from now on."""

    type: Literal["seat_handed_over"] = "seat_handed_over"
    at: datetime
    player_id: str
    device: str = Field(description="The device now holding the seat; empty in what players and the projector see")


class AbilityUsed(Message):
    type: Literal["ability_used"] = "ability_used"
    at: datetime
    player_id: str
    role: str
    ability: str
    effect: str = Field(description="What the ability does (the deck's effect kind: move_card, loan, …)")
    round: int
    card: str | None = None
    event: str | None = None
    moved: Literal["in", "out"] | None = Field(
        default=None, description="move_card: the card was moved into or out of the forlig"
    )


Event = Annotated[
    GameCreated
    | PlayerJoined
    | PlayerLeft
    | RolesDealt
    | RoundStarted
    | MessagePosted
    | AnnouncementMade
    | ProposalMade
    | VoteCast
    | ProposalAdopted
    | ProposalRejected
    | RoundEnded
    | RuleChanged
    | DeadlineSet
    | RealityChecked
    | DebriefShown
    | MessageHidden
    | PlayerRemoved
    | RoundPaused
    | RoundResumed
    | SeatHandedOver
    | AbilityUsed
    | PartyAssigned,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


# ---- State ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Player:
    id: str
    name: str
    seated: bool
    role: str | None
    number: int  # 1-based join order: "Spiller 3" on the projector
    bot: bool = False  # a practice bot (engine.bots)
    bot_seed: int | None = None
    party: str | None = None  # byråd mode: the member's party


@dataclass(frozen=True, slots=True)
class Proposal:
    id: str
    round: int
    player_id: str
    cards: tuple[str, ...]
    amends: str | None
    status: Literal["open", "adopted", "rejected", "closed"]
    votes: Mapping[str, Choice]
    at: datetime


@dataclass(frozen=True, slots=True)
class ChatLine:
    seq: int
    player_id: str | None  # None: the facilitator's announcement
    text: str
    mentions: tuple[str, ...]
    at: datetime


# A chat line's fields as a plain tuple of atoms: Python's cyclic collector stops tracking such a tuple at
# its first passes, so a long chat does not lengthen the collector's pauses (two tracked objects per line
# did: with 2,000 players chatting, a middle-generation collection stopped the server for 50-70 ms).
ChatRow = tuple[int, str | None, str, tuple[str, ...], datetime]


@dataclass(frozen=True, slots=True)
class Chat:
    """Append-only chat, persistent: full chunks of CHAT_CHUNK rows are shared by every later state, and an
    append copies only the newest chunk (O(CHAT_CHUNK)), so the collector tracks one node per chunk."""

    rows: tuple[ChatRow, ...]  # the newest 1..CHAT_CHUNK lines, oldest first
    before: Chat | None  # the full chunks before them
    length: int

    @staticmethod
    def append(chat: Chat | None, line: ChatLine) -> Chat:
        row: ChatRow = (line.seq, line.player_id, line.text, line.mentions, line.at)
        if chat is None:
            return Chat((row,), None, 1)
        if len(chat.rows) < CHAT_CHUNK:
            return Chat((*chat.rows, row), chat.before, chat.length + 1)
        return Chat((row,), chat, chat.length + 1)

    @property
    def last(self) -> ChatLine:
        return ChatLine(*self.rows[-1])

    def recent(self, count: int | None = None) -> list[ChatLine]:
        """The last `count` lines (all of them without), oldest first."""
        rows: list[ChatRow] = []
        node: Chat | None = self
        while node is not None and (count is None or len(rows) < count):
            rows.extend(reversed(node.rows))
            node = node.before
        if count is not None:
            del rows[count:]
        rows.reverse()
        return [ChatLine(*row) for row in rows]

    def line(self, seq: int) -> ChatLine | None:
        """The line the event `seq` posted, if it is in this chat."""
        node: Chat | None = self
        while node is not None and node.rows[-1][0] >= seq:
            if node.rows[0][0] <= seq:
                for row in node.rows:
                    if row[0] == seq:
                        return ChatLine(*row)
                return None
            node = node.before
        return None


CHAT_CHUNK = 64


@dataclass(frozen=True, slots=True)
class Round:
    number: int
    event_card: str | None
    started_at: datetime
    deadline: datetime | None
    ended_at: datetime | None = None
    end_reason: str | None = None
    adopted: str | None = None  # proposal id adopted in this round
    paused: bool = False  # while paused `deadline` is None and `remaining` holds the seconds that were left
    remaining: float | None = None


@dataclass(frozen=True, slots=True)
class Forlig:
    proposal_id: str
    round: int
    cards: tuple[str, ...]
    share_for: float
    forced: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AbilityUse:
    """An ability a role used (ability_used), in the order they were used."""

    seq: int
    player_id: str
    role: str
    ability: str
    effect: str
    round: int
    card: str | None
    event: str | None
    moved: Literal["in", "out"] | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Config:
    table_name: str
    deck_digest: str
    seed: int
    target: Years
    rule: AdoptionRule
    rounds: int
    round_seconds: int | None
    rules: int = 1
    byraad: Byraad | None = None


@dataclass(frozen=True, slots=True)
class State:
    deck: Deck
    seq: int = 0
    config: Config | None = None
    phase: Phase = "lobby"
    players: Mapping[str, Player] = field(default_factory=dict)
    rounds: tuple[Round, ...] = ()
    proposals: Mapping[str, Proposal] = field(default_factory=dict)
    forlig: Forlig | None = None
    forlig_history: tuple[Forlig, ...] = ()
    chat: Chat | None = None
    rolls: Mapping[str, int] | None = None
    fatigue: bool | None = None  # rules 2: "træthed i organisationen" hit (reality_checked)
    hidden_chat: frozenset[int] = frozenset()  # seqs of chat lines the facilitator hid
    abilities_used: tuple[AbilityUse, ...] = ()

    @property
    def current_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def event_cards(self) -> tuple[str, ...]:
        return tuple(r.event_card for r in self.rounds if r.event_card is not None)

    def messages_by_player(self) -> dict[str, int]:
        """Chat messages per player, counted from the chat (the fold keeps no counter: it is rarely read)."""
        counts: dict[str, int] = {}
        for line in self.chat.recent() if self.chat else ():
            if line.player_id is not None:
                counts[line.player_id] = counts.get(line.player_id, 0) + 1
        return counts

    def seated(self) -> Iterator[Player]:
        return (player for player in self.players.values() if player.seated)

    def is_seated(self, player_id: str | None) -> bool:
        player = self.players.get(player_id) if player_id is not None else None
        return player is not None and player.seated
