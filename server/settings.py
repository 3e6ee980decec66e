"""Server configuration from the environment (RAADERUM_*; REDIS_URL and PORT as platforms set them)."""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.bots import DEFAULT_PACE_SECONDS
from engine.catalog import MAX_BYTES, MAX_ROWS
from engine.deck import DEFAULT_DECK_PATH

DEFAULT_SQLITE_URL = "sqlite:///./data/raaderum.db"
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "raaderum"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAADERUM_", extra="ignore")

    store: str | None = Field(default=None, description="Event store URL: sqlite:///path or redis://host:port/db")
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "RAADERUM_REDIS_URL"))
    secret: str | None = Field(default=None, description="Signs tokens; generated and kept in the store when unset")
    previous_secrets: str | None = Field(
        default=None, description="Comma-separated secrets that signed tokens before a rotation; still accepted"
    )
    previous_secrets_until: datetime | None = Field(
        default=None, description="When the previous secrets stop being accepted (ISO 8601); unset: while listed"
    )
    decks_dir: Path = Field(default=DEFAULT_DECK_PATH.parent, description="Folder holding one folder per deck")
    admin_password: str | None = Field(default=None, description="Needed to create conferences, when set")
    retention_days: float | None = Field(default=None, gt=0, description="Delete conferences and replays this old")
    demo: bool = Field(default=False, description="Create a demo conference at startup and print how to join")
    metrics_token: str | None = Field(default=None, description="When set, GET /metrics needs it as a bearer token")
    public_url: str | None = Field(default=None, description="Base URL printed in links, e.g. https://raaderum.example")
    bot_pace_seconds: float = Field(
        default=DEFAULT_PACE_SECONDS,
        ge=0,
        le=600,
        description="Seconds between a practice bot's actions (docs/bots.md)",
    )
    bot_lease_seconds: float = Field(
        default=15.0, gt=0, le=600, description="How long a process's hold on a table's bots lasts unrenewed"
    )
    cache_dir: Path = Field(
        default=DEFAULT_CACHE_DIR, description="Results worth keeping between processes (a deck's feasible targets)"
    )

    # Abuse limits for one websocket connection.
    max_frame_bytes: int = 16 * 1024
    frames_per_second: float = 20.0
    frame_burst: int = 40
    send_queue_frames: int = 1000
    heartbeat_seconds: float = 25.0
    hello_timeout_seconds: float = 10.0
    # Open websockets one token may hold on one table, per process (a phone, a second tab, a reconnect racing
    # the old socket's close); more are refused with auth.too_many_connections.
    max_connections_per_token: int = Field(default=8, ge=1)
    # Replay uploads (POST /api/replays): the largest log, and uploads a minute from one address.
    max_upload_mb: int = Field(default=64, ge=1)
    uploads_per_minute: int = Field(default=30, ge=1)
    # Catalogue uploads (POST /api/decks): the largest file and the most proposals (docs/operations.md).
    catalog_max_mb: float = Field(default=MAX_BYTES / (1024 * 1024), gt=0, le=64)
    catalog_max_rows: int = Field(default=MAX_ROWS, ge=1)
    # Seats (docs/protocol.md, "Seats"): a seat whose player never opened the table leaves the lobby after
    # this many seconds, and is never dealt a role; wrong seat codes one address may try a minute.
    ghost_seconds: float = Field(default=180.0, ge=1)
    seat_claims_per_minute: int = Field(default=10, ge=1)
    # Write frames straight to uvicorn's transport, once-encoded per event (server/transport/wsdirect.py);
    # off = ASGI sends.
    direct_writes: bool = True

    @property
    def previous_secret_list(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.previous_secrets or "").split(",") if part.strip())

    @property
    def catalog_max_bytes(self) -> int:
        return int(self.catalog_max_mb * 1024 * 1024)

    @property
    def store_url(self) -> str:
        if self.store:
            return self.store
        if self.redis_url:
            return self.redis_url
        return DEFAULT_SQLITE_URL

    @property
    def store_kind(self) -> str:
        return "sqlite" if self.store_url.startswith("sqlite") else "redis"


@lru_cache
def get_settings() -> Settings:
    return Settings()
