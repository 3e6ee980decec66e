"""The facilitator's actions on a conference's tables, moves between tables among them."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from engine import FACILITATOR, SYSTEM, RuleViolation, decide
from engine.model import (
    MAX_CHAT,
    Announce,
    AssignParty,
    AssignRole,
    CallVote,
    Command,
    EndGame,
    EndRound,
    ExtendDeadline,
    HideMessage,
    Join,
    Pause,
    RemovePlayer,
    Resume,
    SetDeadline,
    ShowDebrief,
    StartRound,
    State,
)
from engine.rules import party_seats
from server.api.access import conference_for
from server.deps import ClaimsDep, Services, ServicesDep, fail
from server.live import conferences
from server.live.conferences import ConferenceCreated, PlayerMoved
from server.live.tables import Table, now
from server.store import HistoryLost, StoreError
from server.transport import protocol

log = logging.getLogger("raaderum.control")

router = APIRouter()


# ---- actions -------------------------------------------------------------------------------------------------

ActionName = Literal[
    "start_all",
    "next_round",
    "end_round",
    "pause",
    "resume",
    "extend",
    "set_deadline",
    "announce",
    "end_game",
    "show_debrief",
    "hide_message",
    "remove_player",
    "move_player",
    "call_vote",
    "assign_role",
    "assign_party",
]
ONE_TABLE = ("hide_message", "remove_player", "move_player", "call_vote", "assign_role", "assign_party")


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ActionName
    table_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description="The tables it is for; every table when absent"
    )
    action_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Chosen by the client; the same id again is not applied twice (send it again on a retry)",
    )
    seconds: int | None = Field(default=None, ge=10, le=24 * 3600, description="extend, set_deadline")
    text: str | None = Field(default=None, max_length=MAX_CHAT, description="announce")
    seq: int | None = Field(default=None, ge=1, description="hide_message: the chat line's seq")
    player_id: str | None = Field(
        default=None, max_length=40, description="remove_player, move_player, assign_role, assign_party"
    )
    to_table: str | None = Field(default=None, max_length=40, description="move_player: the table to move to")
    proposal_id: str | None = Field(default=None, max_length=40, description="call_vote: the proposal to decide now")
    role: str | None = Field(default=None, max_length=40, description="assign_role: the role's id in the deck")
    party: str | None = Field(default=None, max_length=40, description="assign_party: the party's id (byråd mode)")


class TableResult(BaseModel):
    table_id: str
    ok: bool
    seq: int | None = None
    duplicate: bool = False
    code: str | None = None
    message: str | None = None


class ActionResponse(BaseModel):
    action: ActionName
    action_id: str
    results: list[TableResult]


def _commands(body: ActionRequest, state: State) -> list[tuple[str, Command]]:
    """The engine commands an action gives one table, each with a suffix for its command id."""
    at = now()
    action = body.action
    if action == "start_all":
        return [("start", StartRound(at=at))]
    if action == "next_round":
        ending: list[tuple[str, Command]] = [("end", EndRound(at=at))] if state.phase == "round" else []
        return [*ending, ("start", StartRound(at=at))]
    if action == "end_round":
        return [("end", EndRound(at=at))]
    if action == "pause":
        return [("pause", Pause(at=at))]
    if action == "resume":
        return [("resume", Resume(at=at))]
    if action == "extend":
        assert body.seconds is not None
        return [("extend", ExtendDeadline(at=at, seconds=body.seconds))]
    if action == "set_deadline":
        assert body.seconds is not None
        return [("deadline", SetDeadline(at=at, seconds=body.seconds))]
    if action == "announce":
        assert body.text is not None
        return [("announce", Announce(at=at, text=body.text))]
    if action == "end_game":
        return [("end_game", EndGame(at=at))]
    if action == "show_debrief":
        return [("debrief", ShowDebrief(at=at))]
    if action == "hide_message":
        assert body.seq is not None
        return [("hide", HideMessage(at=at, seq=body.seq))]
    if action == "remove_player":
        assert body.player_id is not None
        return [("remove", RemovePlayer(at=at, player_id=body.player_id))]
    if action == "call_vote":
        assert body.proposal_id is not None
        return [("call", CallVote(at=at, proposal_id=body.proposal_id))]
    return _seat_commands(body)


def _seat_commands(body: ActionRequest) -> list[tuple[str, Command]]:
    """Byråd mode's: a role or a party by hand for one seat (_check made sure both fields are there)."""
    at = now()
    assert body.player_id is not None
    if body.action == "assign_role":
        assert body.role is not None
        return [("role", AssignRole(at=at, player_id=body.player_id, role=body.role))]
    if body.action == "assign_party":
        assert body.party is not None
        return [("party", AssignParty(at=at, player_id=body.player_id, party=body.party))]
    raise AssertionError(body.action)


def _check(body: ActionRequest, created: ConferenceCreated) -> list[str]:
    """The affected tables, after checking the action has what it needs (422 otherwise)."""
    ids = [ref.table_id for ref in created.tables]
    needs = {
        "extend": "seconds",
        "set_deadline": "seconds",
        "announce": "text",
        "hide_message": "seq",
        "remove_player": "player_id",
        "move_player": "player_id",
        "call_vote": "proposal_id",
        "assign_role": "player_id",
        "assign_party": "player_id",
    }
    wanted = needs.get(body.action)
    if wanted is not None and getattr(body, wanted) is None:
        raise fail(422, "action.invalid", f"{body.action} needs {wanted}")
    also = {"assign_role": "role", "assign_party": "party"}.get(body.action)
    if also is not None and getattr(body, also) is None:
        raise fail(422, "action.invalid", f"{body.action} needs {also}")
    if body.action == "move_player" and body.to_table is None:
        raise fail(422, "action.invalid", "move_player needs to_table")
    chosen = list(dict.fromkeys(body.table_ids)) if body.table_ids is not None else ids
    unknown = [table_id for table_id in [*chosen, *([body.to_table] if body.to_table else [])] if table_id not in ids]
    if unknown:
        raise fail(422, "action.unknown_table", f"not a table of this conference: {', '.join(unknown)}")
    if body.action in ONE_TABLE and len(chosen) != 1:
        raise fail(422, "action.invalid", f"{body.action} is for exactly one table (table_ids)")
    if body.action == "move_player" and body.to_table == chosen[0]:
        raise fail(422, "action.invalid", "move_player: to_table is the player's own table")
    return chosen


