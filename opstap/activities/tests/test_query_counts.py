"""The activity pages make the same number of queries for a small and a large activity.

Every page pays 4 for the request itself (session, user, memberships, roles).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opstap.activities.models import Registration
from opstap.activities.tests.factories import (
    ActivityFactory,
    OutreachCountFactory,
    ProgrammeFactory,
    SeriesFactory,
    days_from_today,
)
from opstap.clients.models import Client, normalise_for_search
from opstap.core.roles import Role

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 60

PINNED = {
    # + activity, its registrations with their clients
    ("activities:attendance", Role.ADVISER): 6,
    ("activities:attendance", Role.VOLUNTEER): 6,
    # + activity, registrations with clients, programmes
    ("activities:detail", Role.ADVISER): 7,
    # + activity, head counts, leads with their clients
    ("activities:outreach", Role.ADVISER): 7,
    # + series, sessions with counts, held sessions, participants' counts, their clients
    ("activities:series_detail", Role.ADVISER): 9,
    # + programmes for the filter, count, page of activities with counts, their programmes
    ("activities:list", Role.ADVISER): 8,
}


def count_queries(http, url: str) -> tuple[int, list[str]]:
    http.get(url)  # warm-up
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


def add_people(world, activity, start: int, count: int, **fields) -> None:
    clients = Client.objects.bulk_create(
        [
            Client(
                organisation=world.own,
                first_name=f"Voornaam{i}",
                last_name=f"Achternaam{i:04d}",
                search_name=normalise_for_search(f"Voornaam{i} Achternaam{i:04d}"),
                phone=f"0470{i:06d}",
            )
            for i in range(start, start + count)
        ]
    )
    Registration.objects.bulk_create(
        [
            Registration(
                activity=activity,
                client=c,
                status="waitlisted" if i % 7 == 0 else "registered",
                attendance=("present", "excused", "absent", "")[i % 4],
                **fields,
            )
            for i, c in enumerate(clients)
        ]
    )


@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER])
def test_attendance_page_costs_the_same_for_5_and_60_people(world, login, role):
    session = ActivityFactory(
        organisation=world.own, facilitator=world["volunteer"], starts_at=days_from_today(-1, 18)
    )
    http = login(world[role])
    url = reverse("activities:attendance", args=[session.pk])
    add_people(world, session, 0, SMALL)
    small = count_queries(http, url)
    add_people(world, session, SMALL, LARGE - SMALL)
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("activities:attendance", role)])
    # Every person has a row of three choices.
    html = http.get(url).content.decode()
    assert html.count('type="radio"') == 3 * LARGE


def test_attendance_page_with_everyone_marked_present_costs_the_same(world, login):
    session = ActivityFactory(organisation=world.own, starts_at=days_from_today(-1, 18))
    http = login(world["adviser"])
    url = reverse("activities:attendance", args=[session.pk]) + "?mark=present"
    add_people(world, session, 0, SMALL)
    small = count_queries(http, url)
    add_people(world, session, SMALL, LARGE - SMALL)
    assert_same(small, count_queries(http, url), PINNED[("activities:attendance", Role.ADVISER)])


def test_activity_detail_costs_the_same_for_5_and_60_people(world, login):
    session = ActivityFactory(
        organisation=world.own,
        programmes=[ProgrammeFactory(organisation=world.own) for _ in range(3)],
    )
    http = login(world["adviser"])
    url = reverse("activities:detail", args=[session.pk])
    add_people(world, session, 0, SMALL)
    small = count_queries(http, url)
    add_people(world, session, SMALL, LARGE - SMALL)
    assert_same(small, count_queries(http, url), PINNED[("activities:detail", Role.ADVISER)])


def test_outreach_page_costs_the_same_for_few_and_many_counts_and_leads(world, login):
    outreach = ActivityFactory(organisation=world.own, kind="outreach")
    http = login(world["adviser"])
    url = reverse("activities:outreach", args=[outreach.pk])
    add_people(world, outreach, 0, SMALL)
    for _ in range(SMALL):
        OutreachCountFactory(activity=outreach)
    small = count_queries(http, url)
    add_people(world, outreach, SMALL, LARGE - SMALL)
    for i in range(LARGE - SMALL):
        OutreachCountFactory(activity=outreach, neighbourhood=f"Wijk {i}", channel="shop_visit")
    assert_same(small, count_queries(http, url), PINNED[("activities:outreach", Role.ADVISER)])


def test_series_page_costs_the_same_for_a_small_and_a_large_series(world, login):
    series = SeriesFactory(organisation=world.own)
    http = login(world["adviser"])
    url = reverse("activities:series_detail", args=[series.pk])
    for offset in (-14, -7):
        add_people(
            world,
            ActivityFactory(
                organisation=world.own, series=series, starts_at=days_from_today(offset, 18)
            ),
            offset * 100 + 10_000,
            SMALL,
        )
    small = count_queries(http, url)
    for offset in (-6, -5, -4, -3, -2, -1, 2):
        add_people(
            world,
            ActivityFactory(
                organisation=world.own, series=series, starts_at=days_from_today(offset, 18)
            ),
            offset * 100 + 20_000,
            LARGE,
        )
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("activities:series_detail", Role.ADVISER)])


def test_activity_list_costs_the_same_for_few_and_many_activities(world, login):
    programmes = [ProgrammeFactory(organisation=world.own) for _ in range(3)]
    http = login(world["adviser"])
    url = reverse("activities:list")
    for i in range(3):
        add_people(
            world,
            ActivityFactory(
                organisation=world.own,
                starts_at=days_from_today(i + 1, 18),
                programmes=programmes[:2],
                series=SeriesFactory(organisation=world.own),
            ),
            i * 100,
            3,
        )
    small = count_queries(http, url)
    for i in range(40):
        ActivityFactory(
            organisation=world.own,
            starts_at=days_from_today(i + 1, 10),
            programmes=programmes,
            series=SeriesFactory(organisation=world.own),
        )
    assert_same(small, count_queries(http, url), PINNED[("activities:list", Role.ADVISER)])
