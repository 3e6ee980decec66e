from __future__ import annotations

import pytest

from engine.deck import DEFAULT_DECK_PATH, Deck, load_deck


@pytest.fixture(scope="session")
def deck() -> Deck:
    return load_deck(DEFAULT_DECK_PATH)
