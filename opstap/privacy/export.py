"""The copy of a person's data (GDPR art. 15): a ZIP with a readable PDF and a JSON document.

Everything registered (registry.py) across every app goes in, except what an entry keeps out
(`export_filter`, e.g. confidential case notes); the JSON's `withheld` says what was left out
and why. The ZIP is written to private storage, downloaded once by who asked for it, and
deleted then.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from opstap.clients.models import Client
from opstap.core import formatting

from . import registry
from .choices import ExportStatus
from .models import ExportRequest

FORMAT = "opstap-subject-access/1"


def collect(client: Client, *, progress=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything registered on `client`, as a JSON-ready document."""
    entries = registry.entries()
    sections = []
    withheld = []
    for index, entry in enumerate(entries, start=1):
        objects = entry.export_objects(client)
        if objects:
            sections.append(
                {
                    "entry": entry.id,
                    "title": entry.display_title,
                    "category": entry.category,
                    "purpose": str(entry.purpose),
                    "legal_basis": str(entry.legal_basis),
                    "recipients": [str(r) for r in entry.recipients],
                    "labels": {name: entry.label(name) for name in entry.fields},
                    "rows": [entry.as_json(obj) for obj in objects],
                    # For the PDF only (json_document leaves it out): values in words.
                    "text": [entry.as_text(obj) for obj in objects],
                }
            )
        if entry.withheld is not None:
            left_out = entry.withheld(entry.rows(client))
            if left_out:
                count, reason = left_out
                withheld.append(
                    {
                        "entry": entry.id,
                        "title": entry.display_title,
                        "count": count,
                        "reason": str(reason),
                    }
                )
        if progress is not None:
            progress(index, len(entries))
    return {
        "format": FORMAT,
        "generated_at": timezone.now().isoformat(),
        "organisation": client.organisation.name,
        "client": client.pk,
        "sections": sections,
        "withheld": withheld,
    }


def json_document(document: dict[str, Any]) -> str:
    sections = [{k: v for k, v in s.items() if k != "text"} for s in document["sections"]]
    return json.dumps({**document, "sections": sections}, ensure_ascii=False, indent=2)


def export_pdf(document: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string("privacy/export_pdf.html", {"document": document})
    return HTML(string=html).write_pdf()


def build_export(export_id: int) -> None:
    """Make the ZIP of one export request; idempotent (a ready or downloaded one is left)."""
    claimed = ExportRequest.objects.filter(
        pk=export_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, progress=0)
    if not claimed:
        return
    export = ExportRequest.objects.select_related("client__organisation").get(pk=export_id)

    def progress(done: int, total: int) -> None:
        # The last 10 % is the PDF and the ZIP.
        ExportRequest.objects.filter(pk=export_id).update(progress=int(90 * done / total))

    try:
        with formatting.reading_as(export.language, export.client.organisation.country):
            document = collect(export.client, progress=progress)
            pdf = export_pdf(document)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", json_document(document))
            archive.writestr("data.pdf", pdf)
        name = default_storage.save(
            f"privacy/exports/{export.organisation_id}/{uuid4().hex}.zip",
            ContentFile(buffer.getvalue()),
        )
    except Exception:
        ExportRequest.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error="build failed"
        )
        raise
    ready = ExportRequest.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.READY, progress=100, file_name=name, finished_at=timezone.now()
    )
    if not ready:
        # The file was erased while the copy was being made: the copy goes too.
        default_storage.delete(name)
