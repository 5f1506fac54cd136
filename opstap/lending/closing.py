"""The close of business: what every loan owes, how late it is, and the day's portfolio.

Set-based: arrears, buckets and flags are a few UPDATE statements over all active loans,
whatever their number; only loans with an instalment falling due since the last run are
touched one by one, to post the interest and fees that became receivable. Running it twice
for the same date changes nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .choices import Bucket, LoanStatus
from .models import Installment, Loan, PortfolioSnapshot
from .services import loan_accrue

ZERO = Decimal("0.00")


class DaysSince(Func):
    """Whole days from a date column to a fixed date, on PostgreSQL and SQLite alike."""

    output_field = IntegerField()

    def __init__(self, column: str, on: datetime.date) -> None:
        super().__init__(F(column), Value(on, output_field=DateField()))

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL: date - date = int
        column, params = compiler.compile(self.source_expressions[0])
        on, on_params = compiler.compile(self.source_expressions[1])
        return f"(CAST({on} AS date) - {column})", [*on_params, *params]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        on, on_params = compiler.compile(self.source_expressions[1])
        return f"CAST(julianday({on}) - julianday({column}) AS INTEGER)", [*on_params, *params]


@dataclass(frozen=True)
class CloseOfBusiness:
    on: datetime.date
    loans: int
    accrued: int
    organisations: int


def close_of_business(*, on: datetime.date, organisation_id: int | None = None) -> CloseOfBusiness:
    loans = Loan.objects.filter(status=LoanStatus.ACTIVE)
    if organisation_id is not None:
        loans = loans.filter(organisation_id=organisation_id)

    falling_due = (
        Installment.objects.filter(
            is_current=True,
            open_amount__gt=0,
            due_date__lte=on,
            loan__in=loans,
        )
        .filter(due_date__gt=Coalesce(F("loan__cob_date"), F("loan__disbursed_on")))
        .values_list("loan_id", flat=True)
        .distinct()
    )
    to_accrue = list(falling_due)
    for loan in Loan.objects.filter(pk__in=to_accrue).only("pk"):
        loan_accrue(loan=loan, on=on)

    with transaction.atomic():
        overdue = Installment.objects.filter(
            loan=OuterRef("pk"), is_current=True, open_amount__gt=0, due_date__lt=on
        )
        loans.update(
            overdue_amount=Coalesce(
                Subquery(
                    overdue.values("loan").annotate(total=Sum("open_amount")).values("total")[:1],
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                ),
                Value(ZERO),
            ),
            overdue_since=Subquery(
                overdue.order_by("due_date").values("due_date")[:1], output_field=DateField()
            ),
        )
        in_arrears = Q(overdue_amount__gt=F("arrears_tolerance"), overdue_since__isnull=False)
        loans.filter(in_arrears).update(days_past_due=DaysSince("overdue_since", on))
        loans.exclude(in_arrears).update(days_past_due=0)
        loans.update(
            bucket=Case(
                When(days_past_due__lte=0, then=Value(Bucket.CURRENT)),
                When(days_past_due__lte=30, then=Value(Bucket.DAYS_1_30)),
                When(days_past_due__lte=60, then=Value(Bucket.DAYS_31_60)),
                When(days_past_due__lte=90, then=Value(Bucket.DAYS_61_90)),
                default=Value(Bucket.DAYS_90_PLUS),
            ),
            non_performing=Case(
                When(days_past_due__gte=F("days_until_non_performing"), then=Value(True)),
                default=Value(False),
            ),
            cob_date=Value(on),
        )
        organisations = _snapshots(loans, on)
    return CloseOfBusiness(
        on=on, loans=loans.count(), accrued=len(to_accrue), organisations=organisations
    )


def _snapshots(loans, on: datetime.date) -> int:
    rows = loans.values("organisation_id", "bucket").annotate(
        loans=Count("pk"), principal=Sum("principal_outstanding")
    )
    by_organisation: dict[int, dict] = {}
    for row in rows:
        snapshot = by_organisation.setdefault(
            row["organisation_id"],
            {"active_loans": 0, "outstanding": ZERO, "par30": ZERO, "buckets": {}},
        )
        snapshot["active_loans"] += row["loans"]
        snapshot["outstanding"] += row["principal"] or ZERO
        if row["bucket"] in (Bucket.DAYS_31_60, Bucket.DAYS_61_90, Bucket.DAYS_90_PLUS):
            snapshot["par30"] += row["principal"] or ZERO
        snapshot["buckets"][row["bucket"]] = {
            "loans": row["loans"],
            "principal": str(row["principal"] or ZERO),
        }
    non_performing = dict(
        loans.filter(non_performing=True)
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    for organisation_id, snapshot in by_organisation.items():
        PortfolioSnapshot.objects.update_or_create(
            organisation_id=organisation_id,
            date=on,
            defaults={
                "active_loans": snapshot["active_loans"],
                "outstanding_principal": snapshot["outstanding"],
                "par30_principal": snapshot["par30"],
                "non_performing_loans": non_performing.get(organisation_id, 0),
                "buckets": snapshot["buckets"],
            },
        )
    return len(by_organisation)
