"""Conferences: a named set of tables on one deck, run by one facilitator, joined by short codes."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.deck import AdoptionRule
from engine.model import MAX_NAME, CreateGame
from server.store import EventStore, NewEvent
from server.tables import Tables, now

# No 0/O, 1/l/I: a code read aloud or off a projector is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6  # 31^6 ≈ 887 million codes: guessing one of 100 live codes takes millions of tries


class TableRef(BaseModel):
    table_id: str
    join_code: str


class ConferenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    deck: str = Field(default="korsbaek", min_length=1, max_length=60)
    tables: int = Field(ge=1, le=100)
    target: float | None = Field(default=None, gt=0, le=10_000)
    rule: AdoptionRule | None = None
    rounds: int | None = Field(default=None, ge=1, le=10)
    round_seconds: int | None = Field(default=None, ge=30, le=24 * 3600)
    language: Literal["da", "en"] = "da"


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


async def create_conference(store: EventStore, tables: Tables, request: ConferenceRequest) -> ConferenceCreated:
    tables.decks.get(request.deck)  # KeyError for an unknown deck, before anything is written
    conference_id = new_id()
    refs: list[TableRef] = []
    for number in range(1, request.tables + 1):
        table_id = new_id()
        await store.set_key(f"table-conference:{table_id}", conference_id)
        command = CreateGame(
            at=now(),
            table_name=f"Bord {number}",
            seed=secrets.randbits(63),
            target=request.target,
            rule=request.rule,
            rounds=request.rounds,
            round_seconds=request.round_seconds,
        )
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
