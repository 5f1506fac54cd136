"""Who is what in coaching, decided from the active membership (no queries, no models).

Decision 0001 has code ask for capabilities, not role names. Coaching needs one notion core
has no capability for: the *supervisor* who reads confidential case notes. Until core has
one, it is the organisation admin role, named here and nowhere else (docs/coaching.md).
"""

from __future__ import annotations

from opstap.core.models import Membership
from opstap.core.roles import Capability, Role

SUPERVISOR_ROLES = frozenset({Role.ORG_ADMIN})


def is_supervisor(membership: Membership | None) -> bool:
    """Reads every case note of the organisation, confidential ones included."""
    return membership is not None and bool(membership.roles & SUPERVISOR_ROLES)


def reads_coaching(membership: Membership | None) -> bool:
    """May open the coaching page of the clients they may open."""
    return membership is not None and (
        membership.can(Capability.VIEW_ALL_CLIENTS)
        or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
    )


def is_coaching_staff(membership: Membership | None) -> bool:
    """Writes notes, logs sessions for any coach, keeps action plans, assigns volunteers."""
    return membership is not None and membership.can(Capability.EDIT_CLIENTS)


def is_volunteer_coach(membership: Membership | None) -> bool:
    """Coaches the clients assigned to them: notes and their own sessions, nothing else."""
    return membership is not None and membership.can(Capability.VIEW_ASSIGNED_CLIENTS)


def holds_volunteer_role(membership: Membership | None) -> bool:
    """Has a volunteer profile to keep (the volunteer role, whatever else they hold)."""
    return membership is not None and Role.VOLUNTEER in membership.roles


def manages_volunteers(membership: Membership | None) -> bool:
    """Edits every volunteer's profile (the organisation admin)."""
    return membership is not None and membership.can(Capability.MANAGE_MEMBERS)


def sees_volunteers(membership: Membership | None) -> bool:
    """Reads the list of volunteer coaches: whoever assigns them, and whoever manages them."""
    return is_coaching_staff(membership) or manages_volunteers(membership)
