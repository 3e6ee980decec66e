"""What the control room and the projector show of each table: its row in the conference overview and the
flags that ask the facilitator to look (docs/conferences.md).

Pure: the time is an argument (`now`), and so is what only the server knows (who is connected, when the
table last changed, since when it has been half offline). The server reads these functions and sends their
results; the conference pages show them and recompute none of it.

>>> reached((0.0, -0.1, 2.5, -3.0))
(True, False, True, False)
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.budget import year_reached
from engine.model import Phase, State, Years

STALLED_SECONDS = 300.0  # a running round with no event for this long is flagged "stalled"
NEAR_DEADLINE_SECONDS = 180.0  # a running round without a forlig this close to its deadline is flagged
OFFLINE_GRACE_SECONDS = 20.0  # under half the table online for this long is flagged (phones reconnect in seconds)

Flag = Literal["stalled", "no_forlig_near_deadline", "offline"]
Reached = tuple[bool, bool, bool, bool]
# After these the game is over at the table: who is connected no longer matters.
_PRESENCE_IRRELEVANT: frozenset[Phase] = frozenset({"reality_check", "debrief"})


class TableOverview(BaseModel):
    """A table's row as far as it follows from its state alone (the same for every seq it was read at)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    phase: Phase
    table_name: str | None  # the game's own name for the table; none before the game is created
    round: int | None
    rounds_total: int | None
    paused: bool  # a round is open and paused
    deadline: datetime | None  # the open round's deadline; none when there is none or the round is paused
    remaining: float | None  # the seconds that were left when the round was paused
    seated: int
    forlig: str | None  # the proposal id of the table's forlig
    result: Years | None  # the forlig against the target per year (mio. kr.)
    reached: Reached | None  # per year, whether the forlig reaches the target
    proposals_open: int
    event_card: str | None = None  # the event card drawn for the current round (the projector shows it large)


def reached(result: Years | None) -> Reached | None:
    """Per year whether `result` (found minus target) reaches the target; none without a result."""
    if result is None:
        return None
    a, b, c, d = (year_reached(value) for value in result)
    return a, b, c, d


def table_overview(state: State, result: Years | None) -> TableOverview:
    """The table's row. `result` is the forlig's against the target (`engine.budget.assess(...).result`, which
    the server caches), none without a forlig."""
    config = state.config
    round_ = state.current_round
    playing = state.phase == "round" and round_ is not None
    paused = bool(playing and round_ is not None and round_.paused)
    forlig = state.forlig
    return TableOverview(
        seq=state.seq,
        phase=state.phase,
        table_name=config.table_name if config else None,
        round=round_.number if round_ else None,
        rounds_total=config.rounds if config else None,
        paused=paused,
        deadline=round_.deadline if playing and round_ is not None else None,
        remaining=round_.remaining if paused and round_ is not None else None,
        seated=sum(1 for _ in state.seated()),
        forlig=forlig.proposal_id if forlig else None,
        result=result if forlig is not None else None,
        reached=reached(result) if forlig is not None else None,
        proposals_open=sum(1 for proposal in state.proposals.values() if proposal.status == "open"),
        event_card=round_.event_card if round_ else None,
    )


def under_half_online(row: TableOverview, online: int) -> bool:
    """Fewer than half the seated players are connected, while the game still needs them."""
    return row.phase not in _PRESENCE_IRRELEVANT and row.seated > 0 and online * 2 < row.seated


def flags(
    row: TableOverview,
    *,
    now: datetime,
    last_activity: datetime | None,
    online: int,
    offline_since: datetime | None,
) -> list[Flag]:
    """What asks the facilitator to look at the table, in this order:

    - `stalled`: the round runs (open, not paused) and nothing happened for STALLED_SECONDS;
    - `no_forlig_near_deadline`: the round runs without a forlig and its deadline is NEAR_DEADLINE_SECONDS away
      or past;
    - `offline`: under half the seated players are connected (`under_half_online`), for OFFLINE_GRACE_SECONDS
      since `offline_since` (when the server first saw it so), or at once when there is no such moment (a
      single reading, as over HTTP).
    """
    found: list[Flag] = []
    running = row.phase == "round" and not row.paused
    if running and last_activity is not None and (now - last_activity).total_seconds() >= STALLED_SECONDS:
        found.append("stalled")
    near = row.deadline is not None and (row.deadline - now).total_seconds() <= NEAR_DEADLINE_SECONDS
    if running and row.forlig is None and near:
        found.append("no_forlig_near_deadline")
    if under_half_online(row, online) and (
        offline_since is None or (now - offline_since).total_seconds() >= OFFLINE_GRACE_SECONDS
    ):
        found.append("offline")
    return found
