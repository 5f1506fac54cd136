"""Who may see and do what on the activity pages: every URL × every role × own / other
organisation, and a refused request changes nothing.

The rules (docs/activities.md): staff who edit client files manage activities; staff who see
every client file read them (403 on changes); the facilitator of an activity (here the
volunteer coach) may also take its attendance and record its head counts; a volunteer sees
only the activities they facilitate and no series; an auditor sees nothing (404). Objects of
the other organisation answer 404 to everyone of this one; anonymous visitors go to /login/.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opstap.activities.models import (
    Activity,
    ActivitySeries,
    OutreachCount,
    Registration,
)
from opstap.activities.tests.factories import (
    ActivityFactory,
    OutreachCountFactory,
    RegistrationFactory,
    SeriesFactory,
    days_from_today,
)
from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.models import AuditEvent
from opstap.core.roles import Role
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases, personas
from opstap.core.tests.matrix import expected_status as matrix_expected_status
from opstap.journeys.models import PhaseChange, Trajectory

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 shown · 302 done, redirected · 403 may see, may not change · 404 not there for them.
# The volunteer column is the facilitator of the activities acted on. Page names are in the
# "activities:" namespace.
#
#  page                    method  admin advi volu loan comm bene jobc prog audit
MATRIX = [
    ("list",                  "GET",  200, 200, 200, 200, 200, 200, 200, 200, 404),
    ("create",                "GET",  200, 200, 403, 403, 403, 200, 200, 403, 404),
    ("create",                "POST", 302, 302, 403, 403, 403, 302, 302, 403, 404),
    ("detail",                "GET",  200, 200, 200, 200, 200, 200, 200, 200, 404),
    ("edit",                  "GET",  200, 200, 403, 403, 403, 200, 200, 403, 404),
    ("edit",                  "POST", 302, 302, 403, 403, 403, 302, 302, 403, 404),
    ("registration_add",      "POST", 302, 302, 403, 403, 403, 302, 302, 403, 404),
    ("registration_cancel",   "POST", 302, 302, 403, 403, 403, 302, 302, 403, 404),
    ("attendance",            "GET",  200, 200, 200, 403, 403, 200, 200, 403, 404),
    ("attendance",            "POST", 302, 302, 302, 403, 403, 302, 302, 403, 404),
    ("outreach",              "GET",  200, 200, 200, 200, 200, 200, 200, 200, 404),
    ("outreach",              "POST", 302, 302, 302, 403, 403, 302, 302, 403, 404),
    ("outreach_count_delete", "POST", 302, 302, 302, 403, 403, 302, 302, 403, 404),
    ("lead_create",           "POST", 302, 302, 403, 403, 403, 302, 302, 403, 404),
    ("series_list",           "GET",  200, 200, 404, 200, 200, 200, 200, 200, 404),
    ("series_create",         "GET",  200, 200, 404, 403, 403, 200, 200, 403, 404),
    ("series_create",         "POST", 302, 302, 404, 403, 403, 302, 302, 403, 404),
    ("series_detail",         "GET",  200, 200, 404, 200, 200, 200, 200, 200, 404),
]
MATRIX = [(f"activities:{row[0]}", *row[1:]) for row in MATRIX]
# fmt: on

OBJECT_PAGES = {
    "activities:detail",
    "activities:edit",
    "activities:registration_add",
    "activities:registration_cancel",
    "activities:attendance",
    "activities:outreach",
    "activities:outreach_count_delete",
    "activities:lead_create",
    "activities:series_detail",
}
PERSONAS = personas(ROLES)


@dataclass
class Side:
    session: Activity  # an information session yesterday, one person registered
    outreach: Activity  # an outreach action yesterday with one head count
    registration: Registration
    newcomer: Client  # a client not yet registered
    count: OutreachCount
    series: ActivitySeries


def _side(org, facilitator) -> Side:
    series = SeriesFactory(organisation=org)
    session = ActivityFactory(
        organisation=org,
        kind="info_session",
        facilitator=facilitator,
        series=series,
        starts_at=days_from_today(-1, 18),
    )
    outreach = ActivityFactory(
        organisation=org, kind="outreach", facilitator=facilitator, title="Straatactie"
    )
    return Side(
        session=session,
        outreach=outreach,
        registration=RegistrationFactory(activity=session, client=ClientFactory(organisation=org)),
        newcomer=ClientFactory(organisation=org, last_name="Nieuwkomer"),
        count=OutreachCountFactory(activity=outreach),
        series=series,
    )


@pytest.fixture
def sides(world) -> dict[str, Side]:
    return {
        "own": _side(world.own, world["volunteer"]),
        "other": _side(world.other, world.other_adviser),
    }


@dataclass
class Page:
    url: Callable[[Side], str]
    data: Callable[[Side], dict[str, Any]] = lambda side: {}
    done: Callable[[Side], bool] = lambda side: True


def _activity_form(title: str) -> dict[str, Any]:
    start = days_from_today(5, 18).replace(tzinfo=None)
    return {
        "kind": "workshop",
        "title": title,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "language": "nl",
    }


def _url(name: str, *attrs: str) -> Callable[[Side], str]:
    def build(side: Side) -> str:
        args = []
        for attr in attrs:
            obj: Any = side
            for part in attr.split("."):
                obj = getattr(obj, part)
            args.append(obj)
        return reverse(name, args=args)

    return build


PAGES: dict[tuple[str, str], Page] = {
    ("activities:list", "GET"): Page(_url("activities:list")),
    ("activities:create", "GET"): Page(_url("activities:create")),
    ("activities:create", "POST"): Page(
        _url("activities:create"),
        data=lambda side: _activity_form("Nieuwe workshop"),
        done=lambda side: Activity.objects.filter(title="Nieuwe workshop").exists(),
    ),
    ("activities:detail", "GET"): Page(_url("activities:detail", "session.pk")),
    ("activities:edit", "GET"): Page(_url("activities:edit", "session.pk")),
    ("activities:edit", "POST"): Page(
        _url("activities:edit", "session.pk"),
        data=lambda side: {**_activity_form("Hernoemd"), "kind": "info_session"},
        done=lambda side: Activity.objects.get(pk=side.session.pk).title == "Hernoemd",
    ),
    ("activities:registration_add", "POST"): Page(
        _url("activities:registration_add", "session.pk"),
        data=lambda side: {"client": side.newcomer.pk},
        done=lambda side: Registration.objects.filter(
            activity=side.session, client=side.newcomer
        ).exists(),
    ),
    ("activities:registration_cancel", "POST"): Page(
        _url("activities:registration_cancel", "session.pk", "registration.pk"),
        done=lambda side: Registration.objects.get(pk=side.registration.pk).status == "cancelled",
    ),
    ("activities:attendance", "GET"): Page(_url("activities:attendance", "session.pk")),
    ("activities:attendance", "POST"): Page(
        _url("activities:attendance", "session.pk"),
        data=lambda side: {f"attendance-{side.registration.pk}": "present"},
        done=lambda side: Registration.objects.get(pk=side.registration.pk).attendance == "present",
    ),
    ("activities:outreach", "GET"): Page(_url("activities:outreach", "outreach.pk")),
    ("activities:outreach", "POST"): Page(
        _url("activities:outreach", "outreach.pk"),
        data=lambda side: {
            "counts-TOTAL_FORMS": "1",
            "counts-INITIAL_FORMS": "0",
            "counts-0-neighbourhood": "Matrixwijk",
            "counts-0-channel": "street",
            "counts-0-people_reached": "7",
        },
        done=lambda side: OutreachCount.objects.filter(neighbourhood="Matrixwijk").exists(),
    ),
    ("activities:outreach_count_delete", "POST"): Page(
        _url("activities:outreach_count_delete", "outreach.pk", "count.pk"),
        done=lambda side: not OutreachCount.objects.filter(pk=side.count.pk).exists(),
    ),
    ("activities:lead_create", "POST"): Page(
        _url("activities:lead_create", "outreach.pk"),
        data=lambda side: {"first_name": "Lea", "last_name": "Lead", "phone": "+32 470 00 00 00"},
        done=lambda side: Client.objects.filter(last_name="Lead").exists(),
    ),
    ("activities:series_list", "GET"): Page(_url("activities:series_list")),
    ("activities:series_create", "GET"): Page(_url("activities:series_create")),
    ("activities:series_create", "POST"): Page(
        _url("activities:series_create"),
        data=lambda side: {"title": "Ladder naar succes", "planned_sessions": "9"},
        done=lambda side: ActivitySeries.objects.filter(title="Ladder naar succes").exists(),
    ),
    ("activities:series_detail", "GET"): Page(_url("activities:series_detail", "series.pk")),
}


def expected_status(row: tuple, persona: str, scope: str) -> int:
    return matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)


def _cases() -> list[Any]:
    return matrix_cases(MATRIX, OBJECT_PAGES, ROLES)


def snapshot() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "activities": sorted(Activity.objects.values_list("pk", "title", "kind", "capacity")),
        "registrations": sorted(
            Registration.objects.values_list("pk", "status", "attendance", "route_applied")
        ),
        "counts": sorted(OutreachCount.objects.values_list("pk", "people_reached")),
        "series": ActivitySeries.objects.count(),
        "clients": Client.objects.count(),
        "trajectories": sorted(Trajectory.objects.values_list("pk", "phase")),
        "phase_changes": PhaseChange.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _http(persona: str, world, login) -> HttpClient:
    if persona == ANONYMOUS:
        return HttpClient()
    if persona == OTHER_ORG:
        return login(world.other_admin)
    return login(world[persona])


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), _cases())
def test_permission_matrix(row, persona, scope, world, sides, login):
    name, method = row[0], row[1]
    page = PAGES[(name, method)]
    home = "other" if persona == OTHER_ORG else "own"
    side = sides[home if scope == "-" else scope]
    url = page.url(side)
    expected = expected_status(row, persona, scope)
    http = _http(persona, world, login)

    before = snapshot()
    response = http.get(url) if method == "GET" else http.post(url, page.data(side))

    assert response.status_code == expected, (
        f"{persona} {method} {url}: {response.status_code}, expected {expected}"
    )
    if persona == ANONYMOUS:
        assert response["Location"].startswith("/login/?next=")
    refused = persona == ANONYMOUS or expected in (403, 404)
    if refused or method == "GET":
        assert snapshot() == before
    if method == "POST" and not refused:
        assert page.done(side), f"{persona} {method} {url} answered {expected} but wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    from opstap.activities import urls

    names = {f"activities:{p.name}" for p in urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}
    assert {(row[0], row[1]) for row in MATRIX} == set(PAGES)
    assert set(ROLES) == set(Role.values)


# --- the rules one by one ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_volunteer_sees_only_the_activities_they_facilitate(world, sides, login):
    volunteer = world["volunteer"]
    someone_elses = ActivityFactory(organisation=world.own, title="Not theirs")
    activate(volunteer, world.own)
    visible = set(Activity.objects.visible_to(volunteer))
    assert visible == {sides["own"].session, sides["own"].outreach}

    http = login(volunteer)
    listed = http.get(reverse("activities:list"), {"when": "past"}).content.decode()
    assert sides["own"].session.title in listed
    assert "Not theirs" not in listed
    for name in ("activities:detail", "activities:attendance", "activities:edit"):
        assert http.get(reverse(name, args=[someone_elses.pk])).status_code == 404


@pytest.mark.django_db
def test_a_facilitator_volunteer_reads_names_but_opens_no_client_file(world, sides, login):
    page = login(world["volunteer"]).get(
        reverse("activities:detail", args=[sides["own"].session.pk])
    )
    html = page.content.decode()
    assert sides["own"].registration.client.full_name in html
    assert reverse("clients:detail", args=[sides["own"].registration.client.pk]) not in html
    assert "Register a client" not in html


@pytest.mark.django_db
def test_an_auditor_sees_no_activity_at_all(world, sides):
    activate(world["auditor"], world.own)
    assert not Activity.objects.visible_to(world["auditor"]).exists()
    assert not ActivitySeries.objects.visible_to(world["auditor"]).exists()


@pytest.mark.django_db
def test_a_reader_who_facilitates_may_take_the_attendance(world, login):
    session = ActivityFactory(
        organisation=world.own, facilitator=world["loan_officer"], kind="workshop"
    )
    registration = RegistrationFactory(
        activity=session, client=ClientFactory(organisation=world.own)
    )
    http = login(world["loan_officer"])
    response = http.post(
        reverse("activities:attendance", args=[session.pk]),
        {f"attendance-{registration.pk}": "excused"},
    )
    assert response.status_code == 302
    assert Registration.objects.get(pk=registration.pk).attendance == "excused"
    assert http.get(reverse("activities:edit", args=[session.pk])).status_code == 403


@pytest.mark.django_db
def test_a_client_of_the_other_organisation_cannot_be_registered(world, sides, login):
    before = snapshot()
    response = login(world["adviser"]).post(
        reverse("activities:registration_add", args=[sides["own"].session.pk]),
        {"client": sides["other"].newcomer.pk},
    )
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.django_db
def test_a_registration_of_another_activity_answers_404(world, sides, login):
    elsewhere = ActivityFactory(organisation=world.own)
    before = snapshot()
    response = login(world["adviser"]).post(
        reverse("activities:registration_cancel", args=[elsewhere.pk, sides["own"].registration.pk])
    )
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["activities:attendance", "activities:outreach", "activities:lead_create"]
)
def test_pages_for_another_kind_answer_404(world, sides, login, name):
    # Attendance is not taken at an outreach action; head counts and leads only there.
    wrong = sides["own"].outreach if name == "activities:attendance" else sides["own"].session
    http = login(world["adviser"])
    response = (
        http.post(reverse(name, args=[wrong.pk]))
        if "lead" in name
        else http.get(reverse(name, args=[wrong.pk]))
    )
    assert response.status_code == 404
