"""A rehearsal (issue 18): tables of bots played to the end in process, with no waiting.

The facilitator's part is scripted: create the game, seat the bots, start each round, let the bots act
(each bot in seat order sends what engine.bots wants, through `decide` like a person) until none wants to
act, end the round, and after the last round end the game and show the debrief. The log is an ordinary
table log; `raaderum rehearse` prints the cross-table debrief of N such tables.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.bots import next_commands
from engine.conference import CrossDebrief, TableInput, cross_debrief
from engine.debrief import Debrief, debrief
from engine.deck import Deck
from engine.errors import RuleViolation
from engine.model import (
    FACILITATOR,
    Actor,
    Command,
    CreateGame,
    EndGame,
    EndRound,
    Event,
    Join,
    ShowDebrief,
    StartRound,
    State,
)
from engine.rules import decide, evolve, initial_state
from engine.views import Viewer, view

BOT_NAMES = ("Aase", "Bent", "Christa", "Dorte", "Erik", "Frede", "Gitte", "Hans")
STEPS_PER_ROUND = 200  # a round in which the bots still act after this many commands is ended anyway
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Played:
    state: State
    events: tuple[Event, ...]
    commands: int  # bot commands the rules accepted


def bot_seed(table_seed: int, number: int) -> int:
    """The seed of the table's `number`th bot, drawn from the table's seed (the server draws its own)."""
    return random.Random(f"{table_seed}:bot:{number}").randrange(2**31)


class _Game:
    def __init__(self, deck: Deck) -> None:
        self.state = initial_state(deck)
        self.events: list[Event] = []
        self.clock = START

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def run(self, command: Command, actor: Actor) -> list[Event]:
        events = decide(self.state, command, actor)
        for event in events:
            self.state = evolve(self.state, event)
        self.events += events
        return events


def bots_act(game: _Game, bots: Sequence[str], lang: str, steps: int = STEPS_PER_ROUND) -> int:
    """Let the bots act until none wants to (or `steps` commands); returns how many commands they sent."""
    sent = 0
    while sent < steps and game.state.phase == "round":
        acted = False
        for bot in bots:
            player = game.state.players.get(bot)
            if player is None or not player.seated or game.state.phase != "round":
                continue
            seen = view(game.state, Viewer("player", bot))
            for command in next_commands(game.state.deck, seen, player.bot_seed or 0, game.tick(), lang):
                try:
                    game.run(command, Actor.player(bot))
                except RuleViolation:
                    break  # the table moved on (e.g. the proposal was adopted): the bot looks again
                sent += 1
                acted = True
        if not acted:
            break
    return sent


def play_table(
    deck: Deck,
    *,
    seed: int,
    bots: int = 4,
    target: float | None = None,
    rounds: int | None = None,
    rule: str | None = None,
    lang: str = "da",
    name: str = "Bord 1",
) -> Played:
    """One table of `bots` bots played from creation to the debrief."""
    game = _Game(deck)
    game.run(
        CreateGame.model_validate(
            {"at": game.tick(), "table_name": name, "seed": seed, "target": target, "rule": rule, "rounds": rounds}
        ),
        FACILITATOR,
    )
    ids = [f"bot{number}" for number in range(1, bots + 1)]
    for number, player_id in enumerate(ids, start=1):
        join = Join(
            at=game.tick(), player_id=player_id, name=BOT_NAMES[(number - 1) % len(BOT_NAMES)], bot=True,
            bot_seed=bot_seed(seed, number),
        )  # fmt: skip
        game.run(join, FACILITATOR)
    assert game.state.config is not None
    sent = 0
    for _ in range(game.state.config.rounds):
        game.run(StartRound(at=game.tick()), FACILITATOR)
        sent += bots_act(game, ids, lang)
        if game.state.phase == "round":
            game.run(EndRound(at=game.tick()), FACILITATOR)
    game.run(EndGame(at=game.tick()), FACILITATOR)
    game.run(ShowDebrief(at=game.tick()), FACILITATOR)
    return Played(game.state, tuple(game.events), sent)


@dataclass(frozen=True, slots=True)
class Rehearsal:
    tables: tuple[Played, ...]
    debriefs: tuple[Debrief, ...]
    cross: CrossDebrief


def rehearse(
    deck: Deck, *, tables: int, target: float | None = None, seed: int = 1, bots: int = 4, lang: str = "da",
    draws: int = 2_000,
) -> Rehearsal:  # fmt: skip
    """N tables of bots, each with its own seed drawn from `seed`, and their cross-table debrief."""
    seeds = random.Random(f"rehearse:{seed}")
    played = tuple(
        play_table(deck, seed=seeds.randrange(2**31), bots=bots, target=target, lang=lang, name=f"Bord {n}")
        for n in range(1, tables + 1)
    )
    debriefs = tuple(debrief(table.state, draws=draws) for table in played)
    inputs = [
        TableInput(table_id=f"t{n}", number=n, name=f"Bord {n}", state=table.state, debrief=result)
        for n, (table, result) in enumerate(zip(played, debriefs, strict=True), start=1)
    ]
    return Rehearsal(played, debriefs, cross_debrief(inputs))
