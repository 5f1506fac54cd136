from __future__ import annotations

import datetime

import pytest

from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import AuditEvent
from opstap.imports.base import CREATED, UNCHANGED, UPDATED
from opstap.imports.kinds.trajectories import (
    CLIENT_UNKNOWN,
    OUTCOME_UNKNOWN,
    PROGRAMME_UNKNOWN,
    ROUTE_UNKNOWN,
    STARTS_CLOSED,
)
from opstap.journeys.models import PhaseChange, RouteType, Trajectory
from opstap.journeys.services import (
    MOVE_NOT_ALLOWED,
    OPEN_IN_SAME_ROUTE,
    OUTCOME_ONLY_WHEN_CLOSING,
    OUTCOME_REQUIRED,
    PHASE_NOT_IN_ROUTE,
    programme_save,
    trajectory_open,
)

from .helpers import counts, csv_file, messages, run, xlsx_file

HEADER = ["client reference", "route", "programme code", "phase", "date", "outcome", "reason"]
# Deliberately out of order: the import sorts each client's events by date.
EVENTS = [
    ["MB-1", "starter", "azo", "intake", "2017-02-20", "", ""],
    ["MB-1", "starter", "azo", "outreach", "2017-01-12", "", "Koffieklets"],
    ["MB-2", "Starter", "azo", "intake", "03/04/2017", "", ""],
    ["MB-1", "starter", "azo", "informed", "2017-02-02", "", ""],
    ["MB-1", "starter", "azo", "guidance", "2017-03-01", "", ""],
    ["MB-2", "starter", "", "Afgesloten", "30/06/2017", "Werk in loondienst", "Vond werk"],
    ["MB-1", "starter", "azo", "started", "2017-09-15", "", ""],
]


@pytest.fixture
def people(world):
    programme_save(
        actor=None,
        organisation=world.own,
        code="azo",
        name="Project AZO!",
        starts_on=datetime.date(2016, 11, 1),
        ends_on=datetime.date(2018, 10, 31),
    )
    return {
        ref: ClientFactory(organisation=world.own, external_reference=ref)
        for ref in ("MB-1", "MB-2", "MB-3")
    }


def history(trajectory):
    return [(c.from_phase, c.to_phase, c.on.isoformat()) for c in trajectory.phase_changes.all()]


@pytest.mark.django_db
def test_trajectories_are_built_in_date_order_with_their_history(world, people):
    result = run("trajectories", csv_file([HEADER, *EVENTS]), world.own, actor=world["adviser"])
    assert result.committed, messages(result)
    assert (result.counts[CREATED], result.counts[UPDATED]) == (2, 5)

    amina = Trajectory.objects.get(client=people["MB-1"])
    assert amina.phase == "started" and amina.opened_on == datetime.date(2017, 1, 12)
    assert history(amina) == [
        ("", "outreach", "2017-01-12"),
        ("outreach", "informed", "2017-02-02"),
        ("informed", "intake", "2017-02-20"),
        ("intake", "guidance", "2017-03-01"),
        ("guidance", "started", "2017-09-15"),
    ]
    assert [p.code for p in amina.programmes.all()] == ["azo"]
    assert amina.phase_changes.first().reason == "Koffieklets"
    assert amina.check_ins.count() == 3  # the service scheduled the aftercare check-ins
    assert amina.phase_changes.filter(by=world["adviser"]).count() == 5

    yonas = Trajectory.objects.get(client=people["MB-2"])
    assert yonas.phase == "closed" and yonas.closed_on == datetime.date(2017, 6, 30)
    assert yonas.outcome.code == "employment"
    assert history(yonas) == [("", "intake", "2017-04-03"), ("intake", "closed", "2017-06-30")]
    assert AuditEvent.objects.filter(action="trajectory.move").count() == 5


@pytest.mark.django_db
def test_xlsx_events(world, people):
    rows = [
        ["Klant", "Traject", "Fase", "Datum"],
        ["MB-3", "starter", "Intake", datetime.datetime(2020, 1, 6)],
        ["MB-3", "starter", "Begeleiding", datetime.datetime(2020, 2, 3)],
    ]
    result = run("trajectories", xlsx_file(rows), world.own, filename="trajecten.xlsx")
    assert result.committed, messages(result)
    assert history(Trajectory.objects.get(client=people["MB-3"])) == [
        ("", "intake", "2020-01-06"),
        ("intake", "guidance", "2020-02-03"),
    ]


@pytest.mark.django_db
def test_importing_again_records_nothing_twice_and_new_events_continue(world, people):
    data = csv_file([HEADER, *EVENTS])
    run("trajectories", data, world.own)
    before = counts()
    again = run("trajectories", data, world.own)
    assert again.committed
    assert (again.counts[CREATED], again.counts[UPDATED], again.counts[UNCHANGED]) == (0, 0, 7)
    assert counts() == before

    more = [*EVENTS, ["MB-1", "starter", "azo", "aftercare", "2017-10-01", "", ""]]
    result = run("trajectories", csv_file([HEADER, *more]), world.own)
    assert (result.counts[CREATED], result.counts[UPDATED], result.counts[UNCHANGED]) == (0, 1, 7)
    assert Trajectory.objects.get(client=people["MB-1"]).phase == "aftercare"
    assert Trajectory.objects.count() == 2


