"""The loan list as xlsx, with balances and arrears (openpyxl write-only: rows are streamed
to the file, so a large portfolio does not build a whole workbook in memory)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from opstap.core import formatting
from opstap.core.spreadsheets import safe_cell

from .models import Loan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 500


def _headers() -> list[str]:
    return [
        _("Reference"),
        _("Client"),
        _("Product"),
        _("Loan officer"),
        _("Status"),
        _("Disbursed on"),
        _("Principal disbursed"),
        _("Principal outstanding"),
        _("Interest due"),
        _("Fees due"),
        _("Overdue"),
        _("Days past due"),
        _("Arrears"),
        _("Non-performing"),
        _("Overpaid"),
    ]


MONEY_COLUMNS = {6, 7, 8, 9, 10, 14}


def loans_xlsx(loans: Iterable[Loan]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Loans"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in _headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    money = formatting.excel_money_format()
    rows = loans.iterator(chunk_size=CHUNK) if hasattr(loans, "iterator") else loans
    for loan in rows:
        values = [
            loan.reference,
            loan.client.full_name,
            loan.product.name,
            str(loan.officer),
            loan.get_status_display(),
            loan.disbursed_on,
            loan.principal_disbursed,
            loan.principal_outstanding,
            loan.interest_due,
            loan.fees_due,
            loan.overdue_amount,
            loan.days_past_due,
            loan.get_bucket_display(),
            _("yes") if loan.non_performing else _("no"),
            loan.overpaid,
        ]
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            if index in MONEY_COLUMNS:
                cell.number_format = money
            elif index == 5 and value is not None:
                cell.number_format = formatting.EXCEL_DATE_FORMAT
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
