"""Every change to a business plan, its versions, comments and viability assessments.

The financial plan is stored as the calculation's JSON (docs/plans.md) and evaluated on every
save with the organisation's assumptions of the day; the evaluation is kept with the version,
so lists and the dashboard never recalculate.
"""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client, ClientDocument
from opstap.core import formatting
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User
from opstap.journeys.models import Trajectory

from . import calculation
from .choices import DECISION_WEEKS, AssessmentOutcome, Section, Verdict, VersionStatus
from .models import BusinessPlan, PlanAssumptions, PlanComment, PlanVersion, ViabilityAssessment

CLIENT_OF_OTHER_ORGANISATION = _("This client is not a client of your organisation.")
TRAJECTORY_OF_OTHER_CLIENT = _("This route belongs to another client.")
TITLE_MISSING = _("Give the business a name, or describe the idea in a few words.")
NOT_A_DRAFT = _("Only the draft version can be changed. Start a new version to make changes.")
SECTION_UNKNOWN = _("This is not a section of the business plan.")
DRAFT_EXISTS = _("This plan already has a draft version (version %(number)s).")
PLAN_INVALID = _("The financial plan is not complete or not valid: %(problem)s")
FINANCIAL_FIELD_INVALID = _("“%(key)s” is not valid: %(problem)s")
NO_ASSUMPTIONS = _(
    "Your organisation has not set its calculation assumptions (tax and contributions rate, "
    "debt service coverage) for %(date)s. An organisation admin sets them under Business plans."
)
COMMENT_EMPTY = _("Write a comment.")
NOTHING_SUBMITTED = _("Submit a version of the plan before asking for a viability decision.")
ASSESSMENT_OPEN = _("A viability assessment of this plan is already open.")
ASSESSMENT_DECIDED = _("This assessment has been decided already.")
ALREADY_EXTENDED = _("The decision period can be extended only once.")
REASON_MISSING = _("Give the reason.")
OUTCOME_UNKNOWN = _("Choose viable, viable with conditions or not viable.")
DATE_IN_FUTURE = _("The date cannot be later than today (%(today)s).")
DECIDED_BEFORE_REQUEST = _("The decision cannot be dated before the request (%(date)s).")
DOCUMENT_OF_OTHER_CLIENT = _("The report must be a document in this client's file.")
RATE_OUT_OF_RANGE = _("The rate must be at least 0 and below 1 (for example 0.30 for 30 %).")
THRESHOLD_NOT_POSITIVE = _("The minimum debt service coverage must be more than 0.")


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _error(field: str, message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


# --- assumptions ---------------------------------------------------------------------------


def assumptions_on(organisation: Organisation, on: datetime.date) -> PlanAssumptions | None:
    return (
        PlanAssumptions.objects.filter(organisation=organisation, valid_from__lte=on)
        .order_by("-valid_from")
        .first()
    )


@transaction.atomic
def assumptions_save(
    *,
    actor: User,
    organisation: Organisation,
    valid_from: datetime.date,
    tax_and_contributions_rate: Decimal,
    dscr_threshold: Decimal,
    cash_shortfall_tolerance_rate: Decimal = Decimal("0.10"),
) -> PlanAssumptions:
    errors = {}
    if tax_and_contributions_rate is None or not 0 <= tax_and_contributions_rate < 1:
        errors["tax_and_contributions_rate"] = ValidationError(RATE_OUT_OF_RANGE, code="rate")
    if dscr_threshold is None or dscr_threshold <= 0:
        errors["dscr_threshold"] = ValidationError(THRESHOLD_NOT_POSITIVE, code="threshold")
    if cash_shortfall_tolerance_rate is None or not 0 <= cash_shortfall_tolerance_rate < 1:
        errors["cash_shortfall_tolerance_rate"] = ValidationError(RATE_OUT_OF_RANGE, code="rate")
    if errors:
        raise ValidationError(errors)
    assumptions, _created = PlanAssumptions.objects.update_or_create(
        organisation=organisation,
        valid_from=valid_from,
        defaults={
            "tax_and_contributions_rate": tax_and_contributions_rate,
            "dscr_threshold": dscr_threshold,
            "cash_shortfall_tolerance_rate": cash_shortfall_tolerance_rate,
        },
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="plan_assumptions.save",
        obj=assumptions,
        new={
            "valid_from": valid_from,
            "tax_and_contributions_rate": tax_and_contributions_rate,
            "dscr_threshold": dscr_threshold,
            "cash_shortfall_tolerance_rate": cash_shortfall_tolerance_rate,
        },
    )
    return assumptions


# --- plans and versions --------------------------------------------------------------------


def _first_of_next_month(day: datetime.date) -> str:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}"


