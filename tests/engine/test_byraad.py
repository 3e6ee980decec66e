"""Byråd mode (issue 13 item 5): roles assigned by hand or nobody's, parties with mandates, thresholds counted
in mandates, udenfor forliget, up to 31 seats; and an ordinary table plays as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.debrief import debrief
from engine.deck import DEFAULT_DECK_PATH, Deck, DeckError, Party, Text, load_deck
from engine.model import (
    Actor,
    AssignParty,
    AssignRole,
    Byraad,
    CastVote,
    CreateGame,
    EndGame,
    Join,
    Leave,
    Propose,
    SetRule,
    StartRound,
)
from engine.rules import initial_state, tally, voters
from engine.views import FACILITATOR_VIEWER, Viewer, view
from tests.engine.conftest import Table
from tests.engine.test_rules import BALANCED, refused

# Korsbæk's byråd: 27 mandates.
KORSBAEK = (
    Party(id="a", name=Text(da="Socialdemokratiet", en="Social Democrats"), mandates=9),
    Party(id="v", name=Text(da="Venstre", en="Liberals"), mandates=7),
    Party(id="c", name=Text(da="Konservative", en="Conservatives"), mandates=4),
    Party(id="f", name=Text(da="SF", en="Socialist People's Party"), mandates=3),
    Party(id="o", name=Text(da="Dansk Folkeparti", en="Danish People's Party"), mandates=2),
    Party(id="oe", name=Text(da="Enhedslisten", en="Red-Green Alliance"), mandates=2),
)
# The members in seat order: p1..p9 in A, p10..p16 in V, p17..p20 in C, p21..p23 in F, p24..p25 in O, p26..p27 in Ø.
SEATING = [party.id for party in KORSBAEK for _ in range(party.mandates)]


def _byraad(table: Table, **options: object) -> None:
    table.play(CreateGame, table_name="Byrådet", seed=7, byraad=Byraad(**options), rule="majority")  # type: ignore[arg-type]


def _members(table: Table, count: int, parties: bool = True) -> list[Actor]:
    for number in range(1, count + 1):
        party = SEATING[number - 1] if parties else None
        table.play(Join, player_id=f"p{number}", name=f"Medlem {number}", party=party)
    return [Actor.player(f"p{number}") for number in range(1, count + 1)]


def _vote(table: Table, actors: list[Actor], choice: str, proposal: str = "F1") -> None:
    for actor in actors:
        table.play(CastVote, actor, proposal_id=proposal, choice=choice)


# ---- roles by hand ------------------------------------------------------------------------------


def test_the_facilitator_assigns_a_role_and_the_deal_gives_only_the_rest(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42)
    for number in range(1, 5):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    table.play(AssignRole, player_id="p3", role="borgmester")
    table.play(AssignRole, player_id="p1", role="teknik_klima")
    assert table.state.players["p3"].role == "borgmester"
    table.play(StartRound)
    roles = {pid: p.role for pid, p in table.state.players.items()}
    assert roles["p3"] == "borgmester"
    assert roles["p1"] == "teknik_klima"
    assert len(set(roles.values())) == 4
    assert None not in roles.values()
    dealt = table.log[-2]
    assert dealt.type == "roles_dealt"
    assert set(dealt.assignments) == {"p2", "p4"}


def test_assigning_a_role_is_checked(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42)
    table.play(Join, player_id="p1", name="Anna")
    table.play(Join, player_id="p2", name="Bo")
    table.play(AssignRole, player_id="p1", role="borgmester")
    refused("role.unknown", table, AssignRole, player_id="p2", role="konge")
    refused("role.taken", table, AssignRole, player_id="p2", role="borgmester")
    refused("player.not_seated", table, AssignRole, player_id="p9", role="teknik_klima")
    refused("actor.not_facilitator", table, AssignRole, Actor.player("p1"), player_id="p2", role="teknik_klima")
    # The holder gets another role: the first is free again.
    table.play(AssignRole, player_id="p1", role="teknik_klima")
    table.play(AssignRole, player_id="p2", role="borgmester")
    assert table.state.players["p2"].role == "borgmester"
    assert table.play(AssignRole, player_id="p2", role="borgmester") == []  # the same again records nothing


def test_a_role_assigned_during_the_game_changes_who_votes(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42)
    for number in range(1, 5):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    table.play(AssignRole, player_id="p1", role="oekonomidirektoer")
    table.play(StartRound)
    assert "p1" not in voters(table.state)
    free = next(r.id for r in table.deck.roles if r.id not in {p.role for p in table.state.seated()})
    table.play(AssignRole, player_id="p1", role=free)
    assert "p1" in voters(table.state)


def test_a_role_without_a_vote_given_during_a_vote_decides_it_when_the_rest_have_voted(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42, rule="majority")
    for number, role in enumerate(("borgmester", "teknik_klima", "aeldre_sundhed", "boern_skole"), start=1):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
        table.play(AssignRole, player_id=f"p{number}", role=role)
    table.play(StartRound)
    table.play(Propose, Actor.player("p1"), cards=BALANCED)
    _vote(table, [Actor.player(f"p{n}") for n in (1, 2, 3)], "for")
    assert table.state.forlig is None  # p4 has not voted
    events = table.play(AssignRole, player_id="p4", role="oekonomidirektoer")
    assert [event.type for event in events] == ["roles_dealt", "proposal_adopted"]


# ---- playing as themselves ------------------------------------------------------------------------


def test_as_themselves_nobody_gets_a_role_and_everyone_votes_once(table: Table) -> None:
    _byraad(table, roles="themselves")
    actors = _members(table, 5, parties=False)
    refused("role.themselves", table, AssignRole, player_id="p1", role="borgmester")
    table.play(StartRound)
    assert all(p.role is None for p in table.state.seated())
    assert not any(event.type == "roles_dealt" for event in table.log)
    assert voters(table.state) == {f"p{n}": 1 for n in range(1, 6)}
    seen = view(table.state, Viewer("player", "p1"))
    assert seen.your_hjertesager == ()
    assert seen.you_may_vote
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:3], "for")
    _vote(table, actors[3:], "against")
    assert table.state.forlig is not None
    assert table.state.forlig.share_for == 0.6
    table.play(EndGame)
    result = debrief(table.state, draws=200)
    assert result.hjertesager == ()
    assert result.table_score == 0
    assert result.byraad is not None
    assert result.byraad.roles == "themselves"


# ---- parties and mandates -------------------------------------------------------------------------


def test_members_belong_to_parties_whose_mandates_bound_them(table: Table) -> None:
    _byraad(table, parties=KORSBAEK, roles="themselves")
    table.play(Join, player_id="p1", name="Anna", party="o")
    table.play(Join, player_id="p2", name="Bo", party="o")
    refused("party.full", table, Join, player_id="p3", name="Carl", party="o")
    refused("party.unknown", table, Join, player_id="p3", name="Carl", party="x")
    table.play(Join, player_id="p3", name="Carl")
    assert "p3" not in voters(table.state)  # no party yet: no vote
    refused("party.full", table, AssignParty, player_id="p3", party="o")
    table.play(AssignParty, player_id="p3", party="a")
    assert voters(table.state) == {"p1": 1, "p2": 1, "p3": 1}
    table.play(AssignParty, player_id="p2", party="v")  # a member moves: a mandate of O is free
    table.play(AssignParty, player_id="p3", party="o")
    assert [table.state.players[p].party for p in ("p1", "p2", "p3")] == ["o", "v", "o"]
    refused("actor.not_facilitator", table, AssignParty, Actor.player("p1"), player_id="p1", party="a")
    refused("player.not_seated", table, AssignParty, player_id="p9", party="a")


def test_an_ordinary_table_has_no_parties(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42)
    refused("party.no_parties", table, Join, player_id="p1", name="Anna", party="a")
    table.play(Join, player_id="p1", name="Anna")
    refused("party.no_parties", table, AssignParty, player_id="p1", party="a")


def test_the_majority_is_counted_in_all_27_mandates(table: Table) -> None:
    """20 of 27 are present: 13 for is not a majority of the byråd (14 is), however few are against."""
    _byraad(table, parties=KORSBAEK, roles="themselves")
    actors = _members(table, 20)
    table.play(StartRound)
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:13], "for")
    _vote(table, actors[13:19], "abstain")
    assert tally(table.state, table.state.proposals["F1"])[3] == 27
    table.play(CastVote, actors[19], proposal_id="F1", choice="abstain")
    assert table.state.proposals["F1"].status == "rejected"  # 13 of 27: everyone voted, no majority
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:14], "for", "F2")
    _vote(table, actors[14:], "against", "F2")
    forlig = table.state.forlig
    assert forlig is not None
    assert forlig.proposal_id == "F2"
    assert forlig.share_for == round(14 / 27, 4)


def test_a_broad_forlig_needs_two_thirds_of_the_mandates(table: Table) -> None:
    _byraad(table, parties=KORSBAEK, roles="themselves")
    actors = _members(table, 27)
    table.play(StartRound)
    table.play(SetRule, rule="broad")
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:17], "for")
    _vote(table, actors[17:], "against")
    assert table.state.proposals["F1"].status == "rejected"  # 17 of 27 < 2/3
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:18], "for", "F2")
    _vote(table, actors[18:], "against", "F2")
    assert table.state.forlig is not None
    assert table.state.forlig.proposal_id == "F2"


def test_with_dealt_roles_each_member_still_has_one_mandate(table: Table) -> None:
    """The deck's borgmester weighs 2 at an ordinary table; in a byråd every member is one mandate, and an
    official's role (økonomidirektør) has no vote."""
    _byraad(table, parties=KORSBAEK)
    _members(table, 10)
    table.play(AssignRole, player_id="p2", role="oekonomidirektoer")
    table.play(StartRound)
    weights = voters(table.state)
    assert set(weights.values()) == {1}
    assert "p2" not in weights
    assert len(weights) == 9
    assert sum(1 for p in table.state.seated() if p.role) == len(table.deck.roles)  # the rest play as themselves


