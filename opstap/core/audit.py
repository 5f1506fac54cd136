"""Writing the audit trail: services call these inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, Organisation, User

# Values of these fields never enter the audit log; the log only says they changed.
# Special-category values are left out too: withdrawing consent must erase them everywhere.
REDACTED_FIELDS = frozenset(
    {"national_number", "iban", "password", "has_disability", "minority_background"}
)
REDACTED = "•••"


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields whose value differs, sensitive values redacted."""
    changed: dict[str, list[Any]] = {}
    for field in sorted(set(old) | set(new)):
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        if field in REDACTED_FIELDS:
            changed[field] = [REDACTED if before else None, REDACTED if after else None]
        else:
            changed[field] = [_jsonable(before), _jsonable(after)]
    return changed


def audit_record(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    obj: models.Model,
    client: models.Model | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    changes: dict[str, Any] = changes_between(old or {}, new or {})
    if extra:
        changes["_"] = {k: _jsonable(v) for k, v in extra.items()}
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        client=client,
        changes=changes,
    )
