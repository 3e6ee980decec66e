"""engine/catalog.py: a råderumskatalog as a deck, every error kind naming its row and column, and the
template (engine/catalog_template.py) importing back to the same deck."""

from __future__ import annotations

import io

import openpyxl  # type: ignore[import-untyped]
import pytest

from engine.catalog import CatalogError, CatalogInvalid, import_catalog, parse_number, size_text
from engine.catalog_template import write_csv, write_xlsx
from engine.deck import DEFAULT_DECK_PATH, load_deck
from engine.feasibility import FeasibleRange

HEADER = "id;titel;område;type;2027;2028;2029;2030;service;usikkerhed;kræver\n"
GOOD = (
    "AA-1;Færre kontorer;Administration;besparelse;1,5;2;2;2;0;lav;\n"
    "AA-2;Digital post;Administration;effektivisering;0,5;1;1.000;1;-1;medium;\n"
    "ÆL-1;Rehabilitering;Ældre;investering;-1;2;3;3;1;høj;AA-1\n"
    "ÆL-2;Flere hænder;Ældre;ønske;-2;-2;-2;-2;1;lav;\n"
)


def no_search(deck: object) -> FeasibleRange:
    """For tests of refusals: the search never runs on a refused file (it raises before)."""
    raise AssertionError("a refused catalogue must not reach the feasibility search")


def errors_of(data: bytes, filename: str = "katalog.csv") -> list[CatalogError]:
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog(data, filename, feasibility=no_search)
    return caught.value.errors


def where(errors: list[CatalogError]) -> set[tuple[int | None, str | None, str]]:
    return {(error.row, error.column, error.code) for error in errors}


@pytest.fixture(scope="module")
def korsbaek():
    return load_deck(DEFAULT_DECK_PATH)


@pytest.mark.parametrize(("writer", "filename"), [(write_csv, "korsbaek.csv"), (write_xlsx, "korsbaek.xlsx")])
def test_korsbaek_exported_to_the_template_imports_as_the_same_deck(korsbaek, writer, filename) -> None:
    catalog = import_catalog(writer(korsbaek), filename, "korsbaek")
    assert catalog.deck == korsbaek
    assert catalog.deck.digest == korsbaek.digest
    report = catalog.report()
    assert report.cards == 45
    assert report.left_out == []
    assert report.max_target > report.target == 20


def test_a_small_csv_imports_with_defaults_and_a_report() -> None:
    catalog = import_catalog((HEADER + GOOD).encode(), "katalog.csv", "lille", "Lilleby Kommune")
    deck = catalog.deck
    assert deck.scenario.municipality.da == "Lilleby Kommune"
    assert deck.scenario.years == ("2027", "2028", "2029", "2030")
    assert [card.kind for card in deck.cards] == ["besparelse", "effektivisering", "investering", "udvidelse"]
    assert deck.card("AA-2").amounts == (0.5, 1.0, 1000.0, 1.0)  # "1.000" in a ; file: thousands
    assert deck.card("ÆL-1").requires == ("AA-1",)
    assert {area.id: area.welfare for area in deck.scenario.areas} == {"administration": False, "aeldre": True}
    assert deck.scenario.wish_funding == (0, 0, 0, 0)
    assert deck.scenario.capital_pool == 0
    # X defaults to the middel level and the gap is X in every year.
    assert deck.scenario.baseline_gap == (deck.scenario.default_target,) * 4
    report = catalog.report()
    assert report.by_area["Ældre"] == {"investering": 1, "udvidelse": 1}
    # Events and hjertesager naming Korsbæk's cards or areas are left out, and the report says which.
    assert report.left_out
    assert all("nævner" in line for line in report.left_out)
    kept = {ref for event in deck.events for effect in event.effects for ref in getattr(effect, "cards", ())}
    assert kept <= {card.id for card in deck.cards}
    assert "Korsbæk" not in deck.model_dump_json()
    assert any("Kataloget er for lille" in w or "Ingen" in w for w in report.warnings) or report.warnings == []


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False)], ids=["utf8", "utf8-bom", "cp1252"]
)
def test_csv_encodings(encoding: str, bom: bool) -> None:
    data = (HEADER + GOOD).encode(encoding)
    catalog = import_catalog((b"\xef\xbb\xbf" if bom else b"") + data, "k.csv", feasibility=_flat)
    assert catalog.deck.card("ÆL-1").title.da == "Rehabilitering"
    assert catalog.deck.scenario.areas[1].name.da == "Ældre"


