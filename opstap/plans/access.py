"""The detail doors for business plans: fetch what the user may see, or answer 404/403.

Whoever sees the client sees the plan's narrative; the financial plan (which holds household
income) needs VIEW_FINANCIAL, like every other money figure of a client.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.clients.access import refuse_if_restricted
from opstap.core.access import active_membership
from opstap.core.access_log import log_read
from opstap.core.models import User
from opstap.core.roles import Capability

from .models import BusinessPlan, PlanVersion, ViabilityAssessment


def _require(user: User, capability: str) -> None:
    membership = active_membership(user)
    if membership is None or not membership.can(capability):
        raise PermissionDenied


def may_see_financial(user: User) -> bool:
    membership = active_membership(user)
    return membership is not None and membership.can(Capability.VIEW_FINANCIAL)


def get_plan_for_user(user: User, pk: int, *, write: bool = False) -> BusinessPlan:
    try:
        plan = (
            BusinessPlan.objects.visible_to(user)
            .select_related("client", "organisation", "trajectory")
            .get(pk=pk)
        )
    except BusinessPlan.DoesNotExist:
        raise Http404 from None
    if write:
        _require(user, Capability.WRITE_PLANS)
        refuse_if_restricted(plan.client)
    log_read(plan)
    return plan


def get_version_for_user(
    user: User, plan_pk: int, number: int, *, write: bool = False, financial: bool = False
) -> PlanVersion:
    plan = get_plan_for_user(user, plan_pk, write=write)
    if financial and not may_see_financial(user):
        raise Http404
    try:
        version = plan.versions.get(number=number)
    except PlanVersion.DoesNotExist:
        raise Http404 from None
    version.plan = plan
    return version


def get_assessment_for_user(user: User, pk: int, *, decide: bool = False) -> ViabilityAssessment:
    try:
        assessment = (
            ViabilityAssessment.objects.visible_to(user)
            .select_related("plan", "plan__client", "version", "report")
            .get(pk=pk)
        )
    except ViabilityAssessment.DoesNotExist:
        raise Http404 from None
    if decide:
        _require(user, Capability.ASSESS_VIABILITY)
    log_read(assessment.plan)
    return assessment
