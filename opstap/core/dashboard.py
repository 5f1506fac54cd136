"""Dashboard panels contributed by the apps above core (coaching, aftercare, …).

Core cannot import those apps, so each registers a panel in its AppConfig.ready(); the
dashboard renders every panel whose `applies` says yes for the active membership. A panel
must cost a constant number of queries (the dashboard's query count is pinned by tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from .models import Membership


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    applies: Callable[[Membership], bool]
    context: Callable[[HttpRequest, Membership], dict[str, Any]]
    order: int = 50


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(request: HttpRequest, membership: Membership) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of every panel for this membership, in order."""
    return [
        (panel.template, panel.context(request, membership))
        for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
        if panel.applies(membership)
    ]


# Sections of the client file contributed by apps above clients (routes, coaching, …).
_CLIENT_SECTIONS: dict[str, ClientSection] = {}


@dataclass(frozen=True)
class ClientSection:
    key: str
    template: str
    applies: Callable[[Membership], bool]
    context: Callable[[HttpRequest, Membership, Any], dict[str, Any]]
    order: int = 50


def register_client_section(section: ClientSection) -> None:
    _CLIENT_SECTIONS[section.key] = section


def client_sections_for(
    request: HttpRequest, membership: Membership, client: Any
) -> list[tuple[str, dict[str, Any]]]:
    return [
        (section.template, section.context(request, membership, client))
        for section in sorted(_CLIENT_SECTIONS.values(), key=lambda s: (s.order, s.key))
        if section.applies(membership)
    ]
