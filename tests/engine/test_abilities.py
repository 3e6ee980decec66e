"""The roles' abilities (issue 13, item 3): each one a use_ability command that is recorded, visible to the table,
refused with a typed code when the card does not allow it, and that does what the card prints."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine.abilities import adjustments, assess_table, events_in_force, score_costs
from engine.debrief import debrief
from engine.deck import Deck
from engine.model import (
    FACILITATOR,
    AbilityUsed,
    Actor,
    CreateGame,
    EndGame,
    EndRound,
    Event,
    ForceAdopt,
    Join,
    Pause,
    ProposalAdopted,
    Propose,
    Resume,
    RoundPaused,
    RoundStarted,
    StartRound,
    UseAbility,
)
from engine.reality import forecast
from engine.rules import evolve
from engine.views import PROJECTOR_VIEWER, Viewer, derived, view
from tests.engine.conftest import Table
from tests.engine.test_rules import refused

# Keeps within the anlægspulje and has every kind; TM-01 uses 24 of the 25 in anlæg.
FORLIG = ("AD-03", "ÆL-05", "SK-04", "ÆL-04", "DT-02", "AD-02", "SK-02", "TM-01", "SK-U1", "AD-05")


def record(table: Table, event: Event) -> None:
    table.state = evolve(table.state, event)
    table.log.append(event)
    table.states.append(table.state)


def full_table(table: Table, rounds: int = 5) -> None:
    """Eight players, so every role (and every ability) is at the table, in an open first round."""
    table.play(CreateGame, table_name="Bord 1", seed=7, rounds=rounds, rule="consensus")
    for number in range(1, 9):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    table.play(StartRound)


def draw(table: Table, event_id: str) -> None:
    """End the round and start the next with this event card, as if the seeded draw had turned it up."""
    if table.state.phase == "round":
        table.play(EndRound)
    record(table, RoundStarted(at=table.tick(), round=len(table.state.rounds) + 1, event_card=event_id, deadline=None))


def holder(table: Table, role: str) -> Actor:
    return Actor.player(table.holder(role))


def use(table: Table, role: str, ability: str, **fields: object) -> list[Event]:
    return table.play(UseAbility, holder(table, role), ability=ability, **fields)


def adopt(table: Table, cards: Sequence[str]) -> None:
    table.play(Propose, holder(table, "borgmester"), cards=tuple(cards))
    table.play(ForceAdopt, proposal_id=list(table.state.proposals)[-1])


@pytest.fixture
def full(table: Table) -> Table:
    full_table(table)
    return table


# ---- what every ability shares ---------------------------------------------------------------------------


def test_every_role_card_that_prints_an_ability_has_one_the_engine_plays(deck: Deck) -> None:
    for role in deck.roles:
        assert bool(role.ability) == bool(role.abilities), role.id
    assert len({a.id for role in deck.roles for a in role.abilities}) == 8


def test_an_ability_is_refused_when_it_is_not_the_players_or_not_known(full: Table) -> None:
    mayor, other = holder(full, "borgmester"), holder(full, "teknik_klima")
    refused("ability.unknown", full, UseAbility, mayor, ability="flyvende_tæppe")
    refused("ability.not_your_role", full, UseAbility, other, ability="borgmesterkompromis", card="AD-03")
    refused("actor.not_player", full, UseAbility, FACILITATOR, ability="energilaan", card="TM-01")


def test_a_use_is_recorded_visible_to_the_whole_table_and_once_per_game(full: Table) -> None:
    (used,) = use(full, "teknik_klima", "energilaan", card="TM-01")
    assert isinstance(used, AbilityUsed)
    assert (used.role, used.ability, used.effect, used.card, used.round) == (
        "teknik_klima",
        "energilaan",
        "loan",
        "TM-01",
        1,
    )
    someone_else = next(p.id for p in full.state.seated() if p.role != "teknik_klima")
    for viewer in (PROJECTOR_VIEWER, Viewer("player", someone_else)):
        seen = view(full.state, viewer)
        assert [(u.ability, u.card) for u in seen.ability_uses] == [("energilaan", "TM-01")]
        loan = next(a for a in seen.abilities if a.id == "energilaan")
        assert (loan.uses_left, loan.now) == (0, False)
    refused("ability.used_up", full, UseAbility, holder(full, "teknik_klima"), ability="energilaan", card="TM-02")


def test_the_table_is_told_when_an_abilitys_moment_comes(full: Table) -> None:
    """The view says which abilities may be used now, and the event that changes it says so in `derived`."""
    now = {a.id: a.now for a in view(full.state, PROJECTOR_VIEWER).abilities}
    assert now["borgmesterkompromis"] is False  # no forlig yet
    assert now["demografianalyse"] is False  # E03 has not been drawn
    assert now["energilaan"] is True
    adopt(full, FORLIG)
    at = next(i for i, event in enumerate(full.log) if isinstance(event, ProposalAdopted))
    change = derived(full.states[at], full.log[at])
    assert change is not None
    assert change.abilities is not None
    assert {a.id: a.now for a in change.abilities}["borgmesterkompromis"] is True
    draw(full, "E03")
    started = full.log[-1]
    change = derived(full.state, started)
    assert change is not None
    assert change.abilities is not None
    assert {a.id: a.now for a in change.abilities}["demografianalyse"] is True


def test_no_ability_is_used_while_the_round_is_paused_or_closed(full: Table) -> None:
    full.play(Pause)
    refused("round.paused", full, UseAbility, holder(full, "teknik_klima"), ability="energilaan", card="TM-01")
    full.play(Resume)
    full.play(EndRound)
    refused("round.not_open", full, UseAbility, holder(full, "teknik_klima"), ability="energilaan", card="TM-01")


# ---- borgmesterkompromis: one card into or out of the forlig without a vote ---------------------------------------


def test_the_mayors_compromise_moves_one_card_out_of_the_forlig_without_a_vote(full: Table) -> None:
    mayor = holder(full, "borgmester")
    refused("ability.no_forlig", full, UseAbility, mayor, ability="borgmesterkompromis", card="AD-03")
    adopt(full, FORLIG)
    refused("ability.card_missing", full, UseAbility, mayor, ability="borgmesterkompromis")
    (used,) = use(full, "borgmester", "borgmesterkompromis", card="ÆL-05")
    assert isinstance(used, AbilityUsed)
    assert used.moved == "out"
    assert full.state.forlig is not None
    assert "ÆL-05" not in full.state.forlig.cards
    assert view(full.state, PROJECTOR_VIEWER).forlig.cards == tuple(c for c in FORLIG if c != "ÆL-05")  # type: ignore[union-attr]
    assert debrief(full.state, draws=10).forlig.cards == full.state.forlig.cards  # type: ignore[union-attr]
    refused("ability.used_up", full, UseAbility, mayor, ability="borgmesterkompromis", card="AD-05")


def test_the_compromise_moves_a_card_in_after_the_round_and_keeps_the_cards_rules(full: Table) -> None:
    adopt(full, ("AD-03",))
    mayor = holder(full, "borgmester")
    refused("ability.forlig_empty", full, UseAbility, mayor, ability="borgmesterkompromis", card="AD-03")
    refused("portfolio.card_unknown", full, UseAbility, mayor, ability="borgmesterkompromis", card="XX-01")
    if full.state.phase == "round":
        full.play(EndRound)
    assert full.state.phase == "round_ended"
    (used,) = use(full, "borgmester", "borgmesterkompromis", card="SK-04")
    assert isinstance(used, AbilityUsed)
    assert used.moved == "in"
    assert full.state.forlig is not None
    assert full.state.forlig.cards == ("AD-03", "SK-04")


# ---- trykprøvning and medarbejderinddragelse: one step lower uncertainty ----------------------------------------


def test_the_stress_test_lowers_a_cards_uncertainty_and_delays_its_gains_half_a_year(full: Table) -> None:
    director = holder(full, "oekonomidirektoer")
    refused("ability.card_missing", full, UseAbility, director, ability="trykproevning")
    refused("ability.card_not_eligible", full, UseAbility, director, ability="trykproevning", card="AD-03")
    before = assess_table(full.state, ("ÆL-02",))
    use(full, "oekonomidirektoer", "trykproevning", card="ÆL-02")
    after = assess_table(full.state, ("ÆL-02",))
    assert before.card(full.deck, "ÆL-02").uncertainty == "høj"
    assert after.card(full.deck, "ÆL-02").uncertainty == "medium"
    # Printed −2,5 / 1,5 / 4,0 / 5,0: the gains come half a year later, the cost is paid as planned.
    assert after.card_amounts["ÆL-02"] == (-2.5, 0.75, 2.75, 4.5)
    # The dice now roll the medium table: a narrower spread around the same mean.
    wide = forecast(full.deck, before, draws=4000, seed=1, rules=2)
    narrow = forecast(full.deck, after, draws=4000, seed=1, rules=2)
    assert narrow.expected != wide.expected


def test_staff_involvement_lowers_an_efficiency_cards_uncertainty_but_never_below_low(full: Table) -> None:
    staff = holder(full, "medarbejderrepraesentant")
    refused("ability.card_not_eligible", full, UseAbility, staff, ability="medarbejderinddragelse", card="ÆL-02")
    refused("ability.uncertainty_lowest", full, UseAbility, staff, ability="medarbejderinddragelse", card="SK-02")
    use(full, "medarbejderrepraesentant", "medarbejderinddragelse", card="AD-04")
    assert assess_table(full.state, ("AD-04",)).card(full.deck, "AD-04").uncertainty == "medium"
    assert assess_table(full.state, ("AD-04",)).card_amounts["AD-04"] == full.deck.card("AD-04").amounts
    use(full, "oekonomidirektoer", "trykproevning", card="AD-04")  # a second step, from another role
    assert adjustments(full.state).uncertainty(full.deck.card("AD-04")) == "lav"


# ---- energilån: an energy project outside the anlægspulje ------------------------------------------------------


def test_the_loan_takes_an_energy_project_out_of_the_capital_pool(full: Table) -> None:
    teknik = holder(full, "teknik_klima")
    refused("ability.card_not_eligible", full, UseAbility, teknik, ability="energilaan", card="TM-U1")
    both = ("TM-01", "TM-U1")
    assert assess_table(full.state, both).capital_spent == 34.0  # over the pool of 25
    use(full, "teknik_klima", "energilaan", card="TM-01")
    after = assess_table(full.state, both)
    assert after.capital_spent == 10.0
    assert not any(w.code == "budget.capital_exceeded" for w in after.warnings)


# ---- fremrykning: a 1 August card starts on 1 January -------------------------------------------------------------


def test_bringing_a_card_forward_gives_it_a_full_year_in_the_budget_year_at_a_point_of_score(full: Table) -> None:
    school = holder(full, "boern_skole")
    refused("ability.card_not_eligible", full, UseAbility, school, ability="fremrykning", card="AD-03")
    use(full, "boern_skole", "fremrykning", card="DT-01")
    assert assess_table(full.state, ("DT-01",)).card_amounts["DT-01"] == (2.0, 2.0, 2.0, 2.0)
    assert score_costs(full.state) == {"boern_skole": 1}


# ---- demografianalyse: E03 on hold for one round ------------------------------------------------------------------


def test_e03_can_be_put_on_hold_in_the_round_it_is_drawn_and_counts_again_the_round_after(full: Table) -> None:
    elderly = holder(full, "aeldre_sundhed")
    refused("ability.event_not_drawn", full, UseAbility, elderly, ability="demografianalyse")
    draw(full, "E03")
    with_e03 = assess_table(full.state, FORLIG).result
    use(full, "aeldre_sundhed", "demografianalyse")
    assert events_in_force(full.state) == ()
    on_hold = assess_table(full.state, FORLIG).result
    assert [round(b - a, 6) for a, b in zip(with_e03, on_hold, strict=True)] == [2.0, 4.0, 6.0, 8.0]
    draw(full, "E05")
    assert events_in_force(full.state) == ("E03", "E05")


def test_e03_on_hold_when_the_game_ends_never_counts(full: Table) -> None:
    draw(full, "E03")
    use(full, "aeldre_sundhed", "demografianalyse", event="E03")
    adopt(full, FORLIG)
    full.play(EndGame)
    assert debrief(full.state, draws=10).years[3].event_effect == 0.0


# ---- tværgående indsats: E04 halved in the overslagsår for 1 mio. kr. in the budgetår ------------------------------


def test_e04_is_halved_in_the_projection_years_for_one_million_in_the_budget_year(full: Table) -> None:
    social = holder(full, "social_handicap")
    draw(full, "E03")
    refused("ability.event_not_drawn", full, UseAbility, social, ability="tvaergaaende_indsats", event="E03")
    draw(full, "E04")
    refused("ability.event_not_drawn", full, UseAbility, social, ability="tvaergaaende_indsats", event="E03")
    before = assess_table(full.state, ("AD-03",)).event_effect
    use(full, "social_handicap", "tvaergaaende_indsats", event="E04")
    after = assess_table(full.state, ("AD-03",)).event_effect
    # E03 −2/−4/−6/−8 stays; E04's −4 a year becomes −5 / −2 / −2 / −2.
    assert before == (-6.0, -8.0, -10.0, -12.0)
    assert after == (-7.0, -6.0, -8.0, -10.0)


# ---- høringssvar: a hearing, and a pause while a card's consequences are read aloud ------------------------------


def test_the_hearing_pauses_the_round_and_costs_a_forlig_with_service_minus_two_trust(full: Table) -> None:
    citizens = holder(full, "borgerrepraesentant")
    refused("ability.card_missing", full, UseAbility, citizens, ability="hoeringssvar")
    refused("ability.card_not_eligible", full, UseAbility, citizens, ability="hoeringssvar", card="XX-01")
    assert assess_table(full.state, FORLIG).trust_penalty == 0
    used, paused = use(full, "borgerrepraesentant", "hoeringssvar", card="ÆL-05")
    assert isinstance(used, AbilityUsed)
    assert used.card == "ÆL-05"
    assert isinstance(paused, RoundPaused)
    assert full.state.current_round is not None
    assert full.state.current_round.paused
    assert assess_table(full.state, FORLIG).trust_penalty == 1  # ÆL-05 and ÆL-04 are service −2
    full.play(Resume)
    adopt(full, FORLIG)
    full.play(EndGame)
    reasons = {reason.code: reason for reason in debrief(full.state, draws=10).verdict.reasons}
    assert reasons["verdict.trust"].ok is False
