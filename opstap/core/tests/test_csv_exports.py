"""CSV downloads open as columns in the reader's Excel: `;`, a byte-order mark and decimal
commas for nl and fr, `,` and decimal points for en; translated headers; no formula runs; file
names in the reader's language (opstap.core.csv_export, opstap.core.downloads,
docs/exports.md)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, pgettext

from opstap.clients.tests.factories import ClientFactory
from opstap.core import csv_export, downloads
from opstap.core.models import FileAccess
from opstap.settings import env_csv_dialect

BOM = b"\xef\xbb\xbf"
LABELS = ["Client", "Client number", "Member"]  # msgids with nl and fr translations
ROW = [Decimal("1234.50"), '=HYPERLINK("http://x")', datetime.date(2024, 1, 31), None, 3]


def read(content: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def made_in(language: str) -> tuple[bytes, list[str]]:
    """The CSV of LABELS and ROW as the view would make it for a reader of `language`, and
    the labels as gettext translates them for that reader."""
    with translation.override(language):
        labels = [gettext(label) for label in LABELS]
        return csv_export.csv_text([ROW], labels).encode("utf-8"), labels


# --- the dialect per language -----------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_dutch_and_french_get_semicolons_a_bom_and_decimal_commas(language):
    content, labels = made_in(language)
    assert content.startswith(BOM)
    assert content[len(BOM) :].decode("utf-8").splitlines()[1] == (
        '1234,50;"\'=HYPERLINK(""http://x"")";2024-01-31;;3'
    )
    header, row = read(content, ";")
    assert header == labels
    assert labels != LABELS  # really translated: the test fails on English headers
    assert row == ["1234,50", '\'=HYPERLINK("http://x")', "2024-01-31", "", "3"]


def test_english_gets_commas_no_bom_and_decimal_points():
    content, labels = made_in("en")
    assert not content.startswith(BOM)
    assert content.decode("utf-8").splitlines()[1] == (
        '1234.50,"\'=HYPERLINK(""http://x"")",2024-01-31,,3'
    )
    header, row = read(content, ",")
    assert header == labels == LABELS
    assert row == ["1234.50", '\'=HYPERLINK("http://x")', "2024-01-31", "", "3"]


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (Decimal("1234.5"), "1234,5", "1234.5"),  # the places the value carries
        (Decimal("1234567.891"), "1234567,891", "1234567.891"),  # never a thousands separator
        (Decimal("-0.7500"), "-0,7500", "-0.7500"),  # a negative number is not a formula
        (Decimal("1E+3"), "1000", "1000"),  # never an exponent
        (2.5, "2,5", "2.5"),
        (7, 7, 7),
        (datetime.date(2026, 3, 1), "2026-03-01", "2026-03-01"),
        # a moment in local time (Brussels, UTC+1 in winter), without offset
        (datetime.datetime(2026, 3, 1, 13, 5, tzinfo=datetime.UTC), *["2026-03-01 14:05"] * 2),
    ],
)
def test_numbers_get_the_readers_decimal_mark_and_dates_stay_iso(value, nl, en):
    assert csv_export.cell(value, csv_export.dialect("nl")) == nl
    assert csv_export.cell(value, csv_export.dialect("en")) == en


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_cell_is_neutralised(start):
    with translation.override("nl"):
        content = csv_export.csv_text([[f"{start}cmd|' /C calc'!A0", "x"]], [f"{start}1+1"])
    header, row = read(content.encode(), ";")
    assert header == [f"'{start}1+1"]
    assert row[0] == f"'{start}cmd|' /C calc'!A0"


def test_regional_variants_and_unknown_languages(settings):
    assert csv_export.dialect("nl-be") == csv_export.dialect("nl")
    assert csv_export.dialect("fr_BE").delimiter == ";"
    settings.LANGUAGE_CODE = "nl"
    assert csv_export.dialect("de") == csv_export.dialect("nl")  # the site's language
    settings.LANGUAGE_CODE = "de"
    assert csv_export.dialect("de") == csv_export.ENGLISH


def test_the_setting_decides(settings):
    settings.OPSTAP_CSV_DIALECT = {
        **settings.OPSTAP_CSV_DIALECT,
        "nl": {"delimiter": "\t", "bom": False, "decimal": "."},
    }
    with translation.override("nl"):
        content = csv_export.csv_text([[Decimal("1.5"), "a"]]).encode()
    assert content == b"1.5\ta\r\n"


def test_the_environment_overrides_a_language(monkeypatch):
    for name in ("DELIMITER", "BOM", "DECIMAL"):
        monkeypatch.delenv(f"OPSTAP_CSV_{name}_NL", raising=False)
    assert env_csv_dialect("nl", delimiter=";", bom=True, decimal=",") == {
        "delimiter": ";",
        "bom": True,
        "decimal": ",",
    }
    monkeypatch.setenv("OPSTAP_CSV_DELIMITER_NL", "tab")
    monkeypatch.setenv("OPSTAP_CSV_BOM_NL", "false")
    monkeypatch.setenv("OPSTAP_CSV_DECIMAL_NL", ".")
    assert env_csv_dialect("nl", delimiter=";", bom=True, decimal=",") == {
        "delimiter": "\t",
        "bom": False,
        "decimal": ".",
    }
    monkeypatch.setenv("OPSTAP_CSV_DELIMITER_NL", ",")
    monkeypatch.setenv("OPSTAP_CSV_DECIMAL_NL", ",")
    with pytest.raises(ImproperlyConfigured, match="must differ"):
        env_csv_dialect("nl", delimiter=";", bom=True, decimal=",")
    monkeypatch.setenv("OPSTAP_CSV_DELIMITER_NL", ";;")
    with pytest.raises(ImproperlyConfigured, match="one character"):
        env_csv_dialect("nl", delimiter=";", bom=True, decimal=",")


# --- file names -------------------------------------------------------------------------


def test_a_file_name_is_safe_ascii_with_the_exact_name_beside_it():
    assert (
        downloads.content_disposition("funnel", "csv", "own", "azo", datetime.date(2024, 1, 1))
        == 'attachment; filename="funnel-own-azo-2024-01-01.csv"'
    )
    assert downloads.content_disposition("Prêts", "xlsx", "2024-01-01") == (
        'attachment; filename="prets-2024-01-01.xlsx"; '
        "filename*=UTF-8''pr%C3%AAts-2024-01-01.xlsx"
    )
    # A user-entered code cannot end the header or add a path; a reference keeps its case.
    assert downloads.ascii_filename("contract", "pdf", 'MB"/../\r\nX-1') == "contract-MB-X-1.pdf"
    assert downloads.ascii_filename("", "pdf") == "download.pdf"


def test_the_base_names_are_translated_when_the_response_is_made():
    for name in (downloads.FUNNEL, downloads.LOANS, downloads.AUDIT_REVIEW):
        for language in ("nl", "fr", "en"):
            with translation.override(language):
                assert downloads.filename(name, "csv") == (
                    slugify(str(name), allow_unicode=True) + ".csv"
                )
    with translation.override("fr"):
        assert str(downloads.LOANS) == pgettext("file name", "loans")


def test_a_download_takes_the_readers_language(world, login, monkeypatch):
    # "Loans" has its translations already ("Leningen", "Prêts"): the name follows the reader.
    monkeypatch.setattr(downloads, "LOANS", gettext_lazy("Loans"))
    http = login(world["loan_officer"])
    stamp = timezone.localdate().isoformat()
    names = {}
    for language in ("nl", "fr", "en"):
        http.cookies["django_language"] = language
        response = http.get(reverse("lending:export"))
        assert response.status_code == 200
        names[language] = response["Content-Disposition"]
    assert names == {
        "nl": f'attachment; filename="leningen-{stamp}.xlsx"',
        "fr": f'attachment; filename="prets-{stamp}.xlsx"; '
        f"filename*=UTF-8''pr%C3%AAts-{stamp}.xlsx",
        "en": f'attachment; filename="loans-{stamp}.xlsx"',
    }


# --- the access review's CSV ----------------------------------------------------------------


def review_csv(http, language: str):
    http.cookies["django_language"] = language
    response = http.get(
        reverse("audit_review"),
        {"date_from": "2026-03-14", "date_to": "2026-03-20", "export": "csv"},
    )
    assert response.status_code == 200
    return response


@pytest.fixture
def opened(world):
    sly = ClientFactory(organisation=world.own, first_name='=HYPERLINK("http://x")')
    FileAccess.objects.create(
        organisation=world.own,
        user=world["adviser"],
        client=sly,
        purpose="clients:detail",
        accessed_at=datetime.datetime(2026, 3, 20, 10, tzinfo=datetime.UTC),
    )
    return sly


REVIEW_LABELS = [
    "Member",
    "Client number",
    "Client",
    "Times opened",
    "First opened",
    "Last opened",
]


@pytest.mark.parametrize(("language", "delimiter"), [("nl", ";"), ("fr", ";"), ("en", ",")])
def test_the_access_review_csv_is_in_the_readers_dialect(world, login, opened, language, delimiter):
    response = review_csv(login(world["org_admin"]), language)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(BOM) is (language != "en")
    first_line = response.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.count(delimiter) == len(REVIEW_LABELS) - 1
    header, row = read(response.content, delimiter)
    with translation.override(language):
        assert header == [gettext(label) for label in REVIEW_LABELS]
        base = slugify(pgettext("file name", "audit-review"))
    if language != "en":
        assert header != REVIEW_LABELS
    assert row[1] == str(opened.pk)
    assert row[2].startswith("'=HYPERLINK")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{base}-2026-03-14-2026-03-20.csv"'
    )


def test_csv_response_is_a_named_download_in_the_readers_dialect():
    with translation.override("nl"):
        client = gettext("Client")
        response = csv_export.csv_response([[Decimal("1.5"), "=1+1"]], [client], "funnel", "x")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funnel-x.csv"'
    assert response.content == BOM + f"{client}\r\n1,5;'=1+1\r\n".encode()
