"""The protocol and operations docs against the code: schemas current, every code, frame, event and setting named."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from engine import COMMAND_ADAPTER
from engine.errors import MESSAGES, RULE_CODES
from engine.model import Command, Event
from server.settings import Settings
from server.transport import protocol

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_MD = ROOT / "docs" / "protocol.md"
OPERATIONS_MD = ROOT / "docs" / "operations.md"


def _generate_schemas() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_schemas", ROOT / "scripts" / "generate_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schemas() -> ModuleType:
    return _generate_schemas()


@pytest.fixture(scope="module")
def protocol_md() -> str:
    return PROTOCOL_MD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def operations_md() -> str:
    return OPERATIONS_MD.read_text(encoding="utf-8")


CLIENT_FRAMES = ("hello", "ping", *protocol.WIRE_COMMANDS)
SERVER_FRAMES = ("snapshot", "event", "ack", "error", "presence", "heartbeat", "pong")


def _union_members(annotated: Any) -> list[type[BaseModel]]:
    return list(get_args(get_args(annotated)[0]))


def _type_of(model: type[BaseModel]) -> str:
    value = model.model_fields["type"].default
    assert isinstance(value, str)
    return value


# ---- generated schemas --------------------------------------------------------------------------


def test_every_schema_file_is_what_the_script_generates(schemas: ModuleType) -> None:
    for relative, source in schemas.SCHEMAS.items():
        path = ROOT / relative
        assert path.exists(), f"{relative} is missing: run python scripts/generate_schemas.py"
        assert path.read_text(encoding="utf-8") == schemas.render(source), (
            f"{relative} is stale: run python scripts/generate_schemas.py"
        )
    assert schemas.main(["--check"]) == 0


def test_every_frame_has_a_schema_and_no_schema_is_left_over(schemas: ModuleType) -> None:
    expected = {f"docs/protocol/{name}.schema.json" for name in (*CLIENT_FRAMES, *SERVER_FRAMES)}
    assert expected <= set(schemas.SCHEMAS)
    on_disk = {str(path.relative_to(ROOT)) for path in (ROOT / "docs" / "protocol").glob("*.schema.json")}
    assert on_disk == expected, "a schema file under docs/protocol/ that the script does not write"


def test_the_check_fails_when_a_model_changed_without_regenerating(
    schemas: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    monkeypatch.setattr(schemas, "ROOT", tmp_path)
    assert schemas.main(["--check"]) == 0

    class Changed(protocol.Ack):
        extra: int = 0

    monkeypatch.setitem(schemas.SCHEMAS, "docs/protocol/ack.schema.json", schemas.server_frame(Changed))
    assert schemas.main(["--check"]) == 1
    assert schemas.main([]) == 0  # regenerating fixes it
    assert schemas.main(["--check"]) == 0


@pytest.mark.parametrize("wire_type", protocol.WIRE_COMMANDS)
def test_command_frame_schemas_are_the_engine_commands_without_at_plus_id(wire_type: str) -> None:
    schema = json.loads((ROOT / "docs" / "protocol" / f"{wire_type}.schema.json").read_text(encoding="utf-8"))
    [model] = [m for m in _union_members(Command) if _type_of(m) == wire_type]
    assert set(schema["properties"]) == (set(model.model_fields) - {"at"}) | {"id"}
    assert schema["properties"]["type"]["const"] == wire_type
    assert schema["properties"]["id"]["maxLength"] == protocol.MAX_ID
    assert {"type", "id"} <= set(schema["required"])
    assert "at" not in schema["required"]
    assert schema["additionalProperties"] is False


def test_every_command_the_server_accepts_has_a_frame_and_every_event_is_in_the_event_schema() -> None:
    commands = {_type_of(model) for model in _union_members(Command)}
    # Seats are joined and handed over by the server (POST /api/join, POST /api/join/claim), never by a frame.
    assert set(protocol.WIRE_COMMANDS) == commands - {"create_game", "join", "hand_over_seat"}
    event_schema = json.loads((ROOT / "docs" / "protocol" / "event.schema.json").read_text(encoding="utf-8"))
    definitions = event_schema["$defs"].values()  # the events, and the models of the frame's `derived`
    documented = {d["properties"]["type"]["const"] for d in definitions if "type" in d.get("properties", {})}
    assert {_type_of(model) for model in _union_members(Event)} <= documented


# ---- docs/protocol.md ---------------------------------------------------------------------------


def test_protocol_doc_lists_every_server_error_code_with_its_message(protocol_md: str) -> None:
    for code, message in protocol.ERROR_CODES.items():
        assert f"| `{code}` | {message} |" in protocol_md, f"{code} is not in the server codes table of protocol.md"


def test_protocol_doc_lists_the_refusals_of_creating_a_conference(protocol_md: str) -> None:
    http_errors = protocol_md[protocol_md.index("HTTP errors carry a code") :].split("\n\n")[0]
    source = (ROOT / "server" / "api" / "conferences.py").read_text(encoding="utf-8")
    for code in ("conference.unknown_deck", "conference.target_unreachable"):
        assert f'"{code}"' in source
        assert f"`{code}` (422" in http_errors, f"{code} is not in protocol.md's list of HTTP errors"


def test_every_server_error_code_has_a_danish_message_too() -> None:
    assert set(protocol.ERROR_MESSAGES_DA) == set(protocol.ERROR_CODES)
    assert all(protocol.ERROR_MESSAGES_DA[code] != english for code, english in protocol.ERROR_CODES.items())


def test_protocol_doc_lists_every_rule_violation_with_its_english_message(protocol_md: str) -> None:
    for code, (_, english) in MESSAGES.items():
        assert f"| `{code}` | {english} |" in protocol_md, f"{code} is not in the rule violations table of protocol.md"
    # And no other: the table's codes are exactly the RuleCode type's.
    table = protocol_md.split("### Rule violations", 1)[1].split("\n#", 1)[0]
    assert set(re.findall(r"^\| `([a-z_.]+)` \|", table, flags=re.MULTILINE)) == RULE_CODES


def test_protocol_doc_lists_every_close_code(protocol_md: str) -> None:
    constants = {name: value for name, value in vars(protocol).items() if name.startswith("CLOSE_")}
    assert constants
    for name, value in constants.items():
        assert f"| {value} | `{name}` |" in protocol_md, f"close code {name} = {value} is not in protocol.md"


def test_protocol_doc_describes_every_frame_and_event(protocol_md: str) -> None:
    for frame in (*CLIENT_FRAMES, *SERVER_FRAMES):
        assert f"(protocol/{frame}.schema.json)" in protocol_md, f"no link to the {frame} frame's schema"
    for model in _union_members(Event):
        assert f"| `{_type_of(model)}` |" in protocol_md, f"event {_type_of(model)} is not in protocol.md"


def test_protocol_doc_states_the_limits_of_the_code(protocol_md: str) -> None:
    from engine.model import MAX_CHAT, MAX_NAME
    from engine.views import CHAT_IN_SNAPSHOT
    from server.transport.sessions import MAX_REPLAY

    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert defaults["max_frame_bytes"] == 16 * 1024
    assert "16 KiB" in protocol_md
    assert f"{defaults['frames_per_second']:g} frames a second, bursts of {defaults['frame_burst']}" in protocol_md
    assert f"{defaults['send_queue_frames']:,} frames" in protocol_md
    assert f"{defaults['heartbeat_seconds']:g} seconds" in protocol_md
    assert f"within {defaults['hello_timeout_seconds']:g} s" in protocol_md
    assert f"1-{MAX_CHAT} characters" in protocol_md
    assert f"1-{MAX_NAME} characters" in protocol_md
    assert f"at most {MAX_REPLAY} events behind" in protocol_md
    assert f"the last {CHAT_IN_SNAPSHOT} lines" in protocol_md
    assert f"1-{protocol.MAX_ID} characters" in protocol_md


def _example_frames(text: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(who, arrow, frame) for every JSON frame in the worked example's code blocks."""
    example = text[text.index("## A game over the wire") :]
    decoder = json.JSONDecoder()
    frames = []
    for match in re.finditer(r"^([a-z, ]+) (→|←) \{", example, flags=re.MULTILINE):
        frame, _ = decoder.raw_decode(example, match.end() - 1)
        frames.append((match.group(1), match.group(2), frame))
    return frames


