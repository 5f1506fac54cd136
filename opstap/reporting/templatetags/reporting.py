from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: Decimal | None, places: int = 1) -> str:
    """0.2 → "20.0 %" in the reader's number format; "—" for no value."""
    if value is None:
        return "—"
    return f"{number_format(Decimal(value) * 100, int(places))} %"


@register.filter
def decimal(value: Decimal | None, places: int = 1) -> str:
    """A decimal in the reader's number format; "—" for no value."""
    if value is None:
        return "—"
    return number_format(Decimal(value), int(places))
