"""The cross-table debrief and its downloads, for a scripted conference of three tables with known outcomes.

The expected figures are worked out here from the deck's own files (cards.toml, scenario.toml) and rules
2's realisation table (docs/decks.md, "Dice"), not from the engine: the per-table results against the
target, the reality check's realised results from the logged dice, the card statuses, the composition
shares and (exactly, by convolution, against the engine's Monte Carlo) the probabilities of reaching the
target.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tomllib
from dataclasses import dataclass
from typing import Any

import pytest

from engine.deck import DEFAULT_DECK_PATH
from tests.conference.conftest import new_conference
from tests.server.helpers import Api, ServerProcess, bearer, connect_as

DECK = DEFAULT_DECK_PATH
CARDS: dict[str, dict[str, Any]] = {c["id"]: c for c in tomllib.loads((DECK / "cards.toml").read_text())["cards"]}
SCENARIO = tomllib.loads((DECK / "scenario.toml").read_text())["scenario"]
WELFARE = {area["id"]: area["welfare"] for area in SCENARIO["areas"]}
YEARS = SCENARIO["years"]
X = 8.0  # the conference's target in the budget year; the overslagsår add the deck's demographic pressure
TARGET = [X + v - SCENARIO["baseline_gap"][0] for v in SCENARIO["baseline_gap"]]
KINDS = ("besparelse", "effektivisering", "investering", "udvidelse")
# Rules 2: the share of a card's gains realised for each d6 roll (every row averages 1).
REALISATION = {
    "lav": (0.85, 0.9, 0.95, 1.05, 1.1, 1.15),
    "medium": (0.6, 0.8, 0.95, 1.05, 1.2, 1.4),
    "høj": (0.2, 0.6, 0.9, 1.1, 1.4, 1.8),
}
# "Træthed i organisationen": with this chance every effektivisering delivers 70 % of its gains, otherwise a
# little more, so that their mean stays the printed figure.
BALANCE = SCENARIO["balance"]
FATIGUE = (
    BALANCE["fatigue_factor"],
    (1 - BALANCE["fatigue_probability"] * BALANCE["fatigue_factor"]) / (1 - BALANCE["fatigue_probability"]),
)

# Table 1 adopts a forlig that reaches every year (8, 18, 28, 33) after a first proposal it drops; table 2 one that
# falls short, with a high-uncertainty investment; table 3 proposes but adopts nothing.
BALANCED = [
    "ÆL-01", "ÆL-03", "ÆL-04", "ÆL-05", "ÆL-06", "ÆL-07", "DT-01", "DT-02", "DT-U1", "SK-02", "SK-04", "SK-05",
    "SP-01", "SP-02", "SP-04", "SP-05", "KF-02", "KF-U1", "TM-04", "TM-06", "TM-U1", "AD-02", "AD-03", "AD-05", "AD-06",
]  # fmt: skip
DROPPED = ["ÆL-02", "TM-01"]
SHORT = ["ÆL-02", "AD-03", "SK-05", "DT-02"]
UNADOPTED = ["SK-04"]


@dataclass
class Expected:
    forlig: list[str]
    proposed: set[str]

    def result(self) -> list[float]:
        return [round(sum(CARDS[c]["amounts"][y] for c in self.forlig) - TARGET[y], 6) for y in range(4)]

    def realised(self, rolls: dict[str, int], fatigue: bool) -> list[float]:
        total = [0.0] * 4
        for card_id in self.forlig:
            amounts = realise(CARDS[card_id], rolls[card_id], FATIGUE[0] if fatigue else FATIGUE[1])
            total = [t + a for t, a in zip(total, amounts, strict=True)]
        return [round(total[y] - TARGET[y], 6) for y in range(4)]

    def status(self, card_id: str) -> str:
        return "chosen" if card_id in self.forlig else "proposed" if card_id in self.proposed else "never"

    def gains(self, keep: Any) -> float:
        return sum(max(0.0, CARDS[c]["amounts"][3]) for c in self.forlig if keep(CARDS[c]))

    def share(self, keep: Any) -> float:
        total = self.gains(lambda card: True)
        return self.gains(keep) / total if total else 0.0

    def probabilities(self) -> list[float]:
        """P(target reached) per year, exactly: the convolution of every card's six equally likely outcomes,
        with fatigue hitting or sparing the effektiviseringer."""
        out = []
        chance = BALANCE["fatigue_probability"]
        for year in range(4):
            reached = 0.0
            for multiplier, weight in ((FATIGUE[0], chance), (FATIGUE[1], 1 - chance)):
                sums = {0.0: 1.0}
                for card_id in self.forlig:
                    step: dict[float, float] = {}
                    for roll in range(1, 7):
                        value = realise(CARDS[card_id], roll, multiplier)[year]
                        for total, p in sums.items():
                            key = round(total + value, 6)
                            step[key] = step.get(key, 0.0) + p / 6
                    sums = step
                reached += weight * sum(p for total, p in sums.items() if round(total - TARGET[year], 6) >= 0)
            out.append(reached)
        return out


def realise(card: dict[str, Any], roll: int, fatigue: float) -> list[float]:
    factor = REALISATION[card["uncertainty"]][roll - 1]
    gains = [max(0.0, v) for v in card["amounts"]]
    costs = [min(0.0, v) for v in card["amounts"]]
    if card["kind"] == "investering" and card["uncertainty"] == "høj" and roll == 1:
        factor *= sum(gains) / sum(gains[:3])  # keeps the four-year total of the delayed profile
        gains = [0.0, *gains[:3]]  # delivered a year late
    if card["kind"] == "effektivisering":
        factor *= fatigue
    return [g * factor + c for g, c in zip(gains, costs, strict=True)]


EXPECTED = [
    Expected(BALANCED, set(BALANCED) | set(DROPPED)),
    Expected(SHORT, set(SHORT)),
    Expected([], set(UNADOPTED)),
]


@pytest.fixture(scope="module")
def played(shared_server: ServerProcess) -> dict[str, Any]:
    """Play the scripted conference once; the tests read its debrief and downloads."""

    async def play() -> dict[str, Any]:
        async with Api(shared_server.url) as api:
            fac, seated = await new_conference(api, 3, players=3, name="Norddjurs: debrief-test", target=X)
            await fac.ok("start_all")
            scripts = [[DROPPED, BALANCED], [SHORT], [UNADOPTED]]
            adopt = ["F2", "F1", None]
            for table_id, players, proposals, chosen in zip(fac.table_ids, seated, scripts, adopt, strict=True):
                async with (
                    await connect_as(shared_server, table_id, players[0].token) as player,
                    await connect_as(shared_server, table_id, fac.token) as desk,
                ):
                    for cards in proposals:
                        await player.ok("propose", cards=cards)
                    if chosen:
                        await desk.ok("force_adopt", proposal_id=chosen)
            await fac.ok("end_game")
            rolls = []
            for table_id in fac.table_ids:
                log = await fac.log(table_id)
                checked = next(e["data"] for e in log if e["type"] == "reality_checked")
                rolls.append((checked["rolls"], checked["fatigue"]))
            http = api.http
            headers = bearer(fac.token)
            base = f"/api/conferences/{fac.id}"
            return {
                "fac": fac,
                "rolls": rolls,
                "json": (await http.get(f"{base}/debrief", headers=headers)).json(),
                "download": await http.get(f"{base}/debrief.json", headers=headers),
                "csv": await http.get(f"{base}/debrief.csv", headers=headers),
                "csv_da": await http.get(f"{base}/debrief.csv", params={"dialect": "da"}, headers=headers),
                "cards_csv": await http.get(f"{base}/debrief-cards.csv", headers=headers),
                "per_table": [
                    (await http.get(f"/api/tables/{t}/debrief", headers=headers)).json() for t in fac.table_ids
                ],
            }

    return asyncio.run(play())


def close(a: float, b: float, tolerance: float = 1e-4) -> bool:
    return abs(a - b) <= tolerance


def test_the_json_counts_the_tables_that_reached_the_target(played: dict[str, Any]) -> None:
    d = played["json"]["debrief"]
    assert played["json"]["name"] == "Norddjurs: debrief-test"
    assert [t["name"] for t in d["tables"]] == ["Bord 1", "Bord 2", "Bord 3"]
    results = [e.result() for e in EXPECTED]
    for year in range(4):
        count = d["reached"][year]
        assert count["label"] == YEARS[year]
        assert count["reached"] == sum(1 for r in results if r[year] >= 0)
        realised = [e.realised(*rolls)[year] >= 0 for e, rolls in zip(EXPECTED, played["rolls"], strict=True)]
        assert count["rolled"] == 3
        assert count["realised"] == sum(realised)
    assert d["with_forlig"] == 2
    assert results[0] == [round(v, 6) for v in d["tables"][0]["result"]]
    assert all(v >= 0 for v in results[0])
    assert any(v < 0 for v in results[1])
    assert d["verdict_reached"] == sum(1 for t in played["per_table"] if t["verdict"]["reached"])


def test_each_tables_figures_are_the_decks_arithmetic(played: dict[str, Any]) -> None:
    d = played["json"]["debrief"]
    for expected, table, rolls in zip(EXPECTED, d["tables"], played["rolls"], strict=True):
        assert table["cards"] == expected.forlig
        assert [round(v, 6) for v in table["result"]] == expected.result()
        assert table["reached"] == [v >= 0 for v in expected.result()]
        assert table["rolled"] is True
        assert set(rolls[0]) == set(expected.forlig)
        assert [round(v, 6) for v in table["realised_result"]] == expected.realised(*rolls)
        assert close(table["administration_share"], expected.share(lambda card: card["area"] == "administration"))
        assert close(table["welfare_share"], expected.share(lambda card: WELFARE[card["area"]]))
    assert d["tables"][0]["forlig"] == "F2"
    assert d["tables"][1]["forlig"] == "F1"
    assert d["tables"][2]["forlig"] is None


def test_the_heat_map_has_every_card_at_every_table(played: dict[str, Any]) -> None:
    heat = played["json"]["debrief"]["heatmap"]
    assert heat["tables"] == played["fac"].table_ids
    assert [row["card"] for row in heat["rows"]] == list(CARDS)
    for row in heat["rows"]:
        assert row["statuses"] == [e.status(row["card"]) for e in EXPECTED]
        assert (row["chosen"], row["proposed"], row["never"]) == tuple(
            row["statuses"].count(s) for s in ("chosen", "proposed", "never")
        )
    rows = {row["card"]: row for row in heat["rows"]}
    assert rows["ÆL-02"]["statuses"] == ["proposed", "chosen", "never"]
    assert rows["SK-04"]["statuses"] == ["chosen", "never", "proposed"]


def test_the_composition_is_compared_with_the_average_of_the_tables_with_a_forlig(played: dict[str, Any]) -> None:
    composition = played["json"]["debrief"]["composition"]
    assert composition["averaged_over"] == 2
    for expected, table in zip(EXPECTED, composition["tables"], strict=True):
        assert table["has_forlig"] == bool(expected.forlig)
        for kind in KINDS:
            assert close(table["shares"]["by_kind"][kind], expected.share(lambda card, k=kind: card["kind"] == k))
        for area in WELFARE:
            assert close(table["shares"]["by_area"][area], expected.share(lambda card, a=area: card["area"] == a))
    average = composition["average"]
    for kind in KINDS:
        mean = sum(e.share(lambda card, k=kind: card["kind"] == k) for e in EXPECTED[:2]) / 2
        assert close(average["by_kind"][kind], mean)
    mean_admin = sum(e.share(lambda card: card["area"] == "administration") for e in EXPECTED[:2]) / 2
    assert close(average["administration_share"], mean_admin)


def test_the_reality_check_probabilities_and_their_spread(played: dict[str, Any]) -> None:
    d = played["json"]["debrief"]
    exact = [e.probabilities() for e in EXPECTED[:2]]
    for table, probabilities in zip(d["tables"][:2], exact, strict=True):
        for year in range(4):
            # 10,000 simulated draws against the exact value: a standard error of at most 0.005.
            assert abs(table["probability"][year] - probabilities[year]) < 0.025, (table["name"], year)
        assert table["probability_all_years"] <= min(table["probability"]) + 1e-9
    spread = d["probability"]["spread"]
    assert [s["year"] for s in spread] == [1, 2, 3, 4, None]
    for year in range(4):
        values = [t["probability"][year] for t in d["tables"][:2]]
        assert spread[year]["tables"] == 2
        assert spread[year]["lowest"] == min(values)
        assert spread[year]["highest"] == max(values)
        assert close(spread[year]["median"], sum(values) / 2)
        assert close(spread[year]["mean"], sum(values) / 2)


def _rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_csv_has_a_row_per_table_with_the_same_figures(played: dict[str, Any]) -> None:
    # A Danish conference: Danish column names and values (server/api/export_names.py).
    response = played["csv"]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith("tables.csv")  # filename* last (RFC 6266)
    rows = _rows(response.text)
    assert [r["bord"] for r in rows] == ["Bord 1", "Bord 2", "Bord 3"]
    assert [r["bord_id"] for r in rows] == played["fac"].table_ids
    assert {r["fase"] for r in rows} == {"virkelighedstjek"}
    for row, expected, rolls in zip(rows, EXPECTED, played["rolls"], strict=True):
        assert row["kort"].split() == expected.forlig
        for year, label in enumerate(YEARS):
            assert close(_number(row[f"resultat_{label}"]), expected.result()[year])
            assert row[f"nået_{label}"] == ("1" if expected.result()[year] >= 0 else "0")
            assert close(_number(row[f"realiseret_resultat_{label}"]), expected.realised(*rolls)[year])
        assert close(
            _number(row["andel_administration"]), expected.share(lambda card: card["area"] == "administration")
        )
        assert row["virkelighedstjekket"] == "1"
        assert {"andel_besparelse", "andel_effektivisering", "andel_investering", "andel_ønske"} <= set(row)
    assert rows[2]["forlig"] == ""
    assert rows[0]["forlig"] == "F2"
    assert int(rows[0]["forslag"]) == 2
    assert int(rows[2]["forslag"]) == 1


def test_the_danish_excel_csv_has_semicolons_and_decimal_commas(played: dict[str, Any]) -> None:
    text = played["csv_da"].text
    assert text.startswith("\ufeff")
    da_rows = _rows(text.removeprefix("\ufeff"), delimiter=";")
    rows = _rows(played["csv"].text)
    label = YEARS[0]
    assert da_rows[1][f"resultat_{label}"] == rows[1][f"resultat_{label}"].replace(".", ",")
    assert "," in da_rows[0]["andel_administration"]
    # Its own file name: the two variants are never saved over each other.
    assert played["csv_da"].headers["content-disposition"].endswith("tables-excel-da.csv")


def test_the_cards_csv_has_a_row_per_table_and_card(played: dict[str, Any]) -> None:
    rows = _rows(played["cards_csv"].text)
    assert len(rows) == 3 * len(CARDS)
    danish = {"besparelse": "besparelse", "effektivisering": "effektivisering", "investering": "investering",
              "udvidelse": "ønske"}  # fmt: skip
    statuses = {"chosen": "valgt", "proposed": "foreslået", "never": "aldrig"}
    for row in rows:
        expected = EXPECTED[int(row["bord_nr"]) - 1]
        assert row["status"] == statuses[expected.status(row["kort_id"])]
        assert row["type"] == danish[CARDS[row["kort_id"]]["kind"]]
        assert row["område"] == CARDS[row["kort_id"]]["area"]
        assert row["titel"] == CARDS[row["kort_id"]]["title"]["da"]
    chosen = [(r["bord"], r["kort_id"]) for r in rows if r["status"] == "valgt"]
    assert sorted(chosen) == sorted([("Bord 1", c) for c in BALANCED] + [("Bord 2", c) for c in SHORT])


def test_the_json_download_is_the_debrief_in_danish(played: dict[str, Any]) -> None:
    response = played["download"]
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-disposition"].endswith("debrief.json")
    downloaded = json.loads(response.text)
    api = played["json"]
    assert downloaded["navn"] == api["name"]
    debrief = downloaded["debriefing"]
    # The same figures under Danish keys, the words among the values in Danish.
    assert [t["resultat"] for t in debrief["borde"]] == [t["result"] for t in api["debrief"]["tables"]]
    assert [t["fase"] for t in debrief["borde"]] == ["virkelighedstjek"] * 3
    assert debrief["varmekort"]["rækker"][0]["status_pr_bord"][0] in {"valgt", "foreslået", "aldrig"}
    assert set(debrief["sammensætning"]["gennemsnit"]["efter_type"]) == {
        "besparelse", "effektivisering", "investering", "ønske"}  # fmt: skip
    assert "tables" not in json.dumps(downloaded)


def test_a_tables_line_equals_its_own_debrief(played: dict[str, Any]) -> None:
    for table, own in zip(played["json"]["debrief"]["tables"], played["per_table"], strict=True):
        assert table["result"] == [row["result"] for row in own["years"]]
        assert table["probability"] == own["reality_check"]["probability"]
        assert table["verdict_reached"] == own["verdict"]["reached"]
        # The administration share is one engine figure: the cross-table line is the table's own.
        if own.get("administration") is not None:
            assert table["administration_share"] == own["administration"]["share_of_gains"]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_downloads_speak_the_conferences_language(shared_server: ServerProcess, language: str) -> None:
    async def downloads() -> dict[str, Any]:
        async with Api(shared_server.url) as api:
            fac, _ = await new_conference(api, 1, name="Sprog: Æble", language=language)
            base, headers = f"/api/conferences/{fac.id}", bearer(fac.token)
            return {
                name: await api.http.get(f"{base}/{path}", headers=headers)
                for name, path in (("tables", "debrief.csv"), ("cards", "debrief-cards.csv"), ("json", "debrief.json"))
            }

    found = asyncio.run(downloads())
    tables, cards = _rows(found["tables"].text)[0], _rows(found["cards"].text)[0]
    document = json.loads(found["json"].text)
    if language == "en":
        assert list(tables)[:4] == ["table_number", "table", "table_id", "phase"]
        assert tables["phase"] == "lobby"
        assert "share_saving" in tables
        assert "share_wish" in tables
        assert list(cards) == ["table_number", "table", "table_id", "card", "title", "kind", "area", "status"]
        assert cards["status"] == "never"
        assert cards["kind"] in {"saving", "efficiency", "investment", "wish"}
        assert document["debrief"]["tables"][0]["phase"] == "lobby"
    else:
        assert list(tables)[:4] == ["bord_nr", "bord", "bord_id", "fase"]
        assert tables["fase"] == "venter"
        assert "andel_besparelse" in tables
        assert "andel_ønske" in tables
        assert list(cards) == ["bord_nr", "bord", "bord_id", "kort_id", "titel", "type", "område", "status"]
        assert cards["status"] == "aldrig"
        assert cards["type"] in {"besparelse", "effektivisering", "investering", "ønske"}
        assert document["debriefing"]["borde"][0]["fase"] == "venter"
    # The file names keep æ (RFC 6266 filename*), one per variant, in either language.
    for response, suffix in (
        (found["tables"], "tables.csv"),
        (found["cards"], "cards.csv"),
        (found["json"], "debrief.json"),
    ):
        assert response.headers["content-disposition"].endswith(f"filename*=UTF-8''raaderum-Sprog-%C3%86ble-{suffix}")
