"""The funnel as horizontal bar charts: geometry computed here, SVG drawn by a template.

No JavaScript and no chart library: the page, a PDF and a screen reader get the same figures
(the chart is `role="img"` and points to the table beside it with aria-describedby).

The chart has two parts, each on a scale of its own. *Sensitised* (the outreach stage) adds
the anonymous head counts of outreach actions, so it is often a hundred times the later
stages: on one scale with it, informed … aftercare would be slivers. The first part is the
reach alone; the second part is the stages of persons with a trajectory, so they can be
compared with each other. Every stage shows its persons (a filled bar) over its target (an
outlined bar), and as text `actual / target · share of target`.

A scale stretches to fit the targets up to `TARGET_STRETCH` times the part's largest actual;
a larger target is cut off at the end of the scale and marked with an arrow (its figure is
still in the text and the table). Otherwise a programme target of 1,150 over a month in
which 5 persons were informed would squash every bar again.

Figures are ints (shares Decimals, from the funnel); only pixel coordinates are floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from opstap.journeys.phases import Phase

from .funnel import Funnel, Stage

WIDTH = 360  # the viewBox: drawn for a phone, scaled up to the CSS's maximum width
BARS_X = 2  # the bars and the stage names start here (room for the outline's stroke)
ARROW = 8  # room after the scale for the arrow of a target beyond it
BARS_END = WIDTH - ARROW  # the end of every scale
VALUE_X = WIDTH - 2  # the figures end here (right-aligned, above the bars)
ROOM = BARS_END - BARS_X

LEGEND = 28  # the legend above both parts
HEADING = 22  # a part's heading
ROW = 50  # a stage: its name and figures, then its bars
TEXT_BASELINE = 15  # in a row or a heading
ACTUAL_TOP = 20  # in a row
ACTUAL_HEIGHT = 14
TARGET_GAP = 2
TARGET_HEIGHT = 7
AXIS = 22  # the scale's figures under a part
AXIS_BASELINE = 16  # their baseline, under the last bar
GAP = 14  # between the two parts

TARGET_STRETCH = 2  # a target stretches its part's scale to at most twice its largest actual
MIN_WIDTH = 2.0  # a bar for a figure above 0 is never thinner than this


def nice_scale(value: int) -> tuple[int, int]:
    """The end of a scale that fits `value`, and its number of steps: the smallest
    step × steps ≥ value, the step a whole 1, 2, 2.5 or 5 × 10^k and 3 to 5 steps (4 on a
    tie). 3,000 ends at 3,000 (3 steps of 1,000) rather than 4,000; 0 ends at 4."""
    if value <= 0:
        return 4, 4
    best: tuple[int, int] | None = None
    magnitude = 1
    while best is None or magnitude <= best[0]:
        for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = factor * magnitude
            if step != step.to_integral_value():
                continue
            for steps in (4, 3, 5):
                if step * steps >= value and (best is None or step * steps < best[0]):
                    best = (int(step * steps), steps)
        magnitude *= 10
    return best


def scale_for(stages: Sequence[Stage]) -> tuple[int, int]:
    """The end of the scale for `stages` and its steps: it fits their largest actual and
    every target up to TARGET_STRETCH times that (every target when no actual is above 0),
    rounded up to a nice figure (`nice_scale`). A larger target does not stretch it: it is
    cut off. The end is never 0."""
    top = max((s.actual for s in stages), default=0)
    targets = [s.target for s in stages if s.target is not None]
    within = [t for t in targets if top == 0 or t <= TARGET_STRETCH * top]
    return nice_scale(max([top, *within]))


def bar_width(value: int, maximum: int) -> float:
    """The pixels for `value` on a scale of ROOM pixels ending at `maximum` (> 0); a value
    beyond the scale gets the whole scale, a value above 0 at least MIN_WIDTH."""
    if value <= 0:
        return 0.0
    width = round(ROOM * min(value, maximum) / maximum, 1)
    return max(width, MIN_WIDTH)


@dataclass(frozen=True)
class Bar:
    phase: str
    label: str
    actual: int
    target: int | None
    share: Decimal | None  # actual / target, as in the table
    y: int  # the top of the row
    actual_width: float
    target_width: float | None
    target_beyond: bool  # the target is beyond the scale: cut off, with an arrow

    @property
    def text_y(self) -> int:
        return self.y + TEXT_BASELINE

    @property
    def actual_y(self) -> int:
        return self.y + ACTUAL_TOP

    @property
    def target_y(self) -> int:
        return self.actual_y + ACTUAL_HEIGHT + TARGET_GAP

    @property
    def bottom(self) -> int:
        return self.target_y + TARGET_HEIGHT

    @property
    def arrow(self) -> str:
        """The points of the arrow after a target beyond the scale ("" for none)."""
        if not self.target_beyond:
            return ""
        top, middle, bottom = self.target_y - 2, self.target_y + TARGET_HEIGHT / 2, self.bottom + 2
        return f"{BARS_END + 1},{top} {WIDTH - 1},{middle} {BARS_END + 1},{bottom}"


@dataclass(frozen=True)
class Tick:
    x: float
    value: int
    anchor: str  # text-anchor: the first and last figures stay inside the chart


@dataclass(frozen=True)
class Part:
    kind: str  # "reach" (sensitised, with the anonymous head counts) or "stages"
    heading_y: int  # the heading's baseline
    bars: list[Bar]
    ticks: list[Tick]
    maximum: int
    axis_y: int  # the baseline of the scale's figures

    @property
    def bottom(self) -> int:
        return self.axis_y - AXIS_BASELINE + AXIS


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    parts: list[Part]
    bars_x: int = BARS_X
    value_x: int = VALUE_X
    bar_height: int = ACTUAL_HEIGHT
    target_height: int = TARGET_HEIGHT

    @property
    def bars(self) -> list[Bar]:
        return [bar for part in self.parts for bar in part.bars]

    @property
    def targets_beyond(self) -> bool:
        return any(bar.target_beyond for bar in self.bars)

    def part(self, kind: str) -> Part | None:
        return next((p for p in self.parts if p.kind == kind), None)


def _ticks(maximum: int, steps: int) -> list[Tick]:
    ticks = []
    for i in range(steps + 1):
        value = maximum * i // steps
        anchor = "start" if i == 0 else "end" if i == steps else "middle"
        ticks.append(Tick(x=BARS_X + round(ROOM * value / maximum, 1), value=value, anchor=anchor))
    return ticks


def _part(kind: str, stages: Sequence[Stage], top: int) -> Part:
    maximum, steps = scale_for(stages)
    rows_top = top + HEADING
    bars = []
    for index, stage in enumerate(stages):
        bars.append(
            Bar(
                phase=stage.phase,
                label=stage.label,
                actual=stage.actual,
                target=stage.target,
                share=stage.share_of_target,
                y=rows_top + index * ROW,
                actual_width=bar_width(stage.actual, maximum),
                target_width=None if stage.target is None else bar_width(stage.target, maximum),
                target_beyond=stage.target is not None and stage.target > maximum,
            )
        )
    rows_end = bars[-1].bottom if bars else rows_top
    return Part(
        kind=kind,
        heading_y=top + TEXT_BASELINE,
        bars=bars,
        ticks=_ticks(maximum, steps),
        maximum=maximum,
        axis_y=rows_end + AXIS_BASELINE,
    )


def funnel_chart(funnel: Funnel) -> Chart:
    """The reach (sensitised) as one part, the stages after it as another, each on its own
    scale; a part without stages is left out."""
    reach = [s for s in funnel.stages if s.phase == Phase.OUTREACH]
    named = [s for s in funnel.stages if s.phase != Phase.OUTREACH]
    parts: list[Part] = []
    top = LEGEND
    for kind, stages in (("reach", reach), ("stages", named)):
        if not stages:
            continue
        part = _part(kind, stages, top)
        parts.append(part)
        top = part.bottom + GAP
    height = parts[-1].bottom if parts else LEGEND
    return Chart(width=WIDTH, height=height, parts=parts)
