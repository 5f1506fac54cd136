"""CSV downloads that open as columns in the reader's spreadsheet program.

Excel reads a CSV with the list separator and decimal mark of the computer's region: a Dutch
or French Excel (Belgium, the Netherlands, France) splits on ``;`` and reads ``1234,50`` as a
number, and only recognises UTF-8 with a byte-order mark. So a download takes its dialect from
the active language (`django.utils.translation.get_language()`), as configured in the setting
``OPSTAP_CSV_DIALECT``::

    {"nl": {"delimiter": ";", "bom": True, "decimal": ","},
     "fr": {"delimiter": ";", "bom": True, "decimal": ","},
     "en": {"delimiter": ",", "bom": False, "decimal": "."}}

Cells: Decimals (and floats) are written with the dialect's decimal mark and without
thousands separators, with the places they carry (``Decimal("0.7500")`` → ``0,7500``), so a
spreadsheet reads them as numbers; dates stay ISO (``2024-01-31``), which Excel reads in every
locale, and moments are local time without offset (``2024-01-31 14:05``); ``None`` is an
empty cell. Every cell then passes through
`opstap.core.spreadsheets.safe_cell` (no formula injection).

This is for people. A CSV that is a machine contract (``opstap report … --format csv``, see
docs/funnel.md) keeps its own fixed format. See docs/exports.md.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation

from .downloads import attachment
from .spreadsheets import safe_row

CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    bom: bool = False
    decimal: str = "."


ENGLISH = Dialect()


def _language_code(language: str | None) -> str:
    return (language or "").split("-")[0].split("_")[0].lower()


def dialect(language: str | None = None) -> Dialect:
    """The dialect for `language` (default: the active one); a language without an entry in
    OPSTAP_CSV_DIALECT gets that of the site's language (LANGUAGE_CODE), then English's."""
    configured = settings.OPSTAP_CSV_DIALECT
    for code in (
        _language_code(language or translation.get_language()),
        _language_code(settings.LANGUAGE_CODE),
    ):
        if code in configured:
            return Dialect(**configured[code])
    return ENGLISH


def _decimal_text(value: Decimal, mark: str) -> str:
    # Fixed point ("f"): never an exponent, never a thousands separator.
    text = format(value, "f")
    return text.replace(".", mark) if mark != "." else text


def cell(value: Any, csv_dialect: Dialect) -> Any:
    """The text (or int) to write for one value, before the formula check."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value, csv_dialect.decimal)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value)), csv_dialect.decimal)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class CsvWriter:
    """Rows in, CSV text out, in one dialect; every cell is converted and made safe."""

    def __init__(self, csv_dialect: Dialect | None = None) -> None:
        self.dialect = csv_dialect or dialect()
        self._out = io.StringIO()
        self._writer = csv.writer(
            self._out, delimiter=self.dialect.delimiter, lineterminator="\r\n"
        )

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(cell(value, self.dialect) for value in row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def getvalue(self) -> str:
        """The CSV text, with the byte-order mark first when the dialect wants one."""
        return (BOM if self.dialect.bom else "") + self._out.getvalue()


def csv_text(
    rows: Iterable[Iterable[Any]],
    header: Sequence[Any] | None = None,
    *,
    csv_dialect: Dialect | None = None,
) -> str:
    """One table as CSV text in the active language's dialect (header row first, if any)."""
    writer = CsvWriter(csv_dialect)
    if header is not None:
        writer.writerow([str(label) for label in header])
    writer.writerows(rows)
    return writer.getvalue()


def csv_response(
    rows: Iterable[Iterable[Any]],
    header: Sequence[Any] | None,
    base: str,
    *parts: Any,
) -> HttpResponse:
    """A CSV download of one table, named `base`-`parts`.csv (base already translated)."""
    content = csv_text(rows, header).encode("utf-8")
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    return attachment(response, base, "csv", *parts)
