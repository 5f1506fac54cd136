"""Reads of route data, scoped to what the user may see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from opstap.core.access import active_membership
from opstap.core.roles import Capability

if TYPE_CHECKING:
    from opstap.core.models import Organisation, User


class ProgrammeQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ProgrammeQuerySet:
        """Programmes the active organisation promotes or is a partner in."""
        membership = active_membership(user)
        if membership is None or not (
            membership.can(Capability.VIEW_ALL_CLIENTS)
            or membership.can(Capability.VIEW_AGGREGATES)
            or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
        ):
            return self.none()
        org = membership.organisation_id
        return self.filter(Q(organisation_id=org) | Q(partners__organisation_id=org)).distinct()

    def active_on(self, day: datetime.date) -> ProgrammeQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class RouteTypeQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation) -> RouteTypeQuerySet:
        """The organisation's own route types, plus the built-in ones it has not adapted."""
        own_codes = self.model.objects.filter(organisation=organisation).values("code")
        return self.filter(
            Q(organisation=organisation) | (Q(organisation__isnull=True) & ~Q(code__in=own_codes))
        ).filter(is_active=True)


class TrajectoryQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> TrajectoryQuerySet:
        """Trajectories of the clients the user may open (see Client.objects.visible_to)."""
        membership = active_membership(user)
        if membership is None:
            return self.none()
        in_org = self.filter(organisation_id=membership.organisation_id)
        if membership.can(Capability.VIEW_ALL_CLIENTS):
            return in_org
        if membership.can(Capability.VIEW_ASSIGNED_CLIENTS):
            return in_org.filter(client__coach_assignments__coach=user)
        return self.none()

    def open(self) -> TrajectoryQuerySet:
        return self.filter(closed_on__isnull=True)

    def for_board(self) -> TrajectoryQuerySet:
        return self.select_related("client", "adviser").order_by("phase_since", "id")


class PhaseChangeQuerySet(models.QuerySet):
    def between(
        self, start: datetime.date | None, end: datetime.date | None
    ) -> PhaseChangeQuerySet:
        qs = self
        if start is not None:
            qs = qs.filter(on__gte=start)
        if end is not None:
            qs = qs.filter(on__lte=end)
        return qs


class CheckInQuerySet(models.QuerySet):
    def due(self, on: datetime.date, within_days: int = 30) -> CheckInQuerySet:
        return self.filter(
            done_on__isnull=True, due_on__lte=on + datetime.timedelta(days=within_days)
        )
