"""The trajectory state machine: whatever anyone tries, the history stays legal."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services
from opstap.journeys.models import CheckIn, PhaseChange, RouteType, Trajectory
from opstap.journeys.phases import Phase
from opstap.journeys.tests.factories import builtin_route

TODAY = datetime.date(2026, 6, 1)
START = datetime.date(2025, 1, 1)
ROUTE_CODES = ["starter", "established", "part_time", "stopping", "internship", "debt_counselling"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(services.timezone, "localdate", lambda: TODAY)


def assert_legal_history(trajectory: Trajectory) -> None:
    route = trajectory.route_type
    changes = list(trajectory.phase_changes.order_by("on", "id"))
    assert changes[0].from_phase == ""
    assert changes[0].to_phase in route.phases and changes[0].to_phase != Phase.CLOSED
    for before, after in zip(changes, changes[1:], strict=False):
        assert after.from_phase == before.to_phase
        assert after.to_phase in route.allowed_moves(before.to_phase)
        assert after.on >= before.on
    assert all(c.on <= TODAY for c in changes)
    last = changes[-1]
    assert trajectory.phase == last.to_phase and trajectory.phase_since == last.on
    assert (trajectory.phase == Phase.CLOSED) == (trajectory.outcome_id is not None)
    assert (trajectory.phase == Phase.CLOSED) == (trajectory.closed_on is not None)
    started = [c for c in changes if c.to_phase == Phase.STARTED]
    assert CheckIn.objects.filter(trajectory=trajectory).count() == (3 if started else 0)


moves = st.lists(
    st.tuples(
        st.sampled_from([p.value for p in Phase]),
        st.integers(min_value=-30, max_value=60),
        st.booleans(),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route_code=st.sampled_from(ROUTE_CODES), attempts=moves)
def test_random_moves_never_leave_an_illegal_history(world, route_code, attempts):
    route = builtin_route(route_code)
    client = ClientFactory(organisation=world.own)
    trajectory = services.trajectory_open(
        actor=world["adviser"], client=client, route_type=route, on=START
    )
    day = START
    for to_phase, step_days, with_outcome in attempts:
        on = day + datetime.timedelta(days=step_days)
        outcome = route.outcomes.order_by("?").first() if with_outcome else None
        try:
            services.trajectory_move(
                actor=world["adviser"],
                trajectory=trajectory,
                to_phase=to_phase,
                on=on,
                outcome=outcome,
            )
        except ValidationError:
            trajectory.refresh_from_db()
            continue
        day = on
        trajectory.refresh_from_db()
    assert_legal_history(trajectory)


@pytest.mark.django_db
def test_an_illegal_move_names_the_allowed_ones(world):
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own),
        route_type=builtin_route(),
        on=START,
    )
    with pytest.raises(ValidationError) as error:
        services.trajectory_move(actor=None, trajectory=trajectory, to_phase="started", on=START)
    message = error.value.message_dict["to_phase"][0]
    assert "Informed, Intake, Closed" in message
    assert PhaseChange.objects.filter(trajectory=trajectory).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("on", "code"),
    [
        (TODAY + datetime.timedelta(days=1), "move_in_future"),
        (START - datetime.timedelta(days=1), "move_before_previous"),
    ],
)
def test_backdating_is_bounded(world, on, code):
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own),
        route_type=builtin_route(),
        on=START,
    )
    with pytest.raises(ValidationError) as error:
        services.trajectory_move(actor=None, trajectory=trajectory, to_phase="informed", on=on)
    assert error.value.error_dict["on"][0].code == code


@pytest.mark.django_db
def test_closing_needs_an_outcome_of_the_same_route(world):
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own),
        route_type=builtin_route(),
        on=START,
    )
    with pytest.raises(ValidationError) as error:
        services.trajectory_move(actor=None, trajectory=trajectory, to_phase="closed", on=START)
    assert error.value.error_dict["outcome"][0].code == "outcome_required"
    foreign = builtin_route("stopping").outcomes.first()
    with pytest.raises(ValidationError) as error:
        services.trajectory_move(
            actor=None, trajectory=trajectory, to_phase="closed", on=START, outcome=foreign
        )
    assert error.value.error_dict["outcome"][0].code == "outcome_wrong_route"
    own = builtin_route().outcomes.get(code="dropped_out")
    services.trajectory_move(
        actor=None, trajectory=trajectory, to_phase="closed", on=START, outcome=own
    )
    trajectory.refresh_from_db()
    assert (trajectory.phase, trajectory.closed_on, trajectory.outcome) == ("closed", START, own)
    with pytest.raises(ValidationError):
        services.trajectory_move(actor=None, trajectory=trajectory, to_phase="intake", on=START)


@pytest.mark.django_db
def test_a_start_schedules_check_ins_at_6_12_and_24_months(world):
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own),
        route_type=builtin_route(),
        on=datetime.date(2025, 8, 31),
        phase="guidance",
    )
    services.trajectory_move(
        actor=None, trajectory=trajectory, to_phase="started", on=datetime.date(2025, 8, 31)
    )
    due = list(trajectory.check_ins.values_list("months_after_start", "due_on"))
    assert due == [
        (6, datetime.date(2026, 2, 28)),
        (12, datetime.date(2026, 8, 31)),
        (24, datetime.date(2027, 8, 31)),
    ]


@pytest.mark.django_db
def test_a_second_open_trajectory_in_the_same_route_is_refused(world):
    client = ClientFactory(organisation=world.own)
    services.trajectory_open(actor=None, client=client, route_type=builtin_route(), on=START)
    with pytest.raises(ValidationError) as error:
        services.trajectory_open(actor=None, client=client, route_type=builtin_route(), on=START)
    assert error.value.error_dict["route_type"][0].code == "open_in_same_route"


@pytest.mark.django_db
def test_a_stale_move_loses_the_race(world):
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own),
        route_type=builtin_route(),
        on=START,
    )
    stale = Trajectory.objects.get(pk=trajectory.pk)
    services.trajectory_move(actor=None, trajectory=trajectory, to_phase="informed", on=START)
    with pytest.raises(ValidationError) as error:
        # Someone else's screen still shows "outreach": "informed" is allowed from there.
        services.trajectory_move(actor=None, trajectory=stale, to_phase="intake", on=START)
    assert error.value.error_dict["to_phase"][0].code == "move_conflict"
    assert PhaseChange.objects.filter(trajectory=trajectory).count() == 2


@pytest.mark.django_db
def test_an_organisation_may_adapt_a_builtin_route(world):
    own_copy = RouteType.objects.create(
        organisation=world.own,
        code="starter",
        names={"en": "Our starters"},
        phases=["intake", "guidance", "closed"],
        transitions={"intake": ["guidance", "closed"]},
    )
    routes = RouteType.objects.for_organisation(world.own)
    assert own_copy in routes and builtin_route() not in routes
    assert builtin_route() in RouteType.objects.for_organisation(world.other)
