"""The close of business: what every loan owes, how late it is, and the day's portfolio.

Set-based: arrears, buckets and flags are one UPDATE statement over all active loans,
whatever their number; only loans with an instalment falling due since the last run are
touched one by one (in batches per database transaction), to post the interest and fees that
became receivable. Running it twice for the same date changes nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    Sum,
)
from django.db.models.functions import Coalesce

from .choices import Bucket, LoanStatus
from .models import Installment, Loan, PortfolioSnapshot
from .services import _accrue_loans

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CloseOfBusiness:
    on: datetime.date
    loans: int
    accrued: int
    organisations: int


# Loans accrued per database transaction and per set of queries (services._accrue_loans):
# one loan at a time would be a dozen queries and a commit each, thousands of times a day;
# a batch holds its rows' locks for well under a second.
ACCRUAL_BATCH = 200


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
        .order_by()  # no Meta ordering: it would join versions and loans just to sort
        .distinct()
    )
    to_accrue = sorted(falling_due)
    for start in range(0, len(to_accrue), ACCRUAL_BATCH):
        _accrue_loans(to_accrue[start : start + ACCRUAL_BATCH], on=on)

    with transaction.atomic():
        _update_arrears(on, organisation_id)
        organisations = _snapshots(loans, on)
    return CloseOfBusiness(
        on=on, loans=loans.count(), accrued=len(to_accrue), organisations=organisations
    )


def _update_arrears(on: datetime.date, organisation_id: int | None) -> None:
    """Overdue amount, days past due, bucket, non-performing flag and close date of every
    active loan in one UPDATE … FROM (PostgreSQL, and SQLite since 3.33).

    Days past due count from the oldest instalment still open, only when what is overdue
    exceeds the loan's tolerance (as `account.Replay.days_past_due`); the overdue date is
    kept only then, as the services keep it.
    """
    quote = connection.ops.quote_name
    loan_table = quote(Loan._meta.db_table)
    installment_table = quote(Installment._meta.db_table)
    if connection.vendor == "postgresql":
        days = "(CAST(%s AS date) - o.since)"
    else:
        days = "CAST(julianday(%s) - julianday(o.since) AS INTEGER)"
    organisation_filter = "AND l2.organisation_id = %s" if organisation_id is not None else ""
    in_arrears = "COALESCE(o.amount, 0) > l2.arrears_tolerance"
    sql = f"""
        UPDATE {loan_table} AS l SET
            overdue_amount = c.overdue_amount,
            overdue_since = c.overdue_since,
            days_past_due = c.days,
            bucket = CASE
                WHEN c.days <= 0 THEN %s
                WHEN c.days <= 30 THEN %s
                WHEN c.days <= 60 THEN %s
                WHEN c.days <= 90 THEN %s
                ELSE %s
            END,
            non_performing = (c.days >= l.days_until_non_performing),
            cob_date = %s
        FROM (
            SELECT
                l2.id,
                COALESCE(o.amount, 0) AS overdue_amount,
                CASE WHEN {in_arrears} THEN o.since END AS overdue_since,
                CASE WHEN {in_arrears} THEN {days} ELSE 0 END AS days
            FROM {loan_table} AS l2
            LEFT JOIN (
                SELECT loan_id, ROUND(SUM(open_amount), 2) AS amount, MIN(due_date) AS since
                FROM {installment_table}
                WHERE is_current = %s AND open_amount > 0 AND due_date < %s
                GROUP BY loan_id
            ) AS o ON o.loan_id = l2.id
            WHERE l2.status = %s {organisation_filter}
        ) AS c
        WHERE l.id = c.id
    """  # noqa: S608 - table names from the models, values as parameters
    params: list[object] = [
        Bucket.CURRENT,
        Bucket.DAYS_1_30,
        Bucket.DAYS_31_60,
        Bucket.DAYS_61_90,
        Bucket.DAYS_90_PLUS,
        on,
        on,
        True,
        on,
        LoanStatus.ACTIVE,
    ]
    if organisation_id is not None:
        params.append(organisation_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _snapshots(loans, on: datetime.date) -> int:
    rows = loans.values("organisation_id", "bucket").annotate(
        loans=Count("pk"), principal=Sum("principal_outstanding")
    )
    by_organisation: dict[int, dict] = {}
    for row in rows:
        # SQLite sums decimals as floats ("8415.14000000000"): back to cents.
        principal = (row["principal"] or ZERO).quantize(CENT)
        snapshot = by_organisation.setdefault(
            row["organisation_id"],
            {"active_loans": 0, "outstanding": ZERO, "par30": ZERO, "buckets": {}},
        )
        snapshot["active_loans"] += row["loans"]
        snapshot["outstanding"] += principal
        if row["bucket"] in (Bucket.DAYS_31_60, Bucket.DAYS_61_90, Bucket.DAYS_90_PLUS):
            snapshot["par30"] += principal
        snapshot["buckets"][row["bucket"]] = {"loans": row["loans"], "principal": str(principal)}
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
