"""The financial plan as an adviser's spreadsheet (xlsx), and back.

Export: a sheet for the plan (start month), one per budget (investment, financing,
operating, personal), the cash flow with its 36 months, and the evaluation (years, checks,
verdict). Import reads the first five sheets of the same layout: every row is named in
column A ("Investment", "Loan", "Fixed cost", … in any of Opstap's languages, or the code in
brackets), the columns are as exported. Every wrong cell is reported with its sheet, row and
column, and nothing is saved unless the whole plan is right and calculates
(services.plan_financial_save).

Amounts are numbers (cents), rates the calculation keeps as shares (growth, cost of sales)
are numbers formatted as percentages, the loan interest is a percentage number as in the
plan. A plan entered in Opstap (its JSON in canonical form: amounts with two decimals,
rates without trailing zeros) comes back from export + import exactly as it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from opstap.core import formatting
from opstap.core.spreadsheets import check_xlsx, safe_row

from . import figures, services
from .forms import MONTHS_IN_YEAR, field_problem, money, plain
from .models import PlanVersion

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT_FORMAT = "0.00%"
BOLD = Font(bold=True)
MAX_ROWS = 1000  # rows read per sheet

# The sheets in order; import finds them by position.
PLAN, INVESTMENT, FINANCING, OPERATING, PERSONAL, CASH, EVALUATION = range(7)


def _sheet_titles() -> list[str]:
    return [
        _("Plan"),
        _("Investment budget"),
        _("Financing budget"),
        _("Operating budget"),
        _("Personal budget"),
        _("Cash flow"),
        _("Evaluation"),
    ]


def _items() -> dict[str, str]:
    """Row names in column A (code → label in the active language)."""
    return {
        "start_month": _("Start month"),
        "investment": _("Investment"),
        "start_up_cost": _("Start-up cost"),
        "working_capital": _("Working capital"),
        "own_contribution": _("Own contribution"),
        "loan": _("Loan"),
        "grant": _("Grant"),
        "revenue_monthly": _("Revenue, the same every month"),
        "revenue_months": _("Revenue per month of year 1"),
        "revenue_line": _("Revenue line (price × number sold)"),
        # xgettext:no-python-format
        "cost_of_sales_rate": _("Cost of sales (% of revenue)"),
        "fixed_cost": _("Fixed cost a month"),
        "household_expense": _("Household expense a month"),
        "household_income": _("Other household income a month"),
        "total": _("Total"),
    }


def _amortizations() -> dict[str, str]:
    return {
        "equal_installments": _("Equal instalments (annuity)"),
        "equal_principal": _("Equal principal"),
    }


def _all_languages(labels: Any) -> dict[str, str]:
    """label (any language, lower case) → code; the codes themselves are accepted too."""
    known: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for key, label in labels().items():
                known[str(label).strip().lower()] = key
    for key in labels():
        known[key] = key
        known[f"[{key}]"] = key
    return known


def _label(code: str) -> str:
    return f"{_items()[code]}"


# --- export --------------------------------------------------------------------------------


def _append(sheet: Worksheet, row: list[Any]) -> None:
    """Every exported row except the SUM totals we write ourselves: plan titles, item
    descriptions and conditions are typed by people (see opstap/core/spreadsheets.py)."""
    sheet.append(safe_row(row))


def _header(sheet: Worksheet, names: list[str], widths: list[int] | None = None) -> None:
    _append(sheet, names)
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "B2"
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _number(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _format_row(sheet: Worksheet, formats: dict[int, str]) -> None:
    row = sheet.max_row
    for column, number_format in formats.items():
        sheet.cell(row=row, column=column).number_format = number_format


def _total_row(sheet: Worksheet, first: int, column: str) -> None:
    last = sheet.max_row
    sheet.append([_label("total"), None, f"=SUM({column}{first}:{column}{last})"])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    _format_row(sheet, {3: formatting.excel_money_format()})


def export_workbook(version: PlanVersion) -> Workbook:
    financial = version.financial or {}
    evaluation = version.evaluation or {}
    titles = _sheet_titles()
    book = Workbook()
    plan_sheet = book.active
    plan_sheet.title = titles[PLAN]
    _header(plan_sheet, [_("Item"), _("Value")], [34, 40])
    _append(plan_sheet, [_("Business plan"), version.plan.title])
    _append(plan_sheet, [_("Version"), version.number])
    _append(plan_sheet, [_label("start_month"), financial.get("start_month", "")])
    assumptions = evaluation.get("assumptions") or {}
    if assumptions:
        _append(
            plan_sheet,
            [
                _("Tax and contributions (assumption)"),
                _number(assumptions.get("tax_and_contributions_rate")),
            ],
        )
        _format_row(plan_sheet, {2: PERCENT_FORMAT})
        _append(
            plan_sheet,
            [
                _("Minimum debt service coverage (assumption)"),
                _number(assumptions.get("dscr_threshold")),
            ],
        )

    sheet = book.create_sheet(titles[INVESTMENT])
    _header(
        sheet,
        [_("Item"), _("Description"), _("Amount excl. VAT"), _("Month"), _("Depreciation (years)")],
        [30, 40, 16, 10, 20],
    )
    for item in financial.get("investments", []):
        _append(
            sheet,
            [
                _label("investment"),
                item.get("description", ""),
                _number(item.get("amount")),
                item.get("month", 1),
                item.get("depreciation_years", 0),
            ],
        )
        _format_row(sheet, {3: formatting.excel_money_format()})
    for item in financial.get("start_up_costs", []):
        _append(
            sheet,
            [
                _label("start_up_cost"),
                item.get("description", ""),
                _number(item.get("amount")),
                item.get("month", 1),
            ],
        )
        _format_row(sheet, {3: formatting.excel_money_format()})
    if "working_capital" in financial:
        _append(sheet, [_label("working_capital"), "", _number(financial.get("working_capital"))])
        _format_row(sheet, {3: formatting.excel_money_format()})
    _total_row(sheet, 2, "C")

    sheet = book.create_sheet(titles[FINANCING])
    _header(
        sheet,
        [
            _("Item"),
            _("Description"),
            _("Amount"),
            _("Month"),
            _("Interest (% a year)"),
            _("Term (months)"),
            _("Grace (months)"),
            _("Repayment"),
        ],
        [30, 34, 16, 10, 18, 14, 14, 30],
    )
    own = financial.get("own_contribution")
    if own:
        _append(
            sheet, [_label("own_contribution"), "", _number(own.get("amount")), own.get("month", 1)]
        )
        _format_row(sheet, {3: formatting.excel_money_format()})
    amortizations = _amortizations()
    for item in financial.get("loans", []):
        _append(
            sheet,
            [
                _label("loan"),
                item.get("description", ""),
                _number(item.get("amount")),
                item.get("month", 1),
                _number(item.get("interest_rate")),
                item.get("term_months"),
                item.get("grace_months", 0),
                amortizations.get(item.get("amortization", "equal_installments"), ""),
            ],
        )
        _format_row(sheet, {3: formatting.excel_money_format()})
    for item in financial.get("grants", []):
        _append(
            sheet,
            [
                _label("grant"),
                item.get("description", ""),
                _number(item.get("amount")),
                item.get("month", 1),
            ],
        )
        _format_row(sheet, {3: formatting.excel_money_format()})
    _total_row(sheet, 2, "C")

    sheet = book.create_sheet(titles[OPERATING])
    month_headers = [_("Month %(number)s") % {"number": n} for n in range(1, MONTHS_IN_YEAR + 1)]
    _header(
        sheet,
        [_("Item"), _("Description"), _("Amount or price"), _("Growth a year"), *month_headers],
        [34, 30, 16, 14] + [12] * MONTHS_IN_YEAR,
    )
    revenue = financial.get("revenue")
    if revenue:
        growth = _number(revenue.get("growth_per_year"))
        if "year1_monthly" in revenue:
            _append(
                sheet,
                [
                    _label("revenue_months"),
                    "",
                    None,
                    growth,
                    *[_number(v) for v in revenue["year1_monthly"]],
                ],
            )
            _format_row(
                sheet,
                {4: PERCENT_FORMAT, **{c: formatting.excel_money_format() for c in range(5, 17)}},
            )
        else:
            _append(sheet, [_label("revenue_monthly"), "", _number(revenue.get("monthly")), growth])
            _format_row(sheet, {3: formatting.excel_money_format(), 4: PERCENT_FORMAT})
    for item in financial.get("revenue_lines", []):
        volumes = item.get("volume_per_month")
        volumes = volumes if isinstance(volumes, list) else [volumes]
        _append(
            sheet,
            [
                _label("revenue_line"),
                item.get("description", ""),
                _number(item.get("price")),
                _number(item.get("growth_per_year")),
                *[_number(v) for v in volumes],
            ],
        )
        _format_row(sheet, {4: PERCENT_FORMAT})
    if "cost_of_sales_rate" in financial:
        _append(sheet, [_label("cost_of_sales_rate"), "", _number(financial["cost_of_sales_rate"])])
        _format_row(sheet, {3: PERCENT_FORMAT})
    for item in financial.get("fixed_costs", []):
        _append(
            sheet,
            [
                _label("fixed_cost"),
                item.get("description", ""),
                _number(item.get("monthly_amount")),
            ],
        )
        _format_row(sheet, {3: formatting.excel_money_format()})

    sheet = book.create_sheet(titles[PERSONAL])
    _header(sheet, [_("Item"), _("Description"), _("Amount a month")], [34, 40, 16])
    for code, key in (
        ("household_expense", "household_expenses"),
        ("household_income", "other_household_income"),
    ):
        for item in financial.get(key, []):
            _append(sheet, [_label(code), item.get("description", ""), _number(item.get("amount"))])
            _format_row(sheet, {3: formatting.excel_money_format()})

    _cash_sheet(book.create_sheet(titles[CASH]), evaluation)
    _evaluation_sheet(book.create_sheet(titles[EVALUATION]), version, evaluation)
    return book


def _cash_sheet(sheet: Worksheet, evaluation: dict[str, Any]) -> None:
    months = evaluation.get("months") or []
    if not months:
        _append(sheet, [_("The plan has not been calculated yet.")])
        return
    _header(
        sheet,
        [_("Month"), *[f"{m['month']} ({m['calendar_month']})" for m in months]],
        [30] + [14] * len(months),
    )
    lines: list[tuple[str, Any]] = [(_("Opening cash"), lambda m: m["opening_cash"])]
    lines += [(label, lambda m, k=key: m["receipts"][k]) for key, label in figures.receipt_lines()]
    lines += [(label, lambda m, k=key: m["payments"][k]) for key, label in figures.payment_lines()]
    lines.append((_("Closing cash"), lambda m: m["closing_cash"]))
    for label, value in lines:
        _append(sheet, [label, *[_number(value(m)) for m in months]])
        _format_row(sheet, {c: formatting.excel_money_format() for c in range(2, len(months) + 2)})


def _evaluation_sheet(sheet: Worksheet, version: PlanVersion, evaluation: dict[str, Any]) -> None:
    if not evaluation:
        _append(sheet, [_("The plan has not been calculated yet.")])
        return
    years = evaluation.get("years", [])
    _header(
        sheet,
        [_("Figure"), *[_("Year %(number)s") % {"number": y["year"]} for y in years]],
        [34, 16, 16, 16],
    )
    for key, label in figures.profit_lines():
        _append(sheet, [label, *[_number(y.get(key)) for y in years]])
        if key != "debt_service_coverage":
            _format_row(
                sheet, {c: formatting.excel_money_format() for c in range(2, len(years) + 2)}
            )
    _append(sheet, [])
    _append(sheet, [_("Investment budget"), _number(evaluation.get("investment_total"))])
    _append(sheet, [_("Financing"), _number(evaluation.get("financing_total"))])
    _append(
        sheet, [_("Financing gap (negative: surplus)"), _number(evaluation.get("financing_gap"))]
    )
    _append(
        sheet,
        [
            _("Lowest cash"),
            _number(evaluation.get("lowest_cash")),
            evaluation.get("lowest_cash_month"),
        ],
    )
    _append(sheet, [])
    _append(sheet, [_("Check"), _("Passed"), _("Explanation")])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for check in figures.checks(evaluation):
        _append(sheet, [check.title, _("yes") if check.passed else _("no"), check.text])
    _append(sheet, [])
    _append(sheet, [_("Verdict"), figures.verdict_label(version.verdict)])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    for condition in figures.conditions(evaluation):
        _append(sheet, [_("Condition"), condition])


def export_financial(version: PlanVersion) -> bytes:
    buffer = io.BytesIO()
    export_workbook(version).save(buffer)
    return buffer.getvalue()


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    saved: bool = False
    problems: list[CellProblem] = field(default_factory=list)
    message: str = ""
    financial: dict[str, Any] | None = None


class _Reader:
    """Reads typed values from cells, collecting a problem per wrong cell."""

    def __init__(self) -> None:
        self.problems: list[CellProblem] = []
        self.origins: dict[str, tuple[str, int, str]] = {}

    def problem(self, sheet: str, row: int, column: int, message: str) -> None:
        self.problems.append(CellProblem(sheet, row, get_column_letter(column), message))

    def decimal(self, sheet: str, row: int, column: int, value: Any, key: str) -> Decimal | None:
        self.origins[key] = (sheet, row, get_column_letter(column))
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            self.problem(sheet, row, column, _("Enter a number."))
            return None
        if isinstance(value, int | float | Decimal):
            return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        from .forms import parse_decimal

        try:
            return parse_decimal(str(value))
        except ValidationError:
            self.problem(
                sheet, row, column, _("Enter a number, not “%(value)s”.") % {"value": value}
            )
            return None

    def money(
        self, sheet: str, row: int, column: int, value: Any, key: str, *, default: bool = True
    ) -> str | None:
        number = self.decimal(sheet, row, column, value, key)
        if number is None:
            return money(Decimal(0)) if default else None
        if number != number.quantize(Decimal("0.01")):
            self.problem(sheet, row, column, _("Enter an amount with at most 2 decimals."))
        return money(number)

    def rate(self, sheet: str, row: int, column: int, value: Any, key: str) -> str | None:
        number = self.decimal(sheet, row, column, value, key)
        return None if number is None else plain(number)

    def whole(self, sheet: str, row: int, column: int, value: Any, key: str, default: int) -> int:
        self.origins[key] = (sheet, row, get_column_letter(column))
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value():
            self.problem(
                sheet, row, column, _("Enter a whole number, not “%(value)s”.") % {"value": value}
            )
            return default
        return int(number)

    def text(self, sheet: str, row: int, column: int, value: Any, key: str) -> str:
        self.origins[key] = (sheet, row, get_column_letter(column))
        return "" if value is None else str(value).strip()


def _rows(sheet: Worksheet) -> list[tuple[int, list[Any]]]:
    rows = []
    for number, values in enumerate(
        sheet.iter_rows(min_row=2, max_row=MAX_ROWS, values_only=True), start=2
    ):
        values = list(values) + [None] * 20
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append((number, values))
    return rows


def parse_workbook(book: Workbook) -> tuple[dict[str, Any], _Reader]:
    reader = _Reader()
    sheets = book.worksheets
    if len(sheets) < PERSONAL + 1:
        reader.problems.append(
            CellProblem(
                sheets[0].title if sheets else "",
                1,
                "A",
                _(
                    "The file must have the sheets of the export: plan, investment, "
                    "financing, operating and personal budget."
                ),
            )
        )
        return {}, reader
    known = _all_languages(_items)
    amortizations = _all_languages(_amortizations)
    financial: dict[str, Any] = {}
    lists: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "investments",
            "start_up_costs",
            "loans",
            "grants",
            "revenue_lines",
            "fixed_costs",
            "household_expenses",
            "other_household_income",
        )
    }
    allowed = {
        PLAN: {"start_month"},
        INVESTMENT: {"investment", "start_up_cost", "working_capital", "total"},
        FINANCING: {"own_contribution", "loan", "grant", "total"},
        OPERATING: {
            "revenue_monthly",
            "revenue_months",
            "revenue_line",
            "cost_of_sales_rate",
            "fixed_cost",
            "total",
        },
        PERSONAL: {"household_expense", "household_income", "total"},
    }
    for index in (PLAN, INVESTMENT, FINANCING, OPERATING, PERSONAL):
        sheet = sheets[index]
        title = sheet.title
        for row, v in _rows(sheet):
            name = str(v[0] or "").strip()
            code = known.get(name.lower())
            if index == PLAN and code != "start_month":
                continue  # the plan sheet's other rows are for reading only
            if code is None or code not in allowed[index]:
                reader.problem(
                    title, row, 1, _("“%(value)s” is not a row this sheet knows.") % {"value": name}
                )
                continue
            if code == "total":
                continue
            r = reader
            if code == "start_month":
                value = v[1]
                if hasattr(value, "strftime"):
                    value = value.strftime("%Y-%m")
                financial["start_month"] = r.text(title, row, 2, value, "start_month")
            elif code == "investment":
                i = len(lists["investments"])
                k = f"investments[{i}]"
                lists["investments"].append(
                    {
                        "description": r.text(title, row, 2, v[1], f"{k}.description"),
                        "amount": r.money(title, row, 3, v[2], f"{k}.amount"),
                        "month": r.whole(title, row, 4, v[3], f"{k}.month", 1),
                        "depreciation_years": r.whole(
                            title, row, 5, v[4], f"{k}.depreciation_years", 0
                        ),
                    }
                )
            elif code == "start_up_cost":
                k = f"start_up_costs[{len(lists['start_up_costs'])}]"
                lists["start_up_costs"].append(
                    {
                        "description": r.text(title, row, 2, v[1], f"{k}.description"),
                        "amount": r.money(title, row, 3, v[2], f"{k}.amount"),
                        "month": r.whole(title, row, 4, v[3], f"{k}.month", 1),
                    }
                )
            elif code == "working_capital":
                financial["working_capital"] = r.money(title, row, 3, v[2], "working_capital")
            elif code == "own_contribution":
                financial["own_contribution"] = {
                    "amount": r.money(title, row, 3, v[2], "own_contribution.amount"),
                    "month": r.whole(title, row, 4, v[3], "own_contribution.month", 1),
                }
            elif code == "loan":
                k = f"loans[{len(lists['loans'])}]"
                loan: dict[str, Any] = {
                    "description": r.text(title, row, 2, v[1], f"{k}.description"),
                    "amount": r.money(title, row, 3, v[2], f"{k}.amount"),
                    "interest_rate": r.rate(title, row, 5, v[4], f"{k}.interest_rate") or "0",
                    "term_months": r.whole(title, row, 6, v[5], f"{k}.term_months", 0),
                    "grace_months": r.whole(title, row, 7, v[6], f"{k}.grace_months", 0),
                    "month": r.whole(title, row, 4, v[3], f"{k}.month", 1),
                }
                repayment = str(v[7] or "").strip()
                reader.origins[f"{k}.amortization"] = (title, row, "H")
                if repayment:
                    amortization = amortizations.get(repayment.lower())
                    if amortization is None:
                        r.problem(
                            title,
                            row,
                            8,
                            _("Choose “%(a)s” or “%(b)s”.")
                            % {
                                "a": _amortizations()["equal_installments"],
                                "b": _amortizations()["equal_principal"],
                            },
                        )
                    else:
                        loan["amortization"] = amortization
                lists["loans"].append(loan)
            elif code == "grant":
                k = f"grants[{len(lists['grants'])}]"
                lists["grants"].append(
                    {
                        "description": r.text(title, row, 2, v[1], f"{k}.description"),
                        "amount": r.money(title, row, 3, v[2], f"{k}.amount"),
                        "month": r.whole(title, row, 4, v[3], f"{k}.month", 1),
                    }
                )
            elif code in ("revenue_monthly", "revenue_months"):
                if "revenue" in financial:
                    r.problem(title, row, 1, _("Give revenue only once."))
                    continue
                revenue: dict[str, Any] = {}
                if code == "revenue_monthly":
                    revenue["monthly"] = r.money(title, row, 3, v[2], "revenue.monthly")
                else:
                    reader.origins["revenue.year1_monthly"] = (title, row, "E")
                    revenue["year1_monthly"] = [
                        r.money(title, row, 5 + m, v[4 + m], f"revenue.year1_monthly[{m}]")
                        for m in range(MONTHS_IN_YEAR)
                    ]
                growth = r.rate(title, row, 4, v[3], "revenue.growth_per_year")
                if growth is not None:
                    revenue["growth_per_year"] = growth
                financial["revenue"] = revenue
                reader.origins["revenue"] = (title, row, "A")
            elif code == "revenue_line":
                k = f"revenue_lines[{len(lists['revenue_lines'])}]"
                volumes = [
                    r.rate(title, row, 5 + m, v[4 + m], f"{k}.volume_per_month[{m}]")
                    for m in range(MONTHS_IN_YEAR)
                ]
                reader.origins[f"{k}.volume_per_month"] = (title, row, "E")
                filled = [x for x in volumes if x is not None]
                if len(filled) == MONTHS_IN_YEAR:
                    volume: Any = volumes
                elif len(filled) == 1 and volumes[0] is not None:
                    volume = volumes[0]
                else:
                    r.problem(
                        title,
                        row,
                        5,
                        _(
                            "Enter the number sold in Month 1 only (the same every month), "
                            "or in all 12 months."
                        ),
                    )
                    volume = "0"
                line: dict[str, Any] = {
                    "description": r.text(title, row, 2, v[1], f"{k}.description"),
                    "price": r.rate(title, row, 3, v[2], f"{k}.price") or "0",
                    "volume_per_month": volume,
                }
                growth = r.rate(title, row, 4, v[3], f"{k}.growth_per_year")
                if growth is not None:
                    line["growth_per_year"] = growth
                lists["revenue_lines"].append(line)
            elif code == "cost_of_sales_rate":
                rate = r.rate(title, row, 3, v[2], "cost_of_sales_rate")
                if rate is not None:
                    financial["cost_of_sales_rate"] = rate
            elif code == "fixed_cost":
                k = f"fixed_costs[{len(lists['fixed_costs'])}]"
                lists["fixed_costs"].append(
                    {
                        "description": r.text(title, row, 2, v[1], f"{k}.description"),
                        "monthly_amount": r.money(title, row, 3, v[2], f"{k}.monthly_amount"),
                    }
                )
            elif code in ("household_expense", "household_income"):
                key = (
                    "household_expenses"
                    if code == "household_expense"
                    else "other_household_income"
                )
                k = f"{key}[{len(lists[key])}]"
                lists[key].append(
                    {
                        "description": r.text(title, row, 2, v[1], f"{k}.description"),
                        "amount": r.money(title, row, 3, v[2], f"{k}.amount"),
                    }
                )
    for key, items in lists.items():
        if items:
            financial[key] = items
    return _ordered(financial), reader


ORDER = (
    "start_month",
    "investments",
    "start_up_costs",
    "working_capital",
    "own_contribution",
    "loans",
    "grants",
    "revenue",
    "revenue_lines",
    "cost_of_sales_rate",
    "fixed_costs",
    "household_expenses",
    "other_household_income",
)


def _ordered(financial: dict[str, Any]) -> dict[str, Any]:
    return {key: financial[key] for key in ORDER if key in financial}


def import_financial(*, version: PlanVersion, actor: Any, upload: Any) -> ImportResult:
    try:
        check_xlsx(upload)
    except ValidationError as refused:
        return ImportResult(message=refused.messages[0])
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not xlsx
        return ImportResult(
            message=_(
                "This is not an .xlsx spreadsheet. Save the file as Excel (.xlsx) and try again."
            )
        )
    try:
        financial, reader = parse_workbook(book)
    finally:
        book.close()
    if reader.problems:
        return ImportResult(problems=reader.problems, financial=financial)
    try:
        services.plan_financial_save(actor=actor, version=version, financial=financial)
    except ValidationError as exc:
        return ImportResult(problems=_service_problems(exc, reader), financial=financial)
    return ImportResult(saved=True, financial=financial)


def _service_problems(error: ValidationError, reader: _Reader) -> list[CellProblem]:
    problems = []
    items = (
        [e for errors in error.error_dict.values() for e in errors]
        if hasattr(error, "error_dict")
        else error.error_list
    )
    for item in items:
        params = item.params or {}
        key = params.get("key")
        if item.code == "invalid" and key:
            origin = reader.origins.get(key) or reader.origins.get(key.rsplit("[", 1)[0])
            if origin is None:
                # A part that is missing altogether, e.g. revenue: point at the sheet.
                origin = (
                    _sheet_titles()[OPERATING]
                    if key.startswith("revenue")
                    else _sheet_titles()[PLAN],
                    1,
                    "A",
                )
            problems.append(CellProblem(*origin, field_problem(key, params.get("problem", ""))))
        else:
            problems.append(
                CellProblem("", 0, "", item.message % params if params else str(item.message))
            )
    return problems


def canonical(financial: dict[str, Any]) -> dict[str, Any]:
    """The financial JSON as Opstap writes it (what export + import gives back)."""

    def m(value: Any) -> str:
        return money(Decimal(str(value)))

    def d(value: Any) -> str:
        return plain(Decimal(str(value)))

    result: dict[str, Any] = {}
    if "start_month" in financial:
        result["start_month"] = financial["start_month"]
    if financial.get("investments"):
        result["investments"] = [
            {
                "description": i.get("description", ""),
                "amount": m(i["amount"]),
                "month": i.get("month", 1),
                "depreciation_years": i.get("depreciation_years", 0),
            }
            for i in financial["investments"]
        ]
    if financial.get("start_up_costs"):
        result["start_up_costs"] = [
            {
                "description": i.get("description", ""),
                "amount": m(i["amount"]),
                "month": i.get("month", 1),
            }
            for i in financial["start_up_costs"]
        ]
    if "working_capital" in financial:
        result["working_capital"] = m(financial["working_capital"])
    if financial.get("own_contribution"):
        own = financial["own_contribution"]
        result["own_contribution"] = {"amount": m(own["amount"]), "month": own.get("month", 1)}
    if financial.get("loans"):
        result["loans"] = [
            {
                "description": i.get("description", ""),
                "amount": m(i["amount"]),
                "interest_rate": d(i["interest_rate"]),
                "term_months": i["term_months"],
                "grace_months": i.get("grace_months", 0),
                "month": i.get("month", 1),
                "amortization": i.get("amortization", "equal_installments"),
            }
            for i in financial["loans"]
        ]
    if financial.get("grants"):
        result["grants"] = [
            {
                "description": i.get("description", ""),
                "amount": m(i["amount"]),
                "month": i.get("month", 1),
            }
            for i in financial["grants"]
        ]
    if financial.get("revenue"):
        revenue = financial["revenue"]
        r: dict[str, Any] = (
            {"year1_monthly": [m(x) for x in revenue["year1_monthly"]]}
            if "year1_monthly" in revenue
            else {"monthly": m(revenue["monthly"])}
        )
        if "growth_per_year" in revenue:
            r["growth_per_year"] = d(revenue["growth_per_year"])
        result["revenue"] = r
    if financial.get("revenue_lines"):
        lines = []
        for i in financial["revenue_lines"]:
            volume = i["volume_per_month"]
            line: dict[str, Any] = {
                "description": i.get("description", ""),
                "price": d(i["price"]),
                "volume_per_month": [d(x) for x in volume]
                if isinstance(volume, list)
                else d(volume),
            }
            if "growth_per_year" in i:
                line["growth_per_year"] = d(i["growth_per_year"])
            lines.append(line)
        result["revenue_lines"] = lines
    if "cost_of_sales_rate" in financial:
        result["cost_of_sales_rate"] = d(financial["cost_of_sales_rate"])
    for key in ("fixed_costs",):
        if financial.get(key):
            result[key] = [
                {"description": i.get("description", ""), "monthly_amount": m(i["monthly_amount"])}
                for i in financial[key]
            ]
    for key in ("household_expenses", "other_household_income"):
        if financial.get(key):
            result[key] = [
                {"description": i.get("description", ""), "amount": m(i["amount"])}
                for i in financial[key]
            ]
    return result
