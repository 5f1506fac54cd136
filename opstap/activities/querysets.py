"""Reads of activities, head counts and registrations, scoped to what the user may see.

The reporting app uses `Activity.objects.of_programme(p).between(start, end)` and
`OutreachCount.objects.for_programme(p, start, end)`; those two are not scoped to a user
(reporting decides who may see a programme's figures).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, Q, Sum
from django.utils import timezone

from opstap.core.access import active_membership
from opstap.core.roles import Capability

if TYPE_CHECKING:
    from opstap.core.models import User
    from opstap.journeys.models import Programme

Moment = datetime.date | datetime.datetime | None


def _lower_bound(moment: Moment) -> datetime.datetime | None:
    """A day counts from its first moment, local time."""
    if moment is None or isinstance(moment, datetime.datetime):
        return moment
    return datetime.datetime.combine(
        moment, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def _upper_bound(moment: Moment) -> datetime.datetime | None:
    """A day counts to its last moment: the bound is the next day's first moment (exclusive)."""
    if moment is None or isinstance(moment, datetime.datetime):
        return moment
    return _lower_bound(moment + datetime.timedelta(days=1))


def _between(queryset: models.QuerySet, field: str, start: Moment, end: Moment) -> models.QuerySet:
    """`start` and `end` inclusive; dates are whole local days, datetimes exact (end exclusive)."""
    lower, upper = _lower_bound(start), _upper_bound(end)
    if lower is not None:
        queryset = queryset.filter(**{f"{field}__gte": lower})
    if upper is not None:
        queryset = queryset.filter(**{f"{field}__lt": upper})
    return queryset


class ActivitySeriesQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ActivitySeriesQuerySet:
        """A series page lists every participant's attendance: staff who see all clients."""
        membership = active_membership(user)
        if membership is None or not membership.can(Capability.VIEW_ALL_CLIENTS):
            return self.none()
        return self.filter(organisation_id=membership.organisation_id)


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ActivityQuerySet:
        """Activities of the active organisation; a volunteer sees only those they facilitate,
        an auditor none."""
        membership = active_membership(user)
        if membership is None:
            return self.none()
        in_org = self.filter(organisation_id=membership.organisation_id)
        if membership.can(Capability.VIEW_ALL_CLIENTS):
            return in_org
        if membership.can(Capability.VIEW_ASSIGNED_CLIENTS):
            return in_org.filter(facilitator=user)
        return self.none()

    def of_programme(self, programme: Programme) -> ActivityQuerySet:
        return self.filter(programmes=programme)

    def between(self, start: Moment, end: Moment) -> ActivityQuerySet:
        """Activities starting within [start, end]; dates are whole days in local time."""
        return _between(self, "starts_at", start, end)

    def of_kind(self, kind: str) -> ActivityQuerySet:
        return self.filter(kind=kind)

    def upcoming(self, now: datetime.datetime | None = None) -> ActivityQuerySet:
        """Not over yet (an activity under way is still upcoming), soonest first."""
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "id")

    def past(self, now: datetime.datetime | None = None) -> ActivityQuerySet:
        """Over, most recent first."""
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-id")

    def with_counts(self) -> ActivityQuerySet:
        return self.annotate(
            registered_count=Count(
                "registrations", filter=Q(registrations__status="registered"), distinct=True
            ),
            waitlisted_count=Count(
                "registrations", filter=Q(registrations__status="waitlisted"), distinct=True
            ),
        )

    def for_list(self) -> ActivityQuerySet:
        return (
            self.with_counts()
            .select_related("facilitator", "series")
            .prefetch_related("programmes")
        )


class OutreachCountQuerySet(models.QuerySet):
    def for_programme(self, programme: Programme, start: Moment, end: Moment) -> int:
        """People reached by the programme's outreach actions that started in [start, end]
        (dates are whole local days), over every organisation that works in the programme."""
        from .models import Activity

        activities = (
            Activity.objects.of_programme(programme).of_kind("outreach").between(start, end)
        )
        total = self.filter(activity__in=activities.values("pk")).aggregate(
            total=Sum("people_reached")
        )["total"]
        return total or 0


class RegistrationQuerySet(models.QuerySet):
    def active(self) -> RegistrationQuerySet:
        """Registered or on the wait list (not cancelled)."""
        return self.exclude(status="cancelled")

    def registered(self) -> RegistrationQuerySet:
        return self.filter(status="registered")

    def waitlist(self) -> RegistrationQuerySet:
        """The wait list in the order people joined it: the first is promoted first."""
        return self.filter(status="waitlisted").order_by("registered_at", "id")

    def for_attendance(self) -> RegistrationQuerySet:
        """Every row of the attendance page: registered first, then the wait list, by name."""
        return (
            self.active()
            .select_related("client")
            .order_by("status", "client__last_name", "client__first_name", "id")
        )
