"""A version of a business plan as PDF (WeasyPrint), in the client's language: cover,
narrative sections, the budgets, the cash flow per month (one table per plan year), the two
charts (inline SVG) and the checks with the verdict."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from opstap.core import formatting

from . import figures
from .choices import Section
from .models import PlanVersion


def plan_language(version: PlanVersion) -> str:
    """The client's preferred language when Opstap speaks it, else the organisation's."""
    spoken = {code for code, _name in settings.LANGUAGES}
    plan = version.plan
    preferred = (plan.client.preferred_language or "").split("-")[0]
    if preferred in spoken:
        return preferred
    default = (plan.organisation.default_language or "").split("-")[0]
    return default if default in spoken else settings.LANGUAGE_CODE


def _sum(items: list[dict[str, Any]], key: str = "amount") -> Decimal:
    return sum((Decimal(str(item.get(key) or "0")) for item in items), Decimal(0))


def budget_context(version: PlanVersion) -> dict[str, Any]:
    """The entered budgets (from the stored JSON) as rows with formatted amounts."""
    financial = version.financial or {}
    investments = [
        {
            "description": item.get("description", ""),
            "amount": figures.euro(item.get("amount")),
            "month": item.get("month", 1),
            "depreciation_years": item.get("depreciation_years", 0),
        }
        for item in financial.get("investments", [])
    ]
    start_up = [
        {
            "description": item.get("description", ""),
            "amount": figures.euro(item.get("amount")),
            "month": item.get("month", 1),
        }
        for item in financial.get("start_up_costs", [])
    ]
    own = financial.get("own_contribution")
    loans = [
        {
            "description": item.get("description", ""),
            "amount": figures.euro(item.get("amount")),
            "rate": item.get("interest_rate", ""),
            "term": item.get("term_months", ""),
            "grace": item.get("grace_months", 0),
            "month": item.get("month", 1),
        }
        for item in financial.get("loans", [])
    ]
    grants = [
        {
            "description": item.get("description", ""),
            "amount": figures.euro(item.get("amount")),
            "month": item.get("month", 1),
        }
        for item in financial.get("grants", [])
    ]
    fixed = [
        {
            "description": item.get("description", ""),
            "amount": figures.euro(item.get("monthly_amount")),
        }
        for item in financial.get("fixed_costs", [])
    ]
    expenses = financial.get("household_expenses", [])
    income = financial.get("other_household_income", [])
    return {
        "investments": investments,
        "start_up_costs": start_up,
        "working_capital": figures.euro(financial.get("working_capital", "0")),
        "own_contribution": figures.euro(own.get("amount")) if own else None,
        "own_contribution_month": own.get("month", 1) if own else None,
        "loans": loans,
        "grants": grants,
        "fixed_costs": fixed,
        "cost_of_sales_rate": figures.percent(financial.get("cost_of_sales_rate", "0")),
        "household_expenses": [
            {"description": i.get("description", ""), "amount": figures.euro(i.get("amount"))}
            for i in expenses
        ],
        "household_income": [
            {"description": i.get("description", ""), "amount": figures.euro(i.get("amount"))}
            for i in income
        ],
        "household_expenses_total": figures.euro(_sum(expenses)),
        "household_income_total": figures.euro(_sum(income)),
    }


def plan_context(version: PlanVersion) -> dict[str, Any]:
    """Everything the PDF shows; call it with the PDF's language active."""
    plan = version.plan
    evaluation = version.evaluation
    narrative = version.narrative or {}
    sections = [
        {"label": str(section.label), "text": narrative.get(section.value, "")}
        for section in Section
    ]
    context: dict[str, Any] = {
        "plan": plan,
        "client": plan.client,
        "organisation": plan.organisation,
        "version": version,
        "sections": sections,
        "evaluation": evaluation,
        "today": timezone.localdate(),
        "verdict_label": figures.verdict_label(version.verdict),
        "key_figures": figures.key_figures(evaluation),
        "checks": figures.checks(evaluation),
        "conditions": figures.conditions(evaluation),
        **budget_context(version),
    }
    if evaluation:
        context.update(
            {
                "investment_total": figures.euro(evaluation["investment_total"]),
                "financing_total": figures.euro(evaluation["financing_total"]),
                "financing_gap": figures.euro(evaluation["financing_gap"]),
                "profit_rows": figures.profit_table(evaluation),
                "cash_years": figures.cash_flow_years(evaluation),
                "drawings": figures.euro(evaluation["private_drawings_per_month"]),
                "gross_income_needed": figures.euro(evaluation["gross_income_needed_per_year"]),
                "year_numbers": [y["year"] for y in evaluation.get("years", [])],
                **figures.chart_context(evaluation),
            }
        )
    return context


def plan_html(version: PlanVersion, language: str | None = None) -> tuple[str, str]:
    language = language or plan_language(version)
    with formatting.reading_as(language, version.plan.organisation.country):
        html = render_to_string("plans/pdf.html", {**plan_context(version), "lang": language})
    return html, language


def plan_pdf(version: PlanVersion, language: str | None = None) -> bytes:
    from weasyprint import HTML

    html, _language = plan_html(version, language)
    return HTML(string=html).write_pdf()
