"""The client file's timeline: the file's audit events, each only for who may open its object.

An audit event names what happened to which object ("Loan granted · LN-2026-0007"). Whoever
may not open that object's page must not read about it on the timeline either, so an event
about an object whose model has a `visible_to(user)` queryset (every app's access door: loans
need VIEW_LOANS, a confidential note its author or a supervisor) is shown only when that
queryset holds the object — the same rule as the object's own page, with no app to register
anything. Objects without a door of their own (consents, documents) belong to the client
file; the page decides which of their names it shows (`hidden_types`). An object that no
longer exists cannot be opened, so its events are not shown. One query per object type.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps

from .models import AuditEvent, User


def _visible_ids(user: User, object_type: str, ids: set[str]) -> set[str] | None:
    """The ids among `ids` the user may open; None when the type has no door of its own."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return set()
    manager = model._default_manager
    if not hasattr(manager, "visible_to"):
        return None
    numbers = [int(value) for value in ids if value.isdigit()]
    found = manager.visible_to(user).filter(pk__in=numbers).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def timeline_for(
    user: User, client: Any, *, length: int, hidden_types: frozenset[str] | set[str] = frozenset()
) -> list[AuditEvent]:
    """The newest events of the client's file the user may see, at most `length`."""
    events = list(AuditEvent.objects.filter(client=client).select_related("actor")[:length])
    client_type = client._meta.label_lower
    by_type: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        event.show_object = event.object_type != client_type and (
            event.object_type not in hidden_types
        )
        if event.object_type != client_type:
            by_type[event.object_type].append(event)
    hidden: set[int] = set()
    for object_type, typed in by_type.items():
        visible = _visible_ids(user, object_type, {event.object_id for event in typed})
        if visible is not None:
            hidden.update(event.pk for event in typed if event.object_id not in visible)
    return [event for event in events if event.pk not in hidden]
