"""Template filters for the one formatting path (`opstap.core.formatting`), loaded in every
template as a builtin: `{{ loan.principal|money }}`, `{{ count|number }}`,
`{{ share|percent }}`, `{{ rate|percentage }}`, `{{ on|day }}`, `{{ on|day:"short" }}`,
`{{ at|moment:"short" }}`, `{{ client.phone|phone }}`."""

from __future__ import annotations

from typing import Any

from django import template

from .. import formatting, phones

register = template.Library()


@register.filter
def money(value: Any, places: int = 2) -> str:
    return formatting.money(value, places=int(places))


@register.filter
def number(value: Any, places: int = 0) -> str:
    return formatting.number(value, int(places))


@register.filter
def percent(share: Any, places: int = 1) -> str:
    return formatting.percent(share, int(places))


@register.filter
def percentage(value: Any, places: int = 2) -> str:
    return formatting.percentage(value, int(places))


@register.filter
def day(value: Any, style: str = "long") -> str:
    return formatting.day(value, style)


@register.filter
def moment(value: Any, style: str = "long") -> str:
    return formatting.moment(value, style)


@register.filter
def phone(value: Any) -> str:
    return phones.display(value)
