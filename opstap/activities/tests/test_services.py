"""The activity services: validation, capacity and the wait list, attendance, leads, rates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opstap.activities import services
from opstap.activities.models import Activity, OutreachCount, Registration
from opstap.activities.tests.factories import (
    ActivityFactory,
    ProgrammeFactory,
    RegistrationFactory,
    SeriesFactory,
    at,
    days_from_today,
    partner_in,
)
from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.models import AuditEvent
from opstap.journeys import services as journey_services
from opstap.journeys.models import PhaseChange, RouteOutcome, RouteType, Trajectory

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def starter() -> RouteType:
    return RouteType.objects.get(organisation=None, code="starter")


def open_starter(client, *, phase="outreach", on=None, actor=None):
    return journey_services.trajectory_open(
        actor=actor,
        client=client,
        route_type=starter(),
        on=on or timezone.localdate() - datetime.timedelta(days=30),
        phase=phase,
    )


def new_activity(world, **fields):
    values = {
        "actor": world["adviser"],
        "organisation": world.own,
        "kind": "info_session",
        "title": "Ondernemen in Brussel",
        "starts_at": days_from_today(3, 18),
        "ends_at": days_from_today(3, 20),
        **fields,
    }
    return services.activity_create(**values)


# --- activities --------------------------------------------------------------------------


def test_activity_create_links_own_and_partner_programmes_and_is_audited(world):
    own = ProgrammeFactory(organisation=world.own, code="azo")
    theirs = ProgrammeFactory(organisation=world.other, code="drentse-zaak")
    partner_in(theirs, world.own)
    series = SeriesFactory(organisation=world.own)
    activity = new_activity(
        world,
        kind="workshop",
        capacity=12,
        facilitator=world["volunteer"],
        programmes=[own, theirs],
        series=series,
        language="fr",
        external_reference="IMP-1",
    )
    assert set(activity.programmes.all()) == {own, theirs}
    assert (activity.capacity, activity.series, activity.language) == (12, series, "fr")
    event = AuditEvent.objects.get(action="activity.create")
    assert event.organisation == world.own
    assert event.changes["programmes"] == [None, ["azo", "drentse-zaak"]]


def test_activity_create_refuses_what_does_not_fit_and_writes_nothing(world):
    stranger = ProgrammeFactory(organisation=world.other, code="not-ours")
    ActivityFactory(organisation=world.own, external_reference="IMP-1")
    with pytest.raises(ValidationError) as caught:
        new_activity(
            world,
            title="  ",
            starts_at=days_from_today(3, 18),
            ends_at=days_from_today(3, 17),
            capacity=-1,
            programmes=[stranger],
            facilitator=world.other_adviser,
            series=SeriesFactory(organisation=world.other),
            language="xx",
            external_reference="IMP-1",
        )
    assert codes(caught.value) == {
        "title": ["title_required"],
        "ends_at": ["end_before_start"],
        "capacity": ["capacity_negative"],
        "programmes": ["programme_not_available"],
        "facilitator": ["facilitator_not_member"],
        "series": ["series_other_org"],
        "language": ["language_unknown"],
        "external_reference": ["external_reference_taken"],
    }
    assert Activity.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_an_auditor_cannot_be_the_facilitator(world):
    with pytest.raises(ValidationError) as caught:
        new_activity(world, facilitator=world["auditor"])
    assert codes(caught.value) == {"facilitator": ["facilitator_not_member"]}


def test_external_reference_is_unique_per_organisation_only(world):
    ActivityFactory(organisation=world.other, external_reference="IMP-1")
    assert new_activity(world, external_reference="IMP-1").external_reference == "IMP-1"


def test_kind_cannot_switch_to_outreach_once_people_are_registered(world):
    activity = new_activity(world)
    RegistrationFactory(activity=activity, client=ClientFactory(organisation=world.own))
    with pytest.raises(ValidationError) as caught:
        services.activity_update(
            actor=world["adviser"],
            activity=activity,
            kind="outreach",
            title=activity.title,
            starts_at=activity.starts_at,
            ends_at=activity.ends_at,
        )
    assert codes(caught.value) == {"kind": ["kind_locked"]}


def test_more_places_promote_the_wait_list_in_order(world):
    activity = new_activity(world, capacity=1)
    people = [ClientFactory(organisation=world.own) for _ in range(4)]
    for client in people:
        services.registration_add(actor=world["adviser"], activity=activity, client=client)
    services.activity_update(
        actor=world["adviser"],
        activity=activity,
        kind=activity.kind,
        title=activity.title,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        capacity=3,
    )
    statuses = dict(activity.registrations.values_list("client_id", "status"))
    assert [statuses[c.pk] for c in people] == [
        "registered",
        "registered",
        "registered",
        "waitlisted",
    ]
    assert AuditEvent.objects.filter(action="registration.promote").count() == 2
    update = AuditEvent.objects.get(action="activity.update")
    assert update.changes["capacity"] == [1, 3]


# --- registrations and the wait list ----------------------------------------------------


def test_over_capacity_goes_to_the_wait_list_with_its_place_in_the_message(world):
    activity = new_activity(world, capacity=2)
    people = [ClientFactory(organisation=world.own, first_name=f"P{i}") for i in range(4)]
    added = [
        services.registration_add(actor=world["adviser"], activity=activity, client=c)
        for c in people
    ]
    assert [r.status for r in added] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert services.registration_message(added[0]) == f"{people[0].full_name} is registered."
    assert services.registration_message(added[3]) == (
        f"The activity is full: {people[3].full_name} is on the wait list, number 2. "
        "They move up when a place comes free."
    )
    assert [services.wait_list_position(r) for r in added] == [None, None, 1, 2]


def test_zero_places_puts_everyone_on_the_wait_list(world):
    activity = new_activity(world, capacity=0)
    registration = services.registration_add(
        actor=world["adviser"], activity=activity, client=ClientFactory(organisation=world.own)
    )
    assert registration.status == "waitlisted"


def test_no_capacity_means_no_limit(world):
    activity = new_activity(world, capacity=None)
    for _ in range(30):
        services.registration_add(
            actor=world["adviser"], activity=activity, client=ClientFactory(organisation=world.own)
        )
    assert activity.registrations.registered().count() == 30


@pytest.mark.parametrize("status", ["registered", "waitlisted"])
def test_registering_twice_is_refused(world, status):
    activity = new_activity(world, capacity=0 if status == "waitlisted" else None)
    client = ClientFactory(organisation=world.own)
    services.registration_add(actor=world["adviser"], activity=activity, client=client)
    with pytest.raises(ValidationError) as caught:
        services.registration_add(actor=world["adviser"], activity=activity, client=client)
    assert codes(caught.value) == {"client": ["already_registered"]}
    assert Registration.objects.count() == 1


def test_a_client_of_another_organisation_cannot_be_registered(world):
    activity = new_activity(world)
    with pytest.raises(ValidationError) as caught:
        services.registration_add(
            actor=world["adviser"],
            activity=activity,
            client=ClientFactory(organisation=world.other),
        )
    assert codes(caught.value) == {"client": ["client_other_org"]}


def test_nobody_registers_for_an_outreach_action(world):
    activity = new_activity(world, kind="outreach")
    with pytest.raises(ValidationError) as caught:
        services.registration_add(
            actor=world["adviser"], activity=activity, client=ClientFactory(organisation=world.own)
        )
    assert caught.value.code == "registration_for_outreach"


def test_cancelling_frees_the_place_for_the_first_on_the_wait_list(world):
    activity = new_activity(world, capacity=1)
    first, second, third = (ClientFactory(organisation=world.own) for _ in range(3))
    taken = services.registration_add(actor=world["adviser"], activity=activity, client=first)
    services.registration_add(actor=world["adviser"], activity=activity, client=second)
    services.registration_add(actor=world["adviser"], activity=activity, client=third)

    promoted = services.registration_cancel(actor=world["adviser"], registration=taken)

    assert promoted is not None and promoted.client == second
    statuses = dict(activity.registrations.values_list("client_id", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "registered", third.pk: "waitlisted"}
    cancel = AuditEvent.objects.get(action="registration.cancel")
    promote = AuditEvent.objects.get(action="registration.promote")
    assert (cancel.client, promote.client) == (first, second)
    assert promote.changes == {"status": ["waitlisted", "registered"]}


def test_leaving_the_wait_list_promotes_nobody(world):
    activity = new_activity(world, capacity=1)
    a, b, c = (ClientFactory(organisation=world.own) for _ in range(3))
    for client in (a, b, c):
        services.registration_add(actor=world["adviser"], activity=activity, client=client)
    waiting = Registration.objects.get(activity=activity, client=b)
    assert services.registration_cancel(actor=world["adviser"], registration=waiting) is None
    statuses = dict(activity.registrations.values_list("client_id", "status"))
    assert statuses == {a.pk: "registered", b.pk: "cancelled", c.pk: "waitlisted"}


def test_cancelling_twice_or_after_attendance_is_refused(world):
    activity = new_activity(
        world, starts_at=days_from_today(-1, 18), ends_at=days_from_today(-1, 20)
    )
    one, two = (ClientFactory(organisation=world.own) for _ in range(2))
    r1 = services.registration_add(actor=world["adviser"], activity=activity, client=one)
    r2 = services.registration_add(actor=world["adviser"], activity=activity, client=two)
    services.registration_cancel(actor=world["adviser"], registration=r1)
    with pytest.raises(ValidationError) as caught:
        services.registration_cancel(actor=world["adviser"], registration=r1)
    assert caught.value.code == "already_cancelled"
    services.attendance_record(actor=world["adviser"], activity=activity, marks={r2.pk: "absent"})
    with pytest.raises(ValidationError) as caught:
        services.registration_cancel(actor=world["adviser"], registration=r2)
    assert caught.value.code == "cancel_after_attendance"


def test_registering_again_after_cancelling_reuses_the_row(world):
    activity = new_activity(world, capacity=1)
    client = ClientFactory(organisation=world.own)
    first = services.registration_add(actor=world["adviser"], activity=activity, client=client)
    services.registration_cancel(actor=world["adviser"], registration=first)
    again = services.registration_add(actor=world["adviser"], activity=activity, client=client)
    assert (again.pk, again.status) == (first.pk, "registered")


# --- attendance ---------------------------------------------------------------------------


def session(world, *, kind="info_session", days=-2, programmes=(), capacity=None):
    return new_activity(
        world,
        kind=kind,
        starts_at=days_from_today(days, 18),
        ends_at=days_from_today(days, 20),
        programmes=programmes,
        capacity=capacity,
    )


def register(world, activity, *clients):
    return [
        services.registration_add(actor=world["adviser"], activity=activity, client=c)
        for c in clients
    ]


def test_attendance_for_the_whole_list_in_one_call(world):
    activity = session(world, kind="workshop")
    clients = [ClientFactory(organisation=world.own) for _ in range(5)]
    regs = register(world, activity, *clients)
    marks = dict(
        zip(
            [r.pk for r in regs],
            ["present", "present", "excused", "absent", "present"],
            strict=True,
        )
    )
    result = services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)
    assert result == services.AttendanceResult(changed=5)
    assert dict(activity.registrations.values_list("pk", "attendance")) == marks
    events = AuditEvent.objects.filter(action="registration.attendance")
    assert events.count() == 5
    assert {e.client_id for e in events} == {c.pk for c in clients}
    # The same marks again change nothing and write no event.
    again = services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)
    assert again.changed == 0
    assert AuditEvent.objects.filter(action="registration.attendance").count() == 5
    # Rows left out stay as they are.
    services.attendance_record(
        actor=world["adviser"], activity=activity, marks={regs[3].pk: "excused"}
    )
    assert activity.registrations.get(pk=regs[0].pk).attendance == "present"
    assert activity.registrations.get(pk=regs[3].pk).attendance == "excused"


def test_attendance_is_all_or_nothing(world):
    activity = session(world, kind="workshop")
    regs = register(world, activity, *(ClientFactory(organisation=world.own) for _ in range(3)))
    elsewhere = RegistrationFactory(
        activity=session(world, kind="workshop"), client=ClientFactory(organisation=world.own)
    )
    marks = {regs[0].pk: "present", regs[1].pk: "absent", elsewhere.pk: "present"}
    with pytest.raises(ValidationError) as caught:
        services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)
    assert codes(caught.value) == {"attendance": ["attendance_unknown_registration"]}
    assert set(Registration.objects.values_list("attendance", flat=True)) == {""}
    with pytest.raises(ValidationError) as caught:
        services.attendance_record(
            actor=world["adviser"], activity=activity, marks={regs[0].pk: "late"}
        )
    assert codes(caught.value) == {"attendance": ["attendance_invalid"]}
    assert not AuditEvent.objects.filter(action="registration.attendance").exists()


def test_a_failing_route_move_rolls_back_the_whole_attendance(world, monkeypatch):
    activity = session(world)
    a, b = (ClientFactory(organisation=world.own) for _ in range(2))
    open_starter(a)
    open_starter(b)
    regs = register(world, activity, a, b)

    calls = []

    def failing_move(**kwargs):
        calls.append(kwargs["trajectory"].client_id)
        if len(calls) == 2:
            raise ValidationError({"to_phase": ValidationError("conflict", code="move_conflict")})
        return original(**kwargs)

    original = journey_services.trajectory_move
    monkeypatch.setattr(journey_services, "trajectory_move", failing_move)
    with pytest.raises(ValidationError):
        services.attendance_record(
            actor=world["adviser"],
            activity=activity,
            marks={r.pk: "present" for r in regs},
        )
    assert len(calls) == 2
    assert set(Registration.objects.values_list("attendance", "route_applied")) == {("", False)}
    assert set(Trajectory.objects.values_list("phase", flat=True)) == {"outreach"}
    assert not PhaseChange.objects.filter(to_phase="informed").exists()


def test_attendance_waits_for_the_day_of_the_activity(world):
    activity = session(world, days=1)
    (reg,) = register(world, activity, ClientFactory(organisation=world.own))
    with pytest.raises(ValidationError) as caught:
        services.attendance_record(
            actor=world["adviser"], activity=activity, marks={reg.pk: "present"}
        )
    assert codes(caught.value) == {"__all__": ["attendance_too_early"]}


def test_attendance_is_possible_on_the_day_itself(world):
    today = timezone.localdate()
    activity = new_activity(world, starts_at=at(today, 23, 0), ends_at=at(today, 23, 30))
    (reg,) = register(world, activity, ClientFactory(organisation=world.own))
    result = services.attendance_record(
        actor=world["adviser"], activity=activity, marks={reg.pk: "present"}
    )
    assert result.changed == 1


def test_someone_from_the_wait_list_who_came_is_registered(world):
    activity = session(world, kind="workshop", capacity=1)
    regs = register(world, activity, *(ClientFactory(organisation=world.own) for _ in range(2)))
    assert regs[1].status == "waitlisted"
    services.attendance_record(
        actor=world["adviser"], activity=activity, marks={regs[1].pk: "present"}
    )
    assert Registration.objects.get(pk=regs[1].pk).status == "registered"


def test_information_session_moves_opens_or_leaves_starter_routes_exactly_once(world):
    azo = ProgrammeFactory(organisation=world.own, code="azo")
    activity = session(world, programmes=[azo])
    day = activity.day
    in_outreach = ClientFactory(organisation=world.own, last_name="Outreach")
    without_route = ClientFactory(organisation=world.own, last_name="Nothing")
    further = ClientFactory(organisation=world.own, last_name="Intake")
    closed_before = ClientFactory(organisation=world.own, last_name="Closed")
    absent = ClientFactory(organisation=world.own, last_name="Absent")
    open_starter(in_outreach)
    open_starter(further, phase="intake")
    old = open_starter(closed_before)
    journey_services.trajectory_move(
        actor=None,
        trajectory=old,
        to_phase="closed",
        on=day - datetime.timedelta(days=5),
        outcome=RouteOutcome.objects.get(route_type=starter(), code="dropped_out"),
    )
    open_starter(absent)
    regs = register(world, activity, in_outreach, without_route, further, closed_before, absent)
    marks = {r.pk: "present" for r in regs[:4]} | {regs[4].pk: "absent"}

    result = services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)

    assert (result.moved, result.opened, result.skipped) == (1, 2, 0)
    open_routes = {t.client_id: t for t in Trajectory.objects.filter(closed_on__isnull=True)}
    assert open_routes[in_outreach.pk].phase == "informed"
    assert open_routes[in_outreach.pk].phase_since == day
    assert open_routes[without_route.pk].phase == "informed"
    assert open_routes[without_route.pk].opened_on == day
    assert list(open_routes[without_route.pk].programmes.all()) == [azo]
    assert open_routes[closed_before.pk].phase == "informed"  # a new route after the closed one
    assert open_routes[further.pk].phase == "intake"
    assert open_routes[absent.pk].phase == "outreach"
    informed = PhaseChange.objects.filter(to_phase="informed")
    assert sorted(informed.values_list("client_id", flat=True)) == sorted(
        [in_outreach.pk, without_route.pk, closed_before.pk]
    )
    assert set(informed.values_list("on", flat=True)) == {day}

    # Saved again, corrected (present → absent → present), later present: never twice.
    services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)
    services.attendance_record(
        actor=world["adviser"], activity=activity, marks={regs[0].pk: "absent"}
    )
    services.attendance_record(
        actor=world["adviser"], activity=activity, marks={regs[0].pk: "present"}
    )
    # Even when the adviser closes the route opened here, saving again opens none.
    journey_services.trajectory_move(
        actor=None,
        trajectory=open_routes[without_route.pk],
        to_phase="closed",
        on=timezone.localdate(),
        outcome=RouteOutcome.objects.get(route_type=starter(), code="dropped_out"),
    )
    services.attendance_record(actor=world["adviser"], activity=activity, marks=marks)
    assert PhaseChange.objects.filter(to_phase="informed").count() == 3
    assert Trajectory.objects.filter(client=without_route).count() == 1

    # The absent mark was a mistake: corrected to present, moved then, once.
    services.attendance_record(
        actor=world["adviser"], activity=activity, marks={regs[4].pk: "present"}
    )
    assert Trajectory.objects.get(client=absent).phase == "informed"
    assert PhaseChange.objects.filter(to_phase="informed").count() == 4


def test_a_lead_noted_after_the_session_is_moved_on_its_own_date(world):
    activity = session(world, days=-10)
    client = ClientFactory(organisation=world.own)
    noted = timezone.localdate() - datetime.timedelta(days=3)
    open_starter(client, on=noted)
    (reg,) = register(world, activity, client)
    services.attendance_record(actor=world["adviser"], activity=activity, marks={reg.pk: "present"})
    trajectory = Trajectory.objects.get(client=client)
    assert (trajectory.phase, trajectory.phase_since) == ("informed", noted)


@pytest.mark.parametrize("kind", ["workshop", "coffee_chat", "partner_event"])
def test_other_kinds_leave_the_routes_alone(world, kind):
    activity = session(world, kind=kind)
    client = ClientFactory(organisation=world.own)
    open_starter(client)
    (reg,) = register(world, activity, client)
    result = services.attendance_record(
        actor=world["adviser"], activity=activity, marks={reg.pk: "present"}
    )
    assert (result.moved, result.opened) == (0, 0)
    assert Trajectory.objects.get(client=client).phase == "outreach"


def test_outreach_actions_have_no_attendance(world):
    activity = session(world, kind="outreach")
    with pytest.raises(ValidationError) as caught:
        services.attendance_record(actor=world["adviser"], activity=activity, marks={})
    assert caught.value.error_dict["__all__"][0].code == "attendance_for_outreach"


# --- outreach: head counts and leads ------------------------------------------------------


def test_head_counts_are_positive_and_only_for_outreach(world):
    outreach = session(world, kind="outreach")
    count = services.outreach_count_record(
        actor=world["volunteer"],
        activity=outreach,
        neighbourhood=" Kuregem ",
        channel="shop_visit",
        people_reached=14,
    )
    assert (count.neighbourhood, count.people_reached) == ("Kuregem", 14)
    with pytest.raises(ValidationError) as caught:
        services.outreach_count_record(
            actor=None, activity=outreach, neighbourhood="", channel="pigeon", people_reached=0
        )
    assert codes(caught.value) == {
        "channel": ["channel_unknown"],
        "people_reached": ["count_not_positive"],
    }
    with pytest.raises(ValidationError) as caught:
        services.outreach_count_record(
            actor=None,
            activity=session(world),
            neighbourhood="",
            channel="street",
            people_reached=3,
        )
    assert codes(caught.value) == {"__all__": ["count_not_outreach"]}


def test_several_head_counts_are_recorded_together_or_not_at_all(world):
    outreach = session(world, kind="outreach")
    rows = [
        {"neighbourhood": "Kuregem", "channel": "street", "people_reached": 20},
        {"neighbourhood": "Kuregem", "channel": "coffee_chat", "people_reached": 0},
    ]
    with pytest.raises(ValidationError):
        services.outreach_counts_record(actor=world["adviser"], activity=outreach, rows=rows)
    assert not OutreachCount.objects.exists()
    rows[1]["people_reached"] = 6
    services.outreach_counts_record(actor=world["adviser"], activity=outreach, rows=rows)
    assert sum(OutreachCount.objects.values_list("people_reached", flat=True)) == 26
    assert AuditEvent.objects.filter(action="outreach_count.record").count() == 2


def test_a_lead_gets_a_file_without_birth_date_and_a_starter_route_in_outreach(world):
    azo = ProgrammeFactory(organisation=world.own, code="azo")
    activity = new_activity(
        world,
        kind="outreach",
        neighbourhood="Kuregem",
        starts_at=days_from_today(-1, 14),
        ends_at=days_from_today(-1, 17),
        programmes=[azo],
    )
    client = services.lead_create(
        actor=world["adviser"],
        activity=activity,
        first_name=" Samira ",
        last_name="Benali",
        phone="0470 12 34 56",
        preferred_language="ar",
    )
    client = Client.objects.get(pk=client.pk)
    assert (client.birth_date, client.phone, client.preferred_language, client.languages) == (
        None,
        "0470 12 34 56",
        "ar",
        ["ar"],
    )
    assert (client.first_name, client.neighbourhood) == ("Samira", "Kuregem")
    trajectory = Trajectory.objects.get(client=client)
    assert (trajectory.route_type.code, trajectory.phase, trajectory.opened_on) == (
        "starter",
        "outreach",
        activity.day,
    )
    assert list(trajectory.programmes.all()) == [azo]
    lead = Registration.objects.get(activity=activity)
    assert (lead.client, lead.attendance, lead.route_applied) == (client, "present", True)
    actions = set(AuditEvent.objects.filter(client=client).values_list("action", flat=True))
    assert actions == {"client.create", "trajectory.open", "activity.lead_create"}


def test_a_second_lead_with_the_same_name_needs_a_reason(world):
    activity = session(world, kind="outreach", days=0)
    first = services.lead_create(
        actor=world["adviser"], activity=activity, first_name="Jan", last_name="Peeters"
    )
    with pytest.raises(ValidationError) as caught:
        services.lead_create(
            actor=world["adviser"], activity=activity, first_name="Jan", last_name="Peeters"
        )
    assert codes(caught.value) == {"__all__": ["possible_duplicate"]}
    assert Client.objects.count() == 1 and Trajectory.objects.count() == 1
    second = services.lead_create(
        actor=world["adviser"],
        activity=activity,
        first_name="Jan",
        last_name="Peeters",
        duplicate_override_reason="Father and son, both called Jan",
    )
    assert second.pk != first.pk


def test_leads_only_at_an_outreach_action_that_has_started(world):
    with pytest.raises(ValidationError) as caught:
        services.lead_create(
            actor=world["adviser"], activity=session(world), first_name="A", last_name="B"
        )
    assert codes(caught.value) == {"__all__": ["lead_not_outreach"]}
    with pytest.raises(ValidationError) as caught:
        services.lead_create(
            actor=world["adviser"],
            activity=session(world, kind="outreach", days=2),
            first_name="",
            last_name="B",
        )
    assert codes(caught.value) == {
        "__all__": ["lead_before_activity"],
        "first_name": ["lead_name_required"],
    }
    assert not Client.objects.exists()


# --- series --------------------------------------------------------------------------------


def test_series_attendance_rates_on_known_data(world):
    series = SeriesFactory(organisation=world.own, planned_sessions=9)
    sessions = [
        ActivityFactory(
            organisation=world.own,
            kind="workshop",
            series=series,
            starts_at=days_from_today(offset, 18),
        )
        for offset in (-21, -14, -7, 7)
    ]
    ActivityFactory(organisation=world.own, kind="workshop")  # not in the series
    ann, bob, cas, dee, eve = (
        ClientFactory(organisation=world.own, last_name=name)
        for name in ("Aerts", "Bogaerts", "Claes", "Dewit", "Evers")
    )

    def mark(client, marks):
        for activity, attendance in zip(sessions, marks, strict=False):
            if attendance is not None:
                RegistrationFactory(activity=activity, client=client, attendance=attendance)

    mark(ann, ["present", "present", "present", ""])
    mark(bob, ["present", "excused", "present", ""])
    mark(cas, [None, None, "present", ""])  # joined for the third session
    mark(dee, [None, None, None, ""])  # only registered for the coming one
    RegistrationFactory(activity=sessions[0], client=eve, status="cancelled")

    rates = services.series_attendance_rates(series)

    assert rates.held == 3
    table = [
        (r.client.last_name, r.attended, r.excused, r.absent, r.rate, r.percent)
        for r in rates.participants
    ]
    assert table == [
        ("Aerts", 3, 0, 0, Decimal("1.0000"), 100),
        ("Bogaerts", 2, 1, 0, Decimal("0.6667"), 67),
        ("Claes", 1, 0, 0, Decimal("0.3333"), 33),
        ("Dewit", 0, 0, 0, Decimal("0.0000"), 0),
    ]


def test_a_series_that_has_not_started_has_no_rate(world):
    series = SeriesFactory(organisation=world.own)
    activity = ActivityFactory(
        organisation=world.own, series=series, starts_at=days_from_today(3, 18)
    )
    RegistrationFactory(activity=activity, client=ClientFactory(organisation=world.own))
    rates = services.series_attendance_rates(series)
    assert rates.held == 0
    assert [(r.rate, r.percent) for r in rates.participants] == [(None, None)]


def test_series_create_checks_its_fields(world):
    with pytest.raises(ValidationError) as caught:
        services.series_create(
            actor=world["adviser"], organisation=world.own, title=" ", planned_sessions=0
        )
    assert codes(caught.value) == {
        "title": ["series_title_required"],
        "planned_sessions": ["series_sessions"],
    }


def test_activate_helper_gives_the_services_a_membership(world):
    # Commands and imports call the services without a request: visible_to needs activate().
    user = world["adviser"]
    activate(user, world.own)
    ActivityFactory(organisation=world.own)
    ActivityFactory(organisation=world.other)
    assert Activity.objects.visible_to(user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_do_not_both_get_it(world):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite already serialises every write transaction")
    import threading

    activity = new_activity(world, capacity=1)
    racers = [ClientFactory(organisation=world.own) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def register_one(client) -> None:
        try:
            barrier.wait()
            services.registration_add(
                actor=None, activity=Activity.objects.get(pk=activity.pk), client=client
            )
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register_one, args=(c,)) for c in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(activity.registrations.values_list("status", flat=True)) == [
        "registered",
        "waitlisted",
    ]
