"""The JSON contract of the plan calculation (docs/plans.md): plan in, evaluation out.

Amounts and rates travel as decimal strings: a JSON number is a binary float in most
producers, and money must not pick up float artefacts on its way in. The evaluation keeps
full precision; amounts are rounded half-even to the cent when written out here (the checks
compare the same rounded figures, see evaluate.py).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from .evaluate import Check, Condition, Evaluation, MonthCash, Note, YearResult, cents
from .model import (
    FinancialPlan,
    FixedCost,
    Grant,
    HouseholdItem,
    Investment,
    Loan,
    LoanAmortization,
    OwnContribution,
    PlanError,
    Revenue,
    RevenueLine,
    StartUpCost,
)

_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,12})?")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

T = TypeVar("T")

_TOP_KEYS = (
    "start_month",
    "tax_and_contributions_rate",
    "dscr_threshold",
    "cash_shortfall_tolerance_rate",
    "investments",
    "start_up_costs",
    "working_capital",
    "own_contribution",
    "loans",
    "grants",
    "revenue",
    "revenue_lines",
    "cost_of_sales_rate",
    "fixed_costs",
    "household_expenses",
    "other_household_income",
)


# --- reading -------------------------------------------------------------------------------


def _decimal(key: str, value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise PlanError(key, f'must be a decimal string such as "12.50", not {_json(value)}')
    if isinstance(value, float):
        example = repr(value) if _DECIMAL.fullmatch(repr(value)) else "12.50"
        raise PlanError(
            key, f'must be a decimal string such as "{example}", not the number {value!r}'
        )
    if isinstance(value, int):
        raise PlanError(key, f'must be a decimal string such as "{value}", not the number {value}')
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        raise PlanError(key, f'must be a decimal string such as "12.50", not {_json(value)}')
    return Decimal(value.strip())


def _json(value: object) -> str:
    """`value` as the user wrote it in JSON, for a message."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, dict | list):
        return "a JSON object" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "...'"


