from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .roles import Capability


def opstap(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "active_organisation": membership.organisation if membership else None,
        "caps": membership.capabilities if membership else frozenset(),
        "Capability": Capability,
        "idle_seconds": settings.OPSTAP_IDLE_MINUTES * 60,
    }