async def _run(table: Table, commands: list[tuple[str, Command]], prefix: str, lang: str) -> TableResult:
    seq: int | None = None
    duplicate = True
    try:
        for suffix, command in commands:
            actor = SYSTEM if isinstance(command, Join) else FACILITATOR
            seq, again = await table.execute(command, actor, f"{prefix}:{suffix}")
            duplicate = duplicate and again
    except RuleViolation as violation:
        return TableResult(table_id=table.id, ok=False, seq=seq, code=violation.code, message=violation.message(lang))
    except StoreError as error:  # unreachable, or the table's history lost: nothing acknowledged
        log.warning("%s: conference action not stored: %s", table.stream, error)
        code = "store.history_lost" if isinstance(error, HistoryLost) else "store.unavailable"
        return TableResult(table_id=table.id, ok=False, seq=seq, code=code, message=protocol.error_message(code, lang))
    except Exception:
        log.exception("%s: conference action failed", table.stream)
        return TableResult(table_id=table.id, ok=False, seq=seq, code="server.unavailable", message="try again")
    return TableResult(table_id=table.id, ok=True, seq=seq, duplicate=duplicate)


def _party_there(party: str | None, there: State) -> str | None:
    """Byråd mode: a moved member keeps their party at the other table when it has that party with a mandate
    free (the engine's count); otherwise they sit down without one and the facilitator gives them one."""
    byraad = there.config.byraad if there.config is not None else None
    found = byraad.party(party) if party is not None and byraad is not None else None
    if found is None:
        return None
    return found.id if found.mandates > party_seats(there)[found.id] else None


def _moved_player_id(action_id: str, player_id: str) -> str:
    # Derived from the action, so a retried move joins the same new seat instead of a second one.
    return hashlib.sha256(f"move:{action_id}:{player_id}".encode()).hexdigest()[:12]


async def _move(
    services: Services, created: ConferenceCreated, body: ActionRequest, source: Table, prefix: str, lang: str
) -> list[TableResult]:
    """Move a seated player to another table: join there with the same name, then removed here."""
    assert body.player_id is not None
    assert body.to_table is not None
    assert body.action_id is not None
    target = await services.tables.get(body.to_table)
    removal = RemovePlayer(at=now(), player_id=body.player_id, moved_to=target.id)
    try:
        decide(source.state, removal, FACILITATOR)  # refused here (not seated) before anything is written
    except RuleViolation as violation:
        if not (violation.code == "player.not_seated" and source.state.players.get(body.player_id)):
            return [TableResult(table_id=source.id, ok=False, code=violation.code, message=violation.message(lang))]
        # Not seated any more: a retry after the first try removed them. The steps below answer as duplicates.
    name = source.state.players[body.player_id].name
    new_id = _moved_player_id(body.action_id, body.player_id)
    party = _party_there(source.state.players[body.player_id].party, target.state)
    joined = await _run(target, [("join", Join(at=now(), player_id=new_id, name=name, party=party))], prefix, lang)
    if not joined.ok:
        return [TableResult(table_id=source.id, ok=False, code=joined.code, message=joined.message), joined]
    # Noted before the removal goes out, so the player's phone finds its new seat as soon as it hears of it
    # (follow-move also checks that the player has left this table).
    move = PlayerMoved(at=now(), from_table=source.id, from_player=body.player_id, to_table=target.id, to_player=new_id)
    await conferences.record_move(services.store, created.conference_id, move, prefix)
    removed = await _run(source, [("remove", removal)], prefix, lang)
    if not removed.ok:
        await _run(target, [("undo", RemovePlayer(at=now(), player_id=new_id))], prefix, lang)
    return [removed, joined]


@router.post("/api/conferences/{conference_id}/actions", response_model=ActionResponse, tags=["conferences"])
async def conference_action(
    conference_id: str,
    body: ActionRequest,
    services: ServicesDep,
    who: ClaimsDep,
    lang: Literal["da", "en"] = "da",
) -> ActionResponse:
    """Apply one action to each affected table (all of them unless `table_ids`), as that table's own command.

    The answer lists each table's result: `ok` with the table's `seq` after it, or the rule's `code` and
    `message` (a table in the wrong phase says why). `duplicate` marks a retried `action_id`.
    """
    created = await conference_for(services, who, conference_id)
    chosen = _check(body, created)
    action_id = body.action_id or conferences.new_id()
    body = body.model_copy(update={"action_id": action_id})
    prefix = f"conference:{action_id}"
    try:
        tables = [await services.tables.get(table_id) for table_id in chosen]
    except KeyError:
        raise fail(404, "conference.unknown", "a table of the conference is gone (deleted?)") from None
    if body.action == "move_player":
        results = await _move(services, created, body, tables[0], prefix, lang)
    else:
        results = list(
            await asyncio.gather(*(_run(table, _commands(body, table.state), prefix, lang) for table in tables))
        )
    return ActionResponse(action=body.action, action_id=action_id, results=results)
