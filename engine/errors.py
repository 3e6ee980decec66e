"""Rule violations: a stable code that clients and tests switch on, and a message in Danish and English."""

from __future__ import annotations

from typing import Any, Literal, get_args

# Every code a rule violation can carry: clients switch on these, the docs list them, a test reaches each.
RuleCode = Literal[
    "game.not_created",
    "game.already_created",
    "game.ended",
    "game.too_few_players",
    "game.no_rounds_left",
    "game.not_in_reality_check",
    "game.seats_below_mandates",
    "actor.not_facilitator",
    "actor.not_player",
    "seat.table_full",
    "seat.already_seated",
    "seat.not_seated",
    "seat.name_invalid",
    "seat.name_taken",
    "chat.empty",
    "chat.unknown_message",
    "player.not_seated",
    "chat.too_long",
    "round.not_open",
    "round.still_open",
    "round.deadline_not_reached",
    "round.no_deadline",
    "round.paused",
    "round.not_paused",
    "portfolio.empty",
    "portfolio.card_unknown",
    "portfolio.card_duplicate",
    "portfolio.requires",
    "portfolio.excludes",
    "portfolio.card_disabled",
    "proposal.unknown",
    "proposal.not_open",
    "vote.no_vote",
    "vote.not_mayor",
    "vote.outside_byraad_only",
    "role.unknown",
    "role.taken",
    "role.themselves",
    "party.no_parties",
    "party.unknown",
    "party.full",
    "ability.unknown",
    "ability.not_your_role",
    "ability.used_up",
    "ability.no_forlig",
    "ability.card_missing",
    "ability.card_not_eligible",
    "ability.uncertainty_lowest",
    "ability.event_not_drawn",
    "ability.forlig_empty",
]

