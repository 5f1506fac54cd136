"""Business plans in versions, comments on their sections, the assumptions the calculation
uses per organisation, and the municipality's viability assessment."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client, ClientDocument
from opstap.core import formatting
from opstap.core.models import Organisation
from opstap.journeys.models import Trajectory

from .choices import AssessmentOutcome, Section, Verdict, VersionStatus
from .querysets import AssessmentQuerySet, BusinessPlanQuerySet


class PlanAssumptions(models.Model):
    """What an organisation assumes in every plan's calculation, valid from a date: the rate
    of tax and social contributions, and the debt service coverage it requires."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="plan_assumptions"
    )
    valid_from = models.DateField(_("valid from"))
    tax_and_contributions_rate = models.DecimalField(
        _("tax and social contributions (share of gross income)"),
        max_digits=5,
        decimal_places=4,
        help_text=_("For example 0.30 for 30 %. Used to turn private drawings into gross income."),
    )
    dscr_threshold = models.DecimalField(
        _("minimum debt service coverage"), max_digits=5, decimal_places=2, default=Decimal("1.2")
    )
    cash_shortfall_tolerance_rate = models.DecimalField(
        _("tolerated temporary cash shortfall (share of the investments)"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.10"),
        help_text=_(
            "A plan whose cash dips below zero by at most this share of its investments, and "
            "recovers, is viable with the condition of that much extra financing."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "-valid_from"]
        verbose_name = _("plan assumptions")
        verbose_name_plural = _("plan assumptions")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "valid_from"], name="plan_assumptions_per_date"
            ),
            models.CheckConstraint(
                condition=Q(tax_and_contributions_rate__gte=0)
                & Q(tax_and_contributions_rate__lt=1),
                name="plan_assumptions_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.valid_from}"


class BusinessPlan(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="business_plans"
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="business_plans", verbose_name=_("client")
    )
    trajectory = models.ForeignKey(
        Trajectory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="business_plans",
        verbose_name=_("route"),
    )
    title = models.CharField(_("business name or idea"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BusinessPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("business plan")
        verbose_name_plural = _("business plans")
        indexes = [models.Index(fields=["organisation", "-updated_at"], name="plan_org_updated")]

    def __str__(self) -> str:
        return self.title


class PlanVersion(models.Model):
    """One version of a plan. Only a draft is edited; submitting freezes it, and further work
    goes into a new draft copied from it."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    # {section: text}; the client may write in any language.
    narrative = models.JSONField(default=dict, blank=True)
    # The calculation's JSON plan (see docs/plans.md), stored as entered.
    financial = models.JSONField(default=dict, blank=True)
    # The evaluation of `financial` with the assumptions of the day it was last saved.
    evaluation = models.JSONField(null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=24, choices=Verdict.choices, blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number"),
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="draft"), name="one_draft_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class PlanComment(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(_("section"), max_length=24)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.section}: {self.text[:40]}"

    @property
    def section_label(self) -> str:
        return str(dict(Section.choices).get(self.section, self.section))


class ViabilityAssessment(models.Model):
    """The municipality's decision on viability (Bbz): due 13 weeks after the request,
    extendable once by 13 weeks with a reason, often with an external adviser's report."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="viability_assessments"
    )
    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="assessments")
    version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("version")
    )
    requested_on = models.DateField(_("requested on"))
    decision_due = models.DateField(_("decision due"))
    extended_on = models.DateField(_("extended on"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    external_adviser = models.CharField(_("external adviser"), max_length=200, blank=True)
    report = models.ForeignKey(
        ClientDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adviser's report"),
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=24,
        choices=AssessmentOutcome.choices,
        default=AssessmentOutcome.PENDING,
    )
    reasons = models.TextField(_("reasons"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["decision_due", "id"]
        verbose_name = _("viability assessment")
        verbose_name_plural = _("viability assessments")
        indexes = [
            models.Index(
                fields=["organisation", "decision_due"],
                condition=Q(outcome="pending"),
                name="assessment_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} – {formatting.day(self.requested_on, 'short')}"

    @property
    def is_pending(self) -> bool:
        return self.outcome == AssessmentOutcome.PENDING