def _flat(deck: object) -> FeasibleRange:
    # Encoding and separator tests look at the parsing only: a fixed range instead of the search.
    return FeasibleRange(max_target=5, max_target_worst_event=4, worst_event=None, portfolio=(), levels=())


def test_comma_separated_with_decimal_points() -> None:
    text = (HEADER + GOOD).replace(";", ",").replace("1,5", "1.5").replace("0,5", "0.5").replace("1.000", "1000")
    catalog = import_catalog(text.encode(), "k.csv", feasibility=_flat)
    assert catalog.deck.card("AA-1").amounts == (1.5, 2, 2, 2)
    assert catalog.deck.card("AA-2").amounts == (0.5, 1, 1000, 1)


def test_numbers_as_excel_in_denmark_writes_them() -> None:
    assert parse_number("-1.234,5") == -1234.5
    assert parse_number("2,5") == 2.5
    assert parse_number("0.8") == 0.8
    assert parse_number("\u22123") == -3
    assert parse_number("50.000") == 50000
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("=A1") is None
    assert parse_number("2,5", decimal=",") == 2.5


def test_every_problem_is_listed_at_once_with_its_row_and_column() -> None:
    rows = (
        "AA-1;Første;Administration;besparelse;1;1;1;1;0;lav;\n"  # row 2: fine
        "AA-1;Dublet;Administration;besparelse;1;1;1;1;0;lav;\n"  # row 3: duplicate id
        "AA-3;Ukendt type;Administration;sparekniv;1;1;1;1;0;lav;\n"  # row 4: unknown kind
        "AA-4;Ikke tal;Administration;besparelse;mange;1;1;1;0;lav;\n"  # row 5: not a number
        "AA-5;Formel;Administration;besparelse;=SUM(A1:A3);1;1;1;0;lav;\n"  # row 6: formula, not evaluated
        "AA-6;For meget;Administration;besparelse;1;1;1;1;3;lav;\n"  # row 7: service outside -2..+2
        "AA-7;Kræver;Administration;besparelse;1;1;1;1;0;lav;ZZ-9\n"  # row 8: requires an unknown card
        "AA-8;Usikker;Administration;besparelse;1;1;1;1;0;måske;\n"  # row 9: unknown uncertainty
        "1.3;Dårligt id;Administration;besparelse;1;1;1;1;0;lav;\n"  # row 10: id not in the form AA-1
        ";;Administration;besparelse;1;1;1;1;0;lav;\n"  # row 11: no title
    )
    found = where(errors_of((HEADER + rows).encode()))
    assert found == {
        (3, "id", "catalog.id_duplicate"),
        (4, "type", "catalog.kind_unknown"),
        (5, "2027", "catalog.not_number"),
        (6, "2027", "catalog.formula"),
        (7, "service", "catalog.service_range"),
        (8, "kræver", "catalog.card_unknown"),
        (9, "usikkerhed", "catalog.uncertainty_unknown"),
        (10, "id", "catalog.id_invalid"),
        (11, "titel", "catalog.required"),
    }


def test_an_unknown_area_when_the_kommune_sheet_lists_them() -> None:
    text = HEADER + GOOD + "\n[Kommune]\nområde;administration;Administration;;260;nej\n"
    found = where(errors_of(text.encode()))
    assert found == {(4, "område", "catalog.area_unknown"), (5, "område", "catalog.area_unknown")}


def test_the_kommune_sheet_names_its_own_rows() -> None:
    text = HEADER + GOOD + "\n[Kommune]\nindbyggere;mange\nborgmester;Hr. Hansen\n"
    errors = errors_of(text.encode())
    assert where(errors) == {(8, "indbyggere", "catalog.not_number"), (9, "borgmester", "catalog.kommune_field")}
    assert {error.sheet for error in errors} == {"Kommune"}


