"""A stored evaluation (docs/plans.md) as the pages and the PDF show it, in the reader's
language: key figures, the checks and conditions translated by their code and params (never
the calculation's English `reason`), and the two charts with their tables."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opstap.core import formatting

from . import charts
from .choices import Verdict

VERDICT_BADGES = {
    Verdict.VIABLE: "success",
    Verdict.VIABLE_WITH_CONDITIONS: "warning",
    Verdict.NOT_VIABLE: "danger",
}


def euro(value: Any) -> str:
    """An amount as the reader writes it ("—" for nothing)."""
    return formatting.money(value)


def ratio(value: Any) -> str:
    return formatting.number(value, 2)


def percent(share: Any) -> str:
    return formatting.percent(share, 1)


def calendar_month(value: str | None) -> str:
    if not value:
        return ""
    try:
        day = datetime.date(int(value[:4]), int(value[5:7]), 1)
    except ValueError:
        return value
    return formatting.day(day, "month")


def verdict_label(verdict: str | None) -> str:
    if not verdict:
        return _("Not calculated yet")
    return str(Verdict(verdict).label)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str


def key_figures(evaluation: dict[str, Any] | None) -> list[Figure]:
    if not evaluation:
        return []
    gap = Decimal(evaluation["financing_gap"])
    figures = [
        Figure(
            "financing_gap",
            _("Financing gap") if gap > 0 else _("Financing surplus"),
            euro(abs(gap)),
        ),
        Figure(
            "lowest_cash",
            _("Lowest cash"),
            _("%(amount)s in month %(month)s (%(calendar)s)")
            % {
                "amount": euro(evaluation["lowest_cash"]),
                "month": evaluation["lowest_cash_month"],
                "calendar": calendar_month(_month_calendar(evaluation)),
            },
        ),
    ]
    for year in evaluation.get("years", []):
        figures.append(
            Figure(
                f"profit_year{year['year']}",
                _("Profit before tax, year %(number)s") % {"number": year["year"]},
                euro(year["profit_before_tax"]),
            )
        )
    figures.append(
        Figure(
            "gross_income_needed",
            _("Gross income needed a year"),
            euro(evaluation["gross_income_needed_per_year"]),
        )
    )
    years = evaluation.get("years", [])
    if years:
        first = years[0]
        figures.append(
            Figure(
                "break_even",
                _("Break-even revenue, year 1"),
                euro(first["break_even_revenue"])
                if first.get("break_even_revenue")
                else _reason_text(first.get("break_even_revenue_reason")),
            )
        )
        coverage = [
            _("year %(number)s: %(value)s")
            % {"number": y["year"], "value": ratio(y["debt_service_coverage"])}
            for y in years
            if y.get("debt_service_coverage")
        ]
        figures.append(
            Figure(
                "dscr",
                _("Debt service coverage"),
                ", ".join(coverage) if coverage else _("no loan repayments"),
            )
        )
    return figures


def _month_calendar(evaluation: dict[str, Any]) -> str | None:
    number = evaluation.get("lowest_cash_month")
    for month in evaluation.get("months", []):
        if month["month"] == number:
            return month["calendar_month"]
    return None


def _reason_text(reason: dict[str, Any] | None) -> str:
    code = (reason or {}).get("code")
    if code == "no_revenue":
        return _("no revenue that year")
    if code == "gross_margin_not_positive":
        return _("no gross margin that year")
    if code == "no_debt_service":
        return _("no loan repayments that year")
    return "—"


@dataclass(frozen=True)
class CheckText:
    code: str
    title: str
    passed: bool
    text: str


CHECK_TITLES = {
    "financing_gap": lambda: _("The plan is financed"),
    "cash_never_negative": lambda: _("Cash never below zero"),
    "sufficient_income": lambda: _("A sufficient income"),
    "debt_service_coverage": lambda: _("Repayments can be carried"),
}


def check_text(check: dict[str, Any]) -> str:
    code, p, passed = check["code"], check.get("params") or {}, check["passed"]
    if code == "financing_gap":
        values = {
            "financing": euro(p.get("financing_total")),
            "investment": euro(p.get("investment_total")),
            "gap": euro(abs(Decimal(p.get("financing_gap", "0")))),
        }
        if passed:
            return (
                _(
                    "The financing of %(financing)s covers the investment budget of "
                    "%(investment)s (%(gap)s to spare)."
                )
                % values
            )
        return (
            _(
                "The financing of %(financing)s falls %(gap)s short of the investment budget "
                "of %(investment)s. Find more financing or invest less."
            )
            % values
        )
    if code == "cash_never_negative":
        values = {
            "lowest": euro(p.get("lowest_cash")),
            "month": p.get("lowest_cash_month", ""),
            "calendar": calendar_month(p.get("lowest_cash_calendar_month")),
            "first": p.get("first_negative_month", ""),
            "first_calendar": calendar_month(p.get("first_negative_calendar_month")),
            "first_cash": euro(p.get("first_negative_cash")),
        }
        if passed:
            return (
                _(
                    "Cash stays at zero or more in all 36 months. The lowest balance is "
                    "%(lowest)s in month %(month)s (%(calendar)s)."
                )
                % values
            )
        return (
            _(
                "Cash falls below zero in month %(first)s (%(first_calendar)s), to "
                "%(first_cash)s. The lowest balance is %(lowest)s in month %(month)s "
                "(%(calendar)s)."
            )
            % values
        )
    if code == "sufficient_income":
        values = {
            "need": euro(p.get("gross_income_needed")),
            "drawings": euro(p.get("private_drawings_per_month")),
            "rate": percent(p.get("tax_and_contributions_rate")),
            "year1": euro(p.get("profit_before_tax_year1")),
            "year2": euro(p.get("profit_before_tax_year2")),
            "year3": euro(p.get("profit_before_tax_year3")),
            "first": p.get("first_year", ""),
        }
        if passed:
            return (
                _(
                    "The household needs %(drawings)s a month, which is a gross income of "
                    "%(need)s a year (at %(rate)s tax and contributions). Profit before tax "
                    "reaches it from year %(first)s and stays above it through year 3."
                )
                % values
            )
        return (
            _(
                "The household needs %(drawings)s a month, which is a gross income of "
                "%(need)s a year (at %(rate)s tax and contributions). Profit before tax "
                "(year 1 %(year1)s, year 2 %(year2)s, year 3 %(year3)s) does not reach it "
                "by year 3."
            )
            % values
        )
    if code == "debt_service_coverage":
        threshold = ratio(p.get("threshold"))
        years = [
            _("year %(number)s: %(value)s") % {"number": n, "value": ratio(p[f"coverage_year{n}"])}
            for n in (1, 2, 3)
            if p.get(f"coverage_year{n}")
        ]
        if not years:
            return _("There are no loan repayments to carry.")
        values = {"threshold": threshold, "years": ", ".join(years)}
        if passed:
            return (
                _(
                    "The cash the business earns covers the loan repayments at least "
                    "%(threshold)s times in every year (%(years)s)."
                )
                % values
            )
        below = p.get("years_below", "")
        count = len([y for y in below.split(",") if y.strip()])
        return ngettext(
            "The cash the business earns covers the loan repayments less than %(threshold)s "
            "times in year %(below)s (%(years)s).",
            "The cash the business earns covers the loan repayments less than %(threshold)s "
            "times in years %(below)s (%(years)s).",
            count,
        ) % {**values, "below": below}
    return ""


def condition_text(condition: dict[str, Any]) -> str:
    code, p = condition["code"], condition.get("params") or {}
    if code == "extra_financing":
        return _(
            "Arrange %(amount)s of extra financing (own money, a grant or a credit facility) "
            "before month %(month)s (%(calendar)s), when cash would first fall below zero."
        ) % {
            "amount": euro(p.get("extra_financing")),
            "month": p.get("before_month", ""),
            "calendar": calendar_month(p.get("before_calendar_month")),
        }
    if code == "debt_service_year1":
        return _(
            "Follow the repayments in the first year closely: the debt service coverage of "
            "year 1 is %(coverage)s, below the %(threshold)s required."
        ) % {"coverage": ratio(p.get("coverage_year1")), "threshold": ratio(p.get("threshold"))}
    return code


def checks(evaluation: dict[str, Any] | None) -> list[CheckText]:
    if not evaluation:
        return []
    return [
        CheckText(
            code=c["code"],
            title=str(CHECK_TITLES[c["code"]]()) if c["code"] in CHECK_TITLES else c["code"],
            passed=c["passed"],
            text=check_text(c),
        )
        for c in evaluation.get("checks", [])
    ]


def conditions(evaluation: dict[str, Any] | None) -> list[str]:
    if not evaluation:
        return []
    return [condition_text(c) for c in evaluation.get("conditions", [])]


def chart_context(evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The charts and the rows of their tables."""
    if not evaluation:
        return {}
    cash_rows = [
        {
            "month": m["month"],
            "calendar": calendar_month(m["calendar_month"]),
            "receipts": euro(m["receipts"]["total"]),
            "payments": euro(m["payments"]["total"]),
            "closing": euro(m["closing_cash"]),
            "negative": Decimal(m["closing_cash"]) < 0,
        }
        for m in evaluation.get("months", [])
    ]
    year_rows = [
        {
            "year": y["year"],
            "revenue": euro(y["revenue"]),
            "break_even": euro(y["break_even_revenue"])
            if y.get("break_even_revenue")
            else _reason_text(y.get("break_even_revenue_reason")),
            "above": bool(y.get("break_even_revenue"))
            and Decimal(y["revenue"]) >= Decimal(y["break_even_revenue"]),
        }
        for y in evaluation.get("years", [])
    ]
    return {
        "cash_chart": charts.cash_chart(evaluation),
        "break_even_chart": charts.break_even_chart(
            evaluation, _("Revenue"), _("Break-even revenue"), _("Year %(number)s")
        ),
        "cash_rows": cash_rows,
        "year_rows": year_rows,
    }


