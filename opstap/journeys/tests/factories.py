from __future__ import annotations

import datetime

import factory

from opstap.core.tests.factories import OrganisationFactory
from opstap.journeys.models import Programme, RouteType


def builtin_route(code: str = "starter") -> RouteType:
    return RouteType.objects.get(organisation=None, code=code)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"prog-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    starts_on = datetime.date(2025, 1, 1)
    ends_on = datetime.date(2026, 12, 31)
