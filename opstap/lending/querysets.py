"""Reads of lending data, always scoped to what the user may see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from opstap.core.access import active_membership
from opstap.core.roles import Capability

from .choices import ApplicationStatus, LoanStatus

if TYPE_CHECKING:
    from opstap.core.models import User


def _organisation_with(user: User, capability: str):
    membership = active_membership(user)
    if membership is None or not membership.can(capability):
        return None
    return membership.organisation_id


class LoanProductQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> LoanProductQuerySet:
        organisation = _organisation_with(user, Capability.VIEW_LOANS)
        return self.filter(organisation_id=organisation) if organisation else self.none()

    def valid_on(self, on: datetime.date) -> LoanProductQuerySet:
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ApplicationQuerySet:
        organisation = _organisation_with(user, Capability.VIEW_LOANS)
        return self.filter(organisation_id=organisation) if organisation else self.none()

    def awaiting_committee(self) -> ApplicationQuerySet:
        return self.filter(status=ApplicationStatus.IN_COMMITTEE)

    def for_list(self) -> ApplicationQuerySet:
        return self.select_related("client", "product", "prepared_by")


class LoanQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> LoanQuerySet:
        organisation = _organisation_with(user, Capability.VIEW_LOANS)
        return self.filter(organisation_id=organisation) if organisation else self.none()

    def in_organisation(self, organisation_id: int) -> LoanQuerySet:
        return self.filter(organisation_id=organisation_id)

    def active(self) -> LoanQuerySet:
        return self.filter(status=LoanStatus.ACTIVE)

    def overdue(self) -> LoanQuerySet:
        return self.filter(days_past_due__gt=0)

    def for_list(self) -> LoanQuerySet:
        return self.select_related("client", "product", "officer")