# The lines of the budgets (JSON key → label) for the summary, the PDF and the spreadsheet.
def profit_lines() -> list[tuple[str, str]]:
    return [
        ("revenue", _("Revenue")),
        ("cost_of_sales", _("Cost of sales")),
        ("gross_margin", _("Gross margin")),
        ("fixed_costs", _("Fixed costs")),
        ("depreciation", _("Depreciation")),
        ("interest", _("Interest")),
        ("profit_before_tax", _("Profit before tax")),
        ("loan_principal", _("Loan repayments (principal)")),
        ("debt_service", _("Debt service")),
        ("gross_income_needed", _("Gross income needed")),
        ("break_even_revenue", _("Break-even revenue")),
        ("debt_service_coverage", _("Debt service coverage")),
    ]


def receipt_lines() -> list[tuple[str, str]]:
    return [
        ("own_contribution", _("Own contribution")),
        ("loans", _("Loans")),
        ("grants", _("Grants")),
        ("revenue", _("Revenue")),
        ("total", _("Total receipts")),
    ]


def payment_lines() -> list[tuple[str, str]]:
    return [
        ("investments", _("Investments")),
        ("start_up_costs", _("Start-up costs")),
        ("working_capital", _("Working capital")),
        ("cost_of_sales", _("Cost of sales")),
        ("fixed_costs", _("Fixed costs")),
        ("loan_principal", _("Loan repayments (principal)")),
        ("loan_interest", _("Loan interest")),
        ("private_drawings", _("Private drawings")),
        ("total", _("Total payments")),
    ]


