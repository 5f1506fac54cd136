"""Evaluate a financial plan: 36 months of cash flow, three years of profit and loss, the
ratios a lender looks at, the checks and the verdict (every formula is in docs/plans.md).

Every figure here keeps full Decimal precision; rounding to the cent happens only when the
evaluation is written out (jsonio.evaluation_to_json). The checks compare figures as they
are shown (rounded to the cent, ratios to two decimals), so a reason never contradicts the
numbers printed beside it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum

from opstap.lending.engine import Schedule, generate_schedule, terms_from_json

from .model import HORIZON_MONTHS, YEARS, FinancialPlan, Loan

_CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_TWELVE = Decimal(12)
_CENT = Decimal("0.01")


class Verdict(StrEnum):
    VIABLE = "viable"
    VIABLE_WITH_CONDITIONS = "viable_with_conditions"
    NOT_VIABLE = "not_viable"


@dataclass(frozen=True, slots=True)
class Receipts:
    own_contribution: Decimal
    loans: Decimal
    grants: Decimal
    revenue: Decimal

    @property
    def total(self) -> Decimal:
        return self.own_contribution + self.loans + self.grants + self.revenue


@dataclass(frozen=True, slots=True)
class Payments:
    investments: Decimal
    start_up_costs: Decimal
    working_capital: Decimal
    cost_of_sales: Decimal
    fixed_costs: Decimal
    loan_principal: Decimal
    loan_interest: Decimal
    private_drawings: Decimal

    @property
    def total(self) -> Decimal:
        return (
            self.investments
            + self.start_up_costs
            + self.working_capital
            + self.cost_of_sales
            + self.fixed_costs
            + self.loan_principal
            + self.loan_interest
            + self.private_drawings
        )


@dataclass(frozen=True, slots=True)
class MonthCash:
    month: int  # 1..36
    calendar_month: datetime.date  # the 1st of the month
    opening_cash: Decimal
    receipts: Receipts
    payments: Payments
    closing_cash: Decimal


@dataclass(frozen=True, slots=True)
class Note:
    """Why a figure is null: a stable code (for translation) and an English sentence."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class YearResult:
    year: int  # 1..3: plan months 1-12, 13-24, 25-36
    revenue: Decimal
    cost_of_sales: Decimal
    gross_margin: Decimal
    fixed_costs: Decimal
    depreciation: Decimal
    interest: Decimal
    profit_before_tax: Decimal
    loan_principal: Decimal
    debt_service: Decimal  # loan principal + interest paid in the year
    gross_income_needed: Decimal
    break_even_revenue: Decimal | None
    break_even_revenue_reason: Note | None
    debt_service_coverage: Decimal | None
    debt_service_coverage_reason: Note | None


