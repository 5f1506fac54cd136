"""Who may use the privacy pages.

A copy of everything on a person holds their income, loans, national number and
special-category data, so only a role that may edit the file AND see all of it may make one
(organisation admin, adviser, benefits officer; not the job coach, who sees no money).
Erasure is the organisation admin's (MANAGE_MEMBERS). The register of processing
activities, the retention report and the data-breach log are for whoever runs the
organisation or reads its audit log (MANAGE_MEMBERS or READ_AUDIT).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.core.access import active_membership, can
from opstap.core.models import Membership, User
from opstap.core.roles import Capability

from .models import ExportRequest

EXPORT_CAPABILITIES = (
    Capability.EDIT_CLIENTS,
    Capability.VIEW_FINANCIAL,
    Capability.VIEW_NATIONAL_NUMBER,
    Capability.VIEW_SPECIAL_CATEGORIES,
)


def may_export(user: User) -> bool:
    return all(can(user, c) for c in EXPORT_CAPABILITIES)


def may_erase(user: User) -> bool:
    return can(user, Capability.MANAGE_MEMBERS)


def require_export(user: User) -> None:
    if not may_export(user):
        raise PermissionDenied


def require_privacy_admin(user: User) -> Membership:
    membership = active_membership(user)
    if membership is None or not (
        membership.can(Capability.MANAGE_MEMBERS) or membership.can(Capability.READ_AUDIT)
    ):
        raise Http404
    return membership


def get_export_for_user(user: User, pk: int) -> ExportRequest:
    """An export request of the user's organisation that the user made, or 404."""
    membership = active_membership(user)
    export = (
        ExportRequest.objects.select_related("client", "organisation")
        .filter(pk=pk, requested_by=user)
        .filter(organisation_id=membership.organisation_id if membership else None)
        .first()
    )
    if export is None:
        raise Http404
    return export
