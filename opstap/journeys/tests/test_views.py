from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from opstap.clients.tests.factories import ClientCoachFactory, ClientFactory
from opstap.core.models import AuditEvent, FileAccess
from opstap.journeys import services
from opstap.journeys.models import PhaseChange, Programme, Trajectory
from opstap.journeys.tests.factories import ProgrammeFactory, builtin_route

DAY = datetime.date(2026, 1, 10)
NO_PARTNERS_OR_FUNDERS = {
    "partners-TOTAL_FORMS": "0",
    "partners-INITIAL_FORMS": "0",
    "funders-TOTAL_FORMS": "0",
    "funders-INITIAL_FORMS": "0",
}


def open_trajectories(world, count, organisation=None):
    organisation = organisation or world.own
    return [
        services.trajectory_open(
            actor=None,
            client=ClientFactory(organisation=organisation),
            route_type=builtin_route(),
            on=DAY,
            phase=phase,
        )
        for phase in (["outreach", "informed", "intake", "guidance"] * count)[:count]
    ]


@pytest.mark.django_db
def test_board_shows_a_column_per_phase_with_the_cards(world, login):
    trajectories = open_trajectories(world, 4)
    html = login(world["adviser"]).get("/routes/board/").content.decode()
    for trajectory in trajectories:
        assert escape(trajectory.client.full_name) in html
    for label in [
        "Outreach (sensitised)",
        "Informed",
        "Intake",
        "Guidance",
        "Financing",
        "Started",
        "Aftercare",
    ]:
        assert label in html


@pytest.mark.django_db
def test_board_queries_do_not_grow_with_the_cards(world, login):
    http = login(world["adviser"])
    open_trajectories(world, 5)
    with CaptureQueriesContext(connection) as few:
        http.get("/routes/board/")
    open_trajectories(world, 80)
    with CaptureQueriesContext(connection) as many:
        http.get("/routes/board/")
    assert len(few) == len(many)


