"""Detail and write doors for routes: one object the user may see, or 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.clients.access import refuse_if_restricted
from opstap.core.access import can
from opstap.core.access_log import log_read
from opstap.core.models import User
from opstap.core.roles import Capability

from .models import CheckIn, Programme, Trajectory


def get_trajectory_for_user(user: User, pk: int, *, write: bool = False) -> Trajectory:
    trajectory = (
        Trajectory.objects.visible_to(user)
        .select_related("client", "route_type", "adviser", "outcome", "organisation")
        .filter(pk=pk)
        .first()
    )
    if trajectory is None:
        raise Http404
    if write and not can(user, Capability.EDIT_CLIENTS):
        raise PermissionDenied
    if write:
        refuse_if_restricted(trajectory.client)
    log_read(trajectory)
    return trajectory


def get_check_in_for_user(user: User, trajectory_pk: int, pk: int) -> CheckIn:
    trajectory = get_trajectory_for_user(user, trajectory_pk, write=True)
    check_in = trajectory.check_ins.filter(pk=pk).first()
    if check_in is None:
        raise Http404
    check_in.trajectory = trajectory
    return check_in


def get_programme_for_user(user: User, pk: int, *, write: bool = False) -> Programme:
    programme = Programme.objects.visible_to(user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    # Only the promoter edits a programme; partners read it.
    membership = user.active_membership  # type: ignore[attr-defined]
    if write and (
        programme.organisation_id != membership.organisation_id
        or not can(user, Capability.MANAGE_PROGRAMMES)
    ):
        raise PermissionDenied
    return programme
