"""The sample files of docs/imports.md: CSV files in samples/, xlsx made from them on demand.

python -m opstap.imports.samples DIRECTORY   writes every sample as .xlsx there too
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import sys
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE_NUMBER = re.compile(r"[1-9]\d{0,8}")


def sample_path(kind: str) -> Path | None:
    path = SAMPLES_DIR / f"{kind}.csv"
    return path if kind.replace("-", "").isalnum() and path.is_file() else None


def sample_csv(kind: str) -> bytes:
    path = sample_path(kind)
    if path is None:
        raise FileNotFoundError(kind)
    return path.read_bytes()


def _cell(text: str) -> object:
    """Dates as real date cells and plain counts as numbers, as a spreadsheet holds them."""
    if ISO_DATE.fullmatch(text):
        return datetime.date.fromisoformat(text)
    if WHOLE_NUMBER.fullmatch(text):
        return int(text)
    return text or None


def csv_to_xlsx(data: bytes) -> bytes:
    from openpyxl import Workbook

    text = data.decode("utf-8-sig")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    workbook = Workbook()
    sheet = workbook.active
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        row = list(cells) if number == 0 else [_cell(c) for c in cells]
        sheet.append(row)
        if number:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sample_xlsx(kind: str) -> bytes:
    return csv_to_xlsx(sample_csv(kind))


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path()
    for path in sorted(SAMPLES_DIR.glob("*.csv")):
        (target / f"{path.stem}.xlsx").write_bytes(sample_xlsx(path.stem))


if __name__ == "__main__":
    main(sys.argv)
