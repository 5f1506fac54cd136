"""The permission matrix: every page of the app × every role × own / other organisation.

The rules under test (from the issue): a volunteer coach sees only the clients assigned to
them, and never income, benefit or loan data; an auditor sees no client files; members and
the audit log are for the organisation admin; what a user may not see answers 404, what they
may see but not change answers 403, and a refused write changes nothing.

`MATRIX` below is the table to check against those rules: one row per page (URL name and
method), one column per role, the answer expected for a member holding that single role when
the object belongs to their own organisation (and the client is assigned to the volunteer).
Two rules complete it:

* an object of the OTHER organisation answers 404 to every member of this one (and ours to
  every member of theirs); their own organisation admin gets the `org_admin` column;
* an anonymous visitor is sent to /login/ (302) from every page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from opstap.clients import services as client_services
from opstap.clients.models import Client, ClientCoach, ClientDocument, Consent
from opstap.clients.tests.factories import belgian_national_number, dutch_bsn
from opstap.core.identifiers import format_national_number
from opstap.core.middleware import SESSION_KEY
from opstap.core.models import AuditEvent, FileAccess, Membership, MembershipRole, Organisation
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases, personas
from opstap.core.tests.matrix import expected_status as matrix_expected_status

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 page shown · 302 write done, redirected · 403 may see, may not change · 404 not there for them
#
#  page                          method   admin adviser volunt loan  commit benef jobco progm audit
MATRIX = [
    ("dashboard",                 "GET",  200,  200,    200,   200,  200,   200,  200,  200,  200),
    ("switch_organisation",       "POST", 302,  302,    302,   302,  302,   302,  302,  302,  302),
    ("members",                   "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_add",                "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_add",                "POST", 302,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_edit",               "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_edit",               "POST", 302,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_deactivate",         "POST", 302,  404,    404,   404,  404,   404,  404,  404,  404),
    ("member_second_factor_reset", "POST", 302, 404,    404,   404,  404,   404,  404,  404,  404),
    ("audit_log",                 "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("access_log",                "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("audit_review",              "GET",  200,  404,    404,   404,  404,   404,  404,  404,  404),
    ("clients:list",              "GET",  200,  200,    200,   200,  200,   200,  200,  200,  404),
    ("clients:create",            "GET",  200,  200,    403,   403,  403,   200,  200,  403,  404),
    ("clients:create",            "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("clients:detail",            "GET",  200,  200,    200,   200,  200,   200,  200,  200,  404),
    ("clients:edit",              "GET",  200,  200,    403,   403,  403,   200,  200,  403,  404),
    ("clients:national_number",   "GET",  200,  200,    403,   200,  403,   200,  403,  403,  404),
    ("clients:edit",              "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("clients:consent_record",    "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("clients:consent_withdraw",  "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("clients:document_upload",   "POST", 302,  302,    403,   302,  403,   302,  302,  403,  404),
    # Documents (ID copies, contracts, benefit decisions) are not for volunteers at all.
    ("clients:document_download", "GET",  200,  200,    404,   200,  404,   200,  200,  404,  404),
    ("clients:coach_assign",      "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
    ("clients:coach_unassign",    "POST", 302,  302,    403,   403,  403,   302,  302,  403,  404),
]
# fmt: on

# Pages that are about one object (a client, a membership, an organisation): these also run
# against the other organisation's object. The rest are "my organisation's" pages.
OBJECT_PAGES = {
    "switch_organisation",
    "member_edit",
    "member_deactivate",
    "member_second_factor_reset",
    "clients:detail",
    "clients:edit",
    "clients:national_number",
    "clients:consent_record",
    "clients:consent_withdraw",
    "clients:document_upload",
    "clients:document_download",
    "clients:coach_assign",
    "clients:coach_unassign",
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OWN_INCOME = Decimal("1234.56")
OWN_IBAN = "BE71096123456769"
OWN_BIRTH = datetime.date(1985, 7, 30)
OWN_NUMBER = belgian_national_number(OWN_BIRTH, 33)

# The GET pages that show a client's data: answered 200, each leaves FileAccess rows (the
# access doors log them, core/access_log.py); every other request leaves none.
SHOWS_CLIENT_DATA = {
    "clients:detail",
    "clients:document_download",
    "clients:edit",
    "clients:national_number",
}


@dataclass
class Side:
    """One organisation's objects that the pages act on."""

    org: Organisation
    adviser: Any
    volunteer: Any
    client: Client
    consent: Consent
    document: ClientDocument
    assignment: ClientCoach
    target: Membership  # a member the admin pages act on (not the last admin)
    spare_volunteer: Any  # a volunteer not yet coaching the client


