"""The deck: a scenario, proposal cards, event cards and role cards, loaded from TOML and validated.

Every field of a deck file is defined here, once; `docs/decks.md` explains them and
`docs/deck.schema.json` is generated from these models.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

Kind = Literal["besparelse", "effektivisering", "investering", "udvidelse"]
KINDS: tuple[Kind, ...] = ("besparelse", "effektivisering", "investering", "udvidelse")
# The kinds a table must have in its forlig to succeed; wishes (udvidelse) are judged by their funding.
REQUIRED_KINDS: tuple[Kind, ...] = ("besparelse", "effektivisering", "investering")
Uncertainty = Literal["lav", "medium", "høj"]
AdoptionRule = Literal["consensus", "broad", "majority"]

# Four figures: the budget year (budgetår) and three overslagsår, in mio. kr.
Years = Annotated[tuple[float, float, float, float], Field(description="Budgetår and 3 overslagsår, mio. kr.")]
ZERO_YEARS: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Danish with its English translation."""

    da: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.da


class Area(Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    name: Text
    service_budget: float = Field(gt=0, description="The area's share of serviceudgifter, mio. kr. per year")
    welfare: bool = Field(description="A velfærd area (true) or administration/technical (false)")


class Balance(Strict):
    """How the verdict and the dice work from rules version 2 on (docs/decks.md, "Balance").

    A deck without a [scenario.balance] table plays with these defaults."""

    # How the overslagsår targets follow X: "scaled" multiplies the baseline gap by X / gap[0] (rules 1);
    # "pressure" adds the demographic pressure to X: target[t] = X + gap[t] − gap[0].
    target_profile: Literal["scaled", "pressure"] = "pressure"
    structural_tolerance: float = Field(
        default=2.0, ge=0, description="Mio. kr. each overslagsår may fall short of its target in structural balance"
    )
    kind_share_min: float = Field(
        default=0.15,
        ge=0,
        le=1 / 3,
        description="Each of besparelse, effektivisering and investering carries at least this share of year 4's gains",
    )
    fatigue_probability: float = Field(
        default=1 / 6, ge=0, lt=1, description="Chance that 'træthed i organisationen' hits every effektivisering"
    )
    fatigue_factor: float = Field(
        default=0.7, ge=0, le=1, description="The share of their gains effektiviseringer deliver when it hits"
    )


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    municipality: Text
    description: Text
    inhabitants: int = Field(gt=0)
    net_operating_budget: float = Field(gt=0, description="Nettodriftsudgifter, mio. kr.")
    areas: tuple[Area, ...] = Field(min_length=1)
    years: tuple[str, str, str, str] = Field(description="Labels: budgetår, then the three overslagsår")
    baseline_gap: Years = Field(description="The teknisk budget's ubalance per year, mio. kr.")
    default_target: float = Field(gt=0, description="Råderum to find in the budgetår, mio. kr.")
    wish_funding: Years = Field(description="Wishes the table must fund per year, mio. kr.")
    capital_pool: float = Field(ge=0, description="Anlægspulje for all new capital projects, mio. kr.")
    default_rounds: int = Field(ge=1, le=10)
    default_rule: AdoptionRule
    secret_roles: bool = Field(description="Hjertesager are secret (each player sees only their own)")
    price_level: Text | None = Field(default=None, description="The prices the amounts are in, shown with the figures")
    balance: Balance | None = Field(default=None, description="Rules-2 verdict and dice settings; None: defaults")
    min_players: int = Field(default=3, ge=1)
    max_players: int = Field(default=8, ge=1, le=8)

    @field_validator("baseline_gap")
    @classmethod
    def _gap_in_budget_year(cls, value: tuple[float, float, float, float]) -> tuple[float, ...]:
        if value[0] <= 0:
            raise ValueError("the budgetår's gap must be positive: the target's overslagsår scale from it")
        return value

    @model_validator(mode="after")
    def _players_range(self) -> Scenario:
        if self.min_players > self.max_players:
            raise ValueError("min_players is larger than max_players")
        return self

    def area(self, area_id: str) -> Area:
        return next(area for area in self.areas if area.id == area_id)


class CardWarning(Strict):
    """A combination the meter warns about (a warning, not a rule: the forlig may still hold both)."""

    card: str = Field(description="The other card")
    text: Text = Field(description="Why the two together are a problem, as the meter says it")


class Card(Strict):
    id: str = Field(pattern=r"^[A-ZÆØÅ]{2}-[A-Z0-9]+$")
    title: Text
    area: str
    kind: Kind
    amounts: Years = Field(description="Operating effect per year: + frees headroom, − costs")
    capital: Years = Field(default=ZERO_YEARS, description="Anlæg per year: − spending, + sales")
    fte: float = Field(description="Årsværk at full effect (− fewer positions)")
    service: int = Field(ge=-2, le=2)
    uncertainty: Uncertainty
    phase_in: Text
    description: Text
    consequences: Text
    sources: tuple[str, ...] = ()
    estimated: bool = Field(default=False, description="Figures are an estimate (skønnet/egen konstruktion)")
    scaled: Text | None = Field(default=None, description="How the figures were scaled from another municipality's")
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    warns_with: tuple[CardWarning, ...] = Field(
        default=(), description="Cards the meter warns about together with this one (the forlig may hold both)"
    )


LeverKind = Literal["kassetraek", "skatteforhoejelse", "groenthoester"]


class Lever(Strict):
    """A lever that is not a card (brief 3.3): chosen in a portfolio like a card, by its id (prefix `L-`).

    Its operating effect is `amounts` plus `area_share` of every area's service budget each year (the
    grønthøster's flat cut); `service_per_area` is that cut's service cost in each area. Levers are
    certain (no dice) and carry no kind: they never count towards a kind's share of the gains."""

    id: str = Field(pattern=r"^L-[A-ZÆØÅ0-9]+$")
    lever: LeverKind
    title: Text
    description: Text
    consequences: Text
    amounts: Years = Field(default=ZERO_YEARS, description="Operating effect per year: + frees headroom, − costs")
    area_share: float = Field(default=0.0, ge=0, lt=0.1, description="Flat cut: share of each area's service budget")
    service_per_area: int = Field(default=0, ge=-2, le=0, description="The service cost in every area it cuts")
    trust_penalty: int = Field(default=0, ge=0, description="Political cost: trust points the debrief takes away")
    political_cost: Text | None = Field(default=None, description="What the debrief says the lever costs politically")
    liquidity_warning: bool = Field(default=False, description="Drawing on the cash reserve: the meter warns")
    sources: tuple[str, ...] = ()


# ---- Event effects -------------------------------------------------------------------------------


class GapEffect(Strict):
    """Changes the gap: + is extra headroom, − makes the gap larger."""

    kind: Literal["gap"]
    amounts: Years


class ScaleCardsEffect(Strict):
    """Multiplies named cards' operating amounts (only gains, only costs, or both)."""

    kind: Literal["scale_cards"]
    cards: tuple[str, ...] = Field(min_length=1)
    factor: float = Field(ge=0)
    applies_to: Literal["gains", "costs", "all"] = "gains"


class DisableCardsEffect(Strict):
    """Takes cards out of play: a portfolio holding one is rejected."""

    kind: Literal["disable_cards"]
    cards: tuple[str, ...] = Field(min_length=1)


class DelayCardsEffect(Strict):
    """Pushes named cards one year later, operating amounts and capital alike."""

    kind: Literal["delay_cards"]
    cards: tuple[str, ...] = Field(min_length=1)


class EarmarkedGrantEffect(Strict):
    """Money that may only pay for chosen cards of some kinds or ids; lapses if a `void_if_chosen` card is chosen."""

    kind: Literal["earmarked_grant"]
    amounts: Years
    for_kinds: tuple[Kind, ...] = ()
    for_cards: tuple[str, ...] = ()
    void_if_chosen: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_target(self) -> EarmarkedGrantEffect:
        if not self.for_kinds and not self.for_cards:
            raise ValueError("an earmarked grant needs for_kinds or for_cards")
        return self


class OverspendSanctionEffect(Strict):
    """Serviceramme sanction: costs of chosen cards of `kinds` in the budgetår beyond `allowance` cost `share`."""

    kind: Literal["overspend_sanction"]
    kinds: tuple[Kind, ...] = Field(min_length=1)
    allowance: float = Field(ge=0)
    share: float = Field(gt=0, le=1)


class HearingEffect(Strict):
    """Høringssvar: keeping a card whose service is at or below `service_at_most` costs the forlig trust."""

    kind: Literal["hearing"]
    service_at_most: int = Field(ge=-2, le=2)
    trust_penalty: int = Field(ge=1)


class ConditionalEffect(Strict):
    """Effects that depend on whether any of `if_any_chosen` is in the forlig."""

    kind: Literal["conditional"]
    if_any_chosen: tuple[str, ...] = Field(min_length=1)
    then: tuple[PlainEffect, ...] = ()
    otherwise: tuple[PlainEffect, ...] = ()


PlainEffect = Annotated[
    GapEffect
    | ScaleCardsEffect
    | DisableCardsEffect
    | DelayCardsEffect
    | EarmarkedGrantEffect
    | OverspendSanctionEffect
    | HearingEffect,
    Field(discriminator="kind"),
]
Effect = Annotated[
    GapEffect
    | ScaleCardsEffect
    | DisableCardsEffect
    | DelayCardsEffect
    | EarmarkedGrantEffect
    | OverspendSanctionEffect
    | HearingEffect
    | ConditionalEffect,
    Field(discriminator="kind"),
]
ConditionalEffect.model_rebuild()


class EventCard(Strict):
    id: str = Field(pattern=r"^E[0-9]+$")
    title: Text
    description: Text
    background: Text
    sources: tuple[str, ...] = ()
    scaled: Text | None = Field(default=None, description="How the figures were scaled from another municipality's")
    effects: tuple[Effect, ...] = Field(min_length=1)


# ---- Sources ----------------------------------------------------------------------------------------


class Source(Strict):
    """Where figures come from: cards and events cite sources by id."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1, description="The title as published (not translated)")
    publisher: str = Field(min_length=1)
    year: int | None = Field(default=None, ge=1900, le=2100, description="Year of publication, when known")
    url: str = Field(pattern=r"^https?://", description="The address")
    see_also: tuple[str, ...] = Field(default=(), description="Further addresses for the same source")


# ---- Roles and their hjertesager -----------------------------------------------------------------


class ChosenAny(Strict):
    kind: Literal["chosen_any"]
    cards: tuple[str, ...] = Field(min_length=1)


class ChosenNone(Strict):
    kind: Literal["chosen_none"]
    cards: tuple[str, ...] = Field(min_length=1)


class NotAllChosen(Strict):
    """Not every one of `cards` at once."""

    kind: Literal["not_all_chosen"]
    cards: tuple[str, ...] = Field(min_length=2)


class CountAtMost(Strict):
    """At most `n` chosen cards matching the filter (area, kind, service at or below)."""

    kind: Literal["count_at_most"]
    n: int = Field(ge=0)
    area: str | None = None
    card_kind: Kind | None = None
    service_at_most: int | None = None


class CountAtLeast(Strict):
    """At least `n` chosen cards matching the filter (area, kind, service at or below)."""

    kind: Literal["count_at_least"]
    n: int = Field(ge=1)
    area: str | None = None
    card_kind: Kind | None = None
    service_at_most: int | None = None


class KindGainsAtLeast(Strict):
    """The chosen cards of `card_kind` free at least `value` + `per_x` · X mio. kr. in year 4 (their gains)."""

    kind: Literal["kind_gains_at_least"]
    card_kind: Kind
    value: float = 0.0
    per_x: float = Field(default=0.0, description="How the threshold moves per mio. kr. of X")

    def threshold(self, x: float) -> float:
        return self.value + self.per_x * x


class ServiceAtLeast(Strict):
    """The chosen cards' service figures add up to at least `value` + `per_x` · X (X: the budgetår's target)."""

    kind: Literal["service_at_least"]
    value: int
    per_x: float = Field(default=0.0, description="How the threshold moves per mio. kr. of X (0: a fixed threshold)")

    def threshold(self, x: float) -> float:
        return self.value + self.per_x * x


class FteAtLeast(Strict):
    """Net årsværk of the chosen cards at least `value` + `per_x` · X (X: the budgetår's target)."""

    kind: Literal["fte_at_least"]
    value: float
    per_x: float = Field(default=0.0, description="How the threshold moves per mio. kr. of X (0: a fixed threshold)")

    def threshold(self, x: float) -> float:
        return self.value + self.per_x * x


class BalancedYears(Strict):
    """The forlig reaches the target in each of the given years (1 = budgetår)."""

    kind: Literal["balanced_years"]
    years: tuple[int, ...] = Field(min_length=1)
    margin_per_x: float = Field(
        default=0.0,
        ge=0,
        description="Each year must reach the target with this share of X to spare (0: just reach it)",
    )

    def margin(self, x: float) -> float:
        return self.margin_per_x * x

    @field_validator("years")
    @classmethod
    def _valid_years(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(year not in (1, 2, 3, 4) for year in value):
            raise ValueError("years are numbered 1 to 4")
        return value


class AdoptedShareAtLeast(Strict):
    """The forlig was adopted with at least `share` of the vote weight for it (a broad forlig)."""

    kind: Literal["adopted_share_at_least"]
    share: float = Field(gt=0, le=1)


class KindExceeds(Strict):
    """The forlig's year-4 effect from `more` is larger than from `than`."""

    kind: Literal["kind_exceeds"]
    more: Kind
    than: Kind


Condition = Annotated[
    ChosenAny
    | ChosenNone
    | NotAllChosen
    | CountAtMost
    | CountAtLeast
    | KindGainsAtLeast
    | ServiceAtLeast
    | FteAtLeast
    | BalancedYears
    | AdoptedShareAtLeast
    | KindExceeds,
    Field(discriminator="kind"),
]


class Hjertesag(Strict):
    text: Text
    condition: Condition


# ---- Abilities: what a role card lets its holder do, as effects the engine implements ----------------


class _AbilityBase(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", description="The ability's id in use_ability (unique in the deck)")
    title: Text = Field(description="Its name, as the table sees it (e.g. Borgmesterkompromis)")
    uses: int = Field(default=1, ge=1, description="How many times a game the role may use it")


class MoveCardAbility(_AbilityBase):
    """Borgmesterkompromis: one card moved into or out of the forlig without a vote (a forlig must exist)."""

    effect: Literal["move_card"]


class LowerUncertaintyAbility(_AbilityBase):
    """One card of `card_kinds` gets one step lower uncertainty (høj → medium → lav) for the dice; its gains
    are phased in `delay_months` later (0: no delay). Used during an open round."""

    effect: Literal["lower_uncertainty"]
    card_kinds: tuple[Kind, ...] = Field(min_length=1)
    delay_months: int = Field(default=0, ge=0, le=12)


class LoanAbility(_AbilityBase):
    """One of `cards` is financed by a loan: its anlæg does not count against the anlægspulje."""

    effect: Literal["loan"]
    cards: tuple[str, ...] = Field(min_length=1)


class BringForwardAbility(_AbilityBase):
    """One of `cards` (which start mid-year) starts on 1 January: its budgetår amount becomes its second
    year's (a full year's effect), at `score_cost` points off the role's score."""

    effect: Literal["bring_forward"]
    cards: tuple[str, ...] = Field(min_length=1)
    score_cost: int = Field(default=0, ge=0)


class PauseEventAbility(_AbilityBase):
    """In the round one of `events` is drawn, it can be put on hold: it does not count until the next round
    starts (and never, when the game ends first)."""

    effect: Literal["pause_event"]
    events: tuple[str, ...] = Field(min_length=1)


class SoftenEventAbility(_AbilityBase):
    """In the round one of `events` is drawn, its gap in the overslagsår is multiplied by `factor`, at the
    price of `cost` mio. kr. extra in the budgetår."""

    effect: Literal["soften_event"]
    events: tuple[str, ...] = Field(min_length=1)
    factor: float = Field(ge=0, le=1)
    cost: float = Field(ge=0)


class HearingAbility(_AbilityBase):
    """A høringssvar during an open round: like a hearing event (cards with service at or below
    `service_at_most` in the forlig cost `trust_penalty`), and the round is paused while the named card's
    consequences are read aloud (the facilitator resumes it)."""

    effect: Literal["hearing"]
    service_at_most: int = Field(ge=-2, le=2)
    trust_penalty: int = Field(ge=1)


Ability = Annotated[
    MoveCardAbility
    | LowerUncertaintyAbility
    | LoanAbility
    | BringForwardAbility
    | PauseEventAbility
    | SoftenEventAbility
    | HearingAbility,
    Field(discriminator="effect"),
]
ABILITY_EFFECTS = (
    "move_card",
    "lower_uncertainty",
    "loan",
    "bring_forward",
    "pause_event",
    "soften_event",
    "hearing",
)
# The effects whose command names a card; the others name an event (or nothing).
CARD_EFFECTS = frozenset({"move_card", "lower_uncertainty", "loan", "bring_forward", "hearing"})
EVENT_EFFECTS = frozenset({"pause_event", "soften_event"})


class Role(Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    title: Text
    description: Text
    ability: Text | None = Field(default=None, description="The card's printed ability (what `abilities` do)")
    abilities: tuple[Ability, ...] = Field(default=(), description="The abilities as the engine plays them")
    weight: int = Field(default=1, ge=0)
    votes: bool = True
    required: bool = Field(default=False, description="Always dealt, whatever the table's size")
    calls_votes: bool = Field(default=False, description="Rules 3: may call a vote on a proposal (the mayor)")
    hjertesager: tuple[Hjertesag, ...] = ()


MAX_BYRAAD_SEATS = 31  # the largest byråd (Københavns borgerrepræsentation has 55, but no other has over 31)


class Party(Strict):
    """A party in a byråd (docs/decks.md, "Parties"): its members hold `mandates` seats, one vote each."""

    id: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    name: Text
    mandates: int = Field(ge=1, le=MAX_BYRAAD_SEATS)


def parties_problem(parties: tuple[Party, ...]) -> str | None:
    """Why a list of parties cannot make a byråd (ids used twice, more than 31 mandates), or None."""
    ids = [party.id for party in parties]
    if len(set(ids)) != len(ids):
        return "a party id is used twice"
    if sum(party.mandates for party in parties) > MAX_BYRAAD_SEATS:
        return f"the parties hold more than {MAX_BYRAAD_SEATS} mandates"
    return None


class Deck(Strict):
    scenario: Scenario
    cards: tuple[Card, ...] = Field(min_length=1)
    events: tuple[EventCard, ...] = ()
    roles: tuple[Role, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(default=(), description="The source table; cards and events cite its ids")
    levers: tuple[Lever, ...] = Field(default=(), description="Levers that are not cards (brief 3.3), prefix L-")
    parties: tuple[Party, ...] = Field(default=(), description="The byråd's parties, for tables in byråd mode")

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Every dump (the digest, exported logs, the pages' JSON) leaves out later fields at their default.
        return _drop_later_defaults(self, handler(self))

    def card(self, card_id: str) -> Card:
        return self._index("cards")[card_id]  # type: ignore[return-value]

    def has_card(self, card_id: str) -> bool:
        return card_id in self._index("cards")

    def lever(self, lever_id: str) -> Lever:
        return self._index("levers")[lever_id]  # type: ignore[return-value]

    def has_lever(self, lever_id: str) -> bool:
        return lever_id in self._index("levers")

    def event(self, event_id: str) -> EventCard:
        return self._index("events")[event_id]  # type: ignore[return-value]

    def role(self, role_id: str) -> Role:
        return self._index("roles")[role_id]  # type: ignore[return-value]

    def ability(self, ability_id: str) -> tuple[Role, Ability] | None:
        """The role holding an ability and the ability, by the ability's id; None when no role has it."""

        def build() -> dict[str, tuple[Role, Ability]]:
            return {ability.id: (role, ability) for role in self.roles for ability in role.abilities}

        index: dict[str, tuple[Role, Ability]] = self._cached("_ability_index", (self.roles,), build)  # type: ignore[assignment]
        return index.get(ability_id)

    def source(self, source_id: str) -> Source:
        return self._index("sources")[source_id]  # type: ignore[return-value]

    def _cached(self, name: str, key: tuple[object, ...], build: Callable[[], object]) -> object:
        # Caches, not part of the deck. Keyed on the parts they are built from (by identity), so a model_copy
        # with other parts rebuilds them instead of serving stale ones; frozen models refuse plain assignment.
        cached: tuple[tuple[object, ...], object] | None = self.__dict__.get(name)
        if cached is None or any(a is not b for a, b in zip(cached[0], key, strict=True)):
            cached = (key, build())
            object.__setattr__(self, name, cached)
        return cached[1]

    def _index(self, section: str) -> dict[str, Card | EventCard | Role | Source | Lever]:
        items: tuple[Card | EventCard | Role | Source | Lever, ...] = getattr(self, section)
        # The fast path of _cached for one part (deck.card() is called in every inner loop of the fixes).
        known: tuple[tuple[object, ...], object] | None = self.__dict__.get(_INDEX_NAMES[section])
        if known is not None and known[0][0] is items:
            return known[1]  # type: ignore[return-value]
        index = self._cached(f"_{section}_index", (items,), lambda: {item.id: item for item in items})
        return index  # type: ignore[return-value]

    @property
    def digest(self) -> str:
        """SHA-256 of the deck's canonical JSON: logs name the exact deck they were played with."""

        def build() -> str:
            canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
            return hashlib.sha256(canonical.encode()).hexdigest()

        parts = (self.scenario, self.cards, self.events, self.roles, self.sources, self.levers, self.parties)
        return str(self._cached("_digest", parts, build))


_INDEX_NAMES = {section: f"_{section}_index" for section in ("cards", "events", "roles", "sources", "levers")}


# Fields added after logs were first exported. While such a field holds its default it is left out of the
# digest, so a log exported before the field existed still matches the deck embedded in it.
LATER_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    Deck: frozenset({"sources", "levers", "parties"}),
    Scenario: frozenset({"price_level", "balance"}),
    Card: frozenset({"scaled", "warns_with"}),
    Role: frozenset({"calls_votes", "abilities"}),
    ServiceAtLeast: frozenset({"per_x"}),
    BalancedYears: frozenset({"margin_per_x"}),
    FteAtLeast: frozenset({"per_x"}),
    EventCard: frozenset({"scaled"}),
}


def _drop_later_defaults(model: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (the model's dump) without the later fields at their default, at any depth."""
    later = LATER_FIELDS.get(type(model), frozenset())
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if name in later and value == field.default:
            data.pop(name, None)
        elif isinstance(value, BaseModel) and isinstance(data.get(name), dict):
            _drop_later_defaults(value, data[name])
        elif isinstance(value, tuple) and isinstance(data.get(name), list):
            for item, dumped in zip(value, data[name], strict=True):
                if isinstance(item, BaseModel) and isinstance(dumped, dict):
                    _drop_later_defaults(item, dumped)
    return data


# ---- Loading and cross-checks --------------------------------------------------------------------


class DeckProblem(Strict):
    file: str
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.field}: {self.message}"


class DeckError(Exception):
    def __init__(self, problems: list[DeckProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


SECTIONS = {
    "scenario": "scenario",
    "cards": "card",
    "events": "event",
    "roles": "role",
    "sources": "source",
    "levers": "lever",
    "parties": "party",
}


def _deck_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    return [path]


def load_deck(path: Path | str) -> Deck:
    """Load a deck from a TOML file or a folder of TOML files; raise DeckError naming every problem."""
    path = Path(path)
    files = _deck_files(path)
    if not files:
        raise DeckError([DeckProblem(file=str(path), item="deck", field="-", message="no .toml files found")])
    problems: list[DeckProblem] = []
    raw: dict[str, list[tuple[Path, object]]] = {section: [] for section in SECTIONS}
    for file in files:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            problems.append(DeckProblem(file=str(file), item="file", field="-", message=str(error)))
            continue
        for key, value in data.items():
            if key not in SECTIONS:
                problems.append(DeckProblem(file=str(file), item="file", field=key, message="unknown top-level table"))
            elif key == "scenario":
                raw[key].append((file, value))
            elif isinstance(value, list):
                raw[key].extend((file, item) for item in value)
            else:
                problems.append(
                    DeckProblem(file=str(file), item="file", field=key, message="must be an array of tables")
                )

    parsed: dict[str, list[tuple[Path, BaseModel]]] = {section: [] for section in SECTIONS}
    models: dict[str, type[BaseModel]] = {
        "scenario": Scenario,
        "cards": Card,
        "events": EventCard,
        "roles": Role,
        "sources": Source,
        "levers": Lever,
        "parties": Party,
    }
    for section, items in raw.items():
        for index, (file, item) in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            label = f"{SECTIONS[section]} {item_id}" if item_id else f"{SECTIONS[section]} #{index + 1}"
            try:
                parsed[section].append((file, models[section].model_validate(item)))
            except ValidationError as error:
                problems.extend(
                    DeckProblem(
                        file=str(file),
                        item=label,
                        field=".".join(str(part) for part in detail["loc"]) or "-",
                        message=detail["msg"],
                    )
                    for detail in error.errors()
                )
    if len(raw["scenario"]) != 1:
        problems.append(
            DeckProblem(
                file=str(path),
                item="scenario",
                field="-",
                message=f"a deck has exactly one [scenario], found {len(raw['scenario'])}",
            )
        )
    if problems:
        raise DeckError(problems)
    scenario = parsed["scenario"][0][1]
    assert isinstance(scenario, Scenario)
    problems.extend(_cross_check(scenario, parsed))
    if problems:
        raise DeckError(problems)
    return Deck(
        scenario=scenario,
        cards=tuple(card for _, card in parsed["cards"] if isinstance(card, Card)),
        events=tuple(event for _, event in parsed["events"] if isinstance(event, EventCard)),
        roles=tuple(role for _, role in parsed["roles"] if isinstance(role, Role)),
        sources=tuple(source for _, source in parsed["sources"] if isinstance(source, Source)),
        levers=tuple(lever for _, lever in parsed["levers"] if isinstance(lever, Lever)),
        parties=tuple(party for _, party in parsed["parties"] if isinstance(party, Party)),
    )


def _effect_card_refs(effect: Effect | PlainEffect) -> Iterable[tuple[str, str]]:
    if isinstance(effect, ScaleCardsEffect | DisableCardsEffect | DelayCardsEffect):
        yield from (("cards", card) for card in effect.cards)
    elif isinstance(effect, EarmarkedGrantEffect):
        yield from (("for_cards", card) for card in effect.for_cards)
        yield from (("void_if_chosen", card) for card in effect.void_if_chosen)
    elif isinstance(effect, ConditionalEffect):
        yield from (("if_any_chosen", card) for card in effect.if_any_chosen)
        for branch_name, branch in (("then", effect.then), ("otherwise", effect.otherwise)):
            for inner in branch:
                yield from ((f"{branch_name}.{field}", card) for field, card in _effect_card_refs(inner))


class _References:
    """The ids a deck's items may refer to (areas, cards, sources), and the problems found so far."""

    def __init__(
        self, area_ids: set[str], card_ids: set[str], source_ids: set[str], event_ids: set[str] | None = None
    ) -> None:
        self.area_ids = area_ids
        self.card_ids = card_ids
        self.source_ids = source_ids
        self.event_ids = event_ids or set()
        self.problems: list[DeckProblem] = []

    def problem(self, file: Path, item: str, field: str, message: str) -> None:
        self.problems.append(DeckProblem(file=str(file), item=item, field=field, message=message))

    def cited(self, file: Path, item: str, sources: tuple[str, ...]) -> None:
        # A deck without a source table (one written before it existed) cites ids nobody can check.
        for index, source in enumerate(sources):
            if self.source_ids and source not in self.source_ids:
                self.problem(file, item, f"sources.{index}", f"unknown source {source!r}")

    def card(self, file: Path, item: str, field: str, card: str) -> None:
        if card not in self.card_ids:
            self.problem(file, item, field, f"unknown card {card!r}")

    def event(self, file: Path, item: str, field: str, event: str) -> None:
        if event not in self.event_ids:
            self.problem(file, item, field, f"unknown event {event!r}")

    def area(self, file: Path, item: str, field: str, area: str) -> None:
        if area not in self.area_ids:
            self.problem(file, item, field, f"unknown area {area!r}")


def _duplicate_ids(parsed: dict[str, list[tuple[Path, BaseModel]]]) -> tuple[list[DeckProblem], dict[str, set[str]]]:
    """A problem per id used twice in a section, and each section's ids."""
    problems: list[DeckProblem] = []
    ids: dict[str, set[str]] = {}
    for section in ("cards", "events", "roles", "sources", "levers", "parties"):
        seen = ids[section] = set()
        for file, item in parsed.get(section, []):
            item_id = str(getattr(item, "id", ""))
            if item_id in seen:
                problems.append(
                    DeckProblem(
                        file=str(file), item=f"{SECTIONS[section]} {item_id}", field="id", message="duplicate id"
                    )
                )
            seen.add(item_id)
    return problems, ids


def _check_card(refs: _References, file: Path, card: Card) -> None:
    label = f"card {card.id}"
    refs.cited(file, label, card.sources)
    refs.area(file, label, "area", card.area)
    for field in ("requires", "excludes"):
        for other in getattr(card, field):
            refs.card(file, label, field, other)
            if other == card.id:
                refs.problem(file, label, field, "refers to itself")
    for index, warning in enumerate(card.warns_with):
        refs.card(file, label, f"warns_with.{index}.card", warning.card)
        if warning.card == card.id:
            refs.problem(file, label, f"warns_with.{index}.card", "refers to itself")


def _check_event(refs: _References, file: Path, event: EventCard) -> None:
    refs.cited(file, f"event {event.id}", event.sources)
    for index, effect in enumerate(event.effects):
        for field, ref in _effect_card_refs(effect):
            refs.card(file, f"event {event.id}", f"effects.{index}.{field}", ref)


def _check_role(refs: _References, file: Path, role: Role) -> None:
    for index, ability in enumerate(role.abilities):
        field = f"abilities.{index}"
        for number, ref in enumerate(getattr(ability, "cards", ())):
            refs.card(file, f"role {role.id}", f"{field}.cards.{number}", ref)
        for number, ref in enumerate(getattr(ability, "events", ())):
            refs.event(file, f"role {role.id}", f"{field}.events.{number}", ref)
        if role.ability is None:
            refs.problem(file, f"role {role.id}", field, "an ability needs the card's printed text (ability.da/en)")
    for index, sag in enumerate(role.hjertesager):
        condition = sag.condition
        field = f"hjertesager.{index}.condition"
        for ref in getattr(condition, "cards", ()):
            refs.card(file, f"role {role.id}", f"{field}.cards", ref)
        area = getattr(condition, "area", None)
        if area is not None:
            refs.area(file, f"role {role.id}", f"{field}.area", area)


def _cross_check(scenario: Scenario, parsed: dict[str, list[tuple[Path, BaseModel]]]) -> list[DeckProblem]:
    """References between cards, events, roles and areas; duplicate ids."""
    problems, ids = _duplicate_ids(parsed)
    refs = _References({area.id for area in scenario.areas}, ids["cards"], ids["sources"], ids["events"])
    for file, card in parsed["cards"]:
        assert isinstance(card, Card)
        _check_card(refs, file, card)
    for file, event in parsed["events"]:
        assert isinstance(event, EventCard)
        _check_event(refs, file, event)
    abilities: set[str] = set()
    for file, role in parsed["roles"]:
        assert isinstance(role, Role)
        _check_role(refs, file, role)
        for index, ability in enumerate(role.abilities):
            if ability.id in abilities:
                refs.problem(file, f"role {role.id}", f"abilities.{index}.id", f"duplicate ability id {ability.id!r}")
            abilities.add(ability.id)
    for file, lever in parsed.get("levers", []):
        assert isinstance(lever, Lever)
        refs.cited(file, f"lever {lever.id}", lever.sources)
    parties = parsed.get("parties", [])
    mandates = sum(party.mandates for _, party in parties if isinstance(party, Party))
    if mandates > MAX_BYRAAD_SEATS:
        file = parties[-1][0]
        refs.problem(file, "parties", "mandates", f"the parties hold {mandates} mandates; a byråd has at most 31")
    return problems + refs.problems


DEFAULT_DECK_PATH = Path(__file__).resolve().parent.parent / "decks" / "korsbaek"


def deck_json_schema() -> dict[str, object]:
    return Deck.model_json_schema()
