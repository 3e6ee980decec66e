"""The event-store contract: every test runs against SQLite (a real file) and Redis (a real server)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections import Counter

import pytest

from server.store import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    NewEvent,
    StoreError,
    Subscription,
    open_store,
)


def ev(n: int | str, type_: str = "test.event") -> NewEvent:
    return NewEvent(type_, json.dumps({"n": n}))


async def next_signal(sub: Subscription, timeout: float = 5.0) -> tuple[str, int]:
    return await asyncio.wait_for(anext(sub), timeout)


async def wait_for_version(sub: Subscription, stream: str, version: int, timeout: float = 5.0) -> list[int]:
    """Collect the hints for ``stream`` until one says ``version``; returns the versions seen."""
    seen: list[int] = []
    async with asyncio.timeout(timeout):
        async for name, v in sub:
            if name == stream:
                seen.append(v)
                if v >= version:
                    return seen
    raise AssertionError(f"subscription ended before {stream} reached {version}: {seen}")


# ------------------------------------------------------------------ append / read / version


async def test_appends_get_contiguous_seqs_in_order(store: EventStore) -> None:
    before = time.time()
    r1 = await store.append("table:a", 0, [ev(1)])
    r2 = await store.append("table:a", 1, [ev(2), ev(3), ev(4)])
    r3 = await store.append("table:a", 4, [ev(5, "other.type")])
    after = time.time()

    assert r1 == AppendResult(version=1, first_seq=1, duplicate=False)
    assert r2 == AppendResult(version=4, first_seq=2, duplicate=False)
    assert r3 == AppendResult(version=5, first_seq=5, duplicate=False)
    events = await store.read("table:a")
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [json.loads(e.data)["n"] for e in events] == [1, 2, 3, 4, 5]
    assert [e.type for e in events] == ["test.event"] * 4 + ["other.type"]
    assert {e.stream for e in events} == {"table:a"}
    assert all(before - 1 <= e.at <= after + 1 for e in events)
    assert events[1].at == events[2].at == events[3].at  # one append, one timestamp
    assert await store.version("table:a") == 5


async def test_read_after_and_limit(store: EventStore) -> None:
    await store.append("s", 0, [ev(i) for i in range(1, 11)])

    assert [e.seq for e in await store.read("s", after=7)] == [8, 9, 10]
    assert [e.seq for e in await store.read("s", after=2, limit=3)] == [3, 4, 5]
    assert [e.seq for e in await store.read("s", limit=1)] == [1]
    assert await store.read("s", limit=0) == []
    assert await store.read("s", after=10) == []
    assert await store.read("s", after=99) == []
    with pytest.raises(ValueError, match="after must be"):
        await store.read("s", after=-1)
    with pytest.raises(ValueError, match="limit must be"):
        await store.read("s", limit=-1)


async def test_unknown_stream_has_version_zero_and_no_events(store: EventStore) -> None:
    assert await store.version("nobody:here") == 0
    assert await store.read("nobody:here") == []


async def test_streams_are_independent(store: EventStore) -> None:
    await store.append("table:a", 0, [ev(1), ev(2)])
    await store.append("table:b", 0, [ev(1)])
    assert await store.version("table:a") == 2
    assert await store.version("table:b") == 1
    assert [e.stream for e in await store.read("table:b")] == ["table:b"]


# ------------------------------------------------------------------ optimistic concurrency


async def test_expected_version_conflict_raises_and_writes_nothing(store: EventStore) -> None:
    await store.append("s", 0, [ev(1), ev(2)])

    with pytest.raises(ConcurrencyError) as behind:
        await store.append("s", 1, [ev("stale")])
    assert (behind.value.expected, behind.value.actual) == (1, 2)
    with pytest.raises(ConcurrencyError) as ahead:
        await store.append("s", 5, [ev("future"), ev("future")])
    assert (ahead.value.expected, ahead.value.actual) == (5, 2)
    with pytest.raises(ConcurrencyError):
        await store.append("new-stream", 3, [ev(1)])

    assert await store.version("s") == 2
    assert [json.loads(e.data)["n"] for e in await store.read("s")] == [1, 2]
    assert await store.version("new-stream") == 0
    assert "new-stream" not in await store.streams()


async def test_concurrent_appends_at_the_same_version_exactly_one_wins(store: EventStore) -> None:
    await store.append("race", 0, [ev("seed")])

    results = await asyncio.gather(*(store.append("race", 1, [ev(i)]) for i in range(50)), return_exceptions=True)

    wins = [r for r in results if isinstance(r, AppendResult)]
    conflicts = [r for r in results if isinstance(r, ConcurrencyError)]
    assert len(wins) == 1, results
    assert len(conflicts) == 49, results
    assert wins[0] == AppendResult(version=2, first_seq=2, duplicate=False)
    assert all(c.actual == 2 for c in conflicts)
    assert [e.seq for e in await store.read("race")] == [1, 2]


async def test_retry_loop_from_20_tasks_stores_each_append_exactly_once(store: EventStore) -> None:
    async def writer(w: int) -> int:
        retries = 0
        for i in range(10):
            while True:
                version = await store.version("busy")
                try:
                    await store.append("busy", version, [ev(f"{w}-{i}")])
                    break
                except ConcurrencyError:
                    retries += 1
                    await asyncio.sleep(random.random() * 0.001)
        return retries

    retries = await asyncio.gather(*(writer(w) for w in range(20)))

    events = await store.read("busy")
    assert [e.seq for e in events] == list(range(1, 201))
    payloads = Counter(json.loads(e.data)["n"] for e in events)
    assert payloads == Counter(f"{w}-{i}" for w in range(20) for i in range(10))
    assert sum(retries) > 0  # the tasks really did collide
    for w in range(20):  # each writer's own appends keep their order
        mine = [json.loads(e.data)["n"] for e in events if json.loads(e.data)["n"].startswith(f"{w}-")]
        assert mine == [f"{w}-{i}" for i in range(10)]


# ------------------------------------------------------------------ idempotency


async def test_same_command_id_twice_is_a_duplicate(store: EventStore) -> None:
    first = await store.append("s", 0, [ev(1), ev(2)], command_id="cmd-1")
    again = await store.append("s", 2, [ev(1), ev(2)], command_id="cmd-1")

    assert first == AppendResult(version=2, first_seq=1, duplicate=False)
    assert again == dataclasses.replace(first, duplicate=True)
    assert await store.version("s") == 2


async def test_duplicate_command_id_wins_over_a_stale_expected_version(store: EventStore) -> None:
    first = await store.append("s", 0, [ev("a")], command_id="cmd-a")
    await store.append("s", 1, [ev("b")], command_id="cmd-b")
    await store.append("s", 2, [ev("c")])

    # A client retrying after a lost reply still holds its old expected version.
    retry = await store.append("s", 0, [ev("a")], command_id="cmd-a")
    far_off = await store.append("s", 42, [ev("a")], command_id="cmd-a")

    assert retry == far_off == dataclasses.replace(first, duplicate=True)
    assert [json.loads(e.data)["n"] for e in await store.read("s")] == ["a", "b", "c"]


async def test_command_ids_are_per_stream(store: EventStore) -> None:
    a = await store.append("table:a", 0, [ev(1)], command_id="same")
    b = await store.append("table:b", 0, [ev(1)], command_id="same")
    assert not a.duplicate
    assert not b.duplicate
    assert await store.version("table:a") == await store.version("table:b") == 1


async def test_a_rejected_append_does_not_record_its_command_id(store: EventStore) -> None:
    await store.append("s", 0, [ev(1)])
    with pytest.raises(ConcurrencyError):
        await store.append("s", 0, [ev("x")], command_id="cmd-x")
    result = await store.append("s", 1, [ev("x")], command_id="cmd-x")
    assert result == AppendResult(version=2, first_seq=2, duplicate=False)


async def test_concurrent_retries_of_one_command_append_once(store: EventStore) -> None:
    results = await asyncio.gather(
        *(store.append("s", 0, [ev("once")], command_id="cmd") for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, AppendResult) for r in results), results
    assert sum(not r.duplicate for r in results if isinstance(r, AppendResult)) == 1
    assert {(r.version, r.first_seq) for r in results if isinstance(r, AppendResult)} == {(1, 1)}
    assert len(await store.read("s")) == 1


@pytest.mark.parametrize("command_id", ["", None])
async def test_empty_command_id_is_rejected_and_none_means_no_id(store: EventStore, command_id: str | None) -> None:
    if command_id == "":
        with pytest.raises(ValueError, match="command_id must be"):
            await store.append("s", 0, [ev(1)], command_id=command_id)
        assert await store.version("s") == 0
    else:
        await store.append("s", 0, [ev(1)], command_id=command_id)
        await store.append("s", 1, [ev(1)], command_id=command_id)
        assert await store.version("s") == 2


# ------------------------------------------------------------------ atomicity


async def test_multi_event_append_is_atomic(store: EventStore) -> None:
    await store.append("s", 0, [ev(0)])
    # The second event cannot be encoded (a lone surrogate): the first must not be stored either.
    bad = [ev(1), NewEvent("test.event", '{"n": "\ud800"}'), ev(3)]
    with pytest.raises(ValueError, match=r"surrogate|encode"):  # each backend's codec says so
        await store.append("s", 1, bad)
    assert await store.version("s") == 1
    assert [e.seq for e in await store.read("s")] == [1]
    assert await store.append("s", 1, [ev(1), ev(2)]) == AppendResult(3, 2, False)


async def test_one_failing_append_does_not_affect_concurrent_ones(store: EventStore) -> None:
    bad = [NewEvent("test.event", "\udfff")]
    await store.append("e", 0, [ev(1)])
    results = await asyncio.gather(
        store.append("a", 0, [ev(1)]),
        store.append("b", 0, bad),
        store.append("c", 0, [ev(1), ev(2)]),
        store.append("e", 0, [ev("conflict")]),
        store.append("d", 0, [ev(1)], command_id="x"),
        return_exceptions=True,
    )
    assert results[0] == AppendResult(1, 1, False)
    assert isinstance(results[1], ValueError)
    assert results[2] == AppendResult(2, 1, False)
    assert isinstance(results[3], ConcurrencyError)
    assert results[4] == AppendResult(1, 1, False)
    assert [await store.version(s) for s in "abcde"] == [1, 0, 2, 1, 1]


async def test_concurrent_multi_event_appends_never_interleave(store: EventStore) -> None:
    async def writer(w: int) -> None:
        while True:
            version = await store.version("s")
            try:
                await store.append("s", version, [ev(f"{w}.{k}") for k in range(5)])
                return
            except ConcurrencyError:
                await asyncio.sleep(0)

    await asyncio.gather(*(writer(w) for w in range(10)))

    values = [json.loads(e.data)["n"] for e in await store.read("s")]
    assert len(values) == 50
    for start in range(0, 50, 5):
        w = values[start].split(".")[0]
        assert values[start : start + 5] == [f"{w}.{k}" for k in range(5)]


async def test_empty_append_is_rejected(store: EventStore) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        await store.append("s", 0, [])
    with pytest.raises(ValueError, match="at least one event"):
        await store.append("s", 0, [], command_id="c")
    assert await store.version("s") == 0
    assert await store.streams() == []


async def test_bad_arguments_are_rejected(store: EventStore) -> None:
    with pytest.raises(ValueError, match="expected_version must be"):
        await store.append("s", -1, [ev(1)])
    with pytest.raises(ValueError, match="stream must be"):
        await store.append("", 0, [ev(1)])
    with pytest.raises(ValueError, match="not a NewEvent"):
        await store.append("s", 0, [("type", "{}")])  # type: ignore[list-item]
    assert await store.version("s") == 0


# ------------------------------------------------------------------ subscribe


async def test_subscribe_signals_each_append(store: EventStore) -> None:
    async with store.subscribe() as sub:
        await store.append("table:a", 0, [ev(1)])
        assert await next_signal(sub) == ("table:a", 1)
        await store.append("table:a", 1, [ev(2), ev(3)])
        assert await next_signal(sub) == ("table:a", 3)
        await store.append("table:b", 0, [ev(1)])
        assert await next_signal(sub) == ("table:b", 1)


async def test_no_signal_for_duplicates_or_conflicts(store: EventStore) -> None:
    async with store.subscribe() as sub:
        await store.append("s", 0, [ev(1)], command_id="c")
        assert await next_signal(sub) == ("s", 1)
        await store.append("s", 0, [ev(1)], command_id="c")
        with pytest.raises(ConcurrencyError):
            await store.append("s", 0, [ev(2)])
        await store.append("marker", 0, [ev(1)])
        assert await next_signal(sub) == ("marker", 1)


async def test_every_subscriber_gets_the_signal(store: EventStore) -> None:
    async with store.subscribe() as one, store.subscribe() as two:
        await store.append("s", 0, [ev(1)])
        assert await next_signal(one) == ("s", 1)
        assert await next_signal(two) == ("s", 1)


async def test_slow_subscriber_catches_up_to_the_latest_version(store: EventStore) -> None:
    async with store.subscribe() as sub:
        for v in range(20):
            await store.append("s", v, [ev(v)])
        seen = await wait_for_version(sub, "s", 20)
        assert seen == sorted(seen)
        assert seen[-1] == 20


async def test_subscription_ends_when_the_consumer_closes_it(store: EventStore) -> None:
    sub = store.subscribe()
    await sub.ready()
    await sub.aclose()
    await store.append("s", 0, [ev(1)])
    assert [s async for s in sub] == []


async def test_subscription_ends_when_the_store_closes(store_url: str) -> None:
    store = open_store(store_url)
    sub = store.subscribe()
    await sub.ready()
    consumer = asyncio.create_task(anext(sub, None))
    await asyncio.sleep(0.01)
    await store.close()
    assert await asyncio.wait_for(consumer, 5) is None
    late = store.subscribe()
    assert [s async for s in late] == []


async def test_redis_subscriber_sees_appends_from_another_store_object(redis_url: str) -> None:
    writer, reader = open_store(redis_url), open_store(redis_url)
    try:
        async with reader.subscribe() as sub:
            await writer.append("table:x", 0, [ev(1)])
            assert await next_signal(sub) == ("table:x", 1)
            await writer.append("table:x", 1, [ev(2)])
            assert await next_signal(sub) == ("table:x", 2)
            assert [e.seq for e in await reader.read("table:x")] == [1, 2]
    finally:
        await writer.close()
        await reader.close()


# ------------------------------------------------------------------ streams / delete_stream


async def test_streams_lists_existing_streams_by_prefix(store: EventStore) -> None:
    assert await store.streams() == []
    for name in ["table:abc123", "table:def-456", "conference:xyz", "table", "tablet:1"]:
        await store.append(name, 0, [ev(1)])
    await store.set_key("table:not-a-stream", "1")

    assert await store.streams() == sorted(["table:abc123", "table:def-456", "conference:xyz", "table", "tablet:1"])
    assert await store.streams("table:") == ["table:abc123", "table:def-456"]
    assert await store.streams("conference:") == ["conference:xyz"]
    assert await store.streams("table:abc123") == ["table:abc123"]
    assert await store.streams("nothing") == []
    assert await store.streams("t*") == []  # the prefix is literal, not a pattern
    assert await store.streams("table:[a]") == []


async def test_delete_stream_forgets_events_and_command_ids(store: EventStore) -> None:
    await store.append("table:gone", 0, [ev(1), ev(2)], command_id="c1")
    await store.append("table:kept", 0, [ev(1)], command_id="c1")

    await store.delete_stream("table:gone")
    await store.delete_stream("never:existed")

    assert await store.version("table:gone") == 0
    assert await store.read("table:gone") == []
    assert await store.streams() == ["table:kept"]
    again = await store.append("table:gone", 0, [ev("new")], command_id="c1")
    assert again == AppendResult(1, 1, False)
    assert await store.append("table:kept", 1, [ev(1)], command_id="c1") == AppendResult(1, 1, True)


# ------------------------------------------------------------------ key-value


async def test_key_value(store: EventStore) -> None:
    assert await store.get_key("join:ABCD") is None
    assert await store.set_key("join:ABCD", "table:1") is True
    assert await store.get_key("join:ABCD") == "table:1"
    assert await store.set_key("join:ABCD", "table:2") is True
    assert await store.get_key("join:ABCD") == "table:2"

    assert await store.set_key("join:ABCD", "table:3", only_if_absent=True) is False
    assert await store.get_key("join:ABCD") == "table:2"
    assert await store.set_key("secret", "Æø å ✓", only_if_absent=True) is True
    assert await store.get_key("secret") == "Æø å ✓"

    await store.delete_key("join:ABCD")
    await store.delete_key("join:never")
    assert await store.get_key("join:ABCD") is None
    assert await store.set_key("join:ABCD", "table:4", only_if_absent=True) is True
    assert await store.streams() == []


async def test_only_if_absent_has_exactly_one_winner(store: EventStore) -> None:
    results = await asyncio.gather(*(store.set_key("code", f"t{i}", only_if_absent=True) for i in range(20)))
    assert results.count(True) == 1
    assert await store.get_key("code") == f"t{results.index(True)}"


# ------------------------------------------------------------------ data fidelity and durability

PAYLOADS = [
    json.dumps({"title": "Æblegrød ½ mio. kr.", "amount": -0.5}, ensure_ascii=False),
    json.dumps({"title": "Æblegrød ½ mio. kr."}),  # \u escapes must survive unchanged too
    json.dumps({"nested": {"list": [1, 2.5, None, True, {"deep": ["ø", {"x": []}]}]}, "emoji": "🎲"}),
    '{ "spacing" :  "kept",\n\t"order": ["z", "a"] }',
    '{"quote": "\\"", "backslash": "\\\\", "nul": "\\u0000", "raw_nul": "\x00"}',
    '"just a string"',
    "",
    "x" * 100_000,
]


async def test_data_is_returned_byte_for_byte(store: EventStore) -> None:
    await store.append("s", 0, [NewEvent("budget.cut·Æ", p) for p in PAYLOADS])
    events = await store.read("s")
    assert [e.data for e in events] == PAYLOADS
    assert [e.data.encode() for e in events] == [p.encode() for p in PAYLOADS]
    assert {e.type for e in events} == {"budget.cut·Æ"}


async def test_events_survive_close_and_reopen(store_url: str) -> None:
    first = open_store(store_url)
    await first.append("table:durable", 0, [NewEvent("a", PAYLOADS[0]), NewEvent("b", "{}")], command_id="c")
    await first.set_key("join:X", "table:durable")
    await first.close()

    second = open_store(store_url)
    try:
        events = await second.read("table:durable")
        assert [(e.seq, e.type, e.data) for e in events] == [(1, "a", PAYLOADS[0]), (2, "b", "{}")]
        assert await second.version("table:durable") == 2
        assert await second.get_key("join:X") == "table:durable"
        assert (await second.append("table:durable", 0, [ev(1)], command_id="c")).duplicate
    finally:
        await second.close()


async def test_closed_store_refuses_work(store_url: str) -> None:
    store = open_store(store_url)
    await store.append("s", 0, [ev(1)])
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreError):
        await store.append("s", 1, [ev(2)])
    with pytest.raises(StoreError):
        await store.read("s")


# ------------------------------------------------------------------ rewrite (erasing personal data)


async def test_rewrite_replaces_data_and_keeps_seqs_times_and_version(store: EventStore) -> None:
    await store.append("t", 0, [ev(1), ev(2), ev(3)], command_id="c1")
    before = await store.read("t")
    await store.rewrite("t", {2: NewEvent("test.erased", json.dumps({"n": "erased"}))})
    after = await store.read("t")
    assert [(e.seq, e.at) for e in after] == [(e.seq, e.at) for e in before]
    assert [e.data for e in after] == [before[0].data, json.dumps({"n": "erased"}), before[2].data]
    assert after[1].type == "test.erased"
    assert await store.version("t") == 3
    # The command ids are gone with the text they were a digest of; appends go on at the version.
    result = await store.append("t", 3, [ev(4)], command_id="c1")
    assert (result.version, result.duplicate) == (4, False)
    with pytest.raises(KeyError):
        await store.rewrite("t", {9: ev(9)})