def _side(org, adviser, volunteer, *, client_data: dict[str, Any]) -> Side:
    client = client_services.client_create(
        actor=adviser, organisation=org, data={**client_data, "adviser": adviser}
    )
    consent = client_services.consent_record(
        actor=adviser,
        client=client,
        purpose="case_management",
        given_on=timezone.localdate() - datetime.timedelta(days=10),
        text_version="2026-01",
    )
    document = client_services.document_add(
        actor=adviser,
        client=client,
        kind="id_copy",
        upload=SimpleUploadedFile("identiteitskaart.pdf", PDF, "application/pdf"),
    )
    assignment = client_services.coach_assign(actor=adviser, client=client, coach=volunteer)
    target_user = member(org, Role.ADVISER, email=f"target@{org.slug}.example")
    spare = member(org, Role.VOLUNTEER, email=f"spare-volunteer@{org.slug}.example")
    return Side(
        org=org,
        adviser=adviser,
        volunteer=volunteer,
        client=client,
        consent=consent,
        document=document,
        assignment=assignment,
        target=Membership.objects.get(user=target_user, organisation=org),
        spare_volunteer=spare,
    )


@dataclass
class Data:
    """The `world` of conftest.py (one user per role in `own`, two users in `other`) plus, for
    each organisation, the objects the pages act on. Built once per module and committed;
    every test runs in a transaction that is rolled back, so each starts from this state."""

    own: Organisation
    other: Organisation
    users: dict[str, Any]
    other_admin: Any
    sides: dict[str, Side]

    def __getitem__(self, role: str) -> Any:
        return self.users[role]


def _build() -> Data:
    own = OrganisationFactory(slug="own", name="Microkrediet Brussel", country="BE")
    other = OrganisationFactory(
        slug="other", name="Gemeente Emmerveen", country="NL", kind="municipality"
    )
    users = {role: member(own, role, email=f"{role}@own.example") for role in Role.values}
    other_admin = member(other, Role.ORG_ADMIN, email="admin@other.example")
    other_adviser = member(other, Role.ADVISER, email="adviser@other.example")
    own_side = _side(
        own,
        users[Role.ADVISER],
        users[Role.VOLUNTEER],
        client_data={
            "first_name": "Amina",
            "last_name": "Haddou",
            "birth_date": OWN_BIRTH,
            "gender": "woman",
            "national_number": OWN_NUMBER,
            "postcode": "1080",
            "income_source": "social_assistance",
            "income_monthly": OWN_INCOME,
            "iban": OWN_IBAN,
        },
    )
    other_side = _side(
        other,
        other_adviser,
        member(other, Role.VOLUNTEER, email="volunteer@other.example"),
        client_data={
            "first_name": "Bram",
            "last_name": "de Vries",
            "birth_date": datetime.date(1979, 3, 2),
            "gender": "man",
            "national_number": dutch_bsn(7),
            "postcode": "1012 AB",
            "income_source": "unemployment_benefit",
            "income_monthly": Decimal("987.65"),
            "iban": "NL91ABNA0417164300",
        },
    )
    return Data(
        own=own,
        other=other,
        users=users,
        other_admin=other_admin,
        sides={"own": own_side, "other": other_side},
    )


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker, tmp_path_factory):
    storage = tmp_path_factory.mktemp("matrix-documents")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            LANGUAGE_CODE="en",
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(storage)},
                },
            },
        ),
    ):
        yield _build()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def data(_shared, db) -> Data:
    # The documents' files live in each test's own storage (conftest.py points it at tmp_path).
    for side in _shared.sides.values():
        name = side.document.file.name
        assert default_storage.save(name, ContentFile(PDF)) == name
    return _shared


@pytest.fixture
def sides(data) -> dict[str, Side]:
    return data.sides


# --- what each page needs: its URL and, for a POST, the form data -------------------------


