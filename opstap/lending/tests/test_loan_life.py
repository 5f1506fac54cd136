"""A loan from application to close, checked against hand-worked figures and the ledger."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opstap.lending import services
from opstap.lending.choices import (
    ApplicationStatus,
    LoanStatus,
    PrepaymentMode,
    TransactionKind,
    Vote,
)
from opstap.lending.closing import close_of_business
from opstap.lending.models import LoanTransaction

from .helpers import START, D, approved_loan, assert_books_balance, disbursed_loan

pytestmark = pytest.mark.django_db


def test_the_one_who_prepared_cannot_approve(world):
    loan = approved_loan(world)
    application = loan.application
    assert application.status == ApplicationStatus.APPROVED
    assert application.votes.get().member == world["committee"]


def test_maker_checker_refuses_the_preparer(world):
    from opstap.clients.tests.factories import ClientFactory

    from .helpers import make_product

    officer = world["loan_officer"]
    product = make_product(world.own, world["org_admin"])
    application = services.application_create(
        actor=officer,
        organisation=world.own,
        client=ClientFactory(organisation=world.own),
        product=product,
        amount=D("5000.00"),
        purpose="Kapper",
        number_of_repayments=24,
        expected_disbursement_date=START,
    )
    services.application_submit(
        actor=officer, application=application, assessment="ok", today=START
    )
    with pytest.raises(PermissionDenied):
        services.application_vote(actor=officer, application=application, vote=Vote.APPROVE)


def test_a_simple_loan_is_repaid_on_time_and_the_books_balance(world):
    loan = disbursed_loan(world)
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_outstanding == D("10000.00")
    assert_books_balance(loan, START)
    rows = list(loan.installments.filter(is_current=True).order_by("number"))
    assert sum(r.principal for r in rows) == D("10000.00")
    day = START
    for row in rows:
        day = row.due_date
        services.repayment_post(
            actor=world["loan_officer"],
            loan=loan,
            amount=row.total,
            on=day,
            today=day,
            idempotency_key=f"pay-{row.number}",
        )
        assert_books_balance(loan, day)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert loan.principal_outstanding == 0
    services.loan_close(actor=world["loan_officer"], loan=loan, today=day)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED


def test_same_idempotency_key_posts_once(world):
    loan = disbursed_loan(world)
    first = services.repayment_post(
        actor=world["loan_officer"],
        loan=loan,
        amount=D("100.00"),
        on=START,
        today=START,
        idempotency_key="bank-123",
    )
    again = services.repayment_post(
        actor=world["loan_officer"],
        loan=loan,
        amount=D("100.00"),
        on=START,
        today=START,
        idempotency_key="bank-123",
    )
    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    assert loan.transactions.filter(kind=TransactionKind.REPAYMENT).count() == 1
    with pytest.raises(ValidationError) as error:
        services.repayment_post(
            actor=world["loan_officer"],
            loan=loan,
            amount=D("200.00"),
            on=START,
            today=START,
            idempotency_key="bank-123",
        )
    assert error.value.error_dict["idempotency_key"][0].code == "key_reused"


def test_late_payment_reversal_replays_later_payments(world):
    loan = disbursed_loan(world)
    first_due = loan.installments.get(number=1, is_current=True)
    late = first_due.due_date + datetime.timedelta(days=40)
    close_of_business(on=late)
    loan.refresh_from_db()
    assert loan.days_past_due == 40
    assert loan.bucket == "31_60"
    a = services.repayment_post(
        actor=world["loan_officer"], loan=loan, amount=D("500.00"), on=late, today=late
    ).transaction
    b = services.repayment_post(
        actor=world["loan_officer"], loan=loan, amount=D("700.00"), on=late, today=late
    ).transaction
    b.refresh_from_db()
    assert_books_balance(loan, late)
    services.transaction_reverse(
        actor=world["loan_officer"], transaction_=a, reason="bounced", today=late
    )
    b.refresh_from_db()
    # b now pays the first instalment's interest first, as a did before.
    assert b.interest == D("100.00")
    assert_books_balance(loan, late)


def test_prepayment_reduces_term_or_installment(world):
    for mode in (PrepaymentMode.REDUCE_TERM, PrepaymentMode.REDUCE_INSTALLMENT):
        loan = disbursed_loan(world)
        rows = list(loan.installments.filter(is_current=True).order_by("number"))
        day = rows[0].due_date
        services.repayment_post(
            actor=world["loan_officer"],
            loan=loan,
            amount=rows[0].total + D("3000.00"),
            on=day,
            today=day,
            prepayment_mode=mode,
        )
        after = list(loan.installments.filter(is_current=True).order_by("number"))
        if mode == PrepaymentMode.REDUCE_TERM:
            assert len(after) < len(rows)
        else:
            assert len(after) == len(rows)
            assert after[3].total < rows[3].total
        assert sum(r.principal for r in after) == D("10000.00")
        assert_books_balance(loan, day)


def test_restructure_write_off_and_gift(world):
    loan = disbursed_loan(world)
    day = START + datetime.timedelta(days=50)
    version = services.loan_restructure(
        actor=world["loan_officer"],
        loan=loan,
        effective_from=day,
        holiday_periods=2,
        extra_repayments=3,
        today=day,
    )
    assert version.number == 2
    assert loan.versions.count() == 2
    assert_books_balance(loan, day)
    services.loan_waive(
        actor=world["loan_officer"],
        loan=loan,
        kind=TransactionKind.WAIVE_INTEREST,
        amount=D("10.00"),
        on=day,
        reason="goodwill",
        today=day,
    )
    assert_books_balance(loan, day)
    services.loan_convert_to_gift(
        actor=world["loan_officer"],
        loan=loan,
        on=day,
        reason="Bbz definitieve vaststelling",
        decision_reference="B&W 2026-114",
        today=day,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CONVERTED_TO_GIFT
    assert loan.principal_outstanding == 0
    assert_books_balance(loan, day)
    gift = LoanTransaction.objects.get(loan=loan, kind=TransactionKind.CONVERT_TO_GIFT)
    assert gift.amount > D("9000")
