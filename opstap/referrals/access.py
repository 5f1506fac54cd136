"""The door for detail pages and writes: fetch one referral the user may see, or 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.core.access import active_membership
from opstap.core.access_log import log_read
from opstap.core.models import User
from opstap.core.roles import Capability

from .models import Referral


def get_referral_for_user(user: User, pk: int, *, write: bool = False) -> Referral:
    """A referral the active organisation made, recorded or received; 404 otherwise.

    With `write`, the user must also be allowed to move its status: EDIT_CLIENTS in the
    organisation that answers it (the partner on Opstap, else the recording organisation).
    Both sides may see the referral, so a refused write answers 403.
    """
    referral = (
        Referral.objects.visible_to(user)
        .select_related("client", "organisation", "partner", "created_by")
        .with_sharing()
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    if write and not may_move(user, referral):
        raise PermissionDenied
    membership = active_membership(user)
    if membership is not None and (
        referral.organisation_id == membership.organisation_id or referral.file_shared
    ):
        # A partner without the client's consent sees that a referral exists, not whom it is
        # about: that is no read of the file.
        log_read(referral)
    return referral


def may_move(user: User, referral: Referral) -> bool:
    """The user may accept, decline or complete this referral (whatever its status)."""
    membership = active_membership(user)
    return (
        membership is not None
        and membership.can(Capability.EDIT_CLIENTS)
        and membership.organisation_id == referral.answering_organisation_id
    )
