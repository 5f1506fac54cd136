"""The report pages' CSV downloads are for people: the xlsx's translated headers, in the
reader's dialect (`;`, a byte-order mark and decimal commas in nl and fr), named in their
language; `opstap report --format csv` keeps its English machine format (docs/funnel.md)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext

from .test_command import FUNNEL, run

BOM = b"\xef\xbb\xbf"
STAGE_LABELS = ["Phase", "Stage", "Actual", "Target"]
RATE_LABELS = ["Started", "In guidance", "Start rate", "Target"]
ROUTE_LABELS = [
    "Route code",
    "Route",
    "Closed",
    "Successful",
    "Success rate",
    "Target success rate",
    "Mean duration (months)",
    "Target duration (months)",
]
DIALECTS = [("nl", ";", ","), ("fr", ";", ","), ("en", ",", ".")]


def translated(labels: list[str], language: str) -> list[str]:
    with translation.override(language):
        return [gettext(label) for label in labels]


def download(http, url: str, language: str):
    http.cookies["django_language"] = language
    response = http.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response


def rows_of(response, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


@pytest.mark.parametrize(("language", "delimiter", "mark"), DIALECTS)
def test_the_funnel_download_is_in_the_readers_dialect(known, login, language, delimiter, mark):
    http = login(known.world["programme_manager"])
    url = reverse("reporting:programme_export", args=[known.programme.pk, "csv"])
    response = download(http, url + "?partner=own", language)
    assert response.content.startswith(BOM) is (language != "en")
    rows = rows_of(response, delimiter)
    stages = translated(STAGE_LABELS, language)
    if language != "en":
        assert stages != STAGE_LABELS  # the headers really are translated
    header = rows.index(stages)
    assert [r[0] for r in rows[header + 1 : header + 8]][:2] == ["outreach", "informed"]
    rate = rows[rows.index(translated(RATE_LABELS, language)) + 1]
    assert rate == ["2", "3", f"0{mark}6667", f"0{mark}2000"]
    routes = rows[rows.index(translated(ROUTE_LABELS, language)) + 1 :]
    assert [r[0] for r in routes] == sorted(r[0] for r in routes)
    with translation.override(language):
        base = slugify(pgettext("file name", "funnel"))
        assert rows[3] == [gettext("To"), "2024-12-31"]  # dates stay ISO in every language
    assert response["Content-Disposition"] == (
        f'attachment; filename="{base}-own-azo-2024-01-01-2024-12-31-own.csv"'
    )


@pytest.mark.parametrize(("language", "delimiter", "mark"), DIALECTS)
def test_the_targets_download_is_in_the_readers_dialect(known, login, language, delimiter, mark):
    http = login(known.world["org_admin"])
    url = reverse("reporting:targets_export", args=["csv"]) + "?from=2024-01-01&to=2024-12-31"
    response = download(http, url, language)
    assert response.content.startswith(BOM) is (language != "en")
    header, *rows = rows_of(response, delimiter)
    assert header == translated(ROUTE_LABELS, language)
    starter = next(r for r in rows if r[0] == "starter")
    assert starter[2:5] == ["4", "2", f"0{mark}5000"]
    with translation.override(language):
        base = slugify(pgettext("file name", "targets"))
    assert response["Content-Disposition"] == (
        f'attachment; filename="{base}-own-2024-01-01-2024-12-31.csv"'
    )


def test_the_command_keeps_its_machine_format_in_every_language(known):
    for language in ("nl", "fr", "en"):
        printed = run(*FUNNEL, "--format", "csv", "--language", language)
        assert not printed.startswith("\ufeff")
        assert printed.splitlines()[:2] == ["programme,azo", "organisation,own"]
        assert "start_rate,3,4,0.7500,0.2000" in printed.splitlines()
