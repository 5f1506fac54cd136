"""End-to-end flows in a real browser: what an adviser and a volunteer coach do all day.

Every page the tests visit is also checked with axe-core (see conftest.assert_accessible).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientCoachFactory, ClientFactory
from opstap.core import crypto

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

WRONG_NATIONAL_NUMBER = "85073003329"  # check digits should be 28
NATIONAL_NUMBER = "85073003328"


def test_adviser_creates_a_client_records_consent_and_finds_the_file(page: Page, world) -> None:
    ClientFactory(organisation=world.own, first_name="Jan", last_name="Janssens")
    log_in(page, world["adviser"].email)

    # The clients list, then "New client".
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Clients"
    ).click()
    expect(page.get_by_role("heading", level=1, name="Clients")).to_be_visible()
    page.get_by_role("link", name="New client").click()
    expect(page.get_by_role("heading", level=1, name="New client")).to_be_visible()

    # A mistyped national number: the form says what is wrong, next to the field.
    page.get_by_label("First name").fill("Fatima")
    page.get_by_label("Last name").fill("El Amrani-Peeters")
    page.get_by_label("Birth date").fill("1985-07-30")
    national_number = page.get_by_label("National number")
    national_number.fill(WRONG_NATIONAL_NUMBER)
    page.get_by_role("button", name="Create client file").click()

    expect(page.get_by_role("alert")).to_contain_text("The file was not saved")
    expect(national_number).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_national_number_error")
    expect(error).to_contain_text("The check digits do not match")
    # "Next to the field": in the field's own wrapper, and announced with it.
    field = page.locator(".utrecht-form-field", has=national_number)
    expect(field.locator(".utrecht-form-field-error-message")).to_contain_text(
        "The check digits do not match"
    )
    expect(national_number).to_have_attribute(
        "aria-describedby", re.compile(r"id_national_number_error")
    )
    # What was typed is kept.
    expect(page.get_by_label("First name")).to_have_value("Fatima")
    expect(national_number).to_have_value(WRONG_NATIONAL_NUMBER)
    assert_accessible(page, "new-client form with errors")

    national_number.fill(NATIONAL_NUMBER)
    page.get_by_role("button", name="Create client file").click()

    client = Client.objects.get(last_name="El Amrani-Peeters")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fatima El Amrani-Peeters")
    expect(page.get_by_role("status")).to_contain_text("was created")
    # The file shows the last digits; the full number comes on request (signed in just now).
    expect(page.get_by_test_id("national-number")).not_to_contain_text("85")
    page.get_by_role("button", name="Show in full").click()
    expect(page.get_by_test_id("national-number")).to_contain_text("85")
    assert_accessible(page, "client detail")

    # Record a consent in the consents panel: htmx swaps the panel, the page stays.
    page.evaluate("window.__marker = 1")
    panel = page.locator("#consent-panel")
    expect(panel).to_contain_text("No consent recorded yet.")
    given_on = datetime.date.today() - datetime.timedelta(days=7)
    panel.get_by_label("Purpose").select_option(label="Case management")
    panel.get_by_label("Given on").fill(given_on.isoformat())
    panel.get_by_label("Version of the text shown").fill("2026-01")
    with page.expect_response(re.compile(rf"/clients/{client.pk}/consents/$")) as response:
        panel.get_by_role("button", name="Record consent").click()
    assert response.value.request.headers.get("hx-request") == "true"
    consent_row = panel.get_by_role("row", name=re.compile("Case management"))
    expect(consent_row).to_contain_text("Active")
    expect(consent_row).to_contain_text("2026-01")
    expect(panel).not_to_contain_text("No consent recorded yet.")
    assert page.evaluate("window.__marker") == 1, "recording a consent reloaded the whole page"
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    assert client.consents.filter(purpose="case_management", withdrawn_on__isnull=True).exists()
    assert_accessible(page, "client detail after recording a consent")

    # Search as you type in the clients list: no Enter, no reload.
    page.get_by_role("link", name="Clients").first.click()
    expect(page.get_by_role("heading", level=1, name="Clients")).to_be_visible()
    results = page.locator("#client-results")
    expect(results).to_contain_text("Janssens, Jan")
    expect(results).to_contain_text("El Amrani-Peeters, Fatima")
    assert_accessible(page, "client list")
    page.evaluate("window.__marker = 2")
    page.get_by_label("Search", exact=True).press_sequentially("peet", delay=40)
    # The client named Janssens is gone (the adviser column may name a Janssens too).
    expect(results).not_to_contain_text("Janssens, Jan")
    expect(results.get_by_role("link", name="El Amrani-Peeters, Fatima")).to_be_visible()
    expect(results).to_contain_text("1 client")
    expect(page).to_have_url(re.compile(r"[?&]q=peet"))  # hx-push-url keeps the search bookmarkable
    assert page.evaluate("window.__marker") == 2, "the search reloaded the whole page"
    assert_accessible(page, "client list after searching")

    # Switch to Dutch with the language switcher in the header.
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#client-results")).to_contain_text("El Amrani-Peeters, Fatima")
    expect(page.locator("#opstap-language")).to_have_value("nl")
    assert_accessible(page, "client list in Dutch")
    # The choice sticks on the next page.
    page.locator("#client-results").get_by_role("link", name="El Amrani-Peeters, Fatima").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fatima El Amrani-Peeters")
    assert_accessible(page, "client detail in Dutch")


def test_volunteer_sees_only_assigned_clients_and_no_income(page: Page, world) -> None:
    volunteer = world["volunteer"]
    assigned = ClientFactory(
        organisation=world.own,
        first_name="Anna",
        last_name="Aerts",
        income_source="benefits",
        income_monthly=950,
        iban_encrypted=crypto.encrypt("BE71096123456769"),
    )
    ClientCoachFactory(client=assigned, coach=volunteer)
    ClientFactory(organisation=world.own, first_name="Bram", last_name="Bogaerts")

    log_in(page, volunteer.email)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Clients"
    ).click()
    results = page.locator("#client-results")
    expect(results.get_by_role("link", name="Aerts, Anna")).to_be_visible()
    expect(results).not_to_contain_text("Bogaerts")
    expect(results).to_contain_text("1 client")
    expect(page.get_by_role("link", name="New client")).to_have_count(0)
    assert_accessible(page, "client list (volunteer)")

    results.get_by_role("link", name="Aerts, Anna").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Aerts")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Situation at entry")).to_be_visible()
    expect(main).not_to_contain_text("Income at entry")
    expect(main).not_to_contain_text("950")
    expect(main).not_to_contain_text("IBAN")
    expect(main).not_to_contain_text("BE71")
    expect(page.get_by_test_id("national-number")).to_have_count(0)
    expect(page.get_by_role("button", name="Record consent")).to_have_count(0)
    assert_accessible(page, "client detail (volunteer)")


def _press_tab_from_the_top(page: Page) -> None:
    """The first Tab of a keyboard user who just opened the page."""
    page.keyboard.press("Tab")


def test_skip_link_is_the_first_tab_stop_on_the_login_page(page: Page, world) -> None:
    page.goto("/login/")
    assert_accessible(page, "login page")
    _press_tab_from_the_top(page)
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused(timeout=1_000)


def test_skip_link_shows_on_focus_and_moves_focus_to_main(
    page: Page, world, login, live_server
) -> None:
    # Logging in through the form is covered above; here the session cookie of Django's
    # test client is enough.
    session = login(world["adviser"]).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto("/")
    expect(page.get_by_role("heading", level=1, name=re.compile("Welcome"))).to_be_visible()
    assert_accessible(page, "dashboard")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).not_to_be_in_viewport()

    _press_tab_from_the_top(page)
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    box = skip_link.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 10, (
        f"the focused skip link is not visible: {box}"
    )
    style = skip_link.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.clipPath, s.clip, s.opacity].join(' '); }"
    )
    assert "inset(50%)" not in style and "rect(0px, 0px, 0px, 0px)" not in style, style
    assert not style.endswith(" 0"), f"the focused skip link is transparent: {style}"

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#main$"))
