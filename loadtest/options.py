"""What a run is asked to do (`Options`), and the error for a run that could not be set up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from server.serving import APP


class LoadtestError(Exception):
    """The run could not be set up (a server did not start, the API refused the conference)."""


@dataclass
class Options:
    tables: int = 2
    players: int = 8
    duration: float = 10.0
    rate: float = 0.2  # actions per player per second
    url: str | None = None  # base URL(s), comma-separated: tables are spread over them; None = start servers
    store: str | None = None  # for started servers: a store URL, "sqlite" (temp file) or "redis" (throwaway)
    workers: int = 1  # server processes to start (several need Redis)
    watchers: bool = True  # a control room and a projector on every table
    reconnect_every: float = 120.0  # mean seconds between one player's reconnects; 0 = never
    seed: int | None = None
    app: str = APP  # the app factory of started servers (tests serve a broken double)
    server_env: dict[str, str] = field(default_factory=dict)
    server_pids: list[int] = field(default_factory=list)  # with `url`: processes to read memory and CPU from
    server_cpu: float | None = None  # cap each started server process at this share of one core (cgroups)
    drain_seconds: float = 15.0
    connect_concurrency: int = 64
    progress: Callable[[str], None] | None = None
