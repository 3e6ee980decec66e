"""The default set's events and hjertesager made generic for an imported catalogue (issue 15, item 2).

Korsbæk's events and hjertesager name Korsbæk's cards ("Har forliget hverdagsrehabilitering (ÆL-02) …"). For a
catalogue that lacks those cards, each named card stands for what it is: a card of its **kind** in its **area**.
The event or hjertesag is bound to the catalogue's cards of the same kind in the same area (an area matches by
id, or by an id that begins with Korsbæk's: `skole` matches `skole_og_sfo`), its card-naming text is written
anew from its effects or its condition, naming the catalogue's cards, and the import report says what it was
bound to. An item with a named card that has no counterpart (no card of that kind in that area) is left out, as
before. Events and hjertesager that name no card (gaps, totals, shares, service and årsværk) fit any catalogue
and keep their texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.deck import (
    Area,
    Card,
    ChosenAny,
    ChosenNone,
    ConditionalEffect,
    DelayCardsEffect,
    DisableCardsEffect,
    EarmarkedGrantEffect,
    EventCard,
    GapEffect,
    HearingEffect,
    Hjertesag,
    NotAllChosen,
    OverspendSanctionEffect,
    ScaleCardsEffect,
    Text,
)

KIND_WORDS = {
    "besparelse": ("besparelser", "savings"),
    "effektivisering": ("effektiviseringer", "efficiencies"),
    "investering": ("investeringer", "investments"),
    "udvidelse": ("ønsker", "wishes"),
}
LISTED = 4  # cards named in a text; more are counted


class Binding:
    """Korsbæk's cards -> the catalogue's cards of the same kind in the same area."""

    def __init__(self, base: Sequence[Card], base_areas: Sequence[Area], cards: Sequence[Card],
                 areas: Sequence[Area]) -> None:  # fmt: skip
        self.base = {card.id: card for card in base}
        self.cards = {card.id: card for card in cards}
        self.area_of: dict[str, str] = {}
        for korsbaek in base_areas:
            match = next((a.id for a in areas if a.id == korsbaek.id), None) or next(
                (a.id for a in areas if a.id.startswith(korsbaek.id) or korsbaek.id.startswith(a.id)), None
            )
            if match is not None:
                self.area_of[korsbaek.id] = match

    def area(self, korsbaek_area: str) -> str | None:
        return self.area_of.get(korsbaek_area)

    def bind(self, card_id: str) -> tuple[str, ...]:
        """The catalogue's counterparts of a card (itself when the catalogue has it; () when none)."""
        if card_id in self.cards:
            return (card_id,)
        card = self.base.get(card_id)
        area = self.area(card.area) if card is not None else None
        if card is None or area is None:
            return ()
        return tuple(c.id for c in self.cards.values() if c.area == area and c.kind == card.kind)

    def bind_all(self, card_ids: Sequence[str]) -> tuple[str, ...] | None:
        """Every named card's counterparts, in the catalogue's order; None when one has none."""
        found: set[str] = set()
        for card_id in card_ids:
            bound = self.bind(card_id)
            if not bound:
                return None
            found.update(bound)
        return tuple(card_id for card_id in self.cards if card_id in found)

    def names(self, card_ids: Sequence[str], lang: str, *, every: bool = False) -> str:
        """The cards by id and title, at most LISTED of them; joined by "eller" (any of them) or, with
        `every`, "og" (each of them)."""
        titles = [f"{card_id} «{self.cards[card_id].title.get(lang)}»" for card_id in card_ids[:LISTED]]
        more = len(card_ids) - LISTED
        if more > 0:
            titles.append(f"{more} andre" if lang == "da" else f"{more} more")
        if len(titles) == 1:
            return titles[0]
        word = {("da", False): " eller ", ("da", True): " og ", ("en", False): " or ", ("en", True): " and "}
        return ", ".join(titles[:-1]) + word[("en" if lang == "en" else "da", every)] + titles[-1]


def _amounts(values: Sequence[float], lang: str) -> str:
    figures = [f"{abs(value):g}".replace(".", "," if lang == "da" else ".") for value in values]
    if len(set(figures)) == 1:
        return f"{figures[0]} mio. kr. om året" if lang == "da" else f"DKK {figures[0]} million a year"
    joined = ", ".join(figures[:-1]) + (" og " if lang == "da" else " and ") + figures[-1]
    return f"{joined} mio. kr." if lang == "da" else f"DKK {joined} million"