def test_missing_columns_and_year_columns() -> None:
    found = where(errors_of(b"id;titel;2027;2028\nAA-1;X;1;2\n"))
    assert found == {(1, "område", "catalog.column_missing"), (1, "type", "catalog.column_missing"),
                     (1, None, "catalog.years")}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "k.csv", "catalog.empty"),
        (b"%PDF-1.7 ...", "katalog.pdf", "catalog.file_type"),
        (b"PK\x03\x04 not really", "katalog.csv", "catalog.file_type"),
        (b"PK\x03\x04", "katalog.xlsm", "catalog.macros"),
        (b"x" * (2 * 1024 * 1024 + 1), "k.csv", "catalog.too_large"),
        (b"PK\x03\x04 broken zip", "katalog.xlsx", "catalog.unreadable"),
        (b"id;titel\n\x81\x8d\x8f;x\n", "k.csv", "catalog.encoding"),
    ],
    ids=["empty", "pdf", "zip-as-csv", "xlsm", "too-large", "broken-xlsx", "encoding"],
)
def test_files_refused_as_a_whole(data: bytes, filename: str, code: str) -> None:
    assert where(errors_of(data, filename)) == {(None, None, code)}


def _xlsx(rows: list[list[object]], *, formula: str | None = None, macros: bool = False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Forslag"
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["E2"] = formula  # a real formula cell
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_formula_cells_are_never_evaluated() -> None:
    header = HEADER.strip().split(";")
    rows = [header, ["AA-1", "Titel", "Administration", "besparelse", 1, 2, 2, 2, 0, "lav", None]]
    found = where(errors_of(_xlsx(rows, formula="=1+1"), "k.xlsx"))
    assert found == {(2, "2027", "catalog.formula")}


def test_xlsx_with_a_vba_project_is_refused_whatever_its_name() -> None:
    data = _xlsx([HEADER.strip().split(";")])
    buffer = io.BytesIO(data)
    import zipfile

    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00")
    assert where(errors_of(buffer.getvalue(), "k.xlsx")) == {(None, None, "catalog.macros")}


def test_exports_never_write_a_cell_a_spreadsheet_would_run(korsbaek) -> None:
    card = korsbaek.cards[0]
    evil = card.model_copy(update={"title": card.title.model_copy(update={"da": '=HYPERLINK("http://x")'})})
    deck = korsbaek.model_copy(update={"cards": (evil, *korsbaek.cards[1:])})
    text = write_csv(deck).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ";=HYPERLINK" not in text
    assert ';"=HYPERLINK' not in text
    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(deck)))
    cell = book["Forslag"]["B2"]
    assert cell.value.startswith("=HYPERLINK")
    assert cell.data_type == "s"
    # And both come back as the text they were.
    for data, name in ((write_csv(deck), "k.csv"), (write_xlsx(deck), "k.xlsx")):
        assert import_catalog(data, name, "korsbaek", feasibility=_flat).deck.cards[0].title.da.startswith("=HYP")


# ---- every other error kind, each naming its row and column -----------------------------------------------


def test_a_column_named_twice() -> None:
    found = where(errors_of(("id;titel;område;type;Type;2027;2028;2029;2030\n" + "AA-1;X;Adm;besparelse;x;1;1;1;1\n")
                            .encode()))  # fmt: skip
    assert found == {(1, "Type", "catalog.column_duplicate")}


def test_a_yes_no_cell_that_is_neither() -> None:
    text = "id;titel;område;type;2027;2028;2029;2030;skønnet\nAA-1;X;Adm;besparelse;1;1;1;1;måske\n"
    assert where(errors_of(text.encode())) == {(2, "skønnet", "catalog.yes_no")}


def test_udelukker_naming_an_unknown_card() -> None:
    text = "id;titel;område;type;2027;2028;2029;2030;udelukker\nAA-1;X;Adm;besparelse;1;1;1;1;AA-1, QQ-7\n"
    assert where(errors_of(text.encode())) == {(2, "udelukker", "catalog.card_unknown")}


def test_advarer_naming_an_unknown_card_and_a_warning_read_back() -> None:
    header = "id;titel;område;type;2027;2028;2029;2030;advarer;advarsel\n"
    bad = header + "AA-1;X;Adm;besparelse;1;1;1;1;QQ-7;Hvorfor\n"
    assert where(errors_of(bad.encode())) == {(2, "advarer", "catalog.card_unknown")}
    good = header + "AA-1;X;Adm;besparelse;1;1;1;1;AA-2;Begge rammer de samme\nAA-2;Y;Adm;besparelse;1;1;1;1;;\n"
    card = import_catalog(good.encode(), "k.csv", feasibility=_flat).deck.card("AA-1")
    assert [(w.card, w.text.da, w.text.en) for w in card.warns_with] == [
        ("AA-2", "Begge rammer de samme", "Begge rammer de samme")]  # fmt: skip


