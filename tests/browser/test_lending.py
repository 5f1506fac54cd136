"""A microloan from application to first repayment, in a real browser: the loan officer
prepares and submits, a committee member approves, the officer disburses and posts a
repayment and sees the balances change. Every page visited is checked with axe-core."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from opstap.clients.tests.factories import ClientFactory
from opstap.lending.models import Loan, LoanApplication
from opstap.lending.tests.helpers import make_product

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

TODAY = datetime.date.today()


def money(amount) -> str:
    return f"€{amount:,.2f}"  # English, as the browser tests read the pages


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_a_loan_from_application_to_first_repayment(page: Page, world) -> None:
    make_product(world.own, world["org_admin"], name="Startlening")
    client = ClientFactory(organisation=world.own, first_name="Samira", last_name="Benali")

    # The loan officer starts from the client file.
    log_in(page, world["loan_officer"].email)
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="New loan application").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Loan application for Samira")
    page.get_by_label("Loan product").select_option(label="Startlening")
    page.get_by_label("Amount requested (€)").fill("5000")
    page.get_by_label("Purpose").fill("Kapsalon: stoelen en spiegels")
    page.get_by_label("Number of repayments").fill("12")
    page.get_by_label("Expected disbursement date").fill(TODAY.isoformat())
    # The schedule follows the typing (htmx), without a page load.
    page.evaluate("window.__marker = 1")
    preview = page.get_by_test_id("schedule-preview")
    expect(preview).to_be_visible()
    expect(page.get_by_test_id("preview-total-principal")).to_have_text("5,000.00")
    page.get_by_label("Amount requested (€)").fill("4000")
    expect(page.get_by_test_id("preview-total-principal")).to_have_text("4,000.00")
    assert page.evaluate("window.__marker") == 1
    assert_accessible(page, "application form")
    page.get_by_role("button", name="Save the application").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Loan application of Samira")
    page.get_by_label("Loan officer's assessment").fill("Vijf jaar ervaring als kapster.")
    assert_accessible(page, "application page")
    page.get_by_role("button", name="Submit to the credit committee").click()
    expect(page.get_by_text("The application was sent to the credit committee.")).to_be_visible()
    assert LoanApplication.objects.get().status == "in_committee"
    log_out(page)

    # A committee member approves it from the queue.
    log_in(page, world["committee"].email)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Loans").click()
    page.get_by_role("link", name="Credit committee").click()
    expect(page.get_by_role("heading", level=1, name="Credit committee")).to_be_visible()
    item = page.get_by_test_id("committee-item")
    expect(item).to_contain_text("Vijf jaar ervaring als kapster.")
    expect(item.get_by_test_id("preview-total-principal")).to_have_text("4,000.00")
    assert_accessible(page, "committee queue")
    item.get_by_role("radio", name="Approve").check()
    item.get_by_label("Conditions").fill("Maandelijks gesprek met de adviseur")
    item.get_by_role("button", name="Record my decision").click()
    expect(page.get_by_text("Your decision was recorded.")).to_be_visible()
    loan = Loan.objects.get()
    log_out(page)

    # The officer disburses it and posts the first repayment.
    log_in(page, world["loan_officer"].email)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Loans").click()
    expect(page.get_by_role("heading", level=1, name="Loans")).to_be_visible()
    assert_accessible(page, "loan list")
    page.get_by_role("link", name=loan.reference).click()
    expect(page.get_by_test_id("principal-outstanding")).to_have_text(money(0))
    page.get_by_role("link", name="Disburse").click()
    assert_accessible(page, "disbursement form")
    page.get_by_role("button", name="Record the disbursement").click()
    expect(page.get_by_text("The disbursement was recorded.")).to_be_visible()
    expect(page.get_by_test_id("principal-outstanding")).to_have_text(money(4000))
    expect(page.get_by_test_id("ledger-check")).to_have_text("The balances equal the ledger.")
    assert_accessible(page, "loan page")

    page.get_by_role("link", name="Post a repayment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Post a repayment")
    page.get_by_label("Amount (€)").fill("0")
    page.get_by_role("button", name="Post the repayment").click()
    expect(page.locator("#id_amount_error")).to_contain_text("The amount must be more than zero.")
    assert_accessible(page, "repayment form with an error")
    page.get_by_label("Amount (€)").fill("400")
    page.get_by_label("Payment reference").fill("+++090/9337/55493+++")
    page.get_by_role("button", name="Post the repayment").click()
    expect(page.get_by_text("The repayment was posted.")).to_be_visible()
    loan.refresh_from_db()
    assert loan.principal_outstanding < 4000
    expect(page.get_by_test_id("principal-outstanding")).to_have_text(
        money(loan.principal_outstanding)
    )
    transactions = page.get_by_test_id("transactions")
    expect(transactions.locator('tr[data-kind="repayment"]')).to_contain_text("400.00")
    expect(page.get_by_test_id("ledger-check")).to_have_text("The balances equal the ledger.")

    # The portfolio shows the new loan, its chart described by its table.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Loans").click()
    page.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_test_id("active-loans")).to_have_text("1")
    expect(page.locator("svg.opstap-chart")).to_have_attribute(
        "aria-describedby", "disbursements-table"
    )
    assert_accessible(page, "portfolio")