@dataclass(frozen=True, slots=True)
class Check:
    """One viability check. `params` holds the figures of `reason` as strings, so a
    translated message can be built from `code` and `params`."""

    code: str
    passed: bool
    reason: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition attached to a viable_with_conditions verdict (code, sentence, figures)."""

    code: str
    reason: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class Evaluation:
    plan: FinancialPlan
    investments: Decimal
    start_up_costs: Decimal
    working_capital: Decimal
    investment_total: Decimal
    own_contribution: Decimal
    loans: Decimal
    grants: Decimal
    financing_total: Decimal
    financing_gap: Decimal
    private_drawings_per_month: Decimal
    gross_income_needed_per_year: Decimal
    years: tuple[YearResult, ...]
    months: tuple[MonthCash, ...]
    lowest_cash: Decimal
    lowest_cash_month: int
    checks: tuple[Check, ...]
    verdict: Verdict
    conditions: tuple[Condition, ...]
    # Each loan's full schedule from the lending engine, in the order of plan.loans; the
    # cash flow takes the instalments due in months 1-36.
    loan_schedules: tuple[Schedule, ...]

    def check(self, code: str) -> Check:
        for check in self.checks:
            if check.code == code:
                return check
        raise KeyError(code)


# --- the calculation -------------------------------------------------------------------


def loan_schedule(plan: FinancialPlan, loan: Loan) -> Schedule:
    """The lending engine's schedule for `loan`: disbursed on the 1st of its plan month,
    monthly instalments from one month later, rounded to the cent."""
    terms = terms_from_json(
        {
            "principal": f"{loan.amount:f}",
            "disbursement_date": plan.calendar_month(loan.month).isoformat(),
            "interest_rate": f"{loan.interest_rate:f}",
            "number_of_repayments": loan.term_months,
            "grace_on_principal": loan.grace_months,
            "amortization": loan.amortization.value,
            "installment_multiple_of": "0.01",
        }
    )
    return generate_schedule(terms)


def _plan_month(plan: FinancialPlan, date: datetime.date) -> int:
    start = plan.start_month
    return (date.year - start.year) * 12 + date.month - start.month + 1


def _per_month(entries: list[tuple[int, Decimal]]) -> list[Decimal]:
    """36 monthly totals (index 0 = month 1) of (month, amount) pairs."""
    totals = [_ZERO] * HORIZON_MONTHS
    for month, amount in entries:
        totals[month - 1] += amount
    return totals


def _monthly_revenue(plan: FinancialPlan) -> list[Decimal]:
    revenue = [_ZERO] * HORIZON_MONTHS
    if plan.revenue is not None:
        streams = [(plan.revenue.year1(), _ONE, plan.revenue.growth_per_year)]
    else:
        streams = [
            (line.year1_volumes(), line.price, line.growth_per_year) for line in plan.revenue_lines
        ]
    for year1, price, growth in streams:
        factor = _ONE
        for year in range(YEARS):
            for index in range(12):
                revenue[year * 12 + index] += price * year1[index] * factor
            factor *= _ONE + growth
    return revenue


def _depreciation_per_year(plan: FinancialPlan) -> list[Decimal]:
    """Straight line from the investment's month: amount x (months of its life falling in the
    year) / (life in months). One division per item and year, rounded only for output."""
    years = [_ZERO] * YEARS
    for item in plan.investments:
        if item.depreciation_years == 0 or item.amount == 0:
            continue
        life = item.depreciation_years * 12
        first, last = item.month, item.month + life - 1
        for year in range(YEARS):
            low, high = year * 12 + 1, year * 12 + 12
            months = min(high, last) - max(low, first) + 1
            if months > 0:
                years[year] += item.amount * months / life
    return years


def evaluate(plan: FinancialPlan) -> Evaluation:
    """Evaluate `plan` (validated when it was constructed); see docs/plans.md."""
    with localcontext(_CONTEXT):
        return _evaluate(plan)


def _evaluate(plan: FinancialPlan) -> Evaluation:
    total_investments = sum((item.amount for item in plan.investments), _ZERO)
    total_start_up = sum((item.amount for item in plan.start_up_costs), _ZERO)
    investment_total = total_investments + total_start_up + plan.working_capital
    own = plan.own_contribution.amount if plan.own_contribution is not None else _ZERO
    total_loans = sum((loan.amount for loan in plan.loans), _ZERO)
    total_grants = sum((grant.amount for grant in plan.grants), _ZERO)
    financing_total = own + total_loans + total_grants
    financing_gap = investment_total - financing_total

    expenses = sum((item.amount for item in plan.household_expenses), _ZERO)
    other_income = sum((item.amount for item in plan.other_household_income), _ZERO)
    drawings = max(expenses - other_income, _ZERO)
    gross_income_needed = drawings * _TWELVE / (_ONE - plan.tax_and_contributions_rate)

    # Monthly lines.
    own_in = _per_month(
        [(plan.own_contribution.month, own)] if plan.own_contribution is not None else []
    )
    loans_in = _per_month([(loan.month, loan.amount) for loan in plan.loans])
    grants_in = _per_month([(grant.month, grant.amount) for grant in plan.grants])
    revenue = _monthly_revenue(plan)
    investments_out = _per_month([(item.month, item.amount) for item in plan.investments])
    start_up_out = _per_month([(item.month, item.amount) for item in plan.start_up_costs])
    working_capital_out = _per_month([(1, plan.working_capital)])
    fixed = sum((item.monthly_amount for item in plan.fixed_costs), _ZERO)

    schedules = tuple(loan_schedule(plan, loan) for loan in plan.loans)
    principal_entries: list[tuple[int, Decimal]] = []
    interest_entries: list[tuple[int, Decimal]] = []
    for schedule in schedules:
        for row in schedule.installments:
            month = _plan_month(plan, row.due_date)
            if month > HORIZON_MONTHS:
                break
            principal_entries.append((month, row.principal))
            interest_entries.append((month, row.interest))
    principal_out = _per_month(principal_entries)
    interest_out = _per_month(interest_entries)

    months: list[MonthCash] = []
    opening = _ZERO
    for index in range(HORIZON_MONTHS):
        receipts = Receipts(
            own_contribution=own_in[index],
            loans=loans_in[index],
            grants=grants_in[index],
            revenue=revenue[index],
        )
        payments = Payments(
            investments=investments_out[index],
            start_up_costs=start_up_out[index],
            working_capital=working_capital_out[index],
            cost_of_sales=revenue[index] * plan.cost_of_sales_rate,
            fixed_costs=fixed,
            loan_principal=principal_out[index],
            loan_interest=interest_out[index],
            private_drawings=drawings,
        )
        closing = opening + receipts.total - payments.total
        months.append(
            MonthCash(
                month=index + 1,
                calendar_month=plan.calendar_month(index + 1),
                opening_cash=opening,
                receipts=receipts,
                payments=payments,
                closing_cash=closing,
            )
        )
        opening = closing

    depreciation = _depreciation_per_year(plan)
    years = tuple(
        _year(year, months[year * 12 : year * 12 + 12], depreciation[year], gross_income_needed)
        for year in range(YEARS)
    )

    lowest = min(months, key=lambda month: month.closing_cash)  # the first of equal lows
    figures = _Figures(
        plan=plan,
        investment_total=investment_total,
        financing_total=financing_total,
        financing_gap=financing_gap,
        drawings=drawings,
        gross_income_needed=gross_income_needed,
        years=years,
        months=months,
        lowest=lowest,
    )
    checks = (
        _check_financing_gap(figures),
        _check_cash(figures),
        _check_income(figures),
        _check_debt_service(figures),
    )
    verdict, conditions = _verdict(figures, checks)
    return Evaluation(
        plan=plan,
        investments=total_investments,
        start_up_costs=total_start_up,
        working_capital=plan.working_capital,
        investment_total=investment_total,
        own_contribution=own,
        loans=total_loans,
        grants=total_grants,
        financing_total=financing_total,
        financing_gap=financing_gap,
        private_drawings_per_month=drawings,
        gross_income_needed_per_year=gross_income_needed,
        years=years,
        months=tuple(months),
        lowest_cash=lowest.closing_cash,
        lowest_cash_month=lowest.month,
        checks=checks,
        verdict=verdict,
        conditions=conditions,
        loan_schedules=schedules,
    )


def _year(
    number: int,
    months: list[MonthCash],
    depreciation: Decimal,
    gross_income_needed: Decimal,
) -> YearResult:
    year = number + 1
    revenue = sum((month.receipts.revenue for month in months), _ZERO)
    cost_of_sales = sum((month.payments.cost_of_sales for month in months), _ZERO)
    fixed_costs = sum((month.payments.fixed_costs for month in months), _ZERO)
    interest = sum((month.payments.loan_interest for month in months), _ZERO)
    principal = sum((month.payments.loan_principal for month in months), _ZERO)
    gross_margin = revenue - cost_of_sales
    profit = gross_margin - fixed_costs - depreciation - interest
    debt_service = principal + interest

    break_even: Decimal | None = None
    break_even_reason: Note | None = None
    if revenue == 0:
        break_even_reason = Note(
            "no_revenue",
            f"Year {year} has no revenue, so there is no gross margin ratio to compute a "
            f"break-even revenue from.",
        )
    elif gross_margin <= 0:
        break_even_reason = Note(
            "gross_margin_not_positive",
            f"The gross margin in year {year} is not positive (cost of sales takes all of the "
            f"revenue), so no revenue breaks even.",
        )
    else:
        # costs / (gross margin / revenue), with one division.
        costs = fixed_costs + depreciation + interest + gross_income_needed
        break_even = costs * revenue / gross_margin

    coverage: Decimal | None = None
    coverage_reason: Note | None = None
    if debt_service == 0:
        coverage_reason = Note(
            "no_debt_service", f"No loan principal or interest is due in year {year}."
        )
    else:
        coverage = (profit + depreciation + interest) / debt_service

    return YearResult(
        year=year,
        revenue=revenue,
        cost_of_sales=cost_of_sales,
        gross_margin=gross_margin,
        fixed_costs=fixed_costs,
        depreciation=depreciation,
        interest=interest,
        profit_before_tax=profit,
        loan_principal=principal,
        debt_service=debt_service,
        gross_income_needed=gross_income_needed,
        break_even_revenue=break_even,
        break_even_revenue_reason=break_even_reason,
        debt_service_coverage=coverage,
        debt_service_coverage_reason=coverage_reason,
    )


# --- checks and verdict --------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    plan: FinancialPlan
    investment_total: Decimal
    financing_total: Decimal
    financing_gap: Decimal
    drawings: Decimal
    gross_income_needed: Decimal
    years: tuple[YearResult, ...]
    months: list[MonthCash]
    lowest: MonthCash


def cents(value: Decimal) -> Decimal:
    """`value` as shown: rounded half-even to the cent, without a negative zero."""
    rounded = value.quantize(_CENT, ROUND_HALF_EVEN, context=_CONTEXT)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _plain(value: Decimal) -> str:
    return f"{cents(value):f}"


def _eur(value: Decimal) -> str:
    shown = cents(value)
    sign = "-" if shown < 0 else ""
    return f"{sign}€{abs(shown):,.2f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def _ratio(value: Decimal) -> str:
    return f"{cents(value):f}"


def _month_label(plan: FinancialPlan, month: int) -> str:
    return f"month {month} ({plan.calendar_month(month).isoformat()[:7]})"


def _check_financing_gap(f: _Figures) -> Check:
    gap = cents(f.financing_gap)
    params = {
        "investment_total": _plain(f.investment_total),
        "financing_total": _plain(f.financing_total),
        "financing_gap": _plain(gap),
    }
    if gap > 0:
        reason = (
            f"The investment budget of {_eur(f.investment_total)} is {_eur(gap)} more than the "
            f"financing of {_eur(f.financing_total)}."
        )
    elif gap == 0:
        reason = (
            f"The financing of {_eur(f.financing_total)} covers the investment budget of "
            f"{_eur(f.investment_total)} exactly."
        )
    else:
        reason = (
            f"The financing of {_eur(f.financing_total)} covers the investment budget of "
            f"{_eur(f.investment_total)}, with {_eur(-gap)} to spare."
        )
    return Check("financing_gap", gap <= 0, reason, params)


def _check_cash(f: _Figures) -> Check:
    lowest = f.lowest
    params = {
        "lowest_cash": _plain(lowest.closing_cash),
        "lowest_cash_month": str(lowest.month),
        "lowest_cash_calendar_month": lowest.calendar_month.isoformat()[:7],
    }
    first = next((month for month in f.months if cents(month.closing_cash) < 0), None)
    if first is None:
        reason = (
            f"Cash stays at or above zero in all {HORIZON_MONTHS} months; the lowest balance "
            f"is {_eur(lowest.closing_cash)} in {_month_label(f.plan, lowest.month)}."
        )
        return Check("cash_never_negative", True, reason, params)
    params.update(
        {
            "first_negative_month": str(first.month),
            "first_negative_calendar_month": first.calendar_month.isoformat()[:7],
            "first_negative_cash": _plain(first.closing_cash),
        }
    )
    reason = (
        f"Cash falls below zero in {_month_label(f.plan, first.month)}, to "
        f"{_eur(first.closing_cash)}; the lowest balance is {_eur(lowest.closing_cash)} in "
        f"{_month_label(f.plan, lowest.month)}."
    )
    return Check("cash_never_negative", False, reason, params)


def _income_first_year(f: _Figures) -> int | None:
    """The first year from which profit before tax covers the gross income needed in every
    remaining year of the plan (None when year 3 falls short)."""
    needed = cents(f.gross_income_needed)
    first: int | None = None
    for year in f.years:
        if cents(year.profit_before_tax) >= needed:
            if first is None:
                first = year.year
        else:
            first = None
    return first


def _check_income(f: _Figures) -> Check:
    needed = f.gross_income_needed
    params = {
        "gross_income_needed": _plain(needed),
        "private_drawings_per_month": _plain(f.drawings),
        "tax_and_contributions_rate": f"{f.plan.tax_and_contributions_rate:f}",
    }
    for year in f.years:
        params[f"profit_before_tax_year{year.year}"] = _plain(year.profit_before_tax)
    first = _income_first_year(f)
    basis = (
        f"the gross income needed of {_eur(needed)} a year (private drawings of "
        f"{_eur(f.drawings)} a month at {_percent(f.plan.tax_and_contributions_rate)} tax and "
        f"contributions)"
    )
    if first is None:
        last = f.years[-1]
        reason = (
            f"Profit before tax in year {last.year} ({_eur(last.profit_before_tax)}) is below "
            f"{basis}: the business does not yield a sufficient income within three years."
        )
        return Check("sufficient_income", False, reason, params)
    params["first_year"] = str(first)
    reason = (
        f"Profit before tax covers {basis} from year {first} "
        f"({_eur(f.years[first - 1].profit_before_tax)} that year): a sufficient income within "
        f"three years."
    )
    return Check("sufficient_income", True, reason, params)


def _coverage_below(f: _Figures) -> list[YearResult]:
    return [
        year
        for year in f.years
        if year.debt_service_coverage is not None
        and cents(year.debt_service_coverage) < f.plan.dscr_threshold
    ]


def _check_debt_service(f: _Figures) -> Check:
    threshold = f.plan.dscr_threshold
    params = {"threshold": _ratio(threshold)}
    serviced = [year for year in f.years if year.debt_service_coverage is not None]
    for year in serviced:
        assert year.debt_service_coverage is not None  # noqa: S101 for mypy: None filtered out above
        params[f"coverage_year{year.year}"] = _ratio(year.debt_service_coverage)
    if not serviced:
        reason = "The plan has no loan repayments or interest in its three years to cover."
        return Check("debt_service_coverage", True, reason, params)
    shown = ", ".join(
        f"year {year.year} {_ratio(year.debt_service_coverage)}"  # type: ignore[arg-type]
        for year in serviced
    )
    below = _coverage_below(f)
    if not below:
        reason = (
            f"Debt service coverage is at least {_ratio(threshold)} in every year with loan "
            f"repayments ({shown})."
        )
        return Check("debt_service_coverage", True, reason, params)
    params["years_below"] = ", ".join(str(year.year) for year in below)
    reason = (
        f"Debt service coverage is below the required {_ratio(threshold)} in year"
        f"{'s' if len(below) > 1 else ''} {params['years_below']} ({shown})."
    )
    return Check("debt_service_coverage", False, reason, params)


def _cash_condition(f: _Figures) -> Condition | None:
    """A temporary cash shortfall that a modest extra financing covers (docs/plans.md)."""
    shortfall = -cents(f.lowest.closing_cash)
    tolerance = cents(f.plan.cash_shortfall_tolerance_rate * f.investment_total)
    last = f.months[-1]
    if shortfall > tolerance or cents(last.closing_cash) < 0:
        return None
    first = next(month for month in f.months if cents(month.closing_cash) < 0)
    reason = (
        f"Cash falls below zero from {_month_label(f.plan, first.month)} to a low of "
        f"{_eur(f.lowest.closing_cash)} in {_month_label(f.plan, f.lowest.month)} and recovers "
        f"to {_eur(last.closing_cash)} by month {HORIZON_MONTHS}. Arrange at least "
        f"{_eur(shortfall)} of extra financing (own contribution, grant or credit facility) "
        f"before {_month_label(f.plan, first.month)}; this is within the tolerance of "
        f"{_eur(tolerance)} ({_percent(f.plan.cash_shortfall_tolerance_rate)} of the "
        f"investment budget)."
    )
    params = {
        "extra_financing": _plain(shortfall),
        "before_month": str(first.month),
        "before_calendar_month": first.calendar_month.isoformat()[:7],
        "lowest_cash": _plain(f.lowest.closing_cash),
        "lowest_cash_month": str(f.lowest.month),
        "closing_cash_month36": _plain(last.closing_cash),
        "tolerance": _plain(tolerance),
        "cash_shortfall_tolerance_rate": f"{f.plan.cash_shortfall_tolerance_rate:f}",
    }
    return Condition("extra_financing", reason, params)


def _coverage_condition(f: _Figures) -> Condition | None:
    """Coverage below the threshold in year 1 only, met from year 2 (docs/plans.md)."""
    below = _coverage_below(f)
    if [year.year for year in below] != [1]:
        return None
    coverage = f.years[0].debt_service_coverage
    assert coverage is not None  # noqa: S101 for mypy: None filtered out above
    threshold = f.plan.dscr_threshold
    reason = (
        f"Debt service coverage in year 1 is {_ratio(coverage)}, below the required "
        f"{_ratio(threshold)}, and meets it from year 2. Follow the repayments of the first "
        f"year closely."
    )
    params = {"coverage_year1": _ratio(coverage), "threshold": _ratio(threshold)}
    return Condition("debt_service_year1", reason, params)


def _verdict(f: _Figures, checks: tuple[Check, ...]) -> tuple[Verdict, tuple[Condition, ...]]:
    failed = {check.code for check in checks if not check.passed}
    if not failed:
        return Verdict.VIABLE, ()
    if failed & {"financing_gap", "sufficient_income"}:
        return Verdict.NOT_VIABLE, ()
    conditions: list[Condition] = []
    if "cash_never_negative" in failed:
        condition = _cash_condition(f)
        if condition is None:
            return Verdict.NOT_VIABLE, ()
        conditions.append(condition)
    if "debt_service_coverage" in failed:
        condition = _coverage_condition(f)
        if condition is None:
            return Verdict.NOT_VIABLE, ()
        conditions.append(condition)
    return Verdict.VIABLE_WITH_CONDITIONS, tuple(conditions)