def test_a_header_without_proposals() -> None:
    assert where(errors_of(HEADER.encode())) == {(None, None, "catalog.no_proposals")}


def test_an_invalid_kommune_value_names_its_row_and_field() -> None:
    text = HEADER + GOOD + "\n[Kommune]\nkommune;Lilleby Kommune\nubalance;0;10;10;10\n"
    errors = errors_of(text.encode())
    assert where(errors) == {(9, "ubalance", "catalog.invalid")}
    assert errors[0].sheet == "Kommune"


def test_an_area_id_that_is_not_one_names_its_row() -> None:
    text = HEADER + GOOD + "\n[Kommune]\nområde;Adm 1;Administration;;260;nej\nområde;aeldre;Ældre;;500;ja\n"
    found = where(errors_of(text.encode()))
    assert (8, "område", "catalog.invalid") in found


def test_too_many_proposals_and_too_large_a_file_by_the_limits_given() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog((HEADER + GOOD).encode(), "k.csv", max_rows=3, feasibility=no_search)
    assert where(caught.value.errors) == {(None, None, "catalog.too_many_rows")}
    assert caught.value.errors[0].message() == "Højst 3 forslag"
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog((HEADER + GOOD).encode(), "k.csv", max_bytes=256, feasibility=no_search)
    assert where(caught.value.errors) == {(None, None, "catalog.too_large")}
    assert caught.value.errors[0].message("en") == "The file is larger than 0.2 kB"
    assert size_text(2 * 1024 * 1024) == "2 MB"
    assert size_text(1536 * 1024) == "1.5 MB"


# ---- levers sized for the catalogue -----------------------------------------------------------------------


def test_the_levers_are_sized_for_the_municipality(korsbaek) -> None:
    kommune = "\n[Kommune]\nkommune;Storby Kommune\nindbyggere;100.000\nnettodriftsudgifter;6.000\n"
    deck = import_catalog((HEADER + GOOD + kommune).encode(), "k.csv", feasibility=_flat).deck
    levers = {lever.lever: lever for lever in deck.levers}
    # Twice Korsbæk's inhabitants: twice the tax rise's yield; twice its net operating expenditure: twice the
    # cash draw and its repayment. The texts name the new figures.
    assert levers["skatteforhoejelse"].amounts == (20, 20, 20, 20)
    assert levers["kassetraek"].amounts == (20, 10, -15, -15)
    assert "ca. 20 mio. kr. om året" in levers["skatteforhoejelse"].description.da
    assert "DKK 15 million a year" in levers["kassetraek"].description.en
    # The grønthøster is a share of the areas' own budgets (2 × 100 mio. kr. without a Kommune area list).
    assert levers["groenthoester"].area_share == 0.005
    assert "ca. 1 mio. kr." in levers["groenthoester"].description.da
    assert "(service −1 på alle to områder)" in levers["groenthoester"].consequences.da
    assert "(service −1 in all two areas)" in levers["groenthoester"].consequences.en
    # Korsbæk's own figures keep Korsbæk's levers (the round trip above), and a catalogue without inhabitants
    # is sized by its proposals' year-4 gains against Korsbæk's.
    small = import_catalog((HEADER + GOOD).encode(), "k.csv", feasibility=_flat).deck
    gains = sum(max(0.0, c.amounts[3]) for c in small.cards if c.kind != "udvidelse")
    base = sum(max(0.0, c.amounts[3]) for c in korsbaek.cards if c.kind != "udvidelse")
    tax = {lever.lever: lever for lever in small.levers}["skatteforhoejelse"]
    assert tax.amounts[0] == pytest.approx(round(10 * gains / base, 1))
    assert tax.amounts[0] < 10


# ---- a catalogue of 200 proposals ------------------------------------------------------------------------


def test_a_200_proposal_catalogue_imports_with_a_proven_feasible_range(korsbaek) -> None:
    cards = tuple(
        korsbaek.cards[n % 45].model_copy(update={"id": f"{korsbaek.cards[n % 45].id[:2]}-{n + 1}", "requires": (),
                                                  "excludes": (), "warns_with": ()})
        for n in range(200)
    )  # fmt: skip
    data = write_csv(korsbaek.model_copy(update={"cards": cards}))
    catalog = import_catalog(data, "stor.csv", "stor")
    report = catalog.report()
    assert report.cards == 200
    assert report.exact
    assert report.max_target == report.max_target_bound > 100  # four times Korsbæk's cards, and its levers
    assert report.max_target_worst_event == report.max_target_worst_event_bound <= report.max_target
    assert report.levels == {"let": 15, "middel": 20, "svær": pytest.approx(123.5)}
    best = catalog.feasible.portfolio
    assert len(best) > 100


