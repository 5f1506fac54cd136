"""The upload page: preview (a dry run), import, cancel, samples, and who may use it."""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.core.roles import Role
from opstap.imports import uploads
from opstap.imports.readers import read_table
from opstap.imports.runner import import_file

from .helpers import counts, csv_file

HEADER = ["external reference", "first name", "last name", "birth date", "national number"]
ROWS = [[f"R-{i}", f"Name{i}", "Peeters", f"19{60 + i}-05-01", ""] for i in range(25)]
MAY_IMPORT = {Role.ORG_ADMIN, Role.ADVISER, Role.BENEFITS_OFFICER, Role.JOB_COACH}


def upload(data: bytes, name: str = "clients.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def stored(settings) -> list[str]:
    directory = settings.IMPORT_UPLOAD_DIR
    return sorted(p.name for p in directory.glob("*.upload")) if directory.exists() else []


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_who_may_open_the_page(world, login, role):
    http = login(world[role])
    expected = 200 if role in MAY_IMPORT else 404
    assert http.get(reverse("imports:start")).status_code == expected
    response = http.post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *ROWS]))}
    )
    assert response.status_code == expected
    assert http.post(reverse("imports:confirm"), {"token": "x"}).status_code in (
        {302} if role in MAY_IMPORT else {404}
    )
    assert http.get(reverse("imports:sample", args=["clients", "csv"])).status_code == expected
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get(reverse("imports:start"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_preview_then_import(world, login, settings):
    http = login(world["adviser"])
    page = http.get(reverse("imports:start")).content.decode()
    assert 'enctype="multipart/form-data"' in page
    before = counts()
    response = http.post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *ROWS]))}
    )
    assert response.status_code == 200
    assert counts() == before  # the preview is a dry run
    html = response.content.decode()
    assert "The first 20 of 25 rows, as Opstap reads them" in html
    assert "Client files: 25 would be created, 0 updated, 0 left unchanged." in html
    assert len(response.context["rows"]) == 20
    assert "Name0" in html and "Name24" not in html
    token = response.context["token"]
    assert token and len(stored(settings)) == 1
    # The stored upload is encrypted: no client name on disk.
    [name] = stored(settings)
    assert b"Peeters" not in (settings.IMPORT_UPLOAD_DIR / name).read_bytes()

    response = http.post(reverse("imports:confirm"), {"token": token}, follow=True)
    assert Client.objects.filter(organisation=world.own).count() == 25
    assert "Client files: 25 created" in response.content.decode()
    assert stored(settings) == []  # deleted after the import
    # Pressing Import twice imports nothing twice.
    response = http.post(reverse("imports:confirm"), {"token": token}, follow=True)
    assert "no longer here" in response.content.decode()
    assert Client.objects.count() == 25


@pytest.mark.django_db
def test_preview_lists_every_error_and_offers_no_import(world, login, settings):
    rows = [row[:] for row in ROWS[:5]]
    rows[1][3] = "31/02/1980"
    rows[3][1] = ""
    before = counts()
    response = login(world["adviser"]).post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *rows]))}
    )
    assert response.status_code == 200
    assert counts() == before
    assert [(e.row, e.column) for e in response.context["errors"]] == [
        (3, "birth date"),
        (5, "first name"),
    ]
    html = response.content.decode()
    assert "2 errors; nothing was imported." in html
    assert "“31/02/1980” is not a day in the calendar." in html.replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )
    assert response.context["token"] is None
    assert reverse("imports:confirm") not in html
    assert stored(settings) == []


