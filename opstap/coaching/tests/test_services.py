"""The coaching services: who may write what, validation codes, audit events, and the
confidentiality of case notes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opstap.clients.models import ClientCoach
from opstap.core.access import activate
from opstap.core.models import AuditEvent
from opstap.core.roles import Role
from opstap.core.tests.factories import member

from .. import services
from ..choices import ActionStatus
from ..models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from .factories import assign, client_of, volunteer

TODAY = timezone.localdate


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in exc.error_dict.items()}


def visible_notes(user, organisation) -> set[str]:
    activate(user, organisation)
    return set(CaseNote.objects.visible_to(user).values_list("text", flat=True))


# --- case notes and their confidentiality ----------------------------------------------


@pytest.mark.django_db
def test_confidential_note_is_read_by_its_author_and_the_supervisors_only(world, case):
    author, colleague = world["adviser"], member(world.own, Role.ADVISER)
    services.note_add(actor=author, client=case.client, text="Open note")
    services.note_add(actor=author, client=case.client, text="Secret note", confidential=True)

    assert visible_notes(author, world.own) == {"Open note", "Secret note"}
    assert visible_notes(world["org_admin"], world.own) == {"Open note", "Secret note"}
    assert visible_notes(colleague, world.own) == {"Open note"}
    assert visible_notes(world["volunteer"], world.own) == {"Open note"}
    assert visible_notes(world["loan_officer"], world.own) == {"Open note"}
    assert visible_notes(world["auditor"], world.own) == set()
    assert visible_notes(world.other_admin, world.other) == set()


@pytest.mark.django_db
def test_a_volunteers_confidential_note_is_theirs_and_the_supervisors(world, case):
    services.note_add(
        actor=world["volunteer"], client=case.client, text="Told me in private", confidential=True
    )
    assert visible_notes(world["volunteer"], world.own) == {"Told me in private"}
    assert visible_notes(world["org_admin"], world.own) == {"Told me in private"}
    assert visible_notes(world["adviser"], world.own) == set()


@pytest.mark.django_db
def test_an_unassigned_volunteer_reads_no_note_any_more(world, case):
    services.note_add(actor=world["volunteer"], client=case.client, text="Mine")
    ClientCoach.objects.filter(client=case.client).delete()
    assert visible_notes(world["volunteer"], world.own) == set()


@pytest.mark.django_db
def test_the_audit_log_never_holds_the_text_and_a_confidential_note_stays_off_the_timeline(
    world, case
):
    open_note = services.note_add(actor=world["adviser"], client=case.client, text="Plain words")
    secret = services.note_add(
        actor=world["adviser"], client=case.client, text="Hidden words", confidential=True
    )
    events = {e.object_id: e for e in AuditEvent.objects.filter(action="coaching.note_add")}
    assert events[str(open_note.pk)].client_id == case.client.pk
    assert events[str(secret.pk)].client_id is None
    assert events[str(secret.pk)].changes["_"] == {"client_number": case.client.pk}
    for event in events.values():
        assert "words" not in str(event.changes) + event.object_repr


@pytest.mark.django_db
def test_only_the_author_changes_a_note(world, case):
    note = services.note_add(actor=world["adviser"], client=case.client, text="First")
    with pytest.raises(PermissionDenied):
        services.note_update(
            actor=world["org_admin"], note=note, text="Rewritten", confidential=False
        )
    services.note_update(actor=world["adviser"], note=note, text="Second", confidential=True)
    note.refresh_from_db()
    assert (note.text, note.confidential) == ("Second", True)
    event = AuditEvent.objects.get(action="coaching.note_update")
    assert event.changes["confidential"] == [False, True]
    assert event.changes["_"]["text_changed"] is True
    assert event.client_id is None  # confidential now


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code"),
    [("   ", "note_empty"), ("x" * 20_001, "note_too_long"), ("a\x00b", "null_character")],
)
def test_a_note_needs_storable_text(world, case, text, code):
    with pytest.raises(ValidationError) as exc:
        services.note_add(actor=world["adviser"], client=case.client, text=text)
    assert codes(exc.value) == {"text": [code]}


@pytest.mark.django_db
def test_a_note_about_another_clients_route_is_refused(world, case):
    other = client_of(world.own, adviser=world["adviser"])
    with pytest.raises(ValidationError) as exc:
        services.note_add(
            actor=world["adviser"],
            client=other,
            text="Wrong route",
            trajectory=case.trajectory,
        )
    assert codes(exc.value) == {"trajectory": ["trajectory_other_client"]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LOAN_OFFICER, Role.COMMITTEE, Role.PROGRAMME_MANAGER])
def test_readers_of_the_file_write_no_note(world, case, role):
    with pytest.raises(PermissionDenied):
        services.note_add(actor=world[role], client=case.client, text="Not mine to write")
    assert not CaseNote.objects.exists()


@pytest.mark.django_db
def test_another_organisation_writes_no_note(world, case):
    with pytest.raises(PermissionDenied):
        services.note_add(actor=world.other_admin, client=case.client, text="Intruder")


# --- coaching sessions ---------------------------------------------------------------


def log(actor, client, coach, **fields):
    data = {
        "on": TODAY() - datetime.timedelta(days=1),
        "duration_minutes": 60,
        "topics": ["marketing", "finance"],
        **fields,
    }
    return services.session_log(actor=actor, client=client, coach=coach, **data)


@pytest.mark.django_db
def test_a_volunteer_logs_their_own_session_with_an_assigned_client(world, case):
    session = log(world["volunteer"], case.client, world["volunteer"], next_steps="Call the KBO")
    assert session.coach == session.logged_by == world["volunteer"]
    assert session.topics == ["finance", "marketing"]  # the list's order, not the ticking order
    event = AuditEvent.objects.get(action="coaching.session_log")
    assert event.client_id == case.client.pk
    assert event.changes["duration_minutes"] == [None, 60]


@pytest.mark.django_db
def test_a_volunteer_logs_nothing_for_a_client_not_assigned_to_them(world):
    stranger = client_of(world.own, adviser=world["adviser"])
    with pytest.raises(PermissionDenied):
        log(world["volunteer"], stranger, world["volunteer"])
    assert not CoachingSession.objects.exists()


@pytest.mark.django_db
def test_a_volunteer_logs_no_session_in_someone_elses_name(world, case):
    with pytest.raises(ValidationError) as exc:
        log(world["volunteer"], case.client, world["adviser"])
    assert codes(exc.value) == {"coach": ["coach_not_self"]}


@pytest.mark.django_db
def test_staff_log_for_a_coach_who_can_open_the_file_only(world, case):
    session = log(world["adviser"], case.client, world["volunteer"])
    assert (session.coach, session.logged_by) == (world["volunteer"], world["adviser"])
    outsider = member(world.own, Role.VOLUNTEER)
    with pytest.raises(ValidationError) as exc:
        log(world["adviser"], case.client, outsider)
    assert codes(exc.value) == {"coach": ["coach_cannot_see_client"]}
    with pytest.raises(ValidationError) as exc:
        log(world["adviser"], case.client, world.other_adviser)
    assert codes(exc.value) == {"coach": ["coach_cannot_see_client"]}


@pytest.mark.django_db
def test_a_session_is_checked_field_by_field(world, case):
    with pytest.raises(ValidationError) as exc:
        log(
            world["adviser"],
            case.client,
            world["adviser"],
            on=TODAY() + datetime.timedelta(days=1),
            duration_minutes=0,
            topics=[],
        )
    assert codes(exc.value) == {
        "on": ["session_date_future"],
        "duration_minutes": ["session_duration"],
        "topics": ["topics_required"],
    }
    with pytest.raises(ValidationError) as exc:
        log(world["adviser"], case.client, world["adviser"], topics=["astrology"])
    assert codes(exc.value) == {"topics": ["topic_unknown"]}
    with pytest.raises(ValidationError) as exc:
        log(world["adviser"], case.client, world["adviser"], duration_minutes=12 * 60 + 1)
    assert codes(exc.value) == {"duration_minutes": ["session_duration"]}


# --- action plans ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_goes_from_open_to_done_once(world, case):
    action = services.action_add(
        actor=world["adviser"],
        trajectory=case.trajectory,
        title="Register at the KBO",
        owner=world["volunteer"],
        due_on=TODAY(),
    )
    services.action_complete(actor=world["volunteer"], action=action)
    action.refresh_from_db()
    assert (action.status, action.done_on, action.closed_by) == (
        ActionStatus.DONE,
        TODAY(),
        world["volunteer"],
    )
    with pytest.raises(ValidationError) as exc:
        services.action_cancel(actor=world["adviser"], action=action)
    assert codes(exc.value) == {"status": ["action_not_open"]}
    assert list(
        AuditEvent.objects.filter(object_type="coaching.actionitem")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["coaching.action_add", "coaching.action_complete"]


@pytest.mark.django_db
def test_a_stale_copy_cannot_close_an_action_twice(world, case):
    action = services.action_add(actor=world["adviser"], trajectory=case.trajectory, title="X")
    stale = ActionItem.objects.get(pk=action.pk)
    services.action_cancel(actor=world["adviser"], action=action)
    with pytest.raises(ValidationError) as exc:
        services.action_complete(actor=world["adviser"], action=stale)
    assert codes(exc.value) == {"status": ["action_not_open"]}
    assert ActionItem.objects.get(pk=action.pk).status == ActionStatus.CANCELLED


@pytest.mark.django_db
def test_who_may_add_complete_and_cancel_actions(world, case):
    with pytest.raises(PermissionDenied):
        services.action_add(actor=world["volunteer"], trajectory=case.trajectory, title="Mine")
    theirs = services.action_add(
        actor=world["adviser"], trajectory=case.trajectory, title="For the client"
    )
    with pytest.raises(PermissionDenied):
        services.action_complete(actor=world["volunteer"], action=theirs)  # not the owner
    with pytest.raises(PermissionDenied):
        services.action_cancel(actor=world["volunteer"], action=theirs)
    with pytest.raises(PermissionDenied):
        services.action_complete(actor=world["loan_officer"], action=theirs)
    assert ActionItem.objects.get(pk=theirs.pk).status == ActionStatus.OPEN


@pytest.mark.django_db
def test_an_action_is_checked(world, case):
    stranger = member(world.own, Role.VOLUNTEER)
    with pytest.raises(ValidationError) as exc:
        services.action_add(
            actor=world["adviser"], trajectory=case.trajectory, title=" ", owner=stranger
        )
    assert codes(exc.value) == {
        "title": ["action_title_required"],
        "owner": ["action_owner_cannot_see_client"],
    }
    with pytest.raises(ValidationError) as exc:
        services.action_add(actor=world["adviser"], trajectory=case.trajectory, title="x" * 201)
    assert codes(exc.value) == {"title": ["action_title_too_long"]}
    action = services.action_add(actor=world["adviser"], trajectory=case.trajectory, title="Y")
    with pytest.raises(ValidationError) as exc:
        services.action_complete(
            actor=world["adviser"], action=action, on=TODAY() + datetime.timedelta(days=1)
        )
    assert codes(exc.value) == {"done_on": ["action_done_future"]}


@pytest.mark.django_db
def test_a_closed_route_gets_no_new_action(world, case):
    case.trajectory.closed_on = TODAY()
    with pytest.raises(ValidationError) as exc:
        services.action_add(actor=world["adviser"], trajectory=case.trajectory, title="Late")
    assert codes(exc.value) == {"trajectory": ["action_trajectory_closed"]}


# --- volunteer profiles ----------------------------------------------------------------


def save_profile(actor, world, volunteer_user, **fields):
    data = {
        "expertise": ["marketing", "finance", "finance"],
        "languages": ["ar", "nl"],
        "availability": "Tuesday evenings",
        "max_clients": 4,
        "active": True,
        **fields,
    }
    return services.volunteer_profile_save(
        actor=actor, organisation=world.own, volunteer=volunteer_user, **data
    )


@pytest.mark.django_db
def test_a_volunteer_keeps_their_own_profile_and_the_admin_everyones(world):
    profile = save_profile(world["volunteer"], world, world["volunteer"])
    assert profile.expertise == ["finance", "marketing"]
    assert profile.languages == ["ar", "nl"]
    save_profile(world["org_admin"], world, world["volunteer"], max_clients=2)
    assert VolunteerProfile.objects.get().max_clients == 2
    event = AuditEvent.objects.filter(action="coaching.volunteer_profile_save").first()
    assert event.changes["max_clients"] == [4, 2]
    other_volunteer = member(world.own, Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        save_profile(world["volunteer"], world, other_volunteer)
    with pytest.raises(PermissionDenied):
        save_profile(world["adviser"], world, other_volunteer)


@pytest.mark.django_db
def test_a_profile_is_checked(world):
    with pytest.raises(ValidationError) as exc:
        save_profile(
            world["org_admin"],
            world,
            world["adviser"],
            expertise=["juggling"],
            languages=["xx"],
            max_clients=0,
            availability="x" * 501,
        )
    assert codes(exc.value) == {
        "volunteer": ["not_a_volunteer"],
        "expertise": ["expertise_unknown"],
        "languages": ["language_unknown"],
        "max_clients": ["max_clients_range"],
        "availability": ["availability_too_long"],
    }


# --- assigning -------------------------------------------------------------------------


@pytest.mark.django_db
def test_assigning_goes_through_the_clients_service_and_respects_capacity(world, case):
    full = volunteer(world.own, max_clients=1, expertise=["finance"])
    assign(client_of(world.own), full.user)
    with pytest.raises(ValidationError) as exc:
        services.volunteer_assign(actor=world["adviser"], client=case.client, volunteer=full.user)
    assert codes(exc.value) == {"volunteer": ["volunteer_full"]}

    resting = volunteer(world.own, active=False)
    with pytest.raises(ValidationError) as exc:
        services.volunteer_assign(
            actor=world["adviser"], client=case.client, volunteer=resting.user
        )
    assert codes(exc.value) == {"volunteer": ["volunteer_unavailable"]}

    free = volunteer(world.own, max_clients=2)
    services.volunteer_assign(actor=world["adviser"], client=case.client, volunteer=free.user)
    assert ClientCoach.objects.filter(client=case.client, coach=free.user).exists()
    assert AuditEvent.objects.filter(action="client.coach_assign", client=case.client).exists()
    with pytest.raises(ValidationError) as exc:
        services.volunteer_assign(actor=world["adviser"], client=case.client, volunteer=free.user)
    assert codes(exc.value) == {"volunteer": ["volunteer_already_coaching"]}
    with pytest.raises(PermissionDenied):
        services.volunteer_assign(actor=world["volunteer"], client=case.client, volunteer=free.user)
