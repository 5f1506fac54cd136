"""The JSON contract of the engine (docs/lending.md): loan terms in, schedule out.

Amounts and rates travel as decimal strings: a JSON number is a binary float in most
producers, and money must not pick up float artefacts on its way in.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from .schedule import Schedule
from .terms import (
    Amortization,
    Charge,
    ChargeKind,
    DaysInMonth,
    DaysInYear,
    Disbursement,
    InterestMethod,
    InterestPeriod,
    LoanTerms,
    RatePer,
    RepaymentUnit,
    RoundingMode,
    TermsError,
)

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_ENUMS: dict[str, type[StrEnum]] = {
    "interest_rate_per": RatePer,
    "interest_method": InterestMethod,
    "amortization": Amortization,
    "interest_period": InterestPeriod,
    "repayment_unit": RepaymentUnit,
    "days_in_year": DaysInYear,
    "days_in_month": DaysInMonth,
    "rounding_mode": RoundingMode,
}
_INTEGERS = (
    "number_of_repayments",
    "repayment_every",
    "grace_on_principal",
    "grace_on_interest_payment",
    "grace_on_interest_charged",
    "currency_decimals",
)
_DECIMALS = ("interest_rate", "fixed_principal_percentage", "installment_multiple_of")
_KEYS = frozenset(
    {"principal", "disbursement_date", "disbursements", "first_repayment_date", "charges"}
    | set(_ENUMS)
    | set(_INTEGERS)
    | set(_DECIMALS)
)

E = TypeVar("E", bound=StrEnum)


def _decimal(key: str, value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise TermsError(key, 'must be a decimal string such as "12.5"')
    if isinstance(value, int | float):
        raise TermsError(key, 'must be a decimal string such as "12.5", not a number')
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        raise TermsError(key, f'must be a decimal string such as "12.5", not {value!r}')
    return Decimal(value.strip())


def _integer(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TermsError(key, f"must be a whole number such as 12, not {value!r}")
    return value


def _date(key: str, value: object) -> datetime.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise TermsError(key, f"must be a date written yyyy-mm-dd, not {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise TermsError(key, f"is not a valid date: {value!r}") from None


def _enum(key: str, value: object, enum: type[E]) -> E:
    # days_in_year is a number in people's heads; accept 360 as well as "360".
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise TermsError(key, f"must be one of {allowed}, not {value!r}") from None


def _object(key: str, value: object, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TermsError(key, "must be a JSON object")
    for name in required:
        if name not in value:
            raise TermsError(f"{key}.{name}", "is missing")
    unknown = sorted(set(value) - set(required))
    if unknown:
        raise TermsError(
            f"{key}.{unknown[0]}", f"is not a known key (known: {', '.join(required)})"
        )
    return value


def terms_from_json(data: object) -> LoanTerms:
    """Parse the JSON contract into LoanTerms; TermsError names the offending key."""
    if not isinstance(data, dict):
        raise TermsError("terms", "must be a JSON object holding the loan terms")
    for key in data:
        if key not in _KEYS:
            raise TermsError(str(key), "is not a known key (see docs/lending.md)")
    kwargs: dict[str, Any] = {}

    single = "principal" in data or "disbursement_date" in data
    if single and "disbursements" in data:
        raise TermsError(
            "disbursements", "give either principal and disbursement_date or disbursements"
        )
    if "disbursements" in data:
        items = data["disbursements"]
        if not isinstance(items, list) or not items:
            raise TermsError("disbursements", "must be a non-empty list of {date, amount}")
        disbursements = []
        for index, item in enumerate(items):
            key = f"disbursements[{index}]"
            entry = _object(key, item, ("date", "amount"))
            disbursements.append(
                Disbursement(
                    _date(f"{key}.date", entry["date"]), _decimal(f"{key}.amount", entry["amount"])
                )
            )
        kwargs["disbursements"] = tuple(disbursements)
    else:
        for name in ("principal", "disbursement_date"):
            if name not in data:
                raise TermsError(name, "is missing (or give disbursements)")
        kwargs["disbursements"] = (
            Disbursement(
                _date("disbursement_date", data["disbursement_date"]),
                _decimal("principal", data["principal"]),
            ),
        )

    for name in ("interest_rate", "number_of_repayments"):
        if name not in data:
            raise TermsError(name, "is missing")
    for name in _DECIMALS:
        optional = ("fixed_principal_percentage", "installment_multiple_of")
        if name in data and not (name in optional and data[name] is None):
            kwargs[name] = _decimal(name, data[name])
    for name in _INTEGERS:
        if name in data:
            kwargs[name] = _integer(name, data[name])
    for name, enum in _ENUMS.items():
        if name in data:
            kwargs[name] = _enum(name, data[name], enum)
    if data.get("first_repayment_date") is not None:
        kwargs["first_repayment_date"] = _date("first_repayment_date", data["first_repayment_date"])
    if "charges" in data:
        items = data["charges"]
        if not isinstance(items, list):
            raise TermsError("charges", "must be a list of {kind, amount}")
        charges = []
        for index, item in enumerate(items):
            key = f"charges[{index}]"
            entry = _object(key, item, ("kind", "amount"))
            charges.append(
                Charge(
                    _enum(f"{key}.kind", entry["kind"], ChargeKind),
                    _decimal(f"{key}.amount", entry["amount"]),
                )
            )
        kwargs["charges"] = tuple(charges)

    try:
        return LoanTerms(**kwargs)
    except TermsError as error:
        if single and error.key.startswith("disbursements[0]"):
            # The input had no disbursements list: name the key the user actually wrote.
            key = "principal" if error.key.endswith(".amount") else "disbursement_date"
            raise TermsError(key, error.message) from None
        raise


def _text(amount: Decimal) -> str:
    return f"{amount:f}"


def terms_to_json(terms: LoanTerms) -> dict[str, Any]:
    """The JSON form of `terms`, every setting spelled out; terms_from_json reads it back."""
    data: dict[str, Any] = {}
    if len(terms.disbursements) == 1:
        data["principal"] = _text(terms.principal)
        data["disbursement_date"] = terms.disbursement_date.isoformat()
    else:
        data["disbursements"] = [
            {"date": d.date.isoformat(), "amount": _text(d.amount)} for d in terms.disbursements
        ]
    data.update(
        {
            "interest_rate": _text(terms.interest_rate),
            "interest_rate_per": terms.interest_rate_per.value,
            "interest_method": terms.interest_method.value,
            "amortization": terms.amortization.value,
            "fixed_principal_percentage": None
            if terms.fixed_principal_percentage is None
            else _text(terms.fixed_principal_percentage),
            "interest_period": terms.interest_period.value,
            "repayment_every": terms.repayment_every,
            "repayment_unit": terms.repayment_unit.value,
            "number_of_repayments": terms.number_of_repayments,
            "first_repayment_date": None
            if terms.first_repayment_date is None
            else terms.first_repayment_date.isoformat(),
            "days_in_year": terms.days_in_year.value,
            "days_in_month": terms.days_in_month.value,
            "grace_on_principal": terms.grace_on_principal,
            "grace_on_interest_payment": terms.grace_on_interest_payment,
            "grace_on_interest_charged": terms.grace_on_interest_charged,
            "currency_decimals": terms.currency_decimals,
            "rounding_mode": terms.rounding_mode.value,
            "installment_multiple_of": None
            if terms.installment_multiple_of is None
            else _text(terms.installment_multiple_of),
            "charges": [{"kind": c.kind.value, "amount": _text(c.amount)} for c in terms.charges],
        }
    )
    return data


def schedule_to_json(schedule: Schedule) -> dict[str, Any]:
    """The schedule as the CLI prints it; amounts keep the currency's decimal places."""
    return {
        "installments": [
            {
                "number": row.number,
                "from_date": row.from_date.isoformat(),
                "due_date": row.due_date.isoformat(),
                "days": row.days,
                "principal": _text(row.principal),
                "interest": _text(row.interest),
                "fees": _text(row.fees),
                "total": _text(row.total),
                "balance": _text(row.balance),
            }
            for row in schedule.installments
        ],
        "disbursement_fees": _text(schedule.disbursement_fees),
        "totals": {
            "principal": _text(schedule.total_principal),
            "interest": _text(schedule.total_interest),
            "fees": _text(schedule.total_fees),
            "total": _text(schedule.total),
        },
    }
