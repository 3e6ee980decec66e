"""A broken log is refused with the line and the reason, and nothing of it is imported.

Every case starts from the committed fixture and breaks one thing the way a file breaks in the wild: an
edit by hand, a truncated download, a log from a newer release, a deck changed after the game.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.archive import ArchiveError, build_conference, read_archive
from engine.deck import Deck
from engine.model import FACILITATOR, Actor, Join, PostMessage, StartRound
from server.operations.archive import Replays, replay_id_of, replay_key
from server.store import open_store
from tests.engine.test_properties import T0, play
from tests.replay.logs import table_log

Lines = list[str]


def edit(text: str, change: Callable[[Lines], None]) -> str:
    lines = text.split("\n")[:-1]  # the file ends with a newline
    change(lines)
    return "\n".join(lines) + "\n"


def edit_json(line: int, change: Callable[[dict[str, Any]], None]) -> Callable[[Lines], None]:
    """Change the JSON object on a (1-based) line."""

    def run(lines: Lines) -> None:
        value = json.loads(lines[line - 1])
        change(value)
        lines[line - 1] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    return run


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def run(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]  # type: ignore[assignment]
        if value is KeyError:
            del obj[last]
        else:
            obj[last] = value

    return run


def _replace(line: int, text: str) -> Callable[[Lines], None]:
    def run(lines: Lines) -> None:
        lines[line - 1] = text

    return run


CASES: dict[str, tuple[Callable[[Lines], None], int, str]] = {
    # The header.
    "header not JSON": (_replace(1, '{"format":"raaderum-log",'), 1, "not JSON"),
    "header of something else": (_replace(1, '{"format":"csv"}'), 1, "not a Råderum log header"),
    "header without its table": (edit_json(1, _set("table", KeyError)), 1, "header: table: Field required"),
    "header of a newer format": (edit_json(1, _set("format_version", 2)), 1, "format_version 2 is newer"),
    "header with an unknown field": (edit_json(1, _set("exported_by", "x")), 1, "exported_by: Extra inputs"),
    "deck hash wrong": (edit_json(1, _set("deck_digest", "0" * 64)), 1, "does not match the embedded deck"),
    "deck changed, hash kept": (
        edit_json(1, _set("deck.cards.0.amounts", [9.0, 9.0, 9.0, 9.0])),
        1,
        "does not match the embedded deck",
    ),
    "deck invalid": (edit_json(1, _set("deck.cards.0.title", KeyError)), 1, "header: deck.cards.0.title: Field"),
    "deck refers to a card it lacks": (
        edit_json(1, _set("deck.cards.0.requires", ["ZZ-99"])),
        1,
        "requires: unknown card 'ZZ-99'",
    ),
    "deck id not the deck's": (edit_json(1, _set("deck_id", "roskilde")), 1, "is not the embedded deck's id"),
    # The events.
    "a line cut short": (lambda lines: lines.__setitem__(11, lines[11][:80]), 12, "not JSON"),
    "an empty line": (lambda lines: lines.__setitem__(11, ""), 12, "an empty line"),
    "a line that is not an object": (_replace(12, "[1, 2]"), 12, "must be a JSON object"),
    "a field of the line missing": (edit_json(12, _set("version", KeyError)), 12, "version: Field required"),
    "an invalid vote": (edit_json(14, _set("data.choice", "maybe")), 14, "vote_cast version 1: choice: Input"),
    "a gap in seq": (lambda lines: lines.pop(9), 10, "seq 9 expected, found 10 (a gap in the log)"),
    "a repeated line": (lambda lines: lines.insert(10, lines[9]), 11, "seq 10 expected, found 9 (out of order"),
    "types disagree": (edit_json(11, _set("type", "announcement_made")), 11, "the data says type 'message_posted'"),
    "an unknown event type": (
        edit_json(11, lambda v: (v.update(type="message_edited"), v["data"].update(type="message_edited"))),
        11,
        "unknown event type 'message_edited'",
    ),
    "an event from a newer release": (edit_json(11, _set("version", 2)), 11, "message_posted version 2 is newer"),
    "an event version nobody upcasts": (edit_json(11, _set("version", 0)), 11, "no upcaster turns message_posted"),
    "a vote on a proposal that does not exist": (
        edit_json(14, _set("data.proposal_id", "F9")),
        14,
        "the rules cannot apply this vote_cast event here (KeyError",
    ),
    "the game not created first": (lambda lines: lines.pop(1), 2, "seq 1 expected, found 2"),
    "game_created names another deck": (
        edit_json(2, _set("data.deck_digest", "f" * 64)),
        2,
        "the game was created with deck korsbaek ffffffffffff",
    ),
    "a time without a zone": (edit_json(12, _set("at", "2026-11-27T00:40:40")), 12, "at: Input should have timezone"),
    # The file as a whole.
    "truncated": (lambda lines: lines.__delitem__(slice(-2, None)), 42, "the log ends after 40 of the 42 events"),
    "content after the end": (lambda lines: lines.append('{"seq":43}'), 44, "unexpected content after the end"),
    "an event changed after export": (
        edit_json(11, _set("data.text", "Eva Jensen, kan vi tage #SK-02 ud?")),
        1,
        "log_digest does not match the event lines",
    ),
    "the header's count changed": (edit_json(1, _set("table.events", 41)), 1, "log_digest does not match"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_log_is_refused_with_the_line_and_why(log_v1_text: str, case: str) -> None:
    change, line, reason = CASES[case]
    broken = edit(log_v1_text, change)
    with pytest.raises(ArchiveError) as caught:
        read_archive(broken)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")
    assert reason in str(caught.value), str(caught.value)


def test_an_empty_file_and_a_file_of_blank_lines_are_refused() -> None:
    for text in ("", "\n\n  \n"):
        with pytest.raises(ArchiveError, match=r"^line 1: the file is empty$"):
            read_archive(text)


def test_windows_line_ends_and_a_byte_order_mark_are_read_but_reformatted_lines_are_not(log_v1_text: str) -> None:
    text = "\ufeff" + log_v1_text.replace("\n", "\r\n")
    assert read_archive(text).render() == log_v1_text

    # The digest is over the lines as written: a tool that respells the JSON changes the file.
    def respell(lines: Lines) -> None:
        for index, line in enumerate(lines[1:], start=1):
            lines[index] = json.dumps(json.loads(line), indent=None)

    with pytest.raises(ArchiveError, match=r"^line 1: log_digest does not match the event lines"):
        read_archive(edit(log_v1_text, respell))


def test_a_line_separator_in_a_chat_line_does_not_split_the_line(deck: Deck) -> None:
    joins = [(Join(at=T0, player_id=f"p{n}", name=f"P{n}")) for n in range(1, 4)]
    steps = [*((FACILITATOR, join) for join in joins), (FACILITATOR, StartRound(at=T0))]
    steps.append((Actor.player("seat:0"), PostMessage(at=T0, text="før\u2028efter\x85og\u2029så")))
    log, _ = play(deck, steps, seed=1)
    text = table_log(deck, log).render()
    assert "\u2028" in text
    assert read_archive(text).render() == text


async def test_nothing_of_a_refused_conference_log_is_imported(log_v1_text: str, tmp_path: Path) -> None:
    good = read_archive(log_v1_text).tables[0]
    conference = build_conference("fixtureconf1", "Korsbæk budgetseminar", [good, good], "0.1.0").render()
    assert len(read_archive(conference).tables) == 2
    # The second table's vote on line 14 of its own section is broken; the first table is fine.
    lines = conference.split("\n")
    second_start = 1 + 43
    target = second_start + 13
    value = json.loads(lines[target])
    value["data"]["choice"] = "maybe"
    lines[target] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    broken = "\n".join(lines)

    store = open_store(f"sqlite:///{tmp_path / 'events.db'}")
    try:
        replays = Replays(store)
        with pytest.raises(ArchiveError) as caught:
            await replays.add(broken)
        assert caught.value.line == target + 1 == 58
        assert "choice" in caught.value.reason
        # The first table, fine on its own, was not stored either.
        good_id = replay_id_of(good.render())
        assert await store.get_key(replay_key(good_id)) is None
        assert [item.replay_id for item in await replays.add(good.render())] == [good_id]
        assert await store.get_key(replay_key(good_id)) == good.render()
    finally:
        await store.close()


def test_a_conference_log_names_its_tables_conference(log_v1_text: str) -> None:
    good = read_archive(log_v1_text).tables[0]
    text = build_conference("another", "X", [good], "0.1.0").render()
    with pytest.raises(ArchiveError, match=r"^line 2: this table belongs to conference 'fixtureconf1'"):
        read_archive(text)
    assert re.match(r'\{"format":"raaderum-conference"', text)
