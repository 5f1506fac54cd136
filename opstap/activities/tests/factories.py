from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from opstap.activities.models import Activity, ActivitySeries, OutreachCount, Registration
from opstap.core.tests.factories import OrganisationFactory
from opstap.journeys.models import Programme, ProgrammePartner


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment in the project's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def days_from_today(days: int, hour: int = 10) -> datetime.datetime:
    return at(timezone.localdate() + datetime.timedelta(days=days), hour)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"prog-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    starts_on = datetime.date(2020, 1, 1)
    ends_on = datetime.date(2030, 12, 31)


def partner_in(programme: Programme, organisation) -> ProgrammePartner:
    return ProgrammePartner.objects.create(
        programme=programme, organisation=organisation, name=organisation.name
    )


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivitySeries

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Ladder to Success {n}")
    planned_sessions = 9


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "info_session"
    title = factory.Sequence(lambda n: f"Information session {n}")
    starts_at = factory.LazyFunction(lambda: days_from_today(-1, 18))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    place = "Buurthuis De Vaart"
    language = "nl"

    @factory.post_generation
    def programmes(self, create, extracted, **kwargs):
        if create and extracted:
            self.programmes.set(extracted)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    activity = factory.SubFactory(ActivityFactory)
    status = "registered"


class OutreachCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutreachCount

    activity = factory.SubFactory(ActivityFactory, kind="outreach")
    neighbourhood = "Oud-Molenbeek"
    channel = "street"
    people_reached = 10
