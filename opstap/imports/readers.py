"""Reading an import file into a header and rows: CSV (UTF-8, ; or , sniffed) or xlsx.

Every problem with the file as a whole raises FileProblem with a message a person can act
on; nothing here lets a stack trace through for a bad file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opstap.core.spreadsheets import XLSX_NOT_ZIP, check_xlsx

MAX_ROWS = 50_000

FILE_EMPTY = _("The file is empty.")
FILE_NO_ROWS = _("The file has a header row but no rows below it.")
FILE_TOO_MANY_ROWS = _("The file has more than %(max)s rows; split it into smaller files.")
FILE_NOT_UTF8 = _(
    "The file is not UTF-8 text. In Excel save it as “CSV UTF-8 (comma delimited)”, in "
    "LibreOffice choose the character set “Unicode (UTF-8)”, or upload the .xlsx file itself."
)
FILE_BINARY = _("This is not a text (CSV) file. Upload a .csv or an .xlsx file.")
FILE_BAD_CSV = _("The CSV file cannot be read: %(problem)s.")
FILE_BAD_XLSX = _(
    "The Excel file cannot be read (it is damaged or not really an .xlsx file). Open it in "
    "Excel or LibreOffice and save it again as .xlsx or as CSV UTF-8."
)
FILE_OLD_XLS = _(
    "This is an old Excel file (.xls). Open it in Excel or LibreOffice and save it as .xlsx "
    "or as CSV UTF-8."
)
FILE_ODS = _("OpenDocument spreadsheets (.ods) are not read; save the sheet as .xlsx or CSV.")
FILE_NO_SHEET = _("The Excel file has no worksheet.")

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"


class FileProblem(Exception):
    def __init__(self, message: Any, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass
class Table:
    """The header cells and the data rows, each with its row number as a spreadsheet shows it."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]


def read_table(data: bytes, filename: str = "") -> Table:
    suffix = PurePath(filename or "").suffix.lower()
    if not data.strip():
        raise FileProblem(FILE_EMPTY)
    if data.startswith(OLE_MAGIC) or suffix == ".xls":
        raise FileProblem(FILE_OLD_XLS)
    if suffix == ".ods":
        raise FileProblem(FILE_ODS)
    if data.startswith(ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _table(_xlsx_rows(data))
    return _table(_csv_rows(data))


def _table(rows: list[tuple[int, list[Any]]]) -> Table:
    if not rows:
        raise FileProblem(FILE_EMPTY)
    header_row, header_cells = rows[0]
    headers = ["" if cell is None else str(cell).strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileProblem(FILE_EMPTY)
    data_rows = rows[1:]
    if not data_rows:
        raise FileProblem(FILE_NO_ROWS)
    if len(data_rows) > MAX_ROWS:
        raise FileProblem(FILE_TOO_MANY_ROWS, {"max": MAX_ROWS})
    return Table(headers=headers, header_row=header_row, rows=data_rows)


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _decode(data: bytes) -> str:
    if data.startswith(PDF_MAGIC) or (
        b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        # A PDF, an image or a program: not text in any encoding, so not "not UTF-8".
        raise FileProblem(FILE_BINARY)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblem(FILE_NOT_UTF8) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(FILE_NOT_UTF8) from exc
    if "\x00" in text:
        raise FileProblem(FILE_BINARY)
    return text


def _delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of ; , and tab outside quotes."""
    first_line, in_quotes = [], False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            if "".join(first_line).strip():
                break
            first_line = []
            continue
        elif not in_quotes:
            first_line.append(char)
    header = "".join(first_line)
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    text = _decode(data)
    delimiter = None
    first_line = text.split("\n", 1)[0].strip()
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        # Excel's own hint line ("sep=;"): Excel does not show it as a row, nor do we.
        delimiter, text = first_line[4], text.split("\n", 1)[1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(text))
    rows: list[tuple[int, list[Any]]] = []
    try:
        # A record is one spreadsheet row, even when a quoted cell holds a line break.
        for number, cells in enumerate(reader, start=1):
            if not _is_blank(cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:
                raise FileProblem(FILE_TOO_MANY_ROWS, {"max": MAX_ROWS})
    except csv.Error as exc:
        raise FileProblem(FILE_BAD_CSV, {"problem": str(exc)}) from exc
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        check_xlsx(data)
    except ValidationError as refused:
        if refused.code == XLSX_NOT_ZIP:
            raise FileProblem(FILE_BAD_XLSX) from refused
        raise FileProblem(refused.messages[0]) from refused
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise FileProblem(FILE_BAD_XLSX) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem(FILE_NO_SHEET)
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # Files written by other tools often record a wrong sheet size; read every cell.
            sheet.reset_dimensions()
        rows: list[tuple[int, list[Any]]] = []
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                values = list(cells)
                if not _is_blank(values):
                    rows.append((number, values))
                if len(rows) > MAX_ROWS + 1:
                    raise FileProblem(FILE_TOO_MANY_ROWS, {"max": MAX_ROWS})
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            raise FileProblem(FILE_BAD_XLSX) from exc
        return rows
    finally:
        workbook.close()
