"""The funnel as a horizontal bar chart: geometry computed here, SVG drawn by a template.

No JavaScript and no chart library: the page, a PDF and a screen reader get the same figures
(the chart is `role="img"` and points to the table beside it with aria-describedby).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .funnel import Funnel

WIDTH = 480
LABEL_WIDTH = 130  # the stage names, right-aligned against the bars
VALUE_ROOM = 64  # the figures after the longest bar
TOP = 36  # the legend
ROW = 44
ACTUAL_HEIGHT = 18
TARGET_HEIGHT = 10
AXIS = 28  # the scale under the bars


def nice_maximum(value: int, steps: int = 4) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^k step that fits `value` in `steps` steps, times steps."""
    if value <= 0:
        return steps
    magnitude = 1
    while True:
        for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = factor * magnitude
            if step == step.to_integral_value() and step * steps >= value:
                return int(step * steps)
        magnitude *= 10


@dataclass(frozen=True)
class Bar:
    label: str
    actual: int
    target: int | None
    y: int
    actual_width: float
    target_width: float | None
    text_y: int

    @property
    def actual_y(self) -> int:
        return self.y + 4

    @property
    def target_y(self) -> int:
        return self.y + 4 + ACTUAL_HEIGHT + 2

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + max(self.actual_width, self.target_width or 0) + 6


@dataclass(frozen=True)
class Tick:
    x: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    label_x: int
    bars_x: int
    axis_y: int
    bar_height: int = ACTUAL_HEIGHT
    target_height: int = TARGET_HEIGHT


def funnel_chart(funnel: Funnel) -> Chart:
    stages = funnel.stages
    top_value = max([s.actual for s in stages] + [s.target or 0 for s in stages] + [0])
    maximum = nice_maximum(top_value)
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM

    def scale(value: int) -> float:
        return round(room * value / maximum, 1)

    bars = []
    for index, stage in enumerate(stages):
        y = TOP + index * ROW
        bars.append(
            Bar(
                label=stage.label,
                actual=stage.actual,
                target=stage.target,
                y=y,
                actual_width=scale(stage.actual),
                target_width=None if stage.target is None else scale(stage.target),
                text_y=y + 4 + ACTUAL_HEIGHT - 4,
            )
        )
    axis_y = TOP + len(stages) * ROW
    ticks = [
        Tick(x=LABEL_WIDTH + scale(maximum * i // 4), value=maximum * i // 4) for i in range(5)
    ]
    return Chart(
        width=WIDTH,
        height=axis_y + AXIS,
        bars=bars,
        ticks=ticks,
        label_x=LABEL_WIDTH - 8,
        bars_x=LABEL_WIDTH,
        axis_y=axis_y,
    )
