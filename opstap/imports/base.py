"""The import run: parse every row, collect every error, then apply all or nothing.

    result = run_import(ClientImporter(organisation=org, actor=user), table, dry_run=False)

1. The headers are matched to the importer's columns (aliases, any case, with or without
   accents); unknown, doubled or missing required columns stop the run here.
2. Every row is parsed, cell by cell, and checked against the other rows and the database
   (`Importer.prepare`). Each problem becomes a RowError(row, column, message).
3. Inside ONE transaction the importer applies the rows that have no error by calling the
   same services the pages call (`Importer.apply`); a ValidationError from a service becomes
   RowErrors of that row (its fields mapped to the file's columns).
4. If there is any error, or this is a dry run, the transaction is rolled back: nothing
   changes. Otherwise it commits. So a dry run exercises the services' own checks too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opstap.core.models import Membership, Organisation, User

from .columns import CellError, Column, is_empty, normalise
from .readers import Table

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "error"

ROW_COLUMN_MESSAGE = _("row %(row)s, column %(column)s: %(message)s")
ROW_MESSAGE = _("row %(row)s: %(message)s")
COLUMN_MESSAGE = _("column %(column)s: %(message)s")
UNKNOWN_COLUMN = _(
    "This column is not known. Accepted columns: %(columns)s. To keep a column in the file "
    "without importing it, start its header with #."
)
DOUBLE_COLUMN = _("This column is the same as the column “%(other)s”.")
MISSING_COLUMN = _(
    "This column is required but missing from the file. Add a column with one of these "
    "headers: %(spellings)s."
)
EMPTY_HEADER = _("A column without a header has values in it; give it a header or remove it.")
COLUMN_NOT_ALLOWED = _("Your role may not import this column; remove it from the file.")
CELL_REQUIRED = _("A value is required.")
DATABASE_REFUSED = _("The database refused this row: %(problem)s")


@dataclass
class RowError:
    """One problem: the row number as a spreadsheet shows it, the column header as the file
    writes it ("" for the row as a whole), and the message (translated when shown)."""

    row: int | None
    column: str
    message: Any
    params: dict[str, Any] = field(default_factory=dict)
    # Existing client files the message is about (number, name): the page links to them.
    clients: list[tuple[int, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return str(ROW_COLUMN_MESSAGE) % {
                "row": self.row,
                "column": self.column,
                "message": self.text,
            }
        if self.row is not None:
            return str(ROW_MESSAGE) % {"row": self.row, "message": self.text}
        if self.column:
            return str(COLUMN_MESSAGE) % {"column": self.column, "message": self.text}
        return self.text


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    outcome: str = ""
    # What the importer resolved for this row (a client, a route type, …).
    resolved: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class RowFailed(Exception):
    """A service refused the row; its errors are already on the row."""


class Importer:
    kind: ClassVar[str]
    title: ClassVar[Any]
    columns: ClassVar[list[Column]]
    # A service's field name → the column key its errors belong to.
    field_columns: ClassVar[dict[str, str]] = {}
    summary_text: ClassVar[Any] = _(
        "%(created)s created, %(updated)s updated, %(unchanged)s unchanged."
    )
    dry_run_text: ClassVar[Any] = _(
        "%(created)s would be created, %(updated)s updated, %(unchanged)s left unchanged."
    )
    # What a row does, as the preview says it.
    outcome_labels: ClassVar[dict[str, Any]] = {
        CREATED: _("new"),
        UPDATED: _("changes"),
        UNCHANGED: _("already there"),
        FAILED: _("error"),
    }

    def __init__(self, *, organisation: Organisation, actor: User | None) -> None:
        self.organisation = organisation
        self.actor = actor
        self.membership: Membership | None = None
        if actor is not None:
            self.membership = (
                Membership.objects.active()
                .with_roles()
                .filter(user=actor, organisation=organisation)
                .first()
            )
            if self.membership is None:
                raise ValueError(f"{actor} is not an active member of {organisation}")
        self.headers: dict[str, str] = {}  # column key → header as written in the file

    # Capabilities ---------------------------------------------------------------------

    def may(self, capability: str | None) -> bool:
        """Imports run by the system (no actor) may do everything; a member what their role may."""
        if capability is None or self.membership is None:
            return True
        return self.membership.can(capability)

    # Headers --------------------------------------------------------------------------

    @classmethod
    def column(cls, key: str) -> Column:
        return next(c for c in cls.columns if c.key == key)

    @classmethod
    def header_index(cls) -> dict[str, Column]:
        index: dict[str, Column] = {}
        for column in cls.columns:
            for name in column.header_names():
                index.setdefault(name, column)
        return index

    def map_headers(self, table: Table) -> tuple[list[tuple[int, Column]], list[RowError]]:
        index = self.header_index()
        mapped: list[tuple[int, Column]] = []
        errors: list[RowError] = []
        row = table.header_row
        seen: dict[str, str] = {}
        for position, header in enumerate(table.headers):
            if header.startswith("#"):
                continue
            if not header:
                if any(
                    position < len(cells) and not is_empty(cells[position])
                    for _number, cells in table.rows
                ):
                    errors.append(RowError(row, "", EMPTY_HEADER))
                continue
            column = index.get(normalise(header))
            if column is None:
                accepted = ", ".join(str(c.header) for c in self.columns)
                errors.append(RowError(row, header, UNKNOWN_COLUMN, {"columns": accepted}))
            elif column.key in seen:
                errors.append(RowError(row, header, DOUBLE_COLUMN, {"other": seen[column.key]}))
            elif not self.may(column.capability):
                errors.append(RowError(row, header, COLUMN_NOT_ALLOWED))
            else:
                seen[column.key] = header
                mapped.append((position, column))
        for column in self.columns:
            if column.required and column.key not in seen:
                spellings = ", ".join(f"“{name}”" for name in column.spellings())
                errors.append(
                    RowError(row, str(column.header), MISSING_COLUMN, {"spellings": spellings})
                )
        self.headers = seen
        return mapped, errors

    def header(self, key: str) -> str:
        """The column's header as the file writes it (its canonical header when absent)."""
        return self.headers.get(key) or (
            str(self.column(key).header) if any(c.key == key for c in self.columns) else ""
        )

    def has(self, key: str) -> bool:
        return key in self.headers

    # Rows -----------------------------------------------------------------------------

    def parse(self, number: int, cells: list[Any], mapped: list[tuple[int, Column]]) -> ParsedRow:
        row = ParsedRow(number=number, values={})
        for position, column in mapped:
            value = cells[position] if position < len(cells) else None
            if is_empty(value):
                if column.required:
                    row.errors.append(RowError(number, self.headers[column.key], CELL_REQUIRED))
                continue
            try:
                row.values[column.key] = column.parser.parse(value)
            except CellError as exc:
                row.errors.append(
                    RowError(number, self.headers[column.key], exc.message, exc.params)
                )
        return row

    def error(
        self, row: ParsedRow, key: str, message: Any, params: dict[str, Any] | None = None
    ) -> None:
        row.errors.append(
            RowError(row.number, self.header(key) if key else "", message, params or {})
        )

    def prepare(self, rows: list[ParsedRow]) -> None:
        """Checks across rows and against the database; adds errors to the rows."""

    def apply(self, rows: list[ParsedRow]) -> None:  # pragma: no cover - every kind has one
        raise NotImplementedError

    def display(self, row: ParsedRow, columns: list[Column]) -> list[str]:
        return [column.display(row.values.get(column.key)) for column in columns]

    # Services -------------------------------------------------------------------------

    def call(self, row: ParsedRow, service: Callable[..., Any], **kwargs: Any) -> Any:
        """Run a service for this row in a savepoint; its refusal becomes the row's errors."""
        try:
            with transaction.atomic():
                return service(**kwargs)
        except ValidationError as exc:
            row.errors.extend(self.errors_from(row, exc))
        except DatabaseError as exc:
            # A constraint the services do not check first (a value too long for its column
            # on PostgreSQL, a race): reported on the row, never as a stack trace.
            row.errors.append(RowError(row.number, "", DATABASE_REFUSED, {"problem": str(exc)}))
        row.outcome = FAILED
        raise RowFailed

    def errors_from(self, row: ParsedRow, exc: ValidationError) -> list[RowError]:
        errors: list[RowError] = []
        if hasattr(exc, "error_dict"):
            items = [(name, errs) for name, errs in exc.error_dict.items()]
        else:
            items = [("__all__", exc.error_list)]
        for name, field_errors in items:
            column = self.headers.get(self.field_columns.get(name, name), "")
            for error in field_errors:
                converted = self.convert(row, name, error)
                if converted is not None:
                    errors.append(converted)
                else:
                    errors.append(
                        RowError(row.number, column, error.message, dict(error.params or {}))
                    )
        return errors

    def convert(self, row: ParsedRow, field_name: str, error: ValidationError) -> RowError | None:
        """A kind may word a service's error for an import (return None to keep it)."""
        return None

    def summary(self, counts: Counter[str], *, dry_run: bool) -> str:
        text = self.dry_run_text if dry_run else self.summary_text
        return str(text) % {
            "created": counts[CREATED],
            "updated": counts[UPDATED],
            "unchanged": counts[UNCHANGED],
        }