@transaction.atomic
def plan_create(
    *,
    actor: User,
    organisation: Organisation,
    client: Client,
    title: str,
    trajectory: Trajectory | None = None,
    today: datetime.date | None = None,
) -> BusinessPlan:
    if client.organisation_id != organisation.pk:
        raise _error("client", CLIENT_OF_OTHER_ORGANISATION, "other_organisation")
    if trajectory is not None and trajectory.client_id != client.pk:
        raise _error("trajectory", TRAJECTORY_OF_OTHER_CLIENT, "other_client")
    if not (title or "").strip():
        raise _error("title", TITLE_MISSING, "title_missing")
    plan = BusinessPlan.objects.create(
        organisation=organisation,
        client=client,
        trajectory=trajectory,
        title=title.strip(),
        created_by=actor,
    )
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        financial={"start_month": _first_of_next_month(_today(today))},
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="plan.create",
        obj=plan,
        client=client,
        new={"title": plan.title},
    )
    return plan


def _locked_draft(version: PlanVersion) -> PlanVersion:
    version = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if not version.is_draft:
        raise _error("version", NOT_A_DRAFT, "not_draft")
    return version


@transaction.atomic
def plan_section_save(*, actor: User, version: PlanVersion, section: str, text: str) -> PlanVersion:
    if section not in Section.values:
        raise _error("section", SECTION_UNKNOWN, "section_unknown")
    version = _locked_draft(version)
    old = version.narrative.get(section, "")
    version.narrative = {**version.narrative, section: text}
    version.save(update_fields=["narrative", "updated_at"])
    BusinessPlan.objects.filter(pk=version.plan_id).update(updated_at=timezone.now())
    if old != text:
        audit_record(
            actor=actor,
            organisation=version.plan.organisation,
            action="plan.section",
            obj=version.plan,
            client=version.plan.client,
            extra={"version": version.number, "section": section},
        )
    return version


def evaluation_input(
    financial: dict[str, Any], assumptions: PlanAssumptions | None
) -> dict[str, Any]:
    """The calculation's input: the stored plan with the organisation's assumptions.

    A draft is written step by step and the operating budget comes fourth: until it is
    filled in, revenue counts as zero, so the earlier steps can be saved and show figures."""
    data = copy.deepcopy(financial)
    if "revenue" not in data and "revenue_lines" not in data:
        data["revenue"] = {"monthly": "0.00"}
    if assumptions is not None:
        data["tax_and_contributions_rate"] = str(assumptions.tax_and_contributions_rate)
        data["dscr_threshold"] = str(assumptions.dscr_threshold)
        data["cash_shortfall_tolerance_rate"] = str(assumptions.cash_shortfall_tolerance_rate)
    return data


def evaluate_financial(
    financial: dict[str, Any], organisation: Organisation, on: datetime.date
) -> dict[str, Any]:
    """Evaluate a financial plan as of `on`, or raise ValidationError naming the key."""
    assumptions = assumptions_on(organisation, on)
    if assumptions is None:
        raise _error(
            "financial", NO_ASSUMPTIONS, "no_assumptions", date=formatting.day(on, "short")
        )
    try:
        parsed = calculation.plan_from_json(evaluation_input(financial, assumptions))
    except calculation.PlanError as error:
        raise _error(
            "financial", FINANCIAL_FIELD_INVALID, "invalid", key=error.key, problem=error.message
        ) from None
    return calculation.evaluation_to_json(calculation.evaluate(parsed))


@transaction.atomic
def plan_financial_save(
    *,
    actor: User,
    version: PlanVersion,
    financial: dict[str, Any],
    today: datetime.date | None = None,
) -> PlanVersion:
    """Replace the draft's financial plan; saved only when it evaluates, so a version never
    holds figures its evaluation does not match."""
    version = _locked_draft(version)
    evaluation = evaluate_financial(financial, version.plan.organisation, _today(today))
    version.financial = financial
    version.evaluation = evaluation
    version.verdict = evaluation["verdict"]
    version.save(update_fields=["financial", "evaluation", "verdict", "updated_at"])
    BusinessPlan.objects.filter(pk=version.plan_id).update(updated_at=timezone.now())
    audit_record(
        actor=actor,
        organisation=version.plan.organisation,
        action="plan.financial",
        obj=version.plan,
        client=version.plan.client,
        extra={"version": version.number, "verdict": version.verdict},
    )
    return version


