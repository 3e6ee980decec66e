"""A game played under rules 2 (tests/fixtures/log-rules2.jsonl) replays as it was played, in this and every later
release: the views every viewer had at its end and its debrief are those the rules-2 release (24ae4cb) computed
(tests/fixtures/log-rules2.expected.json, written by that release). Later releases add fields; every field the old
release had keeps its value. Rules 3 (issue 13) changed voting and made roles public for new games only.

The log was made by tests/fixtures/make_log_v1.py run at 24ae4cb, where RULES_VERSION was 2; like the v1 fixture it
is history and is never regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.archive import read_archive
from engine.debrief import debrief
from engine.model import GameCreated
from engine.views import FACILITATOR_VIEWER, PROJECTOR_VIEWER, Viewer, view

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def old_fields(new: Any, old: Any) -> Any:
    """`new` cut down to the keys `old` has (recursively): what the old release could say."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {key: old_fields(new.get(key), value) for key, value in old.items()}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [old_fields(n, o) for n, o in zip(new, old, strict=True)]
    return new


def test_a_rules_2_game_replays_to_the_views_and_debrief_it_had() -> None:
    log = read_archive((FIXTURES / "log-rules2.jsonl").read_text(encoding="utf-8")).tables[0]
    expected = json.loads((FIXTURES / "log-rules2.expected.json").read_text(encoding="utf-8"))
    created = log.events[0]
    assert isinstance(created, GameCreated)
    assert created.rules == 2
    final = log.final
    viewers = {
        "facilitator": FACILITATOR_VIEWER,
        "projector": PROJECTOR_VIEWER,
        **{f"player {pid}": Viewer("player", pid) for pid in final.players},
    }
    assert set(viewers) == set(expected["views"])
    for name, viewer in viewers.items():
        seen = view(final, viewer).model_dump(mode="json")
        assert old_fields(seen, expected["views"][name]) == expected["views"][name], name
    result = debrief(final, draws=500).model_dump(mode="json")
    assert old_fields(result, expected["debrief"]) == expected["debrief"]


def test_the_rules_2_game_was_played_by_rules_2s_voting() -> None:
    """The crossing vote adopted and ended the round; the other players' roles were hidden from each player."""
    log = read_archive((FIXTURES / "log-rules2.jsonl").read_text(encoding="utf-8")).tables[0]
    rounds = [(r.number, r.adopted, r.end_reason) for r in log.final.rounds]
    assert rounds[0][2] == "adopted"
    for player_id in log.final.players:
        roles = {p.id: p.role for p in view(log.final, Viewer("player", player_id)).players}
        assert all(role is None for pid, role in roles.items() if pid != player_id)
