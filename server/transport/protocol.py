"""The websocket protocol's frames. docs/protocol.md's schemas are generated from these models."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.model import Event
from engine.views import Derived, TableView

# Command frames carry an engine command's fields (without `at`: the server stamps the time) plus `id`.
WIRE_COMMANDS = (
    "chat",
    "propose",
    "vote",
    "call_vote",
    "leave",
    "start_round",
    "end_round",
    "force_adopt",
    "set_rule",
    "set_deadline",
    "announce",
    "end_game",
    "show_debrief",
    "hide_message",
    "remove_player",
    "pause",
    "resume",
    "extend_deadline",
    "use_ability",
    "assign_role",
    "assign_party",
)
MAX_ID = 64


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(Frame):
    type: Literal["hello"]
    token: str = Field(max_length=2000)
    after: int = Field(ge=0, description="The last seq this client has; 0 when new")
    lang: Literal["da", "en"] = "da"


class Ping(Frame):
    type: Literal["ping"]
    id: str = Field(min_length=1, max_length=MAX_ID)


class Snapshot(Frame):
    type: Literal["snapshot"] = "snapshot"
    seq: int
    view: TableView


class EventFrame(Frame):
    type: Literal["event"] = "event"
    seq: int
    event: Event
    derived: Derived | None = Field(
        default=None,
        description="What the event changed in the voting figures (who may vote, tallies, who is still to vote); "
        "null when it changed none",
    )


class Ack(Frame):
    type: Literal["ack"] = "ack"
    id: str
    seq: int = Field(description="The table's version after the command")
    duplicate: bool = Field(default=False, description="The id was seen before: nothing new was recorded")


def ack_frame(frame_id: str, seq: int, duplicate: bool) -> str:
    """`Ack(...).model_dump_json()`, byte for byte, written out: one per command, and the model costs ~10 µs."""
    quoted = json.dumps(frame_id, ensure_ascii=False)
    return f'{{"type":"ack","id":{quoted},"seq":{seq},"duplicate":{"true" if duplicate else "false"}}}'


class Error(Frame):
    type: Literal["error"] = "error"
    id: str | None
    code: str
    message: str
    details: Any = None


class Presence(Frame):
    type: Literal["presence"] = "presence"
    online: list[str] = Field(description="Ids of the players connected right now")
    facilitator: bool = Field(description="The facilitator is watching")


class Heartbeat(Frame):
    type: Literal["heartbeat"] = "heartbeat"
    seq: int


class Pong(Frame):
    type: Literal["pong"] = "pong"
    id: str


# Close codes. Ordinary mistakes get an error frame and the connection stays open.
CLOSE_PROTOCOL = 4000  # no valid hello first
CLOSE_UNAUTHORIZED = 4001  # bad token, or a token for another table/conference
CLOSE_UNKNOWN_TABLE = 4004
CLOSE_SLOW_CONSUMER = 4008  # the client fell too far behind: reconnect with hello.after = last seq
CLOSE_TOO_MANY_CONNECTIONS = 4009  # this token already holds RAADERUM_MAX_CONNECTIONS_PER_TOKEN on this table
CLOSE_FLOODING = 4029  # too many frames per second, for too long
CLOSE_TOO_BIG = 1009  # a frame over the size limit
CLOSE_GOING_AWAY = 1001  # the server is shutting down: reconnect
CLOSE_TRY_AGAIN_LATER = 1013  # the store is unreachable, or lost this table's history (store.*): not now

ERROR_CODES = {
    "frame.invalid_json": "The frame is not a JSON object.",
    "frame.unknown_type": "No such frame type.",
    "frame.invalid": "Missing or wrong fields; `details` lists them.",
    "frame.rate_limited": "Too many frames per second; the frame was dropped.",
    "frame.too_large": "The frame is over the size limit; the connection is closed (1009).",
    "hello.expected": "The first frame must be a hello.",
    "hello.repeated": "Hello is only sent once per connection.",
    "auth.invalid_token": "The token is not valid; the connection is closed (4001).",
    "auth.wrong_table": "The token is for another table or conference; the connection is closed (4001).",
    "auth.read_only": "This viewer (the projector) cannot give commands.",
    "table.unknown": "No such table; the connection is closed (4004).",
    "auth.not_conference": "The token is not the facilitator's or projector's of this conference; closed (4001).",
    "conference.unknown": "No such conference; the connection is closed (4004).",
    "server.busy": "The table is too busy; try again.",
    "server.unavailable": "The server could not store the command (its store is unreachable); try again.",
    "store.unavailable": "The event store is unreachable; nothing was stored. Send it again with the same id.",
    "auth.revoked": "The facilitator removed this player; the token no longer opens the table (closed, 4001).",
    "auth.too_many_connections": "This token has too many connections open to this table; closed (4009).",
    "seat.moved": "The seat moved to another device (seat code or the facilitator); this one no longer acts (4001).",
    "store.history_lost": "The event store lost this table's history (emptied or restored); the table is stopped.",
}
# What a person reads on a Danish screen (the hello's `lang`, Danish unless it says "en"); the English is above.
ERROR_MESSAGES_DA = {
    "frame.invalid_json": "Beskeden kunne ikke læses (den er ikke et JSON-objekt).",
    "frame.unknown_type": "Den slags besked kender serveren ikke.",
    "frame.invalid": "Beskeden mangler felter eller har forkerte felter; `details` viser hvilke.",
    "frame.rate_limited": "For mange handlinger på kort tid; den sidste blev ikke modtaget. Vent et øjeblik.",
    "frame.too_large": "Beskeden er for stor; forbindelsen lukkes (1009).",
    "hello.expected": "Forbindelsen skal begynde med en hilsen (hello).",
    "hello.repeated": "Hilsenen (hello) sendes kun én gang pr. forbindelse.",
    "auth.invalid_token": "Adgangsnøglen er ikke gyldig; forbindelsen lukkes (4001). Bed facilitatoren om et nyt link.",
    "auth.wrong_table": "Adgangsnøglen gælder et andet bord eller en anden konference; forbindelsen lukkes (4001).",
    "auth.read_only": "Projektorvisningen kan kun se med, ikke handle.",
    "table.unknown": "Bordet findes ikke; forbindelsen lukkes (4004).",
    "auth.not_conference": "Nøglen er ikke facilitatorens eller projektorens for denne konference; lukket (4001).",
    "conference.unknown": "Konferencen findes ikke; forbindelsen lukkes (4004).",
    "server.busy": "Bordet har travlt lige nu; prøv igen.",
    "server.unavailable": "Serveren kunne ikke gemme handlingen (lageret svarer ikke); prøv igen.",
    "store.unavailable": "Lageret svarer ikke, så intet blev gemt. Prøv igen om lidt.",
    "auth.revoked": "Facilitatoren har fjernet dig fra bordet; nøglen åbner det ikke længere (lukket, 4001).",
    "auth.too_many_connections": "Nøglen har for mange forbindelser åbne til bordet; lukket (4009). Luk en fane.",
    "seat.moved": "Din plads er flyttet til en anden enhed; denne enhed kan ikke længere handle ved bordet (4001).",
    "store.history_lost": "Lageret har mistet bordets historik (tømt eller gendannet); bordet er standset.",
}


def error_message(code: str, lang: str = "da") -> str:
    return ERROR_CODES[code] if lang == "en" else ERROR_MESSAGES_DA[code]
