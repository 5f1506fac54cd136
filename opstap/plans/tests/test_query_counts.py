"""The plans' hot pages make the same number of queries however much data there is: the
plan list (more plans), an editor step (more rows and comments), the summary (more rows,
versions and comments) and the open assessments (more assessments)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.roles import Role
from opstap.plans import services
from opstap.plans.models import PlanComment

from .helpers import new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db

# Every page pays 4 for the request (session, user, memberships, roles).
PINNED = {
    # + count, page of plans with their client and latest version (subqueries)
    "plans:list": 6,
    # + plan with client (access), version, comments with authors and versions; the stored
    #   evaluation is shown, nothing is recalculated on a page view; the access-log row
    #   (3: the chain head locked, the row, the head moved)
    "plans:financial": 10,
    # + plan, version, the access-log row (3, as above)
    "plans:summary": 9,
    # + count, page of assessments with plan and client
    "plans:assessments": 6,
}


def count(http, url: str) -> tuple[int, list[str]]:
    http.get(url)
    with CaptureQueriesContext(connection) as context:
        response = http.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


def assert_same(small, large, pinned: int) -> None:
    extra = "\n".join(large[1][len(small[1]) :])
    assert small[0] == large[0], f"{small[0]} then {large[0]} queries:\n{extra}"
    assert large[0] == pinned, "\n".join(large[1])


def financial_with_rows(rows: int) -> dict:
    data = sample_financial("bakery")
    data["investments"] = [
        {"description": f"Machine {i}", "amount": "100.00", "month": 1, "depreciation_years": 3}
        for i in range(rows)
    ]
    data["fixed_costs"] = [
        {"description": f"Kost {i}", "monthly_amount": "1.00"} for i in range(rows)
    ]
    data["own_contribution"] = {"amount": "50000.00", "month": 1}
    return data


def add_comments(world, version, count: int) -> None:
    PlanComment.objects.bulk_create(
        [
            PlanComment(version=version, section="financial", author=world["adviser"], text=f"{i}")
            for i in range(count)
        ]
    )


def test_the_plan_list_does_not_grow_with_plans(world, login):
    with_assumptions(world)
    http = login(world["adviser"])
    for i in range(3):
        new_plan(world, title=f"Plan {i}")
    small = count(http, reverse("plans:list"))
    for i in range(40):
        new_plan(world, title=f"Meer {i}")
    assert_same(small, count(http, reverse("plans:list")), PINNED["plans:list"])


@pytest.mark.parametrize("name", ["plans:financial", "plans:summary"])
def test_the_editor_and_summary_do_not_grow_with_rows_or_comments(world, login, name):
    with_assumptions(world)
    http = login(world["adviser"])
    plan = new_plan(world)
    version = plan.versions.get()
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=financial_with_rows(2)
    )
    add_comments(world, version, 2)
    args = [plan.pk, 1, "investments"] if name == "plans:financial" else [plan.pk, 1]
    small = count(http, reverse(name, args=args))
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=financial_with_rows(150)
    )
    add_comments(world, version, 60)
    assert_same(small, count(http, reverse(name, args=args)), PINNED[name])


def test_the_open_assessments_do_not_grow_with_assessments(world, login):
    with_assumptions(world)
    officer = world[Role.BENEFITS_OFFICER]
    http = login(officer)
    today = timezone.localdate()

    def assessments(n: int) -> None:
        for i in range(n):
            plan = new_plan(world, client=ClientFactory(organisation=world.own), title=f"A{i}")
            version = plan.versions.get()
            services.plan_financial_save(
                actor=world["adviser"], version=version, financial=sample_financial()
            )
            services.plan_submit(actor=world["adviser"], version=version)
            services.assessment_request(
                actor=officer, plan=plan, requested_on=today - datetime.timedelta(days=i)
            )

    assessments(2)
    small = count(http, reverse("plans:assessments"))
    assessments(30)
    assert_same(small, count(http, reverse("plans:assessments")), PINNED["plans:assessments"])