def test_with_no_member_in_a_party_nothing_is_decided(table: Table) -> None:
    """The byråd's 27 mandates are counted even when nobody present may vote: that decides nothing."""
    _byraad(table, parties=KORSBAEK, roles="themselves")
    actors = _members(table, 4, parties=False)
    table.play(StartRound)
    table.play(Propose, actors[0], cards=BALANCED)
    table.play(Leave, actors[3])  # the open proposals are decided again without them
    assert table.state.proposals["F1"].status == "open"


# ---- udenfor forliget -----------------------------------------------------------------------------


def test_outside_the_forlig_is_neither_for_nor_missing_and_the_debrief_shows_it(table: Table) -> None:
    _byraad(table, parties=KORSBAEK, roles="themselves")
    actors = _members(table, 27)
    table.play(StartRound)
    table.play(Propose, actors[0], cards=BALANCED)
    _vote(table, actors[:16], "for")  # A and V: 16 mandates
    _vote(table, actors[16:25], "outside")  # C, F, O stand outside
    proposal = table.state.proposals["F1"]
    seen = view(table.state, FACILITATOR_VIEWER).proposals[0]
    assert seen.tally.outside == 9
    assert seen.tally.for_ == 16
    assert seen.tally.abstain == 0
    assert set(seen.missing) == {"p26", "p27"}  # the outside members have voted
    _vote(table, actors[25:], "against")
    assert table.state.forlig is not None
    assert table.state.forlig.proposal_id == proposal.id
    table.play(EndGame)
    result = debrief(table.state, draws=200)
    assert result.byraad is not None
    assert result.byraad.mandates == 27
    assert set(result.byraad.outside_forlig) == {f"p{n}" for n in range(17, 26)}
    parties = {row.id: row for row in result.byraad.parties}
    assert parties["c"].outside_forlig == ("p17", "p18", "p19", "p20")
    assert parties["a"].for_forlig == tuple(f"p{n}" for n in range(1, 10))
    assert result.negotiation.proposals[0].votes_outside == tuple(f"p{n}" for n in range(17, 26))