SERVER_MODELS: dict[str, type[protocol.Frame]] = {
    "snapshot": protocol.Snapshot,
    "event": protocol.EventFrame,
    "ack": protocol.Ack,
    "error": protocol.Error,
    "presence": protocol.Presence,
    "heartbeat": protocol.Heartbeat,
    "pong": protocol.Pong,
}


def test_the_worked_example_frames_fit_the_models(protocol_md: str) -> None:
    frames = _example_frames(protocol_md)
    assert len(frames) > 40
    invalid = {frame["id"] for _, _, frame in frames if frame["type"] == "error" and frame["code"] == "frame.invalid"}
    for _, arrow, frame in frames:
        if arrow == "←":
            SERVER_MODELS[frame["type"]].model_validate(frame)
            for key in SERVER_MODELS[frame["type"]].model_fields:
                assert key in frame, f"{key} missing from {frame}"
        elif frame["type"] == "hello":
            protocol.Hello.model_validate(frame)
        elif frame["type"] == "ping":
            protocol.Ping.model_validate(frame)
        else:
            command = {key: value for key, value in frame.items() if key != "id"}
            if frame["id"] in invalid:
                with pytest.raises(ValidationError):
                    COMMAND_ADAPTER.validate_python({**command, "at": datetime.now(UTC)})
            else:
                COMMAND_ADAPTER.validate_python({**command, "at": datetime.now(UTC)})
    sent = {frame["id"] for _, arrow, frame in frames if arrow == "→" and "id" in frame}
    answered = {frame["id"] for _, _, frame in frames if frame["type"] in ("ack", "error", "pong")}
    assert answered <= sent


