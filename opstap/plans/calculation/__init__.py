"""The financial plan calculation: pure Python, no Django (see docs/plans.md).

plan = plan_from_json(data)          # PlanError(key, message) on bad input
evaluation = evaluate(plan)          # full Decimal precision
evaluation_to_json(evaluation)       # amounts rounded half-even to the cent
"""

from .evaluate import (
    Check,
    Condition,
    Evaluation,
    MonthCash,
    Note,
    Payments,
    Receipts,
    Verdict,
    YearResult,
    evaluate,
    loan_schedule,
)
from .jsonio import evaluation_to_json, plan_from_json, plan_to_json
from .model import (
    HORIZON_MONTHS,
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

__all__ = [
    "HORIZON_MONTHS",
    "Check",
    "Condition",
    "Evaluation",
    "FinancialPlan",
    "FixedCost",
    "Grant",
    "HouseholdItem",
    "Investment",
    "Loan",
    "LoanAmortization",
    "MonthCash",
    "Note",
    "OwnContribution",
    "Payments",
    "PlanError",
    "Receipts",
    "Revenue",
    "RevenueLine",
    "StartUpCost",
    "Verdict",
    "YearResult",
    "evaluate",
    "evaluation_to_json",
    "loan_schedule",
    "plan_from_json",
    "plan_to_json",
]
