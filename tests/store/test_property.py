"""Property: random interleavings of appends with random expected versions keep every stream contiguous and
never store an append that was rejected."""

from __future__ import annotations

import asyncio
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.store import AppendResult, ConcurrencyError, EventStore, NewEvent

# (stream index, expected version, number of events, yields before the append, command id or None)
_append = st.tuples(
    st.integers(0, 2),
    st.integers(0, 6),
    st.integers(1, 3),
    st.integers(0, 3),
    st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"])),
)


@settings(
    max_examples=25,
    deadline=None,
    # The store fixture is shared by the examples; each example uses fresh stream names instead.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(_append, min_size=1, max_size=25))
async def test_random_interleavings_keep_streams_contiguous(
    store: EventStore, ops: list[tuple[int, int, int, int, str | None]]
) -> None:
    run = uuid.uuid4().hex[:8]
    names = [f"prop:{run}:{i}" for i in range(3)]

    async def attempt(i: int, op: tuple[int, int, int, int, str | None]) -> AppendResult | Exception:
        stream_ix, expected, count, yields, command_id = op
        for _ in range(yields):
            await asyncio.sleep(0)
        events = [NewEvent("p", json.dumps({"op": i, "k": k})) for k in range(count)]
        try:
            return await store.append(names[stream_ix], expected, events, command_id=command_id)
        except ConcurrencyError as exc:
            return exc

    outcomes = await asyncio.gather(*(attempt(i, op) for i, op in enumerate(ops)))

    for stream_ix, name in enumerate(names):
        stored = await store.read(name)
        assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
        assert await store.version(name) == len(stored)

        written = {
            i: r
            for i, (op, r) in enumerate(zip(ops, outcomes, strict=True))
            if op[0] == stream_ix and isinstance(r, AppendResult) and not r.duplicate
        }
        by_op: dict[int, list[int]] = {}
        for e in stored:
            by_op.setdefault(json.loads(e.data)["op"], []).append(e.seq)
        # Exactly the appends reported as written are stored, each whole, at the seqs it was told.
        assert set(by_op) == set(written)
        for i, result in written.items():
            assert result.first_seq == ops[i][1] + 1  # written only at the version it expected
            assert by_op[i] == list(range(result.first_seq, result.version + 1))
            assert len(by_op[i]) == ops[i][2]
        assert sum(ops[i][2] for i in written) == len(stored)

        # A duplicate reports the result of the write that owns its command id.
        owners = {ops[i][4]: r for i, r in written.items() if ops[i][4] is not None}
        for op, r in zip(ops, outcomes, strict=True):
            if op[0] == stream_ix and isinstance(r, AppendResult) and r.duplicate:
                assert r == AppendResult(owners[op[4]].version, owners[op[4]].first_seq, True)
            if op[0] == stream_ix and isinstance(r, ConcurrencyError):
                assert r.expected == op[1] != r.actual
