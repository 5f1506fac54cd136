"""Building import files in tests, running them, and counting what the database holds."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from opstap.activities.models import Activity, OutreachCount
from opstap.clients.models import Client
from opstap.core.models import AuditEvent
from opstap.imports.base import ImportResult
from opstap.imports.runner import import_file
from opstap.journeys.models import CheckIn, PhaseChange, PhaseTarget, Programme, Trajectory


def csv_file(rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_file(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(
    kind: str,
    data: bytes,
    organisation: Any,
    *,
    actor: Any = None,
    dry_run: bool = False,
    filename: str = "import.csv",
) -> ImportResult:
    return import_file(
        kind=kind,
        data=data,
        filename=filename,
        organisation=organisation,
        actor=actor,
        dry_run=dry_run,
    )


def counts() -> dict[str, int]:
    return {
        "clients": Client.objects.count(),
        "client_history": Client.history.count(),
        "programmes": Programme.objects.count(),
        "phase_targets": PhaseTarget.objects.count(),
        "trajectories": Trajectory.objects.count(),
        "phase_changes": PhaseChange.objects.count(),
        "check_ins": CheckIn.objects.count(),
        "activities": Activity.objects.count(),
        "outreach_counts": OutreachCount.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def messages(result: ImportResult) -> list[str]:
    return [str(error) for error in result.errors]
