"""The dashboard panel "sessions in the next seven days" (one query, whatever the data)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from opstap.core.dashboard import Panel, register
from opstap.core.models import Membership
from opstap.core.roles import Capability

PANEL_LENGTH = 10
WINDOW = datetime.timedelta(days=7)


def _applies(membership: Membership) -> bool:
    return membership.can(Capability.VIEW_ALL_CLIENTS) or membership.can(
        Capability.VIEW_ASSIGNED_CLIENTS
    )


def _context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    from .models import Activity

    now = timezone.now()
    sessions = list(
        Activity.objects.visible_to(request.user)
        .filter(ends_at__gte=now, starts_at__lt=now + WINDOW)
        .with_counts()
        .order_by("starts_at", "id")[:PANEL_LENGTH]
    )
    return {"sessions": sessions}


def register_all() -> None:
    register(
        Panel(
            key="activities.week",
            template="activities/partials/dashboard_panel.html",
            applies=_applies,
            context=_context,
            order=30,
        )
    )