# code -> (Danish, English). Messages are str.format templates over the violation's params.
MESSAGES: dict[RuleCode, tuple[str, str]] = {
    "game.not_created": ("Spillet er ikke oprettet endnu.", "The game has not been created yet."),
    "game.already_created": ("Spillet er allerede oprettet.", "The game has already been created."),
    "game.ended": ("Spillet er slut.", "The game has ended."),
    "game.too_few_players": (
        "Der skal mindst sidde {min} spillere ved bordet (der er {count}).",
        "At least {min} players must be seated (there are {count}).",
    ),
    "game.no_rounds_left": (
        "Alle {rounds} runder er spillet; afslut spillet.",
        "All {rounds} rounds have been played; end the game.",
    ),
    "game.not_in_reality_check": (
        "Debriefingen kan først vises efter virkelighedstjekket.",
        "The debrief can only be shown after the reality check.",
    ),
    "game.seats_below_mandates": (
        "Byrådet har {mandates} mandater, men bordet kun {seats} pladser.",
        "The byråd has {mandates} mandates, but the table only {seats} seats.",
    ),
    "actor.not_facilitator": ("Kun facilitatoren kan gøre det.", "Only the facilitator can do that."),
    "actor.not_player": (
        "Kun en spiller ved bordet kan gøre det.",
        "Only a player at the table can do that.",
    ),
    "seat.table_full": ("Bordet er fuldt ({max} pladser).", "The table is full ({max} seats)."),
    "seat.already_seated": ("Spilleren sidder allerede ved bordet.", "The player is already seated."),
    "seat.not_seated": ("Du sidder ikke ved bordet.", "You are not seated at this table."),
    "seat.name_taken": (
        "{name} sidder allerede ved bordet. Er det dig, så fortsæt med din pladskode; ellers vælg et andet navn.",
        "{name} is already at the table. If that is you, continue with your seat code; otherwise pick another name.",
    ),
    "seat.name_invalid": (
        "Navnet skal være 1-40 tegn.",
        "The name must be 1-40 characters.",
    ),
    "chat.empty": ("Beskeden er tom.", "The message is empty."),
    "chat.unknown_message": (
        "Der er ingen chatbesked med nummer {seq}.",
        "There is no chat message with seq {seq}.",
    ),
    "player.not_seated": (
        "Spilleren {player} sidder ikke ved bordet.",
        "Player {player} is not seated at this table.",
    ),
    "chat.too_long": (
        "Beskeden er for lang (højst {max} tegn).",
        "The message is too long (at most {max} characters).",
    ),
    "round.not_open": ("Der er ingen åben forhandlingsrunde.", "No negotiation round is open."),
    "round.still_open": ("Runden er stadig åben.", "The round is still open."),
    "round.deadline_not_reached": (
        "Rundens tidsfrist er ikke nået endnu.",
        "The round's deadline has not been reached yet.",
    ),
    "round.no_deadline": ("Runden har ingen tidsfrist.", "The round has no deadline."),
    "round.paused": (
        "Runden er sat på pause; forslag og afstemninger venter, men chatten virker.",
        "The round is paused; proposals and votes wait, but the chat works.",
    ),
    "round.not_paused": ("Runden er ikke sat på pause.", "The round is not paused."),
    "portfolio.empty": ("Et forslag skal indeholde mindst ét kort.", "A proposal needs at least one card."),
    "portfolio.card_unknown": ("Ukendt kort: {card}.", "Unknown card: {card}."),
    "portfolio.card_duplicate": ("Kortet {card} er med to gange.", "Card {card} appears twice."),
    "portfolio.requires": (
        "Kortet {card} kræver også {other}.",
        "Card {card} also requires {other}.",
    ),
    "portfolio.excludes": (
        "Kortet {card} kan ikke vælges sammen med {other}.",
        "Card {card} cannot be chosen together with {other}.",
    ),
    "portfolio.card_disabled": (
        "Kortet {card} er taget ud af spil af en hændelse.",
        "Card {card} has been taken out of play by an event.",
    ),
    "proposal.unknown": ("Ukendt forslag: {proposal}.", "Unknown proposal: {proposal}."),
    "proposal.not_open": ("Forslaget {proposal} er afgjort.", "Proposal {proposal} has been resolved."),
    "vote.no_vote": ("Din rolle har ikke stemmeret.", "Your role has no vote."),
    "vote.not_mayor": (
        "Kun borgmesteren eller facilitatoren kan sætte et forslag til afstemning.",
        "Only the mayor or the facilitator can call a vote on a proposal.",
    ),
    "vote.outside_byraad_only": (
        "Kun i byrådstilstand kan man stille sig uden for forliget.",
        "Only in byråd mode can a member stand outside the budget agreement.",
    ),
    "role.unknown": ("Ukendt rolle: {role}.", "Unknown role: {role}."),
    "role.taken": (
        "Rollen {role} er allerede givet til {name}; giv først {name} en anden rolle.",
        "The role {role} is already {name}'s; give {name} another role first.",
    ),
    "role.themselves": (
        "Ved dette bord spiller alle som sig selv: der er ingen roller at give.",
        "At this table everyone plays as themselves: there are no roles to give.",
    ),
    "party.no_parties": ("Bordet har ingen partier.", "The table has no parties."),
    "party.unknown": ("Ukendt parti: {party}.", "Unknown party: {party}."),
    "party.full": (
        "Alle {mandates} mandater for {party} er besat.",
        "All {mandates} mandates of {party} are taken.",
    ),
    "ability.unknown": ("Ukendt evne: {ability}.", "Unknown ability: {ability}."),
    "ability.not_your_role": (
        "Evnen {ability} står ikke på dit rollekort.",
        "The ability {ability} is not on your role card.",
    ),
    "ability.used_up": (
        "Evnen er brugt ({uses} gang(e) i spillet).",
        "The ability has been used ({uses} time(s) per game).",
    ),
    "ability.no_forlig": (
        "Der er intet forlig endnu at flytte et kort ind i eller ud af.",
        "There is no budget agreement yet to move a card into or out of.",
    ),
    "ability.card_missing": ("Vælg det kort, evnen skal bruges på.", "Choose the card to use the ability on."),
    "ability.card_not_eligible": (
        "Evnen kan ikke bruges på kortet {card}.",
        "The ability cannot be used on card {card}.",
    ),
    "ability.uncertainty_lowest": (
        "Kortet {card} har allerede lav usikkerhed.",
        "Card {card} already has low uncertainty.",
    ),
    "ability.event_not_drawn": (
        "Evnen kan kun bruges i den runde, hvor {events} trækkes.",
        "The ability can only be used in the round in which {events} is drawn.",
    ),
    "ability.forlig_empty": (
        "Forligets sidste kort kan ikke tages ud.",
        "The budget agreement's last card cannot be taken out.",
    ),
}


class RuleViolation(Exception):
    """A command that the rules refuse. Nothing is changed."""

    def __init__(self, code: RuleCode, **params: Any) -> None:
        if code not in MESSAGES:
            raise KeyError(f"unknown rule violation code {code!r}")
        self.code: RuleCode = code
        self.params = params
        super().__init__(f"{code}: {self.message('en')}")

    def message(self, lang: str = "da") -> str:
        danish, english = MESSAGES[self.code]
        return (english if lang == "en" else danish).format(**self.params)


RULE_CODES: frozenset[RuleCode] = frozenset(get_args(RuleCode))
