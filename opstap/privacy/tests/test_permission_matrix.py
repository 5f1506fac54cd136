"""The permission matrix of the privacy pages: every URL × method × role, anonymous and the
other organisation, in the form of opstap/core/tests/matrix.py.

The rules under test (docs/privacy.md, "Who may do what"): the export needs EDIT_CLIENTS and
every view capability (403 for roles that open the file without them); restriction needs
EDIT_CLIENTS; erasure is the organisation admin's; the register, retention report and breach
log need MANAGE_MEMBERS or READ_AUDIT; an export's page is its requester's only. An object of
the other organisation answers 404; anonymous visitors go to /login/. A refused request
changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import AuditEvent, Organisation
from opstap.core.roles import Role
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases
from opstap.core.tests.matrix import expected_status as matrix_expected_status
from opstap.privacy import urls as privacy_urls
from opstap.privacy.models import DataBreach, ExportRequest, RetentionRun

from .helpers import fresh_login

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 shown · 302 done, redirected · 403 may see, may not change · 404 not there for them
#  page                          method  admin advis volun loan  commi benef jobco progm audit
MATRIX = [
    ("privacy:export_create",     "POST", 302,  302,  404,  403,  403,  302,  403,  403,  404),
    ("privacy:restriction",       "POST", 302,  302,  404,  403,  403,  302,  302,  403,  404),
    ("privacy:erase",             "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:erase",             "POST", 302,  404,  404,  404,  404,  404,  404,  404,  404),
    # Made by the adviser: nobody else's.
    ("privacy:export_status",     "GET",  404,  200,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:export_download",   "POST", 404,  200,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:restricted",        "GET",  200,  200,  404,  200,  200,  200,  200,  200,  404),
    ("privacy:register",          "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:register_pdf",      "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:retention",         "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:retention_run",     "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:breaches",          "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:breach_create",     "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:breach_create",     "POST", 302,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:breach_edit",       "GET",  200,  404,  404,  404,  404,  404,  404,  404,  404),
    ("privacy:breach_edit",       "POST", 302,  404,  404,  404,  404,  404,  404,  404,  404),
]
# fmt: on
OBJECT_PAGES = {
    "privacy:export_create",
    "privacy:restriction",
    "privacy:erase",
    "privacy:export_status",
    "privacy:export_download",
    "privacy:retention_run",
    "privacy:breach_edit",
}
BREACH = {
    "found_at": "2026-12-01T09:30",
    "nature": "A letter went to the wrong address.",
    "categories": ["contact"],
    "approximate_people": "1",
    "consequences": "Address known to a neighbour.",
    "measures": "Letter collected.",
}


@dataclass
class Side:
    organisation: Organisation
    client: Client
    export: ExportRequest
    run: RetentionRun
    breach: DataBreach


@dataclass
class Data:
    users: dict[str, Any]
    other_admin: Any
    sides: dict[str, Side]


def _side(organisation: Organisation, requester, admin) -> Side:
    client = ClientFactory(organisation=organisation, first_name="Amal", last_name="Benali")
    export = ExportRequest.objects.create(
        organisation=organisation,
        client=client,
        requested_by=requester,
        language="en",
        status="ready",
        file_name="privacy/exports/matrix.zip",
    )
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save(export.file_name, ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    run = RetentionRun.objects.create(organisation=organisation, on=datetime.date(2026, 12, 1))
    breach = DataBreach.objects.create(
        organisation=organisation,
        found_at=timezone.now(),
        nature="x",
        categories=["contact"],
        approximate_people=1,
        consequences="x",
        measures="x",
        recorded_by=admin,
    )
    return Side(organisation, client, export, run, breach)


@pytest.fixture
def data(world) -> Data:
    return Data(
        users=world.users,
        other_admin=world.other_admin,
        sides={
            "own": _side(world.own, world["adviser"], world["org_admin"]),
            "other": _side(world.other, world.other_adviser, world.other_admin),
        },
    )


def _url(name: str, side: Side) -> str:
    args = {
        "privacy:export_create": [side.client.pk],
        "privacy:restriction": [side.client.pk],
        "privacy:erase": [side.client.pk],
        "privacy:export_status": [side.export.pk],
        "privacy:export_download": [side.export.pk],
        "privacy:retention_run": [side.run.pk],
        "privacy:breach_edit": [side.breach.pk],
    }.get(name, [])
    return reverse(name, args=args)


POST_DATA = {
    "privacy:restriction": {"restricted": "1"},
    "privacy:erase": {"reason": "request", "confirm": "on"},
    "privacy:breach_create": BREACH,
    "privacy:breach_edit": BREACH,
}


def snapshot() -> dict[str, Any]:
    return {
        "audit": AuditEvent.objects.count(),
        "exports": list(ExportRequest.objects.order_by("pk").values_list("status", flat=True)),
        "restricted": Client.objects.filter(processing_restricted=True).count(),
        "breaches": list(DataBreach.objects.order_by("pk").values_list("nature", flat=True)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), matrix_cases(MATRIX, OBJECT_PAGES, ROLES))
def test_permission_matrix(row, persona, scope, data, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    name, method = row[0], row[1]
    home = "other" if persona == OTHER_ORG else "own"
    side = data.sides[home if scope == "-" else scope]
    user = (
        None
        if persona == ANONYMOUS
        else data.other_admin
        if persona == OTHER_ORG
        else data.users[persona]
    )
    http = HttpClient() if user is None else fresh_login(user)
    url = _url(name, side)
    expected = matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)

    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = http.get(url) if method == "GET" else http.post(url, POST_DATA.get(name, {}))

    assert response.status_code == expected, (
        f"{persona} {method} {url}: {response.status_code}, expected {expected}"
    )
    if persona == ANONYMOUS:
        assert response["Location"].startswith("/login/?next=")
    if persona == ANONYMOUS or expected in (403, 404) or method == "GET":
        assert snapshot() == before
    else:
        assert snapshot() != before, f"{persona} {method} {url} answered {expected}, wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    names = {f"privacy:{p.name}" for p in privacy_urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}
    assert set(ROLES) == set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("privacy:export_create", "GET"),
        ("privacy:export_download", "GET"),
        ("privacy:restriction", "GET"),
        ("privacy:register", "POST"),
    ],
)
def test_wrong_methods_are_refused(name, method, data):
    http = fresh_login(data.users[Role.ORG_ADMIN])
    url = _url(name, data.sides["own"])
    response = http.get(url) if method == "GET" else http.post(url)
    assert response.status_code == 405
