"""The fixed vocabularies of lending: statuses, transaction kinds, accounts, orders."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AllocationOrder(models.TextChoices):
    # Fineract's default "penalties, fees, interest, principal order", instalment by instalment.
    PENALTIES_FEES_INTEREST_PRINCIPAL = (
        "penalties_fees_interest_principal",
        _("Penalties, fees, interest, principal — oldest instalment first"),
    )
    # Fineract's "overdue/due fee/interest, principal": charges and interest of every due
    # instalment before any principal.
    DUE_FIRST = "due_first", _("All due fees and interest first, then principal")
    INTEREST_PRINCIPAL_PENALTIES_FEES = (
        "interest_principal_penalties_fees",
        _("Interest, principal, penalties, fees — oldest instalment first"),
    )


class PrepaymentMode(models.TextChoices):
    REDUCE_TERM = "reduce_term", _("Keep the instalment, shorten the term")
    REDUCE_INSTALLMENT = "reduce_installment", _("Keep the term, lower the instalment")


class ApplicationStatus(models.TextChoices):
    IN_PREPARATION = "in_preparation", _("In preparation")
    IN_COMMITTEE = "in_committee", _("With the credit committee")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Vote(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REFUSE = "refuse", _("Refuse")


class LoanStatus(models.TextChoices):
    APPROVED = "approved", _("Approved, not yet disbursed")
    ACTIVE = "active", _("Active")
    REPAID = "repaid", _("Repaid")
    WRITTEN_OFF = "written_off", _("Written off")
    CONVERTED_TO_GIFT = "converted_to_gift", _("Converted into a gift")
    CLOSED = "closed", _("Closed")


ENDED_STATUSES = frozenset(
    {LoanStatus.REPAID, LoanStatus.WRITTEN_OFF, LoanStatus.CONVERTED_TO_GIFT, LoanStatus.CLOSED}
)


class TransactionKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("Disbursement")
    REPAYMENT = "repayment", _("Repayment")
    WAIVE_INTEREST = "waive_interest", _("Interest waived")
    WAIVE_FEES = "waive_fees", _("Fees waived")
    WRITE_OFF = "write_off", _("Write-off")
    CONVERT_TO_GIFT = "convert_to_gift", _("Converted into a gift")
    # Posted by the system: interest and fees falling due, and corrections after a reversal.
    ACCRUAL = "accrual", _("Interest and fees due")
    ADJUSTMENT = "adjustment", _("Correction after a reversal")


class Channel(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CASH = "cash", _("Cash")
    BENEFIT_DEDUCTION = "benefit_deduction", _("Deducted from a benefit")


class Account(models.TextChoices):
    LOAN_PORTFOLIO = "loan_portfolio", _("Loan portfolio")
    INTEREST_RECEIVABLE = "interest_receivable", _("Interest receivable")
    FEE_RECEIVABLE = "fee_receivable", _("Fees receivable")
    BANK = "bank", _("Bank")
    OVERPAYMENT = "overpayment", _("Overpayments (owed to the client)")
    INTEREST_INCOME = "interest_income", _("Interest income")
    FEE_INCOME = "fee_income", _("Fee income")
    WRITE_OFF_EXPENSE = "write_off_expense", _("Write-off expense")
    GRANT_EXPENSE = "grant_expense", _("Grant expense")


class Bucket(models.TextChoices):
    CURRENT = "current", _("Current")
    DAYS_1_30 = "1_30", _("1–30 days")
    DAYS_31_60 = "31_60", _("31–60 days")
    DAYS_61_90 = "61_90", _("61–90 days")
    DAYS_90_PLUS = "90_plus", _("More than 90 days")
