"""Properties of the calculation that hold for any valid plan (hypothesis)."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from opstap.plans.calculation import (
    HORIZON_MONTHS,
    Evaluation,
    FinancialPlan,
    FixedCost,
    Grant,
    HouseholdItem,
    Investment,
    Loan,
    LoanAmortization,
    OwnContribution,
    Revenue,
    RevenueLine,
    StartUpCost,
    Verdict,
    evaluate,
    evaluation_to_json,
    plan_from_json,
    plan_to_json,
)

ZERO = Decimal(0)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False
    )


money = decimals("0", "50000", 2)
small_money = decimals("0", "5000", 2)
months = st.integers(1, HORIZON_MONTHS)
descriptions = st.text(max_size=20)
growth = decimals("-0.5", "1", 2)


@st.composite
def loans(draw: st.DrawFn) -> Loan:
    term = draw(st.integers(1, 72))
    return Loan(
        description=draw(descriptions),
        amount=draw(decimals("100", "50000", 2)),
        interest_rate=draw(decimals("0", "20", 2)),
        term_months=term,
        grace_months=draw(st.integers(0, min(term - 1, 12))),
        month=draw(months),
        amortization=draw(st.sampled_from(LoanAmortization)),
    )


revenues = st.one_of(
    st.builds(
        Revenue,
        year1_monthly=st.lists(small_money, min_size=12, max_size=12).map(tuple),
        growth_per_year=growth,
    ),
    st.builds(Revenue, monthly=small_money, growth_per_year=growth),
)
revenue_lines = st.builds(
    RevenueLine,
    description=descriptions,
    price=decimals("0", "500", 4),
    volume_per_month=st.one_of(
        st.tuples(decimals("0", "300", 1)),
        st.lists(decimals("0", "300", 1), min_size=12, max_size=12).map(tuple),
    ),
    growth_per_year=growth,
)


@st.composite
def plans(draw: st.DrawFn) -> FinancialPlan:
    use_lines = draw(st.booleans())
    return FinancialPlan(
        start_month=datetime.date(draw(st.integers(2020, 2035)), draw(st.integers(1, 12)), 1),
        tax_and_contributions_rate=draw(decimals("0", "0.99", 2)),
        dscr_threshold=draw(decimals("0.5", "3", 2)),
        cash_shortfall_tolerance_rate=draw(decimals("0", "1", 2)),
        investments=tuple(
            draw(
                st.lists(
                    st.builds(
                        Investment,
                        description=descriptions,
                        amount=money,
                        month=months,
                        depreciation_years=st.integers(0, 10),
                    ),
                    max_size=4,
                )
            )
        ),
        start_up_costs=tuple(
            draw(
                st.lists(
                    st.builds(StartUpCost, description=descriptions, amount=money, month=months),
                    max_size=2,
                )
            )
        ),
        working_capital=draw(money),
        own_contribution=draw(st.none() | st.builds(OwnContribution, amount=money, month=months)),
        loans=tuple(draw(st.lists(loans(), max_size=3))),
        grants=tuple(
            draw(
                st.lists(
                    st.builds(Grant, description=descriptions, amount=money, month=months),
                    max_size=2,
                )
            )
        ),
        revenue=None if use_lines else draw(revenues),
        revenue_lines=tuple(draw(st.lists(revenue_lines, min_size=1, max_size=3)))
        if use_lines
        else (),
        cost_of_sales_rate=draw(decimals("0", "1", 3)),
        fixed_costs=tuple(
            draw(
                st.lists(
                    st.builds(FixedCost, description=descriptions, monthly_amount=small_money),
                    max_size=3,
                )
            )
        ),
        household_expenses=tuple(
            draw(
                st.lists(
                    st.builds(HouseholdItem, description=descriptions, amount=small_money),
                    max_size=3,
                )
            )
        ),
        other_household_income=tuple(
            draw(
                st.lists(
                    st.builds(HouseholdItem, description=descriptions, amount=small_money),
                    max_size=2,
                )
            )
        ),
    )


def plan_month(plan: FinancialPlan, date: datetime.date) -> int:
    return (date.year - plan.start_month.year) * 12 + date.month - plan.start_month.month + 1


@settings(max_examples=100)
@given(plans())
def test_cash_flow_adds_up(plan: FinancialPlan):
    evaluation = evaluate(plan)
    assert len(evaluation.months) == HORIZON_MONTHS
    assert evaluation.months[0].opening_cash == 0
    previous: Decimal | None = None
    for number, month in enumerate(evaluation.months, start=1):
        assert month.month == number
        assert month.closing_cash == (
            month.opening_cash + month.receipts.total - month.payments.total
        )
        if previous is not None:
            assert month.opening_cash == previous
        previous = month.closing_cash
    lowest = min(month.closing_cash for month in evaluation.months)
    assert evaluation.lowest_cash == lowest
    first_lowest = next(m for m in evaluation.months if m.closing_cash == lowest)
    assert evaluation.lowest_cash_month == first_lowest.month


@settings(max_examples=100)
@given(plans())
def test_year_totals_are_the_sums_of_their_months(plan: FinancialPlan):
    evaluation = evaluate(plan)
    for year in evaluation.years:
        months = evaluation.months[(year.year - 1) * 12 : year.year * 12]
        assert year.revenue == sum((m.receipts.revenue for m in months), ZERO)
        assert year.cost_of_sales == sum((m.payments.cost_of_sales for m in months), ZERO)
        assert year.fixed_costs == sum((m.payments.fixed_costs for m in months), ZERO)
        assert year.interest == sum((m.payments.loan_interest for m in months), ZERO)
        assert year.loan_principal == sum((m.payments.loan_principal for m in months), ZERO)
        assert year.gross_margin == year.revenue - year.cost_of_sales
        assert year.debt_service == year.loan_principal + year.interest
        profit = year.gross_margin - year.fixed_costs - year.depreciation - year.interest
        assert abs(year.profit_before_tax - profit) < Decimal("1e-20")


@settings(max_examples=100)
@given(plans())
def test_depreciation_within_the_horizon(plan: FinancialPlan):
    """Only 36 months are shown: an investment bought in month m with a life of L months is
    depreciated over min(L, 37 - m) of them, so the three years together show
    amount x min(L, 37 - m) / L, and the full amount when the life ends within month 36."""
    evaluation = evaluate(plan)
    total = sum((year.depreciation for year in evaluation.years), ZERO)
    expected = ZERO
    for item in plan.investments:
        if item.depreciation_years:
            life = item.depreciation_years * 12
            shown = min(life, HORIZON_MONTHS + 1 - item.month)
            expected += item.amount * shown / life
    assert abs(total - expected) < Decimal("1e-20")
    fits = sum(
        (
            item.amount
            for item in plan.investments
            if item.depreciation_years
            and item.month + item.depreciation_years * 12 - 1 <= HORIZON_MONTHS
        ),
        ZERO,
    )
    assert total >= fits - Decimal("1e-20")


@settings(max_examples=100)
@given(plans())
def test_loans_follow_the_engine_schedule(plan: FinancialPlan):
    evaluation = evaluate(plan)
    principal_in_horizon = ZERO
    interest_in_horizon = ZERO
    for loan, schedule in zip(plan.loans, evaluation.loan_schedules, strict=True):
        # Over the whole loan the principal repaid equals the amount borrowed.
        assert sum((row.principal for row in schedule.installments), ZERO) == loan.amount
        assert len(schedule.installments) == loan.term_months
        assert all(row.principal == 0 for row in schedule.installments[: loan.grace_months])
        first_due = schedule.installments[0].due_date
        assert plan_month(plan, first_due) == loan.month + 1
        assert first_due.day == 1
        for row in schedule.installments:
            if plan_month(plan, row.due_date) <= HORIZON_MONTHS:
                principal_in_horizon += row.principal
                interest_in_horizon += row.interest
        if loan.month + loan.term_months <= HORIZON_MONTHS:
            repaid = sum(
                (
                    row.principal
                    for row in schedule.installments
                    if plan_month(plan, row.due_date) <= HORIZON_MONTHS
                ),
                ZERO,
            )
            assert repaid == loan.amount
    assert sum((m.payments.loan_principal for m in evaluation.months), ZERO) == (
        principal_in_horizon
    )
    assert sum((m.payments.loan_interest for m in evaluation.months), ZERO) == (interest_in_horizon)
    assert sum((m.receipts.loans for m in evaluation.months), ZERO) == sum(
        (loan.amount for loan in plan.loans), ZERO
    )


@settings(max_examples=100)
@given(plans())
def test_financing_gap_formula(plan: FinancialPlan):
    evaluation = evaluate(plan)
    investments = sum((item.amount for item in plan.investments), ZERO)
    start_up = sum((item.amount for item in plan.start_up_costs), ZERO)
    own = plan.own_contribution.amount if plan.own_contribution else ZERO
    loans_total = sum((loan.amount for loan in plan.loans), ZERO)
    grants = sum((grant.amount for grant in plan.grants), ZERO)
    assert evaluation.investment_total == investments + start_up + plan.working_capital
    assert evaluation.financing_total == own + loans_total + grants
    assert evaluation.financing_gap == (
        investments + start_up + plan.working_capital - (own + loans_total + grants)
    )
    assert evaluation.check("financing_gap").passed == (evaluation.financing_gap <= 0)


@settings(max_examples=100)
@given(plans())
def test_personal_budget_and_ratios(plan: FinancialPlan):
    evaluation = evaluate(plan)
    expenses = sum((item.amount for item in plan.household_expenses), ZERO)
    income = sum((item.amount for item in plan.other_household_income), ZERO)
    drawings = max(expenses - income, ZERO)
    assert evaluation.private_drawings_per_month == drawings
    assert all(m.payments.private_drawings == drawings for m in evaluation.months)
    needed = evaluation.gross_income_needed_per_year
    assert abs(needed * (1 - plan.tax_and_contributions_rate) - drawings * 12) < Decimal("1e-20")
    for year in evaluation.years:
        if year.debt_service == 0:
            assert year.debt_service_coverage is None
            assert year.debt_service_coverage_reason is not None
        else:
            assert year.debt_service_coverage is not None
        if year.revenue > 0 and year.gross_margin > 0:
            assert year.break_even_revenue is not None
            # At the break-even revenue, the gross margin pays every cost and the income.
            margin = year.break_even_revenue * year.gross_margin / year.revenue
            costs = year.fixed_costs + year.depreciation + year.interest + needed
            assert abs(margin - costs) < Decimal("1e-15")
        else:
            assert year.break_even_revenue is None
            assert year.break_even_revenue_reason is not None


@settings(max_examples=100)
@given(plans())
def test_verdict_follows_the_checks(plan: FinancialPlan):
    evaluation = evaluate(plan)
    passed = {check.code: check.passed for check in evaluation.checks}
    assert set(passed) == {
        "financing_gap",
        "cash_never_negative",
        "sufficient_income",
        "debt_service_coverage",
    }
    if all(passed.values()):
        assert evaluation.verdict == Verdict.VIABLE
        assert evaluation.conditions == ()
    elif not passed["financing_gap"] or not passed["sufficient_income"]:
        assert evaluation.verdict == Verdict.NOT_VIABLE
    elif evaluation.verdict == Verdict.VIABLE_WITH_CONDITIONS:
        codes = {condition.code for condition in evaluation.conditions}
        assert ("extra_financing" in codes) == (not passed["cash_never_negative"])
        assert ("debt_service_year1" in codes) == (not passed["debt_service_coverage"])
    for check in evaluation.checks:
        assert check.reason.endswith(".")
        assert all(isinstance(value, str) for value in check.params.values())


AMOUNT = re.compile(r"-?[0-9]+\.[0-9]{2}")


def amounts_in(value: object, key: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for name, item in value.items():
            if name not in {"params", "assumptions", "reason", "calendar_month", "start_month"}:
                found += amounts_in(item, name)
    elif isinstance(value, list):
        for item in value:
            found += amounts_in(item, key)
    elif isinstance(value, str) and key not in {"verdict", "code"}:
        found.append((key, value))
    return found


@settings(max_examples=100)
@given(plans())
def test_json_output_amounts_have_two_decimals(plan: FinancialPlan):
    evaluation = evaluate(plan)
    result = evaluation_to_json(evaluation)
    json.dumps(result)  # serialisable as is
    for key, text in amounts_in(result):
        assert AMOUNT.fullmatch(text), (key, text)
        assert text != "-0.00"
    assert len(result["months"]) == HORIZON_MONTHS
    assert result["verdict"] == evaluation.verdict.value
    # Each shown figure is its exact figure rounded once, so a shown closing balance is
    # within half a cent of the exact one.
    for shown, month in zip(result["months"], evaluation.months, strict=True):
        assert abs(Decimal(shown["closing_cash"]) - month.closing_cash) <= Decimal("0.005")


@settings(max_examples=100)
@given(plans())
def test_plan_json_round_trips(plan: FinancialPlan):
    data = plan_to_json(plan)
    assert plan_from_json(json.loads(json.dumps(data))) == plan
    assert plan_to_json(plan_from_json(data)) == data


def test_evaluation_is_frozen():
    plan = FinancialPlan(
        start_month=datetime.date(2027, 1, 1),
        tax_and_contributions_rate=Decimal("0.3"),
        revenue=Revenue(monthly=Decimal("1000")),
    )
    evaluation: Evaluation = evaluate(plan)
    try:
        evaluation.verdict = Verdict.VIABLE  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("Evaluation must be frozen")
