"""The permission matrix of the coaching app: every URL × every role × own / other
organisation, in the form of opstap/core/tests/test_permission_matrix.py.

The rules under test: a volunteer coach opens only the clients assigned to them, writes notes
and logs their own sessions there, and completes the actions they own; staff (the roles that
edit client files) do everything on every client of their organisation; roles that read
client files without editing them read the coaching page and change nothing (403); the
auditor has no coaching page at all (404). Volunteer suggestions and the volunteer list are
for those who assign coaches; a volunteer profile is changed by its volunteer or the
organisation admin. What a user may not see answers 404, what they may see but not change
403, and a refused request changes nothing.

Two rules complete the table: an object of the OTHER organisation answers 404 to every
member of this one (and ours to their admin, who gets the `org_admin` column at home); an
anonymous visitor is sent to /login/ (302) from every page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from opstap.clients.models import Client, ClientCoach
from opstap.core.models import AuditEvent, FileAccess, Organisation, User
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases, personas
from opstap.core.tests.matrix import expected_status as matrix_expected_status
from opstap.journeys.models import Trajectory

from .. import urls as coaching_urls
from ..choices import ActionStatus
from ..models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from .factories import assign, client_of, trajectory_for, volunteer

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 page shown · 302 write done, redirected · 403 may see, may not change · 404 not there for them
#
#  page                           method   admin adviser volunt loan  commit benef jobco progm audit
MATRIX = [
    ("coaching:me",                "GET",  200,  200,    200,   200,  200,   200,  200,  200,  404),
    ("coaching:volunteers",        "GET",  200,  200,    404,   404,  404,   200,  200,  404,  404),
    # The side's volunteer: their own profile for the volunteer persona.
    ("coaching:volunteer_profile", "GET",  200,  403,    200,   404,  404,   403,  403,  404,  404),
    ("coaching:volunteer_profile", "POST", 302,  403,    302,   404,  404,   403,  403,  404,  404),
    ("coaching:client",            "GET",  200,  200,    200,   200,  200,   200,  200,  200,  404),
    ("coaching:note_add",          "POST", 302,  302,    302,   403,  403,   302,  302,  403,  404),
    # A note the side's adviser wrote (not confidential): only its author changes it.
    ("coaching:note_edit",         "GET",  403,  200,    403,   403,  403,   403,  403,  403,  404),
    ("coaching:note_edit",         "POST", 403,  302,    403,   403,  403,   403,  403,  403,  404),
    ("coaching:session_log",       "POST", 302,  302,    302,   403,  403,   302,  302,  403,  404),
    ("coaching:action_add",        "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    # An action the volunteer owns: they may tick it off, not cancel it.
    ("coaching:action_complete",   "POST", 302,  302,    302,   403,  403,   302,  302,  403,  404),
    ("coaching:action_cancel",     "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("coaching:suggestions",       "GET",  200,  200,    404,   404,  404,   200,  200,  404,  404),
    ("coaching:assign",            "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
]
# fmt: on

# Pages about one object of an organisation: these also run against the other one's object.
OBJECT_PAGES = {row[0] for row in MATRIX} - {"coaching:me", "coaching:volunteers"}

# The GET pages that show a client's data: answered 200, each leaves FileAccess rows (the
# access doors log them, core/access_log.py); every other request leaves none.
SHOWS_CLIENT_DATA = {"coaching:client", "coaching:note_edit", "coaching:suggestions"}


@dataclass
class Side:
    """One organisation's objects that the pages act on."""

    org: Organisation
    adviser: User
    volunteer: User
    spare: User  # a volunteer with a profile and room, not coaching the client
    client: Client
    trajectory: Trajectory
    note: CaseNote
    action: ActionItem


