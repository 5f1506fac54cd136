"""Plans worked out by hand (the arithmetic is in the comments), checked figure by figure.

Figures are compared as the JSON shows them (rounded half-even to the cent), except where
the exact Decimal is the point.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from opstap.plans.calculation import Verdict, evaluate, evaluation_to_json

from . import d, sample


def year_figures(result: dict, key: str) -> list[str]:
    return [year[key] for year in result["years"]]


def closing(result: dict) -> list[str]:
    return [month["closing_cash"] for month in result["months"]]


class TestNegativeCashMonth:
    """negative_cash.json: a designer with a laptop, a slow start and seasonality.

    Revenue 1,000 in months 1-2 and 4,000 in months 3-12; the pattern repeats in years 2 and 3
    (growth 0). Cost of sales 25 %, rent 500, drawings 1,500 a month (no other income).
      net cash of a 1,000 month = 1,000 - 250 - 500 - 1,500 = -1,250
      net cash of a 4,000 month = 4,000 - 1,000 - 500 - 1,500 = +1,000
      month 1: own contribution 3,000 - laptop 2,400 - 1,250 = -650   (first negative month)
      month 2: -650 - 1,250 = -1,900                                  (lowest)
      month 3: -900; month 4: +100; month 12: -1,900 + 10 x 1,000 = 8,100
      month 13: 6,850; 14: 5,600; 24: 15,600; 25: 14,350; 26: 13,100; 36: 23,100
    P&L each year: revenue 2 x 1,000 + 10 x 4,000 = 42,000; cost of sales 10,500;
      gross margin 31,500; rent 6,000; depreciation 2,400 / 3 = 800; profit 24,700.
    Gross income needed = 1,500 x 12 / (1 - 0.25) = 24,000 <= 24,700 from year 1.
    Break-even = (6,000 + 800 + 0 + 24,000) / 0.75 = 41,066.666... -> 41,066.67.
    """

    def test_statements(self):
        result = evaluation_to_json(evaluate(sample("negative_cash")))
        assert result["investment_total"] == "2400.00"
        assert result["financing_total"] == "3000.00"
        assert result["financing_gap"] == "-600.00"
        assert result["private_drawings_per_month"] == "1500.00"
        assert result["gross_income_needed_per_year"] == "24000.00"
        assert year_figures(result, "revenue") == ["42000.00"] * 3
        assert year_figures(result, "cost_of_sales") == ["10500.00"] * 3
        assert year_figures(result, "gross_margin") == ["31500.00"] * 3
        assert year_figures(result, "fixed_costs") == ["6000.00"] * 3
        assert year_figures(result, "depreciation") == ["800.00"] * 3
        assert year_figures(result, "interest") == ["0.00"] * 3
        assert year_figures(result, "profit_before_tax") == ["24700.00"] * 3
        assert year_figures(result, "break_even_revenue") == ["41066.67"] * 3
        assert year_figures(result, "debt_service_coverage") == [None] * 3
        assert result["years"][0]["debt_service_coverage_reason"]["code"] == "no_debt_service"
        cash = closing(result)
        assert cash[:4] == ["-650.00", "-1900.00", "-900.00", "100.00"]
        assert cash[11] == "8100.00"
        assert cash[12:14] == ["6850.00", "5600.00"]
        assert cash[23] == "15600.00"
        assert cash[24:26] == ["14350.00", "13100.00"]
        assert cash[35] == "23100.00"
        assert result["lowest_cash"] == "-1900.00"
        assert result["lowest_cash_month"] == 2
        month1 = result["months"][0]
        assert month1["receipts"] == {
            "own_contribution": "3000.00",
            "loans": "0.00",
            "grants": "0.00",
            "revenue": "1000.00",
            "total": "4000.00",
        }
        assert month1["payments"]["investments"] == "2400.00"
        assert month1["payments"]["total"] == "4650.00"

    def test_checks_and_verdict(self):
        evaluation = evaluate(sample("negative_cash"))
        cash = evaluation.check("cash_never_negative")
        assert not cash.passed
        assert cash.params["first_negative_month"] == "1"
        assert cash.params["first_negative_cash"] == "-650.00"
        assert cash.params["lowest_cash"] == "-1900.00"
        assert cash.params["lowest_cash_calendar_month"] == "2027-02"
        assert "month 1 (2027-01)" in cash.reason
        assert "-€1,900.00" in cash.reason
        assert evaluation.check("financing_gap").passed
        assert evaluation.check("sufficient_income").params["first_year"] == "1"
        assert evaluation.check("debt_service_coverage").passed
        # A 1,900 shortfall is more than 10 % of the 2,400 investment budget (240).
        assert evaluation.verdict == Verdict.NOT_VIABLE
        assert evaluation.conditions == ()

    def test_within_tolerance_is_viable_with_conditions(self):
        # With a tolerance of 100 % (2,400), the 1,900 shortfall is covered; cash recovers
        # to 23,100 by month 36.
        plan = dataclasses.replace(
            sample("negative_cash"), cash_shortfall_tolerance_rate=Decimal("1")
        )
        evaluation = evaluate(plan)
        assert evaluation.verdict == Verdict.VIABLE_WITH_CONDITIONS
        (condition,) = evaluation.conditions
        assert condition.code == "extra_financing"
        assert condition.params["extra_financing"] == "1900.00"
        assert condition.params["before_month"] == "1"
        assert condition.params["tolerance"] == "2400.00"
        assert condition.params["closing_cash_month36"] == "23100.00"

    def test_exactly_at_tolerance_counts(self):
        # 1,900 / 2,400 = 0.791666...: a rate of 0.7917 gives a tolerance of 1,900.08.
        plan = dataclasses.replace(
            sample("negative_cash"), cash_shortfall_tolerance_rate=Decimal("0.7917")
        )
        assert evaluate(plan).verdict == Verdict.VIABLE_WITH_CONDITIONS
        plan = dataclasses.replace(plan, cash_shortfall_tolerance_rate=Decimal("0.79"))
        # 2,400 x 0.79 = 1,896.00 < 1,900.
        assert evaluate(plan).verdict == Verdict.NOT_VIABLE


class TestFinancingGap:
    """financing_gap.json: a courier buying a 20,000 van with 2,000 own money and a 10,000
    loan: gap = 20,000 - (2,000 + 10,000) = 8,000.

    Loan: 12 % a year = 1 % a month, 10 months, equal principal 1,000, disbursed month 1,
    instalments due months 2-11; interest = 1 % of the balance: 100, 90, ..., 10 = 550.
    Revenue 5,000 a month, cost of sales 40 % = 2,000, costs 600, drawings 1,400.
      month 1: 2,000 + 10,000 + 5,000 - 20,000 - 2,000 - 600 - 1,400 = -7,000
      month k in 2..11: operations net 1,000 - principal 1,000 - interest: -100 ... -10
      month 11: -7,000 - 550 = -7,550 (lowest); month 12: -6,550
    Year 1: revenue 60,000; gross margin 36,000; costs 7,200; depreciation 20,000 / 5 = 4,000;
      interest 550; profit 36,000 - 7,200 - 4,000 - 550 = 24,250.
      DSCR = (24,250 + 4,000 + 550) / (10,000 + 550) = 28,800 / 10,550 = 2.7298... -> 2.73
    Gross income needed = 1,400 x 12 / 0.7 = 24,000.
    """

    def test_statements(self):
        result = evaluation_to_json(evaluate(sample("financing_gap")))
        assert result["investment_total"] == "20000.00"
        assert result["financing"] == {
            "own_contribution": "2000.00",
            "loans": "10000.00",
            "grants": "0.00",
        }
        assert result["financing_gap"] == "8000.00"
        assert year_figures(result, "interest") == ["550.00", "0.00", "0.00"]
        assert year_figures(result, "loan_principal") == ["10000.00", "0.00", "0.00"]
        assert year_figures(result, "depreciation") == ["4000.00"] * 3
        assert year_figures(result, "profit_before_tax") == ["24250.00", "24800.00", "24800.00"]
        assert year_figures(result, "debt_service_coverage") == ["2.73", None, None]
        interest = [month["payments"]["loan_interest"] for month in result["months"][:12]]
        assert interest == ["0.00", *[f"{n}.00" for n in range(100, 0, -10)], "0.00"]
        assert closing(result)[0] == "-7000.00"
        assert closing(result)[10:12] == ["-7550.00", "-6550.00"]
        assert result["lowest_cash"] == "-7550.00"
        assert result["lowest_cash_month"] == 11
        assert result["months"][10]["calendar_month"] == "2028-01"

    def test_verdict(self):
        evaluation = evaluate(sample("financing_gap"))
        gap = evaluation.check("financing_gap")
        assert not gap.passed
        assert gap.params == {
            "investment_total": "20000.00",
            "financing_total": "12000.00",
            "financing_gap": "8000.00",
        }
        assert "€8,000.00 more than" in gap.reason
        # A financing gap is never a condition: fix the financing budget first.
        assert evaluation.verdict == Verdict.NOT_VIABLE


class TestViableOnlyInYear3:
    """income_year3.json: a hairdresser, revenue lines with 25 % volume growth a year.

    Year 1 monthly revenue = 25 x 100 + 50 x 10 = 3,000; year 2 x 1.25 = 3,750; year 3 x 1.5625
    = 4,687.50. Years: 36,000 / 45,000 / 56,250. Cost of sales 20 %: gross margin 28,800 /
    36,000 / 45,000. Chair rent 12,000 a year. Profit 16,800 / 24,000 / 33,000.
    Drawings 1,000 + 1,300 - 500 = 1,800; gross income needed 1,800 x 12 / 0.75 = 28,800:
    met in year 3 only. Break-even = 12,000 + 28,800 = 40,800 / 0.8 = 51,000 each year.
    Cash: 5,000 own contribution; each year-1 month 2,400 - 1,000 - 1,800 = -400 -> month 12
    200 (lowest); year 2 +200 a month -> 2,600; year 3 +950 a month -> 14,000.
    """

    def test_statements(self):
        result = evaluation_to_json(evaluate(sample("income_year3")))
        assert year_figures(result, "revenue") == ["36000.00", "45000.00", "56250.00"]
        assert year_figures(result, "gross_margin") == ["28800.00", "36000.00", "45000.00"]
        assert year_figures(result, "profit_before_tax") == ["16800.00", "24000.00", "33000.00"]
        assert year_figures(result, "break_even_revenue") == ["51000.00"] * 3
        assert result["private_drawings_per_month"] == "1800.00"
        assert result["gross_income_needed_per_year"] == "28800.00"
        assert result["months"][24]["receipts"]["revenue"] == "4687.50"
        assert closing(result)[11] == "200.00"
        assert closing(result)[23] == "2600.00"
        assert closing(result)[35] == "14000.00"
        assert (result["lowest_cash"], result["lowest_cash_month"]) == ("200.00", 12)

    def test_sufficient_income_from_year_3(self):
        evaluation = evaluate(sample("income_year3"))
        income = evaluation.check("sufficient_income")
        assert income.passed
        assert income.params["first_year"] == "3"
        assert income.params["gross_income_needed"] == "28800.00"
        assert "from year 3" in income.reason
        assert evaluation.verdict == Verdict.VIABLE

    def test_not_met_by_year_3_is_not_viable(self):
        plan = sample("income_year3")
        slower = dataclasses.replace(
            plan,
            revenue_lines=tuple(
                dataclasses.replace(line, growth_per_year=Decimal("0.10"))
                for line in plan.revenue_lines
            ),
        )
        # Year 3 revenue 36,000 x 1.21 = 43,560; margin 34,848; profit 22,848 < 28,800.
        evaluation = evaluate(slower)
        income = evaluation.check("sufficient_income")
        assert not income.passed
        assert income.params["profit_before_tax_year3"] == "22848.00"
        assert "first_year" not in income.params
        assert evaluation.verdict == Verdict.NOT_VIABLE

    def test_met_in_year_2_but_not_year_3_fails(self):
        # Shrinking revenue: year 1 meets the need, year 3 does not -> not sustained.
        plan = sample("income_year3")
        shrinking = dataclasses.replace(
            plan,
            revenue_lines=tuple(
                dataclasses.replace(line, growth_per_year=Decimal("-0.2"))
                for line in plan.revenue_lines
            ),
            fixed_costs=(),
        )
        # Profit = margin: 28,800 / 23,040 / 18,432 against 28,800.
        evaluation = evaluate(shrinking)
        assert [round(y.profit_before_tax) for y in evaluation.years] == [28800, 23040, 18432]
        assert not evaluation.check("sufficient_income").passed


class TestLoanWithGraceAndMidYearDepreciation:
    """loan_grace.json: a tailor's workshop.

    Loan 12,000 at 6 % (0.5 % a month), 12 months, 2 months' grace, equal principal, disbursed
    month 1. Instalments due months 2-13: 1 and 2 interest only (60 each), then 10 x 1,200
    principal with interest on the balance: 60, 54, 48, ..., 6.
      year 1 (instalments 1-11, months 2-12): principal 9 x 1,200 = 10,800;
        interest 60 + 60 + (60 + 54 + ... + 12) = 120 + 324 = 444
      year 2 (instalment 12, month 13): principal 1,200, interest 6
    Depreciation, straight line from the purchase month:
      sewing machines 5,000 over 5 years from month 4: 5,000 / 60 = 83.33... a month;
        year 1 months 4-12 = 9 -> 750; years 2 and 3 -> 1,000 each
      cutting table 1,000 over 3 years from month 6: 1,000 / 36 = 27.77... a month;
        year 1 months 6-12 = 7 -> 194.44...; years 2 and 3 -> 333.33...
      shop fittings: not depreciated.
      year 1 = 944.444... -> 944.44; years 2, 3 = 1,333.333... -> 1,333.33
    Investment budget 5,000 + 1,000 + 6,000 + 400 start-up + 1,600 working capital = 14,000
    = loan 12,000 + grant 2,000: gap 0.
    Cash: month 1: 12,000 + 2,000 + 4,000 - 6,000 - 400 - 1,600 - 1,200 - 300 - 700 = 7,800
      month 2: +1,800 - 60 = 9,540; month 3: 11,280;
      month 4: 11,280 + 1,800 - 5,000 - 1,200 - 60 = 6,820 (lowest)
      month 5: 6,820 + 1,800 - 1,200 - 54 = 7,366
    Year 1 profit = 33,600 - 3,600 - 944.444... - 444 = 28,611.555... -> 28,611.56
    DSCR year 1 = (28,611.56 + 944.44 + 444) / (10,800 + 444) = 30,000 / 11,244 = 2.668 -> 2.67
    """

    def test_loan_figures(self):
        evaluation = evaluate(sample("loan_grace"))
        result = evaluation_to_json(evaluation)
        assert year_figures(result, "interest") == ["444.00", "6.00", "0.00"]
        assert year_figures(result, "loan_principal") == ["10800.00", "1200.00", "0.00"]
        payments = [month["payments"] for month in result["months"]]
        assert [p["loan_principal"] for p in payments[:5]] == [
            "0.00",
            "0.00",
            "0.00",
            "1200.00",
            "1200.00",
        ]
        assert [p["loan_interest"] for p in payments[:6]] == [
            "0.00",
            "60.00",
            "60.00",
            "60.00",
            "54.00",
            "48.00",
        ]
        assert payments[12]["loan_interest"] == "6.00"
        assert payments[13]["loan_principal"] == "0.00"
        (schedule,) = evaluation.loan_schedules
        assert schedule.installments[0].due_date.isoformat() == "2027-02-01"

    def test_depreciation_mid_year(self):
        evaluation = evaluate(sample("loan_grace"))
        result = evaluation_to_json(evaluation)
        assert year_figures(result, "depreciation") == ["944.44", "1333.33", "1333.33"]
        # Full precision (34 digits) is kept until output: 750 + 1,000 x 7 / 36.
        exact = d("750") + d("7000") / d("36")
        assert abs(evaluation.years[0].depreciation - exact) < d("1e-24")
        assert evaluation.years[0].depreciation != d("944.44")

    def test_statements(self):
        result = evaluation_to_json(evaluate(sample("loan_grace")))
        assert result["investment_total"] == "14000.00"
        assert result["financing_total"] == "14000.00"
        assert result["financing_gap"] == "0.00"
        assert closing(result)[:5] == ["7800.00", "9540.00", "11280.00", "6820.00", "7366.00"]
        assert (result["lowest_cash"], result["lowest_cash_month"]) == ("6820.00", 4)
        assert year_figures(result, "profit_before_tax")[0] == "28611.56"
        assert year_figures(result, "debt_service_coverage") == ["2.67", "24.88", None]
        assert result["verdict"] == "viable"


class TestDebtServiceBelowThresholdInYear1:
    """dscr_year1.json: a coffee roaster, loan 12,000 at 12 % over 24 months, equal principal
    500, interest 1 % of the balance: instalment k pays 120 - 5(k - 1).
      year 1 (instalments 1-11): principal 5,500, interest 11 x 120 - 5 x 55 = 1,045
      year 2 (instalments 12-23): principal 6,000, interest 12 x 125 - 5 x 210 = 450
      year 3 (instalment 24): principal 500, interest 5
    Revenue 2,000 a month growing 50 %; cost of sales 50 %; stall 400 a month;
    depreciation 12,000 / 5 = 2,400. Gross margin minus fixed: 7,200 / 13,200 / 22,200.
      DSCR year 1 = 7,200 / 6,545 = 1.100... -> 1.10 (below 1.2)
      DSCR year 2 = 13,200 / 6,450 = 2.046... -> 2.05; year 3 = 22,200 / 505 = 43.96
    Partner earns more than the household spends: drawings max(1,200 - 1,500, 0) = 0.
    Cash: month 1: 500 + 12,000 - 12,000 + 2,000 - 1,000 - 400 = 1,100; then each month
    600 - 500 - interest: -20, -15, -10, -5, 0, ... -> lowest 1,050 in month 5 (and 6).
    """

    def test_figures_and_verdict(self):
        evaluation = evaluate(sample("dscr_year1"))
        result = evaluation_to_json(evaluation)
        assert result["private_drawings_per_month"] == "0.00"
        assert result["gross_income_needed_per_year"] == "0.00"
        assert year_figures(result, "loan_principal") == ["5500.00", "6000.00", "500.00"]
        assert year_figures(result, "interest") == ["1045.00", "450.00", "5.00"]
        assert year_figures(result, "debt_service") == ["6545.00", "6450.00", "505.00"]
        assert year_figures(result, "debt_service_coverage") == ["1.10", "2.05", "43.96"]
        assert (result["lowest_cash"], result["lowest_cash_month"]) == ("1050.00", 5)
        dscr = evaluation.check("debt_service_coverage")
        assert not dscr.passed
        assert dscr.params["years_below"] == "1"
        assert evaluation.verdict == Verdict.VIABLE_WITH_CONDITIONS
        (condition,) = evaluation.conditions
        assert condition.code == "debt_service_year1"
        assert condition.params == {"coverage_year1": "1.10", "threshold": "1.20"}

    def test_below_in_year_2_is_not_viable(self):
        # At a threshold of 2.10, year 2 (2.05) fails as well: no longer a year-1 start-up dip.
        plan = dataclasses.replace(sample("dscr_year1"), dscr_threshold=Decimal("2.1"))
        evaluation = evaluate(plan)
        assert evaluation.check("debt_service_coverage").params["years_below"] == "1, 2"
        assert evaluation.verdict == Verdict.NOT_VIABLE

    def test_threshold_compares_the_shown_ratio(self):
        # 1.100... shows as 1.10, which meets a threshold of exactly 1.10.
        plan = dataclasses.replace(sample("dscr_year1"), dscr_threshold=Decimal("1.10"))
        assert evaluate(plan).verdict == Verdict.VIABLE


def test_break_even_is_null_without_revenue_or_margin():
    plan = sample("income_year3")
    no_margin = dataclasses.replace(plan, cost_of_sales_rate=Decimal("1"))
    year = evaluation_to_json(evaluate(no_margin))["years"][0]
    assert year["break_even_revenue"] is None
    assert year["break_even_revenue_reason"]["code"] == "gross_margin_not_positive"
    no_volume = dataclasses.replace(
        plan,
        revenue_lines=tuple(
            dataclasses.replace(line, volume_per_month=(Decimal(0),)) for line in plan.revenue_lines
        ),
    )
    year = evaluation_to_json(evaluate(no_volume))["years"][2]
    assert year["break_even_revenue"] is None
    assert year["break_even_revenue_reason"]["code"] == "no_revenue"
