"""One copy of the rules: the players' page (clients/web/static/js/state.js, run under Node) and the engine's
`view` fold the same games to the same table, for every viewer at every seq.

The browser gets the frames the server sends: a snapshot, then each event as `event_for` shows it to that
viewer, with what the event changed in the voting figures (`derived`); on a resume, a snapshot or the missed
events with the same figures as they had live. Node runs once per batch of games, not once per seq.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.archive import read_archive
from engine.deck import Deck
from engine.errors import RuleViolation
from engine.model import (
    FACILITATOR,
    Actor,
    Announce,
    Byraad,
    CallVote,
    CastVote,
    Command,
    CreateGame,
    Event,
    ExtendDeadline,
    HideMessage,
    Join,
    Leave,
    Pause,
    Propose,
    RemovePlayer,
    Resume,
    State,
    UseAbility,
)
from engine.rules import decide, evolve, initial_state
from engine.views import (
    DERIVED_BY,
    FACILITATOR_VIEWER,
    PROJECTOR_VIEWER,
    Viewer,
    derived,
    event_for,
    snapshot_after,
    view,
)
from tests.engine.test_properties import (
    MODES,
    PLAYER_IDS,
    T0,
    commands,
    opening,
    resolve,
    resolve_ability,
    resolve_actor,
)

HERE = Path(__file__).parent
HARNESS = HERE / "fold.mjs"
STATE_JS = HERE.parent.parent / "clients" / "web" / "static" / "js" / "state.js"
FIXTURES = sorted((HERE.parent / "fixtures").glob("*.jsonl"))
GAMES = 200
CHOICES = st.sampled_from(["for", "against", "abstain", "outside"])


# ---- what the engine says ------------------------------------------------------------------------------------


def expected_view(state: State, viewer: Viewer) -> dict[str, Any]:
    """The engine's view as the client keeps it: all but `viewer` and `meter` (the page asks for the meter).
    Compared with ==, as parsed JSON: key order does not matter, and 2.0 (Python) equals 2 (JavaScript)."""
    return view(state, viewer).model_dump(mode="json", exclude={"viewer", "meter"})


def _json(model: Any) -> Any:
    return json.loads(model.model_dump_json())


def snapshot(state: State, viewer: Viewer) -> dict[str, Any]:
    return {"type": "snapshot", "seq": state.seq, "view": _json(view(state, viewer))}


def event_frame(state: State, event: Event, viewer: Viewer, now: State | None = None) -> dict[str, Any]:
    """The frame of an event (`state` is the state right after it): live, or replayed when the table is at `now`
    (the server filters a replayed event by the state now, and sends the figures the event had live)."""
    seen = event_for(now, event, viewer, state.seq) if now is not None else event_for(state, event, viewer)
    figures = derived(state, event)
    return {"type": "event", "seq": state.seq, "event": _json(seen), "derived": figures and _json(figures)}


@dataclass
class Case:
    label: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)  # frame indexes after which the views are compared
    expected: list[dict[str, Any]] = field(default_factory=list)

    def check(self, state: State, viewer: Viewer) -> None:
        self.checks.append(len(self.frames) - 1)
        self.expected.append(expected_view(state, viewer))


def viewers(final: State) -> list[Viewer]:
    return [FACILITATOR_VIEWER, PROJECTOR_VIEWER, *(Viewer("player", player_id) for player_id in final.players)]


def cases_for(label: str, deck: Deck, log: list[Event]) -> list[Case]:
    states = [initial_state(deck)]
    for event in log:
        states.append(evolve(states[-1], event))
    final = states[-1]
    middle = len(log) // 2
    cases = []
    for viewer in viewers(final):
        who = f"{label} {viewer.kind} {viewer.player_id or ''}"
        # Live: a snapshot of the empty table, then every event as it happens; compared at every seq.
        case = Case(f"{who} live")
        case.frames.append(snapshot(states[0], viewer))
        case.check(states[0], viewer)
        for event, state in zip(log, states[1:], strict=True):
            case.frames.append(event_frame(state, event, viewer))
            if snapshot_after(event, viewer):  # as the server does: the player's own hjertesager
                case.frames.append(snapshot(state, viewer))
            case.check(state, viewer)
        cases.append(case)
        # A snapshot halfway, then the rest replayed as `attach` replays it on a resume (or a snapshot instead
        # when the player's own role was dealt in what it missed).
        resumed = Case(f"{who} resumed at {middle}")
        resumed.frames.append(snapshot(states[middle], viewer))
        resumed.check(states[middle], viewer)
        missed = range(middle + 1, len(log) + 1)
        if any(snapshot_after(log[seq - 1], viewer) for seq in missed):
            resumed.frames.append(snapshot(final, viewer))
        else:
            for seq in missed:
                resumed.frames.append(event_frame(states[seq], log[seq - 1], viewer, now=final))
        if len(log) > middle:  # compared at the end only: a line hidden since is blank in the replay
            resumed.check(final, viewer)
        cases.append(resumed)
    return cases


# ---- what the browser says -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is missing: bash scripts/ensure-node.sh installs it (make test runs it)")
    return found


def fold_in_browser(node: str, cases: list[Case], tmp_path: Path, state_js: Path) -> list[list[dict[str, Any]]]:
    given = tmp_path / "cases.json"
    out = tmp_path / "views.json"
    given.write_text(json.dumps([{"frames": c.frames, "checks": c.checks} for c in cases]), encoding="utf-8")
    subprocess.run([node, str(HARNESS), str(state_js), str(given), str(out)], check=True, timeout=120)
    result: list[list[dict[str, Any]]] = json.loads(out.read_text(encoding="utf-8"))
    return result


def assert_same(node: str, cases: list[Case], tmp_path: Path, state_js: Path = STATE_JS) -> None:
    folded = fold_in_browser(node, cases, tmp_path, state_js)
    assert len(folded) == len(cases)
    for case, seen in zip(cases, folded, strict=True):
        for index, (browser, engine) in enumerate(zip(seen, case.expected, strict=True)):
            if browser != engine:
                frame = case.frames[case.checks[index]]
                differ = sorted(key for key in engine if browser.get(key) != engine[key])
                pytest.fail(
                    f"{case.label}: after the frame with seq {frame['seq']} ({frame.get('event', {}).get('type')})"
                    f" the views differ in {differ}\n browser: {json.dumps({k: browser.get(k) for k in differ})}"
                    f"\n  engine: {json.dumps({k: engine[k] for k in differ})}"
                )
        assert len(seen) == len(case.expected)


# ---- the games -----------------------------------------------------------------------------------------------


def more_commands(deck: Deck) -> st.SearchStrategy[tuple[Actor, Command]]:
    """What test_properties' games leave out or rarely reach: proposals that are valid, votes on them, called
    votes (rules 3: the mayor's or the facilitator's), a player leaving and coming back, announcements, hidden
    lines, removals, pauses and extensions."""
    at = st.just(T0)
    seat = st.sampled_from([f"seat:{k}" for k in range(6)])
    player = seat.map(Actor.player)
    plain = [card.id for card in deck.cards if not card.requires and not card.excludes]
    cards = st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True).map(tuple)
    facilitator = st.just(FACILITATOR)
    # Cards most abilities take (a loan, bringing forward, a lower uncertainty, the compromise, a hearing).
    ability_cards = st.sampled_from(["TM-01", "DT-01", "AD-04", "ÆL-02", "ÆL-05", "AD-03"])
    weighted = [
        (4, st.tuples(player, st.builds(Propose, at=at, cards=cards, amends=st.none()))),
        (8, st.tuples(player, st.builds(CastVote, at=at, proposal_id=st.just("?0"), choice=CHOICES))),
        (2, st.tuples(player | facilitator, st.builds(CallVote, at=at, proposal_id=st.just("?0")))),
        (1, st.tuples(player, st.builds(Leave, at=at))),
        # A player comes back under its own name (one name per person at a table: seat.name_taken).
        (1, st.tuples(facilitator, st.sampled_from(PLAYER_IDS).map(lambda pid: Join(at=T0, player_id=pid, name=pid)))),
        (1, st.tuples(facilitator, st.builds(Announce, at=at, text=st.text(min_size=1, max_size=20)))),
        (2, st.tuples(facilitator, st.builds(HideMessage, at=at, seq=st.integers(1, 40)))),
        (1, st.tuples(facilitator, st.builds(RemovePlayer, at=at, player_id=seat, moved_to=st.none() | st.just("T2")))),
        (1, st.tuples(facilitator, st.builds(Pause, at=at))),
        (1, st.tuples(facilitator, st.builds(Resume, at=at))),
        (1, st.tuples(facilitator, st.builds(ExtendDeadline, at=at, seconds=st.integers(10, 600)))),
        (2, st.tuples(player, st.builds(UseAbility, at=at, ability=st.just("?mine"), card=ability_cards))),
    ]
    return st.sampled_from([s for weight, s in weighted for _ in range(weight)]).flatmap(lambda s: s)


def chat_seq(state: State, pick: int) -> int:
    """A line the chat holds (the pick-th from the newest, round the list), so hiding is reached in every run
    rather than only when a drawn seq happens to be a chat line; with no line, the drawn seq (refused)."""
    lines = []
    node = state.chat
    while node is not None:
        lines.append(node.last.seq)
        node = node.before
    return lines[pick % len(lines)] if lines else pick


def play(deck: Deck, steps: list[tuple[Actor, Command]], seed: int, byraad: Byraad | None = None) -> list[Event]:
    state = initial_state(deck)
    log: list[Event] = []
    create = CreateGame(at=T0, table_name="Bord", seed=seed, round_seconds=300, byraad=byraad)
    for index, (actor, command) in enumerate([(FACILITATOR, create), *steps]):
        command = resolve(state, command).model_copy(update={"at": T0 + timedelta(seconds=30 * index)})
        if isinstance(command, RemovePlayer) and command.player_id.startswith("seat:"):
            seated = [p.id for p in state.seated()] or ["nobody"]
            command = command.model_copy(update={"player_id": seated[int(command.player_id[5:]) % len(seated)]})
        if isinstance(command, HideMessage):
            command = command.model_copy(update={"seq": chat_seq(state, command.seq)})
        actor = resolve_actor(state, actor)
        command = resolve_ability(state, actor, command)
        try:
            events = decide(state, command, actor)
        except RuleViolation:
            continue
        for event in events:
            state = evolve(state, event)
            log.append(event)
    return log


def generated_games(deck: Deck) -> list[list[Event]]:
    games: list[list[Event]] = []

    # derandomize: the same games on every run, so a failure reproduces and the mutants below always have
    # something to trip on (the fixture checks that the games reach every kind of situation).
    @settings(
        max_examples=GAMES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data(), seed=st.integers(0, 2**32))
    def collect(data: st.DataObject, seed: int) -> None:
        step = st.one_of(commands(deck), more_commands(deck))
        # Mostly a started game (Korsbæk needs three players), sometimes none: the lobby has its views too.
        seated = data.draw(st.sampled_from([0, 3, 4, 5, 6]))
        steps = opening(seated) + data.draw(st.lists(step, min_size=30, max_size=70))
        games.append(play(deck, steps, seed, data.draw(st.sampled_from(MODES))))

    collect()
    return games


# ---- the tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_committed_log_folds_the_same_in_the_browser(node: str, path: Path, tmp_path: Path) -> None:
    for log in read_archive(path.read_text(encoding="utf-8")).tables:
        cases = cases_for(path.name, log.deck, list(log.events))
        assert_same(node, cases, tmp_path)
        # And a snapshot at every seq reads back as itself.
        states = [initial_state(log.deck)]
        for event in log.events:
            states.append(evolve(states[-1], event))
        snapshots = []
        for viewer in viewers(states[-1]):
            for state in states:
                one = Case(f"{path.name} {viewer} snapshot at {state.seq}", [snapshot(state, viewer)])
                one.check(state, viewer)
                snapshots.append(one)
        assert_same(node, snapshots, tmp_path)


@pytest.fixture(scope="module")
def generated(deck: Deck) -> list[Case]:
    games = generated_games(deck)
    assert len(games) >= GAMES
    assert sum(len(log) for log in games) > 15 * GAMES, "the games should get somewhere"
    reached = {event.type for log in games for event in log}
    wanted = {kind.model_fields["type"].default for kind in DERIVED_BY}
    assert wanted | {"message_hidden", "round_paused", "round_resumed", "reality_checked", "ability_used"} <= reached
    return [case for number, log in enumerate(games) for case in cases_for(f"game {number}", deck, log)]


def test_generated_games_fold_the_same_in_the_browser(node: str, generated: list[Case], tmp_path: Path) -> None:
    assert_same(node, generated, tmp_path)


# Each a small change to state.js that the comparison must catch: a rule copied back into the browser, or an
# event applied wrong.
MUTANTS = {
    "missing counts everyone seated": (
        "    Object.assign(state.derived.proposals, derived.proposals);",
        "    Object.assign(state.derived.proposals, derived.proposals);\n"
        "    for (const p of Object.values(state.derived.proposals)) p.missing = [...state.players.keys()];",
    ),
    "the new voters are not taken": ("    if (derived.voters) state.derived.voters = derived.voters;\n", ""),
    "a closed round keeps open proposals": (
        'if (p.status === "open") {\n          p.status = "closed";',
        "if (false) {",
    ),
    "a rejoining player gets a new number": (
        "number: before ? before.number : players.size + 1",
        "number: players.size + 1",
    ),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_the_comparison_fails_when_state_js_differs(
    node: str, generated: list[Case], tmp_path: Path, mutant: str
) -> None:
    original, changed = MUTANTS[mutant]
    source = STATE_JS.read_text(encoding="utf-8")
    assert source.count(original) == 1, "the mutant no longer applies: update it to today's state.js"
    broken = tmp_path / "state.js"
    broken.write_text(source.replace(original, changed), encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="browser:"):
        assert_same(node, generated[: len(generated) // 4], tmp_path, state_js=broken)  # a quarter is plenty
