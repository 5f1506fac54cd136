"""Every page of the loan module × every role × own / other organisation.

The rules under test:

* loans exist for those who may see them (VIEW_LOANS: admin, adviser, loan officer, credit
  committee, benefits officer); volunteers, job coaches, programme managers and auditors get
  404 everywhere, except the portfolio, which those who see aggregates read as figures only;
* products are set up by MANAGE_LOAN_PRODUCTS (the admin), applications prepared by
  PREPARE_LOAN_APPLICATIONS, decided by DECIDE_LOANS, loans serviced by SERVICE_LOANS; any
  other member who sees loans gets 403 on those writes;
* maker-checker: a committee member who prepared an application gets 403 on its vote;
* an object of the other organisation answers 404 to every member of this one (and ours to
  theirs); an anonymous visitor is sent to /login/; a refused request changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.models import AuditEvent, FileAccess, Organisation
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member
from opstap.core.tests.matrix import ANONYMOUS, OTHER_ORG, matrix_cases
from opstap.core.tests.matrix import expected_status as matrix_expected_status
from opstap.lending import services
from opstap.lending.choices import ApplicationStatus, LoanStatus, Vote
from opstap.lending.models import (
    CommitteeVote,
    JournalEntry,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    ScheduleVersion,
)

from .test_views import product_post

D = Decimal
TODAY = timezone.localdate()

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 shown · 302 done, redirected · 403 may see, may not change · 404 not there for them
#  page                            method  admin adviser volunt loan commit benef jobco progm audit
MATRIX = [
    ("list",                         "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("export",                       "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("portfolio",                    "GET",  200,  200,   404,   200, 200,   200,  404,  200,  200),
    ("committee",                    "GET",  403,  403,   404,   403, 200,   403,  404,  404,  404),
    ("products",                     "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("product_create",               "GET",  200,  403,   404,   403, 403,   403,  404,  404,  404),
    ("product_create",               "POST", 302,  403,   404,   403, 403,   403,  404,  404,  404),
    ("product_preview",              "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("product_detail",               "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("product_edit",                 "GET",  200,  403,   404,   403, 403,   403,  404,  404,  404),
    ("product_edit",                 "POST", 302,  403,   404,   403, 403,   403,  404,  404,  404),
    ("applications",                 "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("application_create_pick",      "GET",  403,  200,   404,   200, 403,   200,  404,  404,  404),
    ("application_create",           "GET",  403,  200,   404,   200, 403,   200,  404,  404,  404),
    ("application_create",           "POST", 403,  302,   404,   302, 403,   302,  404,  404,  404),
    ("application_preview",          "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("application_detail",           "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("application_edit",             "GET",  403,  200,   404,   200, 403,   200,  404,  404,  404),
    ("application_edit",             "POST", 403,  302,   404,   302, 403,   302,  404,  404,  404),
    ("application_submit",           "POST", 403,  302,   404,   302, 403,   302,  404,  404,  404),
    ("application_withdraw",         "POST", 403,  302,   404,   302, 403,   302,  404,  404,  404),
    ("application_vote",             "POST", 403,  403,   404,   403, 302,   403,  404,  404,  404),
    # Maker-checker: the committee member who prepared this one may not decide on it.
    ("application_vote_own",         "POST", 403,  403,   404,   403, 403,   403,  404,  404,  404),
    ("detail",                       "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("contract",                     "GET",  200,  200,   404,   200, 200,   200,  404,  404,  404),
    ("disburse",                     "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("disburse",                     "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("repay",                        "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("repay",                        "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("waive",                        "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("waive",                        "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("restructure",                  "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("restructure",                  "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("write_off",                    "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("write_off",                    "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("convert_to_gift",              "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("convert_to_gift",              "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("close",                        "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
    ("reverse",                      "GET",  403,  403,   404,   200, 403,   200,  404,  404,  404),
    ("reverse",                      "POST", 403,  403,   404,   302, 403,   302,  404,  404,  404),
]
# fmt: on

# Pages about one object (a product, client, application, loan, transaction): these also run
# against the other organisation's object, which answers 404 to everyone of this one.
SEES_LOANS = {
    Role.ORG_ADMIN,
    Role.ADVISER,
    Role.LOAN_OFFICER,
    Role.COMMITTEE,
    Role.BENEFITS_OFFICER,
}

OBJECT_PAGES = {
    "product_detail",
    "product_edit",
    "application_create",
    "application_detail",
    "application_edit",
    "application_submit",
    "application_withdraw",
    "application_vote",
    "application_vote_own",
    "detail",
    "contract",
    "disburse",
    "repay",
    "waive",
    "restructure",
    "write_off",
    "convert_to_gift",
    "close",
    "reverse",
}

# The GET pages that show a client's data: answered 200, each leaves FileAccess rows (the
# access doors log them, core/access_log.py); every other request leaves none.
SHOWS_CLIENT_DATA = {
    "application_create",
    "application_detail",
    "application_edit",
    "detail",
    "contract",
    "disburse",
    "repay",
    "waive",
    "restructure",
    "write_off",
    "convert_to_gift",
    "reverse",
    "export",
}


@dataclass
class Side:
    org: Organisation
    product: LoanProduct
    client: Any
    in_preparation: LoanApplication
    in_committee: LoanApplication
    prepared_by_committee: LoanApplication
    active: Loan
    approved: Loan
    repaid: Loan
    repayment: LoanTransaction


@dataclass
class Data:
    users: dict[str, Any]
    other_admin: Any
    sides: dict[str, Side]

    def __getitem__(self, role: str) -> Any:
        return self.users[role]


def _application(org, officer, client, product, *, submit: bool) -> LoanApplication:
    application = services.application_create(
        actor=officer,
        organisation=org,
        client=client,
        product=product,
        amount=D("10000.00"),
        purpose="Bakkerij",
        number_of_repayments=12,
        expected_disbursement_date=TODAY - datetime.timedelta(days=45),
    )
    if submit:
        services.application_submit(actor=officer, application=application, assessment="Goed.")
    return application


TEN_THOUSAND = D("10000.00")


def _loan(org, officer, committee, client, product, *, amount=TEN_THOUSAND, repayments=12):
    on = TODAY - datetime.timedelta(days=45)
    application = services.application_create(
        actor=officer,
        organisation=org,
        client=client,
        product=product,
        amount=amount,
        purpose="Bakkerij",
        number_of_repayments=repayments,
        expected_disbursement_date=on,
    )
    services.application_submit(actor=officer, application=application, assessment="Goed.")
    services.application_vote(actor=committee, application=application, vote=Vote.APPROVE)
    return Loan.objects.get(application=application)


def _side(org: Organisation, admin, officer, committee) -> Side:
    for user in (admin, officer, committee):
        activate(user, org)
    product = services.loan_product_save(
        actor=admin,
        organisation=org,
        name="Startlening",
        valid_from=datetime.date(2025, 1, 1),
        min_amount=D("500.00"),
        max_amount=D("25000.00"),
        min_rate=D("0"),
        max_rate=D("15"),
        default_rate=D("12"),
        min_repayments=3,
        max_repayments=60,
        schedule_settings={"installment_multiple_of": "0.01"},
        may_convert_to_gift=True,
    )
    client = ClientFactory(organisation=org, first_name="Samira", last_name=f"Benali {org.slug}")
    on = TODAY - datetime.timedelta(days=45)
    active = _loan(org, officer, committee, client, product)
    services.loan_disburse(actor=officer, loan=active, on=on, today=on)
    repayment = services.repayment_post(
        actor=officer,
        loan=active,
        amount=D("10.00"),
        on=TODAY - datetime.timedelta(days=1),
        idempotency_key="matrix-1",
    ).transaction
    repaid = _loan(org, officer, committee, client, product, amount=D("600.00"), repayments=3)
    services.loan_disburse(actor=officer, loan=repaid, on=on, today=on)
    total = sum(row.total for row in repaid.installments.filter(is_current=True))
    services.repayment_post(actor=officer, loan=repaid, amount=total, on=TODAY)
    repaid.refresh_from_db()
    assert repaid.status == LoanStatus.REPAID
    return Side(
        org=org,
        product=product,
        client=client,
        in_preparation=_application(org, officer, client, product, submit=False),
        in_committee=_application(org, officer, client, product, submit=True),
        prepared_by_committee=_application(org, committee, client, product, submit=True),
        active=active,
        approved=_loan(org, officer, committee, client, product),
        repaid=repaid,
        repayment=repayment,
    )


def _build() -> Data:
    own = OrganisationFactory(slug="own", name="Microkrediet Brussel", country="BE")
    other = OrganisationFactory(slug="other", name="Gemeente Emmerveen", country="NL")
    users = {role: member(own, role, email=f"{role}@own.example") for role in Role.values}
    other_admin = member(other, Role.ORG_ADMIN, email="admin@other.example")
    return Data(
        users=users,
        other_admin=other_admin,
        sides={
            "own": _side(
                own, users[Role.ORG_ADMIN], users[Role.LOAN_OFFICER], users[Role.COMMITTEE]
            ),
            "other": _side(
                other,
                other_admin,
                member(other, Role.LOAN_OFFICER, email="officer@other.example"),
                member(other, Role.COMMITTEE, email="committee@other.example"),
            ),
        },
    )


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], LANGUAGE_CODE="en"
        ),
    ):
        yield _build()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def data(_shared, db) -> Data:
    return _shared


@dataclass(frozen=True)
class Page:
    url: Callable[[Side], str]
    data: Callable[[Side], dict[str, Any]] = lambda side: {}
    done: Callable[[Side], bool] = lambda side: True


def _loan_page(name: str, loan: Callable[[Side], Loan] = lambda s: s.active) -> Callable:
    return lambda s: reverse(f"lending:{name}", args=[loan(s).pk])


def _app_page(name: str, application: Callable[[Side], LoanApplication]) -> Callable:
    return lambda s: reverse(f"lending:{name}", args=[application(s).pk])


def _status(model, obj) -> str:
    return model.objects.get(pk=obj.pk).status


def _application_data(side: Side) -> dict[str, Any]:
    return {
        "product": side.product.pk,
        "amount": "4321",
        "purpose": "Matrix",
        "number_of_repayments": "12",
        "interest_rate": "",
        "expected_disbursement_date": TODAY.isoformat(),
    }


def _end_data(side: Side) -> dict[str, Any]:
    return {"date": TODAY.isoformat(), "reason": "Matrix", "decision_reference": "KC-1"}


PAGES: dict[tuple[str, str], Page] = {
    ("list", "GET"): Page(url=lambda s: reverse("lending:list")),
    ("export", "GET"): Page(url=lambda s: reverse("lending:export")),
    ("portfolio", "GET"): Page(url=lambda s: reverse("lending:portfolio")),
    ("committee", "GET"): Page(url=lambda s: reverse("lending:committee")),
    ("products", "GET"): Page(url=lambda s: reverse("lending:products")),
    ("product_create", "GET"): Page(url=lambda s: reverse("lending:product_create")),
    ("product_create", "POST"): Page(
        url=lambda s: reverse("lending:product_create"),
        data=lambda s: product_post(name="Matrixproduct"),
        done=lambda s: LoanProduct.objects.filter(
            name="Matrixproduct", organisation=s.org
        ).exists(),
    ),
    ("product_preview", "GET"): Page(
        url=lambda s: reverse("lending:product_preview") + "?sample_amount=1000"
    ),
    ("product_detail", "GET"): Page(
        url=lambda s: reverse("lending:product_detail", args=[s.product.pk])
    ),
    ("product_edit", "GET"): Page(
        url=lambda s: reverse("lending:product_edit", args=[s.product.pk])
    ),
    ("product_edit", "POST"): Page(
        url=lambda s: reverse("lending:product_edit", args=[s.product.pk]),
        data=lambda s: product_post(name="Gewijzigd"),
        done=lambda s: LoanProduct.objects.get(pk=s.product.pk).name == "Gewijzigd",
    ),
    ("applications", "GET"): Page(url=lambda s: reverse("lending:applications")),
    ("application_create_pick", "GET"): Page(
        url=lambda s: reverse("lending:application_create") + "?q=Benali"
    ),
    ("application_create", "GET"): Page(
        url=lambda s: reverse("lending:application_create") + f"?client={s.client.pk}"
    ),
    ("application_create", "POST"): Page(
        url=lambda s: reverse("lending:application_create") + f"?client={s.client.pk}",
        data=_application_data,
        done=lambda s: LoanApplication.objects.filter(client=s.client, purpose="Matrix").exists(),
    ),
    ("application_preview", "GET"): Page(
        url=lambda s: reverse("lending:application_preview") + "?amount=1000"
    ),
    ("application_detail", "GET"): Page(
        url=_app_page("application_detail", lambda s: s.in_committee)
    ),
    ("application_edit", "GET"): Page(
        url=_app_page("application_edit", lambda s: s.in_preparation)
    ),
    ("application_edit", "POST"): Page(
        url=_app_page("application_edit", lambda s: s.in_preparation),
        data=_application_data,
        done=lambda s: LoanApplication.objects.get(pk=s.in_preparation.pk).purpose == "Matrix",
    ),
    ("application_submit", "POST"): Page(
        url=_app_page("application_submit", lambda s: s.in_preparation),
        data=lambda s: {"assessment": "Matrix"},
        done=lambda s: _status(LoanApplication, s.in_preparation) == ApplicationStatus.IN_COMMITTEE,
    ),
    ("application_withdraw", "POST"): Page(
        url=_app_page("application_withdraw", lambda s: s.in_committee),
        done=lambda s: _status(LoanApplication, s.in_committee) == ApplicationStatus.WITHDRAWN,
    ),
    ("application_vote", "POST"): Page(
        url=_app_page("application_vote", lambda s: s.in_committee),
        data=lambda s: {f"vote-{s.in_committee.pk}-vote": "approve"},
        done=lambda s: CommitteeVote.objects.filter(application=s.in_committee).exists(),
    ),
    ("application_vote_own", "POST"): Page(
        url=_app_page("application_vote", lambda s: s.prepared_by_committee),
        data=lambda s: {f"vote-{s.prepared_by_committee.pk}-vote": "approve"},
    ),
    ("detail", "GET"): Page(url=_loan_page("detail")),
    ("contract", "GET"): Page(url=_loan_page("contract")),
    ("disburse", "GET"): Page(url=_loan_page("disburse", lambda s: s.approved)),
    ("disburse", "POST"): Page(
        url=_loan_page("disburse", lambda s: s.approved),
        data=lambda s: {"date": TODAY.isoformat(), "amount": ""},
        done=lambda s: _status(Loan, s.approved) == LoanStatus.ACTIVE,
    ),
    ("repay", "GET"): Page(url=_loan_page("repay")),
    ("repay", "POST"): Page(
        url=_loan_page("repay"),
        data=lambda s: {
            "amount": "20.00",
            "date": TODAY.isoformat(),
            "channel": "cash",
            "reference": "MATRIX",
            "prepayment_mode": "reduce_term",
            "idempotency_key": "matrix-2",
        },
        done=lambda s: s.active.transactions.filter(reference="MATRIX").exists(),
    ),
    ("waive", "GET"): Page(url=_loan_page("waive")),
    ("waive", "POST"): Page(
        url=_loan_page("waive"),
        data=lambda s: {
            "kind": "waive_interest",
            "amount": "1.00",
            "date": TODAY.isoformat(),
            "reason": "Matrix",
        },
        done=lambda s: s.active.transactions.filter(kind="waive_interest").exists(),
    ),
    ("restructure", "GET"): Page(url=_loan_page("restructure")),
    ("restructure", "POST"): Page(
        url=_loan_page("restructure"),
        data=lambda s: {
            "effective_from": TODAY.isoformat(),
            "holiday_periods": "1",
            "extra_repayments": "0",
            "new_interest_rate": "",
            "grace_on_principal": "0",
        },
        done=lambda s: s.active.versions.count() == 2,
    ),
    ("write_off", "GET"): Page(url=_loan_page("write_off")),
    ("write_off", "POST"): Page(
        url=_loan_page("write_off"),
        data=_end_data,
        done=lambda s: _status(Loan, s.active) == LoanStatus.WRITTEN_OFF,
    ),
    ("convert_to_gift", "GET"): Page(url=_loan_page("convert_to_gift")),
    ("convert_to_gift", "POST"): Page(
        url=_loan_page("convert_to_gift"),
        data=_end_data,
        done=lambda s: _status(Loan, s.active) == LoanStatus.CONVERTED_TO_GIFT,
    ),
    ("close", "POST"): Page(
        url=_loan_page("close", lambda s: s.repaid),
        done=lambda s: _status(Loan, s.repaid) == LoanStatus.CLOSED,
    ),
    ("reverse", "GET"): Page(
        url=lambda s: reverse("lending:reverse", args=[s.active.pk, s.repayment.pk])
    ),
    ("reverse", "POST"): Page(
        url=lambda s: reverse("lending:reverse", args=[s.active.pk, s.repayment.pk]),
        data=lambda s: {"reason": "Matrix"},
        done=lambda s: LoanTransaction.objects.get(pk=s.repayment.pk).is_reversed,
    ),
}

WATCHED = [
    LoanProduct,
    LoanApplication,
    CommitteeVote,
    Loan,
    LoanTransaction,
    ScheduleVersion,
    JournalEntry,
    AuditEvent,
    FileAccess,
]


def snapshot(sides: dict[str, Side]) -> dict[str, Any]:
    state: dict[str, Any] = {model.__name__: model.objects.count() for model in WATCHED}
    for key, side in sides.items():
        state[key] = {
            "product": LoanProduct.objects.filter(pk=side.product.pk).values_list(
                "name", "default_rate", "schedule_settings"
            )[0],
            "applications": sorted(
                LoanApplication.objects.filter(client=side.client).values_list(
                    "pk", "status", "amount", "purpose", "assessment"
                )
            ),
            "loans": sorted(
                Loan.objects.filter(client=side.client).values_list(
                    "pk", "status", "principal_outstanding", "interest_due", "fees_due"
                )
            ),
            "reversed": LoanTransaction.objects.get(pk=side.repayment.pk).reversed_at,
        }
    return state


def _http(persona: str, data: Data, login) -> HttpClient:
    if persona == ANONYMOUS:
        return HttpClient()
    if persona == OTHER_ORG:
        return login(data.other_admin)
    return login(data[persona])


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "scope"), matrix_cases(MATRIX, OBJECT_PAGES, ROLES))
def test_permission_matrix(row, persona, scope, data, login):
    name, method = row[0], row[1]
    page = PAGES[(name, method)]
    home = "other" if persona == OTHER_ORG else "own"
    side = data.sides[home if scope == "-" else scope]
    http = _http(persona, data, login)
    url = page.url(side)
    expected = matrix_expected_status(row, persona, scope, roles=ROLES, object_pages=OBJECT_PAGES)

    before = snapshot(data.sides)
    response = http.get(url) if method == "GET" else http.post(url, page.data(side))

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
        assert page.done(side), f"{persona} {method} {url} answered {expected} but wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    from opstap.lending import urls

    names = {p.name for p in urls.urlpatterns}
    covered = {name.removesuffix("_pick").removesuffix("_own") for name, _ in PAGES}
    assert names == covered
    assert {(row[0], row[1]) for row in MATRIX} == set(PAGES)
    assert {row[0] for row in MATRIX} >= OBJECT_PAGES
    assert set(ROLES) == set(Role.values)


@pytest.mark.django_db
def test_volunteers_and_job_coaches_find_no_loan_page_at_all(data, login):
    """Every lending URL, whatever the method, answers 404 to them."""
    side = data.sides["own"]
    for role in (Role.VOLUNTEER, Role.JOB_COACH):
        http = login(data[role])
        for (_name, method), page in PAGES.items():
            url = page.url(side)
            response = http.get(url) if method == "GET" else http.post(url, page.data(side))
            assert response.status_code == 404, f"{role} {method} {url}"


@pytest.mark.django_db
def test_only_those_who_see_loans_get_the_loans_link(data, login):
    for role in ROLES:
        html = login(data[role]).get(reverse("dashboard")).content.decode()
        link = f'href="{reverse("lending:list")}"'
        assert (link in html) == (role in SEES_LOANS), role
