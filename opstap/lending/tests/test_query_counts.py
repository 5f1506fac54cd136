"""The hot loan pages make the same number of queries however many loans, applications,
votes, transactions and schedule versions there are (2 against 10 of each)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.core.tests.test_query_counts import assert_same, count_queries
from opstap.lending import services
from opstap.lending.choices import Vote
from opstap.lending.closing import close_of_business

from .helpers import D, disbursed_loan, make_product

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SMALL, LARGE = 2, 10

# Every page pays 4 for the request itself: the session, the user, the memberships and their
# roles (ActiveOrganisationMiddleware).
PINNED = {
    # + count, page of loans with client, product and officer, officers for the filter
    "list": 7,
    # + loan (with client, product, officer, application), versions, instalments of every
    #   version, transactions with their users, the ledger (one grouped query), the access-log
    #   row with its chain head (locked, then moved)
    "detail": 12,
    # + applications (with client, product, preparer, route), their votes with members,
    #   their documents
    "committee": 7,
    # + the figures, arrears by officer, by product, disbursements per month, worst arrears
    "portfolio": 9,
    # as above without the worst arrears (no client names for aggregates-only readers)
    "portfolio_aggregates": 8,
}


@pytest.fixture
def product(world):
    return make_product(world.own, world["org_admin"])


def add_loans(world, product, count: int) -> None:
    officers = [world["loan_officer"], world["benefits_officer"]]
    for i in range(count):
        loan = disbursed_loan(
            world,
            product=product,
            client=ClientFactory(organisation=world.own),
            amount=D("1000.00") + i,
            on=TODAY - datetime.timedelta(days=20 + 31 * (i % 5)),
        )
        loan.officer = officers[i % 2]
        loan.save(update_fields=["officer"])
    close_of_business(on=TODAY, organisation_id=world.own.pk)


def add_applications(world, product, count: int, committee_members) -> None:
    for _ in range(count):
        application = services.application_create(
            actor=world["loan_officer"],
            organisation=world.own,
            client=ClientFactory(organisation=world.own),
            product=product,
            amount=D("3000.00"),
            purpose="Winkel",
            number_of_repayments=12,
            expected_disbursement_date=TODAY,
        )
        services.application_submit(
            actor=world["loan_officer"], application=application, assessment="Goed."
        )
        for voter in committee_members:
            services.application_vote(actor=voter, application=application, vote=Vote.APPROVE)


def test_loan_list(world, login, product):
    http = login(world["loan_officer"])
    add_loans(world, product, SMALL)
    small = count_queries(http, reverse("lending:list"))
    add_loans(world, product, LARGE - SMALL)
    large = count_queries(http, reverse("lending:list"))
    assert_same(small, large, PINNED["list"])
    assert len(http.get(reverse("lending:list")).context["page"]) == LARGE


def test_loan_page(world, login, product):
    http = login(world["loan_officer"])
    loan = disbursed_loan(world, product=product, on=TODAY - datetime.timedelta(days=150))
    url = reverse("lending:detail", args=[loan.pk])
    small = count_queries(http, url)
    officer = world["loan_officer"]
    for i in range(4):
        services.repayment_post(
            actor=officer, loan=loan, amount=D("150.00"), on=TODAY, idempotency_key=f"q{i}"
        )
    services.loan_restructure(actor=officer, loan=loan, effective_from=TODAY, holiday_periods=1)
    services.loan_restructure(actor=officer, loan=loan, effective_from=TODAY, extra_repayments=2)
    large = count_queries(http, url)
    assert_same(small, large, PINNED["detail"])
    context = http.get(url).context
    assert len(context["older"]) == 2
    assert len(context["transactions"]) > 5


def test_committee_queue(world, login, product):
    product.approvals_required = 9
    product.save()
    voters = [member(world.own, Role.COMMITTEE, email=f"c{i}@own.example") for i in range(3)]
    for voter in voters:
        activate(voter, world.own)
    http = login(world["committee"])
    add_applications(world, product, SMALL, voters[:1])
    small = count_queries(http, reverse("lending:committee"))
    add_applications(world, product, LARGE - SMALL, voters)
    large = count_queries(http, reverse("lending:committee"))
    assert_same(small, large, PINNED["committee"])
    assert len(http.get(reverse("lending:committee")).context["items"]) == LARGE


@pytest.mark.parametrize(
    ("role", "pinned"),
    [(Role.LOAN_OFFICER, "portfolio"), (Role.AUDITOR, "portfolio_aggregates")],
)
def test_portfolio(world, login, product, role, pinned):
    http = login(world[role])
    add_loans(world, product, SMALL)
    small = count_queries(http, reverse("lending:portfolio"))
    add_loans(world, product, LARGE - SMALL)
    large = count_queries(http, reverse("lending:portfolio"))
    assert_same(small, large, PINNED[pinned])
    assert http.get(reverse("lending:portfolio")).context["figures"]["active"] == LARGE