@pytest.mark.django_db
def test_an_event_after_closed_opens_a_new_trajectory(world, people):
    rows = [
        ["MB-3", "starter", "", "intake", "2018-01-10", "", ""],
        ["MB-3", "starter", "", "closed", "2018-03-01", "dropped_out", ""],
        ["MB-3", "starter", "", "intake", "2019-05-01", "", ""],
        ["MB-3", "starter", "", "guidance", "2019-06-01", "", ""],
    ]
    result = run("trajectories", csv_file([HEADER, *rows]), world.own)
    assert result.committed, messages(result)
    first, second = Trajectory.objects.filter(client=people["MB-3"]).order_by("opened_on")
    assert (first.phase, first.outcome.code) == ("closed", "dropped_out")
    assert history(second) == [("", "intake", "2019-05-01"), ("intake", "guidance", "2019-06-01")]
    again = run("trajectories", csv_file([HEADER, *rows]), world.own)
    assert again.counts[UNCHANGED] == 4 and Trajectory.objects.count() == 2


@pytest.mark.django_db
def test_an_existing_trajectory_holding_the_first_event_is_reused(world, people):
    route = RouteType.objects.get(code="starter", organisation=None)
    trajectory_open(
        actor=world["adviser"],
        client=people["MB-3"],
        route_type=route,
        on=datetime.date(2021, 3, 1),
        phase="intake",
    )
    rows = [
        ["MB-3", "starter", "", "intake", "2021-03-01", "", ""],
        ["MB-3", "starter", "", "guidance", "2021-04-01", "", ""],
    ]
    result = run("trajectories", csv_file([HEADER, *rows]), world.own)
    assert (result.counts[UNCHANGED], result.counts[UPDATED]) == (1, 1)
    assert Trajectory.objects.get(client=people["MB-3"]).phase == "guidance"
    # An open trajectory whose history does not hold the file's first event: the service
    # refuses a second one in the same route.
    late = [["MB-3", "starter", "", "intake", "2021-02-01", "", ""]]
    result = run("trajectories", csv_file([HEADER, *late]), world.own)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "route", OPEN_IN_SAME_ROUTE)
    ]


@pytest.mark.django_db
def test_bad_events_are_all_reported_and_nothing_is_written(world, people):
    rows = [
        ["MB-9", "starter", "", "intake", "2017-01-01", "", ""],  # 2 unknown client
        ["MB-1", "rocket", "", "intake", "2017-01-01", "", ""],  # 3 unknown route
        ["MB-1", "starter", "nope", "intake", "2017-01-01", "", ""],  # 4 unknown programme
        ["MB-2", "stopping", "", "outreach", "2017-01-01", "", ""],  # 5 phase not in route
        ["MB-2", "starter", "", "intake", "2017-01-01", "employment", ""],  # 6 outcome too soon
        ["MB-3", "starter", "", "intake", "2017-01-01", "", ""],  # 7 fine
        ["MB-3", "starter", "", "closed", "2017-02-01", "", ""],  # 8 outcome missing
        ["MB-3", "internship", "", "intake", "2017-01-01", "", ""],  # 9 fine
        ["MB-3", "internship", "", "closed", "2017-02-01", "started_on_benefits", ""],  # 10
    ]
    before = counts()
    result = run("trajectories", csv_file([HEADER, *rows]), world.own)
    assert counts() == before
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "client reference", CLIENT_UNKNOWN),
        (3, "route", ROUTE_UNKNOWN),
        (4, "programme code", PROGRAMME_UNKNOWN),
        (5, "phase", PHASE_NOT_IN_ROUTE),
        (6, "outcome", OUTCOME_ONLY_WHEN_CLOSING),
        (8, "outcome", OUTCOME_REQUIRED),
        (10, "outcome", OUTCOME_UNKNOWN),
    ]


@pytest.mark.django_db
def test_moves_the_route_does_not_allow_are_reported_by_the_service(world, people):
    rows = [
        ["MB-1", "starter", "", "outreach", "2017-01-01", "", ""],
        ["MB-1", "starter", "", "started", "2017-02-01", "", ""],  # skips the route's phases
        ["MB-1", "starter", "", "aftercare", "2017-03-01", "", ""],  # not tried after that
        ["MB-2", "starter", "", "closed", "2017-02-01", "other", ""],
        ["MB-3", "starter", "", "intake", "2999-01-01", "", ""],
    ]
    result = run("trajectories", csv_file([HEADER, *rows]), world.own, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "phase"), (5, "phase"), (6, "date")]
    assert result.errors[0].message == MOVE_NOT_ALLOWED
    assert result.errors[1].message == STARTS_CLOSED
    assert Trajectory.objects.count() == 0 and PhaseChange.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_event_among_good_ones_imports_nothing(world, people):
    rows = [*EVENTS, ["MB-3", "starter", "", "intake", "31/31/2017", "", ""]]
    before = counts()
    result = run("trajectories", csv_file([HEADER, *rows]), world.own)
    assert [(e.row, e.column) for e in result.errors] == [(9, "date")]
    assert counts() == before


@pytest.mark.django_db
def test_dry_run_changes_nothing(world, people):
    before = counts()
    result = run("trajectories", csv_file([HEADER, *EVENTS]), world.own, dry_run=True)
    assert not result.errors and not result.committed
    assert (result.counts[CREATED], result.counts[UPDATED]) == (2, 5)
    assert counts() == before


@pytest.mark.django_db
def test_clients_of_another_organisation_are_not_found(world, people):
    ClientFactory(organisation=world.other, external_reference="NL-1")
    result = run(
        "trajectories",
        csv_file([HEADER, ["NL-1", "starter", "", "intake", "2020-01-01", "", ""]]),
        world.own,
    )
    assert [e.message for e in result.errors] == [CLIENT_UNKNOWN]
