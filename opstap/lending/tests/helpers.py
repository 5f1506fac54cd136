"""Building products and loans for the lending tests, always through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.models import Organisation, User
from opstap.lending import services
from opstap.lending.choices import Vote
from opstap.lending.models import JournalLine, Loan, LoanProduct

D = Decimal
START = datetime.date(2026, 1, 15)
TEN_THOUSAND = D("10000.00")


def make_product(
    organisation: Organisation, actor: User, settings: dict[str, Any] | None = None, **fields: Any
) -> LoanProduct:
    values: dict[str, Any] = {
        "name": "Startlening",
        "valid_from": datetime.date(2025, 1, 1),
        "min_amount": D("500.00"),
        "max_amount": D("25000.00"),
        "min_rate": D("0"),
        "max_rate": D("15"),
        "default_rate": D("12"),
        "min_repayments": 3,
        "max_repayments": 60,
        "schedule_settings": settings
        if settings is not None
        else {"installment_multiple_of": "0.01"},
        "may_convert_to_gift": True,
    }
    values.update(fields)
    return services.loan_product_save(actor=actor, organisation=organisation, **values)


def approved_loan(
    world,
    *,
    amount: D = TEN_THOUSAND,
    repayments: int = 12,
    rate: D | None = None,
    product: LoanProduct | None = None,
    on: datetime.date = START,
    client=None,
) -> Loan:
    officer, committee = world["loan_officer"], world["committee"]
    for user in (officer, committee, world["org_admin"]):
        activate(user, world.own)
    product = product or make_product(world.own, world["org_admin"])
    client = client or ClientFactory(organisation=world.own)
    application = services.application_create(
        actor=officer,
        organisation=world.own,
        client=client,
        product=product,
        amount=amount,
        purpose="Foodtruck: keuken en eerste voorraad",
        number_of_repayments=repayments,
        interest_rate=rate,
        expected_disbursement_date=on,
    )
    services.application_submit(
        actor=officer,
        application=application,
        assessment="Solide plan, ervaring in horeca.",
        today=on,
    )
    services.application_vote(actor=committee, application=application, vote=Vote.APPROVE, today=on)
    return Loan.objects.get(application=application)


def disbursed_loan(world, **kwargs: Any) -> Loan:
    loan = approved_loan(world, **kwargs)
    on = kwargs.get("on", START)
    services.loan_disburse(actor=world["loan_officer"], loan=loan, on=on, today=on)
    loan.refresh_from_db()
    return loan


def assert_books_balance(loan: Loan, as_of: datetime.date) -> None:
    """Debits equal credits, the ledger equals the replay, and the loan's cached figures
    equal both."""
    loan.refresh_from_db()
    totals = JournalLine.objects.filter(loan=loan).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert (totals["d"] or 0) == (totals["c"] or 0)
    state = services.loan_state(loan)
    ledger = services.ledger_balances(loan)
    assert ledger == state.balances(as_of)
    assert loan.principal_outstanding == ledger["loan_portfolio"]
    assert loan.overpaid == -ledger["overpayment"]
