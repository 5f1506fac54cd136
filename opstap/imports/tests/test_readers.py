"""Reading files and cells: encodings, delimiters, workbooks, dates, numbers and aliases."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from opstap.imports import readers
from opstap.imports.columns import (
    CHOICE_INVALID,
    DATE_INVALID,
    DATE_NOT_IN_CALENDAR,
    RATE_INVALID,
    CellError,
    Date,
    DecimalNumber,
    Rate,
    WholeNumber,
    normalise,
)
from opstap.imports.kinds.clients import GENDER, LANGUAGE, ClientImporter
from opstap.imports.kinds.common import PHASE
from opstap.imports.readers import FileProblem, read_table

from .helpers import csv_file, xlsx_file


def test_csv_with_bom_and_semicolons():
    data = csv_file([["naam", "voornaam"], ["Çelik", "Ayşe"], ["Peeters", "Jan"]], delimiter=";")
    table = read_table(b"\xef\xbb\xbf" + data, "klanten.csv")
    assert table.headers == ["naam", "voornaam"]
    assert table.rows == [(2, ["Çelik", "Ayşe"]), (3, ["Peeters", "Jan"])]


def test_comma_delimiter_is_sniffed_even_with_semicolons_in_quoted_cells():
    data = b'last name,first name,languages\r\nHaddou,Amina,"ar; fr"\r\n'
    assert read_table(data, "x.csv").rows == [(2, ["Haddou", "Amina", "ar; fr"])]


def test_excel_sep_line_and_utf16_text_export():
    table = read_table(b"sep=;\r\na;b\r\n1;2\r\n", "x.csv")
    assert table.headers == ["a", "b"] and table.rows == [(2, ["1", "2"])]
    table = read_table("a\tb\r\n1\t2\r\n".encode("utf-16"), "x.txt")
    assert table.headers == ["a", "b"] and table.rows == [(2, ["1", "2"])]


def test_blank_rows_are_skipped_but_keep_the_numbering():
    table = read_table(b"a,b\r\n,\r\n1,2\r\n\r\n3,4\r\n", "x.csv")
    assert table.rows == [(3, ["1", "2"]), (5, ["3", "4"])]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", readers.FILE_EMPTY),
        (b"  \r\n", "x.csv", readers.FILE_EMPTY),
        (b"a,b\r\n", "x.csv", readers.FILE_NO_ROWS),
        ("naam;voornaam\nPeeters;Jérôme\n".encode("cp1252"), "x.csv", readers.FILE_NOT_UTF8),
        (b"PK\x03\x04 not really a zip", "x.xlsx", readers.FILE_BAD_XLSX),
        (b"just text", "x.xlsx", readers.FILE_BAD_XLSX),
        (readers.OLE_MAGIC + b"\x00" * 100, "x.xls", readers.FILE_OLD_XLS),
        (b"a,b\n1,2\n", "x.ods", readers.FILE_ODS),
        (b"a,b\x00\n1,2\n", "x.csv", readers.FILE_BINARY),
    ],
)
def test_bad_files_raise_a_clear_problem(data, name, message):
    with pytest.raises(FileProblem) as caught:
        read_table(data, name)
    assert caught.value.message == message


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    with pytest.raises(FileProblem) as caught:
        read_table(b"a\n1\n2\n3\n4\n5\n", "x.csv")
    assert caught.value.message == readers.FILE_TOO_MANY_ROWS


def test_xlsx_first_sheet_with_real_dates_and_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([None])  # a blank first row: the header is the first row with content
    sheet.append(["code", "start", "target intake", None])
    sheet.append(["azo", datetime.datetime(2016, 11, 1), 600])
    workbook.create_sheet("ignored").append(["not", "read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "programmes.xlsx")
    assert table.headers == ["code", "start", "target intake"]
    assert table.header_row == 2
    assert table.rows[0][0] == 3
    assert table.rows[0][1][:3] == ["azo", datetime.datetime(2016, 11, 1), 600]


def test_xlsx_is_recognised_without_its_extension():
    table = read_table(xlsx_file([["a"], ["b"]]), "upload")
    assert table.rows == [(2, ["b"])]


# --- cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-31", datetime.date(2024, 3, 31)),
        ("31/03/2024", datetime.date(2024, 3, 31)),
        ("31-03-2024", datetime.date(2024, 3, 31)),
        ("1/3/2024", datetime.date(2024, 3, 1)),
        ("31.03.2024", datetime.date(2024, 3, 31)),
        ("2024-03-31 00:00:00", datetime.date(2024, 3, 31)),
        (datetime.datetime(2024, 3, 31, 0, 0), datetime.date(2024, 3, 31)),
        (datetime.date(2024, 3, 31), datetime.date(2024, 3, 31)),
    ],
)
def test_dates(cell, expected):
    assert Date().parse(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("03/31/2024", DATE_NOT_IN_CALENDAR),
        ("31/02/2024", DATE_NOT_IN_CALENDAR),
        ("2024/03/31", DATE_INVALID),
        ("31-3-24", DATE_INVALID),
        ("yesterday", DATE_INVALID),
        (45382, DATE_INVALID),
    ],
)
def test_bad_dates(cell, message):
    with pytest.raises(CellError) as caught:
        Date().parse(cell)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1250,50", Decimal("1250.50")),
        ("1250.5", Decimal("1250.50")),
        ("1.250,50", Decimal("1250.50")),
        ("1,250.50", Decimal("1250.50")),
        ("€ 1 057", Decimal("1057.00")),
        (1057, Decimal("1057.00")),
        (1057.5, Decimal("1057.50")),
    ],
)
def test_decimals(cell, expected):
    assert DecimalNumber().parse(cell) == expected


@pytest.mark.parametrize("cell", ["12a", "1,2,3", "-5", "--"])
def test_bad_decimals(cell):
    with pytest.raises(CellError):
        DecimalNumber().parse(cell)


@pytest.mark.parametrize(
    ("cell", "expected"), [("1750", 1750), ("1.750", 1750), ("1 750", 1750), (600.0, 600)]
)
def test_whole_numbers(cell, expected):
    assert WholeNumber().parse(cell) == expected


@pytest.mark.parametrize("cell", ["1.5", "-1", "many", 2.5])
def test_bad_whole_numbers(cell):
    with pytest.raises(CellError):
        WholeNumber().parse(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("20%", Decimal("0.2")), ("0,2", Decimal("0.2")), (0.2, Decimal("0.2")), ("1", Decimal(1))],
)
def test_rates(cell, expected):
    assert Rate().parse(cell) == expected


@pytest.mark.parametrize("cell", ["20", "120%", "-0.1"])
def test_bad_rates(cell):
    with pytest.raises(CellError) as caught:
        Rate().parse(cell)
    assert caught.value.message in (RATE_INVALID, "The number cannot be negative.")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("V", "woman"), ("Femme", "woman"), ("vrouw", "woman"), ("M", "man"), ("Homme", "man")],
)
def test_choice_aliases_in_three_languages(cell, expected):
    assert GENDER.parse(cell) == expected


def test_choice_labels_are_accepted_in_every_language():
    assert LANGUAGE.parse("Néerlandais") == "nl"
    assert LANGUAGE.parse("Nederlands") == "nl"
    assert LANGUAGE.parse("Arabisch") == "ar"
    assert PHASE.parse("Begeleiding") == "guidance"
    assert PHASE.parse("Outreach (sensitised)") == "outreach"


def test_unknown_choice_lists_the_accepted_codes():
    with pytest.raises(CellError) as caught:
        GENDER.parse("q")
    assert caught.value.message == CHOICE_INVALID
    assert caught.value.params["accepted"] == "woman, man, non_binary, unknown"


def test_header_normalisation():
    assert normalise("  Date de naissance ") == "date de naissance"
    assert normalise("DATE_DE-NAISSANCE") == "date de naissance"
    assert normalise("Geboorte\u00a0datum*") == "geboorte datum"
    assert normalise("Prénom") == "prenom"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Naam", "last_name"),
        ("nom", "last_name"),
        ("Last name", "last_name"),
        ("Voornaam", "first_name"),
        ("Prénom", "first_name"),
        ("Geboortedatum", "birth_date"),
        ("Date de naissance", "birth_date"),
        ("Rijksregisternummer", "national_number"),
        ("BSN", "national_number"),
        ("Dossiernummer", "external_reference"),
        ("Référence", "external_reference"),
        ("Monthly income at entry", "income_monthly"),
        ("Talen", "languages"),
    ],
)
def test_client_header_aliases(header, key):
    assert ClientImporter.header_index()[normalise(header)].key == key


@pytest.mark.parametrize("kind", ["programmes", "clients", "trajectories", "activities"])
def test_no_header_names_two_columns_of_one_kind(kind):
    from opstap.imports.kinds import IMPORTERS

    importer = IMPORTERS.get(kind)
    if importer is None:
        pytest.skip(f"no {kind} importer")
    owners: dict[str, str] = {}
    for column in importer.columns:
        for name in column.header_names():
            assert owners.setdefault(name, column.key) == column.key, (name, column.key)
