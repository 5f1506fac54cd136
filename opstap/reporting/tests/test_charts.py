"""The funnel chart's geometry and its SVG, on hand-made funnels (no database).

The chart had one linear scale for every stage, so "sensitised 2,533" (with the anonymous
head counts) left the named stages 40, 33, 27, 15 and 11 as slivers of 1 to 3 pixels. Now the
reach and the named stages are two parts, each on a scale of its own."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from opstap.core import formatting
from opstap.reporting.charts import (
    MIN_WIDTH,
    ROOM,
    TARGET_STRETCH,
    WIDTH,
    bar_width,
    funnel_chart,
    nice_scale,
)
from opstap.reporting.funnel import STAGES, Funnel, Stage

ISSUE = [2533, 40, 33, 27, 15, 11]  # issue 9: sensitised, then the named stages


def make(actuals: list[int], targets: list[int | None] | None = None) -> Funnel:
    targets = targets or [None] * len(actuals)
    return Funnel(
        programme=None,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2024, 12, 31),
        partner=None,
        stages=tuple(
            Stage(phase=phase, actual=actual, target=target, persons=actual)
            for phase, actual, target in zip(STAGES, actuals, targets, strict=False)
        ),
        start_rate=None,
    )


def render(funnel: Funnel, language: str = "nl") -> str:
    with formatting.reading_as(language, "BE"):
        return render_to_string(
            "reporting/partials/funnel_chart.html",
            {"chart": funnel_chart(funnel), "funnel": funnel},
        )


# --- the scale ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scale"),
    [
        (0, (4, 4)),
        (-3, (4, 4)),
        (1, (3, 3)),
        (10, (10, 5)),
        (40, (40, 4)),
        (41, (50, 5)),
        (60, (60, 3)),
        (1750, (2000, 4)),
        (2533, (3000, 3)),
        (3000, (3000, 3)),
    ],
)
def test_a_scale_ends_at_the_nearest_round_figure(value, scale):
    assert nice_scale(value) == scale


def test_a_scale_always_fits_and_its_steps_are_whole_numbers():
    for value in range(1, 5000, 7):
        maximum, steps = nice_scale(value)
        assert maximum >= value and maximum % steps == 0 and 3 <= steps <= 5


def test_bar_widths_are_proportional_capped_at_the_scale_and_never_invisible():
    assert bar_width(0, 40) == 0.0
    assert bar_width(20, 40) == pytest.approx(ROOM / 2)
    assert bar_width(40, 40) == ROOM
    assert bar_width(1150, 40) == ROOM  # beyond the scale: the whole scale
    assert bar_width(1, 100_000) == MIN_WIDTH


# --- the two parts --------------------------------------------------------------------------


def test_the_reach_is_drawn_apart_from_the_named_stages():
    chart = funnel_chart(make(ISSUE))
    reach, named = chart.parts
    assert reach.kind == "reach" and [b.phase for b in reach.bars] == ["outreach"]
    assert named.kind == "stages" and [b.actual for b in named.bars] == ISSUE[1:]
    assert [b.phase for b in named.bars] == list(STAGES[1:6])
    assert reach.maximum >= 2533 and named.maximum < 100  # a scale of its own
    assert chart.part("reach") is reach and chart.part("stages") is named
    # the parts follow each other down the chart, without overlapping
    assert reach.axis_y < named.heading_y < named.bars[0].y
    assert named.bars[-1].bottom < named.axis_y < chart.height
    assert reach.bars[0].actual_width == pytest.approx(ROOM * 2533 / reach.maximum, abs=0.1)


def test_the_named_stages_are_visible_and_comparable():
    """On the old single scale (4,000) the widest named bar was 3 pixels wide."""
    named = funnel_chart(make(ISSUE)).part("stages")
    widest = max(bar.actual_width for bar in named.bars)
    largest = max(bar.actual for bar in named.bars)
    assert widest >= ROOM / 2  # the largest named stage fills at least half the scale
    for bar in named.bars:
        if 3 * bar.actual >= largest:
            assert 3 * bar.actual_width >= widest, bar
        assert bar.actual_width >= ROOM / 10, bar  # 11 of 40 is plainly there
        # one linear scale within the part: width / figure is the same for every bar
        assert bar.actual_width / bar.actual == pytest.approx(widest / largest, rel=0.01)
    widths = [bar.actual_width for bar in named.bars]
    assert widths == sorted(widths, reverse=True)  # the funnel narrows as the figures do


def test_targets_are_drawn_on_their_part_scale_and_an_overshoot_is_cut_off():
    funnel = make(ISSUE + [5], [3000, 60, 45, 40, None, 20, 1150])
    chart = funnel_chart(funnel)
    reach, named = chart.parts
    # the reach's target fits its scale (2,533 / 3,000): drawn in full
    assert reach.maximum == 3000 and reach.bars[0].target_width == ROOM
    assert not reach.bars[0].target_beyond and reach.bars[0].arrow == ""
    # the named stages: targets up to twice the largest actual (40) stretch the scale ...
    assert named.maximum == 60 and TARGET_STRETCH * 40 < 1150
    informed, intake, guidance, financing, started, aftercare = named.bars
    assert informed.target_width == ROOM and not informed.target_beyond
    assert intake.target_width == pytest.approx(ROOM * 45 / 60, abs=0.1)
    assert financing.target_width is None and financing.share is None
    assert started.share == Decimal("0.5500")
    # ... a larger one is cut off at the end of the scale, with an arrow
    assert aftercare.target_beyond and aftercare.target_width == ROOM and aftercare.arrow
    assert chart.targets_beyond
    assert informed.actual_width == pytest.approx(ROOM * 40 / 60, abs=0.1)


def test_targets_alone_set_the_scale_when_nobody_is_counted_yet():
    chart = funnel_chart(make([0, 0, 0], [1750, 1150, 600]))
    reach, named = chart.parts
    assert reach.maximum == 2000 and named.maximum == 1250
    assert all(bar.actual_width == 0 and not bar.target_beyond for bar in chart.bars)
    assert named.bars[1].target_width == pytest.approx(ROOM * 600 / 1250, abs=0.1)


def test_a_funnel_of_zeros_does_not_divide_by_zero():
    funnel = make([0] * len(STAGES))
    chart = funnel_chart(funnel)
    assert [part.maximum for part in chart.parts] == [4, 4]
    assert all(bar.actual_width == 0.0 and bar.target_width is None for bar in chart.bars)
    assert [tick.value for tick in chart.parts[1].ticks] == [0, 1, 2, 3, 4]
    svg = render(funnel)
    assert "opstap-chart__actual" in svg  # the legend only
    assert svg.count('class="opstap-chart__actual"') == 1


def test_a_funnel_without_named_stages_or_without_stages():
    only_reach = funnel_chart(make([2533], [3000]))
    assert [part.kind for part in only_reach.parts] == ["reach"]
    empty = funnel_chart(make([]))
    assert empty.parts == [] and empty.bars == [] and empty.height > 0
    assert "<svg" in render(make([]))


def test_figures_are_whole_numbers_and_coordinates_pixels():
    chart = funnel_chart(make(ISSUE, [3000, 60, 45, 40, None, 20]))
    for bar in chart.bars:
        assert type(bar.actual) is int and (bar.target is None or type(bar.target) is int)
        assert bar.share is None or isinstance(bar.share, Decimal)
        assert isinstance(bar.actual_width, float)
    for part in chart.parts:
        assert all(type(tick.value) is int for tick in part.ticks)
        assert [tick.anchor for tick in part.ticks][0] == "start"
        assert [tick.anchor for tick in part.ticks][-1] == "end"
        assert part.ticks[-1].value == part.maximum


# --- the SVG --------------------------------------------------------------------------------


def test_the_svg_is_an_image_described_by_the_table_without_inline_style_or_script():
    funnel = make(ISSUE + [5], [3000, 60, 45, 40, None, 20, 1150])
    with translation.override("en"):
        svg = render(funnel, "en")
    assert svg.startswith('<svg class="opstap-chart opstap-chart--funnel" role="img"')
    assert f'viewBox="0 0 {WIDTH} ' in svg  # scales to the card, 360 wide on a phone
    assert 'aria-describedby="funnel-table"' in svg
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg
    title = re.search(r'<title id="funnel-chart-title">(.*?)</title>', svg, re.S).group(1)
    assert "two parts with a scale of their own" in title
    assert "anonymous head counts" in title and "The figures are in the table." in title
    assert "Reach, with anonymous head counts" in svg and "Persons with a trajectory" in svg
    assert ">2,533 / 3,000<" in svg and "84.4%" in svg  # figures as the reader writes them
    assert ">15<" in svg  # financing has no target: its figure alone
    assert svg.count("<polygon") == 1  # the arrow of aftercare's target
    # pixel coordinates are written with a full stop whatever the language
    with translation.override("fr"):
        svg = render(funnel, "fr")
    for value in re.findall(r' (?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value
    assert ">2\u202f533 / 3\u202f000<" in svg
