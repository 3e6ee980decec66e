"""Building logs for tests: a played game (events + the state after each) written as a table log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from engine.archive import TableLog, build_table_log, event_line
from engine.deck import Deck
from engine.model import Event

STORED = datetime(2026, 9, 1, 8, 0, 0, 123456, tzinfo=UTC)


def table_log(deck: Deck, events: Sequence[Event], *, table_id: str = "t1", table_name: str = "Bord 1") -> TableLog:
    """The log an export would write for these events (stored a second apart, with microseconds)."""
    lines = [event_line(seq, STORED + timedelta(seconds=seq, microseconds=seq), e) for seq, e in enumerate(events, 1)]
    return build_table_log(
        deck=deck, table_id=table_id, table_name=table_name, lines=lines, raaderum_version="0.1.0", conference_id="c1"
    )