def _side(org: Organisation, adviser: User, volunteer_user: User) -> Side:
    client = client_of(org, adviser=adviser, languages=["nl"], income_monthly="1234.56")
    assign(client, volunteer_user, by=adviser)
    volunteer(org, user=volunteer_user, expertise=["finance"], max_clients=3)
    trajectory = trajectory_for(client, adviser)
    note = CaseNote.objects.create(
        organisation=org, client=client, author=adviser, text="Matrix: the adviser's note"
    )
    action = ActionItem.objects.create(
        organisation=org,
        trajectory=trajectory,
        title="Matrix: the volunteer's action",
        owner=volunteer_user,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
        created_by=adviser,
    )
    spare = volunteer(org, expertise=["marketing"], max_clients=2).user
    return Side(org, adviser, volunteer_user, spare, client, trajectory, note, action)


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
            "own": _side(world.own, world["adviser"], world["volunteer"]),
            "other": _side(world.other, world.other_adviser, other_volunteer),
        },
    )


# --- what each page needs: its URL and, for a POST, the form data -------------------------


@dataclass(frozen=True)
class Page:
    url: Callable[[Side], str]
    data: Callable[[Side, User], dict[str, Any]] = lambda side, user: {}
    # For a POST that is allowed: did the write happen (read back from the database)?
    done: Callable[[Side], bool] = lambda side: True


def _client_url(name: str, *extra: Callable[[Side], int]) -> Callable[[Side], str]:
    return lambda side: reverse(name, args=[side.client.pk, *(f(side) for f in extra)])


def _yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


PAGES: dict[tuple[str, str], Page] = {
    ("coaching:me", "GET"): Page(url=lambda s: reverse("coaching:me")),
    ("coaching:volunteers", "GET"): Page(url=lambda s: reverse("coaching:volunteers")),
    ("coaching:volunteer_profile", "GET"): Page(
        url=lambda s: reverse("coaching:volunteer_profile", args=[s.volunteer.pk])
    ),
    ("coaching:volunteer_profile", "POST"): Page(
        url=lambda s: reverse("coaching:volunteer_profile", args=[s.volunteer.pk]),
        data=lambda s, u: {"expertise": ["legal"], "languages": ["fr"], "max_clients": "5"},
        done=lambda s: (
            VolunteerProfile.objects.get(user=s.volunteer, organisation=s.org).max_clients == 5
        ),
    ),
    ("coaching:client", "GET"): Page(url=_client_url("coaching:client")),
    ("coaching:note_add", "POST"): Page(
        url=_client_url("coaching:note_add"),
        data=lambda s, u: {"note-text": "Matrix: a new note"},
        done=lambda s: s.client.case_notes.filter(text="Matrix: a new note").exists(),
    ),
    ("coaching:note_edit", "GET"): Page(url=_client_url("coaching:note_edit", lambda s: s.note.pk)),
    ("coaching:note_edit", "POST"): Page(
        url=_client_url("coaching:note_edit", lambda s: s.note.pk),
        data=lambda s, u: {"text": "Matrix: changed"},
        done=lambda s: CaseNote.objects.get(pk=s.note.pk).text == "Matrix: changed",
    ),
    ("coaching:session_log", "POST"): Page(
        url=_client_url("coaching:session_log"),
        data=lambda s, u: {
            "session-coach": str(u.pk),
            "session-on": _yesterday(),
            "session-duration_minutes": "45",
            "session-topics": ["finance"],
        },
        done=lambda s: s.client.coaching_sessions.filter(duration_minutes=45).exists(),
    ),
    ("coaching:action_add", "POST"): Page(
        url=_client_url("coaching:action_add", lambda s: s.trajectory.pk),
        data=lambda s, u: {f"plan{s.trajectory.pk}-title": "Matrix: a new action"},
        done=lambda s: s.trajectory.action_items.filter(title="Matrix: a new action").exists(),
    ),
    ("coaching:action_complete", "POST"): Page(
        url=_client_url("coaching:action_complete", lambda s: s.action.pk),
        done=lambda s: ActionItem.objects.get(pk=s.action.pk).status == ActionStatus.DONE,
    ),
    ("coaching:action_cancel", "POST"): Page(
        url=_client_url("coaching:action_cancel", lambda s: s.action.pk),
        done=lambda s: ActionItem.objects.get(pk=s.action.pk).status == ActionStatus.CANCELLED,
    ),
    ("coaching:suggestions", "GET"): Page(
        url=lambda s: reverse("coaching:suggestions", args=[s.client.pk]) + "?needs=finance"
    ),
    ("coaching:assign", "POST"): Page(
        url=_client_url("coaching:assign"),
        data=lambda s, u: {"volunteer": str(s.spare.pk)},
        done=lambda s: ClientCoach.objects.filter(client=s.client, coach=s.spare).exists(),
    ),
}