# ---- the default set made generic: events and hjertesager bound by kind and area ---------------------------


def test_events_and_hjertesager_naming_korsbaeks_cards_are_bound_to_the_catalogues_of_their_kind_and_area(
    korsbaek,
) -> None:
    catalog = import_catalog((HEADER + GOOD).encode(), "k.csv", "lille", "Lilleby Kommune")
    deck, report = catalog.deck, catalog.report()
    reablement = korsbaek.card("ÆL-02")  # E03 scales it: "Flere ældre end forventet"
    like_it = [c.id for c in deck.cards if c.area == reablement.area and c.kind == reablement.kind]
    assert like_it == ["ÆL-1"]
    e03 = next(event for event in deck.events if event.id == "E03")
    assert [getattr(effect, "cards", None) for effect in e03.effects] == [None, ("ÆL-1",)]
    assert "ÆL-1 «Rehabilitering» giver 20 pct. mere i gevinst" in e03.description.da
    assert "ÆL-02" not in e03.model_dump_json()
    assert any(line.startswith("Begivenhed E03") and "ÆL-1" in line for line in report.adapted)
    # A hjertesag naming Korsbæk's elderly wish is now the catalogue's elderly wish, its text naming it.
    sager = [sag for role in deck.roles for sag in role.hjertesager]
    wish = next(sag for sag in sager if getattr(sag.condition, "cards", None) == ("ÆL-2",))
    assert wish.text.da == "Mindst ét af disse kommer med: ÆL-2 «Flere hænder»"
    # Whatever names a card with no counterpart (no card of its kind in its area) is still left out.
    assert any(line.startswith("Begivenhed E12") for line in report.left_out)  # teknik: no such area here
    refs = {ref for event in deck.events for effect in event.effects for ref in getattr(effect, "cards", ())}
    assert refs <= {card.id for card in deck.cards}
    # The deck is playable: the search finds its range under the bound events too.
    assert catalog.feasible.exact


def test_korsbaek_itself_binds_nothing(korsbaek) -> None:
    catalog = import_catalog(write_csv(korsbaek), "k.csv", "korsbaek")
    assert catalog.report().adapted == []
    assert catalog.deck.events == korsbaek.events


# ---- the default X ---------------------------------------------------------------------------------------


def _many() -> str:
    rows = "".join(
        f"BB-{n};Forslag {n};Skole;{kind};{n % 3 + 1};{n % 3 + 2};{n % 3 + 2};{n % 3 + 2};0;lav;\n"
        for n, kind in enumerate(["besparelse", "effektivisering", "investering"] * 4)
    )
    return HEADER + GOOD + rows


def test_without_a_target_x_is_the_budget_years_ubalance_and_the_levels_follow_it() -> None:
    from engine.feasibility import _compute

    catalog = import_catalog((_many() + "\n[Kommune]\nubalance;6;7;8;9\n").encode(), "k.csv", "x")
    deck, report = catalog.deck, catalog.report()
    assert deck.scenario.default_target == report.target == 6
    assert deck.scenario.baseline_gap == (6, 7, 8, 9)
    assert report.levels["middel"] == min(6, report.max_target_worst_event // 0.5 * 0.5)
    # The report's range is the deck's own: searched afresh, the imported deck gives the same.
    assert _compute(deck) == catalog.feasible


def test_without_a_target_or_ubalance_x_is_what_the_proposals_alone_deliver_under_the_worst_event() -> None:
    from engine.feasibility import _compute

    catalog = import_catalog(_many().encode(), "k.csv", "x")
    deck = catalog.deck
    alone = catalog.feasible.max_target_cards_worst_event
    assert alone > 1
    assert deck.scenario.default_target == alone // 0.5 * 0.5
    assert deck.scenario.baseline_gap == (deck.scenario.default_target,) * 4
    assert catalog.report().levels["middel"] == deck.scenario.default_target
    assert _compute(deck) == catalog.feasible
