"""A websocket frame fuzzer: at least 10,000 generated frames at one real server, no dropped connection, no traceback.

Hypothesis generates batches of frames: any JSON, command frames with wrong or odd fields, raw text, deep nesting
(up to 2,500 levels, under the 16 KB frame limit), numbers JSON cannot hold (`1e999`) and binary frames that are
not UTF-8. After each batch a ping must come back as a pong on the same connection: every bad frame got an error
frame, none ended it. The `start_server` fixture fails the test if the server logged a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from server.transport.protocol import WIRE_COMMANDS
from tests.server.conftest import StartServer
from tests.server.helpers import NO_RATE_LIMIT

BATCH = 50
BATCHES = 210  # 10,500 frames
FIELDS = ("text", "card_id", "proposal_id", "choice", "player_id", "rule", "seconds", "message_id", "after", "token")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
command_frames = st.fixed_dictionaries(
    {"type": st.sampled_from((*WIRE_COMMANDS, "ping", "hello", "pong", "")), "id": st.text(max_size=70) | json_values},
    optional={name: json_values for name in FIELDS},
).map(json.dumps)
deep = st.integers(1, 2500).flatmap(
    lambda depth: st.sampled_from(
        ("[" * depth, "{" * depth, '{"a":' * depth, '{"type":"chat","id":"d","text":' + "[" * depth)
    )
)
odd_numbers = st.sampled_from(
    ("1e999", "-1e999", '{"type":"chat","id":"n","text":1e999}', '{"type":"vote","id":"n","choice":NaN}')
)
frames: st.SearchStrategy[str | bytes] = st.one_of(
    command_frames,
    json_values.map(json.dumps),
    st.text(max_size=200),
    deep,
    odd_numbers,
    st.binary(max_size=200),  # sent as binary frames: mostly not UTF-8
)


class Batch(list[str | bytes]):
    """A batch of frames whose repr stays short (Hypothesis prints each example; deep nesting is 12 KB)."""

    def __repr__(self) -> str:
        return f"Batch({[frame[:60] for frame in self]!r})"


def _round_trip(ws: ClientConnection, batch: list[str | bytes], tag: int) -> int:
    """Send the batch, then a ping; returns the frames received before its pong (each a JSON object)."""
    for frame in batch:
        ws.send(frame)
    ws.send(json.dumps({"type": "ping", "id": f"fuzz-{tag}"}))
    received = 0
    while True:
        reply: Any = json.loads(ws.recv(timeout=30))
        assert isinstance(reply, dict), reply
        assert isinstance(reply.get("type"), str), reply
        if reply == {"type": "pong", "id": f"fuzz-{tag}"}:
            return received
        received += 1


def test_generated_frames_never_end_the_connection(start_server: StartServer, tmp_path: Any) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'fuzz.db'}", env=NO_RATE_LIMIT)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post("/api/conferences", json={"name": "Fuzz", "tables": 1}).json()
        joined = http.post("/api/join", json={"code": created["tables"][0]["join_code"], "name": "Anna"}).json()
    # Hypothesis generates the batches before the socket opens: its check that strategies leave the `random`
    # module alone would see the websocket client's thread use it.
    batches: list[Batch] = []

    @settings(
        max_examples=BATCHES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(st.lists(frames, min_size=BATCH, max_size=BATCH).map(Batch))
    def generate(batch: Batch) -> None:
        batches.append(batch)

    generate()
    sent = replies = 0
    with connect(f"{server.ws_url}/ws/tables/{joined['table_id']}", max_size=2**22) as ws:
        ws.send(json.dumps({"type": "hello", "token": joined["token"], "after": 0}))
        for number, batch in enumerate(batches):
            try:
                replies += _round_trip(ws, batch, number)
            except Exception as error:
                raise AssertionError(f"batch {number} ended the connection or went unanswered: {batch!r}") from error
            sent += len(batch)
    print(f"{sent} frames sent, {replies} frames answered, the connection stayed open")
    assert sent >= 10_000
