"""Who sees reports: members who see aggregated figures or every client file.

Volunteers (assigned clients only) see no reports at all: for them the pages do not exist
(404). A programme page is there for the promoter's members and for the members of a partner
organisation of the programme (Programme.objects.visible_to); it shows counts only.
"""

from __future__ import annotations

from django.http import Http404

from opstap.core.access import active_membership
from opstap.core.models import Membership, User
from opstap.core.roles import Capability
from opstap.journeys.models import Programme
from opstap.journeys.querysets import ProgrammeQuerySet

REPORT_CAPABILITIES = (Capability.VIEW_AGGREGATES, Capability.VIEW_ALL_CLIENTS)


def can_see_reports(membership: Membership | None) -> bool:
    return membership is not None and any(membership.can(c) for c in REPORT_CAPABILITIES)


def require_reports(user: User) -> Membership:
    """The active membership if it may see reports, else 404."""
    membership = active_membership(user)
    if not can_see_reports(membership):
        raise Http404
    assert membership is not None  # noqa: S101 for mypy: can_see_reports() refused None
    return membership


def programmes_for_user(user: User) -> ProgrammeQuerySet:
    require_reports(user)
    return Programme.objects.visible_to(user)


def get_programme_for_user(user: User, pk: int) -> Programme:
    """The programme if the user may see its reports (promoter or partner), else 404."""
    programme = (
        programmes_for_user(user)
        .select_related("organisation")
        .prefetch_related("phase_targets")
        .filter(pk=pk)
        .first()
    )
    if programme is None:
        raise Http404
    return programme
