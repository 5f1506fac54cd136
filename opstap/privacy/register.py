"""The register of processing activities (GDPR art. 30), generated from the registry.

One activity per data category: its purposes, legal bases, recipients and the data it covers
come from the entries each app registered; its time limit from the retention period in force
and the legal holds of the organisation's country.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from opstap.core.models import Organisation

from . import registry
from .choices import Category
from .models import LegalHold
from .services import retention_periods


def activities(organisation: Organisation) -> list[dict[str, Any]]:
    today = timezone.localdate()
    periods = retention_periods(today)
    holds = LegalHold.objects.in_force(today).filter(country=organisation.country)
    by_category: dict[str, list[registry.Entry]] = {}
    for entry in registry.entries():
        by_category.setdefault(entry.category, []).append(entry)
    result = []
    for category, label in Category.choices:
        entries = by_category.get(category)
        if not entries:
            continue
        kept = [e for e in entries if isinstance(e.erase, registry.Keep)]
        result.append(
            {
                "category": category,
                "label": label,
                "purposes": sorted({str(e.purpose) for e in entries}),
                "legal_bases": sorted({str(e.legal_basis) for e in entries}),
                "recipients": sorted({str(r) for e in entries for r in e.recipients}),
                "data": [e.display_title for e in entries],
                "years": periods.get(category),
                "holds": [h for h in holds if h.category == category],
                "kept": sorted({str(e.erase.reason) for e in kept}),
            }
        )
    return result


def context(organisation: Organisation) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "activities": activities(organisation),
        "today": timezone.localdate(),
    }


def pdf(organisation: Organisation) -> bytes:
    from weasyprint import HTML

    html = render_to_string("privacy/register_pdf.html", context(organisation))
    return HTML(string=html).write_pdf()
