"""Reads of coaching data, always scoped to what the user may see.

Every queryset starts from the clients the user may open (`Client.objects.visible_to`), so a
volunteer's view of notes, sessions and actions follows their assignments without a second
rule to keep in step.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce

from opstap.clients.models import Client, ClientCoach
from opstap.core.access import active_membership
from opstap.core.models import Membership
from opstap.core.roles import Role
from opstap.journeys.models import Trajectory

from .choices import ActionStatus
from .roles import is_supervisor, reads_coaching, sees_volunteers

if TYPE_CHECKING:
    from opstap.core.models import Organisation, User


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of `day`'s month and the first day of the next."""
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following


class CaseNoteQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CaseNoteQuerySet:
        """Notes on clients the user may open; a confidential note only for its author and
        the organisation's supervisors."""
        membership = active_membership(user)
        if not reads_coaching(membership):
            return self.none()
        assert membership is not None  # noqa: S101 for mypy: reads_coaching() refused None
        notes = self.filter(
            organisation_id=membership.organisation_id,
            client__in=Client.objects.visible_to(user).values("pk"),
        )
        if is_supervisor(membership):
            return notes
        return notes.filter(Q(confidential=False) | Q(author=user))

    def for_page(self) -> CaseNoteQuerySet:
        return self.select_related("author", "trajectory__route_type")


class CoachingSessionQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CoachingSessionQuerySet:
        membership = active_membership(user)
        if not reads_coaching(membership):
            return self.none()
        assert membership is not None  # noqa: S101 for mypy: reads_coaching() refused None
        return self.filter(
            organisation_id=membership.organisation_id,
            client__in=Client.objects.visible_to(user).values("pk"),
        )

    def for_page(self) -> CoachingSessionQuerySet:
        return self.select_related("coach", "logged_by", "trajectory__route_type")

    def in_month(self, day: datetime.date) -> CoachingSessionQuerySet:
        first, following = month_bounds(day)
        return self.filter(on__gte=first, on__lt=following)

    def totals(self) -> dict[str, int]:
        """{"sessions": n, "minutes": m} in one query."""
        result = self.aggregate(sessions=Count("id"), minutes=Coalesce(Sum("duration_minutes"), 0))
        return {"sessions": result["sessions"], "minutes": result["minutes"]}


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ActionItemQuerySet:
        """Actions of the trajectories the user may see (see Trajectory.objects.visible_to)."""
        membership = active_membership(user)
        if not reads_coaching(membership):
            return self.none()
        assert membership is not None  # noqa: S101 for mypy: reads_coaching() refused None
        return self.filter(
            organisation_id=membership.organisation_id,
            trajectory__in=Trajectory.objects.visible_to(user).values("pk"),
        )

    def open(self) -> ActionItemQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, *, on: datetime.date) -> ActionItemQuerySet:
        return self.open().filter(due_on__lt=on)

    def concerning(self, user: User) -> ActionItemQuerySet:
        """Actions the user owns, or of trajectories they are the adviser of."""
        return self.filter(Q(owner=user) | Q(trajectory__adviser=user))

    def for_dashboard(self) -> ActionItemQuerySet:
        """With the client and owner, and the total number of rows in every row (one query
        gives both the first rows and how many there are)."""
        return (
            self.select_related("trajectory__client", "owner")
            .annotate(total=Window(Count("id")))
            .order_by("due_on", "id")
        )


class VolunteerProfileQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> VolunteerProfileQuerySet:
        """Every profile of the organisation for those who assign or manage volunteers; a
        volunteer sees only their own."""
        membership = active_membership(user)
        if membership is None:
            return self.none()
        in_org = self.filter(organisation_id=membership.organisation_id)
        if sees_volunteers(membership):
            return in_org
        return in_org.filter(user=user)

    def with_load(self) -> VolunteerProfileQuerySet:
        """`assigned_count`: the clients of this organisation the volunteer coaches now."""
        assigned = (
            ClientCoach.objects.filter(
                coach=OuterRef("user_id"), client__organisation=OuterRef("organisation_id")
            )
            .order_by()
            .values("coach")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            assigned_count=Coalesce(Subquery(assigned), 0, output_field=IntegerField())
        ).annotate(
            free_places=ExpressionWrapper(
                F("max_clients") - F("assigned_count"), output_field=IntegerField()
            )
        )

    def eligible(self, organisation: Organisation) -> VolunteerProfileQuerySet:
        """Active profiles of active volunteers (an active membership with the role)."""
        volunteer_membership = Membership.objects.active().filter(
            user=OuterRef("user_id"),
            organisation=organisation,
            role_grants__role=Role.VOLUNTEER,
        )
        return self.filter(organisation=organisation, active=True, user__is_active=True).filter(
            Exists(volunteer_membership)
        )

    def not_coaching(self, client: Client) -> VolunteerProfileQuerySet:
        return self.exclude(
            Exists(ClientCoach.objects.filter(client=client, coach=OuterRef("user_id")))
        )