def _edit_data(side: Side) -> dict[str, Any]:
    client = side.client
    return {
        "first_name": "Gewijzigd",
        "last_name": client.last_name,
        "birth_date": client.birth_date.isoformat(),
        "gender": client.gender,
        "national_number": client.national_number,
        "postcode": client.postcode,
        "income_source": client.income_source,
        "income_monthly": str(client.income_monthly),
        "iban": client.iban,
        "adviser": str(side.adviser.pk),
    }


def _consent_data(side: Side) -> dict[str, Any]:
    given = timezone.localdate() - datetime.timedelta(days=1)
    return {
        "purpose": "research",
        "legal_basis": "consent",
        "given_on": given.isoformat(),
        "text_version": "2026-02",
    }


def _upload_data(side: Side) -> dict[str, Any]:
    return {"kind": "plan", "file": SimpleUploadedFile("plan.pdf", PDF, "application/pdf")}


@dataclass(frozen=True)
class Page:
    url: Callable[[Side], str]
    data: Callable[[Side], dict[str, Any]] = lambda side: {}
    # For a POST that is allowed: did the write happen (read back from the database)?
    done: Callable[[Side], bool] = lambda side: True


def _client_url(name: str, *extra: Callable[[Side], int]) -> Callable[[Side], str]:
    return lambda side: reverse(name, args=[side.client.pk, *(f(side) for f in extra)])


PAGES: dict[tuple[str, str], Page] = {
    ("dashboard", "GET"): Page(url=lambda s: reverse("dashboard")),
    ("switch_organisation", "POST"): Page(
        url=lambda s: reverse("switch_organisation"),
        data=lambda s: {"organisation": str(s.org.pk)},
    ),
    ("members", "GET"): Page(url=lambda s: reverse("members")),
    ("member_add", "GET"): Page(url=lambda s: reverse("member_add")),
    ("member_add", "POST"): Page(
        url=lambda s: reverse("member_add"),
        data=lambda s: {
            "email": "new.person@example.org",
            "first_name": "Nieuw",
            "last_name": "Lid",
            "roles": [Role.ADVISER],
        },
        done=lambda s: Membership.objects.filter(
            organisation=s.org, user__email="new.person@example.org"
        ).exists(),
    ),
    ("member_edit", "GET"): Page(url=lambda s: reverse("member_edit", args=[s.target.pk])),
    ("member_edit", "POST"): Page(
        url=lambda s: reverse("member_edit", args=[s.target.pk]),
        data=lambda s: {"roles": [Role.ADVISER, Role.LOAN_OFFICER]},
        done=lambda s: (
            set(s.target.role_grants.values_list("role", flat=True))
            == {Role.ADVISER, Role.LOAN_OFFICER}
        ),
    ),
    ("member_deactivate", "POST"): Page(
        url=lambda s: reverse("member_deactivate", args=[s.target.pk]),
        done=lambda s: not Membership.objects.get(pk=s.target.pk).is_active,
    ),
    ("member_second_factor_reset", "POST"): Page(
        url=lambda s: reverse("member_second_factor_reset", args=[s.target.pk]),
        done=lambda s: AuditEvent.objects.filter(
            action="member.second_factor_reset", object_id=str(s.target.pk)
        ).exists(),
    ),
    ("audit_log", "GET"): Page(url=lambda s: reverse("audit_log")),
    ("access_log", "GET"): Page(url=lambda s: reverse("access_log")),
    ("audit_review", "GET"): Page(url=lambda s: reverse("audit_review")),
    ("clients:list", "GET"): Page(url=lambda s: reverse("clients:list")),
    ("clients:create", "GET"): Page(url=lambda s: reverse("clients:create")),
    ("clients:create", "POST"): Page(
        url=lambda s: reverse("clients:create"),
        data=lambda s: {
            "first_name": "Nieuwe",
            "last_name": "Klant",
            "birth_date": "1990-05-05",
            "gender": "woman",
        },
        done=lambda s: Client.objects.filter(organisation=s.org, last_name="Klant").exists(),
    ),
    ("clients:detail", "GET"): Page(url=_client_url("clients:detail")),
    ("clients:edit", "GET"): Page(url=_client_url("clients:edit")),
    ("clients:national_number", "GET"): Page(url=_client_url("clients:national_number")),
    ("clients:edit", "POST"): Page(
        url=_client_url("clients:edit"),
        data=_edit_data,
        done=lambda s: Client.objects.get(pk=s.client.pk).first_name == "Gewijzigd",
    ),
    ("clients:consent_record", "POST"): Page(
        url=_client_url("clients:consent_record"),
        data=_consent_data,
        done=lambda s: s.client.consents.filter(purpose="research").exists(),
    ),
    ("clients:consent_withdraw", "POST"): Page(
        url=_client_url("clients:consent_withdraw", lambda s: s.consent.pk),
        done=lambda s: Consent.objects.get(pk=s.consent.pk).withdrawn_on is not None,
    ),
    ("clients:document_upload", "POST"): Page(
        url=_client_url("clients:document_upload"),
        data=_upload_data,
        done=lambda s: s.client.documents.filter(original_name="plan.pdf").exists(),
    ),
    ("clients:document_download", "GET"): Page(
        url=_client_url("clients:document_download", lambda s: s.document.pk)
    ),
    ("clients:coach_assign", "POST"): Page(
        url=_client_url("clients:coach_assign"),
        data=lambda s: {"coach": str(s.spare_volunteer.pk)},
        done=lambda s: s.client.coach_assignments.filter(coach=s.spare_volunteer).exists(),
    ),
    ("clients:coach_unassign", "POST"): Page(
        url=_client_url("clients:coach_unassign", lambda s: s.assignment.pk),
        done=lambda s: not ClientCoach.objects.filter(pk=s.assignment.pk).exists(),
    ),
}

