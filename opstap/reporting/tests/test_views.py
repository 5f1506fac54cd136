"""The report pages: who sees them, what they show, their exports, their query counts."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from opstap.clients.tests.factories import ClientFactory
from opstap.core.roles import Role
from opstap.reporting.exports import programme_dict, targets_dict
from opstap.reporting.funnel import programme_report

from .conftest import D, history

SEE_REPORTS = [r for r in Role.values if r != Role.VOLUNTEER]


def page_url(known) -> str:
    return reverse("reporting:programme", args=[known.programme.pk])


def export_url(known, fmt: str, query: str = "") -> str:
    return reverse("reporting:programme_export", args=[known.programme.pk, fmt]) + query


# --- access -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", SEE_REPORTS)
def test_roles_with_aggregates_or_all_clients_see_the_reports(role, known, login):
    http = login(known.world[role])
    assert http.get(reverse("reporting:index")).status_code == 200
    assert http.get(page_url(known)).status_code == 200
    assert http.get(export_url(known, "csv")).status_code == 200
    assert http.get(reverse("reporting:targets")).status_code == 200
    assert http.get(reverse("reporting:targets_export", args=["xlsx"])).status_code == 200


def test_volunteers_get_404_everywhere(known, login):
    http = login(known.world["volunteer"])
    for url in (
        reverse("reporting:index"),
        page_url(known),
        export_url(known, "csv"),
        export_url(known, "xlsx"),
        reverse("reporting:targets"),
        reverse("reporting:targets_export", args=["csv"]),
    ):
        assert http.get(url).status_code == 404, url


def test_another_organisations_programme_answers_404(known, login):
    http = login(known.world["programme_manager"])
    for url in (
        reverse("reporting:programme", args=[known.elsewhere.pk]),
        reverse("reporting:programme_export", args=[known.elsewhere.pk, "csv"]),
        reverse("reporting:programme", args=[987654]),
    ):
        assert http.get(url).status_code == 404, url
    listing = http.get(reverse("reporting:index")).content.decode()
    assert "Emmerveen start" not in listing
    assert "Project AZO!" in listing


def test_a_partner_organisation_sees_the_programme_it_takes_part_in(known, login):
    http = login(known.world.other_admin)
    listing = http.get(reverse("reporting:index")).content.decode()
    assert "Project AZO!" in listing and "you are a partner" in listing
    assert "Emmerveen start" in listing
    assert http.get(page_url(known)).status_code == 200


def test_anonymous_visitors_go_to_the_login_page(known, client):
    for url in (reverse("reporting:index"), page_url(known), export_url(known, "csv")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_pages_refuse_posts(known, login):
    assert login(known.world["adviser"]).post(page_url(known)).status_code == 405


def test_the_page_shows_no_personal_data(known, login):
    page = login(known.world["programme_manager"]).get(page_url(known)).content.decode()
    # Only the report itself: the header names the logged-in staff member, whose generated
    # surname may contain a client's (Janssens / Janssen).
    report = page[page.index("<main") : page.index("</main>")]
    from opstap.clients.models import Client

    for client in Client.objects.all():
        assert not re.search(rf"\b{re.escape(client.last_name)}\b", report)


# --- the programme page -----------------------------------------------------------------


def test_the_page_shows_the_funnel_chart_table_start_rate_routes_and_definitions(known, login):
    response = login(known.world["programme_manager"]).get(page_url(known))
    html = response.content.decode()
    report = response.context["report"]
    assert [s.actual for s in report.funnel.stages] == [5, 5, 4, 4, 3, 3, 1]
    # the chart: server-side SVG, an image described by the table beside it
    assert '<svg class="opstap-chart opstap-chart--funnel" role="img"' in html
    assert 'aria-describedby="funnel-table"' in html
    assert '<title id="funnel-chart-title">' in html
    # two parts, each on a scale of its own, said under the chart too; the sensitised target
    # (20) is more than twice its 5, so it is cut off with an arrow, which the note explains
    assert "Reach, with anonymous head counts" in html and "Persons with a trajectory" in html
    assert "Each part has a scale of its own" in html
    assert "An arrow marks a target beyond the scale" in html
    assert 'id="funnel-table"' in html
    assert "<script" not in html.split("<main", 1)[1]
    # the table
    assert 'data-phase="aftercare"' in html
    assert "Sensitised" in html
    # start rate against target, routes, definitions, exports
    assert "75.0%" in html and "3 of 4" in html and "20.0%" in html
    assert "Starter" in html and "33.3%" in html and "45.0%" in html
    assert "<details" in html and "How these figures are counted" in html
    assert export_url(known, "csv") in html and export_url(known, "xlsx") in html


def test_the_period_and_partner_filters(known, login):
    http = login(known.world["programme_manager"])
    response = http.get(page_url(known), {"from": "2024-01-01", "to": "2024-01-31"})
    funnel = response.context["funnel"]
    assert [s.actual for s in funnel.stages] == [1, 1, 0, 0, 0, 0, 0]
    assert "nobody reached guidance" in response.content.decode()
    # the export links carry the filters, so they give the same figures
    assert export_url(known, "csv", "?from=2024-01-01&amp;to=2024-01-31") in (
        response.content.decode()
    )
    response = http.get(page_url(known), {"partner": "other"})
    assert [s.actual for s in response.context["funnel"].stages] == [1, 1, 1, 1, 1, 1, 0]
    assert response.context["funnel"].partner == known.world.other


def test_invalid_filters_show_errors_and_the_programme_period(known, login):
    http = login(known.world["programme_manager"])
    response = http.get(page_url(known), {"from": "2024-12-31", "to": "2024-01-01"})
    assert response.status_code == 200
    assert "cannot be after its end" in response.content.decode()
    assert (response.context["funnel"].start, response.context["funnel"].end) == (
        D(2024, 1, 1),
        D(2024, 12, 31),
    )
    response = http.get(page_url(known), {"partner": "nope", "from": "2024-13-45"})
    assert response.context["form"].errors.keys() == {"partner", "from"}
    bad = http.get(export_url(known, "csv", "?from=2024-12-31&to=2024-01-01"))
    assert bad.status_code == 400


# --- exports: the same figures as the page ------------------------------------------------


def test_csv_export_has_the_page_figures(known, login):
    http = login(known.world["programme_manager"])
    page = http.get(page_url(known), {"partner": "own"}).context["report"]
    response = http.get(export_url(known, "csv", "?partner=own"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="funnel-own-azo-2024-01-01-2024-12-31-own.csv"'
        in (response["Content-Disposition"])
    )
    # The download is for people: the xlsx's translated headers (English here), in the
    # reader's dialect; the English machine format is `opstap report` (test_command.py).
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows.index(["Phase", "Stage", "Actual", "Target"])
    stages = rows[header + 1 : header + 8]
    assert [int(r[2]) for r in stages] == [s.actual for s in page.funnel.stages]
    rate_row = rows[rows.index(["Started", "In guidance", "Start rate", "Target"]) + 1]
    assert rate_row == ["2", "3", "0.6667", "0.2000"]


def test_xlsx_export_has_the_page_figures_as_numbers(known, login):
    http = login(known.world["programme_manager"])
    page = http.get(page_url(known)).context["report"]
    response = http.get(export_url(known, "xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Funnel"]
    assert [c.value for c in sheet[1]] == ["Phase", "Stage", "Actual", "Target", "Share of target"]
    assert [sheet.cell(row=r, column=3).value for r in range(2, 9)] == [
        s.actual for s in page.funnel.stages
    ]
    assert sheet.cell(row=2, column=5).number_format == "0.0%"
    rate = book["Start rate"]
    assert rate.cell(row=2, column=3).value == pytest.approx(0.75)
    assert rate.cell(row=2, column=3).number_format == "0.0%"


def test_the_targets_page_and_its_exports_agree(known, login):
    http = login(known.world["org_admin"])
    response = http.get(reverse("reporting:targets"), {"from": "2024-01-01", "to": "2024-12-31"})
    report = response.context["report"]
    assert "Starter" in response.content.decode()
    assert {r.route: r.closed for r in report.routes}["starter"] == 4
    exported = http.get(
        reverse("reporting:targets_export", args=["csv"]) + "?from=2024-01-01&to=2024-12-31"
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["Route code"], int(r["Closed"])) for r in rows] == [
        (r.route, r.closed) for r in report.routes
    ]
    assert targets_dict(report)["routes"][2]["success_rate"] == "0.5000"


def test_the_targets_page_defaults_to_this_year(known, login):
    response = login(known.world["auditor"]).get(reverse("reporting:targets"))
    report = response.context["report"]
    today = timezone.localdate()
    assert report.start == datetime.date(today.year, 1, 1)
    assert all(r.closed == 0 for r in report.routes)


def test_the_dashboard_links_to_the_reports(known, login):
    assert reverse("reporting:index") in login(known.world["auditor"]).get("/").content.decode()
    volunteer = login(known.world["volunteer"]).get("/").content.decode()
    assert reverse("reporting:index") not in volunteer


# --- query counts -----------------------------------------------------------------------


def _fill(known, count: int, start: int) -> None:
    """`count` more trajectories in the programme, half of them closed, some of the partner."""
    world = known.world
    for i in range(start, start + count):
        org, actor = (world.other, world.other_adviser) if i % 5 == 0 else (world.own, None)
        client = ClientFactory(organisation=org, last_name=f"Fill {i}")
        steps = [("intake", D(2024, 2, 1)), ("guidance", D(2024, 3, 1))]
        if i % 2:
            steps.append(("closed", D(2024, 6, 1)))
        history(
            actor or world["adviser"],
            client,
            steps,
            programmes=[known.programme],
            route_code="starter" if i % 3 else "part_time",
            closing="dropped_out",
        )


def _count(http, url: str) -> tuple[int, list[str]]:
    http.get(url)  # warm-up
    with CaptureQueriesContext(connection) as context:
        response = http.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


# The request itself: session, user, memberships, roles (ActiveOrganisationMiddleware).
# The page: the programme, its phase targets (prefetch), the partner choices, the funnel
# aggregate, the outreach head counts, the routes (closed per route, targets, names).
PROGRAMME_PAGE_QUERIES = 4 + 8


@pytest.mark.parametrize("query", ["", "?partner=other&from=2024-02-01"])
def test_programme_page_queries_do_not_grow_with_trajectories(query, known, login):
    http = login(known.world["programme_manager"])
    _fill(known, 10, 0)
    small = _count(http, page_url(known) + query)
    _fill(known, 190, 10)
    large = _count(http, page_url(known) + query)
    assert small[0] == large[0] == PROGRAMME_PAGE_QUERIES, "\n".join(large[1])
    assert programme_report(known.programme).funnel.stage("intake").actual > 190


def test_export_and_list_queries_are_constant(known, login):
    http = login(known.world["programme_manager"])
    _fill(known, 5, 0)
    small = (
        _count(http, export_url(known, "xlsx"))[0],
        _count(http, reverse("reporting:index"))[0],
    )
    _fill(known, 60, 5)
    large = (
        _count(http, export_url(known, "xlsx"))[0],
        _count(http, reverse("reporting:index"))[0],
    )
    assert small == large


def test_page_figures_are_the_json_figures(known, login):
    http = login(known.world["programme_manager"])
    report = http.get(page_url(known)).context["report"]
    assert programme_dict(report) == programme_dict(programme_report(known.programme))
