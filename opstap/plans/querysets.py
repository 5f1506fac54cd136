"""Reads of business plans, scoped to the clients the user may see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models

from opstap.clients.models import Client
from opstap.core.access import active_membership
from opstap.core.roles import Capability

from .choices import AssessmentOutcome

if TYPE_CHECKING:
    from opstap.core.models import User


class BusinessPlanQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> BusinessPlanQuerySet:
        """Plans of the clients the user sees (a volunteer: their assigned clients)."""
        return self.filter(client__in=Client.objects.visible_to(user))


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AssessmentQuerySet:
        membership = active_membership(user)
        if membership is None or not membership.can(Capability.VIEW_ALL_CLIENTS):
            return self.none()
        return self.filter(organisation_id=membership.organisation_id)

    def pending(self) -> AssessmentQuerySet:
        return self.filter(outcome=AssessmentOutcome.PENDING)

    def due_within(self, on: datetime.date, days: int) -> AssessmentQuerySet:
        return self.pending().filter(decision_due__lte=on + datetime.timedelta(days=days))
