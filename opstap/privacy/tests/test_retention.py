"""The retention run: what has expired after the file closed is anonymised, with a report."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from opstap.clients.models import Client
from opstap.coaching.models import CaseNote
from opstap.privacy import services
from opstap.privacy.models import Erasure, RetentionPeriod, RetentionRun
from opstap.privacy.registry import ERASED

from .helpers import full_client

pytestmark = pytest.mark.django_db
CLOSED = datetime.date(2023, 6, 30)


def _closed_client(world):
    client = full_client(world)
    client.trajectories.update(closed_on=CLOSED, phase="closed")
    return client


def test_nothing_expires_before_the_shortest_period(world):
    client = _closed_client(world)
    run = services.retention_run(on=datetime.date(2024, 6, 29), organisation=world.own)
    assert (run.files, run.rows) == (0, 0)
    client.refresh_from_db()
    assert client.last_name == "Haddou"


def test_each_category_expires_after_its_own_period(world):
    client = _closed_client(world)
    # Documents and special-category data: one year after closing; the rest: two.
    run = services.retention_run(on=datetime.date(2024, 7, 1), organisation=world.own)
    client.refresh_from_db()
    assert not client.documents.exists()
    assert client.last_name == "Haddou" and CaseNote.objects.filter(client=client).exists()
    assert set(run.actions.values_list("category", flat=True)) == {"documents"}
    run = services.retention_run(on=datetime.date(2025, 7, 1), organisation=world.own)
    client.refresh_from_db()
    assert client.first_name == ERASED and client.processing_restricted
    assert not CaseNote.objects.filter(client=client).exists()
    assert Erasure.objects.get(client=client).kind == "retention"
    assert run.files == 1 and run.rows > 0


def test_an_open_route_keeps_the_file(world):
    client = full_client(world)  # its route is still open
    services.retention_run(on=datetime.date(2040, 1, 1), organisation=world.own)
    client.refresh_from_db()
    assert client.last_name == "Haddou"


def test_a_dry_run_reports_and_changes_nothing(world):
    client = _closed_client(world)
    run = services.retention_run(on=datetime.date(2025, 7, 1), organisation=world.own, dry_run=True)
    client.refresh_from_db()
    assert client.last_name == "Haddou" and client.documents.exists()
    assert run.dry_run and run.files == 1 and run.rows > 0


def test_a_later_period_applies_from_its_date(world):
    client = _closed_client(world)
    RetentionPeriod.objects.filter(category="identity").update(valid_to=datetime.date(2025, 1, 1))
    RetentionPeriod.objects.create(
        category="identity", years=5, valid_from=datetime.date(2025, 1, 2)
    )
    services.retention_run(on=datetime.date(2025, 7, 1), organisation=world.own)
    client.refresh_from_db()
    assert client.last_name == "Haddou"  # identity now kept five years
    assert client.email == ""  # contact still two


def test_the_command_runs_for_real_or_dry(world):
    client = _closed_client(world)
    out = StringIO()
    call_command("privacy", "retention", "--dry-run", "--date", "2025-07-01", stdout=out)
    assert "own: would anonymise" in out.getvalue()
    assert Client.objects.get(pk=client.pk).last_name == "Haddou"
    call_command("privacy", "retention", "--date", "2025-07-01", stdout=out)
    assert Client.objects.get(pk=client.pk).first_name == ERASED
    assert RetentionRun.objects.filter(organisation=world.own, dry_run=False).count() == 1


def test_the_report_pages_are_for_admins_of_the_organisation(world, login):
    _closed_client(world)
    run = services.retention_run(on=datetime.date(2025, 7, 1), organisation=world.own)
    detail = f"/privacy/retention/{run.pk}/"
    for url in ("/privacy/retention/", detail):
        assert login(world["org_admin"]).get(url).status_code == 200
        assert login(world["adviser"]).get(url).status_code == 404
    assert login(world.other_admin).get(detail).status_code == 404
    assert (
        f'href="{detail}"'
        not in login(world.other_admin).get("/privacy/retention/").content.decode()
    )
    page = login(world["org_admin"]).get(f"/privacy/retention/{run.pk}/").content.decode()
    assert "Haddou" not in page and str(run.actions.first().client_id) in page