def _integer(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(key, f"must be a whole number such as 12, not {_json(value)}")
    return value


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise PlanError(key, f"must be text, not {_json(value)}")
    return value


def _object(
    key: str, value: object, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlanError(key, "must be a JSON object")
    known = required + optional
    for name in value:
        if name not in known:
            raise PlanError(
                _join(key, str(name)), f"is not a known key (known: {', '.join(known)})"
            )
    for name in required:
        if name not in value:
            raise PlanError(_join(key, name), "is missing")
    return value


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _list(key: str, value: object, parse: Callable[[str, object], T]) -> tuple[T, ...]:
    if not isinstance(value, list):
        raise PlanError(key, "must be a list")
    return tuple(parse(f"{key}[{index}]", item) for index, item in enumerate(value))


def _start_month(key: str, value: object) -> datetime.date:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise PlanError(
            key, f'must be a month written yyyy-mm such as "2027-01", not {_json(value)}'
        )
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def _investment(key: str, value: object) -> Investment:
    data = _object(key, value, ("description", "amount", "month", "depreciation_years"))
    return Investment(
        description=_string(f"{key}.description", data["description"]),
        amount=_decimal(f"{key}.amount", data["amount"]),
        month=_integer(f"{key}.month", data["month"]),
        depreciation_years=_integer(f"{key}.depreciation_years", data["depreciation_years"]),
    )


def _start_up_cost(key: str, value: object) -> StartUpCost:
    data = _object(key, value, ("description", "amount", "month"))
    return StartUpCost(
        description=_string(f"{key}.description", data["description"]),
        amount=_decimal(f"{key}.amount", data["amount"]),
        month=_integer(f"{key}.month", data["month"]),
    )


def _own_contribution(key: str, value: object) -> OwnContribution:
    data = _object(key, value, ("amount",), ("month",))
    return OwnContribution(
        amount=_decimal(f"{key}.amount", data["amount"]),
        month=_integer(f"{key}.month", data.get("month", 1)),
    )


def _loan(key: str, value: object) -> Loan:
    data = _object(
        key,
        value,
        ("description", "amount", "interest_rate", "term_months"),
        ("grace_months", "month", "amortization"),
    )
    amortization = data.get("amortization", LoanAmortization.EQUAL_INSTALLMENTS.value)
    try:
        kind = LoanAmortization(amortization)
    except ValueError:
        allowed = ", ".join(member.value for member in LoanAmortization)
        raise PlanError(
            f"{key}.amortization", f"must be one of {allowed}, not {_json(amortization)}"
        ) from None
    return Loan(
        description=_string(f"{key}.description", data["description"]),
        amount=_decimal(f"{key}.amount", data["amount"]),
        interest_rate=_decimal(f"{key}.interest_rate", data["interest_rate"]),
        term_months=_integer(f"{key}.term_months", data["term_months"]),
        grace_months=_integer(f"{key}.grace_months", data.get("grace_months", 0)),
        month=_integer(f"{key}.month", data.get("month", 1)),
        amortization=kind,
    )


def _grant(key: str, value: object) -> Grant:
    data = _object(key, value, ("description", "amount", "month"))
    return Grant(
        description=_string(f"{key}.description", data["description"]),
        amount=_decimal(f"{key}.amount", data["amount"]),
        month=_integer(f"{key}.month", data["month"]),
    )


def _revenue(key: str, value: object) -> Revenue:
    data = _object(key, value, (), ("year1_monthly", "monthly", "growth_per_year"))
    if "year1_monthly" in data and "monthly" in data:
        raise PlanError(key, "give either year1_monthly (12 amounts) or monthly, not both")
    if "year1_monthly" not in data and "monthly" not in data:
        raise PlanError(key, "give year1_monthly (12 amounts) or monthly")
    growth = _decimal(f"{key}.growth_per_year", data.get("growth_per_year", "0"))
    if "monthly" in data:
        return Revenue(monthly=_decimal(f"{key}.monthly", data["monthly"]), growth_per_year=growth)
    months = _list(f"{key}.year1_monthly", data["year1_monthly"], _decimal)
    if len(months) != 12:
        raise PlanError(f"{key}.year1_monthly", f"must list exactly 12 amounts, not {len(months)}")
    return Revenue(year1_monthly=months, growth_per_year=growth)


def _revenue_line(key: str, value: object) -> RevenueLine:
    data = _object(key, value, ("description", "price", "volume_per_month"), ("growth_per_year",))
    raw = data["volume_per_month"]
    volume_key = f"{key}.volume_per_month"
    if isinstance(raw, list):
        volumes = _list(volume_key, raw, _decimal)
        if len(volumes) != 12:
            raise PlanError(
                volume_key, f"must be one value or exactly 12 values, not {len(volumes)}"
            )
    else:
        volumes = (_decimal(volume_key, raw),)
    return RevenueLine(
        description=_string(f"{key}.description", data["description"]),
        price=_decimal(f"{key}.price", data["price"]),
        volume_per_month=volumes,
        growth_per_year=_decimal(f"{key}.growth_per_year", data.get("growth_per_year", "0")),
    )


def _fixed_cost(key: str, value: object) -> FixedCost:
    data = _object(key, value, ("description", "monthly_amount"))
    return FixedCost(
        description=_string(f"{key}.description", data["description"]),
        monthly_amount=_decimal(f"{key}.monthly_amount", data["monthly_amount"]),
    )


def _household_item(key: str, value: object) -> HouseholdItem:
    data = _object(key, value, ("description", "amount"))
    return HouseholdItem(
        description=_string(f"{key}.description", data["description"]),
        amount=_decimal(f"{key}.amount", data["amount"]),
    )


def plan_from_json(
    data: object,
    *,
    tax_and_contributions_rate: Decimal | None = None,
    dscr_threshold: Decimal | None = None,
) -> FinancialPlan:
    """Parse the JSON plan (docs/plans.md); PlanError names the offending key.

    The keyword arguments let a caller supply the organisation's assumptions: when given,
    they replace whatever the JSON says (so a stored plan may leave them out)."""
    optional = tuple(name for name in _TOP_KEYS if name != "start_month")
    data = _object("", data, ("start_month",), optional) if isinstance(data, dict) else data
    if not isinstance(data, dict):
        raise PlanError("plan", "must be a JSON object holding the financial plan")
    kwargs: dict[str, Any] = {"start_month": _start_month("start_month", data["start_month"])}
    if tax_and_contributions_rate is not None:
        kwargs["tax_and_contributions_rate"] = tax_and_contributions_rate
    elif "tax_and_contributions_rate" in data:
        kwargs["tax_and_contributions_rate"] = _decimal(
            "tax_and_contributions_rate", data["tax_and_contributions_rate"]
        )
    else:
        raise PlanError(
            "tax_and_contributions_rate", 'is missing (the organisation\'s rate, e.g. "0.30")'
        )
    if dscr_threshold is not None:
        kwargs["dscr_threshold"] = dscr_threshold
    for name in ("dscr_threshold", "cash_shortfall_tolerance_rate", "working_capital"):
        if name in data and name not in kwargs:
            kwargs[name] = _decimal(name, data[name])
    if "cost_of_sales_rate" in data:
        kwargs["cost_of_sales_rate"] = _decimal("cost_of_sales_rate", data["cost_of_sales_rate"])
    lists: dict[str, Callable[[str, object], object]] = {
        "investments": _investment,
        "start_up_costs": _start_up_cost,
        "loans": _loan,
        "grants": _grant,
        "revenue_lines": _revenue_line,
        "fixed_costs": _fixed_cost,
        "household_expenses": _household_item,
        "other_household_income": _household_item,
    }
    for name, parse in lists.items():
        if name in data:
            kwargs[name] = _list(name, data[name], parse)
    if data.get("own_contribution") is not None:
        kwargs["own_contribution"] = _own_contribution("own_contribution", data["own_contribution"])
    if data.get("revenue") is not None:
        kwargs["revenue"] = _revenue("revenue", data["revenue"])
    return FinancialPlan(**kwargs)


# --- writing -------------------------------------------------------------------------------


def _text(value: Decimal) -> str:
    return f"{value:f}"


def plan_to_json(plan: FinancialPlan) -> dict[str, Any]:
    """The JSON form of `plan`, every setting spelled out; plan_from_json reads it back."""
    data: dict[str, Any] = {
        "start_month": plan.start_month.isoformat()[:7],
        "tax_and_contributions_rate": _text(plan.tax_and_contributions_rate),
        "dscr_threshold": _text(plan.dscr_threshold),
        "cash_shortfall_tolerance_rate": _text(plan.cash_shortfall_tolerance_rate),
        "investments": [
            {
                "description": item.description,
                "amount": _text(item.amount),
                "month": item.month,
                "depreciation_years": item.depreciation_years,
            }
            for item in plan.investments
        ],
        "start_up_costs": [
            {"description": item.description, "amount": _text(item.amount), "month": item.month}
            for item in plan.start_up_costs
        ],
        "working_capital": _text(plan.working_capital),
        "own_contribution": None
        if plan.own_contribution is None
        else {
            "amount": _text(plan.own_contribution.amount),
            "month": plan.own_contribution.month,
        },
        "loans": [
            {
                "description": loan.description,
                "amount": _text(loan.amount),
                "interest_rate": _text(loan.interest_rate),
                "term_months": loan.term_months,
                "grace_months": loan.grace_months,
                "month": loan.month,
                "amortization": loan.amortization.value,
            }
            for loan in plan.loans
        ],
        "grants": [
            {"description": item.description, "amount": _text(item.amount), "month": item.month}
            for item in plan.grants
        ],
    }
    if plan.revenue is not None:
        revenue = plan.revenue
        revenue_data: dict[str, Any] = (
            {"year1_monthly": [_text(amount) for amount in revenue.year1_monthly]}
            if revenue.year1_monthly is not None
            else {"monthly": _text(revenue.monthly or Decimal(0))}
        )
        revenue_data["growth_per_year"] = _text(revenue.growth_per_year)
        data["revenue"] = revenue_data
    else:
        data["revenue_lines"] = [
            {
                "description": line.description,
                "price": _text(line.price),
                "volume_per_month": _text(line.volume_per_month[0])
                if len(line.volume_per_month) == 1
                else [_text(volume) for volume in line.volume_per_month],
                "growth_per_year": _text(line.growth_per_year),
            }
            for line in plan.revenue_lines
        ]
    data.update(
        {
            "cost_of_sales_rate": _text(plan.cost_of_sales_rate),
            "fixed_costs": [
                {"description": item.description, "monthly_amount": _text(item.monthly_amount)}
                for item in plan.fixed_costs
            ],
            "household_expenses": [
                {"description": item.description, "amount": _text(item.amount)}
                for item in plan.household_expenses
            ],
            "other_household_income": [
                {"description": item.description, "amount": _text(item.amount)}
                for item in plan.other_household_income
            ],
        }
    )
    return data


def money(value: Decimal) -> str:
    """An amount rounded half-even to the cent, always with two decimals, never "-0.00"."""
    return f"{cents(value):f}"


def _optional_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _note(note: Note | None) -> dict[str, str] | None:
    return None if note is None else {"code": note.code, "reason": note.reason}


def _year(year: YearResult) -> dict[str, Any]:
    return {
        "year": year.year,
        "revenue": money(year.revenue),
        "cost_of_sales": money(year.cost_of_sales),
        "gross_margin": money(year.gross_margin),
        "fixed_costs": money(year.fixed_costs),
        "depreciation": money(year.depreciation),
        "interest": money(year.interest),
        "profit_before_tax": money(year.profit_before_tax),
        "loan_principal": money(year.loan_principal),
        "debt_service": money(year.debt_service),
        "gross_income_needed": money(year.gross_income_needed),
        "break_even_revenue": _optional_money(year.break_even_revenue),
        "break_even_revenue_reason": _note(year.break_even_revenue_reason),
        "debt_service_coverage": _optional_money(year.debt_service_coverage),
        "debt_service_coverage_reason": _note(year.debt_service_coverage_reason),
    }


def _month(month: MonthCash) -> dict[str, Any]:
    receipts = month.receipts
    payments = month.payments
    return {
        "month": month.month,
        "calendar_month": month.calendar_month.isoformat()[:7],
        "opening_cash": money(month.opening_cash),
        "receipts": {
            "own_contribution": money(receipts.own_contribution),
            "loans": money(receipts.loans),
            "grants": money(receipts.grants),
            "revenue": money(receipts.revenue),
            "total": money(receipts.total),
        },
        "payments": {
            "investments": money(payments.investments),
            "start_up_costs": money(payments.start_up_costs),
            "working_capital": money(payments.working_capital),
            "cost_of_sales": money(payments.cost_of_sales),
            "fixed_costs": money(payments.fixed_costs),
            "loan_principal": money(payments.loan_principal),
            "loan_interest": money(payments.loan_interest),
            "private_drawings": money(payments.private_drawings),
            "total": money(payments.total),
        },
        "closing_cash": money(month.closing_cash),
    }


def _check(check: Check) -> dict[str, Any]:
    return {
        "code": check.code,
        "passed": check.passed,
        "reason": check.reason,
        "params": dict(check.params),
    }


def _condition(condition: Condition) -> dict[str, Any]:
    return {"code": condition.code, "reason": condition.reason, "params": dict(condition.params)}


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as the CLI prints it and the Django layer stores it (docs/plans.md)."""
    plan = evaluation.plan
    return {
        "start_month": plan.start_month.isoformat()[:7],
        "assumptions": {
            "tax_and_contributions_rate": _text(plan.tax_and_contributions_rate),
            "dscr_threshold": _text(plan.dscr_threshold),
            "cash_shortfall_tolerance_rate": _text(plan.cash_shortfall_tolerance_rate),
        },
        "investment": {
            "investments": money(evaluation.investments),
            "start_up_costs": money(evaluation.start_up_costs),
            "working_capital": money(evaluation.working_capital),
        },
        "investment_total": money(evaluation.investment_total),
        "financing": {
            "own_contribution": money(evaluation.own_contribution),
            "loans": money(evaluation.loans),
            "grants": money(evaluation.grants),
        },
        "financing_total": money(evaluation.financing_total),
        "financing_gap": money(evaluation.financing_gap),
        "private_drawings_per_month": money(evaluation.private_drawings_per_month),
        "gross_income_needed_per_year": money(evaluation.gross_income_needed_per_year),
        "years": [_year(year) for year in evaluation.years],
        "months": [_month(month) for month in evaluation.months],
        "lowest_cash": money(evaluation.lowest_cash),
        "lowest_cash_month": evaluation.lowest_cash_month,
        "checks": [_check(check) for check in evaluation.checks],
        "verdict": evaluation.verdict.value,
        "conditions": [_condition(condition) for condition in evaluation.conditions],
    }
