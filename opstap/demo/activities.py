"""Demo activities: street and shop outreach with anonymous head counts, monthly information
sessions with their attendance, and a nine-workshop series, linked to the programmes.

Attendance is written as already applied to the routes: the demo routes carry their own
phase histories, so nothing is replayed through the trajectory service here.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings

from opstap.activities.models import (
    Activity,
    ActivitySeries,
    Attendance,
    OutreachCount,
    Registration,
    RegistrationStatus,
)
from opstap.clients.models import Client
from opstap.core.models import Organisation
from opstap.journeys.models import Programme

FIRST_MONTH = datetime.date(2023, 1, 1)
OUTREACH_CHANNELS = (
    ("street", 40),
    ("shop_visit", 30),
    ("coffee_chat", 15),
    ("partner_event", 10),
    ("social_media", 5),
)
ATTENDANCE = ((Attendance.PRESENT, 72), (Attendance.EXCUSED, 10), (Attendance.ABSENT, 18))
SERIES_TITLE = "Ladder naar succes"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _months(until: datetime.date):
    day = FIRST_MONTH
    while day < until:
        yield day
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def build_activities(
    *, organisations: list[Organisation], seed: int, today: datetime.date
) -> dict[str, int]:
    rng = random.Random(seed * 104729 + 11)
    counts = {"activities": 0, "head_counts": 0, "registrations": 0}
    for organisation in organisations:
        programmes = list(Programme.objects.filter(organisation=organisation))
        neighbourhoods = sorted(
            n
            for n in Client.objects.filter(organisation=organisation)
            .values_list("neighbourhood", flat=True)
            .distinct()
            if n
        ) or ["Centrum"]
        client_ids = list(
            Client.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        activities, plans = [], []
        for month in _months(today):
            for week in (1, 3):
                day = month + datetime.timedelta(days=7 * week + rng.randint(0, 4))
                neighbourhood = rng.choice(neighbourhoods)
                activities.append(
                    Activity(
                        organisation=organisation,
                        kind="outreach",
                        title=f"Straatactie {neighbourhood}",
                        starts_at=_at(day, 10),
                        ends_at=_at(day, 13),
                        neighbourhood=neighbourhood,
                        place=neighbourhood,
                        language=organisation.default_language,
                    )
                )
                plans.append(("outreach", day))
            day = month + datetime.timedelta(days=14 + rng.randint(0, 6))
            activities.append(
                Activity(
                    organisation=organisation,
                    kind="info_session",
                    title="Infosessie: ondernemen, hoe begin je?",
                    starts_at=_at(day, 14),
                    ends_at=_at(day, 16),
                    place="Ondernemershuis",
                    capacity=20,
                    language=organisation.default_language,
                )
            )
            plans.append(("info_session", day))
        series = ActivitySeries.objects.create(
            organisation=organisation, title=SERIES_TITLE, planned_sessions=9
        )
        series_start = datetime.date(today.year, 1, 15)
        for number in range(9):
            day = series_start + datetime.timedelta(weeks=2 * number)
            activities.append(
                Activity(
                    organisation=organisation,
                    kind="workshop",
                    title=f"{SERIES_TITLE} {number + 1}/9",
                    starts_at=_at(day, 18),
                    ends_at=_at(day, 20),
                    place="Ondernemershuis",
                    capacity=15,
                    series=series,
                    language=organisation.default_language,
                )
            )
            plans.append(("workshop", day))
        Activity.objects.bulk_create(activities)

        links, head_counts, registrations = [], [], []
        series_participants = rng.sample(client_ids, min(15, len(client_ids)))
        through = Activity.programmes.through
        for activity, (kind, day) in zip(activities, plans, strict=True):
            programme = next((p for p in programmes if p.starts_on <= day <= p.ends_on), None)
            if programme is not None:
                links.append(through(activity_id=activity.pk, programme_id=programme.pk))
            if kind == "outreach":
                for _ in range(rng.randint(1, 3)):
                    channels, weights = zip(*OUTREACH_CHANNELS, strict=True)
                    head_counts.append(
                        OutreachCount(
                            activity_id=activity.pk,
                            neighbourhood=activity.neighbourhood,
                            channel=rng.choices(channels, weights)[0],
                            people_reached=rng.randint(4, 45),
                        )
                    )
                continue
            participants = (
                series_participants
                if kind == "workshop"
                else rng.sample(client_ids, min(rng.randint(10, 24), len(client_ids)))
            )
            held = day <= today
            for index, client_id in enumerate(participants):
                waitlisted = activity.capacity is not None and index >= activity.capacity
                present, weights = zip(*ATTENDANCE, strict=True)
                registrations.append(
                    Registration(
                        activity_id=activity.pk,
                        client_id=client_id,
                        status=RegistrationStatus.WAITLISTED
                        if waitlisted
                        else RegistrationStatus.REGISTERED,
                        registered_at=_at(day - datetime.timedelta(days=rng.randint(3, 20)), 9),
                        attendance=rng.choices(present, weights)[0]
                        if held and not waitlisted
                        else "",
                        route_applied=held and not waitlisted,
                    )
                )
        through.objects.bulk_create(links)
        OutreachCount.objects.bulk_create(head_counts)
        Registration.objects.bulk_create(registrations, batch_size=2000)
        counts["activities"] += len(activities)
        counts["head_counts"] += len(head_counts)
        counts["registrations"] += len(registrations)
    return counts
