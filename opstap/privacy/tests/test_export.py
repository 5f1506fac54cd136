"""The copy of a person's data: made in the background, downloaded once, logged."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.formats import date_format

from opstap.core.models import AuditEvent, FileAccess
from opstap.privacy.choices import ExportStatus
from opstap.privacy.export import collect, json_document
from opstap.privacy.models import ExportRequest

from .helpers import fresh_login, full_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _request_export(http, client, capture):
    with capture(execute=True):
        response = http.post(f"/privacy/clients/{client.pk}/export/")
    assert response.status_code == 302
    return ExportRequest.objects.get(client=client)


def test_the_export_holds_every_app_but_not_confidential_notes(world):
    client = full_client(world)
    document = collect(client)
    titles = {s["entry"] for s in document["sections"]}
    assert {
        "clients.Client:identity",
        "clients.Client:contact",
        "clients.Consent",
        "clients.ClientDocument",
        "journeys.Trajectory",
        "coaching.CaseNote",
        "referrals.Referral",
        "core.AuditEvent",
    } <= titles
    identity = next(s for s in document["sections"] if s["entry"] == "clients.Client:identity")
    assert identity["rows"][0]["national_number"] == "85073100297"
    notes = next(s for s in document["sections"] if s["entry"] == "coaching.CaseNote")
    texts = [row["text"] for row in notes["rows"]]
    assert texts == ["Wil een naaiatelier starten."]
    assert document["withheld"] == [
        {
            "entry": "coaching.CaseNote",
            "title": "case notes",
            "count": 1,
            "reason": document["withheld"][0]["reason"],
        }
    ]
    data = json.loads(json_document(document))  # JSON-ready throughout
    assert "text" not in data["sections"][0]
    # The PDF says it in words: the choice's label and the date as a reader writes it.
    words = dict(identity["text"][0])
    assert words["gender"] == client.get_gender_display()
    assert words["birth date"] == date_format(client.birth_date, "DATE_FORMAT")
    assert words["processing restricted"] == "no"


def test_export_download_once_then_the_file_is_gone(world, django_capture_on_commit_callbacks):
    client = full_client(world)
    http = fresh_login(world["adviser"])
    export = _request_export(http, client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.progress == 100
    status_page = http.get(f"/privacy/exports/{export.pk}/", HTTP_HX_REQUEST="true")
    assert b"Download" in status_page.content and b"hx-trigger" not in status_page.content
    stored = export.file_name
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(f"/privacy/exports/{export.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["data.json", "data.pdf"]
        data = json.loads(archive.read("data.json"))
        assert archive.read("data.pdf").startswith(b"%PDF")
    assert data["client"] == client.pk
    assert not default_storage.exists(stored)
    again = http.post(f"/privacy/exports/{export.pk}/download/")
    assert again.status_code == 302
    export.refresh_from_db()
    assert export.status == ExportStatus.DOWNLOADED
    actions = set(AuditEvent.objects.filter(client=client).values_list("action", flat=True))
    assert {"privacy.export_request", "privacy.export_download"} <= actions
    assert FileAccess.objects.filter(
        client=client, user=world["adviser"], purpose="privacy:export_download"
    ).exists()


def test_a_waiting_export_polls_its_status(world, django_capture_on_commit_callbacks):
    client = full_client(world)
    http = fresh_login(world["adviser"])
    # Without the callbacks run, the task is not started: the page keeps polling.
    http.post(f"/privacy/clients/{client.pk}/export/")
    export = ExportRequest.objects.get(client=client)
    page = http.get(f"/privacy/exports/{export.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page


def test_export_asks_for_the_password_again(world, login):
    from opstap.core.signin import AUTHENTICATED_AT

    client = full_client(world)
    http = login(world["adviser"])
    session = http.session
    session[AUTHENTICATED_AT] = 0  # signed in long ago
    session.save()
    response = http.post(f"/privacy/clients/{client.pk}/export/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauthenticate"))
    assert not ExportRequest.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("org_admin", 302),
        ("adviser", 302),
        ("benefits_officer", 302),
        # May edit the file but sees no money: a copy of everything is not for them.
        ("job_coach", 403),
        ("loan_officer", 403),
        ("committee", 403),
        ("volunteer", 404),
        ("auditor", 404),
    ],
)
def test_who_may_export(world, role, expected):
    client = full_client(world)
    response = fresh_login(world[role]).post(f"/privacy/clients/{client.pk}/export/")
    assert response.status_code == expected


def test_another_organisation_cannot_export_or_see_an_export(
    world, django_capture_on_commit_callbacks
):
    client = full_client(world)
    assert (
        fresh_login(world.other_admin).post(f"/privacy/clients/{client.pk}/export/").status_code
        == 404
    )
    export = _request_export(
        fresh_login(world["adviser"]), client, django_capture_on_commit_callbacks
    )
    for user in (world.other_admin, world["org_admin"]):
        http = fresh_login(user)
        assert http.get(f"/privacy/exports/{export.pk}/").status_code == 404
        assert http.post(f"/privacy/exports/{export.pk}/download/").status_code == 404


def test_the_button_shows_only_to_who_may_export(world, login):
    client = full_client(world)
    label = f'action="/privacy/clients/{client.pk}/export/"'.encode()
    assert label in login(world["adviser"]).get(f"/clients/{client.pk}/").content
    assert label not in login(world["job_coach"]).get(f"/clients/{client.pk}/").content


def test_erasure_discards_an_export_not_yet_downloaded(world, django_capture_on_commit_callbacks):
    from opstap.privacy.services import erase_client

    client = full_client(world)
    export = _request_export(
        fresh_login(world["adviser"]), client, django_capture_on_commit_callbacks
    )
    export.refresh_from_db()
    stored = export.file_name
    erase_client(actor=world["org_admin"], client=client, reason="request")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not default_storage.exists(stored)


def test_an_export_not_downloaded_within_a_week_is_deleted(
    world, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from opstap.privacy import services

    client = full_client(world)
    export = _request_export(
        fresh_login(world["adviser"]), client, django_capture_on_commit_callbacks
    )
    export.refresh_from_db()
    stored = export.file_name
    assert services.expire_exports(world.own) == 0
    ExportRequest.objects.filter(pk=export.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=8)
    )
    services.retention_run(on=timezone.localdate(), organisation=world.own)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not default_storage.exists(stored)


def test_a_lost_export_file_is_reported_not_a_server_error(
    world, django_capture_on_commit_callbacks
):
    client = full_client(world)
    http = fresh_login(world["adviser"])
    export = _request_export(http, client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    default_storage.delete(export.file_name)
    response = http.post(f"/privacy/exports/{export.pk}/download/")
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
