"""The door for detail pages and writes: fetch one object the user may see, or 404.

Who may do what (docs/activities.md):
- staff who edit client files (EDIT_CLIENTS) manage activities, registrations, leads;
- staff who see every client file (VIEW_ALL_CLIENTS) read everything, change nothing (403);
- the facilitator of an activity (a volunteer coach, or any staff member) may also take
  its attendance and record its head counts;
- a volunteer coach sees only the activities they facilitate, an auditor none (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.core.access import can
from opstap.core.access_log import log_read
from opstap.core.models import User
from opstap.core.roles import Capability

from .models import Activity, ActivitySeries, OutreachCount, Registration


def can_manage(user: User) -> bool:
    return can(user, Capability.EDIT_CLIENTS)


def can_run(user: User, activity: Activity) -> bool:
    """May take the attendance and record the head counts of this activity."""
    return can_manage(user) or (
        activity.facilitator_id is not None and activity.facilitator_id == user.pk
    )


def get_activity_for_user(user: User, pk: int, *, write: bool = False) -> Activity:
    activity = (
        Activity.objects.visible_to(user)
        .select_related("organisation", "facilitator", "series")
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    if write and not can_manage(user):
        raise PermissionDenied
    return activity


def get_activity_to_run(user: User, pk: int) -> Activity:
    """The activity, for taking attendance or head counts: its facilitator or a manager."""
    activity = get_activity_for_user(user, pk)
    if not can_run(user, activity):
        raise PermissionDenied
    return activity


def get_registration_for_user(
    user: User, activity_pk: int, pk: int, *, write: bool = False
) -> Registration:
    activity = get_activity_for_user(user, activity_pk, write=write)
    registration = activity.registrations.select_related("client").filter(pk=pk).first()
    if registration is None:
        raise Http404
    registration.activity = activity
    log_read(registration)
    return registration


def get_outreach_count_for_user(user: User, activity_pk: int, pk: int) -> OutreachCount:
    activity = get_activity_to_run(user, activity_pk)
    count = activity.outreach_counts.filter(pk=pk).first()
    if count is None:
        raise Http404
    count.activity = activity
    return count


def get_series_for_user(user: User, pk: int) -> ActivitySeries:
    series = ActivitySeries.objects.visible_to(user).filter(pk=pk).first()
    if series is None:
        raise Http404
    return series
