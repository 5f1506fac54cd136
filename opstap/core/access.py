"""Who may see and do what, decided from the active membership.

A request has one active organisation (chosen by the user when they belong to several).
Everything a user sees is scoped to it. What a user may not see answers 404 (its existence
is not revealed); what a user may see but not change answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Membership, Organisation, User


def active_membership(user: User) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "active_membership", None)


def activate(user: User, organisation: Organisation | None) -> Membership | None:
    """Make `organisation` the user's active one (commands, tasks, tests; pages use the session)."""
    membership = None
    if organisation is not None:
        membership = (
            Membership.objects.active()
            .with_roles()
            .select_related("organisation")
            .filter(user=user, organisation=organisation)
            .first()
        )
    user.active_membership = membership  # type: ignore[attr-defined]
    return membership


def can(user: User, capability: str) -> bool:
    membership = active_membership(user)
    return membership is not None and membership.can(capability)


def require_visible(user: User, capability: str) -> Membership:
    """The active membership if it has `capability`, else 404 (the page does not exist for them)."""
    membership = active_membership(user)
    if membership is None or not membership.can(capability):
        raise Http404
    return membership


def require_allowed(user: User, capability: str) -> Membership:
    """The active membership if it has `capability`, else 403 (they can see, not change)."""
    membership = active_membership(user)
    if membership is None or not membership.can(capability):
        raise PermissionDenied
    return membership
