"""The audit log in the reader's language (issue 9): no internal codes such as
`section: competitors`, `verdict: not_viable` or `draft → submitted`."""

from __future__ import annotations

from django.utils import translation

from opstap.core.models import CHANGE_FIELDS, CHANGE_NOTES, AuditEvent
from opstap.core.tests.attack.conftest import _shared, attack_world  # noqa: F401


def test_a_plans_notes_name_the_version_its_status_section_and_verdict():
    event = AuditEvent(
        object_type="plans.businessplan",
        changes={
            "status": ["draft", "submitted"],
            "_": {"version": 2, "section": "competitors", "verdict": "not_viable"},
        },
    )
    with translation.override("nl"):
        rows = [(label, str(old), str(new)) for label, old, new in event.readable_changes]
    assert ("status van de versie", "Ontwerp", "Ingediend") in rows
    assert ("onderdeel", "None", "Concurrenten") in rows
    assert ("oordeel", "None", "Niet haalbaar") in rows
    assert all("competitors" not in str(row) and "not_viable" not in str(row) for row in rows)


def test_every_key_the_apps_write_in_the_audit_log_has_a_label(attack_world):  # noqa: F811
    """Every change and note of one of everything has a readable name: a model field, a key
    its app registered, or a core note. A new key without one fails here."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    unnamed = set()
    for event in AuditEvent.objects.all():
        model = apps.get_model(event.object_type)
        keys = [k for k in event.changes if k != "_"] + list(event.changes.get("_", {}))
        for key in keys:
            if (event.object_type, key) in CHANGE_FIELDS or key in CHANGE_NOTES:
                continue
            try:
                model._meta.get_field(key)
            except FieldDoesNotExist:
                unnamed.add(f"{event.object_type}:{key} ({event.action})")
    assert not unnamed, "\n".join(sorted(unnamed))
