"""Fixtures for the replay and archive tests: the default deck, the committed v1 log, a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck
from tests.server.helpers import ServerProcess
from testsupport.store_fixtures import redis_srv, redis_url, store, store_url

__all__ = ["redis_srv", "redis_url", "store", "store_url"]  # shared fixtures (test_retention.py)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOG_V1 = FIXTURES / "log-v1.jsonl"
TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture(scope="session")
def deck() -> Deck:
    return load_deck(DEFAULT_DECK_PATH)


@pytest.fixture(scope="session")
def log_v1_text() -> str:
    return LOG_V1.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def replay_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One SQLite-backed server for the replay tests; its log must hold no traceback at the end."""
    directory = tmp_path_factory.mktemp("replay-server")
    server = ServerProcess(
        f"sqlite:///{directory / 'events.db'}",
        log_dir=directory,
        env={"RAADERUM_FRAMES_PER_SECOND": "100000", "RAADERUM_FRAME_BURST": "100000"},
    )
    server.start()
    yield server
    server.stop()
    log = server.log_text()
    assert TRACEBACK not in log, log[-4000:]