@transaction.atomic
def plan_financial_update(
    *,
    actor: User,
    version: PlanVersion,
    part: str,
    value: Any,
    today: datetime.date | None = None,
) -> PlanVersion:
    """Change one top-level part of the financial plan (one step of the guided editor)."""
    financial = {**version.financial, part: value}
    if value in (None, "", []):
        financial.pop(part)
    return plan_financial_save(actor=actor, version=version, financial=financial, today=today)


@transaction.atomic
def plan_submit(
    *, actor: User, version: PlanVersion, today: datetime.date | None = None
) -> PlanVersion:
    version = _locked_draft(version)
    today = _today(today)
    # Submitting re-evaluates with today's assumptions: the figures sent are current.
    evaluation = evaluate_financial(version.financial, version.plan.organisation, today)
    version.evaluation = evaluation
    version.verdict = evaluation["verdict"]
    version.status = VersionStatus.SUBMITTED
    version.submitted_on = today
    version.save(update_fields=["evaluation", "verdict", "status", "submitted_on", "updated_at"])
    audit_record(
        actor=actor,
        organisation=version.plan.organisation,
        action="plan.submit",
        obj=version.plan,
        client=version.plan.client,
        old={"status": VersionStatus.DRAFT},
        new={"status": VersionStatus.SUBMITTED},
        extra={"version": version.number, "verdict": version.verdict},
    )
    return version


@transaction.atomic
def plan_new_version(*, actor: User, plan: BusinessPlan) -> PlanVersion:
    plan = BusinessPlan.objects.select_for_update().get(pk=plan.pk)
    draft = plan.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        raise _error("version", DRAFT_EXISTS, "draft_exists", number=draft.number)
    latest = plan.versions.order_by("-number").first()
    version = PlanVersion.objects.create(
        plan=plan,
        number=latest.number + 1,
        narrative=copy.deepcopy(latest.narrative),
        financial=copy.deepcopy(latest.financial),
        evaluation=copy.deepcopy(latest.evaluation),
        verdict=latest.verdict,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=plan.organisation,
        action="plan.new_version",
        obj=plan,
        client=plan.client,
        extra={"version": version.number},
    )
    return version


@transaction.atomic
def comment_add(*, actor: User, version: PlanVersion, section: str, text: str) -> PlanComment:
    if section not in Section.values and section != "financial":
        raise _error("section", SECTION_UNKNOWN, "section_unknown")
    if not (text or "").strip():
        raise _error("text", COMMENT_EMPTY, "empty")
    comment = PlanComment.objects.create(
        version=version, section=section, author=actor, text=text.strip()
    )
    audit_record(
        actor=actor,
        organisation=version.plan.organisation,
        action="plan.comment",
        obj=version.plan,
        client=version.plan.client,
        extra={"version": version.number, "section": section},
    )
    return comment


# --- viability assessment -------------------------------------------------------------------


def add_weeks(day: datetime.date, weeks: int) -> datetime.date:
    return day + datetime.timedelta(weeks=weeks)


@transaction.atomic
def assessment_request(
    *,
    actor: User,
    plan: BusinessPlan,
    requested_on: datetime.date,
    external_adviser: str = "",
    today: datetime.date | None = None,
) -> ViabilityAssessment:
    """The decision is due 13 weeks after the request (Bbz: Besluit bijstandverlening
    zelfstandigen, art. 4), which may be extended once by 13 weeks."""
    plan = BusinessPlan.objects.select_for_update().get(pk=plan.pk)
    if requested_on > _today(today):
        raise _error(
            "requested_on", DATE_IN_FUTURE, "future", today=formatting.day(_today(today), "short")
        )
    version = plan.versions.exclude(status=VersionStatus.DRAFT).order_by("-number").first()
    if version is None:
        raise _error("version", NOTHING_SUBMITTED, "nothing_submitted")
    if plan.assessments.filter(outcome=AssessmentOutcome.PENDING).exists():
        raise _error("plan", ASSESSMENT_OPEN, "assessment_open")
    assessment = ViabilityAssessment.objects.create(
        organisation=plan.organisation,
        plan=plan,
        version=version,
        requested_on=requested_on,
        decision_due=add_weeks(requested_on, DECISION_WEEKS),
        external_adviser=external_adviser.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=plan.organisation,
        action="assessment.request",
        obj=assessment,
        client=plan.client,
        new={"requested_on": requested_on, "decision_due": assessment.decision_due},
    )
    return assessment


def _locked_pending(assessment: ViabilityAssessment) -> ViabilityAssessment:
    assessment = (
        ViabilityAssessment.objects.select_for_update()
        .select_related("plan", "plan__client")
        .get(pk=assessment.pk)
    )
    if not assessment.is_pending:
        raise _error("outcome", ASSESSMENT_DECIDED, "decided")
    return assessment