@pytest.mark.django_db
def test_duplicate_of_an_existing_file_links_to_it(world, login):
    existing = ClientFactory(
        organisation=world.own,
        first_name="Name0",
        last_name="Peeters",
        birth_date=datetime.date(1960, 5, 1),
    )
    response = login(world["adviser"]).post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, ROWS[0]]))}
    )
    assert reverse("clients:detail", args=[existing.pk]) in response.content.decode()


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_is_said_beside_the_field(world, login):
    response = login(world["adviser"]).post(
        reverse("imports:start"), {"kind": "clients", "file": upload(b"junk", "clients.xlsx")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("The Excel file cannot be read")


@pytest.mark.django_db
def test_changes_between_preview_and_import_are_caught(world, login, settings):
    http = login(world["adviser"])
    response = http.post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, ROWS[0]]))}
    )
    token = response.context["token"]
    ClientFactory(
        organisation=world.own,
        first_name="Name0",
        last_name="Peeters",
        birth_date=datetime.date(1960, 5, 1),
    )
    response = http.post(reverse("imports:confirm"), {"token": token})
    assert response.status_code == 200
    assert [e.row for e in response.context["errors"]] == [2]
    assert Client.objects.count() == 1
    assert stored(settings) == []


@pytest.mark.django_db
def test_a_token_is_only_good_for_its_member(world, login, settings):
    response = login(world["adviser"]).post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *ROWS]))}
    )
    token = response.context["token"]
    for other in (world["org_admin"], world.other_adviser):
        login(other).post(reverse("imports:confirm"), {"token": token})
        login(other).post(reverse("imports:cancel"), {"token": token})
    assert Client.objects.count() == 0 and len(stored(settings)) == 1
    login(world["adviser"]).post(reverse("imports:confirm"), {"token": token + "x"})
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_cancel_deletes_the_upload(world, login, settings):
    http = login(world["adviser"])
    response = http.post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *ROWS]))}
    )
    assert len(stored(settings)) == 1
    http.post(reverse("imports:cancel"), {"token": response.context["token"]})
    assert stored(settings) == []
    http.post(reverse("imports:confirm"), {"token": response.context["token"]})
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_uploads_older_than_an_hour_are_deleted(world, login, settings):
    http = login(world["adviser"])
    response = http.post(
        reverse("imports:start"), {"kind": "clients", "file": upload(csv_file([HEADER, *ROWS]))}
    )
    [name] = stored(settings)
    hour_ago = time.time() - 3601
    os.utime(settings.IMPORT_UPLOAD_DIR / name, (hour_ago, hour_ago))
    http.get(reverse("imports:start"))
    assert stored(settings) == []
    http.post(reverse("imports:confirm"), {"token": response.context["token"]})
    assert Client.objects.count() == 0


def test_signed_tokens_expire_after_an_hour(settings, monkeypatch):
    token = uploads.store(
        data=b"a,b\n1,2\n", kind="clients", filename="x.csv", user_id=1, organisation_id=2
    )
    assert uploads.load(token, user_id=1, organisation_id=2).data == b"a,b\n1,2\n"
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(uploads.UploadExpired):
        uploads.load(token, user_id=1, organisation_id=2)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["programmes", "clients", "trajectories", "activities"])
def test_samples_download_as_csv_and_xlsx_and_import_cleanly(world, login, kind):
    http = login(world["org_admin"])
    for extension in ("csv", "xlsx"):
        response = http.get(reverse("imports:sample", args=[kind, extension]))
        assert response.status_code == 200
        assert f"opstap-{kind}.{extension}" in response["Content-Disposition"]
        table = read_table(response.content, f"sample.{extension}")
        assert table.rows
    assert http.get(reverse("imports:sample", args=[kind, "pdf"])).status_code == 404
    assert http.get(reverse("imports:sample", args=["nothing", "csv"])).status_code == 404


@pytest.mark.django_db
def test_xlsx_samples_import_in_order(world, login):
    """The xlsx samples (real date and number cells) import as the CSV ones do."""
    from opstap.imports.samples import sample_xlsx

    for kind in ("programmes", "clients", "trajectories", "activities"):
        result = import_file(
            kind=kind,
            data=sample_xlsx(kind),
            filename=f"{kind}.xlsx",
            organisation=world.own,
            actor=world["adviser"],
            dry_run=False,
        )
        assert result.committed, [str(e) for e in result.errors]
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_the_dashboard_shows_the_way_in_to_those_who_may_import(world, login):
    assert (
        reverse("imports:start")
        in login(world["adviser"]).get(reverse("dashboard")).content.decode()
    )
    assert reverse("imports:start") not in (
        login(world["volunteer"]).get(reverse("dashboard")).content.decode()
    )
