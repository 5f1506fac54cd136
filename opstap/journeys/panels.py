"""What the routes app adds to the dashboard and to the client file."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from opstap.core.dashboard import ClientSection, Panel, register, register_client_section
from opstap.core.models import Membership
from opstap.core.roles import Capability

from .models import CheckIn, Trajectory

PANEL_LENGTH = 10


def _check_ins_due(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    due = (
        # A join on the adviser's own trajectories (the panel is for roles that see every
        # file of the organisation); an IN over all visible trajectories scanned them all.
        CheckIn.objects.due(on=timezone.localdate())
        .filter(
            trajectory__adviser=request.user,
            trajectory__organisation_id=membership.organisation_id,
        )
        .select_related("trajectory__client")
        .order_by("due_on")[:PANEL_LENGTH]
    )
    return {"check_ins": list(due)}


def _client_routes(request: HttpRequest, membership: Membership, client: Any) -> dict[str, Any]:
    trajectories = (
        Trajectory.objects.visible_to(request.user)
        .filter(client=client)
        .select_related("route_type", "outcome")
        .order_by("-opened_on")
    )
    return {
        "trajectories": list(trajectories),
        "client": client,
        "can_open": membership.can(Capability.EDIT_CLIENTS),
    }


def register_all() -> None:
    register(
        Panel(
            key="journeys.check_ins",
            template="journeys/partials/panel_check_ins.html",
            applies=lambda m: m.can(Capability.EDIT_CLIENTS),
            context=_check_ins_due,
            order=30,
        )
    )
    register_client_section(
        ClientSection(
            key="journeys.routes",
            template="journeys/partials/client_routes.html",
            applies=lambda m: (
                m.can(Capability.VIEW_ALL_CLIENTS) or m.can(Capability.VIEW_ASSIGNED_CLIENTS)
            ),
            context=_client_routes,
            order=10,
        )
    )
