"""Background work of the privacy app, through the Django tasks API."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from opstap.core.models import Organisation

from .export import build_export
from .services import retention_run


@task()
def build_export_task(export_id: int) -> None:
    build_export(export_id)


@task()
def retention_task(on: str | None = None) -> dict[str, int]:
    """The daily retention run over every organisation; `on` is an ISO date (default today)."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    files = rows = 0
    for organisation in Organisation.objects.order_by("pk"):
        run = retention_run(on=day, organisation=organisation)
        files += run.files
        rows += run.rows
    return {"files": files, "rows": rows}
