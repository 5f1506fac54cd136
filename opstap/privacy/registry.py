"""The personal-data registry: one entry per model (or per part of a model) holding a client's data.

Every app declares its models in its own `privacy.py` (`opstap/<app>/privacy.py`), which the
privacy app imports when Django starts (`PrivacyConfig.ready`). An entry says:

- how to find a client's rows (`client_path`, a lookup from the model to `clients.Client`);
- what to export (`fields`, read as attributes so properties such as the decrypted national
  number work; `export_filter` keeps rows out, `withheld` says how many and why);
- how to erase (`Tombstone` values, `Delete`, or `Keep` with the reason);
- its data category, purpose, legal basis and recipients (the register of processing
  activities is generated from these);
- whether a legal hold keeps its rows (`hold`: the category of `LegalHold` that applies,
  `hold_start`: from which date the hold's period counts for one row; `held_with`: kept while
  the client has held rows of these categories, so a fiscal record still names its debtor).

A model that reaches `clients.Client` but holds nothing personal is declared with
`NotPersonal`, so that "not personal" is a decision someone wrote down, not an omission; the
registry test fails for a model that is neither.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise

from opstap.core import formatting

# The text put in place of an erased name or free text. Stored data, not a page string:
# the file shows the "erased" banner in the reader's language.
ERASED = "[erased]"


class _NoHold:
    def __repr__(self) -> str:
        return "NO_HOLD"


# Returned by `hold_start` for a row the hold does not cover (a refused application, a plan
# never assessed); `None` means covered but its period has not started (a loan still running).
NO_HOLD: Any = _NoHold()


@dataclass(frozen=True)
class Tombstone:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Delete:
    """Delete the rows; `before` runs first on the rows (e.g. to remove stored files)."""

    before: Callable[[QuerySet], None] | None = None


@dataclass(frozen=True)
class Keep:
    reason: str | Promise


Erasure = Tombstone | Delete | Keep


@dataclass(frozen=True)
class Entry:
    model: str
    category: str
    purpose: str | Promise
    legal_basis: str | Promise
    client_path: str
    fields: tuple[str, ...]
    erase: Erasure
    key: str = ""
    title: str | Promise | None = None
    recipients: tuple[str | Promise, ...] = ()
    labels: Mapping[str, str | Promise] = field(default_factory=dict)
    export_filter: Callable[[QuerySet], QuerySet] | None = None
    withheld: Callable[[QuerySet], tuple[int, str | Promise] | None] | None = None
    hold: str | None = None
    hold_start: Callable[[models.Model], datetime.date | None] | None = None
    held_with: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.model}:{self.key}" if self.key else self.model

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def display_title(self) -> str:
        return str(self.title or self.model_class._meta.verbose_name_plural)

    def rows(self, client: models.Model) -> QuerySet:
        return self.model_class._default_manager.filter(**{self.client_path: client.pk}).order_by(
            "pk"
        )

    def label(self, name: str) -> str:
        if name in self.labels:
            return str(self.labels[name])
        try:
            return str(self.model_class._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 - a property has no model field: its name is the label
            return name.replace("_", " ")

    def export_objects(self, client: models.Model) -> list[models.Model]:
        rows = self.rows(client)
        if self.export_filter is not None:
            rows = self.export_filter(rows)
        return list(rows)

    def export_rows(self, client: models.Model) -> list[dict[str, Any]]:
        return [self.as_json(obj) for obj in self.export_objects(client)]

    def as_json(self, obj: models.Model) -> dict[str, Any]:
        return {name: jsonable(_read(obj, name)) for name in self.fields}

    def as_text(self, obj: models.Model) -> list[tuple[str, str]]:
        """(label, value as a reader says it) per field, for the PDF."""
        return [(self.label(name), readable(obj, name)) for name in self.fields]

    def erase_rows(self, rows: QuerySet) -> int:
        """Erase `rows`; the number of rows that changed (already-erased rows do not count)."""
        if isinstance(self.erase, Keep):
            return 0
        if isinstance(self.erase, Delete):
            if self.erase.before is not None:
                self.erase.before(rows)
            count = rows.count()
            rows.delete()
            return count
        values = dict(self.erase.values)
        return rows.exclude(self.erased_condition()).update(**values)

    def erased_condition(self) -> Q:
        """Rows that already hold the tombstone. None is matched as SQL NULL: on a JSON field
        `field=None` would mean JSON null and never match an erased row."""
        values = self.erase.values if isinstance(self.erase, Tombstone) else {}
        condition = Q()
        for name, value in values.items():
            condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        return condition


@dataclass(frozen=True)
class NotPersonal:
    model: str
    reason: str | Promise


_ENTRIES: dict[str, Entry] = {}
_NOT_PERSONAL: dict[str, NotPersonal] = {}


def register(*items: Entry | NotPersonal) -> None:
    for item in items:
        if isinstance(item, Entry):
            if item.id in _ENTRIES:
                raise ValueError(f"{item.id} is registered twice")
            _ENTRIES[item.id] = item
        else:
            _NOT_PERSONAL[item.model] = item


def entries() -> list[Entry]:
    return list(_ENTRIES.values())


def not_personal() -> list[NotPersonal]:
    return list(_NOT_PERSONAL.values())


def registered_models() -> set[str]:
    return {e.model.lower() for e in _ENTRIES.values()} | {m.lower() for m in _NOT_PERSONAL}


def entries_in(categories: Iterable[str]) -> list[Entry]:
    wanted = set(categories)
    return [e for e in _ENTRIES.values() if e.category in wanted]


def _read(obj: models.Model, name: str) -> Any:
    value = getattr(obj, name)
    if isinstance(value, models.Model):
        return str(value)
    return value


def readable(obj: models.Model, name: str) -> str:
    """A field's value in words: a choice's label, yes or no, a date in the reader's format."""
    from django.utils.formats import localize
    from django.utils.translation import gettext

    display = getattr(obj, f"get_{name}_display", None)
    value = getattr(obj, name)
    if callable(display) and value not in (None, ""):
        return str(display())
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime.datetime):
        return formatting.moment(value, "short")
    if isinstance(value, datetime.date):
        return formatting.day(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        import json

        return json.dumps(jsonable(value), ensure_ascii=False)
    if isinstance(value, Decimal):
        return localize(value)
    return str(jsonable(value))


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it: dates as ISO text, money as a decimal string."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return str(value)
