"""The demo's loan book: every status shown, books that balance, maker-checker respected."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from opstap.core.models import Organisation
from opstap.core.roles import Role
from opstap.demo import generator as g
from opstap.demo import lending
from opstap.demo.tests.test_demo import wipe
from opstap.journeys.models import PhaseChange
from opstap.lending import services
from opstap.lending.choices import ApplicationStatus, Bucket, LoanStatus, TransactionKind
from opstap.lending.models import (
    CommitteeVote,
    JournalEntry,
    JournalLine,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    PortfolioSnapshot,
    ScheduleVersion,
)

N = 100
SEED = 3
CENT = Decimal("0.01")
LENDERS = ("microkrediet-brussel", "emmerveen")


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return settings


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_the_close_of_business_runs_up_to_the_day_the_demo_is_built():
    reference = g.REFERENCE_DATE
    assert lending.close_until(reference, None) == reference
    assert lending.close_until(reference, reference - datetime.timedelta(days=30)) == reference
    later = reference + datetime.timedelta(days=40)
    assert lending.close_until(reference, later) == later
    years_later = reference + datetime.timedelta(days=3 * 365)
    assert lending.close_until(reference, years_later) == reference + datetime.timedelta(
        days=lending.MAX_CARRY_DAYS
    )


def test_about_one_application_per_fifteen_clients_with_a_cap():
    assert lending.application_targets({1: 20, 2: 20}) == {1: 0, 2: 0}
    assert lending.application_targets({1: 750, 2: 750}) == {1: 50, 2: 50}
    big = lending.application_targets({1: 45_000, 2: 25_000})
    assert sum(big.values()) <= lending.MAX_APPLICATIONS and big[1] > big[2]


@pytest.mark.django_db
def test_the_demo_loan_book(demo_settings, monkeypatch):
    built_on = timezone.localdate()
    # Fixed for both builds of this test, even when midnight passes between them.
    monkeypatch.setattr(g, "build_day", lambda: built_on, raising=False)
    out = run("--clients", str(N), "--seed", str(SEED))
    reference = g.REFERENCE_DATE
    # The history is told up to the reference date; the close of business then runs every
    # day up to the day the demo is built, so the pages show today's arrears.
    today = lending.close_until(reference, built_on)
    organisations = {o.slug: o for o in Organisation.objects.all()}

    # Products: two or three per lending organisation, none elsewhere; Bbz may become a gift.
    products = LoanProduct.objects.all()
    assert {p.organisation.slug for p in products} == set(LENDERS)
    for slug in LENDERS:
        assert 2 <= products.filter(organisation__slug=slug).count() <= 3
    assert all(p.may_convert_to_gift for p in products.filter(organisation__slug="emmerveen"))
    assert not products.filter(organisation__slug="microkrediet-brussel", may_convert_to_gift=True)

    # Every status the demo sets out to show.
    applications = LoanApplication.objects.all()
    assert set(applications.values_list("status", flat=True)) == {
        ApplicationStatus.IN_PREPARATION,
        ApplicationStatus.IN_COMMITTEE,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REFUSED,
    }
    for slug in LENDERS:
        mine = applications.filter(organisation__slug=slug)
        assert mine.filter(status=ApplicationStatus.IN_PREPARATION).exists()
        assert mine.filter(status=ApplicationStatus.IN_COMMITTEE).exists()
        assert mine.filter(status=ApplicationStatus.REFUSED).exists()
    loans = Loan.objects.all()
    assert set(loans.values_list("status", flat=True)) == {
        LoanStatus.APPROVED,
        LoanStatus.ACTIVE,
        LoanStatus.REPAID,
        LoanStatus.CLOSED,
        LoanStatus.WRITTEN_OFF,
        LoanStatus.CONVERTED_TO_GIFT,
    }
    gift = loans.get(status=LoanStatus.CONVERTED_TO_GIFT)
    assert gift.organisation.slug == "emmerveen" and gift.product.may_convert_to_gift
    assert gift.officer.email == "benefits@emmerveen.demo"
    assert loans.get(status=LoanStatus.WRITTEN_OFF).organisation.slug == "microkrediet-brussel"
    active = loans.filter(status=LoanStatus.ACTIVE)
    assert {Bucket.CURRENT, Bucket.DAYS_31_60, Bucket.DAYS_90_PLUS} <= set(
        active.values_list("bucket", flat=True)
    )
    assert active.filter(non_performing=True).exists()
    # The close of business ran up to today: arrears and days past due as of today.
    assert active.filter(cob_date=today).count() == active.count() > 0
    in_arrears = active.filter(overdue_amount__gt=0, days_past_due__gt=0)
    assert in_arrears.exists()
    for loan in in_arrears:
        assert loan.overdue_since == today - datetime.timedelta(days=loan.days_past_due)
        state = services.loan_state(loan)
        assert loan.overdue_amount == state.overdue(today)
        assert loan.days_past_due == state.days_past_due(today, loan.arrears_tolerance)
    if today > reference:
        assert f"close of business ran daily up to {today:%Y-%m-%d}" in out
    reversed_ = LoanTransaction.objects.filter(reversed_at__isnull=False)
    assert reversed_.filter(kind=TransactionKind.REPAYMENT, reversal_reason__gt="").exists()
    assert ScheduleVersion.objects.filter(number=2, reason__contains="3").exists()
    assert LoanTransaction.objects.filter(kind=TransactionKind.WAIVE_INTEREST).exists()
    prepaid = LoanTransaction.objects.filter(prepayment_mode="reduce_installment")
    assert prepaid.filter(principal__gt=0).exists()
    assert "loan applications" in out and "loans (" in out

    # Books: balanced entries, and the ledger is the replay, for every loan.
    for loan in loans:
        totals = JournalLine.objects.filter(loan=loan).aggregate(d=Sum("debit"), c=Sum("credit"))
        debit, credit = (totals["d"] or 0), (totals["c"] or 0)
        assert Decimal(debit).quantize(CENT) == Decimal(credit).quantize(CENT), loan
        ledger = services.ledger_balances(loan)
        if loan.status == LoanStatus.APPROVED:
            # Not disbursed (its expected date may have passed since): nothing booked.
            assert not any(ledger.values()), loan
            continue
        assert ledger == services.loan_state(loan).balances(today), loan
        assert loan.principal_outstanding == ledger["loan_portfolio"]
        assert loan.disbursed_on is not None and loan.disbursed_on <= reference

    # A portfolio snapshot for every day from the reference date to today, for each
    # lending organisation; today's is the book as it stands.
    days = (today - reference).days + 1
    for slug in LENDERS:
        snapshots = PortfolioSnapshot.objects.filter(organisation=organisations[slug])
        assert snapshots.filter(date__gte=reference, date__lte=today).count() == days
        snapshot = snapshots.get(date=today)
        mine = active.filter(organisation__slug=slug)
        assert snapshot.active_loans == mine.count() > 0
        assert snapshot.outstanding_principal == sum(m.principal_outstanding for m in mine)

    # Maker-checker: the committee member who decides never prepared the application.
    votes = CommitteeVote.objects.select_related("application", "member")
    assert votes.exists()
    for vote in votes:
        assert vote.member_id != vote.application.prepared_by_id
        assert vote.member.email.startswith("committee@")
    officers = {
        "microkrediet-brussel": g.ORGANISATIONS_BY_SLUG["microkrediet-brussel"].login(
            Role.LOAN_OFFICER
        ),
        "emmerveen": g.ORGANISATIONS_BY_SLUG["emmerveen"].login(Role.BENEFITS_OFFICER),
    }
    for application in applications.select_related("prepared_by", "organisation", "trajectory"):
        assert application.prepared_by.email == officers[application.organisation.slug]
        # Linked to the client's route, which reached financing.
        trajectory = application.trajectory
        assert trajectory is not None and trajectory.client_id == application.client_id
        assert PhaseChange.objects.filter(trajectory=trajectory, to_phase="financing").exists()
        if application.status != ApplicationStatus.APPROVED:
            assert not Loan.objects.filter(application=application).exists()

    # The same seed gives the same loan book.
    first = loan_book()
    wipe_lending()
    wipe()
    run("--clients", str(N), "--seed", str(SEED))
    assert loan_book() == first


def loan_book() -> list[tuple]:
    loans = Loan.objects.order_by("client__organisation__slug", "client__external_reference")
    return [
        (
            loan.client.external_reference,
            loan.status,
            loan.terms,
            loan.principal_outstanding,
            loan.bucket,
            loan.ended_on,
            list(loan.transactions.values_list("kind", "value_date", "amount")),
        )
        for loan in loans.select_related("client")
    ]


def wipe_lending() -> None:
    JournalLine.objects.all().delete()
    JournalEntry.objects.all().delete()
    LoanTransaction.objects.all().delete()
    Loan.objects.all().delete()
    LoanApplication.objects.all().delete()
    LoanProduct.objects.all().delete()
    PortfolioSnapshot.objects.all().delete()


@pytest.mark.django_db
def test_small_demos_have_no_loan_book(demo_settings):
    run("--clients", "30", "--seed", str(SEED))
    assert not LoanProduct.objects.exists() and not Loan.objects.exists()