def test_outside_is_for_byraad_tables_only(table: Table) -> None:
    table.play(CreateGame, table_name="Bord 1", seed=42)
    for number in range(1, 5):
        table.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    table.play(StartRound)
    voter = next(iter(voters(table.state)))
    table.play(Propose, Actor.player(voter), cards=BALANCED)
    refused("vote.outside_byraad_only", table, CastVote, Actor.player(voter), proposal_id="F1", choice="outside")


# ---- seats ------------------------------------------------------------------------------------------


def test_a_byraad_table_holds_31_seats_and_an_ordinary_one_the_decks(table: Table, deck: Deck) -> None:
    _byraad(table)
    for number in range(1, 32):
        table.play(Join, player_id=f"p{number}", name=f"Medlem {number}")
    refused("seat.table_full", table, Join, player_id="p32", name="Medlem 32")
    ordinary = Table(deck=deck, state=initial_state(deck))
    ordinary.play(CreateGame, table_name="Bord 1", seed=1)
    for number in range(1, deck.scenario.max_players + 1):
        ordinary.play(Join, player_id=f"p{number}", name=f"Spiller {number}")
    refused("seat.table_full", ordinary, Join, player_id="p9", name="Spiller 9")


def test_the_seats_default_to_the_mandates_and_hold_them_all(table: Table) -> None:
    _byraad(table, parties=KORSBAEK)
    _members(table, 27)
    refused("seat.table_full", table, Join, player_id="p28", name="Medlem 28")
    other = Table(deck=table.deck, state=initial_state(table.deck))
    refused("game.seats_below_mandates", other, CreateGame, table_name="x", seed=1,
            byraad=Byraad(parties=KORSBAEK, seats=20))  # fmt: skip


