"""Attendance of an information session of 20, in a few clicks, in a real browser.

The adviser opens last night's session, marks everyone present with one button, corrects
the two who did not come, saves once, and sees the starter routes moved to "informed".
Every page visited is checked with axe-core.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from opstap.activities.models import Registration
from opstap.activities.tests.factories import ActivityFactory, ProgrammeFactory, days_from_today
from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services as journey_services
from opstap.journeys.models import PhaseChange, RouteType, Trajectory

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PEOPLE = 20


def test_attendance_of_an_information_session_of_twenty(page: Page, world) -> None:
    azo = ProgrammeFactory(organisation=world.own, code="azo", name="Project AZO!")
    session = ActivityFactory(
        organisation=world.own,
        kind="info_session",
        title="Ondernemen in Brussel",
        starts_at=days_from_today(-1, 18),
        capacity=25,
        programmes=[azo],
    )
    starter = RouteType.objects.get(organisation=None, code="starter")
    reached_on = timezone.localdate() - datetime.timedelta(days=20)
    clients = []
    for i in range(PEOPLE):
        client = ClientFactory(
            organisation=world.own, first_name=f"Deelnemer{i:02d}", last_name="Test"
        )
        clients.append(client)
        Registration.objects.create(activity=session, client=client)
        if i % 2 == 0:  # half were reached by outreach before; the others have no route yet
            journey_services.trajectory_open(
                actor=None, client=client, route_type=starter, on=reached_on, phase="outreach"
            )
    absent, excused = clients[4], clients[7]

    log_in(page, world["adviser"].email)

    # The list of activities: last night's session is under "Past".
    page.goto("/activities/")
    expect(page.get_by_role("heading", level=1, name="Activities")).to_be_visible()
    assert_accessible(page, "activity list")
    page.get_by_label("When").select_option("past")
    results = page.locator("#activity-results")
    expect(results.get_by_role("link", name="Ondernemen in Brussel")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]when=past"))
    assert_accessible(page, "activity list, past")
    results.get_by_role("link", name="Ondernemen in Brussel").click()

    # Its page: 20 registered, 5 places left.
    expect(page.get_by_role("heading", level=1, name="Ondernemen in Brussel")).to_be_visible()
    expect(page.locator("#registration-panel")).to_contain_text("20 people registered.")
    expect(page.locator("#registration-panel")).to_contain_text("5 places left.")
    assert_accessible(page, "activity detail")
    page.get_by_role("link", name="Take attendance").click()

    # The attendance page: one button marks all 20 present, two clicks correct it, one saves.
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance: Ondernemen in Brussel")
    table = page.get_by_role("table", name=re.compile("20 people on the list"))
    expect(table.locator("tbody tr")).to_have_count(PEOPLE)
    assert_accessible(page, "attendance page")
    page.evaluate("window.__marker = 1")
    page.get_by_role("link", name="Mark everyone present").click()
    expect(page.locator('input[type="radio"][value="present"]:checked')).to_have_count(PEOPLE)
    assert not Registration.objects.exclude(attendance="").exists(), "marking is not saving"
    page.get_by_label(f"{absent.full_name}: Absent").check()
    page.get_by_label(f"{excused.full_name}: Excused").check()
    expect(page.locator('input[type="radio"][value="present"]:checked')).to_have_count(PEOPLE - 2)
    assert_accessible(page, "attendance page, filled in")
    with page.expect_response(re.compile(rf"/activities/{session.pk}/attendance/$")) as response:
        page.get_by_role("button", name="Save attendance").click()
    assert response.value.request.method == "POST"
    status = page.get_by_role("status")
    expect(status).to_contain_text("Attendance saved: 20 changes.")
    expect(status).to_contain_text("9 people moved to “informed” in their route.")
    expect(status).to_contain_text("9 starter routes opened at “informed”.")
    expect(page.get_by_label(f"{absent.full_name}: Absent")).to_be_checked()
    assert page.evaluate("window.__marker") == 1, "saving reloaded the whole page"
    assert_accessible(page, "attendance page, saved")

    # The routes: 18 informed on the session's day, once; the two who did not come as before.
    informed = Trajectory.objects.filter(phase="informed", closed_on__isnull=True)
    assert informed.count() == PEOPLE - 2
    assert set(informed.values_list("phase_since", flat=True)) == {session.day}
    assert not informed.filter(client__in=[absent, excused]).exists()
    assert Trajectory.objects.get(client=absent).phase == "outreach"
    assert PhaseChange.objects.filter(to_phase="informed").count() == PEOPLE - 2

    # Saving again changes nothing and moves nobody twice.
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance saved: 0 changes.")
    assert PhaseChange.objects.filter(to_phase="informed").count() == PEOPLE - 2

    # And the client file shows the route in its new phase.
    page.get_by_role("link", name="Ondernemen in Brussel").click()
    panel = page.locator("#registration-panel")
    panel.get_by_role("link", name=clients[0].full_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(clients[0].full_name)
    expect(page.get_by_role("main")).to_contain_text("Informed")
    assert_accessible(page, "client file after the session")