def test_the_worked_example_shows_every_step_the_brief_asks_for(protocol_md: str) -> None:
    frames = _example_frames(protocol_md)
    types = {frame["type"] for _, _, frame in frames}
    events = {frame["event"]["type"] for _, _, frame in frames if frame["type"] == "event"}
    assert {"hello", "snapshot", "chat", "propose", "vote", "ack", "error", "presence", "pong"} <= types
    assert {"message_posted", "proposal_made", "vote_cast", "proposal_adopted", "roles_dealt"} <= events
    assert any(frame["type"] == "hello" and frame["after"] > 0 for _, _, frame in frames), "a reconnect"
    assert any(frame["type"] == "ack" and frame["duplicate"] for _, _, frame in frames), "a retried id"
    assert "POST /api/conferences" in protocol_md
    assert "POST /api/join" in protocol_md


def test_local_links_in_the_docs_exist(protocol_md: str, operations_md: str) -> None:
    for text in (protocol_md, operations_md):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (ROOT / "docs" / target).exists(), f"broken link to {target}"


# ---- docs/operations.md -------------------------------------------------------------------------


def _env_names(name: str, field: Any) -> list[str]:
    alias = field.validation_alias
    if alias is not None:
        return [str(choice) for choice in alias.choices]
    return [f"RAADERUM_{name.upper()}"]


def test_operations_doc_has_every_setting_with_its_default(operations_md: str) -> None:
    for name, field in Settings.model_fields.items():
        env = _env_names(name, field)[0]
        assert f"`{env}`" in operations_md, f"{env} is not in the configuration table of operations.md"
    for env in ("PORT", "WEB_CONCURRENCY"):
        assert f"`{env}`" in operations_md
