"""A conference's target against what the deck can deliver: the range the setup page reads, and the 422 for a
target no portfolio reaches (a real server process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.feasibility import FeasibleRange, feasible_range
from engine.format import format_mio
from tests.server.helpers import ServerProcess


@pytest.fixture(scope="module")
def feasible() -> FeasibleRange:
    return feasible_range(load_deck(DEFAULT_DECK_PATH))


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    # The deck's search takes seconds the first time a server process needs it.
    async with httpx.AsyncClient(base_url=server.url, timeout=120.0) as client:
        yield client


async def create(http: httpx.AsyncClient, target: float, **fields: object) -> httpx.Response:
    return await http.post("/api/conferences", json={"name": "Mål", "tables": 1, "target": target, **fields})


async def test_the_deck_s_range_is_the_engine_s(http: httpx.AsyncClient, feasible: FeasibleRange) -> None:
    response = await http.get("/api/decks/korsbaek/feasibility")
    assert response.status_code == 200, response.text
    assert response.json() == feasible.model_dump(mode="json")
    assert [level["name"] for level in response.json()["levels"]] == ["let", "middel", "svær"]
    assert (await http.get("/api/decks/nowhere/feasibility")).status_code == 404


async def test_a_target_above_the_maximum_is_refused_in_danish(
    http: httpx.AsyncClient, feasible: FeasibleRange
) -> None:
    target = feasible.max_target + 1
    response = await create(http, target)
    assert response.status_code == 422
    assert response.json() == {
        "detail": {
            "code": "conference.target_unreachable",
            "message": f"Målet på {format_mio(target)} kan ikke nås med dette kortsæt: "
            f"det kan højst give {format_mio(feasible.max_target)} i budgetåret.",
            "details": {"max_target": feasible.max_target},
        }
    }


async def test_the_refusal_speaks_the_request_s_language(http: httpx.AsyncClient, feasible: FeasibleRange) -> None:
    target = feasible.max_target + 0.5
    response = await create(http, target, language="en")
    assert response.status_code == 422
    assert response.json()["detail"]["message"] == (
        f"A target of {format_mio(target, 'en')} cannot be reached with this deck: "
        f"it can deliver at most {format_mio(feasible.max_target, 'en')} in the budget year."
    )


async def test_the_maximum_and_every_suggested_level_are_accepted(
    http: httpx.AsyncClient, feasible: FeasibleRange
) -> None:
    for target in (feasible.max_target, *(level.target for level in feasible.levels)):
        response = await create(http, target)
        assert response.status_code == 201, (target, response.text)
    # No target: the deck's own default, which is not checked against the search.
    assert (await http.post("/api/conferences", json={"name": "Mål", "tables": 1})).status_code == 201