PERSONAS = personas(ROLES)


def expected_status(row: tuple, persona: str, scope: str) -> int:
    return matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)


def _cases() -> list[Any]:
    return matrix_cases(MATRIX, OBJECT_PAGES, ROLES)


WATCHED = [
    Client,
    Consent,
    ClientDocument,
    ClientCoach,
    Membership,
    MembershipRole,
    AuditEvent,
    FileAccess,
]


def snapshot(sides: dict[str, Side]) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    state: dict[str, Any] = {model.__name__: model.objects.count() for model in WATCHED}
    for key, side in sides.items():
        client = Client.objects.get(pk=side.client.pk)
        target = Membership.objects.get(pk=side.target.pk)
        state[key] = {
            "client": (
                client.first_name,
                client.national_number_hash,
                client.iban_encrypted,
                client.income_monthly,
                client.updated_at,
            ),
            "consent_withdrawn_on": Consent.objects.get(pk=side.consent.pk).withdrawn_on,
            "assignment": ClientCoach.objects.filter(pk=side.assignment.pk).exists(),
            "target": (target.is_active, sorted(target.role_grants.values_list("role", flat=True))),
            "documents": sorted(side.client.documents.values_list("pk", flat=True)),
        }
    return state


def _http(persona: str, data, login) -> HttpClient:
    if persona == ANONYMOUS:
        return HttpClient()
    if persona == OTHER_ORG:
        return login(data.other_admin)
    return login(data[persona])


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), _cases())
def test_permission_matrix(row, persona, scope, data, sides, login):
    name, method = row[0], row[1]
    page = PAGES[(name, method)]
    home = "other" if persona == OTHER_ORG else "own"
    side = sides[home if scope == "-" else scope]
    http = _http(persona, data, login)
    url = page.url(side)
    expected = expected_status(row, persona, scope)

    before = snapshot(sides)
    response = http.get(url) if method == "GET" else http.post(url, page.data(side))

    assert response.status_code == expected, (
        f"{persona} {method} {url}: {response.status_code}, expected {expected}"
    )
    if persona == ANONYMOUS:
        assert response["Location"].startswith("/login/?next=")
    refused = persona == ANONYMOUS or expected in (403, 404)
    if refused or method == "GET":
        after = snapshot(sides)
        if not refused and name in SHOWS_CLIENT_DATA:
            assert after.pop("FileAccess") == before.pop("FileAccess") + 1, name
        assert after == before
    if method == "POST" and not refused:
        assert not response["Location"].startswith("/login/")
        assert page.done(side), f"{persona} {method} {url} answered {expected} but wrote nothing"
    if name == "switch_organisation":
        chosen = http.session.get(SESSION_KEY)
        assert chosen == (side.org.pk if expected == 302 and persona != ANONYMOUS else None)


