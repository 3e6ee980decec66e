"""A chat line the facilitator hid is never shown by a replay, at any position: not before the hide either.

A replay goes up on the projector in the hall afterwards, and the whole log is known. The log itself (the
export, the replay's "download") keeps the line as it was written: the log digest is over it.
"""

from __future__ import annotations

import json

from engine.deck import Deck
from engine.replay import frame, hidden_chat
from engine.views import FACILITATOR_VIEWER, view
from server.operations.archive import Replay, replay_id_of
from tests.replay.logs import HIDDEN_ANNOUNCEMENT, HIDDEN_MESSAGE, moderated_game, table_log

HIDDEN = (9, 14)  # the seqs of the hidden line and the hidden announcement in moderated_game


def test_a_hidden_chat_line_is_shown_as_hidden_at_every_position(deck: Deck) -> None:
    log = table_log(deck, moderated_game(deck))
    assert hidden_chat(log.events) == frozenset(HIDDEN)
    canonical = log.render()
    assert HIDDEN_MESSAGE in canonical
    assert HIDDEN_ANNOUNCEMENT in canonical
    replay = Replay.of(replay_id_of(canonical), log)
    for seq in range(1, log.total + 1):
        data = replay.frame_json(seq)
        text = data.decode()
        for secret in (HIDDEN_MESSAGE, HIDDEN_ANNOUNCEMENT, "idiot", "forkert"):
            assert secret not in text, f"seq {seq} shows {secret!r}"
        shown = json.loads(data)
        chat = {line["seq"]: line for line in shown["view"]["chat"]}
        # Every line posted so far is in its place; the hidden ones without text, before and after the hide.
        assert sorted(chat) == [n for n in (8, 9, 10, 14) if n <= seq], f"seq {seq}"
        for hidden in HIDDEN:
            if hidden in chat:
                assert chat[hidden]["text"] == ""
                assert chat[hidden]["mentions"] == []
        assert shown["hidden_chat"] == [n for n in HIDDEN if n <= seq], f"seq {seq}"
        if 8 in chat:
            assert chat[8]["text"] == "Anna, kan du leve med #SK-01?"
            assert chat[8]["mentions"] == ["SK-01"]
    posted = json.loads(replay.frame_json(9))["event"]
    assert posted["type"] == "message_posted"
    assert posted["text"] == ""
    assert posted["mentions"] == []
    assert posted["player_id"] == "p1"
    assert json.loads(replay.frame_json(14))["event"] == {**log.events[13].model_dump(mode="json"), "text": ""}
    assert json.loads(replay.frame_json(13))["event"]["seq"] == 9


def test_a_log_without_a_hidden_line_replays_the_facilitators_view_unchanged(deck: Deck) -> None:
    events = moderated_game(deck)[:12]  # up to round_resumed: nothing hidden yet
    log = table_log(deck, events)
    state = log.state_at(log.total)
    shown = frame(log, state)
    assert shown.hidden_chat == ()
    assert shown.view == view(state, FACILITATOR_VIEWER)
    assert shown.view.chat[1].text == HIDDEN_MESSAGE  # not hidden in this log: shown as written
