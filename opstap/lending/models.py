"""Loan products, applications and their committee votes, loans, schedules, transactions
and the double-entry ledger.

A loan's figures are derived (see account.py): the stored instalment rows and the cached
balances on `Loan` are rewritten by the services after every transaction, inside the same
transaction, so pages and the close of business can read them with plain queries.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client, ClientDocument
from opstap.core import formatting
from opstap.core.models import Organisation
from opstap.journeys.models import Trajectory

from .choices import (
    Account,
    AllocationOrder,
    ApplicationStatus,
    Bucket,
    Channel,
    LoanStatus,
    PrepaymentMode,
    TransactionKind,
    Vote,
)
from .querysets import ApplicationQuerySet, LoanProductQuerySet, LoanQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}


class LoanProduct(models.Model):
    """What an organisation lends, on which terms. Terms change by making a new product
    valid from a date; loans keep the terms they were granted on."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="loan_products"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    min_amount = models.DecimalField(_("minimum amount"), **MONEY)
    max_amount = models.DecimalField(_("maximum amount"), **MONEY)
    min_rate = models.DecimalField(_("minimum interest rate (% per year)"), **RATE)
    max_rate = models.DecimalField(_("maximum interest rate (% per year)"), **RATE)
    default_rate = models.DecimalField(_("standard interest rate (% per year)"), **RATE)
    min_repayments = models.PositiveSmallIntegerField(_("minimum number of repayments"))
    max_repayments = models.PositiveSmallIntegerField(_("maximum number of repayments"))
    # The schedule settings, stored as the engine's JSON terms without amount and dates
    # (see engine.terms_from_json): one source of truth for their meaning and validation.
    schedule_settings = models.JSONField(_("schedule settings"), default=dict)
    allocation_order = models.CharField(
        _("repayment allocation order"),
        max_length=40,
        choices=AllocationOrder.choices,
        default=AllocationOrder.PENALTIES_FEES_INTEREST_PRINCIPAL,
    )
    arrears_tolerance = models.DecimalField(
        _("arrears tolerance"),
        **MONEY,
        default=Decimal("0.00"),
        help_text=_("An overdue amount up to this much does not count as arrears."),
    )
    overpayment_tolerance = models.DecimalField(
        _("overpayment tolerance"),
        **MONEY,
        default=Decimal("0.00"),
        help_text=_(
            "A repayment may exceed what is outstanding by up to this much without the loan "
            "officer confirming an overpayment."
        ),
    )
    days_until_non_performing = models.PositiveSmallIntegerField(
        _("days late until non-performing"), default=90
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("committee approvals required"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    may_convert_to_gift = models.BooleanField(
        _("outstanding balance may be converted into a gift"),
        default=False,
        help_text=_("For business capital under the Bbz and similar support."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LoanProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-valid_from"]
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=models.F("min_amount")),
                name="loanproduct_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(min_rate__gte=0) & Q(max_rate__gte=models.F("min_rate")),
                name="loanproduct_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(min_repayments__gte=1)
                & Q(max_repayments__gte=models.F("min_repayments")),
                name="loanproduct_term_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LoanApplication(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="loan_applications"
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="loan_applications", verbose_name=_("client")
    )
    trajectory = models.ForeignKey(
        Trajectory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loan_applications",
        verbose_name=_("route"),
    )
    product = models.ForeignKey(
        LoanProduct,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("product"),
    )
    amount = models.DecimalField(_("amount requested"), **MONEY)
    purpose = models.TextField(_("purpose"))
    number_of_repayments = models.PositiveSmallIntegerField(_("number of repayments"))
    interest_rate = models.DecimalField(_("interest rate (% per year)"), **RATE)
    expected_disbursement_date = models.DateField(_("expected disbursement date"))
    documents = models.ManyToManyField(
        ClientDocument, blank=True, related_name="loan_applications", verbose_name=_("documents")
    )
    assessment = models.TextField(_("loan officer's assessment"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.IN_PREPARATION,
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    submitted_on = models.DateField(_("submitted to the committee on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    approved_amount = models.DecimalField(_("amount approved"), **MONEY, null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("loan application")
        verbose_name_plural = _("loan applications")
        indexes = [models.Index(fields=["organisation", "status"], name="loanapp_org_status")]

    def __str__(self) -> str:
        return f"{self.client} – {formatting.money(self.amount)}"


class CommitteeVote(models.Model):
    """One committee member's decision on an application (maker-checker: never its maker)."""

    application = models.ForeignKey(LoanApplication, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    vote = models.CharField(_("decision"), max_length=8, choices=Vote.choices)
    approved_amount = models.DecimalField(_("amount approved"), **MONEY, null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    voted_on = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="vote_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.vote}"


class Loan(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loans")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="loans", verbose_name=_("client")
    )
    application = models.OneToOneField(
        LoanApplication, on_delete=models.PROTECT, related_name="loan"
    )
    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="loans", verbose_name=_("product")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="loans_managed",
        verbose_name=_("loan officer"),
    )
    reference = models.CharField(_("reference"), max_length=24)
    # The engine's JSON terms the loan was granted on (amount, dates, rate and settings).
    terms = models.JSONField(_("terms"))
    allocation_order = models.CharField(max_length=40, choices=AllocationOrder.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.APPROVED
    )
    # Cached from the replay by the services and the close of business.
    principal_disbursed = models.DecimalField(**MONEY, default=Decimal("0.00"))
    principal_outstanding = models.DecimalField(**MONEY, default=Decimal("0.00"))
    interest_due = models.DecimalField(**MONEY, default=Decimal("0.00"))
    fees_due = models.DecimalField(**MONEY, default=Decimal("0.00"))
    overpaid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Copied from the product when granted: a loan keeps the rules it was granted on.
    arrears_tolerance = models.DecimalField(**MONEY, default=Decimal("0.00"))
    days_until_non_performing = models.PositiveSmallIntegerField(default=90)
    overdue_amount = models.DecimalField(_("overdue"), **MONEY, default=Decimal("0.00"))
    overdue_since = models.DateField(null=True, blank=True)
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(
        _("arrears"), max_length=8, choices=Bucket.choices, default=Bucket.CURRENT
    )
    non_performing = models.BooleanField(_("non-performing"), default=False)
    # The business date up to which interest and fees due are posted and arrears are known.
    cob_date = models.DateField(null=True, blank=True)
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="loan_reference")
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="loan_org_status"),
            models.Index(fields=["organisation", "officer"], name="loan_org_officer"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.status == LoanStatus.ACTIVE


class ScheduleVersion(models.Model):
    """One version of a loan's schedule. The plan is kept as it was made; the instalment rows
    of the current version are rewritten by each replay, those of older versions stay as
    they stood when they were replaced."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=200)
    plan = models.JSONField()
    # The engine terms the tail of this version was generated with (prepayments rebuild it).
    terms = models.JSONField()
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="schedule_version_number"),
            models.UniqueConstraint(
                fields=["loan"], condition=Q(is_current=True), name="one_current_schedule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} v{self.number}"


class Installment(models.Model):
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="installments"
    )
    # Denormalised so the close of business scans instalments without a join.
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    is_current = models.BooleanField(default=True)
    number = models.PositiveSmallIntegerField()
    from_date = models.DateField()
    due_date = models.DateField()
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    fees = models.DecimalField(**MONEY)
    principal_paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    interest_paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    fees_paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Waived, written off, given or cancelled: no longer owed, not paid either.
    forgiven = models.DecimalField(**MONEY, default=Decimal("0.00"))
    open_amount = models.DecimalField(**MONEY)
    settled_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["version", "number"]
        indexes = [
            # The close of business: current, unpaid instalments by due date.
            models.Index(
                fields=["loan", "due_date"],
                condition=Q(is_current=True, open_amount__gt=0),
                name="installment_open_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} – {formatting.day(self.due_date, 'short')}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees

    @property
    def paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fees_paid


class LoanTransaction(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    value_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    # How the replay split it; rewritten when an earlier transaction is reversed.
    principal = models.DecimalField(_("principal"), **MONEY, default=Decimal("0.00"))
    interest = models.DecimalField(_("interest"), **MONEY, default=Decimal("0.00"))
    fees = models.DecimalField(_("fees"), **MONEY, default=Decimal("0.00"))
    penalties = models.DecimalField(_("penalties"), **MONEY, default=Decimal("0.00"))
    overpayment = models.DecimalField(_("overpayment"), **MONEY, default=Decimal("0.00"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    reference = models.CharField(_("payment reference"), max_length=140, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    prepayment_mode = models.CharField(
        _("prepayment"),
        max_length=20,
        choices=PrepaymentMode.choices,
        default=PrepaymentMode.REDUCE_TERM,
    )
    reason = models.TextField(_("reason"), blank=True)
    decision_reference = models.CharField(_("decision reference"), max_length=140, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reversal_reason = models.TextField(_("reason for reversal"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="transaction_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        on = formatting.day(self.value_date, "short")
        return f"{self.kind} {formatting.money(self.amount)} {on}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class JournalEntry(models.Model):
    """A balanced posting: the lines' debits equal their credits (checked when written)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="journal_entries"
    )
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="journal_entries")
    transaction = models.ForeignKey(
        LoanTransaction, on_delete=models.PROTECT, related_name="journal_entries"
    )
    posted_on = models.DateField(_("posted on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["posted_on", "id"]

    def __str__(self) -> str:
        return f"{formatting.day(self.posted_on, 'short')} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    # Denormalised: a loan's ledger balances are one grouped query over its lines.
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="journal_lines")
    account = models.CharField(_("account"), max_length=24, choices=Account.choices)
    debit = models.DecimalField(_("debit"), **MONEY, default=Decimal("0.00"))
    credit = models.DecimalField(_("credit"), **MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["entry", "id"]
        indexes = [models.Index(fields=["loan", "account"], name="journalline_loan_account")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="journalline_one_side",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.debit or -self.credit}"


class PortfolioSnapshot(models.Model):
    """The portfolio at the end of one business day, written by the close of business."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="portfolio_snapshots"
    )
    date = models.DateField()
    active_loans = models.PositiveIntegerField()
    outstanding_principal = models.DecimalField(max_digits=16, decimal_places=2)
    par30_principal = models.DecimalField(max_digits=16, decimal_places=2)
    non_performing_loans = models.PositiveIntegerField()
    # {bucket: {"loans": n, "principal": "…"}}
    buckets = models.JSONField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "date"], name="snapshot_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.date}"

    @property
    def par30(self) -> Decimal | None:
        if not self.outstanding_principal:
            return None
        return self.par30_principal / self.outstanding_principal
