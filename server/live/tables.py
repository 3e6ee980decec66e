"""Live tables inside one server process: load from the store, run commands, fan out events.

A `Table` holds the folded state of one table's stream and an asyncio lock that serialises its
commands in this process; across processes the store's expected-version check decides, and a loser
catches up and decides again. Every event reaches connections through `_apply`, whether this process
appended it or another one did, so there is one path for live play, catch-up and resume.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from engine import SYSTEM, Actor, Command, Deck, Event, RuleViolation, State, decide, evolve, initial_state
from engine.deck import load_deck
from engine.model import EndRound, GameCreated, PlayerJoined, PlayerRemoved, RemovePlayer, SeatHandedOver, StartRound
from engine.upcast import decode_stored
from engine.versions import stored_type
from engine.views import TableView, Viewer, derived, event_for, seen_per_player, snapshot_after, view
from server import metrics
from server.live import stored_decks
from server.store import ConcurrencyError, EventStore, HistoryLost, NewEvent, StoredEvent, StoreError
from server.transport.wsdirect import Outgoing

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("raaderum.tables")

MAX_RETRIES = 20
SCHEDULE_STREAM = "schedule"
RECENT_COMMANDS = 1000
# How many seqs back a table keeps each event's voting figures, so a replay sends them as they went out live.
# At least the largest replay a connection asks for (transport.sessions.MAX_REPLAY).
FIGURES_KEPT = 500
# A process that has a table loaded ends its round at the deadline itself. Every other process keeps only a
# timer this much later, as a fallback for a table no process has loaded (nobody connected, or a restart).
DEADLINE_GRACE = 5.0


def table_stream(table_id: str) -> str:
    return f"table:{table_id}"


def now() -> datetime:
    return datetime.now(UTC)


def deadline_command_id(round_number: int, deadline: datetime) -> str:
    """The same id in every process and on every path: the store appends a deadline's end of round once."""
    return f"deadline:{round_number}:{deadline.isoformat()}"


class Listener(Protocol):
    """A websocket connection as the table sees it."""

    viewer: Viewer

    def send(self, frame: str | Outgoing) -> None: ...

    def revoke(self, code: str = "auth.revoked") -> None:
        """The player this connection is for was removed (or their seat moved to another device, code
        `seat.moved`): tell it and close it."""
        ...

    @property
    def device(self) -> str | None:
        """The device in the connection's token (players after a seat handover), else None."""
        ...


def decoded(record: StoredEvent) -> tuple[Event, str]:
    """A stored event at today's version, and its JSON: verbatim when stored at today's version."""
    event = decode_stored(record.type, record.data)
    return event, record.data if record.type == stored_type(event.type) else event.model_dump_json()


def snapshot_frame(seq: int, seen: TableView) -> str:
    return f'{{"type":"snapshot","seq":{seq},"view":{seen.model_dump_json()}}}'


def event_frame(seq: int, event_json: str, figures_json: str = "null") -> str:
    # The stored JSON is spliced in verbatim: one encoding per event, not one per socket. `derived` (what the
    # event changed in the voting figures, engine.views.derived) is the same for every viewer.
    return f'{{"type":"event","seq":{seq},"event":{event_json},"derived":{figures_json}}}'