@pytest.mark.django_db
def test_moving_a_card_from_the_board_uses_the_service_and_returns_the_board(world, login):
    trajectory = open_trajectories(world, 1)[0]
    response = login(world["adviser"]).post(
        f"/routes/trajectories/{trajectory.pk}/move/?route={trajectory.route_type_id}",
        {"to_phase": "informed", "on": timezone.localdate().isoformat(), "from": "board"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="board"' in response.content.decode()
    trajectory.refresh_from_db()
    assert trajectory.phase == "informed"
    assert AuditEvent.objects.filter(
        action="trajectory.move", object_id=str(trajectory.pk)
    ).exists()


@pytest.mark.django_db
def test_an_illegal_move_from_the_board_says_why_and_changes_nothing(world, login):
    trajectory = open_trajectories(world, 1)[0]
    response = login(world["adviser"]).post(
        f"/routes/trajectories/{trajectory.pk}/move/",
        {"to_phase": "started", "on": timezone.localdate().isoformat(), "from": "board"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    trajectory.refresh_from_db()
    assert trajectory.phase == "outreach"
    assert PhaseChange.objects.filter(trajectory=trajectory).count() == 1


@pytest.mark.django_db
def test_opening_a_route_from_the_client_file(world, login):
    client = ClientFactory(organisation=world.own)
    programme = ProgrammeFactory(
        organisation=world.own, starts_on=DAY, ends_on=DAY.replace(year=2030)
    )
    response = login(world["adviser"]).post(
        f"/routes/clients/{client.pk}/open/",
        {"route_type": builtin_route().pk, "on": DAY.isoformat(), "programmes": [programme.pk]},
    )
    trajectory = Trajectory.objects.get(client=client)
    assert response.status_code == 302
    assert list(trajectory.programmes.all()) == [programme]
    detail = login(world["adviser"]).get(f"/clients/{client.pk}/").content.decode()
    assert f"/routes/trajectories/{trajectory.pk}/" in detail


@pytest.mark.django_db
def test_closing_on_the_trajectory_page_without_outcome_is_refused(world, login):
    trajectory = open_trajectories(world, 1)[0]
    http = login(world["adviser"])
    http.post(
        f"/routes/trajectories/{trajectory.pk}/move/", {"to_phase": "closed", "on": DAY.isoformat()}
    )
    trajectory.refresh_from_db()
    assert trajectory.phase == "outreach"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "board", "detail", "move"),
    [
        ("adviser", 200, 200, 302),
        ("org_admin", 200, 200, 302),
        ("job_coach", 200, 200, 302),
        ("loan_officer", 200, 200, 403),
        ("committee", 200, 200, 403),
        ("programme_manager", 200, 200, 403),
        ("volunteer", 404, 404, 404),
        ("auditor", 404, 404, 404),
    ],
)
def test_who_sees_and_moves_trajectories(world, login, role, board, detail, move):
    trajectory = open_trajectories(world, 1)[0]
    http = login(world[role])
    assert http.get("/routes/board/").status_code == board
    assert http.get(f"/routes/trajectories/{trajectory.pk}/").status_code == detail
    response = http.post(
        f"/routes/trajectories/{trajectory.pk}/move/",
        {"to_phase": "informed", "on": DAY.isoformat()},
    )
    assert response.status_code == move
    trajectory.refresh_from_db()
    assert trajectory.phase == ("informed" if move == 302 else "outreach")


@pytest.mark.django_db
def test_a_volunteer_sees_the_trajectory_of_an_assigned_client_only(world, login):
    mine, other = open_trajectories(world, 2)
    ClientCoachFactory(client=mine.client, coach=world["volunteer"])
    http = login(world["volunteer"])
    assert http.get(f"/routes/trajectories/{mine.pk}/").status_code == 200
    assert http.get(f"/routes/trajectories/{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_another_organisations_trajectory_answers_404(world, login):
    theirs = open_trajectories(world, 1, organisation=world.other)[0]
    http = login(world["adviser"])
    assert http.get(f"/routes/trajectories/{theirs.pk}/").status_code == 404
    assert (
        http.post(
            f"/routes/trajectories/{theirs.pk}/move/",
            {"to_phase": "informed", "on": DAY.isoformat()},
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_programme_set_up_by_the_programme_manager(world, login):
    http = login(world["programme_manager"])
    response = http.post(
        "/routes/programmes/new/",
        {
            "code": "azo",
            "name": "Project AZO!",
            "starts_on": "2016-11-01",
            "ends_on": "2018-10-31",
            "start_rate_target": "20",
            "target_outreach": "1750",
            "target_informed": "1150",
            "target_intake": "600",
            "target_guidance": "400",
            **NO_PARTNERS_OR_FUNDERS,
        },
    )
    assert response.status_code == 302
    programme = Programme.objects.get(code="azo")
    assert str(programme.start_rate_target) == "0.2000"
    assert dict(programme.phase_targets.values_list("phase", "target")) == {
        "outreach": 1750,
        "informed": 1150,
        "intake": 600,
        "guidance": 400,
    }
    assert login(world["adviser"]).get("/routes/programmes/").status_code == 404
    bad = http.post(
        "/routes/programmes/new/",
        {
            "code": "x",
            "name": "X",
            "starts_on": "2018-01-01",
            "ends_on": "2017-01-01",
            **NO_PARTNERS_OR_FUNDERS,
        },
    )
    assert "cannot be before its start" in bad.content.decode()


@pytest.mark.django_db
def test_programme_partners_and_funders_are_kept_with_the_programme(world, login):
    http = login(world["org_admin"])
    data = {
        "code": "azo",
        "name": "Project AZO!",
        "starts_on": "2016-11-01",
        "ends_on": "2018-10-31",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "0",
        "partners-0-organisation": world.other.pk,
        "partners-0-name": "",
        "partners-1-organisation": "",
        "partners-1-name": "VDAB",
        "funders-TOTAL_FORMS": "1",
        "funders-INITIAL_FORMS": "0",
        "funders-0-name": "ESF Vlaanderen",
        "funders-0-kind": "esf",
    }
    assert http.post("/routes/programmes/new/", data).status_code == 302
    programme = Programme.objects.get(code="azo")
    assert sorted(programme.partners.values_list("name", flat=True)) == [
        "Gemeente Emmerveen",
        "VDAB",
    ]
    assert list(programme.funders.values_list("name", "kind")) == [("ESF Vlaanderen", "esf")]
    # The partner organisation sees the programme (read), its members cannot edit it.
    other = login(world.other_adviser)
    assert other.get(f"/routes/programmes/{programme.pk}/edit/").status_code == 404


@pytest.mark.django_db
def test_a_new_performance_agreement_ends_the_previous_one(world, login):
    from opstap.journeys.models import PerformanceTarget

    http = login(world["programme_manager"])
    for rate, start in (("40", "2024-01-01"), ("45", "2026-01-01")):
        response = http.post(
            "/routes/performance-targets/",
            {
                "route_code": "starter",
                "success_rate": rate,
                "valid_from": start,
                "mean_duration_months": "36",
                "description": "Starters from welfare",
            },
        )
        assert response.status_code == 302
    first, second = PerformanceTarget.objects.order_by("valid_from")
    assert first.valid_to == datetime.date(2025, 12, 31) and second.valid_to is None
    assert str(second.success_rate) == "0.4500"
    assert login(world["adviser"]).get("/routes/performance-targets/").status_code == 404


@pytest.mark.django_db
def test_a_refused_move_shows_its_errors_beside_the_fields_and_keeps_what_was_typed(world, login):
    """Issue 9: not a banner after a reload that glues ".;" and forgets the note."""
    trajectory = open_trajectories(world, 1)[0]
    http = login(world["adviser"])
    http.cookies["django_language"] = "nl"
    response = http.post(
        f"/routes/trajectories/{trajectory.pk}/move/",
        {"to_phase": "informed", "on": "", "reason": "Belde na de infosessie"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_on_error"' in page and 'aria-invalid="true"' in page
    assert "Belde na de infosessie" in page  # the note as typed
    assert '<option value="informed" selected>' in page  # the phase as chosen
    errors = response.context["move_form"].errors["on"]
    assert errors == ["Vul “Datum” in."]
    assert ".;" not in page
    trajectory.refresh_from_db()
    assert trajectory.phase == "outreach"
    # The page shown again shows the file: its read is logged like the page's own.
    assert FileAccess.objects.filter(client=trajectory.client, user=world["adviser"]).exists()
