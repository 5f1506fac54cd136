"""Loan applications, committee votes, loans and the ledger in the personal-data registry.

Loan records are kept for the fiscal retention period after the loan ends (a `LegalHold` of
category loan records); a loan still running is held without end. Amounts and dates stay
after the hold, anonymous once the file is; the free texts that can describe the person go.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import (
    ERASED,
    NO_HOLD,
    Entry,
    Keep,
    NotPersonal,
    Tombstone,
    register,
)

from .choices import ENDED_STATUSES

PURPOSE = _("Granting, servicing and accounting for microloans")
BASIS = _("Contract (GDPR art. 6(1)(b)); fiscal and accounting obligations (art. 6(1)(c))")
RECIPIENTS = (_("Auditors and the tax authority, on request"),)
AMOUNTS_ONLY = _("Amounts and dates of a loan; anonymous once the file is.")


def _loan_end(loan):
    return loan.ended_on if loan.status in ENDED_STATUSES else None


def _application_hold_start(application):
    # Only a granted application is part of a loan's records; a refused one has no hold.
    loan = getattr(application, "loan", None)
    return NO_HOLD if loan is None else _loan_end(loan)


register(
    Entry(
        model="lending.LoanApplication",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=RECIPIENTS,
        client_path="client",
        fields=(
            "product",
            "amount",
            "purpose",
            "number_of_repayments",
            "interest_rate",
            "status",
            "submitted_on",
            "decided_on",
            "approved_amount",
            "conditions",
            "refusal_reason",
            "assessment",
        ),
        erase=Tombstone(
            {"purpose": ERASED, "assessment": "", "conditions": "", "refusal_reason": ""}
        ),
        hold=Category.LOAN_RECORDS,
        hold_start=_application_hold_start,
    ),
    Entry(
        model="lending.CommitteeVote",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="application__client",
        fields=("member", "vote", "approved_amount", "conditions", "reason", "voted_on"),
        erase=Tombstone({"conditions": "", "reason": ""}),
        hold=Category.LOAN_RECORDS,
        hold_start=lambda vote: _application_hold_start(vote.application),
    ),
    Entry(
        model="lending.Loan",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=RECIPIENTS,
        client_path="client",
        fields=(
            "reference",
            "product",
            "status",
            "principal_disbursed",
            "principal_outstanding",
            "interest_due",
            "fees_due",
            "overdue_amount",
            "disbursed_on",
            "ended_on",
            "terms",
        ),
        erase=Keep(AMOUNTS_ONLY),
        hold=Category.LOAN_RECORDS,
        hold_start=_loan_end,
    ),
    Entry(
        model="lending.LoanTransaction",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=RECIPIENTS,
        client_path="loan__client",
        fields=(
            "kind",
            "value_date",
            "amount",
            "principal",
            "interest",
            "fees",
            "penalties",
            "overpayment",
            "channel",
            "reference",
            "reason",
            "reversed_at",
            "reversal_reason",
        ),
        erase=Tombstone(
            {"reference": "", "reason": "", "reversal_reason": "", "decision_reference": ""}
        ),
        hold=Category.LOAN_RECORDS,
        hold_start=lambda row: _loan_end(row.loan),
    ),
    Entry(
        model="lending.JournalEntry",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=RECIPIENTS,
        client_path="loan__client",
        fields=("posted_on", "memo"),
        erase=Tombstone({"memo": ""}),
        hold=Category.LOAN_RECORDS,
        hold_start=lambda row: _loan_end(row.loan),
    ),
    Entry(
        model="lending.ScheduleVersion",
        category=Category.LOAN_RECORDS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="loan__client",
        fields=("number", "effective_from", "reason", "is_current"),
        erase=Tombstone({"reason": ""}),
        hold=Category.LOAN_RECORDS,
        hold_start=lambda row: _loan_end(row.loan),
    ),
    NotPersonal("lending.Installment", AMOUNTS_ONLY),
    NotPersonal("lending.JournalLine", AMOUNTS_ONLY),
)
