"""The funnel and route performance on hand-built histories with known answers (conftest.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opstap.activities import services as activities
from opstap.journeys.models import PerformanceTarget
from opstap.reporting.charts import ROOM, funnel_chart
from opstap.reporting.funnel import (
    STAGES,
    funnel,
    months,
    programme_report,
    rate,
    route_performance,
)

D = datetime.date
YEAR = (D(2024, 1, 1), D(2024, 12, 31))


def actuals(result) -> list[int]:
    return [stage.actual for stage in result.stages]


def by_route(routes) -> dict:
    return {r.route: r for r in routes}


# --- the funnel -------------------------------------------------------------------------


def test_stages_count_persons_who_reached_the_phase_or_a_later_one_in_the_period(known):
    result = funnel(known.programme)
    assert (result.start, result.end) == YEAR  # the programme's period by default
    # sensitised informed intake guidance financing started aftercare
    assert actuals(result) == [5, 5, 4, 4, 3, 3, 1]
    assert [s.phase for s in result.stages] == list(STAGES)
    assert [s.target for s in result.stages] == [20, 10, 6, 4, None, 1, None]


def test_moves_outside_the_period_do_not_count(known):
    # C moved only in 2023 and 2025; A's outreach (2023-12-15) is before the period, but A
    # still counts as sensitised through the later phases A reached in 2024.
    result = funnel(known.programme, D(2023, 1, 1), D(2023, 12, 31))
    # A: outreach (2023-12-15); C: intake, guidance (2023)
    assert actuals(result) == [2, 1, 1, 1, 0, 0, 0]
    assert funnel(known.programme, D(2025, 1, 1), D(2025, 12, 31)).stage("started").actual == 1


def test_a_person_in_two_trajectories_counts_once(known):
    # From 05-10 to 07-01, D moves three times in two trajectories: intake (part_time 05-10),
    # guidance (starter 06-01, part_time 07-01). A starts on 06-01; nobody else moves.
    result = funnel(known.programme, D(2024, 5, 10), D(2024, 7, 1))
    assert actuals(result) == [2, 2, 2, 2, 1, 1, 0]


def test_closing_is_not_a_later_phase(known):
    # B closes on 2024-04-01, A on 2024-12-01, H on 2024-05-01: nobody reached a stage.
    result = funnel(known.programme, D(2024, 12, 1), D(2024, 12, 1))
    assert actuals(result) == [0] * 7


def test_trajectories_outside_the_programme_do_not_count(known, world):
    # On 04-01 F (not in the programme) moves to guidance, E is informed, B closes.
    assert actuals(funnel(known.programme, D(2024, 4, 1), D(2024, 4, 1))) == [1, 1, 0, 0, 0, 0, 0]


def test_start_rate_is_started_over_guidance_with_its_target(known):
    rate_ = funnel(known.programme).start_rate
    assert (rate_.numerator, rate_.denominator) == (3, 4)
    assert rate_.value == Decimal("0.7500")
    assert rate_.target == Decimal("0.2000")


def test_no_start_rate_when_nobody_reached_guidance(known):
    result = funnel(known.programme, D(2024, 1, 1), D(2024, 1, 31))  # A informed on 01-10
    assert actuals(result) == [1, 1, 0, 0, 0, 0, 0]
    assert result.start_rate.denominator == 0
    assert result.start_rate.value is None


def test_partner_filter_counts_only_that_organisations_clients(known, world):
    partner = funnel(known.programme, partner=world.other)
    assert actuals(partner) == [1, 1, 1, 1, 1, 1, 0]  # E only
    assert partner.start_rate.value == Decimal("1.0000")
    promoter = funnel(known.programme, partner=world.own)
    assert actuals(promoter) == [4, 4, 3, 3, 2, 2, 1]  # A, B, D, H


def test_the_funnel_costs_three_queries_however_many_stages(known):
    with CaptureQueriesContext(connection) as context:
        funnel(known.programme)
    # persons per stage (one aggregate), outreach head counts, phase targets
    assert len(context.captured_queries) == 3
    assert "COUNT(DISTINCT" in context.captured_queries[0]["sql"].upper()


def test_a_period_the_wrong_way_round_is_refused(known):
    with pytest.raises(ValueError, match="after its end"):
        funnel(known.programme, D(2024, 2, 1), D(2024, 1, 1))


# --- outreach head counts ---------------------------------------------------------------


def _outreach(world, org, local: datetime.datetime, counts: list[int], programmes) -> None:
    tz = datetime.timezone(datetime.timedelta(hours=1))  # Brussels in winter (CET)
    starts = local.replace(tzinfo=tz)
    actor = world["adviser"] if org == world.own else world.other_adviser
    activity = activities.activity_create(
        actor=actor,
        organisation=org,
        kind="outreach",
        title="Koffieklets",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        programmes=programmes,
    )
    for people in counts:
        activities.outreach_count_record(
            actor=actor,
            activity=activity,
            neighbourhood="Molenbeek",
            channel="street",
            people_reached=people,
        )


@pytest.fixture
def head_counts(known, world):
    p = [known.programme]
    dt = datetime.datetime
    _outreach(world, world.own, dt(2024, 3, 15, 10), [12, 8], p)
    _outreach(world, world.own, dt(2024, 1, 1, 0, 30), [3], p)  # first local day: in
    _outreach(world, world.own, dt(2023, 12, 31, 23, 30), [5], p)  # the day before: out
    _outreach(world, world.own, dt(2024, 12, 31, 23, 30), [4], p)  # last local day: in
    _outreach(world, world.own, dt(2025, 1, 1, 0, 10), [6], p)  # the day after: out
    _outreach(world, world.other, dt(2024, 5, 1, 14), [7], p)  # the partner's
    _outreach(world, world.own, dt(2024, 6, 1, 14), [50], [])  # not for the programme
    return known


def test_sensitised_adds_the_head_counts_of_the_programmes_outreach_in_the_period(head_counts):
    result = funnel(head_counts.programme)
    sensitised = result.stage("outreach")
    assert (sensitised.persons, sensitised.head_count, sensitised.actual) == (5, 34, 39)
    # only the first stage gets head counts; the start rate is about persons only
    assert actuals(result)[1:] == [5, 4, 4, 3, 3, 1]
    assert result.start_rate.value == Decimal("0.7500")


def test_head_counts_follow_the_partner_filter(head_counts, world):
    assert funnel(head_counts.programme, partner=world.other).stage("outreach").actual == 1 + 7
    assert funnel(head_counts.programme, partner=world.own).stage("outreach").actual == 4 + 27


# --- route performance ------------------------------------------------------------------


def test_route_performance_of_a_programme(known):
    routes = by_route(programme_report(known.programme).routes)
    assert list(routes) == ["established", "part_time", "starter"]
    starter = routes["starter"]
    # A (success), B (dropped out before intake: no duration), H (dropped out)
    assert (starter.closed, starter.successful, starter.with_duration) == (3, 1, 2)
    assert starter.success_rate == Decimal("0.3333")
    # A 2024-02-01 → 12-01 = 304 days, H 02-01 → 05-01 = 90 days: 197 days = 6.47 months
    assert starter.duration_days == 394
    assert starter.mean_duration_months == Decimal("6.5")
    # the agreement valid on the period's last day (from 2024-07-01), not the earlier one
    assert starter.target_success_rate == Decimal("0.4500")
    assert starter.target_mean_duration_months == Decimal("30.0")
    assert starter.meets_target is False
    part_time = routes["part_time"]  # D's: 2024-05-10 → 12-15 = 219 days = 7.2 months
    assert (part_time.closed, part_time.successful, part_time.success_rate) == (
        1,
        1,
        Decimal("1.0000"),
    )
    assert part_time.mean_duration_months == Decimal("7.2")
    assert not part_time.has_target  # the other organisation's part_time target is not ours
    established = routes["established"]  # a target, nothing closed
    assert (established.closed, established.success_rate, established.mean_duration_months) == (
        0,
        None,
        None,
    )
    assert established.target_success_rate == Decimal("0.6500")


def test_route_performance_of_an_organisation(known, world):
    routes = by_route(route_performance(world.own, *YEAR))
    starter = routes["starter"]  # A, B, H and F (F is not in the programme, but is ours)
    assert (starter.closed, starter.successful, starter.success_rate) == (4, 2, Decimal("0.5000"))
    # (304 + 90 + 92) / 3 = 162 days = 5.32 months
    assert starter.mean_duration_months == Decimal("5.3")
    # the partner's organisation: E is not closed, and it has only its part_time target
    other = by_route(route_performance(world.other, *YEAR))
    assert list(other) == ["part_time"]
    assert other["part_time"].closed == 0
    assert other["part_time"].target_success_rate == Decimal("0.9000")


def test_route_performance_with_the_partner_filter(known, world):
    routes = programme_report(known.programme, partner=world.own).routes
    assert by_route(routes)["starter"].closed == 3
    routes = programme_report(known.programme, partner=world.other).routes
    assert by_route(routes)["starter"].closed == 0


def test_the_target_is_the_one_valid_on_the_last_day_of_the_period(known, world):
    first_half = by_route(route_performance(world.own, D(2024, 1, 1), D(2024, 6, 30)))
    assert first_half["starter"].target_success_rate == Decimal("0.4000")
    # an agreement that ended before the period's end is not used
    PerformanceTarget.objects.filter(route_code="established").update(valid_to=D(2024, 12, 30))
    assert "established" not in by_route(route_performance(world.own, *YEAR))


def test_route_performance_costs_three_queries(known, world):
    with CaptureQueriesContext(connection) as context:
        route_performance(world.own, *YEAR)
    assert len(context.captured_queries) == 3


# --- arithmetic -------------------------------------------------------------------------


def test_rates_have_four_places_half_even_and_none_without_denominator():
    assert rate(1, 3) == Decimal("0.3333")
    assert rate(2, 3) == Decimal("0.6667")
    assert rate(1, 8) == Decimal("0.1250")
    assert rate(1, 16) == Decimal("0.0625")  # exact: no rounding
    assert rate(1, 32) == Decimal("0.0312")  # 0.03125: half to even
    assert rate(3, 32) == Decimal("0.0938")  # 0.09375: half to even
    assert rate(0, 0) is None
    assert isinstance(rate(1, 3), Decimal)


def test_months_are_days_over_365_25_twelfths_with_one_decimal():
    assert months(0, 0) is None
    assert months(365, 1) == Decimal("12.0")  # 11.99 months
    assert months(3 * 30, 3) == Decimal("1.0")  # 30 days = 0.986 months
    assert months(1096, 1) == Decimal("36.0")


def test_chart_draws_the_reach_and_the_named_stages_on_scales_of_their_own(known):
    chart = funnel_chart(funnel(known.programme))
    assert [b.actual for b in chart.bars] == [5, 5, 4, 4, 3, 3, 1]
    reach, stages = chart.parts
    assert [b.phase for b in reach.bars] == ["outreach"]
    # the sensitised target (20) is more than twice its 5: cut off, not stretching the scale
    assert reach.maximum == 5
    assert reach.bars[0].target_beyond and reach.bars[0].target_width == ROOM
    assert stages.maximum == 10  # informed: 5 against a target of 10
    informed = stages.bars[0]
    assert informed.target_width == ROOM and not informed.target_beyond
    assert informed.actual_width == pytest.approx(informed.target_width * 5 / 10)
    assert stages.bars[3].phase == "financing" and stages.bars[3].target_width is None