def test_a_byraad_has_at_most_31_mandates_and_no_party_twice() -> None:
    with pytest.raises(ValidationError, match="31"):
        Byraad(parties=(*KORSBAEK, Party(id="b", name=Text(da="B", en="B"), mandates=5)))
    with pytest.raises(ValidationError, match="twice"):
        Byraad(parties=(KORSBAEK[0], KORSBAEK[0]))
    with pytest.raises(ValidationError):
        Byraad(seats=32)


def test_a_member_who_leaves_frees_the_mandate_and_their_vote_is_withdrawn(table: Table) -> None:
    _byraad(table, parties=KORSBAEK, roles="themselves")
    actors = _members(table, 25)
    table.play(StartRound)
    table.play(Propose, actors[0], cards=BALANCED)
    table.play(CastVote, actors[24], proposal_id="F1", choice="for")
    table.play(Leave, actors[24])
    assert "p25" not in table.state.proposals["F1"].votes
    table.play(Join, player_id="p28", name="Ny", party=SEATING[24])


# ---- decks with parties -----------------------------------------------------------------------------


def _deck_with(tmp_path: Path, parties: str) -> Path:
    folder = tmp_path / "deck"
    folder.mkdir()
    for file in DEFAULT_DECK_PATH.glob("*.toml"):
        (folder / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "parties.toml").write_text(parties, encoding="utf-8")
    return folder


PARTIES_TOML = "".join(
    f'[[parties]]\nid = "{p.id}"\nname = {{ da = "{p.name.da}", en = "{p.name.en}" }}\nmandates = {p.mandates}\n\n'
    for p in KORSBAEK
)


def test_a_decks_parties_are_the_byraads_when_the_table_names_none(tmp_path: Path) -> None:
    deck = load_deck(_deck_with(tmp_path, PARTIES_TOML))
    assert deck.parties == KORSBAEK
    assert deck.digest != load_deck(DEFAULT_DECK_PATH).digest
    table = Table(deck=deck, state=initial_state(deck))
    _byraad(table)
    assert table.state.config is not None
    assert table.state.config.byraad is not None
    assert table.state.config.byraad.mandates == 27
    ordinary = Table(deck=deck, state=initial_state(deck))
    ordinary.play(CreateGame, table_name="Bord 1", seed=1)
    assert ordinary.state.config is not None
    assert ordinary.state.config.byraad is None


def test_a_deck_without_parties_keeps_its_digest() -> None:
    deck = load_deck(DEFAULT_DECK_PATH)
    assert "parties" not in deck.model_dump(mode="json")


def test_deck_problems_with_parties_name_the_file_and_field(tmp_path: Path) -> None:
    bad = PARTIES_TOML + '[[parties]]\nid = "a"\nname = { da = "A", en = "A" }\nmandates = 5\n'
    with pytest.raises(DeckError) as caught:
        load_deck(_deck_with(tmp_path, bad))
    text = str(caught.value)
    assert "parties.toml: party a: id: duplicate id" in text
    assert "parties.toml: parties: mandates: the parties hold 32 mandates" in text
