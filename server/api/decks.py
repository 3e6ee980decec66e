"""The deck as JSON, for the pages (scenario, cards, events, roles), in one language or both."""

from __future__ import annotations

import asyncio
import gzip
import json
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from engine.deck import Deck
from engine.feasibility import FeasibleRange, feasible_range
from server.deps import Lang, ServicesDep, fail
from server.responses import IMMUTABLE, REVALIDATE, bytes_response

router = APIRouter()


# ---- the deck ------------------------------------------------------------------------------------


def deck_version(deck: Deck) -> str:
    return deck.digest[:16]


def _pick_lang(value: Any, lang: str) -> Any:
    """The deck's JSON with every Text ({da, en}) replaced by the chosen language's string."""
    if isinstance(value, dict):
        if set(value) == {"da", "en"} and all(isinstance(text, str) for text in value.values()):
            return value[lang]
        return {key: _pick_lang(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [_pick_lang(item, lang) for item in value]
    return value


@lru_cache(maxsize=32)
def _deck_json(deck: Deck, lang: str | None) -> tuple[bytes, bytes]:
    data: dict[str, Any] = deck.model_dump(mode="json")
    if lang is not None:
        data = _pick_lang(data, lang)
    data["digest"] = deck.digest
    data["lang"] = lang
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return body, gzip.compress(body, mtime=0)


@router.get("/api/decks/{deck_id}", tags=["web"])
async def deck_json(
    request: Request,
    deck_id: str,
    services: ServicesDep,
    lang: Annotated[Lang | None, Query(description="Only this language's texts (smaller); both when absent")] = None,
    v: Annotated[str | None, Query(description="The deck's version; with it the answer is cached for a year")] = None,
) -> Response:
    """The deck (scenario, cards, events, roles) as JSON. The ETag is the deck's digest."""
    try:
        deck = services.tables.decks.get(deck_id)
    except KeyError:
        raise fail(404, "deck.unknown", f"no deck {deck_id!r}") from None
    body, gzipped = _deck_json(deck, lang)
    version = deck_version(deck)
    cache = IMMUTABLE if v == version else REVALIDATE
    etag = f'"{deck.digest}-{lang or "all"}"'
    return bytes_response(request, body, gzipped, "application/json", etag, cache)


@router.get("/api/decks/{deck_id}/feasibility", response_model=FeasibleRange, tags=["web"])
async def deck_feasibility(deck_id: str, services: ServicesDep) -> FeasibleRange:
    """The targets the deck can deliver: the highest X (with and without the worst event) and the suggested
    levels let, middel and svær. `POST /api/conferences` refuses a target above `max_target`."""
    try:
        deck = services.tables.decks.get(deck_id)
    except KeyError:
        raise fail(404, "deck.unknown", f"no deck {deck_id!r}") from None
    return await asyncio.to_thread(feasible_range, deck)  # seconds the first time for a deck, then cached
