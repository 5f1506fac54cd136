"""XSS and formula injection: every free-text field of the world holds a payload (written
through the services), and no page, PDF or export lets it run.

Pages: every URL as the organisation admin, the adviser and the loan officer, and as htmx asks
for it (partials); the payload may show only escaped: no `<script>alert(1)`, no event handler
or `javascript:` URL built from it (read with an HTML parser, not a regex alone). PDFs: the
payload's markup is still there as text (if WeasyPrint had read it as HTML, the tags would be
gone and `<img src=x>` fetched). Spreadsheets (xlsx and CSV): no cell from a payload starts
with `=`, `+`, `-` or `@` (core/spreadsheets.py), and none is a formula.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from opstap.core.roles import Role
from opstap.core.spreadsheets import FORMULA_STARTS
from opstap.core.tests.attack.conftest import shared_world
from opstap.core.tests.attack.crawl import crawl
from opstap.core.tests.attack.html import what_would_run
from opstap.core.tests.attack.world import (
    EVERYONE,
    OUTSIDE_ORGANISATIONS,
    fresh_login,
    patterns,
    report,
    url,
)

PDFTOTEXT = "/usr/bin/pdftotext"
MARKER = "alert(1)"
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "'; --",
]
# One text per field, within the shortest field's 100 characters: a spreadsheet formula start,
# then every payload. The start cycles so each of the four is tried.
STARTS = ["=HYPERLINK(1)", "+1+", "-1-", "@SUM(1)"]


def hostile(label: str) -> str:
    return STARTS[len(label) % len(STARTS)] + "".join(PAYLOADS)


_shared = shared_world(hostile)

ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.LOAN_OFFICER]
PAGES = [p for p in patterns() if p.name not in OUTSIDE_ORGANISATIONS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURES = {"html": 0, "pdf": 0, "sheets": 0, "escaped": 0, "posted": 0}
SHOWN = {"pdf": set(), "sheet": set()}


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_html(content: bytes, where: str) -> None:
    html = content.decode()
    assert "<script>alert(1)" not in html, where
    # Escaped inside a value="…" the text "onerror=alert(1)" is harmless: the parser decides.
    assert "<img src=x onerror=alert(1)>" not in html, where
    assert what_would_run(html, MARKER) == [], where
    if "&lt;script&gt;alert(1)" in html:
        FIGURES["escaped"] += 1


def _check_pdf(content: bytes, where: str) -> None:
    if not Path(PDFTOTEXT).exists():
        pytest.skip("pdftotext is not installed (poppler-utils, see README)")
    text = subprocess.run(
        [PDFTOTEXT, "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    if MARKER in text or "{{7*7}}" in text:
        SHOWN["pdf"].add(where)
        for payload in PAYLOADS:
            assert _squeeze(payload) in _squeeze(text), f"{where}: {payload} lost its markup"


def _formula_cells(rows, where: str) -> list[str]:
    bad = []
    for row in rows:
        for value in row:
            if isinstance(value, str) and MARKER in value:
                SHOWN["sheet"].add(where)
                if value.startswith(FORMULA_STARTS):
                    bad.append(value)
    return bad


def _check_sheet(content: bytes, content_type: str, where: str) -> None:
    if content_type.startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert _formula_cells(rows, where) == [], where
        return
    book = load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        formulas = [
            cell.value
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "f" and MARKER in str(cell.value)
        ]
        assert formulas == [], where
        assert _formula_cells(sheet.iter_rows(values_only=True), where) == [], where


def _check(response, where: str, *, upload: bool = False) -> None:
    content_type = response.get("Content-Type", "")
    if upload:
        # A client's own file, served as it came: never shown inline, never sniffed as HTML.
        assert response["Content-Disposition"].startswith("attachment"), where
        assert response["X-Content-Type-Options"] == "nosniff", where
        return
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith("text/html"):
        FIGURES["html"] += 1
        _check_html(content, where)
    elif content_type.startswith("application/pdf"):
        FIGURES["pdf"] += 1
        _check_pdf(content, where)
    elif content_type.startswith((XLSX, "text/csv")):
        FIGURES["sheets"] += 1
        _check_sheet(content, content_type, where)


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    pages = FIGURES["html"] + FIGURES["pdf"] + FIGURES["sheets"]
    report(
        request,
        f"XSS: PDFs showing the payload {sorted(SHOWN['pdf'])}, "
        f"spreadsheets {sorted(SHOWN['sheet'])}",
    )
    report(
        request,
        f"XSS: {len(PAYLOADS)} payloads × {len(STARTS)} formula starts in every free-text "
        f"field; {pages} responses checked ({FIGURES['html']} HTML, {FIGURES['pdf']} PDF, "
        f"{FIGURES['sheets']} spreadsheets), {FIGURES['posted']} forms posted back; "
        f"{FIGURES['escaped']} HTML responses showed the payload escaped",
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("pattern", PAGES, ids=lambda p: p.name)
def test_no_page_lets_a_payload_run(attack_world, pattern, role):
    http = fresh_login(attack_world.own.users[role])
    path = url(pattern, {"*": attack_world.own})
    upload = pattern.name == "clients:document_download"
    _check(http.get(path), f"{role} GET {path}", upload=upload)
    if role == Role.ORG_ADMIN:
        htmx = http.get(path, headers={"HX-Request": "true"})
        _check(htmx, f"htmx GET {path}", upload=upload)


@pytest.mark.parametrize("name", ["reporting:programme_export", "reporting:targets_export"])
def test_csv_exports_write_a_payload_as_text(attack_world, name):
    http = fresh_login(attack_world.own.users[Role.ORG_ADMIN])
    kwargs = {"fmt": "csv"}
    if name == "reporting:programme_export":
        kwargs["pk"] = attack_world.own.objects["programme"].pk
    response = http.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    _check(response, name)


def test_the_payload_reached_the_pages_pdfs_and_exports(attack_world):
    """The positive control: the payload is really in the world, so the checks above saw it."""
    http = fresh_login(attack_world.own.users[Role.ORG_ADMIN])
    o = attack_world.own.objects
    detail = http.get(reverse("clients:detail", kwargs={"pk": o["client"].pk})).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    contract = http.get(reverse("lending:contract", kwargs={"pk": o["loan"].pk}))
    _check(contract, "contract")
    plan = http.get(reverse("plans:pdf", kwargs={"pk": o["plan"].pk, "number": 1}))
    _check(plan, "plan")
    assert {"contract", "plan"} <= SHOWN["pdf"]
    _check(http.get(reverse("lending:export")), "loans export")
    assert "loans export" in SHOWN["sheet"]


_CRAWLS: dict[int, object] = {}


@pytest.mark.parametrize("pattern", PAGES, ids=lambda p: p.name)
def test_a_form_posted_back_with_payloads_does_not_run_them(attack_world, pattern):
    """Error pages and warnings echo what was sent (a duplicate warning links to the other
    file by its name): every form, its text fields filled with the payload, posted back."""
    user = attack_world.own.users[EVERYONE]
    http = fresh_login(user)
    if id(attack_world) not in _CRAWLS:
        _CRAWLS[id(attack_world)] = crawl(http, attack_world.own)
    form = _CRAWLS[id(attack_world)].post_forms.get(pattern.name)
    if form is None:
        pytest.skip("no form posts here")
    data = {
        name: [hostile(name) if value and not value.isdigit() else value for value in values]
        for name, values in form.defaults.items()
    }
    path = url(pattern, {"*": attack_world.own})
    response = http.post(path, data)
    FIGURES["posted"] += 1
    if response.status_code == 200:
        _check(response, f"POST {path}")


def test_the_duplicate_warning_escapes_the_other_files_name(attack_world):
    client = attack_world.own.objects["client"]
    http = fresh_login(attack_world.own.users[Role.ADVISER])
    response = http.post(
        reverse("clients:create"),
        {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "birth_date": client.birth_date.isoformat(),
            "gender": "woman",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("clients:detail", kwargs={"pk": client.pk})}"' in html
    _check(response, "duplicate warning")


@pytest.mark.parametrize(
    ("html", "runs"),
    [
        ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", False),
        ('<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">', False),
        ('<a href="/x?q=javascript:alert(1)">', False),
        ("<p><script>alert(1)</script></p>", True),
        ('<input value=""><img src=x onerror=alert(1)>">', True),
        ('<a href="javascript:alert(1)">', True),
    ],
)
def test_the_oracle_tells_escaped_from_live(html, runs):
    assert bool(what_would_run(html, MARKER)) is runs