@dataclass
class ImportResult:
    importer: Importer
    dry_run: bool
    committed: bool
    columns: list[Column]
    rows: list[ParsedRow]
    file_errors: list[RowError]
    # The file's data rows, also when its headers stopped the rows from being read.
    row_count: int = 0

    @property
    def kind(self) -> str:
        return self.importer.kind

    @property
    def errors(self) -> list[RowError]:
        order = {column.key: i for i, column in enumerate(self.columns)}
        header_order = {self.importer.headers.get(k, ""): i for k, i in order.items()}
        row_errors = [e for row in self.rows for e in row.errors]
        row_errors.sort(key=lambda e: (e.row or 0, header_order.get(e.column, len(order))))
        return [*self.file_errors, *row_errors]

    @property
    def counts(self) -> Counter[str]:
        return Counter(row.outcome for row in self.rows if row.ok)

    @property
    def headers(self) -> list[str]:
        return [self.importer.headers[c.key] for c in self.columns]

    def preview(self, limit: int = 20) -> list[tuple[ParsedRow, list[str]]]:
        return [(row, self.importer.display(row, self.columns)) for row in self.rows[:limit]]

    def summary(self) -> str:
        errors = self.errors
        if errors:
            text = ngettext(
                "%(count)s error; nothing was imported.",
                "%(count)s errors; nothing was imported.",
                len(errors),
            )
            return text % {"count": len(errors)}
        return self.importer.summary(self.counts, dry_run=self.dry_run)


