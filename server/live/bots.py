"""Practice bots at live tables (issue 18, docs/bots.md): seating them and driving them at a human pace.

A bot is a seated player whose `player_joined` says `"bot": true`. What it does is engine.bots.next_commands
on its own view; this module only decides *when*: each bot acts at most once per `pace` seconds (the
conference's `bot_pace_seconds`, else RAADERUM_BOT_PACE_SECONDS, default engine.bots.DEFAULT_PACE_SECONDS),
through `Table.execute` like a person's command, and nothing ever waits for a bot.

Exactly one process drives a table's bots. The tables with bots are listed in the `bots` stream; every
process's `BotRunner` looks at them every few seconds and takes the table's lease (its `bot-lease:<table>`
stream, taken by an append at the version it read: the store's expected-version check makes that a
compare-and-set) when it is free or has run out. The driver renews it every LEASE_SECONDS / 3; a process that
dies leaves it to run out and another takes over. A bot's command carries the id `bot:<player>:<seq>:<n>`
(the seq of the view it was decided on), and the policy is a pure function of that view, so two processes that
overlap for a moment send the same command under the same id, which the store appends once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from engine import FACILITATOR, Actor, RuleViolation, State, decide, evolve
from engine.bots import DEFAULT_PACE_SECONDS, next_commands
from engine.model import Join
from engine.rules import ENDED
from engine.text import name_key
from engine.views import FACILITATOR_VIEWER, Viewer, view
from server.live import conferences
from server.live.tables import Table, Tables, now
from server.store import ConcurrencyError, EventStore, NewEvent, StoreError
from server.transport.wsdirect import Outgoing

log = logging.getLogger("raaderum.bots")

REGISTRY = "bots"
LEASE_SECONDS = 15.0
LOOK_EVERY = 2.0  # seconds between a runner's looks at the registry
BOT_NAMES = {
    "da": ("Aase", "Bent", "Christa", "Dorte", "Erik", "Frede", "Gitte", "Hans"),
    "en": ("Alice", "Ben", "Cleo", "Dan", "Eve", "Finn", "Grace", "Hugo"),
}


def lease_stream(table_id: str) -> str:
    return f"bot-lease:{table_id}"


def bot_name(state: State, lang: str) -> str:
    """A name no seated player has: "Bot Aase", "Bot Bent", … (numbered when all are taken)."""
    taken = {name_key(player.name) for player in state.seated()}  # as the engine compares names
    names = [f"Bot {name}" for name in BOT_NAMES["en" if lang == "en" else "da"]]
    for name in names:
        if name_key(name) not in taken:
            return name
    number = 2
    while name_key(f"Bot {number}") in taken:
        number += 1
    return f"Bot {number}"


async def register(store: EventStore, table_id: str) -> None:
    """List the table in the registry of tables with bots (once)."""
    for record in await store.read(REGISTRY):
        if json.loads(record.data).get("table") == table_id:
            return
    for _ in range(20):
        version = await store.version(REGISTRY)
        try:
            await store.append(REGISTRY, version, [NewEvent("bot_table", json.dumps({"table": table_id}))])
            return
        except ConcurrencyError:
            continue


async def seat_bots(
    store: EventStore, table: Table, count: int, lang: str, *, id_prefix: str | None = None
) -> list[tuple[str, str]]:
    """Seat `count` bots at the table; (player id, name) of each. RuleViolation (e.g. seat.table_full) before
    any is seated when they do not all fit. With `id_prefix`, the ids are `<prefix>-<n>`, so a retry seats
    the same bots again (the store answers the duplicate)."""
    # Decided on a copy first, so that the rules refuse (seat.table_full, game.ended, …) before any bot is seated.
    first = 1 + sum(1 for pid in table.state.players if id_prefix and pid.startswith(f"{id_prefix}-"))
    joins: list[Join] = []
    trial = table.state
    for number in range(count):
        player_id = f"{id_prefix}-{first + number}" if id_prefix else f"bot{conferences.new_id()}"
        join = Join(at=now(), player_id=player_id, name=bot_name(trial, lang), bot=True, bot_seed=secrets.randbits(31))
        for event in decide(trial, join, FACILITATOR):
            trial = evolve(trial, event)
        joins.append(join)
    added: list[tuple[str, str]] = []
    for join in joins:
        await table.execute(join, FACILITATOR, f"bot-join:{join.player_id}")
        added.append((join.player_id, table.state.players[join.player_id].name))
    await register(store, table.id)
    return added


async def fill_seats(store: EventStore, table: Table, runner: BotRunner | None) -> None:
    """Before a table's first round: bots fill it up to the conference's `bots_fill_to`."""
    conference_id = await conferences.conference_of(store, table.id)
    created = await conferences.load_conference(store, conference_id) if conference_id else None
    if created is None or created.request.bots_fill_to is None:
        return
    wanted = min(created.request.bots_fill_to, table.state.deck.scenario.max_players)
    missing = wanted - sum(1 for _ in table.state.seated())
    if missing > 0:
        await seat_bots(store, table, missing, created.request.language, id_prefix="botfill")
        if runner is not None:
            runner.kick()


class _Wake:
    """A listener that only wakes the driver when the table changes."""

    viewer = FACILITATOR_VIEWER

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def send(self, frame: str | Outgoing) -> None:
        self.event.set()

    def revoke(self, code: str = "auth.revoked") -> None:
        self.event.set()

    @property
    def device(self) -> str | None:
        return None  # the facilitator's view: no seat, no device


@dataclass
class _Bot:
    ready_at: float
    follow_ups: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class Settings:
    pace: float
    lang: Literal["da", "en"]


class BotRunner:
    """This process's drivers of the tables whose bots it holds the lease for."""

    def __init__(
        self,
        store: EventStore,
        tables: Tables,
        default_pace: float = DEFAULT_PACE_SECONDS,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.lease = lease
        self.tables = tables
        self.default_pace = default_pace
        self.owner = f"{os.getpid()}:{secrets.token_hex(4)}"
        self._drivers: dict[str, asyncio.Task[None]] = {}
        self._done: set[str] = set()
        self._look = asyncio.Event()

    def driving(self) -> list[str]:
        return [table_id for table_id, task in self._drivers.items() if not task.done()]

    def kick(self) -> None:
        """Look at the registry now (bots were just seated)."""
        self._look.set()

    async def run(self) -> None:
        while True:
            try:
                await self._look_once()
            except StoreError as error:
                log.warning("bots: the registry could not be read: %s", error)
            except Exception:
                log.exception("bots: looking at the registry failed")
            self._look.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._look.wait(), min(LOOK_EVERY, self.lease / 3))

    async def _look_once(self) -> None:
        for record in await self.store.read(REGISTRY):
            table_id = json.loads(record.data).get("table")
            if not isinstance(table_id, str) or table_id in self._done:
                continue
            task = self._drivers.get(table_id)
            if task is not None and not task.done():
                continue
            if await self._take(table_id):
                self._drivers[table_id] = asyncio.create_task(self._drive(table_id))

    async def _take(self, table_id: str, *, release: bool = False, done: bool = False) -> bool:
        """Take (or renew) the table's lease; False when another process holds it or the bots are done."""
        stream = lease_stream(table_id)
        version = await self.store.version(stream)
        last = (await self.store.read(stream, after=version - 1))[0] if version else None
        held = json.loads(last.data) if last is not None else {}
        if held.get("done"):
            self._done.add(table_id)
            return False
        if held.get("owner") not in (None, self.owner) and float(held.get("until", 0)) > time.time():
            return False
        until = 0.0 if release or done else time.time() + self.lease
        record = {"owner": None if release or done else self.owner, "until": until, "done": done}
        try:
            await self.store.append(stream, version, [NewEvent("lease", json.dumps(record))])
        except ConcurrencyError:
            return False
        return not (release or done)

    async def _settings(self, table_id: str) -> Settings:
        pace, lang = self.default_pace, "da"
        conference_id = await conferences.conference_of(self.store, table_id)
        created = await conferences.load_conference(self.store, conference_id) if conference_id else None
        if created is not None:
            lang = created.request.language
            if created.request.bot_pace_seconds is not None:
                pace = created.request.bot_pace_seconds
        own = await self.store.get_key(f"bot-pace:{table_id}")
        if own is not None:
            pace = float(own)
        return Settings(pace=pace, lang="en" if lang == "en" else "da")

    async def _drive(self, table_id: str) -> None:
        try:
            table = await self.tables.get(table_id)
        except KeyError:
            self._done.add(table_id)
            return
        wake = _Wake()
        table.listeners.add(wake)
        try:
            await self._drive_table(table, wake)
        except asyncio.CancelledError:
            raise
        except StoreError as error:  # the store failed or lost the table: the lease runs out, another may retry
            log.warning("%s: the bots stopped: %s", table.stream, error)
        except Exception:
            log.exception("%s: the bots stopped", table.stream)
            with contextlib.suppress(Exception):
                await self._take(table_id, release=True)
        finally:
            table.listeners.discard(wake)

    async def _drive_table(self, table: Table, wake: _Wake) -> None:
        settings = await self._settings(table.id)
        bots: dict[str, _Bot] = {}
        renewed = time.monotonic()
        while True:
            if self.tables.loaded(table.id) is not table or table.lost:
                return  # the table was deleted (or its history lost): nothing more to drive
            state = table.state
            if state.phase in ENDED:
                await self._take(table.id, done=True)
                self._done.add(table.id)
                return
            seated = [player for player in state.seated() if player.bot]
            if not seated and state.phase != "lobby":
                await self._take(table.id, release=True)  # removed: a bot seated later starts it again
                return
            clock = time.monotonic()
            if clock - renewed > self.lease / 3:
                if not await self._take(table.id):
                    return  # another process took over
                renewed = clock
                settings = await self._settings(table.id)
            for number, player in enumerate(seated):
                bot = bots.setdefault(player.id, _Bot(ready_at=clock + settings.pace * (number + 1) / len(seated)))
                if bot.ready_at > clock or state.phase != "round":
                    continue
                await self._act(table, player.id, player.bot_seed or 0, settings)
                bot.ready_at = time.monotonic() + settings.pace
                state = table.state
            for gone in [bot_id for bot_id in bots if not state.is_seated(bot_id)]:
                del bots[gone]
            waits = [bot.ready_at - time.monotonic() for bot in bots.values()]
            timeout = max(0.05, min([*waits, self.lease / 3]))
            wake.event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.event.wait(), timeout)

    async def _act(self, table: Table, bot_id: str, seed: int, settings: Settings) -> None:
        """One turn of one bot: what the policy wants from its view now, sent as its own commands."""
        state = table.state
        seen = view(state, Viewer("player", bot_id))
        wanted = await asyncio.to_thread(next_commands, state.deck, seen, seed, now(), settings.lang)
        for number, command in enumerate(wanted):
            if number:
                await asyncio.sleep(min(1.0, settings.pace / 2))  # the reason comes a moment after the vote
            try:
                await table.execute(command, Actor.player(bot_id), f"bot:{bot_id}:{state.seq}:{number}")
            except RuleViolation as violation:
                log.debug("%s: bot %s: %s", table.stream, bot_id, violation.code)
                return

    async def close(self) -> None:
        tasks = list(self._drivers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for table_id in self._drivers:
            with contextlib.suppress(Exception):
                await self._take(table_id, release=True)
