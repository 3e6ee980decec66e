"""A replay: what the table saw at any seq of a log, and the timeline's markers. Pure, like the rest.

The state at a seq is the fold of the log's first seq events (from the nearest checkpoint of the
`TableLog`), and what it shows is `view(state, FACILITATOR_VIEWER)`: the same function that built the
live snapshot, so a replay shows what the facilitator saw live at that moment, with one exception: a chat
line the facilitator hid, at any point of the log, is shown without its text at every position (before the
hide as well: a replay goes up on a projector, and the whole log is known), in its place in the chat.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.archive import TableLog
from engine.debrief import Debrief
from engine.model import (
    AnnouncementMade,
    DebriefShown,
    Event,
    MessageHidden,
    MessagePosted,
    ProposalAdopted,
    ProposalMade,
    ProposalRejected,
    RealityChecked,
    RoundStarted,
    State,
    VoteCast,
)
from engine.views import FACILITATOR_VIEWER, MeterView, TableView, meter, view

MarkerKind = Literal["round", "event_card", "proposal", "vote", "forlig", "rejected", "announcement", "end"]
MARKER_KINDS: tuple[MarkerKind, ...] = (
    "round",
    "event_card",
    "proposal",
    "vote",
    "forlig",
    "rejected",
    "announcement",
    "end",
)


class Marker(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    kind: MarkerKind
    label: str  # language-neutral: a round number, a proposal or event card id, a vote's choice


def markers(events: tuple[Event, ...]) -> list[Marker]:
    """The timeline's landmarks, in seq order: round starts, event cards, proposals, votes, forlig, …"""
    found: list[Marker] = []
    for seq, event in enumerate(events, start=1):
        if isinstance(event, RoundStarted):
            found.append(Marker(seq=seq, kind="round", label=str(event.round)))
            if event.event_card is not None:
                found.append(Marker(seq=seq, kind="event_card", label=event.event_card))
        elif isinstance(event, ProposalMade):
            found.append(Marker(seq=seq, kind="proposal", label=event.proposal_id))
        elif isinstance(event, VoteCast):
            found.append(Marker(seq=seq, kind="vote", label=f"{event.proposal_id}:{event.choice}"))
        elif isinstance(event, ProposalAdopted):
            found.append(Marker(seq=seq, kind="forlig", label=event.proposal_id))
        elif isinstance(event, ProposalRejected):
            found.append(Marker(seq=seq, kind="rejected", label=event.proposal_id))
        elif isinstance(event, AnnouncementMade):
            found.append(Marker(seq=seq, kind="announcement", label=""))
        elif isinstance(event, RealityChecked | DebriefShown):
            found.append(Marker(seq=seq, kind="end", label=event.type))
    return found


class ReplayFrame(BaseModel):
    """One position of a replay: the event that just happened and everything the table saw after it."""

    model_config = ConfigDict(frozen=True)

    seq: int
    total: int
    event: Event
    view: TableView
    proposal_meter: MeterView | None  # the newest proposal's portfolio on the meter, as its author saw it
    debrief: Debrief | None  # once the game has ended (reality check or debrief)
    # The chat lines (their seqs) in `view.chat` or as `event` that the facilitator hid somewhere in the log:
    # their text is left out ("" and no mentions), and the viewer says they were hidden.
    hidden_chat: tuple[int, ...] = ()


def hidden_chat(events: tuple[Event, ...]) -> frozenset[int]:
    """The seqs of the chat lines (messages, announcements) the facilitator hid anywhere in the log."""
    return frozenset(event.seq for event in events if isinstance(event, MessageHidden))


def frame(
    log: TableLog, state: State, debrief: Debrief | None = None, hidden: frozenset[int] | None = None
) -> ReplayFrame:
    """The frame at `state.seq` (≥ 1) of `log`; the caller passes the debrief when it wants it shown.

    `hidden` is `hidden_chat(log.events)` (computed here when not given): those chat lines are shown as
    hidden at every position, also before the event that hid them, and the event that posted one has no text.
    """
    if hidden is None:
        hidden = hidden_chat(log.events)
    newest = list(state.proposals.values())[-1] if state.proposals else None
    proposal_meter = meter(state, newest.cards) if newest is not None and state.config is not None else None
    event = log.events[state.seq - 1]
    if not hidden:
        table_view = view(state, FACILITATOR_VIEWER)
        shown_hidden: tuple[int, ...] = ()
    else:
        # Every line stays in its place (a hidden one without its text), so the chat does not change shape
        # at the event that hid a line, and no hidden text is ever sent.
        table_view = view(replace(state, hidden_chat=frozenset()), FACILITATOR_VIEWER)
        chat = tuple(
            line.model_copy(update={"text": "", "mentions": ()}) if line.seq in hidden else line
            for line in table_view.chat
        )
        table_view = table_view.model_copy(update={"chat": chat})
        in_view = {line.seq for line in chat if line.seq in hidden}
        if isinstance(event, MessagePosted | AnnouncementMade) and state.seq in hidden:
            blank: dict[str, object] = {"text": ""}
            if isinstance(event, MessagePosted):
                blank["mentions"] = ()
            event = event.model_copy(update=blank)
            in_view.add(state.seq)
        shown_hidden = tuple(sorted(in_view))
    return ReplayFrame(
        seq=state.seq,
        total=log.total,
        event=event,
        view=table_view,
        proposal_meter=proposal_meter,
        debrief=debrief,
        hidden_chat=shown_hidden,
    )


def game_over(state: State) -> bool:
    return state.phase in ("reality_check", "debrief")
