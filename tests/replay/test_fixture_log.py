"""The committed log of today's version (tests/fixtures/log-v1.jsonl) opens in this and every later release.

It was written once by the exporter (tests/fixtures/make_log_v1.py) and is never regenerated: when an event
changes shape, its version goes up and an upcaster makes this file read as before. The figures below were
read off the debrief when the fixture was made; a release that changes them changes what an old game meant.
"""

from __future__ import annotations

import re
from collections import Counter

from engine.archive import pseudonymise, read_archive
from engine.debrief import debrief
from engine.debrief_text import debrief_text
from engine.model import GameCreated, MessagePosted
from engine.replay import markers
from engine.versions import EVENT_VERSIONS


def test_the_v1_fixture_is_a_whole_game_with_everything_a_replay_shows(log_v1_text: str) -> None:
    archive = read_archive(log_v1_text)
    assert archive.conference is None
    (log,) = archive.tables
    assert log.header.format_version == 1
    assert {line.version for line in log.lines} == {1}
    assert log.header.table.table_name == "Bord 1"
    assert log.header.table.conference_id == "fixtureconf1"
    assert log.total == 42
    assert log.final.phase == "debrief"
    assert isinstance(log.events[0], GameCreated)
    assert log.events[0].deck_digest == log.deck.digest
    kinds = Counter(marker.kind for marker in markers(log.events))
    assert kinds == {
        "round": 3, "event_card": 2, "proposal": 3, "vote": 13, "forlig": 2, "rejected": 1, "announcement": 2,
        "end": 2,
    }  # fmt: skip


def test_the_v1_fixture_replays_to_the_same_debrief_forever(log_v1_text: str) -> None:
    log = read_archive(log_v1_text).tables[0]
    result = debrief(log.final, draws=500)
    assert result.event_cards == ("E09", "E06")
    assert result.forlig is not None
    assert (result.forlig.proposal_id, result.forlig.round, len(result.forlig.cards)) == ("F3", 2, 23)
    assert result.forlig.share_for == 0.8
    assert [year.target for year in result.years] == [20.0, 30.0, 40.0, 45.0]
    assert [year.event_effect for year in result.years] == [-5.0, -6.0, -6.0, -6.0]
    assert [year.forlig_effect for year in result.years] == [24.7, 43.5, 45.5, 44.0]
    assert [year.result for year in result.years] == [-0.3, 7.5, -0.5, -7.0]
    assert not result.verdict.reached
    assert (result.service_index, result.net_fte) == (-20, -62.0)
    rounds = [(r.number, r.event_card, r.adopted, r.end_reason) for r in result.negotiation.rounds]
    assert rounds == [(1, None, "F2", "adopted"), (2, "E09", "F3", "adopted"), (3, "E06", None, "facilitator")]
    proposals = [
        (p.id, p.status, p.amends, len(p.votes_for), len(p.votes_against)) for p in result.negotiation.proposals
    ]
    assert proposals == [("F1", "rejected", None, 0, 4), ("F2", "adopted", "F1", 4, 0), ("F3", "adopted", "F2", 3, 1)]
    players = [(p.name, p.role, p.messages, p.proposals, p.votes) for p in result.negotiation.players]
    assert players == [
        ("Anna Holm", "oekonomidirektoer", 2, 0, 0),
        ("Bo Kristensen", "medarbejderrepraesentant", 0, 0, 3),
        ("Carina Lund", "boern_skole", 1, 0, 3),
        ("Dennis Møller", "social_handicap", 1, 1, 3),
        ("Eva Jensen", "borgmester", 2, 2, 3),
    ]
    # The dice are in the log (reality_checked), so the realised outcome is fixed too.
    assert result.reality_check.rolled
    assert [year.result for year in result.reality_check.years] == [-2.63, 4.15, -3.39, -9.29]


def test_the_v1_fixture_is_written_back_byte_for_byte(log_v1_text: str) -> None:
    assert read_archive(log_v1_text).render() == log_v1_text


def test_the_v1_fixture_reads_as_text_in_danish_and_english(log_v1_text: str) -> None:
    log = read_archive(log_v1_text).tables[0]
    result = debrief(log.final, draws=500)
    danish = debrief_text(result, log.deck, table_name="Bord 1")
    assert "2027  20,0 mio. kr.  −5,0 mio. kr.  24,7 mio. kr.  −0,3 mio. kr.   nej" in danish
    assert "Målet er ikke nået." in danish
    assert "Spillet efter regler version 1." in danish  # written before rules were recorded: rules 1
    assert "Forlig: F3 (runde 2), 23 kort, 80 % for" in danish
    english = debrief_text(result, log.deck, table_name="Bord 1", lang="en")
    assert "2027  DKK 20.0m  DKK −5.0m  DKK 24.7m  DKK −0.3m       no" in english
    assert "The goal is not reached." in english


def test_the_v1_fixture_pseudonymised_keeps_the_game_and_loses_the_names(log_v1_text: str) -> None:
    log = read_archive(log_v1_text).tables[0]
    text = pseudonymise(log).render()
    for name in ("Anna", "Holm", "Bo", "Kristensen", "Carina", "Lund", "Dennis", "Møller", "Eva", "Jensen"):
        assert not re.search(rf"(?<!\w){name}(?!\w)", text, re.IGNORECASE), f"{name} is still in the log"
    again = read_archive(text).tables[0]
    assert [p.name for p in again.final.players.values()] == [f"Spiller {n}" for n in range(1, 6)]
    chat = [event.text for event in again.events if isinstance(event, MessagePosted)]
    assert chat[0] == "Spiller 5, kan vi tage #SK-01 ud?"
    assert "Enig med Spiller 2s indvending." in chat
    assert all(line.version == EVENT_VERSIONS[line.type] for line in again.lines)
    assert debrief(again.final, draws=100).years == debrief(log.final, draws=100).years
