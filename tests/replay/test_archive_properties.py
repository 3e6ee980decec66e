"""Random games written as logs and read back: the replay at every seq is the state the table had live.

The games come from the engine's property strategies (tests/engine/test_properties.py): commands from any
seat in any order, played through decide + evolve as the server does.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import fields

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.archive import CHECKPOINT_EVERY, pseudonymise, read_archive
from engine.deck import Deck
from engine.model import (
    FACILITATOR,
    Actor,
    CastVote,
    Command,
    EndGame,
    Join,
    PlayerJoined,
    PostMessage,
    Propose,
    ShowDebrief,
    StartRound,
    State,
)
from engine.replay import markers
from engine.views import FACILITATOR_VIEWER, view
from tests.engine.test_full_game import FIRST
from tests.engine.test_properties import T0, commands, play
from tests.replay.logs import table_log

CANDIDATES = (
    "Anna Holm", "Mette Frederiksen", "Lars Løkke", "Søren Pind", "Pia Kjærsgaard", "Ida Auken",
    "Jens Rohde", "Naser Khader", "Karen Ellemann", "Margrethe Vestager", "Uffe Elbæk", "Özlem Cekic",
)  # fmt: skip
CHAT = ("{name} har ret", "Enig med {first}s forslag", "{upper}!!", "Kan {first} leve med #SK-01?", "tak {lower}")


def _word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def names_not_in(deck: Deck) -> list[str]:
    """Candidate names none of whose words appear in the deck's texts (the deck is part of every log)."""
    text = json.dumps(deck.model_dump(mode="json"), ensure_ascii=False)
    return [name for name in CANDIDATES if not any(_word(part).search(text) for part in (name, *name.split()))]


def agreement() -> list[tuple[Actor, Command]]:
    """A round in which everyone votes for a valid forlig, then the end of the game (refused steps are skipped)."""
    seats = [Actor.player(f"seat:{k}") for k in range(6)]
    return [
        (FACILITATOR, StartRound(at=T0)),
        (seats[0], Propose(at=T0, cards=FIRST)),
        *((seat, CastVote(at=T0, proposal_id="?0", choice="for")) for seat in seats),
        (FACILITATOR, EndGame(at=T0)),
        (FACILITATOR, ShowDebrief(at=T0)),
    ]


def chat_about(names: list[str]) -> st.SearchStrategy[tuple[Actor, Command]]:
    def line(template: str, name: str) -> str:
        return template.format(name=name, first=name.split()[0], upper=name.upper(), lower=name.lower())

    seat = st.sampled_from([Actor.player(f"seat:{k}") for k in range(6)])
    text = st.builds(line, st.sampled_from(CHAT), st.sampled_from(names))
    return st.tuples(seat, st.builds(PostMessage, at=st.just(T0), text=text))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_the_replayed_state_at_every_seq_is_the_live_state(deck: Deck, data: st.DataObject, seed: int) -> None:
    pool = names_not_in(deck)
    names = data.draw(st.lists(st.sampled_from(pool), min_size=3, max_size=6, unique=True))
    steps: list[tuple[Actor, Command]] = [
        (FACILITATOR, Join(at=T0, player_id=f"p{number}", name=name)) for number, name in enumerate(names, 1)
    ]
    steps.append((FACILITATOR, StartRound(at=T0)))
    steps += data.draw(st.lists(st.one_of(commands(deck), chat_about(names)), min_size=10, max_size=70))
    if data.draw(st.booleans()):
        steps += agreement()  # so that many games reach a forlig, the reality check and the debrief
    log, states = play(deck, steps, seed)

    event("a forlig" if states[-1].forlig else "no forlig")
    event(f"phase at the end: {states[-1].phase}")
    said = " ".join(line.text for line in states[-1].chat.recent()) if states[-1].chat else ""
    event("a name in the chat" if any(name in said for name in names) else "no name in the chat")
    text = table_log(deck, log).render()
    replay = read_archive(text).tables[0]
    assert replay.total == len(states)
    for seq, live in enumerate(states, start=1):
        replayed = replay.state_at(seq)
        assert replayed == live, f"seq {seq}"
        assert view(replayed, FACILITATOR_VIEWER) == view(live, FACILITATOR_VIEWER)

    # Scrubbing around (from the last position, or a checkpoint) lands on the same states.
    near = None
    for seq in data.draw(st.lists(st.integers(1, len(states)), max_size=12)):
        near = replay.state_at(seq, near=near)
        assert near == states[seq - 1]

    # Export -> import -> export gives the same file.
    assert read_archive(text).render() == text
    assert {marker.seq for marker in markers(replay.events)} <= set(range(1, len(states) + 1))

    # A pseudonymised log holds no player name: not in the seats, not in the chat, nowhere in the file.
    pseudonymised = pseudonymise(replay).render()
    for name in names:
        for part in (name, *name.split()):
            assert not _word(part).search(pseudonymised), f"{part!r} survived pseudonymisation"
    again = read_archive(pseudonymised).tables[0]
    assert again.header.table.pseudonymised
    joined = [event for event in again.events if isinstance(event, PlayerJoined)]
    assert all(re.fullmatch(r"Spiller \d", event.name) for event in joined)
    assert read_archive(pseudonymised).render() == pseudonymised
    # Everything but the names is the same game.
    final, live_final = again.final, states[-1]
    assert final.forlig == live_final.forlig
    assert final.proposals == live_final.proposals
    assert final.phase == live_final.phase
    assert final.rounds == live_final.rounds


def same_state(one: State, other: State) -> bool:
    """State equality without recursing down a long chat (a linked list): the chat is compared as a list."""
    chats = [state.chat.recent() if state.chat else [] for state in (one, other)]
    rest = all(getattr(one, f.name) == getattr(other, f.name) for f in fields(State) if f.name != "chat")
    return rest and chats[0] == chats[1]


def test_checkpoints_and_the_last_position_give_the_live_state_in_a_long_log(deck: Deck) -> None:
    steps: list[tuple[Actor, Command]] = [
        (FACILITATOR, Join(at=T0, player_id=f"p{number}", name=f"P{number}")) for number in range(1, 5)
    ]
    steps.append((FACILITATOR, StartRound(at=T0)))
    for index in range(1, 1_300):
        seat = Actor.player(f"seat:{index % 4}")
        if index % 97 == 0:
            steps += [(seat, Propose(at=T0, cards=FIRST)), (seat, CastVote(at=T0, proposal_id="?0", choice="against"))]
        else:
            steps.append((seat, PostMessage(at=T0, text=f"besked {index}")))
    log, states = play(deck, steps, seed=5)
    assert len(log) > 2 * CHECKPOINT_EVERY + 100
    replay = read_archive(table_log(deck, log).render()).tables[0]
    assert [state.seq for state in replay.checkpoints] == [0, CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]
    rng = random.Random(3)
    seqs = [1, 499, 500, 501, 999, 1000, 1001, len(log)] + [rng.randint(1, len(log)) for _ in range(40)]
    near = None
    for seq in seqs:
        assert same_state(replay.state_at(seq), states[seq - 1]), seq
        near = replay.state_at(seq, near=near)
        assert same_state(near, states[seq - 1]), seq
