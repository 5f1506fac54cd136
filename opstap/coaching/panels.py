"""What coaching adds to the dashboard and to the client file (registered in apps.py).

Each costs a constant number of queries: the dashboard and the client file have pinned
query counts (opstap/core/tests/test_query_counts.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from opstap.core.models import Membership

from .models import ActionItem, CoachingSession
from .roles import holds_volunteer_role, is_volunteer_coach, reads_coaching, sees_volunteers

OVERDUE_LIST_LENGTH = 10


def overdue_actions(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """Open actions past their due date that the user owns or whose trajectory they advise.
    One query: the first rows, each carrying the total."""
    user = request.user
    today = timezone.localdate()
    rows = list(
        ActionItem.objects.visible_to(user)  # type: ignore[arg-type]
        .overdue(on=today)
        .concerning(user)  # type: ignore[arg-type]
        .for_dashboard()[:OVERDUE_LIST_LENGTH]
    )
    return {
        "actions": rows,
        "total": rows[0].total if rows else 0,
        "today": today,
        "sees_volunteers": sees_volunteers(membership),
    }


def my_month(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """The volunteer's own sessions and hours this month. One query."""
    today = timezone.localdate()
    totals = (
        CoachingSession.objects.filter(coach=request.user, organisation=membership.organisation)
        .in_month(today)
        .totals()
    )
    return {
        **totals,
        "hours": totals["minutes"] / 60,
        "today": today,
        "has_profile": holds_volunteer_role(membership),
    }


def client_section(request: HttpRequest, membership: Membership, client: Any) -> dict[str, Any]:
    """A link from the client file to its coaching page; no query."""
    return {"client": client}


def applies_to_coaches(membership: Membership) -> bool:
    return reads_coaching(membership)


def applies_to_volunteers(membership: Membership) -> bool:
    return is_volunteer_coach(membership)
