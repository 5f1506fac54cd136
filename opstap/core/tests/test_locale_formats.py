"""Money, numbers and dates in the reader's locale (issue 9): the formatting path itself
(property-based, against Babel's own parser and CLDR's patterns), then the main pages, one PDF
per kind and one chart per kind in Dutch, French and English.

The expected forms are written out literally where they are the contract the issue names:
"3 500,00 €" in French, "€ 3.500,00" in Dutch, "€3,500.00" in English."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from babel.numbers import parse_decimal
from django.template.loader import render_to_string
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from opstap.core import formatting
from opstap.core.tests.attack.conftest import _shared, attack_world  # noqa: F401
from opstap.core.tests.attack.world import EVERYONE, fresh_login

LANGUAGES = ("nl", "fr", "en")
NBSP, NNBSP = "\u00a0", "\u202f"

# The reader's whole amount, anchored: sign, grouping, decimal sign and the euro's place.
MONEY = {
    "nl": re.compile(r"^€\u00a0-?\d{1,3}(\.\d{3})*,\d{2}$"),
    "fr": re.compile(r"^-?\d{1,3}(\u202f\d{3})*,\d{2}\u00a0€$"),
    "en": re.compile(r"^-?€\d{1,3}(,\d{3})*\.\d{2}$"),
}
# A euro sign out of its place: every € stands where the language puts it (or in a "(€)"
# column header). Table cells side by side cannot fool it, as they could a whole-amount match.
WRONG_MONEY = {
    "nl": re.compile(r"(?<!\()€(?![\u00a0 ]-?\d)(?!\))"),
    "fr": re.compile(r"(?<!\d[\u00a0 ])(?<!\()€"),
    "en": re.compile(r"(?<!\()€(?!-?\d)(?!\))"),
}
SHORT_DATE = {
    ("nl", "BE"): re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"),
    ("nl", "NL"): re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"),
    ("fr", "BE"): re.compile(r"^(\d{2})/(\d{2})/(\d{4})$"),
    ("en", "BE"): re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"),
}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
BABEL_LOCALE = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_IE"}

amounts = st.decimals(
    min_value=Decimal("-999999999.99"),
    max_value=Decimal("999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(amount=amounts, language=st.sampled_from(LANGUAGES))
def test_money_is_written_as_the_locale_writes_it_and_reads_back_to_the_cent(amount, language):
    with formatting.reading_as(language, "BE"):
        text = formatting.money(amount)
    assert MONEY[language].match(text), text
    digits = text.replace("€", "").strip(NBSP + " ")
    assert parse_decimal(digits, locale=BABEL_LOCALE[language], strict=True) == amount


@given(
    value=st.integers(min_value=-(10**12), max_value=10**12),
    language=st.sampled_from(LANGUAGES),
)
def test_numbers_group_thousands_the_same_way_everywhere(value, language):
    separator = {"nl": ".", "fr": NNBSP, "en": ","}[language]
    with formatting.reading_as(language, "NL"):
        text = formatting.number(value)
    assert text == f"{value:,}".replace(",", separator)


@given(
    on=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2199, 12, 31)),
    reader=st.sampled_from(sorted(SHORT_DATE)),
)
def test_short_dates_have_the_readers_order_and_four_year_digits(on, reader):
    language, country = reader
    with formatting.reading_as(language, country):
        text = formatting.day(on, "short")
    match = SHORT_DATE[reader].match(text)
    assert match, text
    assert tuple(int(part) for part in match.groups()) == (on.day, on.month, on.year)


def test_the_named_forms():
    amount, on = Decimal("3500"), datetime.date(2026, 12, 6)
    expected = {
        "nl": ("€\u00a03.500,00", "6 december 2026", "2.533", "12,5%"),
        "fr": ("3\u202f500,00\u00a0€", "6 décembre 2026", "2\u202f533", "12,5\u00a0%"),
        "en": ("€3,500.00", "6 December 2026", "2,533", "12.5%"),
    }
    for language, (money, day, count, rate) in expected.items():
        with formatting.reading_as(language, "BE"):
            shown = (
                formatting.money(amount),
                formatting.day(on),
                formatting.number(2533),
                formatting.percentage(Decimal("12.5")),
            )
        assert shown == (money, day, count, rate), language
    with formatting.reading_as("nl", "NL"):
        assert formatting.day(on, "short") == "6-12-2026"
    with formatting.reading_as("nl", "BE"):
        assert formatting.day(on, "short") == "6/12/2026"


def test_the_excel_number_format_puts_the_euro_where_the_reader_does():
    formats = {}
    for language in LANGUAGES:
        with formatting.reading_as(language, "BE"):
            formats[language] = formatting.excel_money_format()
    assert formats == {
        "nl": '"€"\\ #,##0.00',
        "fr": '#,##0.00\\ "€"',
        "en": '"€"#,##0.00',
    }


# --- pages, PDFs and charts -----------------------------------------------------------------


def _text(html: str) -> str:
    """The words a reader sees: no tags, attributes, scripts or form values."""
    html = re.sub(r"<(script|style|svg:title)\b.*?</\1>", " ", html, flags=re.S)
    # The audit extract quotes each object's name as it was written, in the writer's language
    # (the audit log is a record); the client file's timeline names them anew.
    html = re.sub(r'<ul[^>]*data-testid="latest-changes".*?</ul>', " ", html, flags=re.S)
    # A tag becomes a bar, so that two table cells never read as one amount.
    html = re.sub(r"<[^>]+>", " | ", html)
    return re.sub(r"[ \t\r\n]+", " ", html)


def _get(http, url: str, language: str):
    http.cookies["django_language"] = language
    response = http.get(url)
    assert response.status_code == 200, (url, language, response.status_code)
    return response


def _pages(world) -> dict[str, str]:
    o = world.own.objects
    return {
        "loan": reverse("lending:detail", args=[o["loan"].pk]),
        "application": reverse("lending:application_detail", args=[o["application"].pk]),
        "portfolio": reverse("lending:portfolio"),
        "plan summary": reverse("plans:summary", args=[o["plan"].pk, o["version"].number]),
        "client": reverse("clients:detail", args=[o["client"].pk]),
        "trajectory": reverse("journeys:trajectory", args=[o["trajectory"].pk]),
        "dashboard": reverse("dashboard"),
        "programme": reverse("reporting:programme", args=[o["programme"].pk]),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_write_money_and_dates_as_the_reader_does(attack_world, language):  # noqa: F811
    http = fresh_login(attack_world[EVERYONE])
    loan_amount = {"nl": "€\u00a05.000,00", "fr": "5\u202f000,00\u00a0€", "en": "€5,000.00"}
    for name, url in _pages(attack_world).items():
        text = _text(_get(http, url, language).content.decode())
        wrong = [text[m.start() - 60 : m.end()] for m in WRONG_MONEY[language].finditer(text)]
        assert not wrong, (name, wrong)
        iso = [text[m.start() - 80 : m.end() + 10] for m in ISO_DATE.finditer(text)]
        assert not iso, (name, iso)
        if name in ("loan", "application", "portfolio"):
            assert loan_amount[language] in text, name
        for amount in re.findall(r"[-€\d][\d.,\u00a0\u202f€-]*\d[\u00a0]?€?", text):
            if "€" in amount:
                assert MONEY[language].match(amount.strip()), (name, amount)


def _pdf_text(content: bytes) -> str:
    result = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_pdf_per_kind_writes_money_and_dates_as_the_reader_does(attack_world, language):  # noqa: F811
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (poppler-utils, see README)")
    from opstap.lending.pdf import contract_pdf
    from opstap.plans.pdf import plan_pdf

    o = attack_world.own.objects
    http = fresh_login(attack_world[EVERYONE])
    blank = re.compile(r"[ \u00a0\u202f]")
    pdfs = {
        # Letters to the client are in the client's language, asked for here one by one.
        "contract": contract_pdf(o["loan"], language),
        "plan": plan_pdf(o["version"], language),
        "register": _get(http, reverse("privacy:register_pdf"), language).content,
    }
    money = {
        "nl": re.compile(r"€ \d{1,3}(\.\d{3})*,\d{2}"),
        "fr": re.compile(r"\d{1,3}( \d{3})*,\d{2} €"),
        "en": re.compile(r"€\d{1,3}(,\d{3})*\.\d{2}"),
    }
    loan_amount = {"nl": "€ 5.000,00", "fr": "5 000,00 €", "en": "€5,000.00"}
    for name, content in pdfs.items():
        text = blank.sub(" ", _pdf_text(content))
        assert not ISO_DATE.findall(text), (name, ISO_DATE.findall(text))
        if name != "register":
            assert money[language].search(text), name
            assert not WRONG_MONEY[language].search(text), (
                name,
                WRONG_MONEY[language].findall(text),
            )
        if name == "contract":
            assert loan_amount[language] in text


def test_one_chart_per_kind_labels_its_numbers_as_the_reader_does():
    from opstap.lending.views import month_chart
    from opstap.plans import charts as plan_charts
    from opstap.reporting.charts import funnel_chart
    from opstap.reporting.funnel import Funnel, Stage

    funnel = Funnel(
        programme=None,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        partner=None,
        stages=(Stage(phase="outreach", actual=2533, target=3000, persons=0),),
        start_rate=None,
    )
    month = datetime.date(2026, 11, 1)
    grouped = {"nl": ".", "fr": NNBSP, "en": ","}
    for language in LANGUAGES:
        sign = grouped[language]
        with formatting.reading_as(language, "BE"):
            svg = render_to_string(
                "reporting/partials/funnel_chart.html",
                {"chart": funnel_chart(funnel), "funnel": funnel},
            )
            assert f">2{sign}533 / 3{sign}000<" in svg, language
            assert plan_charts._amount(Decimal("12500")) == f"12{sign}500"
            bars = render_to_string(
                "lending/partials/month_chart.html",
                {"chart": month_chart([month], {month: (Decimal(4000), 1)})},
            )
            assert f">4{sign}000<" in bars, language


def test_no_template_formats_money_numbers_or_dates_by_hand():
    """The convention that keeps this fixed in the apps to come: templates use the filters."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    by_hand = re.compile(
        r"floatformat|€ ?\{\{|\}\} ?€|\|date:\"(DATE|SHORT_DATE|DATETIME|SHORT_DATETIME)_FORMAT\""
    )
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()[:80]}"
        for path in sorted(root.glob("*/templates/**/*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert not found, "\n".join(found)