def _sentence(effect: Any, binding: Binding, lang: str) -> str:
    da = lang == "da"
    if isinstance(effect, GapEffect):
        if all(value <= 0 for value in effect.amounts):
            return f"Ubalancen bliver {_amounts(effect.amounts, lang)} større" if da else (
                f"The gap widens by {_amounts(effect.amounts, lang)}")  # fmt: skip
        return f"Råderummet ændres med {_amounts(effect.amounts, lang)}" if da else (
            f"The headroom changes by {_amounts(effect.amounts, lang)}")  # fmt: skip
    if isinstance(effect, ScaleCardsEffect):
        percent = round(abs(effect.factor - 1) * 100)
        more = ("mere" if effect.factor > 1 else "mindre") if da else ("more" if effect.factor > 1 else "less")
        what = {"gains": ("i gevinst", "in gains"), "costs": ("i udgift", "in costs"),
                "all": ("i beløb", "in amounts")}[effect.applies_to]  # fmt: skip
        names = binding.names(effect.cards, lang, every=True)
        return f"{names} giver {percent} pct. {more} {what[0]}" if da else (
            f"{names} yield {percent} per cent {more} {what[1]}")  # fmt: skip
    if isinstance(effect, DelayCardsEffect):
        names = binding.names(effect.cards, lang, every=True)
        return f"{names} forsinkes et år" if da else f"{names} are delayed by a year"
    if isinstance(effect, DisableCardsEffect):
        names = binding.names(effect.cards, lang, every=True)
        return f"{names} kan ikke vælges" if da else f"{names} cannot be chosen"
    if isinstance(effect, EarmarkedGrantEffect):
        targets = [KIND_WORDS[kind][0 if da else 1] for kind in effect.for_kinds]
        if effect.for_cards:
            targets.append(binding.names(effect.for_cards, lang))
        text = (f"En øremærket pulje på op til {_amounts(effect.amounts, lang)} betaler for {' og '.join(targets)}"
                if da else f"An earmarked grant of up to {_amounts(effect.amounts, lang)} pays for "
                f"{' and '.join(targets)}")  # fmt: skip
        if effect.void_if_chosen:
            names = binding.names(effect.void_if_chosen, lang)
            text += (
                f"; den bortfalder, hvis forliget har {names}" if da else f"; it lapses if the agreement has {names}"
            )
        return text
    if isinstance(effect, OverspendSanctionEffect):
        kinds = (" og " if da else " and ").join(KIND_WORDS[kind][0 if da else 1] for kind in effect.kinds)
        return (f"Udgifter til {kinds} over {effect.allowance:g} mio. kr. i budgetåret koster "
                f"{round(effect.share * 100)} pct. i sanktion" if da else f"Spending on {kinds} above DKK "
                f"{effect.allowance:g} million in the budget year costs a {round(effect.share * 100)} per cent "
                "sanction")  # fmt: skip
    if isinstance(effect, HearingEffect):
        return (f"Forslag med service {effect.service_at_most} eller lavere udløser høringssvar" if da
                else f"Proposals with service {effect.service_at_most} or lower draw hearing responses")  # fmt: skip
    if isinstance(effect, ConditionalEffect):
        names = binding.names(effect.if_any_chosen, lang)
        then = "; ".join(_sentence(inner, binding, lang) for inner in effect.then) or ("intet" if da else "nothing")
        otherwise = "; ".join(_sentence(inner, binding, lang) for inner in effect.otherwise)
        text = f"Har forliget {names}: {then}" if da else f"If the agreement has {names}: {then}"
        if otherwise:
            text += f". Ellers: {otherwise}" if da else f". Otherwise: {otherwise}"
        return text
    return ""


def _rebound_effect(effect: Any, binding: Binding) -> Any | None:
    """The effect with every card reference bound to the catalogue; None when a named card has no counterpart."""
    update: dict[str, Any] = {}
    for field in ("cards", "for_cards", "void_if_chosen", "if_any_chosen"):
        names = getattr(effect, field, None)
        if names:
            bound = binding.bind_all(names)
            if bound is None:
                return None
            update[field] = bound
    if isinstance(effect, ConditionalEffect):
        for branch in ("then", "otherwise"):
            inner = [_rebound_effect(item, binding) for item in getattr(effect, branch)]
            if any(item is None for item in inner):
                return None
            update[branch] = tuple(inner)
    return effect.model_copy(update=update) if update else effect


def generic_event(event: EventCard, binding: Binding) -> EventCard | None:
    """The event bound to the catalogue's cards, its description written from its effects; None if it cannot."""
    effects = [_rebound_effect(effect, binding) for effect in event.effects]
    if any(effect is None for effect in effects):
        return None

    def describe(lang: str) -> str:
        return ". ".join(sentence for effect in effects if (sentence := _sentence(effect, binding, lang))) + "."

    description = Text(da=describe("da"), en=describe("en"))
    return event.model_copy(update={"effects": tuple(effects), "description": description, "scaled": None})


def generic_hjertesag(sag: Hjertesag, binding: Binding) -> Hjertesag | None:
    """A hjertesag naming cards bound to the catalogue's cards of their kind and area, its text written anew;
    one naming an area bound to the catalogue's area; None when it cannot be bound."""
    condition = sag.condition
    area = getattr(condition, "area", None)
    if area is not None:
        bound_area = binding.area(area)
        if bound_area is None:
            return None
        return sag.model_copy(update={"condition": condition.model_copy(update={"area": bound_area})})
    if not isinstance(condition, ChosenAny | ChosenNone | NotAllChosen):
        return sag
    cards = binding.bind_all(condition.cards)
    if cards is None or (isinstance(condition, NotAllChosen) and len(cards) < 2):
        return None
    if isinstance(condition, ChosenNone):
        # Korsbæk's "none of these cuts": the catalogue's cards as harsh as the named ones, no milder.
        harshest = max(binding.base[c].service for c in condition.cards if c in binding.base) if all(
            c in binding.base for c in condition.cards) else 2  # fmt: skip
        cards = tuple(c for c in cards if binding.cards[c].service <= harshest) or cards
    every = not isinstance(condition, ChosenAny)
    da, en = binding.names(cards, "da", every=every), binding.names(cards, "en", every=every)
    if isinstance(condition, ChosenAny):
        text = Text(da=f"Mindst ét af disse kommer med: {da}", en=f"At least one of these is in the agreement: {en}")
    elif isinstance(condition, ChosenNone):
        text = Text(da=f"Ingen af disse kommer med: {da}", en=f"None of these is in the agreement: {en}")
    else:
        text = Text(da=f"Ikke alle disse i samme forlig: {da}", en=f"Not all of these in one agreement: {en}")
    return sag.model_copy(update={"condition": condition.model_copy(update={"cards": cards}), "text": text})