@transaction.atomic
def assessment_extend(
    *,
    actor: User,
    assessment: ViabilityAssessment,
    reason: str,
    today: datetime.date | None = None,
) -> ViabilityAssessment:
    assessment = _locked_pending(assessment)
    if assessment.extended_on is not None:
        raise _error("extension_reason", ALREADY_EXTENDED, "already_extended")
    if not (reason or "").strip():
        raise _error("extension_reason", REASON_MISSING, "reason_missing")
    old_due = assessment.decision_due
    assessment.extended_on = _today(today)
    assessment.extension_reason = reason.strip()
    assessment.decision_due = add_weeks(old_due, DECISION_WEEKS)
    assessment.save(update_fields=["extended_on", "extension_reason", "decision_due"])
    audit_record(
        actor=actor,
        organisation=assessment.organisation,
        action="assessment.extend",
        obj=assessment,
        client=assessment.plan.client,
        old={"decision_due": old_due},
        new={"decision_due": assessment.decision_due},
    )
    return assessment


@transaction.atomic
def assessment_update(
    *,
    actor: User,
    assessment: ViabilityAssessment,
    external_adviser: str,
    report: ClientDocument | None,
) -> ViabilityAssessment:
    assessment = _locked_pending(assessment)
    if report is not None and report.client_id != assessment.plan.client_id:
        raise _error("report", DOCUMENT_OF_OTHER_CLIENT, "other_client")
    old = {"external_adviser": assessment.external_adviser, "report": assessment.report_id}
    assessment.external_adviser = (external_adviser or "").strip()
    assessment.report = report
    assessment.save(update_fields=["external_adviser", "report"])
    audit_record(
        actor=actor,
        organisation=assessment.organisation,
        action="assessment.update",
        obj=assessment,
        client=assessment.plan.client,
        old=old,
        new={"external_adviser": assessment.external_adviser, "report": assessment.report_id},
    )
    return assessment


@transaction.atomic
def assessment_decide(
    *,
    actor: User,
    assessment: ViabilityAssessment,
    outcome: str,
    reasons: str,
    decided_on: datetime.date,
    today: datetime.date | None = None,
) -> ViabilityAssessment:
    assessment = _locked_pending(assessment)
    if outcome not in AssessmentOutcome.values or outcome == AssessmentOutcome.PENDING:
        raise _error("outcome", OUTCOME_UNKNOWN, "outcome_unknown")
    if not (reasons or "").strip():
        raise _error("reasons", REASON_MISSING, "reason_missing")
    if decided_on > _today(today):
        raise _error(
            "decided_on", DATE_IN_FUTURE, "future", today=formatting.day(_today(today), "short")
        )
    if decided_on < assessment.requested_on:
        raise _error(
            "decided_on",
            DECIDED_BEFORE_REQUEST,
            "before_request",
            date=formatting.day(assessment.requested_on, "short"),
        )
    assessment.outcome = outcome
    assessment.reasons = reasons.strip()
    assessment.decided_on = decided_on
    assessment.decided_by = actor
    assessment.save(update_fields=["outcome", "reasons", "decided_on", "decided_by"])
    PlanVersion.objects.filter(pk=assessment.version_id).update(
        status=VersionStatus.ASSESSED, assessed_on=decided_on
    )
    audit_record(
        actor=actor,
        organisation=assessment.organisation,
        action="assessment.decide",
        obj=assessment,
        client=assessment.plan.client,
        old={"outcome": AssessmentOutcome.PENDING},
        new={"outcome": outcome},
    )
    return assessment


def financing_need(version: PlanVersion) -> Decimal:
    """What the plan asks lenders for: its loans, or the financing gap when there are none."""
    loans = [Decimal(loan["amount"]) for loan in version.financial.get("loans", [])]
    if loans:
        return sum(loans, Decimal(0))
    gap = Decimal((version.evaluation or {}).get("financing_gap", "0"))
    return max(gap, Decimal(0))


def viable_version_for_loan(
    user: User, plan_pk: int, client: Client
) -> tuple[BusinessPlan, PlanVersion, Decimal] | None:
    """The newest viable version of the client's plan and its financing need, to start a
    loan application from; None when the user cannot see it or no version is viable."""
    from .access import get_plan_for_user, may_see_financial

    if not may_see_financial(user):
        return None
    try:
        plan = get_plan_for_user(user, plan_pk)
    except Http404:
        return None
    if plan.client_id != client.pk:
        return None
    version = (
        plan.versions.filter(verdict__in=(Verdict.VIABLE, Verdict.VIABLE_WITH_CONDITIONS))
        .order_by("-number")
        .first()
    )
    if version is None:
        return None
    return plan, version, financing_need(version)