PERSONAS = personas(ROLES)


def expected_status(row: tuple, persona: str, scope: str) -> int:
    return matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)


def _cases() -> list[Any]:
    return matrix_cases(MATRIX, OBJECT_PAGES, ROLES)


WATCHED = [CaseNote, CoachingSession, ActionItem, VolunteerProfile, ClientCoach, AuditEvent]


def snapshot(sides: dict[str, Side]) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    state: dict[str, Any] = {model.__name__: model.objects.count() for model in WATCHED}
    state["FileAccess"] = FileAccess.objects.count()
    for key, side in sides.items():
        state[key] = {
            "note": CaseNote.objects.filter(pk=side.note.pk).values_list("text", "confidential")[0],
            "action": ActionItem.objects.filter(pk=side.action.pk).values_list("status")[0],
            "profiles": sorted(
                VolunteerProfile.objects.filter(organisation=side.org).values_list(
                    "user_id", "max_clients", "expertise", "languages", "active"
                )
            ),
            "coaches": sorted(side.client.coach_assignments.values_list("coach_id", flat=True)),
        }
    return state


def _user(persona: str, data: Data) -> User | None:
    if persona == ANONYMOUS:
        return None
    return data.other_admin if persona == OTHER_ORG else data.users[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), _cases())
def test_permission_matrix(row, persona, scope, data, login):
    name, method = row[0], row[1]
    page = PAGES[(name, method)]
    home = "other" if persona == OTHER_ORG else "own"
    side = data.sides[home if scope == "-" else scope]
    user = _user(persona, data)
    http = HttpClient() if user is None else login(user)
    url = page.url(side)
    expected = expected_status(row, persona, scope)

    before = snapshot(data.sides)
    if method == "GET":
        response = http.get(url)
    else:
        response = http.post(url, page.data(side, user or side.adviser))

    assert response.status_code == expected, (
        f"{persona} {method} {url}: {response.status_code}, expected {expected}"
    )
    if persona == ANONYMOUS:
        assert response["Location"].startswith("/login/?next=")
    refused = persona == ANONYMOUS or expected in (403, 404)
    if refused or method == "GET":
        after = snapshot(data.sides)
        if not refused and name in SHOWS_CLIENT_DATA:
            assert after.pop("FileAccess") > before.pop("FileAccess"), name
        assert after == before
    if method == "POST" and not refused:
        assert not response["Location"].startswith("/login/")
        assert page.done(side), f"{persona} {method} {url} answered {expected} but wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    names = {f"coaching:{p.name}" for p in coaching_urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}
    assert {(row[0], row[1]) for row in MATRIX} == set(PAGES)
    assert set(ROLES) == set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), sorted(PAGES))
def test_wrong_methods_are_refused(name, method, data, login):
    """A GET page answers no POST and a write answers no GET (405), changing nothing."""
    side = data.sides["own"]
    url = PAGES[(name, method)].url(side)
    other = "POST" if method == "GET" else "GET"
    if (name, other) in PAGES:
        return
    before = snapshot(data.sides)
    http = login(data.users[Role.ORG_ADMIN])
    response = http.post(url, {}) if other == "POST" else http.get(url)
    assert response.status_code == 405
    assert snapshot(data.sides) == before


@pytest.mark.django_db
def test_an_unassigned_volunteer_finds_nothing_of_the_client(data, login):
    side = data.sides["own"]
    ClientCoach.objects.filter(client=side.client, coach=side.volunteer).delete()
    http = login(side.volunteer)
    for (name, method), page in PAGES.items():
        if name not in OBJECT_PAGES or name == "coaching:volunteer_profile":
            continue
        url = page.url(side)
        response = (
            http.get(url) if method == "GET" else http.post(url, page.data(side, side.volunteer))
        )
        assert response.status_code == 404, (name, method)