def profit_table(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, label in profit_lines():
        values = []
        for year in evaluation.get("years", []):
            value = year.get(key)
            if key == "debt_service_coverage":
                values.append(ratio(value) if value else _reason_text(year.get(f"{key}_reason")))
            elif key == "break_even_revenue" and not value:
                values.append(_reason_text(year.get(f"{key}_reason")))
            else:
                values.append(euro(value))
        rows.append({"key": key, "label": label, "values": values})
    return rows


def cash_flow_years(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """The cash flow as one table per plan year of 12 months (36 columns do not fit)."""
    months = evaluation.get("months", [])
    result = []
    for start in range(0, len(months), 12):
        block = months[start : start + 12]
        rows = [
            {
                "label": _("Opening cash"),
                "values": [euro(m["opening_cash"]) for m in block],
                "strong": False,
            }
        ]
        rows += [
            {
                "label": label,
                "values": [euro(m["receipts"][key]) for m in block],
                "strong": key == "total",
            }
            for key, label in receipt_lines()
        ]
        rows += [
            {
                "label": label,
                "values": [euro(m["payments"][key]) for m in block],
                "strong": key == "total",
            }
            for key, label in payment_lines()
        ]
        rows.append(
            {
                "label": _("Closing cash"),
                "values": [euro(m["closing_cash"]) for m in block],
                "strong": True,
            }
        )
        result.append(
            {
                "year": start // 12 + 1,
                "months": [
                    {"number": m["month"], "calendar": calendar_month(m["calendar_month"])}
                    for m in block
                ],
                "rows": rows,
            }
        )
    return result
