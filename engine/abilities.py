"""The roles' abilities: when `use_ability` may be given, the event it records, and what the abilities used so
far do to the arithmetic (`adjustments`, which `engine.budget.assess` takes).

The abilities are deck data (`[[roles.abilities]]`, engine.deck.Ability): each names one of the effects
implemented here, so a catalogue deck can give its roles the same ones. docs/decks.md ("Abilities") says
what each effect does and when it may be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from engine.budget import (
    NO_ADJUSTMENTS,
    Adjustments,
    Assessment,
    assess,
    target_years,
    validate_portfolio,
)
from engine.deck import (
    Ability,
    BringForwardAbility,
    HearingAbility,
    HearingEffect,
    LoanAbility,
    LowerUncertaintyAbility,
    MoveCardAbility,
    PauseEventAbility,
    Role,
    SoftenEventAbility,
)
from engine.errors import RuleViolation
from engine.model import AbilityUse, AbilityUsed, Event, RoundPaused, State, UseAbility, Years


def adjustments(state: State) -> Adjustments:
    """What the abilities used so far do to the arithmetic of every portfolio at the table."""
    if not state.abilities_used:
        return NO_ADJUSTMENTS
    lowered: dict[str, int] = {}
    delayed: dict[str, int] = {}
    loaned: set[str] = set()
    forward: set[str] = set()
    paused: set[str] = set()
    softened: list[tuple[str, float, float]] = []
    hearings: list[HearingEffect] = []
    current = state.current_round.number if state.current_round is not None else None
    for use in state.abilities_used:
        found = state.deck.ability(use.ability)
        if found is None:
            continue
        ability = found[1]
        if isinstance(ability, LowerUncertaintyAbility) and use.card is not None:
            lowered[use.card] = lowered.get(use.card, 0) + 1
            if ability.delay_months:
                delayed[use.card] = delayed.get(use.card, 0) + ability.delay_months
        elif isinstance(ability, LoanAbility) and use.card is not None:
            loaned.add(use.card)
        elif isinstance(ability, BringForwardAbility) and use.card is not None:
            forward.add(use.card)
        elif isinstance(ability, PauseEventAbility) and use.event is not None and use.round == current:
            paused.add(use.event)  # on hold until the next round starts
        elif isinstance(ability, SoftenEventAbility) and use.event is not None:
            softened.append((use.event, ability.factor, ability.cost))
        elif isinstance(ability, HearingAbility):
            hearings.append(
                HearingEffect(
                    kind="hearing", service_at_most=ability.service_at_most, trust_penalty=ability.trust_penalty
                )
            )
    return Adjustments(
        lowered=tuple(sorted(lowered.items())),
        delayed_months=tuple(sorted(delayed.items())),
        loaned=tuple(sorted(loaned)),
        forward=tuple(sorted(forward)),
        paused=tuple(sorted(paused)),
        softened=tuple(sorted(softened)),
        hearings=tuple(hearings),
    )


def events_in_force(state: State, adjust: Adjustments | None = None) -> tuple[str, ...]:
    """The event cards drawn so far that count: those an ability holds back are left out."""
    return (adjust if adjust is not None else adjustments(state)).in_force(state.event_cards)


def assess_table(state: State, cards: Sequence[str], target: Years | None = None) -> Assessment:
    """A portfolio at this table: under the events in force and the abilities used (engine.budget.assess)."""
    adjust = adjustments(state)
    if target is None:
        target = state.config.target if state.config is not None else target_years(state.deck.scenario, None)
    return assess(state.deck, cards, events_in_force(state, adjust), target, adjust)


def score_costs(state: State) -> dict[str, int]:
    """Points each role's abilities cost its score (bring_forward's score_cost), by role id."""
    costs: dict[str, int] = {}
    for use in state.abilities_used:
        found = state.deck.ability(use.ability)
        if found is not None and isinstance(found[1], BringForwardAbility) and found[1].score_cost:
            costs[use.role] = costs.get(use.role, 0) + found[1].score_cost
    return costs


def uses_left(state: State, ability: Ability) -> int:
    return ability.uses - sum(1 for use in state.abilities_used if use.ability == ability.id)


# ---- When an ability may be used -----------------------------------------------------------------


def _require_timing(state: State, ability: Ability, event: str | None = None) -> str | None:
    """Raise why the ability cannot be used now (whoever holds it); the event it works on, for the event ones."""
    round_ = state.current_round
    if isinstance(ability, MoveCardAbility):
        if state.phase not in ("round", "round_ended") or round_ is None:
            raise RuleViolation("round.not_open")
        if state.phase == "round" and round_.paused:
            raise RuleViolation("round.paused")
        if state.forlig is None:
            raise RuleViolation("ability.no_forlig")
        return None
    if state.phase != "round" or round_ is None:
        raise RuleViolation("round.not_open")
    if round_.paused:
        raise RuleViolation("round.paused")
    if isinstance(ability, PauseEventAbility | SoftenEventAbility):
        chosen = event if event is not None else round_.event_card
        if chosen is None or chosen != round_.event_card or chosen not in ability.events:
            raise RuleViolation("ability.event_not_drawn", events=", ".join(ability.events))
        return chosen
    return None


def usable_now(state: State, ability: Ability) -> bool:
    """Whether the moment to use the ability has come and a use is left (a card may still be needed)."""
    if state.config is None or state.phase in ("reality_check", "debrief") or uses_left(state, ability) <= 0:
        return False
    try:
        _require_timing(state, ability)
    except RuleViolation:
        return False
    return True


def _require_card(command: UseAbility) -> str:
    if command.card is None:
        raise RuleViolation("ability.card_missing")
    return command.card


def _move(state: State, ability: MoveCardAbility, card: str) -> tuple[str, ...] | None:
    """The forlig's cards after the move; None when the card goes in."""
    forlig = state.forlig
    assert forlig is not None
    if card in forlig.cards:
        rest = tuple(item for item in forlig.cards if item != card)
        if not rest:
            raise RuleViolation("ability.forlig_empty")
        return rest
    validate_portfolio(state.deck, (*forlig.cards, card), events_in_force(state), adjustments(state))
    return None


