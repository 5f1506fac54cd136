"""The permission matrix of the business plans app: every URL × method × role, anonymous
and the other organisation, in the form of opstap/core/tests/matrix.py.

The rules under test: whoever sees the client (staff: every client; a volunteer coach: the
clients assigned to them) reads the plan's narrative and may comment on it; the financial
plan and everything built on it (summary, compare, PDF, spreadsheet, submit, new version)
needs VIEW_FINANCIAL, so volunteers, job coaches and programme managers get 404 there;
changes need WRITE_PLANS (403 for the readers); the viability assessment is read with
VIEW_ALL_CLIENTS and changed with ASSESS_VIABILITY (the benefits officer); the assumptions
page is for MANAGE_PROGRAMMES; the auditor sees nothing (404). An object of the other
organisation answers 404; anonymous visitors go to /login/. A refused request changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from opstap.clients.models import Client, ClientDocument
from opstap.clients.services import coach_assign
from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.models import AuditEvent, FileAccess, Organisation, User
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases
from opstap.core.tests.matrix import expected_status as matrix_expected_status
from opstap.plans import services, spreadsheet
from opstap.plans import urls as plans_urls
from opstap.plans.models import (
    BusinessPlan,
    PlanAssumptions,
    PlanComment,
    PlanVersion,
    ViabilityAssessment,
)

from .helpers import sample_financial

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 shown · 302 done, redirected · 403 may see, may not change · 404 not there for them
#  page                               method  admin advis volun loan  commi benef jobco progm audit
MATRIX = [
    ("plans:list",                     "GET",  200,  200,  200,  200,  200,  200,  200,  200,  404),
    ("plans:client_plans",             "GET",  200,  200,  200,  200,  200,  200,  200,  200,  404),
    ("plans:client_plans",             "POST", 403,  302,  302,  403,  403,  302,  302,  403,  404),
    ("plans:detail",                   "GET",  200,  200,  200,  200,  200,  200,  200,  200,  404),
    ("plans:section",                  "GET",  200,  200,  200,  200,  200,  200,  200,  200,  404),
    ("plans:section",                  "POST", 403,  302,  302,  403,  403,  302,  302,  403,  404),
    ("plans:comment",                  "POST", 302,  302,  302,  302,  302,  302,  302,  302,  404),
    ("plans:financial",                "GET",  200,  200,  404,  200,  200,  200,  404,  404,  404),
    ("plans:financial",                "POST", 403,  302,  404,  403,  403,  302,  404,  404,  404),
    ("plans:summary",                  "GET",  200,  200,  404,  200,  200,  200,  404,  404,  404),
    ("plans:submit",                   "POST", 403,  302,  404,  403,  403,  302,  404,  404,  404),
    ("plans:new_version",              "POST", 403,  302,  404,  403,  403,  302,  404,  404,  404),
    ("plans:compare",                  "GET",  200,  200,  404,  200,  200,  200,  404,  404,  404),
    ("plans:pdf",                      "GET",  200,  200,  404,  200,  200,  200,  404,  404,  404),
    ("plans:export",                   "GET",  200,  200,  404,  200,  200,  200,  404,  404,  404),
    ("plans:import",                   "GET",  403,  200,  404,  403,  403,  200,  404,  404,  404),
    ("plans:import",                   "POST", 403,  302,  404,  403,  403,  302,  404,  404,  404),
    ("plans:assessments",              "GET",  200,  200,  404,  200,  200,  200,  200,  200,  404),
    ("plans:assessment",               "GET",  200,  200,  404,  200,  200,  200,  200,  200,  404),
    ("plans:assessment_request",       "POST", 403,  403,  404,  403,  403,  302,  403,  403,  404),
    ("plans:assessment_extend",        "POST", 403,  403,  404,  403,  403,  302,  403,  403,  404),
    ("plans:assessment_update",        "POST", 403,  403,  404,  403,  403,  302,  403,  403,  404),
    ("plans:assessment_decide",        "POST", 403,  403,  404,  403,  403,  302,  403,  403,  404),
    ("plans:assumptions",              "GET",  200,  404,  404,  404,  404,  404,  404,  200,  404),
    ("plans:assumptions",              "POST", 302,  404,  404,  404,  404,  404,  404,  302,  404),
]
# fmt: on

NOT_OBJECT_PAGES = {"plans:list", "plans:assessments", "plans:assumptions"}
OBJECT_PAGES = {row[0] for row in MATRIX} - NOT_OBJECT_PAGES


@dataclass
class Side:
    org: Organisation
    adviser: User
    volunteer: User
    client: Client
    draft: BusinessPlan  # version 1 a draft with a financial plan
    submitted: BusinessPlan  # version 1 submitted, no draft, no assessment
    assessed: BusinessPlan  # submitted, with a pending assessment
    assessment: ViabilityAssessment
    document: ClientDocument
    workbook: bytes  # the draft's financial plan as xlsx, start month changed


def _side(org: Organisation, adviser: User, admin: User, volunteer_user: User) -> Side:
    activate(admin, org)
    services.assumptions_save(
        actor=admin,
        organisation=org,
        valid_from=timezone.localdate().replace(year=2020),
        tax_and_contributions_rate=Decimal("0.30"),
        dscr_threshold=Decimal("1.2"),
    )
    client = ClientFactory(organisation=org, adviser=adviser)
    coach_assign(actor=adviser, client=client, coach=volunteer_user)
    officer = member(org, Role.BENEFITS_OFFICER)

    def plan(title: str, submit: bool) -> BusinessPlan:
        created = services.plan_create(actor=adviser, organisation=org, client=client, title=title)
        version = created.versions.get()
        services.plan_financial_save(
            actor=adviser, version=version, financial=sample_financial("bakery")
        )
        if submit:
            services.plan_submit(actor=adviser, version=version)
        return created

    draft = plan("Matrix draft", False)
    submitted = plan("Matrix submitted", True)
    assessed = plan("Matrix assessed", True)
    assessment = services.assessment_request(
        actor=officer, plan=assessed, requested_on=timezone.localdate()
    )
    document = ClientDocument.objects.create(
        client=client,
        kind="other",
        file="matrix/report.pdf",
        original_name="report.pdf",
        content_type="application/pdf",
        size=1,
        uploaded_by=adviser,
    )
    book = load_workbook(io.BytesIO(spreadsheet.export_financial(draft.versions.get())))
    book["Plan"]["B4"] = "2027-06"
    buffer = io.BytesIO()
    book.save(buffer)
    return Side(
        org,
        adviser,
        volunteer_user,
        client,
        draft,
        submitted,
        assessed,
        assessment,
        document,
        buffer.getvalue(),
    )


@dataclass
class Data:
    users: dict[str, User]
    other_admin: User
    sides: dict[str, Side]


@pytest.fixture
def data(world) -> Data:
    other_volunteer = member(world.other, Role.VOLUNTEER, email="volunteer@other.example")
    return Data(
        users=world.users,
        other_admin=world.other_admin,
        sides={
            "own": _side(world.own, world["adviser"], world["org_admin"], world["volunteer"]),
            "other": _side(world.other, world.other_adviser, world.other_admin, other_volunteer),
        },
    )


@dataclass(frozen=True)
class Page:
    url: Callable[[Side], str]
    data: Callable[[Side], dict[str, Any]] = lambda side: {}
    done: Callable[[Side], bool] = lambda side: True


def _draft(side: Side) -> PlanVersion:
    return side.draft.versions.get(number=1)


def _today() -> str:
    return timezone.localdate().isoformat()


PAGES: dict[tuple[str, str], Page] = {
    ("plans:list", "GET"): Page(url=lambda s: reverse("plans:list")),
    ("plans:client_plans", "GET"): Page(
        url=lambda s: reverse("plans:client_plans", args=[s.client.pk])
    ),
    ("plans:client_plans", "POST"): Page(
        url=lambda s: reverse("plans:client_plans", args=[s.client.pk]),
        data=lambda s: {"title": "Matrix: a new plan"},
        done=lambda s: BusinessPlan.objects.filter(title="Matrix: a new plan").exists(),
    ),
    ("plans:detail", "GET"): Page(url=lambda s: reverse("plans:detail", args=[s.draft.pk])),
    ("plans:section", "GET"): Page(
        url=lambda s: reverse("plans:section", args=[s.draft.pk, 1, "idea"])
    ),
    ("plans:section", "POST"): Page(
        url=lambda s: reverse("plans:section", args=[s.draft.pk, 1, "idea"]),
        data=lambda s: {"text": "Matrix text"},
        done=lambda s: _draft(s).narrative.get("idea") == "Matrix text",
    ),
    ("plans:comment", "POST"): Page(
        url=lambda s: reverse("plans:comment", args=[s.draft.pk, 1]),
        data=lambda s: {"section": "idea", "text": "Matrix comment"},
        done=lambda s: PlanComment.objects.filter(text="Matrix comment").exists(),
    ),
    ("plans:financial", "GET"): Page(
        url=lambda s: reverse("plans:financial", args=[s.draft.pk, 1, "investments"])
    ),
    ("plans:financial", "POST"): Page(
        url=lambda s: reverse("plans:financial", args=[s.draft.pk, 1, "start"]),
        data=lambda s: {"start_month": "2027-05"},
        done=lambda s: _draft(s).financial["start_month"] == "2027-05",
    ),
    ("plans:summary", "GET"): Page(url=lambda s: reverse("plans:summary", args=[s.draft.pk, 1])),
    ("plans:submit", "POST"): Page(
        url=lambda s: reverse("plans:submit", args=[s.draft.pk, 1]),
        done=lambda s: _draft(s).status == "submitted",
    ),
    ("plans:new_version", "POST"): Page(
        url=lambda s: reverse("plans:new_version", args=[s.submitted.pk]),
        done=lambda s: s.submitted.versions.filter(number=2).exists(),
    ),
    ("plans:compare", "GET"): Page(
        url=lambda s: reverse("plans:compare", args=[s.submitted.pk]) + "?a=1&b=1"
    ),
    ("plans:pdf", "GET"): Page(url=lambda s: reverse("plans:pdf", args=[s.draft.pk, 1])),
    ("plans:export", "GET"): Page(url=lambda s: reverse("plans:export", args=[s.draft.pk, 1])),
    ("plans:import", "GET"): Page(url=lambda s: reverse("plans:import", args=[s.draft.pk, 1])),
    ("plans:import", "POST"): Page(
        url=lambda s: reverse("plans:import", args=[s.draft.pk, 1]),
        data=lambda s: {"file": SimpleUploadedFile("plan.xlsx", s.workbook)},
        done=lambda s: _draft(s).financial["start_month"] == "2027-06",
    ),
    ("plans:assessments", "GET"): Page(url=lambda s: reverse("plans:assessments")),
    ("plans:assessment", "GET"): Page(
        url=lambda s: reverse("plans:assessment", args=[s.assessment.pk])
    ),
    ("plans:assessment_request", "POST"): Page(
        url=lambda s: reverse("plans:assessment_request", args=[s.submitted.pk]),
        data=lambda s: {"requested_on": _today(), "external_adviser": "Matrix"},
        done=lambda s: s.submitted.assessments.exists(),
    ),
    ("plans:assessment_extend", "POST"): Page(
        url=lambda s: reverse("plans:assessment_extend", args=[s.assessment.pk]),
        data=lambda s: {"reason": "Matrix reason"},
        done=lambda s: ViabilityAssessment.objects.get(pk=s.assessment.pk).extended_on is not None,
    ),
    ("plans:assessment_update", "POST"): Page(
        url=lambda s: reverse("plans:assessment_update", args=[s.assessment.pk]),
        data=lambda s: {"external_adviser": "Matrix bureau", "report": str(s.document.pk)},
        done=lambda s: (
            ViabilityAssessment.objects.get(pk=s.assessment.pk).external_adviser == "Matrix bureau"
        ),
    ),
    ("plans:assessment_decide", "POST"): Page(
        url=lambda s: reverse("plans:assessment_decide", args=[s.assessment.pk]),
        data=lambda s: {"outcome": "viable", "reasons": "Matrix reasons", "decided_on": _today()},
        done=lambda s: ViabilityAssessment.objects.get(pk=s.assessment.pk).outcome == "viable",
    ),
    ("plans:assumptions", "GET"): Page(url=lambda s: reverse("plans:assumptions")),
    ("plans:assumptions", "POST"): Page(
        url=lambda s: reverse("plans:assumptions"),
        data=lambda s: {
            "valid_from": "2031-02-01",
            "tax_and_contributions_rate": "0.25",
            "dscr_threshold": "1.5",
            "cash_shortfall_tolerance_rate": "0.1",
        },
        done=lambda s: PlanAssumptions.objects.filter(
            organisation=s.org, valid_from="2031-02-01"
        ).exists(),
    ),
}

# The GET pages that show a client's data: answered 200, each leaves FileAccess rows (the
# access doors log them, core/access_log.py); every other request leaves none.
SHOWS_CLIENT_DATA = {
    "plans:pdf",
    "plans:export",
    "plans:assessment",
    "plans:client_plans",
    "plans:compare",
    "plans:detail",
    "plans:financial",
    "plans:import",
    "plans:section",
    "plans:summary",
}


def snapshot() -> dict[str, Any]:
    """Everything a refused request (or a page view) must leave as it was."""
    return {
        "plans": sorted(BusinessPlan.objects.values_list("pk", "title")),
        "versions": sorted(
            PlanVersion.objects.values_list("pk", "status", "narrative", "financial", "verdict")
        ),
        "comments": PlanComment.objects.count(),
        "assessments": sorted(
            ViabilityAssessment.objects.values_list(
                "pk", "decision_due", "extended_on", "external_adviser", "report", "outcome"
            )
        ),
        "assumptions": PlanAssumptions.objects.count(),
        "audit": AuditEvent.objects.count(),
        "accesses": FileAccess.objects.count(),
    }


def _user(persona: str, data: Data) -> User | None:
    if persona == ANONYMOUS:
        return None
    return data.other_admin if persona == OTHER_ORG else data.users[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), matrix_cases(MATRIX, OBJECT_PAGES, ROLES))
def test_permission_matrix(row, persona, scope, data, login):
    name, method = row[0], row[1]
    page = PAGES[(name, method)]
    home = "other" if persona == OTHER_ORG else "own"
    side = data.sides[home if scope == "-" else scope]
    user = _user(persona, data)
    http = HttpClient() if user is None else login(user)
    url = page.url(side)
    expected = matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)

    before = snapshot()
    response = http.get(url) if method == "GET" else http.post(url, page.data(side))

    assert response.status_code == expected, (
        f"{persona} {method} {url}: {response.status_code}, expected {expected}"
    )
    if persona == ANONYMOUS:
        assert response["Location"].startswith("/login/?next=")
    refused = persona == ANONYMOUS or expected in (403, 404)
    if refused or method == "GET":
        after = snapshot()
        if not refused and name in SHOWS_CLIENT_DATA:
            assert after.pop("accesses") == before.pop("accesses") + 1, name
        assert after == before
    else:
        assert not response["Location"].startswith("/login/")
        assert page.done(side), f"{persona} {method} {url} answered {expected}, wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    names = {f"plans:{p.name}" for p in plans_urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}
    assert {(row[0], row[1]) for row in MATRIX} == set(PAGES)
    assert set(ROLES) == set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), sorted(PAGES))
def test_wrong_methods_are_refused(name, method, data, login):
    """A page that only shows answers no POST and a write answers no GET (405)."""
    other = "POST" if method == "GET" else "GET"
    if (name, other) in PAGES:
        return
    side = data.sides["own"]
    url = PAGES[(name, method)].url(side)
    before = snapshot()
    http = login(data.users[Role.ADVISER])
    response = http.post(url, {}) if other == "POST" else http.get(url)
    assert response.status_code == 405
    assert snapshot() == before


@pytest.mark.django_db
def test_an_unassigned_volunteer_finds_nothing_of_the_client(data, login):
    side = data.sides["own"]
    side.client.coach_assignments.all().delete()
    http = login(side.volunteer)
    for (name, method), page in PAGES.items():
        if name not in OBJECT_PAGES:
            continue
        url = page.url(side)
        response = http.get(url) if method == "GET" else http.post(url, page.data(side))
        assert response.status_code == 404, (name, method)
