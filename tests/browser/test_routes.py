"""A programme manager's and an adviser's day with routes: the board and the funnel."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services
from opstap.journeys.models import PhaseTarget, Trajectory
from opstap.journeys.tests.factories import ProgrammeFactory, builtin_route

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

TODAY = datetime.date.today()


def test_adviser_moves_a_card_on_the_board(page: Page, world) -> None:
    client = ClientFactory(organisation=world.own, first_name="Samira", last_name="Benali")
    trajectory = services.trajectory_open(
        actor=None, client=client, route_type=builtin_route(), on=TODAY, phase="intake"
    )
    log_in(page, world["adviser"].email)
    page.get_by_role("link", name="Route board").click()
    expect(page.get_by_role("heading", level=1, name="Route board: Starter")).to_be_visible()
    assert_accessible(page, "route board")
    intake = page.locator('.opstap-board__column[data-phase="intake"]')
    expect(intake.get_by_role("link", name="Samira Benali")).to_be_visible()

    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Move Samira Benali to Guidance").click()
    guidance = page.locator('.opstap-board__column[data-phase="guidance"]')
    expect(guidance.get_by_role("link", name="Samira Benali")).to_be_visible()
    expect(intake.get_by_role("link", name="Samira Benali")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the board reloaded the whole page"
    assert_accessible(page, "route board after a move")
    trajectory.refresh_from_db()
    assert trajectory.phase == "guidance"

    # Drag and drop posts the same move.
    # Native drag events, as Chromium fires them for a mouse drag.
    card = guidance.locator(".opstap-board__card", has_text="Samira Benali")
    started = page.locator('.opstap-board__column[data-phase="started"]')
    transfer = page.evaluate_handle("() => new DataTransfer()")
    card.dispatch_event("dragstart", {"dataTransfer": transfer})
    started.dispatch_event("dragover", {"dataTransfer": transfer})
    started.dispatch_event("drop", {"dataTransfer": transfer})
    expect(started.get_by_role("link", name="Samira Benali")).to_be_visible()
    assert Trajectory.objects.get(pk=trajectory.pk).phase == "started"


def test_programme_manager_reads_the_funnel(page: Page, world) -> None:
    start = TODAY.replace(month=1, day=1)
    programme = ProgrammeFactory(
        organisation=world.own,
        code="azo",
        name="Project AZO!",
        starts_on=start,
        ends_on=start.replace(year=start.year + 1),
    )
    PhaseTarget.objects.create(programme=programme, phase="intake", target=4)
    PhaseTarget.objects.create(programme=programme, phase="guidance", target=2)
    for phase in ["intake", "intake", "guidance"]:
        services.trajectory_open(
            actor=None,
            client=ClientFactory(organisation=world.own),
            route_type=builtin_route(),
            on=TODAY,
            phase=phase,
            programmes=[programme],
        )
    log_in(page, world["programme_manager"].email)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Project AZO!").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Project AZO!")
    assert_accessible(page, "programme page")
    chart = page.get_by_role("img")
    expect(chart.first).to_be_visible()
    table = page.get_by_role("table").first
    intake_row = table.get_by_role("row").filter(has_text="Intake")
    expect(intake_row).to_contain_text("3")
    expect(intake_row).to_contain_text("4")
    guidance_row = table.get_by_role("row").filter(has_text="Guidance")
    expect(guidance_row).to_contain_text("1")
