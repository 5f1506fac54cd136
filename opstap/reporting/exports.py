"""The reports as JSON, CSV and xlsx: the pages' export links and `opstap report` call these.

JSON and the command's CSV use stable English keys and column names (for machines); labels
in the reader's language sit beside them. The xlsx and the CSV the pages download are for
people: translated headers, and the CSV in the reader's spreadsheet dialect (`;` and a decimal
comma for nl and fr, opstap.core.csv_export). Rates are decimals with 4 places: strings in JSON
and the command's CSV, numbers formatted as percentages in xlsx. docs/funnel.md documents
every shape, docs/exports.md the downloads.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from opstap.core import csv_export, downloads, formatting
from opstap.core.spreadsheets import safe_row

from .funnel import DEFINITIONS, ProgrammeReport, RoutePerformance, TargetsReport

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERCENT = "0.0%"
MONTHS = "0.0"
COUNT = "#,##0"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- JSON -------------------------------------------------------------------------------


def route_dict(route: RoutePerformance) -> dict[str, Any]:
    return {
        "route": route.route,
        "closed": route.closed,
        "successful": route.successful,
        "success_rate": _text(route.success_rate),
        "mean_duration_months": _text(route.mean_duration_months),
        # The contract: "target" is the success-rate target; the expected duration
        # of the same agreement comes as an extra key.
        "target": _text(route.target_success_rate) if route.has_target else None,
        "target_mean_duration_months": (
            _text(route.target_mean_duration_months) if route.has_target else None
        ),
    }


def programme_dict(report: ProgrammeReport) -> dict[str, Any]:
    funnel = report.funnel
    rate = funnel.start_rate
    return {
        "programme": funnel.programme.code,
        "organisation": funnel.programme.organisation.slug,
        "from": funnel.start.isoformat(),
        "to": funnel.end.isoformat(),
        "partner": funnel.partner.slug if funnel.partner else None,
        "stages": [
            {"phase": str(stage.phase), "actual": stage.actual, "target": stage.target}
            for stage in funnel.stages
        ],
        "start_rate": {
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "value": _text(rate.value),
            "target": _text(rate.target),
        },
        "routes": [route_dict(route) for route in report.routes],
    }


def targets_dict(report: TargetsReport) -> dict[str, Any]:
    return {
        "organisation": report.organisation.slug,
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "routes": [route_dict(route) for route in report.routes],
    }


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- CSV --------------------------------------------------------------------------------

ROUTE_COLUMNS = [
    "route",
    "name",
    "closed",
    "successful",
    "success_rate",
    "target_success_rate",
    "mean_duration_months",
    "target_mean_duration_months",
]


def _route_row(route: RoutePerformance) -> list[Any]:
    return [
        route.route,
        route.name,
        route.closed,
        route.successful,
        _text(route.success_rate) or "",
        _text(route.target_success_rate) or "",
        _text(route.mean_duration_months) or "",
        _text(route.target_mean_duration_months) or "",
    ]


class _SafeWriter:
    """csv.writer whose cells pass through safe_cell: route names and labels come from
    people, and a spreadsheet program opening the CSV would run a leading "=" as a formula."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


def programme_csv(report: ProgrammeReport) -> str:
    """Three tables, each under its own header row, separated by an empty row, after the
    report's programme and period (see docs/funnel.md)."""
    funnel = report.funnel
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerows(
        [
            ["programme", funnel.programme.code],
            ["organisation", funnel.programme.organisation.slug],
            ["from", funnel.start.isoformat()],
            ["to", funnel.end.isoformat()],
            ["partner", funnel.partner.slug if funnel.partner else ""],
            [],
            ["phase", "stage", "actual", "target"],
        ]
    )
    for stage in funnel.stages:
        writer.writerow([stage.phase, stage.label, stage.actual, stage.target or ""])
    rate = funnel.start_rate
    writer.writerows(
        [
            [],
            ["indicator", "numerator", "denominator", "value", "target"],
            [
                "start_rate",
                rate.numerator,
                rate.denominator,
                _text(rate.value) or "",
                _text(rate.target) or "",
            ],
            [],
            ROUTE_COLUMNS,
        ]
    )
    writer.writerows(_route_row(route) for route in report.routes)
    return out.getvalue()


