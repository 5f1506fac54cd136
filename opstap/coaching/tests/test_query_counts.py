"""The coaching pages and dashboard panels make the same number of queries however much
coaching data there is (5 and 50 notes, sessions and actions), and that number is pinned,
so that a new query is a conscious decision (as in opstap/core/tests/test_query_counts.py)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opstap.core.access import activate
from opstap.core.roles import Role

from .. import panels
from .factories import (
    assign,
    bulk_actions,
    bulk_notes,
    bulk_sessions,
    client_of,
    trajectory_for,
    volunteer,
)

SMALL, LARGE = 5, 50

# Every page pays 4 for the request itself: the session, the user, the memberships and
# their roles (ActiveOrganisationMiddleware).
PINNED = {
    # + client, FileAccess insert (3: the chain head locked, the row, the head moved),
    #   coaches, routes, notes, sessions, actions, the people who may coach or own an
    #   action (for the forms)
    ("coaching:client", Role.ADVISER): 14,
    # + the same without the people (a volunteer logs only their own sessions)
    ("coaching:client", Role.VOLUNTEER): 13,
    # + totals, clients, sessions
    ("coaching:me", Role.VOLUNTEER): 7,
    # + profiles with their load, volunteers without a profile
    ("coaching:volunteers", Role.ADVISER): 6,
}


def count_queries(http, url: str) -> tuple[int, list[str]]:
    http.get(url)  # warm-up: anything cached per process is cached before counting
    with CaptureQueriesContext(connection) as context:
        response = http.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


def assert_same(small: tuple[int, list[str]], large: tuple[int, list[str]], pinned: int) -> None:
    extra = "\n".join(large[1][len(small[1]) :]) if large[0] > small[0] else ""
    assert small[0] == large[0], (
        f"{small[0]} queries with little data, {large[0]} with a lot:\n{extra}"
    )
    assert large[0] == pinned, "\n".join(large[1])


def fill(world, case, count: int) -> None:
    """`count` notes (half confidential, by a colleague), sessions and actions on the case,
    and on a second route of the client, each action owned by someone else."""
    adviser, coach = world["adviser"], world["volunteer"]
    bulk_notes(case.client, adviser, count)
    bulk_notes(case.client, world["org_admin"], count, confidential=True)
    bulk_sessions(case.client, coach, count)
    overdue = timezone.localdate() - datetime.timedelta(days=3)
    bulk_actions(case.trajectory, adviser, count, owner=coach, due_on=overdue)
    bulk_actions(case.trajectory, adviser, count, owner=world["job_coach"], due_on=overdue)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER])
def test_the_coaching_page_does_not_grow_with_notes_sessions_and_actions(role, world, case, login):
    url = reverse("coaching:client", args=[case.client.pk])
    http = login(world[role])
    fill(world, case, SMALL)
    small = count_queries(http, url)
    fill(world, case, LARGE - SMALL)
    for _ in range(5):
        volunteer(world.own)
        assign(case.client, volunteer(world.own).user)
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("coaching:client", role)])


@pytest.mark.django_db
def test_the_coaching_page_really_shows_the_rows(world, case, login):
    fill(world, case, SMALL)
    response = login(world["adviser"]).get(reverse("coaching:client", args=[case.client.pk]))
    context = response.context
    assert len(context["notes_panel"]["notes"]) == SMALL  # the confidential ones are not theirs
    assert len(context["sessions_panel"]["sessions"]) == SMALL
    assert len(context["plans"][0]["actions"]) == 2 * SMALL


@pytest.mark.django_db
def test_my_page_does_not_grow(world, case, login):
    http = login(world["volunteer"])
    url = reverse("coaching:me")
    fill(world, case, SMALL)
    small = count_queries(http, url)
    fill(world, case, LARGE - SMALL)
    for _ in range(10):
        assign(client_of(world.own), world["volunteer"])
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("coaching:me", Role.VOLUNTEER)])


@pytest.mark.django_db
def test_the_volunteer_list_does_not_grow(world, case, login):
    http = login(world["adviser"])
    url = reverse("coaching:volunteers")
    for _ in range(SMALL):
        assign(client_of(world.own), volunteer(world.own).user)
    small = count_queries(http, url)
    for _ in range(LARGE - SMALL):
        assign(client_of(world.own), volunteer(world.own).user)
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("coaching:volunteers", Role.ADVISER)])
    assert len(http.get(url).context["profiles"]) == LARGE


# --- the dashboard panels --------------------------------------------------------------


def panel_queries(panel, user, world) -> tuple[int, dict]:
    request = RequestFactory().get("/")
    request.user = user
    membership = activate(user, world.own)
    request.membership = membership
    with CaptureQueriesContext(connection) as context:
        result = panel(request, membership)
    return len(context.captured_queries), result


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("panel", "role", "pinned"),
    [
        (panels.overdue_actions, Role.ADVISER, 1),
        (panels.overdue_actions, Role.VOLUNTEER, 1),
        (panels.overdue_actions, Role.ORG_ADMIN, 1),
        (panels.my_month, Role.VOLUNTEER, 1),
    ],
)
def test_each_dashboard_panel_costs_one_query_whatever_the_data(panel, role, pinned, world, case):
    user = world[role]
    small, first = panel_queries(panel, user, world)
    fill(world, case, LARGE)
    for _ in range(10):
        other = client_of(world.own, adviser=world["adviser"])
        assign(other, world["volunteer"])
        route = trajectory_for(other, world["adviser"])
        bulk_actions(route, world["adviser"], 5, owner=user, due_on=datetime.date(2020, 1, 1))
        bulk_sessions(other, world["volunteer"], 5)
    large, second = panel_queries(panel, user, world)
    assert small == large == pinned
    if panel is panels.overdue_actions:
        assert second["total"] > first["total"]
        assert len(second["actions"]) == panels.OVERDUE_LIST_LENGTH


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER, Role.ORG_ADMIN])
def test_the_dashboard_does_not_grow_with_coaching_data(role, world, case, login):
    http = login(world[role])
    fill(world, case, SMALL)
    small = count_queries(http, reverse("dashboard"))
    fill(world, case, LARGE - SMALL)
    large = count_queries(http, reverse("dashboard"))
    assert small[0] == large[0], "\n".join(large[1][len(small[1]) :])
