"""Business plans and viability decisions in the personal-data registry.

A viability decision is a Bbz decision in a Dutch municipality: a `LegalHold` of category
Bbz decisions keeps it, and the plan version it was taken on, for the archive period after
the decision (no hold where none is in force, e.g. in Belgium).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import ERASED, NO_HOLD, Delete, Entry, Tombstone, register

from .choices import AssessmentOutcome

PURPOSE = _("Writing and assessing the business plan")
BASIS = _("Contract or public task (GDPR art. 6(1)(b)/(e))")


def _decision_start(assessment):
    if assessment.outcome == AssessmentOutcome.PENDING:
        return None
    return assessment.decided_on


def _version_hold_start(version):
    assessments = list(version.assessments.all())
    if not assessments:
        return NO_HOLD
    starts = [_decision_start(a) for a in assessments]
    if any(start is None for start in starts):
        return None
    return max(starts)


register(
    Entry(
        model="plans.BusinessPlan",
        category=Category.BUSINESS_PLANS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="client",
        fields=("title", "created_at", "updated_at"),
        erase=Tombstone({"title": ERASED}),
    ),
    Entry(
        model="plans.PlanVersion",
        category=Category.BUSINESS_PLANS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="plan__client",
        fields=("number", "status", "narrative", "financial", "verdict", "submitted_on"),
        erase=Tombstone({"narrative": {}, "financial": {}, "evaluation": None}),
        hold=Category.BBZ_DECISIONS,
        hold_start=_version_hold_start,
    ),
    Entry(
        model="plans.PlanComment",
        category=Category.BUSINESS_PLANS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="version__plan__client",
        fields=("section", "author", "text", "created_at"),
        erase=Delete(),
    ),
    Entry(
        model="plans.ViabilityAssessment",
        category=Category.BBZ_DECISIONS,
        purpose=_("Deciding on viability for Bbz support"),
        legal_basis=_("Public task: Bbz 2004 (GDPR art. 6(1)(e))"),
        client_path="plan__client",
        fields=(
            "requested_on",
            "decision_due",
            "extended_on",
            "extension_reason",
            "external_adviser",
            "outcome",
            "reasons",
            "decided_on",
        ),
        erase=Tombstone({"reasons": "", "extension_reason": "", "external_adviser": ""}),
        hold=Category.BBZ_DECISIONS,
        hold_start=_decision_start,
    ),
)
