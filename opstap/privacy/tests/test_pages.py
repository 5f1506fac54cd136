"""The register of processing activities and the data-breach log."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from opstap.core.models import AuditEvent
from opstap.privacy.models import DataBreach

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/privacy/register/",
    "/privacy/register.pdf",
    "/privacy/breaches/",
    "/privacy/breaches/new/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("org_admin", 200),
        ("adviser", 404),
        ("volunteer", 404),
        ("auditor", 404),
        ("loan_officer", 404),
    ],
)
def test_privacy_admin_pages_by_role(world, login, url, role, expected):
    assert login(world[role]).get(url).status_code == expected


def test_the_register_is_generated_from_the_registry(world, login):
    page = login(world["org_admin"]).get("/privacy/register/").content.decode()
    assert 'data-category="loan_records"' in page
    assert "Fiscal retention BE (WIB 92 art. 315): 7 years" in page
    assert "Fiscal retention NL" not in page  # own is Belgian
    assert "2 years after the file closes" in page
    assert "Partner organisations the person consented to share with" in page
    pdf = login(world["org_admin"]).get("/privacy/register.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def _breach_data(**fields):
    data = {
        "found_at": "2026-12-01T09:30",
        "nature": "A laptop with an export was stolen from a car.",
        "categories": ["identity", "financial"],
        "approximate_people": "40",
        "consequences": "Identity fraud is possible.",
        "measures": "Disk was encrypted; passwords changed.",
        "authority_notified_at": "",
        "people_notified_at": "",
        "not_notified_reason": "",
    }
    data.update(fields)
    return data


def test_recording_and_updating_a_breach(world, login):
    http = login(world["org_admin"])
    assert http.post("/privacy/breaches/new/", _breach_data()).status_code == 302
    breach = DataBreach.objects.get(organisation=world.own)
    assert breach.categories == ["identity", "financial"]
    assert breach.authority_deadline == breach.found_at + datetime.timedelta(hours=72)
    listing = http.get("/privacy/breaches/").content.decode()
    assert "the 72 hours ended" in listing or "Notify before" in listing
    response = http.post(
        f"/privacy/breaches/{breach.pk}/", _breach_data(authority_notified_at="2026-12-05T10:00")
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.notified_late  # 4 days after it was found
    assert "later than 72 hours" in http.get("/privacy/breaches/").content.decode()
    event = AuditEvent.objects.get(action="privacy.breach_update")
    assert "authority_notified_at" in event.changes
    assert AuditEvent.objects.filter(action="privacy.breach_record").count() == 1


def test_a_notification_cannot_precede_the_finding(world, login):
    response = login(world["org_admin"]).post(
        "/privacy/breaches/new/", _breach_data(people_notified_at="2026-11-30T10:00")
    )
    assert response.status_code == 200
    assert not DataBreach.objects.exists()


def test_another_organisations_breach_is_not_found(world, login):
    breach = DataBreach.objects.create(
        organisation=world.own,
        found_at=timezone.now(),
        nature="x",
        categories=["contact"],
        approximate_people=1,
        consequences="x",
        measures="x",
        recorded_by=world["org_admin"],
    )
    http = login(world.other_admin)
    assert http.get(f"/privacy/breaches/{breach.pk}/").status_code == 404
    listing = http.get("/privacy/breaches/").content.decode()
    assert f"/privacy/breaches/{breach.pk}/" not in listing
    assert "No data breach recorded." in listing


def test_the_dashboard_links_the_privacy_pages(world, login):
    admin = login(world["org_admin"]).get("/").content.decode()
    assert 'href="/privacy/register/"' in admin and 'href="/privacy/breaches/"' in admin
    adviser = login(world["adviser"]).get("/").content.decode()
    assert 'href="/privacy/restricted/"' in adviser and "/privacy/register/" not in adviser
    assert "/privacy/" not in login(world["volunteer"]).get("/").content.decode()
