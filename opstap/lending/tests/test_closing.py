"""The close of business: days past due, buckets, PAR30, non-performing, tolerance, accruals,
snapshots per organisation, idempotence, the organisation filter and the command."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opstap.clients.tests.factories import ClientFactory
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.lending import services
from opstap.lending.choices import Bucket, LoanStatus, TransactionKind, Vote
from opstap.lending.closing import close_of_business
from opstap.lending.models import (
    JournalEntry,
    JournalLine,
    Loan,
    LoanTransaction,
    PortfolioSnapshot,
)

from .helpers import START, D, assert_books_balance, disbursed_loan, make_product

pytestmark = pytest.mark.django_db

FIRST_DUE = datetime.date(2026, 2, 15)  # of a loan disbursed on START, monthly
SECOND_DUE = datetime.date(2026, 3, 15)


def after(days: int, since: datetime.date = FIRST_DUE) -> datetime.date:
    return since + datetime.timedelta(days=days)


def pay(world, loan: Loan, amount: Decimal, on: datetime.date) -> None:
    services.repayment_post(actor=world["loan_officer"], loan=loan, amount=amount, on=on, today=on)


def instalment(loan: Loan, number: int):
    return loan.installments.get(is_current=True, number=number)


def test_days_past_due_buckets_and_non_performing_move_with_the_date(world):
    loan = disbursed_loan(world)
    expected = [
        (0, 0, Bucket.CURRENT),  # due today is not late
        (1, 1, Bucket.DAYS_1_30),
        (30, 30, Bucket.DAYS_1_30),
        (31, 31, Bucket.DAYS_31_60),
        (60, 60, Bucket.DAYS_31_60),
        (61, 61, Bucket.DAYS_61_90),
        (89, 89, Bucket.DAYS_61_90),
        (90, 90, Bucket.DAYS_61_90),
        (91, 91, Bucket.DAYS_90_PLUS),
        (200, 200, Bucket.DAYS_90_PLUS),
    ]
    for offset, days, bucket in expected:
        on = after(offset)
        close_of_business(on=on)
        loan.refresh_from_db()
        assert (loan.days_past_due, loan.bucket) == (days, bucket), offset
        assert loan.non_performing == (days >= 90), offset
        assert loan.cob_date == on
        assert loan.overdue_since == (FIRST_DUE if days else None)
        # The close of business and the replay agree on how late the loan is.
        assert services.loan_state(loan).days_past_due(on) == days
    # Overdue is everything that fell due before the date and is still open.
    state = services.loan_state(loan)
    assert loan.overdue_amount == state.overdue(after(200))


def test_non_performing_after_the_products_days(world):
    product = make_product(world.own, world["org_admin"], days_until_non_performing=30)
    loan = disbursed_loan(world, product=product)
    close_of_business(on=after(29))
    loan.refresh_from_db()
    assert not loan.non_performing
    close_of_business(on=after(30))
    loan.refresh_from_db()
    assert loan.non_performing
    # Paying what is overdue makes it current and performing again.
    on = after(31)
    pay(world, loan, loan.overdue_amount + D("500"), on)
    close_of_business(on=on)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket, loan.non_performing) == (0, Bucket.CURRENT, False)


def test_a_late_payment_moves_the_oldest_date(world):
    loan = disbursed_loan(world)
    on = after(40)
    close_of_business(on=on)
    loan.refresh_from_db()
    assert loan.days_past_due == 40
    pay(world, loan, instalment(loan, 1).total, on)  # settles instalment 1 only
    close_of_business(on=after(1, on))
    loan.refresh_from_db()
    assert loan.overdue_since == SECOND_DUE
    assert loan.days_past_due == (after(1, on) - SECOND_DUE).days


@pytest.mark.parametrize(
    ("left_open", "late"),
    [(D("0.01"), False), (D("3.00"), False), (D("5.00"), False), (D("5.01"), True)],
)
def test_arrears_tolerance(world, left_open, late):
    product = make_product(world.own, world["org_admin"], arrears_tolerance=D("5.00"))
    loan = disbursed_loan(world, product=product)
    pay(world, loan, instalment(loan, 1).total - left_open, FIRST_DUE)
    on = after(10)
    close_of_business(on=on)
    loan.refresh_from_db()
    assert loan.overdue_amount == left_open
    assert loan.days_past_due == (10 if late else 0)
    # Within the tolerance the loan is not overdue "since" anything (as the services say).
    assert loan.overdue_since == (FIRST_DUE if late else None)
    assert loan.bucket == (Bucket.DAYS_1_30 if late else Bucket.CURRENT)
    # The services apply the same rule when they refresh the loan.
    assert services.loan_state(loan).days_past_due(on, loan.arrears_tolerance) == (
        10 if late else 0
    )


def test_without_tolerance_a_cent_is_arrears(world):
    loan = disbursed_loan(world)
    pay(world, loan, instalment(loan, 1).total - D("0.01"), FIRST_DUE)
    close_of_business(on=after(10))
    loan.refresh_from_db()
    assert loan.days_past_due == 10


def _three_loans(world) -> tuple[Loan, Loan, Loan, datetime.date]:
    """On 27 March: one loan current, one 12 days late, one 40 days late."""
    product = make_product(world.own, world["org_admin"])
    current = disbursed_loan(world, product=product)
    late_12 = disbursed_loan(world, product=product, amount=D("6000.00"))
    late_40 = disbursed_loan(world, product=product, amount=D("4000.00"))
    on = after(40)
    pay(world, current, instalment(current, 1).total + instalment(current, 2).total, on)
    pay(world, late_12, instalment(late_12, 1).total, on)
    return current, late_12, late_40, on


def test_snapshot_buckets_and_par30(world):
    current, late_12, late_40, on = _three_loans(world)
    result = close_of_business(on=on)
    assert (result.loans, result.organisations) == (3, 1)
    for loan in (current, late_12, late_40):
        loan.refresh_from_db()
    assert [x.bucket for x in (current, late_12, late_40)] == [
        Bucket.CURRENT,
        Bucket.DAYS_1_30,
        Bucket.DAYS_31_60,
    ]
    assert late_12.days_past_due == 12
    snapshot = PortfolioSnapshot.objects.get(organisation=world.own, date=on)
    total = current.principal_outstanding + late_12.principal_outstanding + D("4000.00")
    assert snapshot.active_loans == 3
    assert snapshot.outstanding_principal == total
    # PAR30: principal of loans more than 30 days late over all principal outstanding.
    assert snapshot.par30_principal == late_40.principal_outstanding == D("4000.00")
    assert snapshot.par30 == D("4000.00") / total
    assert snapshot.non_performing_loans == 0
    assert snapshot.buckets == {
        Bucket.CURRENT: {"loans": 1, "principal": str(current.principal_outstanding)},
        Bucket.DAYS_1_30: {"loans": 1, "principal": str(late_12.principal_outstanding)},
        Bucket.DAYS_31_60: {"loans": 1, "principal": "4000.00"},
    }


def test_a_loan_exactly_30_days_late_is_not_in_par30(world):
    loan = disbursed_loan(world)
    close_of_business(on=after(30))
    snapshot = PortfolioSnapshot.objects.get(date=after(30))
    assert snapshot.par30_principal == 0
    close_of_business(on=after(31))
    snapshot = PortfolioSnapshot.objects.get(date=after(31))
    loan.refresh_from_db()
    assert snapshot.par30_principal == loan.principal_outstanding


def test_ended_loans_are_not_in_the_snapshot(world):
    current, late_12, late_40, on = _three_loans(world)
    services.loan_write_off(
        actor=world["loan_officer"],
        loan=late_40,
        on=on,
        reason="Faillissement",
        decision_reference="CC-9",
        today=on,
    )
    close_of_business(on=on)
    snapshot = PortfolioSnapshot.objects.get(date=on)
    assert snapshot.active_loans == 2
    assert snapshot.par30_principal == 0
    late_40.refresh_from_db()
    assert late_40.cob_date is None  # not touched


def test_running_twice_for_a_date_posts_nothing_new_and_gives_the_same_snapshot(world):
    current, late_12, late_40, on = _three_loans(world)
    close_of_business(on=on)
    first = PortfolioSnapshot.objects.get(date=on)
    counts = (JournalEntry.objects.count(), JournalLine.objects.count())
    transactions = LoanTransaction.objects.count()
    loans = list(Loan.objects.order_by("pk").values())
    again = close_of_business(on=on)
    assert again.accrued == 0
    assert (JournalEntry.objects.count(), JournalLine.objects.count()) == counts
    assert LoanTransaction.objects.count() == transactions
    assert list(Loan.objects.order_by("pk").values()) == loans
    second = PortfolioSnapshot.objects.get(date=on)
    assert PortfolioSnapshot.objects.filter(date=on).count() == 1
    fields = ("active_loans", "outstanding_principal", "par30_principal", "non_performing_loans")
    assert [getattr(second, f) for f in fields] == [getattr(first, f) for f in fields]
    assert second.buckets == first.buckets


def test_interest_falling_due_is_posted(world):
    loan = disbursed_loan(world)
    first = instalment(loan, 1)
    assert services.ledger_balances(loan)["interest_receivable"] == 0
    # The day before it falls due nothing is posted.
    result = close_of_business(on=after(-1))
    assert result.accrued == 0
    assert not loan.transactions.filter(kind=TransactionKind.ACCRUAL).exists()
    result = close_of_business(on=FIRST_DUE)
    assert result.accrued == 1
    accrual = loan.transactions.get(kind=TransactionKind.ACCRUAL)
    assert accrual.value_date == FIRST_DUE
    assert accrual.amount == first.interest + first.fees
    ledger = services.ledger_balances(loan)
    assert ledger["interest_receivable"] == first.interest
    assert ledger["interest_income"] == -first.interest
    assert_books_balance(loan, FIRST_DUE)
    # The loan's cached receivables follow (the loan page checks them against the ledger).
    loan.refresh_from_db()
    assert (loan.interest_due, loan.fees_due) == (first.interest, first.fees)
    # Between due dates there is nothing to post.
    result = close_of_business(on=after(10))
    assert result.accrued == 0
    assert loan.transactions.filter(kind=TransactionKind.ACCRUAL).count() == 1
    # Two instalments falling due between two runs are posted in one go.
    close_of_business(on=after(70))
    second, third = instalment(loan, 2), instalment(loan, 3)
    ledger = services.ledger_balances(loan)
    assert ledger["interest_receivable"] == first.interest + second.interest + third.interest
    assert_books_balance(loan, after(70))


def test_only_loans_with_something_falling_due_are_accrued(world):
    product = make_product(world.own, world["org_admin"])
    early = disbursed_loan(world, product=product)
    later = disbursed_loan(world, product=product, on=START + datetime.timedelta(days=10))
    result = close_of_business(on=FIRST_DUE)
    assert result.accrued == 1
    assert early.transactions.filter(kind=TransactionKind.ACCRUAL).exists()
    assert not later.transactions.filter(kind=TransactionKind.ACCRUAL).exists()


def test_an_instalment_paid_ahead_is_not_accrued(world):
    loan = disbursed_loan(world)
    pay(world, loan, instalment(loan, 1).total, after(-5))
    entries = JournalEntry.objects.filter(loan=loan).count()
    close_of_business(on=FIRST_DUE)
    assert JournalEntry.objects.filter(loan=loan).count() == entries
    assert_books_balance(loan, FIRST_DUE)


def test_a_close_for_an_earlier_date_never_takes_back_what_was_posted(world):
    # The loan was last posted on 20 March (a payment): interest of 15 February and
    # 15 March is recognised. A catch-up close of business for 1 March must not un-recognise
    # the interest of 15 March.
    loan = disbursed_loan(world)
    posted_on = after(33)
    pay(world, loan, D("10.00"), posted_on)
    before = services.ledger_balances(loan)
    close_of_business(on=after(14))
    assert services.ledger_balances(loan) == before
    assert not loan.transactions.filter(kind=TransactionKind.ACCRUAL, amount__lt=0).exists()
    assert_books_balance(loan, posted_on)


def _loan_in_other_organisation(world) -> Loan:
    officer = member(world.other, Role.LOAN_OFFICER, email="lo@other.example")
    committee = member(world.other, Role.COMMITTEE, email="cc@other.example")
    product = make_product(world.other, world.other_admin)
    application = services.application_create(
        actor=officer,
        organisation=world.other,
        client=ClientFactory(organisation=world.other),
        product=product,
        amount=D("3000.00"),
        purpose="Bbz bedrijfskapitaal",
        number_of_repayments=12,
        expected_disbursement_date=START,
    )
    services.application_submit(
        actor=officer, application=application, assessment="ok", today=START
    )
    services.application_vote(actor=committee, application=application, vote=Vote.APPROVE)
    loan = Loan.objects.get(application=application)
    services.loan_disburse(actor=officer, loan=loan, on=START, today=START)
    loan.refresh_from_db()
    return loan


def test_one_snapshot_per_organisation_and_the_organisation_filter(world):
    ours = disbursed_loan(world)
    theirs = _loan_in_other_organisation(world)
    on = after(40)
    result = close_of_business(on=on, organisation_id=world.own.pk)
    assert (result.loans, result.organisations) == (1, 1)
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.days_past_due == 40
    assert (theirs.days_past_due, theirs.cob_date) == (0, None)
    assert not theirs.transactions.filter(kind=TransactionKind.ACCRUAL).exists()
    assert list(PortfolioSnapshot.objects.values_list("organisation_id", flat=True)) == [
        world.own.pk
    ]
    result = close_of_business(on=on)
    assert (result.loans, result.organisations) == (2, 2)
    theirs.refresh_from_db()
    assert theirs.days_past_due == 40
    other = PortfolioSnapshot.objects.get(organisation=world.other, date=on)
    assert other.active_loans == 1
    assert other.outstanding_principal == D("3000.00")
    assert other.par30_principal == D("3000.00")
    own = PortfolioSnapshot.objects.get(organisation=world.own, date=on)
    assert own.outstanding_principal == D("10000.00")


def test_repaid_loan_leaves_the_active_portfolio(world):
    loan = disbursed_loan(world, repayments=3)
    day = START
    for number in (1, 2, 3):
        row = instalment(loan, number)
        day = row.due_date
        pay(world, loan, row.total, day)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    result = close_of_business(on=day)
    assert result.loans == 0
    assert not PortfolioSnapshot.objects.exists()


def test_the_command_prints_what_it_did(world):
    disbursed_loan(world)
    out = StringIO()
    call_command("closeofbusiness", "--date", FIRST_DUE.isoformat(), stdout=out)
    text = out.getvalue()
    assert re.fullmatch(
        r"close of business 2026-02-15: 1 active loans, 1 with interest or fees falling due, "
        r"1 organisation\(s\), \d+\.\d s\n",
        text,
    ), text
    assert Loan.objects.get().cob_date == FIRST_DUE
    out = StringIO()
    call_command("closeofbusiness", "--date", FIRST_DUE.isoformat(), stdout=out)
    assert "1 active loans, 0 with interest or fees falling due" in out.getvalue()


def test_the_command_with_an_organisation(world):
    disbursed_loan(world)
    out = StringIO()
    call_command(
        "closeofbusiness", "--date", "2026-03-01", "--organisation", str(world.other.pk), stdout=out
    )
    assert "0 active loans, 0 with interest or fees falling due, 0 organisation(s)" in (
        out.getvalue()
    )
    assert Loan.objects.get().cob_date is None


def test_the_command_refuses_a_bad_date(world):
    with pytest.raises(CommandError, match="--date: '2026-02-30' is not a date"):
        call_command("closeofbusiness", "--date", "2026-02-30", stdout=StringIO())
