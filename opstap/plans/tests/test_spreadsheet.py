"""The financial plan as xlsx: export → import gives the same plan; wrong cells are reported
with sheet, row and column, and nothing is saved."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from opstap.core.models import FileAccess
from opstap.plans import services, spreadsheet
from opstap.plans.models import PlanVersion

from .helpers import SAMPLES, TODAY, new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db


def saved(world, financial):
    with_assumptions(world)
    plan = new_plan(world)
    version = plan.versions.get()
    return services.plan_financial_save(
        actor=world["adviser"], version=version, financial=financial, today=TODAY
    )


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("plan.xlsx", content, content_type=spreadsheet.CONTENT_TYPE)


@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.json")))
def test_export_then_import_gives_the_same_financial_plan(world, name):
    """Every sample plan, in the canonical form Opstap writes, comes back exactly."""
    version = saved(world, spreadsheet.canonical(sample_financial(name)))
    before = json.loads(json.dumps(version.financial))
    content = spreadsheet.export_financial(version)

    result = spreadsheet.import_financial(
        version=version, actor=world["adviser"], upload=io.BytesIO(content)
    )

    assert result.problems == [] and result.saved
    version.refresh_from_db()
    assert version.financial == before


def test_a_sample_as_written_by_hand_comes_back_with_the_same_figures(world):
    """The hand-written JSON (e.g. "0.10") comes back canonical ("0.1"): the same plan."""
    version = saved(world, sample_financial("bakery"))
    evaluation = version.evaluation
    spreadsheet.import_financial(
        version=version,
        actor=world["adviser"],
        upload=io.BytesIO(spreadsheet.export_financial(version)),
    )
    version.refresh_from_db()
    assert version.financial == spreadsheet.canonical(sample_financial("bakery"))
    assert version.evaluation["months"] == evaluation["months"]
    assert version.verdict == evaluation["verdict"]


def test_the_export_has_a_sheet_per_budget_the_cash_flow_and_the_evaluation(world):
    version = saved(world, sample_financial("bakery"))
    book = load_workbook(io.BytesIO(spreadsheet.export_financial(version)))
    assert book.sheetnames == [
        "Plan",
        "Investment budget",
        "Financing budget",
        "Operating budget",
        "Personal budget",
        "Cash flow",
        "Evaluation",
    ]
    cash = book["Cash flow"]
    assert cash.max_column == 37  # a label and 36 months
    assert cash.cell(row=1, column=2).value == "1 (2027-01)"
    closing = [cash.cell(row=cash.max_row, column=c).value for c in range(2, 38)]
    assert [f"{v:.2f}" for v in closing] == [
        m["closing_cash"] for m in version.evaluation["months"]
    ]
    evaluation = [row for row in book["Evaluation"].iter_rows(values_only=True)]
    assert ("Verdict", "Viable") in [row[:2] for row in evaluation]


def wrong_workbook(version: PlanVersion) -> bytes:
    book = load_workbook(io.BytesIO(spreadsheet.export_financial(version)))
    investments = book["Investment budget"]
    investments["C3"] = "twelve hundred"  # the second investment's amount
    investments["D2"] = 1.5  # a month that is not whole
    financing = book["Financing budget"]
    financing["H3"] = "balloon"  # not a repayment kind
    book["Personal budget"]["A2"] = "Holiday"  # not a row the sheet knows
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_every_wrong_cell_is_reported_with_sheet_row_and_column_and_nothing_is_saved(world):
    version = saved(world, sample_financial("bakery"))
    before = (version.financial, version.evaluation)

    result = spreadsheet.import_financial(
        version=version, actor=world["adviser"], upload=io.BytesIO(wrong_workbook(version))
    )

    assert not result.saved
    cells = {(p.sheet, p.row, p.column) for p in result.problems}
    assert cells == {
        ("Investment budget", 3, "C"),
        ("Investment budget", 2, "D"),
        ("Financing budget", 3, "H"),
        ("Personal budget", 2, "A"),
    }
    version.refresh_from_db()
    assert (version.financial, version.evaluation) == before


def test_a_value_the_calculation_refuses_is_reported_at_its_cell(world):
    version = saved(world, sample_financial("bakery"))
    book = load_workbook(io.BytesIO(spreadsheet.export_financial(version)))
    book["Financing budget"]["G3"] = 48  # grace as long as the term
    buffer = io.BytesIO()
    book.save(buffer)

    result = spreadsheet.import_financial(
        version=version, actor=world["adviser"], upload=io.BytesIO(buffer.getvalue())
    )

    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("Financing budget", 3, "G")]
    assert "shorter than the term" in result.problems[0].message


def test_the_import_page_lists_wrong_cells_and_a_good_file_is_saved(world, login):
    version = saved(world, sample_financial("bakery"))
    http = login(world["adviser"])
    url = reverse("plans:import", args=[version.plan_id, version.number])

    response = http.post(url, {"file": upload(wrong_workbook(version))})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 4 cells are wrong." in page
    assert "Investment budget" in page and "balloon" not in page

    changed = load_workbook(io.BytesIO(spreadsheet.export_financial(version)))
    changed["Investment budget"]["C2"] = 9500
    buffer = io.BytesIO()
    changed.save(buffer)
    response = http.post(url, {"file": upload(buffer.getvalue())})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.financial["investments"][0]["amount"] == "9500.00"


def test_a_file_that_is_not_xlsx_is_refused(world, login):
    version = saved(world, sample_financial("bakery"))
    response = login(world["adviser"]).post(
        reverse("plans:import", args=[version.plan_id, version.number]),
        {"file": upload(b"not a spreadsheet")},
    )
    assert response.status_code == 200
    assert "This is not an .xlsx spreadsheet" in response.content.decode()


def test_the_export_download_is_logged(world, login):
    version = saved(world, sample_financial("bakery"))
    response = login(world["adviser"]).get(
        reverse("plans:export", args=[version.plan_id, version.number])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheet.CONTENT_TYPE
    assert FileAccess.objects.filter(purpose="document_download").count() == 1


def test_a_zip_bomb_is_refused_before_it_is_read(world, login):
    from opstap.core.tests.test_spreadsheets import zip_bomb

    version = saved(world, sample_financial("bakery"))
    response = login(world["adviser"]).post(
        reverse("plans:import", args=[version.plan_id, version.number]),
        {"file": upload(zip_bomb())},
    )
    assert response.status_code == 200
    assert "This spreadsheet is too large to read safely" in response.content.decode()
