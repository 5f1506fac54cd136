"""The two charts of a plan's evaluation, as geometry for an SVG template.

One code path for the page and the PDF (WeasyPrint draws inline SVG): the monthly closing
cash (36 bars above or below zero) and, per plan year, revenue against the break-even
revenue. Colours are SVG attributes, so neither needs a stylesheet; every chart sits beside
a table with the same figures (the SVG points to it with aria-describedby).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opstap.core import formatting

WIDTH = 720
LEFT = 84  # room for the scale's amounts
RIGHT = 12
TOP = 16
PLOT_HEIGHT = 200
BOTTOM = 40  # month / year labels

POSITIVE = "#2a6a3f"
NEGATIVE = "#b3261e"
REVENUE = "#1f4e8c"
BREAK_EVEN = "#8a5a00"
GRID = "#c0c7d2"
TEXT = "#1a1a1a"


def _nice_step(span: Decimal, steps: int = 4) -> Decimal:
    if span <= 0:
        return Decimal(1)
    magnitude = Decimal(1)
    while magnitude * 10 < span:
        magnitude *= 10
    while magnitude > span:
        magnitude /= 10
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if factor * magnitude * steps >= span:
            return factor * magnitude
    return magnitude * 10


def _scale(low: Decimal, high: Decimal) -> tuple[Decimal, Decimal, list[Decimal]]:
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = Decimal(1000)
    step = _nice_step(high - low)
    bottom = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks = []
    value = bottom
    while value <= top:
        ticks.append(value)
        value += step
    return bottom, top, ticks


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str  # under the axis ("" for none)
    label_x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    zero_y: float
    axis_y: float
    ticks: list[Tick]
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (fill, label)


def _y(value: Decimal, bottom: Decimal, top: Decimal) -> float:
    return round(TOP + float((top - value) / (top - bottom)) * PLOT_HEIGHT, 1)


def _amount(value: Decimal) -> str:
    return formatting.number(value)


def cash_chart(evaluation: dict[str, Any]) -> Chart:
    months = evaluation.get("months") or []
    values = [Decimal(m["closing_cash"]) for m in months]
    bottom, top, ticks = _scale(min(values, default=Decimal(0)), max(values, default=Decimal(0)))
    room = WIDTH - LEFT - RIGHT
    slot = room / max(len(values), 1)
    zero = _y(Decimal(0), bottom, top)
    bars = []
    for index, value in enumerate(values):
        y = _y(value, bottom, top)
        x = round(LEFT + index * slot + slot * 0.15, 1)
        label = str(index + 1) if index == 0 or (index + 1) % 6 == 0 else ""
        bars.append(
            Bar(
                x=x,
                y=min(y, zero),
                width=round(slot * 0.7, 1),
                height=max(round(abs(zero - y), 1), 0.5),
                fill=POSITIVE if value >= 0 else NEGATIVE,
                label=label,
                label_x=round(x + slot * 0.35, 1),
            )
        )
    return Chart(
        width=WIDTH,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        left=LEFT,
        right=WIDTH - RIGHT,
        zero_y=zero,
        axis_y=TOP + PLOT_HEIGHT,
        ticks=[Tick(y=_y(t, bottom, top), label=_amount(t)) for t in ticks],
        bars=bars,
        legend=[],
    )


def break_even_chart(
    evaluation: dict[str, Any], revenue_label: str, break_even_label: str, year_label: str
) -> Chart:
    years = evaluation.get("years") or []
    figures = []
    for year in years:
        revenue = Decimal(year["revenue"])
        break_even = year.get("break_even_revenue")
        figures.append((year["year"], revenue, Decimal(break_even) if break_even else None))
    highest = max(
        [r for _y_, r, _b in figures] + [b for _y_, _r, b in figures if b is not None],
        default=Decimal(0),
    )
    bottom, top, ticks = _scale(Decimal(0), highest)
    room = WIDTH - LEFT - RIGHT
    slot = room / max(len(figures), 1)
    zero = _y(Decimal(0), bottom, top)
    bars = []
    for index, (number, revenue, break_even) in enumerate(figures):
        base = LEFT + index * slot
        width = round(slot * 0.3, 1)
        for offset, value, fill, label in (
            (0.15, revenue, REVENUE, year_label % {"number": number}),
            (0.5, break_even, BREAK_EVEN, ""),
        ):
            if value is None:
                continue
            y = _y(value, bottom, top)
            bars.append(
                Bar(
                    x=round(base + slot * offset, 1),
                    y=y,
                    width=width,
                    height=max(round(zero - y, 1), 0.5),
                    fill=fill,
                    label=label,
                    label_x=round(base + slot * 0.5, 1),
                )
            )
    return Chart(
        width=WIDTH,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        left=LEFT,
        right=WIDTH - RIGHT,
        zero_y=zero,
        axis_y=TOP + PLOT_HEIGHT,
        ticks=[Tick(y=_y(t, bottom, top), label=_amount(t)) for t in ticks],
        bars=bars,
        legend=[(REVENUE, revenue_label), (BREAK_EVEN, break_even_label)],
    )
