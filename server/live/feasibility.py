"""The deck's feasible targets, kept on disk between processes.

`engine.feasibility.feasible_range` is a pure, deterministic search that takes a few tenths of a second for
a deck. Every server process (and every test server) would pay that on its first conference; the answer
depends only on the deck's content and the search's code, so it is kept in a cache file named by both and
read back by later processes. A missing, unreadable or stale file is recomputed, never trusted blindly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from engine import feasibility
from engine.deck import Deck
from engine.feasibility import FeasibleRange, feasible_range

# The search's own source is part of the key: a change to how targets are found never reads an old answer.
_SEARCH_DIGEST = hashlib.sha256(Path(feasibility.__file__).read_bytes()).hexdigest()[:16]


def _path(cache_dir: Path, deck: Deck) -> Path:
    return cache_dir / f"feasibility-{deck.digest[:32]}-{_SEARCH_DIGEST}.json"


def cached_feasible_range(deck: Deck, cache_dir: Path) -> FeasibleRange:
    """`feasible_range(deck)`, read from `cache_dir` when an earlier process computed it."""
    path = _path(cache_dir, deck)
    with contextlib.suppress(OSError, ValidationError):
        return FeasibleRange.model_validate_json(path.read_bytes())
    found = feasible_range(deck)
    with contextlib.suppress(OSError):  # a read-only or full disk only costs the next process the search
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".feasibility-")
        with os.fdopen(fd, "wb") as file:
            file.write(found.model_dump_json().encode())
        os.replace(tmp, path)
    return found
