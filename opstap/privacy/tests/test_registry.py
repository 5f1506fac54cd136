"""Every model that holds a client's data is in the registry, and every entry is sound."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from opstap.privacy import registry

# Field names that hold personal data wherever they appear.
PERSONAL_FIELD_NAMES = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "iban_encrypted",
    "national_number_encrypted",
}


def _reaches_client(model: type[models.Model], seen: frozenset = frozenset()) -> bool:
    """Whether a chain of forward relations leads from `model` to clients.Client."""
    client = apps.get_model("clients", "Client")
    if model is client:
        return True
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and field.related_model):
            continue
        target = field.related_model
        if target is client:
            return True
        if (
            target._meta.label not in seen
            and target._meta.app_label not in {"core", "auth"}
            and _reaches_client(target, seen | {model._meta.label})
        ):
            return True
    return False


def _holds_personal_data(model: type[models.Model]) -> bool:
    names = {f.name for f in model._meta.get_fields()}
    return _reaches_client(model) or bool(names & PERSONAL_FIELD_NAMES)


def _unregistered() -> list[str]:
    registered = registry.registered_models()
    return sorted(
        model._meta.label
        for model in apps.get_models()
        if _holds_personal_data(model) and model._meta.label_lower not in registered
    )


def test_every_model_with_a_clients_data_is_registered():
    missing = _unregistered()
    assert missing == [], (
        "Register these models in their app's privacy.py (an Entry, or NotPersonal with the "
        f"reason): {missing}"
    )


def test_the_walk_finds_models_that_reach_a_client_indirectly():
    # So the walk above can fail: a check-in reaches the client through its trajectory, a
    # plan comment through its version and plan.
    assert _reaches_client(apps.get_model("journeys", "CheckIn"))
    assert _reaches_client(apps.get_model("plans", "PlanComment"))
    assert not _reaches_client(apps.get_model("lending", "LoanProduct"))


def test_a_model_left_out_of_the_registry_is_reported(monkeypatch):
    entries = {k: v for k, v in registry._ENTRIES.items() if k != "coaching.CaseNote"}
    monkeypatch.setattr(registry, "_ENTRIES", entries)
    monkeypatch.setattr(registry, "_NOT_PERSONAL", {})
    missing = _unregistered()
    assert "coaching.CaseNote" in missing
    assert "core.User" in missing  # by its personal fields, without a relation to a client


def test_registering_the_same_entry_twice_is_refused():
    entry = registry.entries()[0]
    with pytest.raises(ValueError):
        registry.register(entry)


@pytest.mark.parametrize("entry", registry.entries(), ids=lambda e: e.id)
def test_each_entry_names_real_fields(entry):
    model = entry.model_class
    concrete = {f.name for f in model._meta.get_fields()} | {
        f.attname for f in model._meta.concrete_fields
    }
    for name in entry.fields:
        assert name in concrete or hasattr(model, name), f"{entry.id}: no field {name}"
    if isinstance(entry.erase, registry.Tombstone):
        for name in entry.erase.values:
            assert name in concrete, f"{entry.id}: cannot tombstone {name}"
    assert entry.purpose and entry.legal_basis
    if entry.hold:
        assert entry.hold_start is not None, f"{entry.id}: a hold needs its start"


@pytest.mark.django_db
@pytest.mark.parametrize("entry", registry.entries(), ids=lambda e: e.id)
def test_each_entry_finds_a_clients_rows(entry):
    from opstap.clients.tests.factories import ClientFactory

    client = ClientFactory()
    # Compiles and runs the lookup: a wrong client_path fails here.
    list(entry.rows(client))
