"""Safety for spreadsheets going out (formula injection) and coming in (zip bombs).

Out: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel and LibreOffice, so a client called ``=HYPERLINK(...)`` would become
a live link in an export (OWASP "CSV injection"). Every export passes its values through
``safe_cell``: such text gets a leading single quote, numbers, Decimals and dates stay what they
are, and so does text that is itself a plain number ("-1.5").

In: an xlsx is a zip archive, and 300 KB can unpack to 300 MB of sheet XML. ``check_xlsx``
reads only the zip directory (no member is decompressed) and refuses the file before openpyxl
sees it. See docs/security.md, "Spreadsheets, uploads and downloads".
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")

DEFAULT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_MEMBERS = 200
MAX_RATIO = 100
# Below this size a member may compress as well as it likes: a small sheet of empty cells
# easily reaches a ratio of 100 and is harmless.
RATIO_FLOOR_BYTES = 1024 * 1024

XLSX_TOO_LARGE = "xlsx_too_large"
XLSX_NOT_ZIP = "xlsx_not_zip"


def safe_cell(value: Any) -> Any:
    """The value to write into a spreadsheet cell: text that a spreadsheet program would run
    as a formula is prefixed with a single quote; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if PLAIN_NUMBER.match(value):
            return value
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def check_xlsx(upload: IO[bytes] | bytes) -> None:
    """Refuse an xlsx whose zip directory promises more than we are willing to unpack: too
    much in total, too many members, or one member compressed suspiciously well. Raises
    ValidationError (code ``xlsx_too_large`` or ``xlsx_not_zip``); the file position is
    restored so the caller can read the file after."""
    import io

    stream = io.BytesIO(upload) if isinstance(upload, bytes | bytearray) else upload
    position = stream.tell() if hasattr(stream, "tell") else 0
    max_bytes = _limit("OPSTAP_XLSX_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)
    max_members = _limit("OPSTAP_XLSX_MAX_MEMBERS", DEFAULT_MAX_MEMBERS)
    too_large = ValidationError(
        _(
            "This spreadsheet is too large to read safely. Keep only the rows you need, "
            "save it again as .xlsx and try again."
        ),
        code=XLSX_TOO_LARGE,
    )
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(
            _("This is not an .xlsx spreadsheet. Save the file as Excel (.xlsx) and try again."),
            code=XLSX_NOT_ZIP,
        ) from exc
    finally:
        if hasattr(stream, "seek"):
            stream.seek(position)
    if len(members) > max_members:
        raise too_large
    total = 0
    for member in members:
        total += member.file_size
        if total > max_bytes:
            raise too_large
        if member.file_size > RATIO_FLOOR_BYTES and (
            member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise too_large
