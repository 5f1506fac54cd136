"""An adviser writes a business plan with a client in a real browser: a narrative section
(autosaved), the investment, financing, operating and personal budgets (rows added with
htmx), sees the verdict, downloads the PDF and reads the verdict and figures in it."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format
from playwright.sync_api import Page, expect

from opstap.clients.tests.factories import ClientFactory
from opstap.plans.models import PlanVersion
from opstap.plans.tests.helpers import with_assumptions

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def save_step(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.locator("#step-status")).to_contain_text("Saved")


def go_to_step(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Steps of the plan").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def test_adviser_writes_a_plan_sees_the_verdict_and_downloads_the_pdf(page: Page, world) -> None:
    with_assumptions(world)
    client = ClientFactory(
        organisation=world.own, first_name="Amal", last_name="Benali", preferred_language="en"
    )
    log_in(page, world["adviser"].email)

    # From the client file to a new plan.
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="Start a business plan").click()
    page.get_by_label("Business name or idea").fill("Naaiatelier Amal")
    page.get_by_role("button", name="Start the plan").click()
    expect(page.get_by_role("heading", level=1, name="The entrepreneur")).to_be_visible()

    # A narrative section saves itself while typing.
    text = page.get_by_label("The entrepreneur")
    text.fill("Ik naai al twintig jaar kleding")
    text.press_sequentially(" op maat.")  # keyup: saved after a pause in typing
    expect(page.get_by_test_id("save-status")).to_contain_text("Saved at")
    assert_accessible(page, "editor: a narrative section")

    # Investment budget: a row added with htmx, then saved.
    go_to_step(page, "Investment budget")
    page.get_by_role("button", name="Add a row: Investment").click()
    page.locator("#id_investments-0-description").fill("Industriële naaimachines")
    page.locator("#id_investments-0-amount").fill("5000")
    page.locator("#id_investments-0-depreciation_years").fill("5")
    save_step(page)
    expect(page.locator("#key-figures")).to_contain_text("Financing gap")
    assert_accessible(page, "editor: investment budget")

    # Financing: a loan.
    go_to_step(page, "Financing budget")
    page.get_by_role("button", name="Add a row: Loan").click()
    page.locator("#id_loans-0-description").fill("Microkrediet")
    page.locator("#id_loans-0-amount").fill("5000")
    page.locator("#id_loans-0-interest_rate").fill("6")
    page.locator("#id_loans-0-term_months").fill("24")
    save_step(page)

    # Operating budget: revenue and a fixed cost.
    go_to_step(page, "Operating budget")
    page.get_by_label("Revenue a month in year 1, excl. VAT").fill("4000")
    page.get_by_role("button", name="Add a row: Fixed cost").click()
    page.locator("#id_fixed_costs-0-description").fill("Huur atelier")
    page.locator("#id_fixed_costs-0-monthly_amount").fill("500")
    save_step(page)

    # Personal budget: what the household needs.
    go_to_step(page, "Personal budget")
    page.get_by_role("button", name="Add a row: Expense").click()
    page.locator("#id_household_expenses-0-description").fill("Huur en leven")
    page.locator("#id_household_expenses-0-amount").fill("1500")
    save_step(page)
    expect(page.get_by_test_id("verdict")).to_have_text("Viable")

    # The summary: verdict, checks, charts with tables.
    go_to_step(page, "Summary and checks")
    expect(page.get_by_role("heading", level=2, name=re.compile("Verdict"))).to_contain_text(
        "Viable"
    )
    expect(page.locator("[data-check]")).to_have_count(4)
    expect(page.get_by_role("img", name=re.compile("Cash at the end"))).to_be_visible()
    assert_accessible(page, "summary")

    version = PlanVersion.objects.get(plan__client=client)
    assert version.narrative["entrepreneur"].startswith("Ik naai")
    assert version.verdict == "viable"
    evaluation = version.evaluation

    # The PDF: its text shows the verdict and the figures.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the plan (PDF)").click()
    path = download_info.value.path()
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    text = re.sub(r"[ \u00a0\u202f]+", " ", text)
    assert "Verdict: Viable" in text
    assert "Ik naai al twintig jaar" in text
    with translation.override("en"):
        for figure in (
            evaluation["years"][0]["profit_before_tax"],
            evaluation["investment_total"],
            evaluation["gross_income_needed_per_year"],
        ):
            assert number_format(Decimal(figure), 2, force_grouping=True) in text
