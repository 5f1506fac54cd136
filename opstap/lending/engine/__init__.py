"""Opstap's loan schedule engine: pure Python, no Django (see docs/lending.md)."""

from .jsonio import schedule_to_json, terms_from_json, terms_to_json
from .schedule import Installment, Schedule, generate_schedule
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

__all__ = [
    "Amortization",
    "Charge",
    "ChargeKind",
    "DaysInMonth",
    "DaysInYear",
    "Disbursement",
    "Installment",
    "InterestMethod",
    "InterestPeriod",
    "LoanTerms",
    "RatePer",
    "RepaymentUnit",
    "RoundingMode",
    "Schedule",
    "TermsError",
    "generate_schedule",
    "schedule_to_json",
    "terms_from_json",
    "terms_to_json",
]