def targets_csv(report: TargetsReport) -> str:
    """One table: a header row, then one row per route."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(ROUTE_COLUMNS)
    writer.writerows(_route_row(route) for route in report.routes)
    return out.getvalue()


# --- CSV for people (the pages' downloads) -----------------------------------------------
# The tables of the xlsx with its translated headers, in the reader's CSV dialect: Decimals
# get the reader's decimal mark, dates stay ISO (opstap.core.csv_export, docs/exports.md).


def _route_headers() -> list[str]:
    return [
        _("Route code"),
        _("Route"),
        _("Closed"),
        _("Successful"),
        _("Success rate"),
        _("Target success rate"),
        _("Mean duration (months)"),
        _("Target duration (months)"),
    ]


def _route_values(route: RoutePerformance) -> list[Any]:
    return [
        route.route,
        route.name,
        route.closed,
        route.successful,
        route.success_rate,
        route.target_success_rate,
        route.mean_duration_months,
        route.target_mean_duration_months,
    ]


def programme_csv_for_people(report: ProgrammeReport) -> str:
    """What the xlsx holds, as one CSV: the report's facts, then the funnel, the start rate
    and the routes, each under its translated header row, separated by an empty row."""
    funnel = report.funnel
    rate = funnel.start_rate
    writer = csv_export.CsvWriter()
    writer.writerows(
        [
            [_("Programme"), f"{funnel.programme.code} – {funnel.programme.name}"],
            [_("Promoter"), funnel.programme.organisation.name],
            [_("From"), funnel.start],
            [_("To"), funnel.end],
            [_("Partner"), funnel.partner.name if funnel.partner else _("All")],
            [],
            [_("Phase"), _("Stage"), _("Actual"), _("Target")],
        ]
    )
    writer.writerows(
        [str(stage.phase), stage.label, stage.actual, stage.target or None]
        for stage in funnel.stages
    )
    writer.writerows(
        [
            [],
            [_("Started"), _("In guidance"), _("Start rate"), _("Target")],
            [rate.numerator, rate.denominator, rate.value, rate.target],
            [],
            _route_headers(),
        ]
    )
    writer.writerows(_route_values(route) for route in report.routes)
    return writer.getvalue()


def targets_csv_for_people(report: TargetsReport) -> str:
    """One table: the translated header row, then one row per route."""
    return csv_export.csv_text((_route_values(route) for route in report.routes), _route_headers())


# --- xlsx -------------------------------------------------------------------------------


def _sheet(
    sheet: Worksheet, header: list[str], rows: list[list[Any]], formats: dict[int, str]
) -> None:
    """A header row in bold, frozen, then the rows with each column's number format."""
    sheet.append(safe_row(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(safe_row(row))
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, title in enumerate(header, start=1):
        width = max([len(str(title))] + [len(str(r[index - 1] or "")) for r in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)


def _routes_sheet(sheet: Worksheet, routes: list[RoutePerformance]) -> None:
    _sheet(
        sheet,
        _route_headers(),
        [_route_values(r) for r in routes],
        {3: COUNT, 4: COUNT, 5: PERCENT, 6: PERCENT, 7: MONTHS, 8: MONTHS},
    )


def _about_sheet(sheet: Worksheet, facts: list[tuple[str, Any]]) -> None:
    rows = [[label, value] for label, value in facts]
    rows += [[_("Definition") if i == 0 else "", str(text)] for i, text in enumerate(DEFINITIONS)]
    _sheet(sheet, [_("About this report"), ""], rows, {})
    sheet.column_dimensions["B"].width = 100
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        if hasattr(cell.value, "isoformat"):
            cell.number_format = formatting.EXCEL_DATE_FORMAT


def _bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def programme_xlsx(report: ProgrammeReport) -> bytes:
    funnel = report.funnel
    workbook = Workbook()
    stages = workbook.active
    stages.title = _("Funnel")
    _sheet(
        stages,
        [_("Phase"), _("Stage"), _("Actual"), _("Target"), _("Share of target")],
        [[str(s.phase), s.label, s.actual, s.target, s.share_of_target] for s in funnel.stages],
        {3: COUNT, 4: COUNT, 5: PERCENT},
    )
    rate = funnel.start_rate
    _sheet(
        workbook.create_sheet(_("Start rate")),
        [_("Started"), _("In guidance"), _("Start rate"), _("Target")],
        [[rate.numerator, rate.denominator, rate.value, rate.target]],
        {1: COUNT, 2: COUNT, 3: PERCENT, 4: PERCENT},
    )
    _routes_sheet(workbook.create_sheet(_("Routes")), report.routes)
    _about_sheet(
        workbook.create_sheet(_("About")),
        [
            (_("Programme"), f"{funnel.programme.code} – {funnel.programme.name}"),
            (_("Promoter"), funnel.programme.organisation.name),
            (_("From"), funnel.start),
            (_("To"), funnel.end),
            (_("Partner"), funnel.partner.name if funnel.partner else _("All")),
        ],
    )
    return _bytes(workbook)


def targets_xlsx(report: TargetsReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Routes")
    _routes_sheet(sheet, report.routes)
    _about_sheet(
        workbook.create_sheet(_("About")),
        [
            (_("Organisation"), report.organisation.name),
            (_("From"), report.start),
            (_("To"), report.end),
        ],
    )
    return _bytes(workbook)


def render(
    report: ProgrammeReport | TargetsReport, fmt: str, *, for_people: bool = False
) -> str | bytes:
    """The report in `fmt` (json, csv or xlsx): text for json and csv, bytes for xlsx.

    `for_people` is the pages' download: the CSV gets translated headers in the reader's
    dialect instead of the stable English machine format of `opstap report`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if isinstance(report, ProgrammeReport):
        return {
            "json": lambda: as_json(programme_dict(report)),
            "csv": lambda: (programme_csv_for_people if for_people else programme_csv)(report),
            "xlsx": lambda: programme_xlsx(report),
        }[fmt]()
    return {
        "json": lambda: as_json(targets_dict(report)),
        "csv": lambda: (targets_csv_for_people if for_people else targets_csv)(report),
        "xlsx": lambda: targets_xlsx(report),
    }[fmt]()


def download_name(report: ProgrammeReport | TargetsReport) -> tuple[str, list[str]]:
    """The translated base of the download's file name and the parts after it."""
    if isinstance(report, ProgrammeReport):
        funnel = report.funnel
        parts = [
            funnel.programme.organisation.slug,
            funnel.programme.code,
            funnel.start.isoformat(),
            funnel.end.isoformat(),
        ]
        if funnel.partner:
            parts.append(funnel.partner.slug)
        return str(downloads.FUNNEL), parts
    return str(downloads.TARGETS), [
        report.organisation.slug,
        report.start.isoformat(),
        report.end.isoformat(),
    ]


def filename(report: ProgrammeReport | TargetsReport, fmt: str) -> str:
    """The download's file name in the reader's language, e.g. funnel-own-azo-….csv."""
    base, parts = download_name(report)
    return downloads.filename(base, fmt, *parts)
