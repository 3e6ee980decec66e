"""The chat's persistent store: lines in order across chunks, older states unchanged, and invisible to the
cyclic collector (a long chat once meant two tracked objects per line, and long collector pauses)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.model import CHAT_CHUNK, Chat, ChatLine

AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def lines(count: int) -> list[ChatLine]:
    return [
        ChatLine(seq, f"p{seq % 3}", f"besked {seq}", ("SK-01",) if seq % 5 == 0 else (), AT)
        for seq in range(1, count + 1)
    ]


def chat_of(all_lines: list[ChatLine]) -> Chat | None:
    chat: Chat | None = None
    for line in all_lines:
        chat = Chat.append(chat, line)
    return chat


@given(st.integers(1, 4 * CHAT_CHUNK + 3), st.integers(0, 5 * CHAT_CHUNK))
def test_recent_gives_the_last_lines_oldest_first(count: int, wanted: int) -> None:
    written = lines(count)
    chat = chat_of(written)
    assert chat is not None
    assert chat.length == count
    assert chat.recent() == written
    assert chat.recent(wanted) == (written[-wanted:] if wanted else [])


@given(st.integers(1, 3 * CHAT_CHUNK + 1), st.integers(-2, 3 * CHAT_CHUNK + 4))
def test_line_finds_a_line_by_its_seq_in_any_chunk(count: int, seq: int) -> None:
    written = lines(count)
    chat = chat_of(written)
    assert chat is not None
    assert chat.line(seq) == (written[seq - 1] if 1 <= seq <= count else None)


def test_an_append_leaves_the_older_chat_as_it_was() -> None:
    written = lines(CHAT_CHUNK + 5)
    older = chat_of(written[:-1])
    assert older is not None
    newer = Chat.append(older, written[-1])
    assert older.recent() == written[:-1]
    assert newer.recent() == written
    assert newer.before is older.before  # the full chunks are shared, not copied


def test_a_long_chat_is_not_tracked_by_the_collector_line_by_line() -> None:
    chat = chat_of(lines(10 * CHAT_CHUNK))
    gc.collect()
    gc.collect()  # a tuple is untracked once the tuples in it are: a chunk in the pass after its rows
    nodes, tracked_rows = 0, 0
    node = chat
    while node is not None:
        nodes += 1
        tracked_rows += gc.is_tracked(node.rows) + sum(gc.is_tracked(row) for row in node.rows)
        node = node.before
    assert nodes == 10  # one tracked object per chunk of lines
    assert tracked_rows == 0