# Namespace of the PostgreSQL advisory locks taken by imports ("OPST"), the second key being
# the organisation: two imports into one organisation run one after the other, so both
# cannot create the same reference. SQLite serialises every write transaction anyway.
IMPORT_LOCK_NAMESPACE = 0x4F505354


def _lock_organisation(organisation: Organisation) -> None:
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = (IMPORT_LOCK_NAMESPACE << 32) + organisation.pk % (1 << 32)
            cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [key])


def run_import(importer: Importer, table: Table, *, dry_run: bool) -> ImportResult:
    mapped, file_errors = importer.map_headers(table)
    columns = [column for _position, column in mapped]
    if file_errors:
        return ImportResult(
            importer, dry_run, False, columns, [], file_errors, row_count=len(table.rows)
        )
    rows = [importer.parse(number, cells, mapped) for number, cells in table.rows]
    committed = False
    with transaction.atomic():
        if not dry_run:
            _lock_organisation(importer.organisation)
        importer.prepare(rows)
        importer.apply([row for row in rows if row.ok])
        if any(row.errors for row in rows) or dry_run:
            transaction.set_rollback(True)
        else:
            committed = True
    for row in rows:
        if row.errors:
            row.outcome = FAILED
    return ImportResult(importer, dry_run, committed, columns, rows, [], row_count=len(rows))