def test_matrix_covers_every_url_of_the_app():
    """A new URL without a row in the matrix fails here (login, password reset, i18n and
    admin are Django's own and tested elsewhere)."""
    from opstap.clients import urls as client_urls
    from opstap.core import urls as core_urls

    skipped = {
        "login",
        "logout",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        # One's own account and sign-in steps, the same for every role: test_signin.py.
        "two_factor_verify",
        "account",
        "two_factor_setup",
        "recovery_codes_renew",
        "password_change",
        "reauthenticate",
        "session_keepalive",
    }
    names = {p.name for p in core_urls.urlpatterns} - skipped
    names |= {f"clients:{p.name}" for p in client_urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}
    assert {(row[0], row[1]) for row in MATRIX} == set(PAGES)
    assert set(ROLES) == set(Role.values)


# --- the admin site --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [ANONYMOUS, *ROLES])
def test_admin_site_refuses_everyone_who_is_not_staff(persona, data, login):
    http = HttpClient() if persona == ANONYMOUS else login(data[persona])
    response = http.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert http.get("/admin/clients/client/").status_code == 302


# --- the volunteer: assigned clients only ------------------------------------------------


def _listed(http: HttpClient, query: str = "") -> list[str]:
    """Last names on the first page of the client list (for this search)."""
    response = http.get(reverse("clients:list"), {"q": query} if query else {})
    assert response.status_code == 200
    return [client.last_name for client in response.context["page"].object_list]


@pytest.fixture
def unassigned(data) -> Client:
    return client_services.client_create(
        actor=data["adviser"],
        organisation=data.own,
        data={
            "first_name": "Niet",
            "last_name": "Toegewezen",
            "birth_date": datetime.date(1990, 1, 2),
            "gender": "man",
            "adviser": data["adviser"],
        },
    )


@pytest.mark.django_db
def test_volunteer_sees_assigned_client_but_not_an_unassigned_one(data, sides, unassigned, login):
    http = login(data["volunteer"])
    assert http.get(reverse("clients:detail", args=[sides["own"].client.pk])).status_code == 200
    assert http.get(reverse("clients:detail", args=[unassigned.pk])).status_code == 404

    assert _listed(http) == ["Haddou"]
    assert _listed(http, "Toegewezen") == []
    assert "Toegewezen" not in http.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("clients:detail", "GET"),
        ("clients:edit", "GET"),
        ("clients:edit", "POST"),
        ("clients:consent_record", "POST"),
        ("clients:document_upload", "POST"),
        ("clients:coach_assign", "POST"),
    ],
)
def test_every_page_of_an_unassigned_client_answers_404_to_the_volunteer(
    name, method, data, sides, unassigned, login
):
    http = login(data["volunteer"])
    url = reverse(name, args=[unassigned.pk])
    before = snapshot(sides), Client.objects.get(pk=unassigned.pk).updated_at
    response = http.get(url) if method == "GET" else http.post(url, {"first_name": "X"})
    assert response.status_code == 404
    assert (snapshot(sides), Client.objects.get(pk=unassigned.pk).updated_at) == before


# --- what each role sees of a file it may open -------------------------------------------


def _secrets_on(page: str) -> dict[str, bool]:
    formatted_number = format_national_number(OWN_NUMBER, "BE")
    return {
        "income": any(s in page for s in ("1234.56", "1234,56", "1.234,56", "1,234.56")),
        "iban": OWN_IBAN in page or "BE71 0961 2345 6769" in page,
        "national number": OWN_NUMBER in page or formatted_number in page,
        "national number, last digits": 'data-testid="national-number"' in page,
    }


@pytest.mark.django_db
def test_adviser_sees_income_iban_and_national_number(data, sides, login):
    # The control for the tests below: the secrets are on the page when the role may see them;
    # the full national number only when asked for ("Show in full").
    http = login(data["adviser"])
    page = http.get(reverse("clients:detail", args=[sides["own"].client.pk])).content.decode()
    secrets = _secrets_on(page)
    assert not secrets.pop("national number")
    assert all(secrets.values())
    shown = http.get(reverse("clients:national_number", args=[sides["own"].client.pk]))
    assert _secrets_on(shown.content.decode())["national number"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.JOB_COACH])
