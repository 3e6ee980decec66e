"""The bots: one per connection, players who play like people and watchers who only read.

The bots avoid moves the rules would refuse: they vote only with a role the deck lets vote, never cast the
deciding vote (the conference runs under `consensus`, so proposals stay open and no vote races a
resolution), and change a vote only to a different choice. So any error is the server's, not the bots'.

Under rules 3 (issue 13) a proposal is decided only when every voter has voted or its vote is called: the
bots still never cast the last vote and never call one (a call would race the other bots' votes into
`proposal.not_open`), so no forlig is adopted and the round stays open for the whole measured play; the
control room starts round 1 and nothing ends it, as before.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.deck import Deck
from loadtest.link import Link, open_link
from loadtest.options import LoadtestError, Options

PROPOSALS_PER_TABLE = 40  # a real game sees a few dozen proposals; after that the bots chat and re-vote
EVENT_PREFIX = b'{"type":"event","seq":'
EVENT_TYPE_OFFSET = len(b',"event":{"type":"')
CHAT = b"message_posted"
ROLES_DEALT = b"roles_dealt"

# The action mix, per action of a player while a round is open (the rest is chat).
P_VOTE = 0.15
P_PROPOSE = 0.07
P_AMEND = 0.03


class Run:
    """What all bots share: counters, the clock, and the errors."""

    def __init__(self, options: Options, deck: Deck) -> None:
        self.options = options
        self.cards = [card.id for card in deck.cards]
        # Who may vote is the deck's: a role votes when it has `votes` and a weight (engine.rules.vote_weight).
        self.voting_roles = frozenset(role.id for role in deck.roles if role.votes and role.weight > 0)
        self.non_voting_roles = len(deck.roles) - len(self.voting_roles)
        self.errors: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.acked = 0
        self.ack_latencies: list[float] = []  # since the last progress line
        self.reconnects = 0
        self.measuring = False
        self.connections = 0


class TableRun:
    """One table: its bots, the acked actions, and the table's game state as the bots learn it."""

    def __init__(
        self, number: int, table_id: str, join_code: str, url: str, conference: Conference, non_voters: int
    ) -> None:
        self.number = number
        self.non_voters = non_voters  # seated players who may not vote, at most: the deck's non-voting roles
        self.table_id = table_id
        self.join_code = join_code
        self.url = url
        self.conference = conference
        self.players: list[Bot] = []
        self.watchers: list[Bot] = []
        self.actions: list[tuple[float, int]] = []  # (send time, seq of the command's last event)
        # Game state, updated by whichever bot receives an event first.
        self.parsed = 0
        self.phase = "lobby"
        self.seated: set[str] = set()
        self.proposals: dict[str, dict[str, str]] = {}  # open proposal id -> votes (player id -> choice)
        self.proposal_count = 0

    @property
    def voters(self) -> int:
        # Roles are secret, so a bot cannot tell who votes. The seated players less every role the deck
        # keeps from voting is the fewest there can be: voting only while 3 of those have not voted means
        # no vote, nor two sent at once, ever decides a proposal.
        return len(self.seated) - self.non_voters

    def learn(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "player_joined":
            self.seated.add(event["player_id"])
        elif kind == "player_left":
            self.seated.discard(event["player_id"])
        elif kind == "round_started":
            self.phase = "round"
            self.proposals.clear()
        elif kind == "round_ended":
            self.phase = "round_ended"
            self.proposals.clear()
        elif kind == "proposal_made":
            self.proposals[event["proposal_id"]] = {}
            self.proposal_count += 1
        elif kind == "vote_cast" and event["proposal_id"] in self.proposals:
            self.proposals[event["proposal_id"]][event["player_id"]] = event["choice"]
        elif kind in ("proposal_adopted", "proposal_rejected"):
            self.proposals.pop(event["proposal_id"], None)

    def learn_snapshot(self, seq: int, view: dict[str, Any]) -> None:
        if seq <= self.parsed:
            return
        self.parsed = seq
        self.phase = view["phase"]
        self.seated = {player["id"] for player in view["players"] if player["seated"]}
        self.proposals = {p["id"]: dict(p["votes"]) for p in view["proposals"] if p["status"] == "open"}
        self.proposal_count = len(view["proposals"])


@dataclass
class Conference:
    conference_id: str
    facilitator_token: str
    projector_token: str | None
    url: str


class Bot:
    """One connection: a player who plays, or a watcher (control room, projector) who only reads."""

    def __init__(self, run: Run, table: TableRun, kind: str, token: str, player_id: str | None, index: int) -> None:
        self.run = run
        self.table = table
        self.kind = kind  # "player" | "facilitator" | "projector"
        self.token = token
        self.player_id = player_id
        self.index = index
        self.rng = random.Random(f"{run.options.seed}:{table.number}:{kind}:{index}")
        self.link: Link | None = None
        self.ready: asyncio.Future[None] | None = None  # resolved when the snapshot/replay has arrived
        self.resuming = False
        self.expected = 0  # the next seq; 0 until the first snapshot
        self.last_seq = 0
        self.gaps: list[tuple[int, int]] = []  # (expected, got)
        self.votes_role = True
        self.my_votes: dict[str, str] = {}
        self.pending: dict[str, tuple[float, str]] = {}
        self.counter = 0
        self.replies: dict[str, dict[str, Any]] = {}  # replies awaited by the orchestrator
        self.reply_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # What a player received: seq, arrival time, CRC of the frame, and whether it came in a replay.
        self.seqs = array("q")
        self.times = array("d")
        self.crcs = array("L")
        self.replayed = array("b")
        self.task: asyncio.Task[None] | None = None

    # ---- connection

    async def connect(self) -> None:
        self.ready = asyncio.get_running_loop().create_future()
        self.resuming = True
        self.link = await open_link(self.table.url, self.table.table_id, self.on_text, self.on_lost)
        self.run.connections += 1
        self.link.send(json.dumps({"type": "hello", "token": self.token, "after": self.last_seq, "lang": "en"}))
        await asyncio.wait_for(self.ready, 30)

    def on_lost(self, link: Link) -> None:
        if link is not self.link:
            return
        self.run.connections -= 1
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(LoadtestError(f"closed with {link.close_code} before the snapshot"))
            self.ready.exception()
        if not link.closing:
            self.run.errors[f"close.{link.close_code or 1006}"] += 1
            for frame_id in list(self.pending):
                self.pending.pop(frame_id)
                self.run.errors["no_reply.disconnected"] += 1
            if self.run.measuring:
                asyncio.get_running_loop().call_later(0.5, self._reconnect_soon)

    def _reconnect_soon(self) -> None:
        self.task = asyncio.ensure_future(self._reconnect_safely())

    async def _reconnect_safely(self) -> None:
        try:
            self.run.reconnects += 1
            await self.connect()
        except (OSError, LoadtestError):  # refused, reset, timed out (TimeoutError is an OSError), handshake refused
            self.run.errors["reconnect.failed"] += 1

    async def reconnect(self) -> None:
        """Close (as a phone losing its network would, but cleanly) and come back with hello.after."""
        for _ in range(100):  # let answers in flight arrive: a retry would work too, but muddies the figures
            if not self.pending:
                break
            await asyncio.sleep(0.02)
        if self.link is not None:
            await self.link.close()
        self.run.reconnects += 1
        try:
            await self.connect()
        except (OSError, LoadtestError):  # as in _reconnect_safely
            self.run.errors["reconnect.failed"] += 1

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()

    # ---- receiving

    def on_text(self, data: bytes) -> None:
        now = time.perf_counter()
        if data.startswith(EVENT_PREFIX):
            comma = data.index(b",", 22)
            seq = int(data[22:comma])
            start = comma + EVENT_TYPE_OFFSET
            kind = data[start : data.index(b'"', start)]
            if seq != self.expected:
                self.gaps.append((self.expected, seq))
            self.expected = seq + 1
            self.last_seq = seq
            table = self.table
            if self.kind == "player":
                self.seqs.append(seq)
                self.times.append(now)
                self.crcs.append(zlib.crc32(kind) if kind == ROLES_DEALT else zlib.crc32(data))
                self.replayed.append(self.resuming)
                if kind == ROLES_DEALT:
                    role = json.loads(data)["event"]["assignments"].get(self.player_id)
                    if role is not None:
                        self.votes_role = role in self.run.voting_roles
            if seq > table.parsed:
                if kind != CHAT:
                    table.learn(json.loads(data)["event"])
                table.parsed = seq
            return
        frame = json.loads(data)
        kind_str = frame["type"]
        if kind_str == "ack" or kind_str == "error":
            self._reply(frame, now)
        elif kind_str == "snapshot":
            seq = frame["seq"]
            self.expected = seq + 1
            self.last_seq = seq
            view = frame["view"]
            if self.kind == "player" and view.get("your_role") is not None:
                self.votes_role = view["your_role"] in self.run.voting_roles
            self.table.learn_snapshot(seq, view)
        elif kind_str == "presence" and self.resuming:
            # Presence follows the snapshot or the replayed events: live from here on.
            self.resuming = False
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(None)

    def _reply(self, frame: dict[str, Any], now: float) -> None:
        frame_id = frame.get("id")
        waiter = self.reply_waiters.pop(frame_id, None) if frame_id else None
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)
            return
        sent = self.pending.pop(frame_id, None) if frame_id else None
        if frame["type"] == "error":
            self.run.errors[frame["code"]] += 1
            return
        if sent is None:
            return
        self.run.acked += 1
        self.run.ack_latencies.append(now - sent[0])
        if not frame.get("duplicate"):
            self.table.actions.append((sent[0], frame["seq"]))

    # ---- sending

    def next_id(self) -> str:
        self.counter += 1
        return f"{self.index}-{self.counter}"

    async def call(self, kind: str, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its ack or error (the orchestrator's commands: start_round)."""
        frame_id = self.next_id()
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.reply_waiters[frame_id] = waiter
        assert self.link is not None
        self.link.send(json.dumps({"type": kind, "id": frame_id, **fields}))
        return await asyncio.wait_for(waiter, timeout)

    def _send(self, kind: str, frame_id: str, text: str) -> None:
        assert self.link is not None
        self.pending[frame_id] = (time.perf_counter(), kind)
        self.run.sent[kind] += 1
        self.link.send(text)

    def act(self, cards: list[str]) -> None:
        """One action, chosen the way a player at the table would."""
        table = self.table
        frame_id = self.next_id()
        roll = self.rng.random()
        if table.phase == "round":
            if roll < P_VOTE and self.votes_role:
                vote = self._choose_vote()
                if vote is not None:
                    proposal_id, choice = vote
                    self.my_votes[proposal_id] = choice
                    text = f'{{"type":"vote","id":"{frame_id}","proposal_id":"{proposal_id}","choice":"{choice}"}}'
                    self._send("vote", frame_id, text)
                    return
            elif roll < P_VOTE + P_PROPOSE + P_AMEND and table.proposal_count < PROPOSALS_PER_TABLE:
                picked = self.rng.sample(cards, self.rng.randint(2, 4))
                amends = None
                if roll >= P_VOTE + P_PROPOSE and table.proposals:
                    amends = self.rng.choice(sorted(table.proposals))
                frame = {"type": "propose", "id": frame_id, "cards": picked, "amends": amends}
                self._send("amend" if amends else "propose", frame_id, json.dumps(frame, ensure_ascii=False))
                return
        card = self.rng.choice(cards)
        mention = f" #{card}" if self.rng.random() < 0.3 else ""
        text = f"Bot {table.number}.{self.index} besked {self.counter}{mention}: hvad med skolerne?"
        self._send("chat", frame_id, json.dumps({"type": "chat", "id": frame_id, "text": text}, ensure_ascii=False))

    def _choose_vote(self) -> tuple[str, str] | None:
        table = self.table
        player_id = self.player_id
        assert player_id is not None
        fresh = [
            pid
            for pid, votes in table.proposals.items()
            if player_id not in votes and pid not in self.my_votes and table.voters - len(votes) >= 3
        ]
        if fresh:
            return self.rng.choice(fresh), self.rng.choice(("for", "against", "abstain"))
        mine = [pid for pid in table.proposals if pid in self.my_votes]
        if not mine:
            return None
        proposal_id = self.rng.choice(mine)
        current = table.proposals[proposal_id].get(player_id, self.my_votes[proposal_id])
        return proposal_id, self.rng.choice([c for c in ("for", "against", "abstain") if c != current])

    async def play(self, rate: float, stop_at: float, cards: list[str]) -> None:
        reconnect_every = self.run.options.reconnect_every
        next_reconnect = (
            time.perf_counter() + self.rng.expovariate(1 / reconnect_every) if reconnect_every else math.inf
        )
        while True:
            pause = self.rng.expovariate(rate) if rate > 0 else math.inf
            if time.perf_counter() + pause >= stop_at:
                await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
                return
            await asyncio.sleep(pause)
            now = time.perf_counter()
            if now >= next_reconnect:
                await self.reconnect()
                next_reconnect = time.perf_counter() + self.rng.expovariate(1 / reconnect_every)
                continue
            if self.resuming or self.link is None or self.link.transport is None or self.link.transport.is_closing():
                continue
            self.act(cards)
