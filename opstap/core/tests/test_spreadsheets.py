"""Spreadsheets going out never carry a live formula typed by a person; spreadsheets coming in
are refused before reading when their zip directory promises too much (zip bombs)."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from opstap.core.spreadsheets import FORMULA_STARTS, XLSX_TOO_LARGE, check_xlsx, safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@given(st.text())
def test_no_text_cell_leaves_as_a_formula(text):
    cell = safe_cell(text)
    if cell.startswith(FORMULA_STARTS):
        # Only a plain signed number may keep its sign: Excel reads it as a number.
        assert cell.lstrip("+-").replace(",", "").replace(".", "").isdigit()
    assert cell.removeprefix("'") == text or cell == text


@pytest.mark.parametrize(
    "value", [Decimal("-12.50"), -3, 2.5, datetime.date(2026, 1, 1), None, "-1.5", "Amina"]
)
def test_numbers_dates_and_plain_text_stay_what_they_are(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
)
def test_formulas_get_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


def zip_bomb(unpacked_bytes: int = 8 * 1024 * 1024) -> bytes:
    """A valid-looking xlsx whose sheet XML is megabytes of one repeated cell: it packs to a
    few kilobytes, as the 307 KB → 300 MB file of the finding did."""
    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["first name", "last name"])
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = data.decode().partition("</sheetData>")
                filler = '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
                data = (head + filler * (unpacked_bytes // len(filler)) + _ + tail).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_from_its_directory_alone():
    bomb = zip_bomb()
    assert len(bomb) < 200 * 1024
    with pytest.raises(ValidationError) as refused:
        check_xlsx(bomb)
    assert refused.value.code == XLSX_TOO_LARGE


def test_too_much_in_total_is_refused_even_when_it_packs_badly(settings):
    settings.OPSTAP_XLSX_MAX_UNPACKED_BYTES = 1000
    buffer = io.BytesIO()
    book = Workbook()
    for number in range(200):
        book.active.append([f"name {number}", number])
    book.save(buffer)
    with pytest.raises(ValidationError):
        check_xlsx(buffer.getvalue())


def test_an_ordinary_workbook_passes_and_stays_readable():
    buffer = io.BytesIO()
    book = Workbook()
    for number in range(2000):
        book.active.append([f"Name{number}", "Peeters", number])
    book.save(buffer)
    buffer.seek(0)
    check_xlsx(buffer)
    assert buffer.tell() == 0
    assert load_workbook(buffer).active.max_row == 2000


@pytest.mark.django_db
def test_the_import_page_refuses_a_zip_bomb_beside_the_field(world, login):
    response = login(world["adviser"]).post(
        reverse("imports:start"),
        {"kind": "clients", "file": SimpleUploadedFile("clients.xlsx", zip_bomb(), XLSX)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("This spreadsheet is too large")


@pytest.mark.django_db
def test_the_loans_export_writes_a_formula_name_as_text(world, login):
    from opstap.clients.tests.factories import ClientFactory
    from opstap.lending.tests.helpers import approved_loan, make_product

    product = make_product(world.own, world["org_admin"])
    client = ClientFactory(
        organisation=world.own, first_name='=HYPERLINK("http://evil.example","Pay")', last_name="X"
    )
    approved_loan(world, product=product, client=client, on=datetime.date.today())
    response = login(world["loan_officer"]).get(reverse("lending:export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    names = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://evil.example","Pay") X']
    assert not any(cell.data_type == "f" for row in book.active.iter_rows() for cell in row)
