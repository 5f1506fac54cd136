"""Properties of the funnel and route performance on random phase histories.

Histories are made the only way the application makes them (journeys.services
trajectory_open / trajectory_move), then the SQL figures are compared with a plain Python
count over the recorded phase changes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services as journeys
from opstap.journeys.models import PhaseChange, ProgrammePartner, Trajectory
from opstap.journeys.phases import PHASE_ORDER, Phase
from opstap.reporting.funnel import (
    DAYS_PER_MONTH,
    SERVICE_PHASES,
    STAGES,
    funnel,
    route_performance,
)

from .conftest import route

BASE = datetime.date(2022, 1, 1)
ROUTES = ("starter", "part_time")


@st.composite
def trajectory_plans(draw):
    route_code = draw(st.sampled_from(ROUTES))
    return {
        "route": route_code,
        "first": draw(st.integers(0, 6)),  # index into the route's open phases
        "opened": draw(st.integers(0, 250)),  # days after BASE
        "moves": draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60)), max_size=7)),
        "outcome": draw(st.integers(0, 7)),
        "in_programme": draw(st.booleans()) or draw(st.booleans()),
    }


@st.composite
def worlds(draw):
    clients = draw(
        st.lists(
            st.tuples(
                st.booleans(),  # a client of the partner?
                st.lists(
                    trajectory_plans(), min_size=1, max_size=2, unique_by=lambda p: p["route"]
                ),
            ),
            min_size=1,
            max_size=5,
        )
    )
    start = draw(st.integers(0, 350))
    length = draw(st.integers(0, 500))
    partner = draw(st.sampled_from([None, "own", "other"]))
    return clients, start, length, partner


def build(world, programme, clients) -> None:
    for of_partner, plans in clients:
        org = world.other if of_partner else world.own
        actor = world.other_adviser if of_partner else world["adviser"]
        client = ClientFactory(organisation=org)
        for plan in plans:
            route_type = route(plan["route"])
            open_phases = [p for p in route_type.phases if p != Phase.CLOSED]
            on = BASE + datetime.timedelta(days=plan["opened"])
            trajectory = journeys.trajectory_open(
                actor=actor,
                client=client,
                route_type=route_type,
                on=on,
                phase=open_phases[plan["first"] % len(open_phases)],
                programmes=[programme] if plan["in_programme"] else [],
            )
            for choice, gap in plan["moves"]:
                allowed = route_type.allowed_moves(trajectory.phase)
                if not allowed:
                    break
                to_phase = allowed[choice % len(allowed)]
                on += datetime.timedelta(days=gap)
                outcomes = list(route_type.outcomes.all())
                journeys.trajectory_move(
                    actor=actor,
                    trajectory=trajectory,
                    to_phase=to_phase,
                    on=on,
                    outcome=outcomes[plan["outcome"] % len(outcomes)]
                    if to_phase == Phase.CLOSED
                    else None,
                )


def expected_persons(programme, start, end, partner) -> dict[str, int]:
    in_programme = set(programme.trajectories.values_list("pk", flat=True))
    reached: dict[str, set[int]] = defaultdict(set)
    for change in PhaseChange.objects.select_related("client"):
        if change.trajectory_id not in in_programme or not start <= change.on <= end:
            continue
        if partner is not None and change.client.organisation_id != partner.pk:
            continue
        if change.to_phase == Phase.CLOSED:
            continue
        for stage in STAGES:
            if PHASE_ORDER[change.to_phase] >= PHASE_ORDER[stage]:
                reached[stage].add(change.client_id)
    return {stage: len(reached[stage]) for stage in STAGES}


def expected_routes(programme, start, end) -> dict[str, tuple[int, int, int, int]]:
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for trajectory in programme.trajectories.select_related("route_type", "outcome"):
        if trajectory.closed_on is None or not start <= trajectory.closed_on <= end:
            continue
        row = figures[trajectory.route_type.code]
        row[0] += 1
        row[1] += trajectory.outcome.success
        service = [c.on for c in trajectory.phase_changes.all() if c.to_phase in SERVICE_PHASES]
        if service:
            row[2] += 1
            row[3] += (trajectory.closed_on - min(service)).days
    return {code: tuple(row) for code, row in figures.items()}


@pytest.fixture
def programme(world):
    programme = journeys.programme_save(
        actor=world["adviser"],
        organisation=world.own,
        code="prop",
        name="Property",
        starts_on=BASE,
        ends_on=BASE + datetime.timedelta(days=900),
    )
    ProgrammePartner.objects.create(programme=programme, organisation=world.other, name="Other")
    return programme


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=worlds())
def test_stages_never_grow_down_the_funnel_and_match_a_plain_count(world, programme, data):
    clients, start_days, length, partner_slug = data
    start = BASE + datetime.timedelta(days=start_days)
    end = start + datetime.timedelta(days=length)
    partner = {"own": world.own, "other": world.other, None: None}[partner_slug]
    with transaction.atomic():
        build(world, programme, clients)
        result = funnel(programme, start, end, partner)
        actual = [stage.actual for stage in result.stages]
        event(f"deepest stage reached: {sum(1 for a in actual if a)}")
        # "reached that phase or a later one": informed … aftercare never increases, and
        # without head counts sensitised is at least informed
        assert actual[1:] == sorted(actual[1:], reverse=True)
        assert actual[0] >= actual[1]
        assert {s.phase: s.persons for s in result.stages} == expected_persons(
            programme, start, end, partner
        )
        rate = result.start_rate
        assert (rate.numerator, rate.denominator) == (actual[5], actual[3])
        assert (rate.value is None) == (actual[3] == 0)
        if rate.value is not None:
            assert 0 <= rate.value <= 1

        routes = route_performance(world.own, start, end, programme=programme)
        expected = expected_routes(programme, start, end)
        got = {r.route: (r.closed, r.successful, r.with_duration, r.duration_days) for r in routes}
        event(f"closed in the period: {min(sum(r.closed for r in routes), 3)}+")
        assert {k: v for k, v in got.items() if v[0]} == expected
        for r in routes:
            if r.mean_duration_months is not None:
                mean = r.duration_days / r.with_duration / float(DAYS_PER_MONTH)
                assert abs(float(r.mean_duration_months) - mean) <= 0.05 + 1e-9
        transaction.set_rollback(True)
    assert not Trajectory.objects.exists()
