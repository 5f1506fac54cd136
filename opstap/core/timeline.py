"""The client file's timeline: audit events of the file, each app deciding who sees its own.

An audit event says what happened to which object ("Loan granted · LN-2026-0007 · €12,500").
Whoever may not open that object's page must not read it on the timeline either, so every app
whose events carry something a role may not see registers a filter here (in its
AppConfig.ready()) that applies the same rule as its own pages. Core cannot import those apps.
A filter gets the events of its app (by the app label of `object_type`) and returns those the
membership may see; it may set `show_object = False` to keep the event but hide the object's
name. It must cost a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import AuditEvent, Membership

TimelineFilter = Callable[[Membership, list[AuditEvent]], list[AuditEvent]]

_FILTERS: dict[str, TimelineFilter] = {}


def register_timeline_filter(app_label: str, events_filter: TimelineFilter) -> None:
    _FILTERS[app_label] = events_filter


def timeline_for(
    membership: Membership, client: Any, *, length: int, hidden_types: set[str] = frozenset()
) -> list[AuditEvent]:
    """The newest `length` events of the client's file the membership may see."""
    events = list(AuditEvent.objects.filter(client=client).select_related("actor")[:length])
    for event in events:
        event.show_object = (
            event.object_type != client._meta.label_lower and event.object_type not in hidden_types
        )
    by_app: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_app.setdefault(event.object_type.partition(".")[0], []).append(event)
    shown: set[int] = set()
    for app_label, app_events in by_app.items():
        events_filter = _FILTERS.get(app_label)
        kept = events_filter(membership, app_events) if events_filter else app_events
        shown.update(event.pk for event in kept)
    return [event for event in events if event.pk in shown]
