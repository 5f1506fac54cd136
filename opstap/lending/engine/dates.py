"""Calendar arithmetic for schedules: due dates and the length of a period in repayment units."""

from __future__ import annotations

import datetime
from calendar import monthrange
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .terms import RepaymentUnit


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year = day.year + index // 12
    month = index % 12 + 1
    dom = day.day
    if dom > 28:
        dom = min(dom, monthrange(year, month)[1])
    return datetime.date(year, month, dom)


def step(seed: datetime.date, unit: RepaymentUnit | str, count: int) -> datetime.date:
    """`count` repayment units after `seed`, always counted from the seed so dates never drift."""
    if unit == "months":
        return add_months(seed, count)
    if unit == "weeks":
        return seed + datetime.timedelta(days=7 * count)
    return seed + datetime.timedelta(days=count)


def steps(seed: datetime.date, unit: RepaymentUnit | str, counts: range) -> list[datetime.date]:
    """`step` for many counts at once; inlined because schedules are generated in bulk."""
    if unit != "months":
        days = 7 if unit == "weeks" else 1
        ordinal = seed.toordinal()
        from_ordinal = datetime.date.fromordinal
        return [from_ordinal(ordinal + days * count) for count in counts]
    base = seed.year * 12 + seed.month - 1
    dom = seed.day
    make = datetime.date
    dates = []
    for count in counts:
        year, month = divmod(base + count, 12)
        month += 1
        if dom > 28:
            dates.append(make(year, month, min(dom, monthrange(year, month)[1])))
        else:
            dates.append(make(year, month, dom))
    return dates


def months_between(start: datetime.date, end: datetime.date) -> Fraction:
    """Months from `start` to `end` as Fineract counts a broken period: whole months, then the
    days left as a fraction of the month that follows (15 Jan to 1 Mar = 1 + 15/28)."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    left = (end - anchor).days
    if not left:
        return Fraction(whole)
    length = (add_months(start, whole + 1) - anchor).days
    return whole + Fraction(left, length)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def actual_year_fraction(start: datetime.date, end: datetime.date) -> Fraction:
    """Actual/actual: each day counts as 1/366 of a year in a leap year and 1/365 otherwise."""
    total = Fraction(0)
    cursor = start
    while cursor < end:
        boundary = min(end, datetime.date(cursor.year + 1, 1, 1))
        total += Fraction((boundary - cursor).days, 366 if is_leap(cursor.year) else 365)
        cursor = boundary
    return total