def _check_card(state: State, ability: Ability, card: str) -> None:
    deck = state.deck
    if isinstance(ability, LowerUncertaintyAbility):
        if not deck.has_card(card) or deck.card(card).kind not in ability.card_kinds:
            raise RuleViolation("ability.card_not_eligible", card=card)
        if adjustments(state).uncertainty(deck.card(card)) == "lav":
            raise RuleViolation("ability.uncertainty_lowest", card=card)
    elif isinstance(ability, LoanAbility | BringForwardAbility):
        if card not in ability.cards:
            raise RuleViolation("ability.card_not_eligible", card=card)
    elif isinstance(ability, HearingAbility) and not deck.has_card(card):
        raise RuleViolation("ability.card_not_eligible", card=card)


def decide_use(state: State, command: UseAbility, player_id: str) -> list[Event]:
    """The events of a seated player's use_ability, or a RuleViolation (checked in the order reported)."""
    found = state.deck.ability(command.ability)
    if found is None:
        raise RuleViolation("ability.unknown", ability=command.ability)
    role, ability = found
    player = state.players[player_id]
    if player.role != role.id:
        raise RuleViolation("ability.not_your_role", ability=command.ability)
    if uses_left(state, ability) <= 0:
        raise RuleViolation("ability.used_up", uses=ability.uses)
    event = _require_timing(state, ability, command.event)
    round_ = state.current_round
    assert round_ is not None
    card: str | None = None
    moved: str | None = None
    if not isinstance(ability, PauseEventAbility | SoftenEventAbility):
        card = _require_card(command)
        if isinstance(ability, MoveCardAbility):
            moved = "out" if _move(state, ability, card) is not None else "in"
        else:
            _check_card(state, ability, card)
    used = AbilityUsed(
        at=command.at,
        player_id=player_id,
        role=role.id,
        ability=ability.id,
        effect=ability.effect,
        round=round_.number,
        card=card,
        event=event,
        moved="in" if moved == "in" else "out" if moved == "out" else None,
    )
    if isinstance(ability, HearingAbility):
        # The round waits while the card's consequences are read aloud; the facilitator resumes it.
        remaining = max(0.0, (round_.deadline - command.at).total_seconds()) if round_.deadline else None
        return [used, RoundPaused(at=command.at, round=round_.number, remaining=remaining)]
    return [used]


def ability_used(state: State, event: AbilityUsed) -> dict[str, object]:
    """What an ability_used event changes in the state (for evolve): the use, and the forlig a move changes."""
    use = AbilityUse(
        seq=state.seq + 1,
        player_id=event.player_id,
        role=event.role,
        ability=event.ability,
        effect=event.effect,
        round=event.round,
        card=event.card,
        event=event.event,
        moved=event.moved,
        at=event.at,
    )
    changes: dict[str, object] = {"abilities_used": (*state.abilities_used, use)}
    if event.moved is not None and event.card is not None and state.forlig is not None:
        cards = state.forlig.cards
        cards = (*cards, event.card) if event.moved == "in" else tuple(card for card in cards if card != event.card)
        changes["forlig"] = replace(state.forlig, cards=cards)
    return changes


@dataclass(frozen=True, slots=True)
class Offer:
    """An ability at the table: whose role card prints it, how many uses are left, whether it may be used now."""

    role: Role
    ability: Ability
    uses_left: int
    now: bool


def offers(state: State) -> tuple[Offer, ...]:
    """Every ability in the deck, in the roles' order, with what is left of it and whether its moment is now."""
    return tuple(
        Offer(role, ability, max(0, uses_left(state, ability)), usable_now(state, ability))
        for role in state.deck.roles
        for ability in role.abilities
    )
