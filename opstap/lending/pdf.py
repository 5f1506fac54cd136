"""The loan contract with its schedule as PDF (WeasyPrint), in the client's language."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from opstap.core import formatting

from .models import Installment, Loan

ZERO = Decimal("0.00")


def contract_language(loan: Loan) -> str:
    """The client's preferred language when Opstap speaks it, else the organisation's."""
    spoken = {code for code, _name in settings.LANGUAGES}
    preferred = (loan.client.preferred_language or "").split("-")[0]
    if preferred in spoken:
        return preferred
    return loan.organisation.default_language or settings.LANGUAGE_CODE


def contract_context(loan: Loan) -> dict[str, Any]:
    rows = list(Installment.objects.filter(loan=loan, is_current=True).order_by("number"))
    totals = {
        "principal": sum((r.principal for r in rows), ZERO),
        "interest": sum((r.interest for r in rows), ZERO),
        "fees": sum((r.fees for r in rows), ZERO),
        "total": sum((r.total for r in rows), ZERO),
    }
    terms = loan.terms
    if "disbursements" in terms:
        principal = sum((Decimal(d["amount"]) for d in terms["disbursements"]), ZERO)
        first = datetime.date.fromisoformat(terms["disbursements"][0]["date"])
    else:
        principal = Decimal(terms["principal"])
        first = datetime.date.fromisoformat(terms["disbursement_date"])
    return {
        "loan": loan,
        "client": loan.client,
        "organisation": loan.organisation,
        "application": loan.application,
        "principal": principal,
        "rate": Decimal(terms["interest_rate"]),
        "repayments": terms["number_of_repayments"],
        "repayment_every": terms.get("repayment_every", 1),
        "repayment_unit": terms.get("repayment_unit", "months"),
        "disbursement_date": first,
        "rows": rows,
        "totals": totals,
        "today": timezone.localdate(),
    }


def contract_html(loan: Loan, language: str | None = None) -> tuple[str, str]:
    language = language or contract_language(loan)
    with formatting.reading_as(language, loan.client.organisation.country):
        html = render_to_string(
            "lending/contract.html", {**contract_context(loan), "lang": language}
        )
    return html, language


def contract_document(loan: Loan, language: str | None = None):
    """The laid-out WeasyPrint document (pages and boxes), before it is written as PDF."""
    from weasyprint import HTML

    html, _language = contract_html(loan, language)
    return HTML(string=html).render()


def contract_pdf(loan: Loan, language: str | None = None) -> bytes:
    return contract_document(loan, language).write_pdf()
