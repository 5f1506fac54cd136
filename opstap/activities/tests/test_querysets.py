"""The reads reporting builds on: a programme's activities in a period and its people reached."""

from __future__ import annotations

import datetime

import pytest

from opstap.activities.models import Activity, OutreachCount
from opstap.activities.tests.factories import (
    ActivityFactory,
    OutreachCountFactory,
    ProgrammeFactory,
    at,
    partner_in,
)

pytestmark = pytest.mark.django_db

JAN_1, JAN_31 = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)


def test_people_reached_by_a_programme_in_a_period(world):
    azo = ProgrammeFactory(organisation=world.own, code="azo")
    other = ProgrammeFactory(organisation=world.own, code="other")
    partner_in(azo, world.other)

    def outreach(moment, *programmes, org=None):
        return ActivityFactory(
            organisation=org or world.own,
            kind="outreach",
            starts_at=moment,
            programmes=list(programmes),
        )

    first_minute = outreach(at(JAN_1, 0, 0), azo)  # local midnight: inside
    last_minute = outreach(at(JAN_31, 23, 59), azo)  # last local minute: inside
    by_partner = outreach(at(datetime.date(2026, 1, 15)), azo, org=world.other)
    shared = outreach(at(datetime.date(2026, 1, 20)), azo, other)
    december = outreach(at(datetime.date(2025, 12, 31), 23, 59), azo)
    february = outreach(at(datetime.date(2026, 2, 1), 0, 0), azo)
    elsewhere = outreach(at(datetime.date(2026, 1, 10)), other)
    for activity, people in [
        (first_minute, 10),
        (first_minute, 5),
        (last_minute, 7),
        (by_partner, 20),
        (shared, 3),
        (december, 100),
        (february, 100),
        (elsewhere, 100),
    ]:
        OutreachCountFactory(activity=activity, people_reached=people)
    # Head counts on an information session never count as outreach.
    session = ActivityFactory(
        organisation=world.own, kind="info_session", starts_at=at(datetime.date(2026, 1, 5))
    )
    session.programmes.set([azo])
    OutreachCount.objects.create(activity=session, channel="other", people_reached=100)

    assert OutreachCount.objects.for_programme(azo, JAN_1, JAN_31) == 10 + 5 + 7 + 20 + 3
    assert OutreachCount.objects.for_programme(other, JAN_1, JAN_31) == 3 + 100
    assert OutreachCount.objects.for_programme(azo, None, None) == 45 + 100 + 100
    assert OutreachCount.objects.for_programme(azo, datetime.date(2027, 1, 1), None) == 0

    in_january = Activity.objects.of_programme(azo).between(JAN_1, JAN_31)
    assert set(in_january) == {first_minute, last_minute, by_partner, shared, session}
    assert set(in_january.of_kind("outreach")) == {first_minute, last_minute, by_partner, shared}
    exact = Activity.objects.between(at(JAN_1, 0, 0), at(JAN_1, 0, 1))
    assert list(exact) == [first_minute]
