"""The client file's timeline: the file's audit events, each only for who may open its object.

An audit event names what happened to which object ("Loan granted · LN-2026-0007"). Whoever
may not open that object's page must not read about it on the timeline either, so an event
about an object whose model has a `visible_to(user)` queryset (every app's access door: loans
need VIEW_LOANS, a confidential note its author or a supervisor) is shown only when that
queryset holds the object — the same rule as the object's own page, with no app to register
anything. Objects without a door of their own (consents, documents) belong to the client
file; the page decides which of their names it shows (`hidden_types`). An object that no
longer exists cannot be opened, so its events are not shown. One query per object type.

The object is named as it is now and in the reader's language ("Amina Haddou – € 5.000,00"
for a Dutch reader of an event an English-speaking officer caused); the name stored with the
event is the fallback for types whose objects are not read back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps

from .models import AuditEvent, User


def _visible_objects(user: User, object_type: str, ids: set[str]) -> dict[str, Any] | None:
    """The objects among `ids` the user may open, by id; None when the type has no door."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    manager = model._default_manager
    if not hasattr(manager, "visible_to"):
        return None
    numbers = [int(value) for value in ids if value.isdigit()]
    found = manager.visible_to(user).filter(pk__in=numbers).select_related(*_named_by(model))
    return {str(obj.pk): obj for obj in found}


def _named_by(model: Any) -> list[str]:
    """The relations an object's name reads ("Amina Haddou @ Info session", "Naaiatelier –
    6/12/2026"): its foreign keys and theirs, joined so naming a page of events costs no
    query per event."""
    paths = []
    for field in model._meta.concrete_fields:
        if field.many_to_one:
            paths.append(field.name)
            paths.extend(
                f"{field.name}__{inner.name}"
                for inner in field.related_model._meta.concrete_fields
                if inner.many_to_one and inner.name in ("client", "route_type", "plan")
            )
    return paths


def name_objects(user: User, events: list[AuditEvent], *, skip_type: str = "") -> set[int]:
    """Name each event's object as it is now, in the reader's language; return the events
    whose object the user may not open (or that no longer exists). One query per type."""
    by_type: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.object_type != skip_type:
            by_type[event.object_type].append(event)
    hidden: set[int] = set()
    for object_type, typed in by_type.items():
        visible = _visible_objects(user, object_type, {e.object_id for e in typed})
        if visible is None:
            continue
        for event in typed:
            obj = visible.get(event.object_id)
            if obj is None:
                hidden.add(event.pk)
            else:
                event.object_repr = str(obj)[:200]
    return hidden


def timeline_for(
    user: User, client: Any, *, length: int, hidden_types: frozenset[str] | set[str] = frozenset()
) -> list[AuditEvent]:
    """The newest events of the client's file the user may see, at most `length`."""
    events = list(AuditEvent.objects.filter(client=client).select_related("actor")[:length])
    client_type = client._meta.label_lower
    for event in events:
        event.show_object = event.object_type != client_type and (
            event.object_type not in hidden_types
        )
    hidden = name_objects(user, events, skip_type=client_type)
    return [event for event in events if event.pk not in hidden]
