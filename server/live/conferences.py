"""Conferences: a named set of tables on one deck, run by one facilitator, joined by short codes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from engine.deck import AdoptionRule
from engine.format import parse_number
from engine.model import MAX_NAME, Byraad, CreateGame
from server.live.tables import Table, Tables, now, table_stream
from server.store import ConcurrencyError, EventStore, NewEvent

# No 0/O, 1/l/I: a code read aloud or off a projector is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6  # 31^6 ≈ 887 million codes: guessing one of 100 live codes takes millions of tries


class TableRef(BaseModel):
    table_id: str
    join_code: str


def typed_number(value: object) -> object:
    """A number a form posted as text, Danish or English ("12,5", "12.5", "1.234,5"): the number it means, so
    "12,5" is 12.5 and never 125. Anything else is left for pydantic to accept or refuse."""
    if isinstance(value, str):
        if not value.strip():
            return None
        parsed = parse_number(value)
        if parsed is not None:
            return int(parsed) if parsed.is_integer() else parsed
    return value


Typed = BeforeValidator(typed_number)


class ConferenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    deck: str = Field(default="korsbaek", min_length=1, max_length=60)
    tables: Annotated[int, Typed] = Field(ge=1, le=100)
    target: Annotated[float | None, Typed] = Field(default=None, gt=0, le=10_000)
    rule: AdoptionRule | None = None
    rounds: Annotated[int | None, Typed] = Field(default=None, ge=1, le=10)
    round_seconds: Annotated[int | None, Typed] = Field(default=None, ge=30, le=24 * 3600)
    language: Literal["da", "en"] = "da"
    bots_fill_to: Annotated[int | None, Typed] = Field(
        default=None, ge=3, le=8, description="When a table's first round starts, bots fill it to this size"
    )
    bot_pace_seconds: Annotated[float | None, Typed] = Field(
        default=None, ge=0, le=600, description="Seconds between a bot's actions (docs/bots.md)"
    )
    start_when_joined: bool = Field(
        default=False, description="Round 1 starts when a person joins a table that has enough players (Prøv selv)"
    )
    byraad: Byraad | None = Field(
        default=None, description="Byråd mode for every table (docs/conferences.md, 'Byråd'); null: ordinary tables"
    )

    def create_game(self, number: int, seed: int, at: datetime) -> CreateGame:
        """The create_game command of the conference's table `number`."""
        return CreateGame(
            at=at,
            table_name=table_name(number, self.language),
            seed=seed,
            target=self.target,
            rule=self.rule,
            rounds=self.rounds,
            round_seconds=self.round_seconds,
            byraad=self.byraad,
        )


class ConferenceCreated(BaseModel):
    """The first event of a conference's own stream."""

    type: Literal["conference_created"] = "conference_created"
    at: datetime
    conference_id: str
    request: ConferenceRequest
    tables: list[TableRef]


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    party: str | None = Field(default=None, max_length=40, description="Byråd mode: the member's party id")


def conference_stream(conference_id: str) -> str:
    return f"conference:{conference_id}"


def new_id() -> str:
    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")


def normalise_code(code: str) -> str:
    return code.strip().upper().replace(" ", "").replace("-", "")


async def _claim_code(store: EventStore, table_id: str) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await store.set_key(f"code:{code}", table_id, only_if_absent=True):
            return code


def table_name(number: int, lang: str) -> str:
    """A conference's table as its players, the control room and the projector call it, in the language at the
    tables: 'Bord 3', 'Table 3'."""
    return f"Table {number}" if lang == "en" else f"Bord {number}"


async def create_conference(store: EventStore, tables: Tables, request: ConferenceRequest) -> ConferenceCreated:
    await tables.decks.fetch(store, request.deck)  # KeyError for an unknown deck, before anything is written
    conference_id = new_id()
    refs: list[TableRef] = []
    for number in range(1, request.tables + 1):
        table_id = new_id()
        await store.set_key(f"table-conference:{table_id}", conference_id)
        command = request.create_game(number, secrets.randbits(63), now())
        await tables.create(table_id, request.deck, command)
        refs.append(TableRef(table_id=table_id, join_code=await _claim_code(store, table_id)))
    created = ConferenceCreated(at=now(), conference_id=conference_id, request=request, tables=refs)
    await store.append(
        conference_stream(conference_id), 0, [NewEvent(type=created.type, data=created.model_dump_json())]
    )
    return created


async def conference_of(store: EventStore, table_id: str) -> str | None:
    return await store.get_key(f"table-conference:{table_id}")


async def table_for_code(store: EventStore, code: str) -> str | None:
    return await store.get_key(f"code:{normalise_code(code)}")


# ---- reading, moving players, deleting -------------------------------------------------------------


class PlayerMoved(BaseModel):
    """In the conference's stream: the facilitator moved a player from one table to another (same name,
    new seat). The player's client trades its old token for one of the new seat (`follow_move`)."""

    type: Literal["player_moved"] = "player_moved"
    at: datetime
    from_table: str
    from_player: str
    to_table: str
    to_player: str


async def load_conference(store: EventStore, conference_id: str) -> ConferenceCreated | None:
    records = await store.read(conference_stream(conference_id), limit=1)
    return ConferenceCreated.model_validate_json(records[0].data) if records else None


async def conference_ids(store: EventStore) -> list[str]:
    prefix = conference_stream("")
    return [stream.removeprefix(prefix) for stream in await store.streams(prefix)]


async def record_move(store: EventStore, conference_id: str, move: PlayerMoved, command_id: str) -> None:
    stream = conference_stream(conference_id)
    for _ in range(20):
        version = await store.version(stream)
        try:
            await store.append(
                stream, version, [NewEvent(type=move.type, data=move.model_dump_json())], command_id=command_id
            )
            return
        except ConcurrencyError:
            continue
    raise RuntimeError(f"{stream}: could not record the move")


async def find_move(store: EventStore, conference_id: str, table_id: str, player_id: str) -> PlayerMoved | None:
    """The latest move of this player away from this table, if the facilitator moved them."""
    found: PlayerMoved | None = None
    for record in await store.read(conference_stream(conference_id), after=1):
        if record.type == "player_moved":
            move = PlayerMoved.model_validate_json(record.data)
            if move.from_table == table_id and move.from_player == player_id:
                found = move
    return found


async def delete_conference(
    store: EventStore, tables: Tables, conference_id: str, gone: Callable[[Table], None] = lambda table: None
) -> ConferenceCreated | None:
    """Delete the conference with every table's log, its join codes and keys. None if there is no such one.

    `gone` is told about each table this process had loaded (to close its connections)."""
    created = await load_conference(store, conference_id)
    if created is None:
        return None
    for ref in created.tables:
        table = await tables.forget(ref.table_id)
        if table is not None:
            gone(table)
        await store.delete_stream(table_stream(ref.table_id))
        await store.delete_key(f"code:{ref.join_code}")
        await store.delete_key(f"table-conference:{ref.table_id}")
    # Last, so a deletion that was interrupted can be run again: the conference is still listed until then.
    await store.delete_stream(conference_stream(conference_id))
    return created


async def expired_conferences(store: EventStore, older_than: datetime) -> list[str]:
    """The conferences created before `older_than` (the retention period's cut-off)."""
    expired = []
    for conference_id in await conference_ids(store):
        created = await load_conference(store, conference_id)
        if created is not None and created.at < older_than:
            expired.append(conference_id)
    return expired
