"""Errors where the eye is (issue 9), in a real browser: a refused upload swaps its panel in
with the message beside the file field and keyboard focus on it; a refused route move
comes back with the error beside the date, the note as typed, and focus on the date."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services as journey_services
from opstap.journeys.tests.factories import builtin_route

from .conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def test_a_refused_upload_is_shown_beside_the_field_with_focus_on_it(page: Page, world, tmp_path):
    client = ClientFactory(organisation=world.own, first_name="Amina", last_name="Haddou")
    log_in(page, world["adviser"].email)
    page.goto(f"/clients/{client.pk}/")
    page.evaluate("window.__marker = 'no reload'")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00 a Windows program")
    panel = page.locator("#documents-panel")
    panel.get_by_label("File").set_input_files(str(program))
    panel.get_by_role("button", name="Add document").click()
    expect(panel.locator("#id_file_error")).to_be_visible()
    assert page.evaluate("window.__marker") == "no reload"  # htmx swapped the panel only
    expect(panel.get_by_label("File")).to_be_focused()
    assert_accessible(page, "refused upload")


def test_a_refused_move_keeps_the_note_and_focuses_the_date(page: Page, world):
    client = ClientFactory(organisation=world.own, adviser=world["adviser"])
    trajectory = journey_services.trajectory_open(
        actor=None,
        client=client,
        route_type=builtin_route(),
        on=client.created_at.date(),
        phase="outreach",
    )
    log_in(page, world["adviser"].email)
    page.goto(f"/routes/trajectories/{trajectory.pk}/")
    page.get_by_label("Date").first.fill("")
    page.get_by_label("Note").first.fill("Belde na de infosessie")
    page.get_by_role("button", name="Record move").click()
    expect(page.locator("#id_on_error")).to_be_visible()
    expect(page.get_by_label("Note").first).to_have_value("Belde na de infosessie")
    expect(page.locator("#id_on")).to_be_focused()
    assert_accessible(page, "refused move")