class Decks:
    """Decks by id, loaded once per process from the decks folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._decks: dict[str, Deck] = {}

    def get(self, deck_id: str) -> Deck:
        if deck_id not in self._decks:
            path = self.folder / deck_id
            if not deck_id.replace("-", "").replace("_", "").isalnum() or not path.exists():
                raise KeyError(deck_id)
            self._decks[deck_id] = load_deck(path)
        return self._decks[deck_id]

    async def fetch(self, store: EventStore, deck_id: str) -> Deck:
        """The deck, also an uploaded one (server/live/stored_decks.py) this process has not seen yet."""
        if deck_id not in self._decks and stored_decks.is_uploaded(deck_id):
            deck = await stored_decks.load(store, deck_id)
            if deck is None:
                raise KeyError(deck_id)
            self._decks[deck_id] = deck
        return self.get(deck_id)

    def forget(self, deck_id: str) -> None:
        self._decks.pop(deck_id, None)


class Table:
    def __init__(
        self,
        table_id: str,
        deck: Deck,
        store: EventStore,
        on_deadline: Callable[[str, datetime | None], Awaitable[None]] | None = None,
        *,
        timer: bool = True,
    ) -> None:
        self.id = table_id
        self.on_deadline = on_deadline
        self.timer = timer  # False for a table loaded only to end an overdue round: no timer of its own
        self.stream = table_stream(table_id)
        self.store = store
        self.state: State = initial_state(deck)
        self.lock = asyncio.Lock()
        self.listeners: set[Listener] = set()
        self._deadline_task: asyncio.Task[None] | None = None
        self._scheduled: datetime | None = None
        self._wanted = 0  # highest version another process has announced
        # Command ids this process appended lately: a retry is answered before the rules see it again.
        self._recent: OrderedDict[str, int] = OrderedDict()
        self._catching_up: asyncio.Task[None] | None = None
        self.removed: set[str] = set()  # players the facilitator removed: their tokens no longer open the table
        # Seats (docs/protocol.md, "Seats"): the device holding each handed-over seat (other devices' tokens no
        # longer act for it), when each player joined, and who has ever had the table open (here or, through
        # presence, in another process). A seat never opened is a ghost after RAADERUM_GHOST_SECONDS.
        self.devices: dict[str, str] = {}
        self.joined_at: dict[str, datetime] = {}
        self.connected_ever: set[str] = set()
        self.ghost_seconds: float | None = None
        self.refolds = 0  # how often the log was folded again after a rewrite: part of what caches key on
        # The store turned out to hold less of this stream than we applied (HistoryLost): no more commands.
        self.lost = False
        self._figures: dict[int, str] = {}  # seq -> the JSON of its event's `derived`, the last FIGURES_KEPT seqs
        # Called before the first round starts (the conference's bots_fill_to seats bots then: server/live/bots.py).
        self.before_first_round: Callable[[Table], Awaitable[None]] | None = None

    # ---- reading the log ----------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Apply whatever the store has beyond our state (appended by another process, or before load)."""
        started = time.perf_counter()
        stored = await self.store.read(self.stream, after=self.state.seq)
        metrics.STORE_READ.observe(time.perf_counter() - started)
        last = stored[-1].seq if stored else 0
        for record in stored:
            if record.seq != self.state.seq + 1:
                raise RuntimeError(f"{self.stream}: gap in the log at {record.seq}")
            # Loading a long log: the figures of events too old to be replayed are never needed.
            self._apply(*decoded(record), replayable=record.seq > last - FIGURES_KEPT)
        self._schedule_deadline()

    def _apply(self, event: Event, event_json: str, *, replayable: bool = True) -> None:
        started = time.perf_counter()
        self.state = evolve(self.state, event)
        seq = self.state.seq
        self._figures.pop(seq - FIGURES_KEPT, None)
        figures = derived(self.state, event) if replayable or self.listeners else None
        figures_json = "null" if figures is None else figures.model_dump_json()
        if figures is not None:
            self._figures[seq] = figures_json
        if isinstance(event, PlayerJoined):
            self.joined_at[event.player_id] = event.at
        if isinstance(event, SeatHandedOver):
            self.devices[event.player_id] = event.device
            moved = Viewer("player", event.player_id)
            for listener in [one for one in self.listeners if one.viewer == moved and one.device != event.device]:
                self.listeners.discard(listener)  # the old device: told, and it stops acting
                listener.revoke("seat.moved")
        if isinstance(event, PlayerRemoved):
            self.removed.add(event.player_id)
            for listener in [one for one in self.listeners if one.viewer == Viewer("player", event.player_id)]:
                self.listeners.discard(listener)  # the removal is the last thing it sees
                listener.send(event_frame(seq, event_json, figures_json))
                listener.revoke()
        if not self.listeners:
            return
        # One frame per viewer class, built once and written to every socket that sees it the same way; the
        # engine says when a class is one player (seen_per_player), else it is the viewer's kind.
        per_player = seen_per_player(event)
        shared: Outgoing | None = None
        frames: dict[object, tuple[Outgoing, bool]] = {}
        for listener in list(self.listeners):
            viewer = listener.viewer
            key = viewer if per_player else viewer.kind
            entry = frames.get(key)
            if entry is None:
                seen = event_for(self.state, event, viewer)
                if seen is event:
                    shared = shared or Outgoing(event_frame(seq, event_json, figures_json))
                    frame = shared
                else:
                    frame = Outgoing(event_frame(seq, seen.model_dump_json(), figures_json))
                entry = frames[key] = (frame, snapshot_after(event, viewer))
            listener.send(entry[0])
            if entry[1]:  # its own hjertesager come only in its view
                listener.send(snapshot_frame(seq, view(self.state, viewer)))
        metrics.FANOUT_SECONDS.observe(time.perf_counter() - started)

    async def refold(self) -> None:
        """Fold the log again from its first event, after the store's copy was rewritten (personal data
        erased, server/operations/privacy.py): snapshots from now on show what the store holds. Connections
        stay; nothing is sent to them."""
        async with self.lock:
            listeners, self.listeners = self.listeners, set()
            try:
                self.state = initial_state(self.state.deck)
                self._figures.clear()
                self.removed.clear()
                self.devices.clear()
                self.joined_at.clear()
                self.refolds += 1
                await self.catch_up()
            finally:
                self.listeners = listeners | self.listeners

    # ---- running commands ---------------------------------------------------------------------

    def device_ok(self, player_id: str | None, device: str | None) -> bool:
        """Whether a player's token (with its device) still holds the seat: false once it moved elsewhere."""
        held = self.devices.get(player_id) if player_id is not None else None
        return held is None or held == device

    def ghosts(self, moment: datetime) -> list[str]:
        """Seated players who never had the table open and joined more than RAADERUM_GHOST_SECONDS ago."""
        if self.ghost_seconds is None:
            return []
        return [
            player.id
            for player in self.state.seated()
            if not player.bot  # a practice bot plays from the server, never through a socket
            and player.id not in self.connected_ever
            and (moment - self.joined_at.get(player.id, moment)).total_seconds() >= self.ghost_seconds
        ]

    async def remove_ghosts(self, moment: datetime) -> list[str]:
        """Take the ghosts' seats in the lobby (by the server, as the facilitator would): they no longer count
        toward the table's seats and are never dealt a role. Another process doing the same is harmless."""
        if self.state.phase != "lobby":
            return []
        removed = []
        for player_id in self.ghosts(moment):
            try:
                await self.execute(RemovePlayer(at=moment, player_id=player_id), SYSTEM, f"ghost:{player_id}")
            except RuleViolation:
                continue  # removed meanwhile
            removed.append(player_id)
        if removed:
            log.info("%s: %d seat(s) never opened left the lobby", self.stream, len(removed))
        return removed

    async def execute(self, command: Command, actor: Actor, command_id: str | None) -> tuple[int, bool]:
        """Decide and append a command's events; returns (version, duplicate). Raises RuleViolation."""
        if isinstance(command, StartRound) and self.state.phase == "lobby" and self.ghost_seconds is not None:
            await self.remove_ghosts(command.at)  # no ghost is dealt a role (and bots may fill the seats freed)
        if isinstance(command, StartRound) and self.state.phase == "lobby" and self.before_first_round is not None:
            try:
                await self.before_first_round(self)
            except (RuleViolation, StoreError) as error:  # the round starts anyway, with the seats it has
                log.warning("%s: seats not filled before the first round: %s", self.stream, error)
        try:
            async with self.lock:
                return await self._execute_locked(command, actor, command_id)
        finally:
            self.announce(self._wanted)  # what another process appended while we held the lock

    async def _execute_locked(self, command: Command, actor: Actor, command_id: str | None) -> tuple[int, bool]:
        if self.lost:
            raise HistoryLost(f"{self.stream}: the store lost events of this table; it takes no more commands")
        if command_id is not None and command_id in self._recent:
            return self._recent[command_id], True  # a retry: answer as the first time, even if now invalid
        for attempt in range(MAX_RETRIES):
            events = decide(self.state, command, actor)
            if not events:
                return self.state.seq, False
            encoded = [event.model_dump_json() for event in events]
            started = time.perf_counter()
            try:
                result = await self.store.append(
                    self.stream,
                    self.state.seq,
                    [NewEvent(stored_type(event.type), data) for event, data in zip(events, encoded, strict=True)],
                    command_id=command_id,
                )
            except ConcurrencyError as error:
                if error.actual < self.state.seq:
                    self.lost = True
                    lost = f"{self.stream}: the store has {error.actual} events, this process saw {self.state.seq}"
                    raise HistoryLost(lost) from None
                await self.catch_up()
                # Two processes that keep colliding on one table back off by a random few ms, so one wins.
                await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            finally:
                metrics.STORE_APPEND.observe(time.perf_counter() - started)
            if result.duplicate:
                await self.catch_up()
                self._remember(command_id, result.version)
                return result.version, True
            for event, data in zip(events, encoded, strict=True):
                self._apply(event, data)
                metrics.event_appended(event.type)
            self._remember(command_id, result.version)
            before = self._scheduled
            self._schedule_deadline()
            if self._scheduled != before and self.on_deadline is not None:
                await self.on_deadline(self.id, self._scheduled)
            return result.version, False
        raise RuntimeError(f"{self.stream}: too much contention, gave up after {MAX_RETRIES} tries")

    def _remember(self, command_id: str | None, version: int) -> None:
        if command_id is None:
            return
        self._recent[command_id] = version
        if len(self._recent) > RECENT_COMMANDS:
            self._recent.popitem(last=False)

    # ---- connections --------------------------------------------------------------------------

    async def attach(self, listener: Listener, after: int, max_replay: int) -> None:
        """Send a snapshot or the missed events, then stream live events. Atomic with respect to fan-out."""
        try:
            async with self.lock:
                await self._attach_locked(listener, after, max_replay)
        finally:
            self.announce(self._wanted)

    async def _attach_locked(self, listener: Listener, after: int, max_replay: int) -> None:
        if self.lost or await self.store.version(self.stream) < self.state.seq:
            self.lost = True
            raise HistoryLost(f"{self.stream}: the store lost events of this table")
        await self.catch_up()
        replay = 0 < after <= self.state.seq and self.state.seq - after <= min(max_replay, FIGURES_KEPT)
        # Only up to our state: an event another process appended since catch_up() reaches this listener
        # live, through _apply, once the listener is registered. Replaying it here too would send it twice.
        records = await self.store.read(self.stream, after=after, limit=self.state.seq - after) if replay else []
        missed = [(record.seq, *decoded(record)) for record in records]
        if replay and not any(snapshot_after(event, listener.viewer) for _, event, _ in missed):
            for number, event, event_json in missed:
                seen = event_for(self.state, event, listener.viewer, number)
                figures = self._figures.get(number, "null")
                listener.send(event_frame(number, event_json if seen is event else seen.model_dump_json(), figures))
        elif after != self.state.seq or after == 0 or replay:
            # A snapshot; also instead of a replay in which the player's own role was dealt (its hjertesager).
            listener.send(snapshot_frame(self.state.seq, view(self.state, listener.viewer)))
        self.listeners.add(listener)

    def announce(self, version: int) -> None:
        """The store says the stream reached `version`: catch up soon, without blocking the caller."""
        self._wanted = max(self._wanted, version)
        if self.lock.locked():
            # Usually our own append, announced before its reply reached us: the holder checks on release.
            return
        if self.state.seq < self._wanted and (self._catching_up is None or self._catching_up.done()):
            self._catching_up = asyncio.create_task(self._catch_up_to_wanted())

    async def _catch_up_to_wanted(self) -> None:
        while self.state.seq < self._wanted:
            before = self.state.seq
            async with self.lock:
                if self.state.seq >= self._wanted:
                    return  # this process appended it: the command applied it while we waited for the lock
                try:
                    await self.catch_up()
                except Exception:
                    log.exception("%s: catch-up failed", self.stream)
                    return
            if self.state.seq == before:
                return  # the signal ran ahead of what we can read; the next signal or command catches up

    def detach(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    # ---- the round's deadline -------------------------------------------------------------------

    def _schedule_deadline(self) -> None:
        round_ = self.state.current_round
        deadline = round_.deadline if round_ is not None and self.state.phase == "round" else None
        if deadline == self._scheduled:
            return
        if self._deadline_task is not None:
            self._deadline_task.cancel()
            self._deadline_task = None
        self._scheduled = deadline
        if deadline is not None and round_ is not None and self.timer:
            self._deadline_task = asyncio.create_task(self._fire_at(deadline, round_.number))

    async def _fire_at(self, deadline: datetime, round_number: int) -> None:
        await asyncio.sleep(max(0.0, (deadline - now()).total_seconds()))
        try:
            await self.execute(EndRound(at=max(now(), deadline)), SYSTEM, deadline_command_id(round_number, deadline))
        except RuleViolation as error:  # a round ended by other means is not a failure
            log.debug("%s: deadline of round %s not applied: %s", self.stream, round_number, error)
        except (StoreError, RuntimeError) as error:  # the store failed, or too much contention: the round stays open
            log.warning("%s: deadline of round %s not applied: %s", self.stream, round_number, error)

    async def end_overdue_round(self) -> None:
        """End the open round if its deadline has passed: what the timer does, same command and command id."""
        round_ = self.state.current_round
        if self.state.phase != "round" or round_ is None or round_.deadline is None or round_.deadline > now():
            return  # ended, paused or extended meanwhile: a later deadline has its own record in the schedule
        command_id = deadline_command_id(round_.number, round_.deadline)
        try:
            await self.execute(EndRound(at=now()), SYSTEM, command_id)
        except RuleViolation as error:  # ended by another process in the meantime
            log.debug("%s: deadline of round %s not applied: %s", self.stream, round_.number, error)

    def close(self) -> None:
        if self._deadline_task is not None:
            self._deadline_task.cancel()


class Tables:
    """The tables this process has loaded, loaded when first needed (a cold start reads no table).

    Every round deadline is also noted in the shared `schedule` stream. Each process keeps the pending ones
    with a fallback timer, DEADLINE_GRACE after the deadline, but loads no table for them: the process that
    serves a table ends its round itself; the fallback ends the round of a table that no process has loaded.
    """

    def __init__(self, store: EventStore, decks: Decks) -> None:
        self.store = store
        self.decks = decks
        self._tables: dict[str, Table] = {}
        self._loading: dict[str, asyncio.Future[Table]] = {}
        self._schedule_seq = 0
        # Pending deadlines read from the schedule (or recorded here), each with its fallback timer.
        self._deadlines: dict[str, tuple[datetime, asyncio.TimerHandle]] = {}
        self._fallbacks: set[asyncio.Task[None]] = set()  # fallbacks that fired and are ending a round
        # After a restart many rounds may be overdue at once: each needs a full read of its table's log.
        self._fallback_slots = asyncio.Semaphore(8)
        self.before_first_round: Callable[[Table], Awaitable[None]] | None = None  # given to every table
        self.ghost_seconds: float | None = None  # RAADERUM_GHOST_SECONDS, set by the app; None: seats never expire

    def count(self) -> int:
        return len(self._tables)

    def loaded(self, table_id: str) -> Table | None:
        return self._tables.get(table_id)

    async def get(self, table_id: str) -> Table:
        """The live table; KeyError when no such table exists."""
        table = self._tables.get(table_id)
        if table is not None:
            return table
        if table_id in self._loading:
            return await asyncio.shield(self._loading[table_id])
        future: asyncio.Future[Table] = asyncio.get_running_loop().create_future()
        self._loading[table_id] = future
        try:
            table = await self._load(table_id)
            self._tables[table_id] = table
            future.set_result(table)
            return table
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: the caller re-raises it
            raise
        finally:
            del self._loading[table_id]

    async def _load(self, table_id: str, *, timer: bool = True) -> Table:
        first = await self.store.read(table_stream(table_id), limit=1)
        if not first:
            raise KeyError(table_id)
        created = decode_stored(first[0].type, first[0].data)
        if not isinstance(created, GameCreated):
            raise RuntimeError(f"table {table_id} does not start with game_created")
        deck = await self.decks.fetch(self.store, created.deck_id)
        if deck.digest != created.deck_digest:
            log.warning("table %s was created with another version of deck %s", table_id, created.deck_id)
        table = Table(table_id, deck, self.store, self._record_deadline, timer=timer)
        table.before_first_round = self.before_first_round
        table.ghost_seconds = self.ghost_seconds
        await table.catch_up()
        return table

    async def create(self, table_id: str, deck_id: str, command: Command) -> Table:
        table = Table(table_id, await self.decks.fetch(self.store, deck_id), self.store, self._record_deadline)
        table.before_first_round = self.before_first_round
        table.ghost_seconds = self.ghost_seconds
        await table.execute(command, Actor("facilitator"), command_id="create")
        self._tables[table_id] = table
        return table

    async def sweep_ghosts(self) -> None:
        """Until cancelled: seats never opened leave the lobbies of the tables this process has loaded, a few
        times per RAADERUM_GHOST_SECONDS (docs/protocol.md, "Seats")."""
        if self.ghost_seconds is None:
            return
        while True:
            await asyncio.sleep(min(30.0, max(0.5, self.ghost_seconds / 3)))
            for table in list(self._tables.values()):
                if table.state.phase == "lobby" and not table.lost:
                    try:
                        await table.remove_ghosts(now())
                    except Exception:  # a store hiccup: the next sweep tries again
                        log.exception("%s: ghost sweep failed", table.stream)

    async def _record_deadline(self, table_id: str, deadline: datetime | None) -> None:
        """Note a table's deadline in the shared schedule, so every process, also one started later, has a fallback."""
        self._set_fallback(table_id, deadline)
        record = json.dumps({"table": table_id, "deadline": deadline.isoformat() if deadline else None})
        for _ in range(MAX_RETRIES):
            version = await self.store.version(SCHEDULE_STREAM)
            try:
                await self.store.append(SCHEDULE_STREAM, version, [NewEvent(type="deadline", data=record)])
                return
            except ConcurrencyError:
                continue

    async def follow_schedule(self) -> None:
        """Read the schedule's new records: the last one per table sets or cancels its fallback timer."""
        records = await self.store.read(SCHEDULE_STREAM, after=self._schedule_seq)
        latest: dict[str, datetime | None] = {}
        for record in records:
            if record.seq <= self._schedule_seq:
                continue  # a concurrent call applied it already
            entry = json.loads(record.data)
            latest[entry["table"]] = datetime.fromisoformat(entry["deadline"]) if entry["deadline"] else None
            self._schedule_seq = record.seq
        for table_id, deadline in latest.items():
            self._set_fallback(table_id, deadline)

    def _set_fallback(self, table_id: str, deadline: datetime | None) -> None:
        """Replace the table's fallback timer by one for `deadline`; None (round over, paused, deleted) cancels it."""
        pending = self._deadlines.get(table_id)
        if pending is not None and pending[0] == deadline:
            return
        if pending is not None:
            pending[1].cancel()
            del self._deadlines[table_id]
        if deadline is not None:
            delay = max(0.0, (deadline - now()).total_seconds() + DEADLINE_GRACE)
            timer = asyncio.get_running_loop().call_later(delay, self._fallback_due, table_id, deadline)
            self._deadlines[table_id] = (deadline, timer)

    def _fallback_due(self, table_id: str, deadline: datetime) -> None:
        del self._deadlines[table_id]
        if table_id in self._tables or table_id in self._loading:
            return  # served here: the table's own timer ends the round at the deadline
        task = asyncio.create_task(self._end_unloaded_round(table_id, deadline))
        self._fallbacks.add(task)
        task.add_done_callback(self._fallbacks.discard)

    async def _end_unloaded_round(self, table_id: str, deadline: datetime) -> None:
        """End the overdue round of a table nobody has loaded, with a temporary table that is not kept.

        Not registered in `_tables`, it is not followed afterwards and no connection attaches to it; a table
        loaded meanwhile, or another process's fallback, sends the same command id, which the store appends once.
        """
        async with self._fallback_slots:
            try:
                table = await self._load(table_id, timer=False)
            except KeyError:
                return  # deleted
            except Exception:
                log.exception("could not load table %s for its deadline %s", table_id, deadline.isoformat())
                return
            try:
                await table.end_overdue_round()
            except Exception:
                log.exception("could not end the round of table %s at its deadline %s", table_id, deadline.isoformat())
            finally:
                table.close()

    async def follow_store(self, on_signal: Callable[[str, int], None] | None = None) -> None:
        """Catch up loaded tables when the store says their stream grew (appends by other processes)."""
        subscription = self.store.subscribe()
        async with subscription:
            async for stream, version in subscription:
                if on_signal is not None:
                    on_signal(stream, version)
                if stream == SCHEDULE_STREAM and version > self._schedule_seq:
                    await self.follow_schedule()
                if not stream.startswith("table:"):
                    continue
                table = self._tables.get(stream.removeprefix("table:"))
                if table is not None:
                    table.announce(version)

    async def forget(self, table_id: str) -> Table | None:
        """A deleted table leaves this process: its deadline timer stops and the shared schedule forgets it."""
        table = self._tables.pop(table_id, None)
        if table is not None:
            table.close()
        await self._record_deadline(table_id, None)
        return table

    def close(self) -> None:
        for table in self._tables.values():
            table.close()
        for _, timer in self._deadlines.values():
            timer.cancel()
        self._deadlines.clear()
        for task in self._fallbacks:
            task.cancel()
