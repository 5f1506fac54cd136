"""The loan list as xlsx: the rows of the filter, with balances and arrears."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from opstap.clients.tests.factories import ClientFactory
from opstap.lending.closing import close_of_business

from .helpers import D, approved_loan, disbursed_loan, make_product

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def loans(world):
    product = make_product(world.own, world["org_admin"])
    late = disbursed_loan(
        world,
        product=product,
        client=ClientFactory(organisation=world.own, first_name="Bram", last_name="Peeters"),
        amount=D("2000.00"),
        on=TODAY - datetime.timedelta(days=100),
    )
    fresh = approved_loan(
        world,
        product=product,
        client=ClientFactory(organisation=world.own, first_name="Amina", last_name="Haddou"),
        on=TODAY,
    )
    close_of_business(on=TODAY, organisation_id=world.own.pk)
    late.refresh_from_db()
    fresh.refresh_from_db()
    return late, fresh


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_the_export_holds_every_loan_with_its_balances(world, login, loans):
    late, fresh = loans
    rows = rows_of(login(world["loan_officer"]).get(reverse("lending:export")))
    header, *body = rows
    assert header[:5] == ("Reference", "Client", "Product", "Loan officer", "Status")
    assert "Principal outstanding" in header and "Days past due" in header
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_reference) == {late.reference, fresh.reference}
    row = by_reference[late.reference]
    assert row["Client"] == "Bram Peeters"
    assert row["Status"] == "Active"
    assert D(str(row["Principal disbursed"])) == D("2000.00")
    assert D(str(row["Principal outstanding"])).quantize(D("0.01")) == late.principal_outstanding
    assert D(str(row["Overdue"])).quantize(D("0.01")) == late.overdue_amount > 0
    assert row["Days past due"] == late.days_past_due > 0
    assert row["Arrears"] == late.get_bucket_display()
    assert row["Disbursed on"].date() == late.disbursed_on
    assert by_reference[fresh.reference]["Principal disbursed"] == 0


def test_the_export_follows_the_filter(world, login, loans):
    late, _fresh = loans
    rows = rows_of(login(world["committee"]).get(reverse("lending:export"), {"q": "peeters"}))
    assert [row[0] for row in rows[1:]] == [late.reference]


def test_the_headers_are_in_the_readers_language(world, login, loans):
    from django.conf import settings

    http = login(world["loan_officer"])
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    header = rows_of(http.get(reverse("lending:export")))[0]
    assert header[0] == "Referentie"
