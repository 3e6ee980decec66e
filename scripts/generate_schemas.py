"""Write the JSON Schemas under docs/ from the pydantic models, so the documented formats cannot drift.

Usage: python scripts/generate_schemas.py [--check]
With --check nothing is written; the exit code is 1 if any schema file is missing or out of date.

Besides the deck format this writes one schema per websocket frame under docs/protocol/ (see
docs/protocol.md): client frames (hello, ping and one per command) and server frames (snapshot, event,
ack, error, presence, heartbeat, pong).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from engine.deck import Deck
from engine.explain import debrief_schema
from engine.model import Command
from server.api import monitor
from server.transport import protocol

ROOT = Path(__file__).resolve().parent.parent

JsonSchema = dict[str, Any]
# What builds one schema: a model's own `model_json_schema`, or a function that adapts one (the frames).
SchemaSource = Callable[[], JsonSchema]


def _command_models() -> dict[str, type[BaseModel]]:
    """The engine's command models by their `type`, read from the `Command` union itself."""
    union = get_args(Command)[0]
    return {model.model_fields["type"].default: model for model in get_args(union)}


def command_frame(wire_type: str) -> Callable[[], JsonSchema]:
    """A command frame: the engine command's schema without `at` (the server stamps it), plus `id`."""

    def build() -> JsonSchema:
        model = _command_models()[wire_type]
        schema = model.model_json_schema()
        properties = schema["properties"]
        del properties["at"]
        properties["type"].pop("default", None)
        properties["id"] = {
            "description": "Chosen by the client, unique per sender and table; the ack or error echoes it. "
            "A command sent again with the same id is recorded once (ack with duplicate: true), so never reuse "
            "an id for another command.",
            "maxLength": protocol.MAX_ID,
            "minLength": 1,
            "title": "Id",
            "type": "string",
        }
        required = [name for name in schema.get("required", []) if name != "at"]
        schema["required"] = ["type", "id", *required]
        schema["title"] = "".join(part.title() for part in wire_type.split("_")) + "Frame"
        schema["description"] = (
            f"The `{wire_type}` command (engine.model.{model.__name__}) as a websocket frame: its fields "
            "without `at`, plus `id`."
        )
        return schema

    return build


def _all_required(schema: JsonSchema) -> JsonSchema:
    """Every property of every object is required: the server always writes every field (None as null)."""
    schema = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                node["required"] = list(node["properties"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


def server_frame(model: type[protocol.Frame]) -> Callable[[], JsonSchema]:
    """A frame the server sends, as serialised: every field is present."""

    def build() -> JsonSchema:
        return _all_required(model.model_json_schema(mode="serialization"))

    return build


CLIENT_FRAMES: dict[str, SchemaSource] = {
    "hello": protocol.Hello.model_json_schema,
    "ping": protocol.Ping.model_json_schema,
    **{wire_type: command_frame(wire_type) for wire_type in protocol.WIRE_COMMANDS},
}
SERVER_FRAMES: dict[str, type[protocol.Frame]] = {
    "snapshot": protocol.Snapshot,
    "event": protocol.EventFrame,
    "ack": protocol.Ack,
    "error": protocol.Error,
    "presence": protocol.Presence,
    "heartbeat": protocol.Heartbeat,
    "pong": protocol.Pong,
}


def protocol_schema_path(frame_type: str) -> str:
    return f"docs/protocol/{frame_type}.schema.json"


# The control room's channel, /ws/conferences/{id} (server/api/monitor.py; docs/conferences.md).
CONFERENCE_FRAMES: dict[str, SchemaSource] = {
    "hello": monitor.ConferenceHello.model_json_schema,
    "overview": lambda: _all_required(monitor.OverviewFrame.model_json_schema(mode="serialization")),
    "tables": lambda: _all_required(monitor.TablesFrame.model_json_schema(mode="serialization")),
    "heartbeat": lambda: _all_required(monitor.ConferenceHeartbeat.model_json_schema(mode="serialization")),
}

# One entry per published schema, path relative to the repository root.
SCHEMAS: dict[str, SchemaSource] = {
    "docs/deck.schema.json": Deck.model_json_schema,
    "docs/debrief.schema.json": debrief_schema,  # GET /api/tables/{table_id}/debrief
    **{protocol_schema_path(name): source for name, source in CLIENT_FRAMES.items()},
    **{protocol_schema_path(name): server_frame(model) for name, model in SERVER_FRAMES.items()},
    **{f"docs/protocol/conference/{name}.schema.json": source for name, source in CONFERENCE_FRAMES.items()},
}


def render(source: SchemaSource) -> str:
    # Sorted keys and a trailing newline keep the file byte-stable, so a test can compare it exactly.
    return json.dumps(source(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report schema files that are out of date")
    args = parser.parse_args(argv)
    stale = []
    for relative, source in SCHEMAS.items():
        path = ROOT / relative
        text = render(source)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    for relative in stale:
        print(f"out of date: {relative} (run python scripts/generate_schemas.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