def test_volunteer_and_job_coach_never_see_income_iban_or_national_number(role, data, sides, login):
    page = login(data[role]).get(reverse("clients:detail", args=[sides["own"].client.pk]))
    assert page.status_code == 200
    assert "Haddou" in page.content.decode()
    assert not any(_secrets_on(page.content.decode()).values()), _secrets_on(page.content.decode())


@pytest.mark.django_db
def test_committee_sees_income_and_only_a_masked_national_number(data, sides, login):
    page = login(data["committee"]).get(reverse("clients:detail", args=[sides["own"].client.pk]))
    html = page.content.decode()
    assert _secrets_on(html)["income"]
    assert not _secrets_on(html)["national number"]
    assert "•" * 8 + OWN_NUMBER[-3:] in html


@pytest.mark.django_db
def test_job_coach_edits_without_seeing_or_erasing_the_financial_fields(data, sides, login):
    side = sides["own"]
    http = login(data["job_coach"])
    form = http.get(reverse("clients:edit", args=[side.client.pk])).content.decode()
    assert not any(_secrets_on(form).values())
    for field in ("national_number", "income_monthly", "income_source", "iban"):
        assert f'name="{field}"' not in form

    response = http.post(
        reverse("clients:edit", args=[side.client.pk]),
        {
            "first_name": "Amina",
            "last_name": "Haddou-El",
            "birth_date": OWN_BIRTH.isoformat(),
            "gender": "woman",
            "postcode": "1080",
            "adviser": str(side.adviser.pk),
            # A hand-made POST with fields the form does not have must not change them either.
            "national_number": "",
            "iban": "",
            "income_monthly": "1",
            "income_source": "",
        },
    )
    assert response.status_code == 302
    client = Client.objects.get(pk=side.client.pk)
    assert client.last_name == "Haddou-El"
    assert client.national_number == OWN_NUMBER
    assert client.iban == OWN_IBAN
    assert client.income_monthly == OWN_INCOME
    assert client.income_source == "social_assistance"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER, Role.JOB_COACH, Role.ORG_ADMIN])
def test_the_other_organisations_client_is_never_listed_or_found(role, data, sides, login):
    http = login(data[role])
    assert _listed(http) == ["Haddou"]
    for query in ("de Vries", "Bram", "1012", sides["other"].client.national_number):
        assert _listed(http, query) == []
    assert "Vries" not in http.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_other_organisations_admin_does_not_see_our_members_or_log(data, sides, login):
    http = login(data.other_admin)
    assert "target@own.example" not in http.get(reverse("members")).content.decode()
    log = http.get(reverse("audit_log")).content.decode()
    assert "Haddou" not in log
    assert "Bram de Vries" in log  # their own client's creation is in their log


@pytest.mark.django_db
def test_a_deactivated_member_loses_access_at_once(data, sides, login):
    http = login(data["adviser"])
    url = reverse("clients:detail", args=[sides["own"].client.pk])
    assert http.get(url).status_code == 200
    membership = Membership.objects.get(user=data["adviser"], organisation=data.own)
    from opstap.core import services as core_services

    core_services.member_deactivate(actor=data["org_admin"], membership=membership)
    assert http.get(url).status_code == 404
    assert http.get(reverse("clients:list")).status_code == 404


@pytest.mark.django_db
def test_unassigned_volunteer_no_longer_sees_the_client_on_the_dashboard(data, sides, login):
    side = sides["own"]
    http = login(data["volunteer"])
    assert http.get(reverse("clients:detail", args=[side.client.pk])).status_code == 200
    client_services.coach_unassign(actor=data["adviser"], assignment=side.assignment)
    assert http.get(reverse("clients:detail", args=[side.client.pk])).status_code == 404
    assert "Haddou" not in http.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_volunteer_does_not_read_document_names_in_the_timeline(data, sides, login):
    page = login(data["volunteer"]).get(reverse("clients:detail", args=[sides["own"].client.pk]))
    assert page.status_code == 200
    assert "identiteitskaart.pdf" not in page.content.decode()
