"""Demo access log: who opened which files over the last five weeks, and one unusual day.

The access review (core, "Access review") shows the past week by default, so these rows are
dated back from the day the demo is built, not from the demo's reference date: a newcomer
opening the review sees it filled. Each member who works on files opens a few different files
on a working day; the loan officer of the first organisation opens thirty on the last working
day, which the review marks as unusual. Written with bulk_create, which chains each row
into the organisation's access log like any other (core.audit).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from opstap.clients.models import Client
from opstap.core.models import FileAccess, MembershipRole, Organisation
from opstap.core.roles import Role

DAYS = 35
READERS = (Role.ADVISER, Role.LOAN_OFFICER, Role.BENEFITS_OFFICER, Role.JOB_COACH)
PAGES = ("clients:detail", "clients:detail", "coaching:client", "journeys:trajectory")
UNUSUAL_FILES = 30


def build_access_log(*, organisations: list[Organisation], seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    # The last working day before today: inside the review's default week.
    unusual_days_ago = next(
        d for d in range(1, 8) if (now - datetime.timedelta(days=d)).weekday() < 5
    )
    rows: list[FileAccess] = []
    for index, organisation in enumerate(organisations):
        client_ids = list(
            Client.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        readers = list(
            MembershipRole.objects.filter(membership__organisation=organisation, role__in=READERS)
            .order_by("membership__user__email")
            .values_list("role", "membership__user_id")
        )
        if not client_ids or not readers:
            continue
        for days_ago in range(DAYS, 0, -1):
            day = now - datetime.timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            for role, user_id in readers:
                unusual = index == 0 and role == Role.LOAN_OFFICER and days_ago == unusual_days_ago
                count = UNUSUAL_FILES if unusual else rng.randint(2, 6)
                for client_id in rng.sample(client_ids, min(count, len(client_ids))):
                    rows.append(
                        FileAccess(
                            organisation=organisation,
                            user_id=user_id,
                            client_id=client_id,
                            purpose=rng.choice(PAGES),
                            accessed_at=day.replace(
                                hour=rng.randint(8, 17), minute=rng.randint(0, 59)
                            ),
                        )
                    )
    rows.sort(key=lambda row: row.accessed_at)
    FileAccess.objects.bulk_create(rows, batch_size=2000)
    return {"accesses": len(rows)}


def summary(result: dict[str, int]) -> str:
    return f"{result['accesses']:,} file openings in the access log"
