"""referral_create and referral_transition: validation, who may move, history, audit."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opstap.core.models import AuditEvent
from opstap.core.tests.factories import OrganisationFactory
from opstap.referrals import services
from opstap.referrals.choices import TRANSITIONS, Direction, Status, allowed_moves
from opstap.referrals.models import Referral

from .helpers import days_ago, move, plain_client, share_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_(world):
    return plain_client(world["adviser"], world.own)


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def create(world, client, **overrides):
    arguments = {
        "actor": world["adviser"],
        "organisation": world.own,
        "client": client,
        "direction": Direction.OUTBOUND,
        "reason": "Hulp bij de inschrijving",
        "sent_on": days_ago(10),
        "partner": None,
        "partner_name": "VDAB",
        **overrides,
    }
    return services.referral_create(**arguments)


# --- referral_create -------------------------------------------------------------------


def test_create_records_the_referral_its_first_history_row_and_an_audit_event(world, client_):
    referral = create(world, client_, partner=world.other, partner_name="")
    assert referral.status == Status.SENT
    assert referral.organisation == world.own
    assert referral.created_by == world["adviser"]
    [event] = referral.events.all()
    assert (event.from_status, event.to_status, event.on, event.by) == (
        "",
        Status.SENT,
        days_ago(10),
        world["adviser"],
    )
    audit = AuditEvent.objects.get(action="referral.create")
    assert (audit.organisation, audit.actor, audit.client) == (world.own, world["adviser"], client_)
    assert audit.changes["status"] == [None, "sent"]
    assert audit.changes["_"] == {"file_shared": False}
    # The audit text never names the client: the partner's admin may read its own log.
    assert client_.last_name not in audit.object_repr


def test_create_notes_in_the_audit_that_the_file_is_shared_when_consent_exists(world, client_):
    share_consent(world["adviser"], client_, world.other)
    create(world, client_, partner=world.other, partner_name="")
    assert AuditEvent.objects.get(action="referral.create").changes["_"] == {"file_shared": True}


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [
        ({"partner_name": ""}, "partner", "partner_missing", services.PARTNER_MISSING),
        ({"partner_name": "   "}, "partner", "partner_missing", services.PARTNER_MISSING),
        ({"partner": "OTHER"}, "partner", "partner_both", services.PARTNER_BOTH),
        (
            {"partner": "OWN", "partner_name": ""},
            "partner",
            "partner_is_self",
            services.PARTNER_IS_SELF,
        ),
        ({"reason": "  "}, "reason", "reason_missing", services.REASON_MISSING),
        ({"sent_on": "TOMORROW"}, "sent_on", "sent_on_future", services.SENT_ON_FUTURE),
        ({"direction": "sideways"}, "direction", "direction_invalid", services.DIRECTION_INVALID),
    ],
)
def test_create_refuses(world, client_, overrides, field, code, message):
    replace = {
        "OTHER": world.other,
        "OWN": world.own,
        "TOMORROW": timezone.localdate() + datetime.timedelta(days=1),
    }
    overrides = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    with pytest.raises(ValidationError) as exc:
        create(world, client_, **overrides)
    assert codes(exc.value) == {field: [code]}
    assert [str(m) for m in exc.value.error_dict[field][0]] == [str(message)]
    assert Referral.objects.count() == 0
    assert not AuditEvent.objects.filter(action="referral.create").exists()


def test_create_refuses_a_client_of_another_organisation(world):
    theirs = plain_client(world.other_adviser, world.other)
    with pytest.raises(ValidationError) as exc:
        create(world, theirs)
    assert codes(exc.value) == {"client": ["client_of_other_organisation"]}


def test_create_names_every_bad_field_at_once(world, client_):
    with pytest.raises(ValidationError) as exc:
        create(
            world,
            client_,
            partner_name="",
            reason="",
            sent_on=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert set(codes(exc.value)) == {"partner", "reason", "sent_on"}


def test_today_is_a_valid_sent_on(world, client_):
    assert create(world, client_, sent_on=timezone.localdate()).sent_on == timezone.localdate()


def test_the_database_refuses_partner_and_name_together_or_neither(world, client_):
    base = {
        "client": client_,
        "organisation": world.own,
        "direction": Direction.OUTBOUND,
        "reason": "x",
        "sent_on": days_ago(1),
        "created_by": world["adviser"],
    }
    for extra in (
        {"partner": world.other, "partner_name": "VDAB"},
        {"partner": None, "partner_name": ""},
        {"partner": world.own, "partner_name": ""},
        {"partner_name": "VDAB", "status": "lost"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.create(**base, **extra)


# --- the state machine -------------------------------------------------------------------


def test_the_transition_table():
    assert allowed_moves(Status.SENT) == [Status.ACCEPTED, Status.DECLINED]
    assert allowed_moves(Status.ACCEPTED) == [Status.COMPLETED]
    assert allowed_moves(Status.DECLINED) == []
    assert allowed_moves(Status.COMPLETED) == []
    assert all(a != b for a, b in TRANSITIONS)


def test_accept_then_complete_records_dates_outcome_history_and_audit(world, client_):
    referral = create(world, client_, sent_on=days_ago(20))
    move(world["adviser"], referral, Status.ACCEPTED, on=days_ago(15))
    move(world["adviser"], referral, Status.COMPLETED, on=days_ago(2), outcome="Gestart")
    referral.refresh_from_db()
    assert (referral.status, referral.answered_on, referral.completed_on, referral.outcome) == (
        Status.COMPLETED,
        days_ago(15),
        days_ago(2),
        "Gestart",
    )
    history = [(e.from_status, e.to_status, e.on) for e in referral.events.all()]
    assert history == [
        ("", "sent", days_ago(20)),
        ("sent", "accepted", days_ago(15)),
        ("accepted", "completed", days_ago(2)),
    ]
    audits = AuditEvent.objects.filter(action="referral.transition").order_by("id")
    assert [a.changes["status"] for a in audits] == [
        ["sent", "accepted"],
        ["accepted", "completed"],
    ]
    assert all(a.client == client_ for a in audits)


@pytest.mark.parametrize(
    ("path", "to", "allowed_named", "final"),
    [
        ([], Status.COMPLETED, ["Accepted", "Declined"], False),
        ([], Status.SENT, ["Accepted", "Declined"], False),
        ([Status.ACCEPTED], Status.DECLINED, ["Completed"], False),
        ([Status.ACCEPTED], Status.ACCEPTED, ["Completed"], False),
        ([Status.DECLINED], Status.ACCEPTED, [], True),
        ([Status.ACCEPTED, Status.COMPLETED], Status.ACCEPTED, [], True),
    ],
)
def test_an_illegal_move_is_refused_naming_the_allowed_ones(
    world, client_, path, to, allowed_named, final
):
    referral = create(world, client_, sent_on=days_ago(20))
    for step in path:
        move(world["adviser"], referral, step)
    events_before = referral.events.count()
    with pytest.raises(ValidationError) as exc:
        move(world["adviser"], referral, to)
    [error] = exc.value.error_dict["to"]
    assert error.code == "transition_not_allowed"
    text = " ".join(exc.value.messages)
    for label in allowed_named:
        assert f"“{label}”" in text
    assert ("final" in text) is final
    assert referral.events.count() == events_before
    assert Referral.objects.get(pk=referral.pk).status == (path[-1] if path else Status.SENT)


def test_an_unknown_status_is_refused(world, client_):
    referral = create(world, client_)
    with pytest.raises(ValidationError) as exc:
        move(world["adviser"], referral, "lost")
    assert codes(exc.value) == {"to": ["status_unknown"]}


@pytest.mark.parametrize(
    ("on", "code"),
    [(1, "date_future"), (-11, "date_before_previous")],
)
def test_a_move_date_must_not_be_in_the_future_nor_before_the_previous_step(
    world, client_, on, code
):
    referral = create(world, client_, sent_on=days_ago(10))
    with pytest.raises(ValidationError) as exc:
        move(world["adviser"], referral, Status.ACCEPTED, on=days_ago(-on))
    assert codes(exc.value) == {"on": [code]}


def test_completion_cannot_predate_the_answer(world, client_):
    referral = create(world, client_, sent_on=days_ago(10))
    move(world["adviser"], referral, Status.ACCEPTED, on=days_ago(5))
    with pytest.raises(ValidationError) as exc:
        move(world["adviser"], referral, Status.COMPLETED, on=days_ago(7))
    assert codes(exc.value) == {"on": ["date_before_previous"]}


def test_completing_needs_an_outcome(world, client_):
    referral = create(world, client_)
    move(world["adviser"], referral, Status.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.referral_transition(
            actor=world["adviser"],
            organisation=world.own,
            referral=referral,
            to=Status.COMPLETED,
            outcome="  ",
        )
    assert codes(exc.value) == {"outcome": ["outcome_missing"]}
    assert [str(m) for m in exc.value.error_dict["outcome"][0]] == [str(services.OUTCOME_MISSING)]


def test_a_stale_copy_loses_the_race_and_is_told_the_new_status(world, client_):
    referral = create(world, client_)
    stale = Referral.objects.get(pk=referral.pk)
    move(world["adviser"], referral, Status.DECLINED)
    with pytest.raises(ValidationError) as exc:
        move(world["adviser"], stale, Status.ACCEPTED)
    assert codes(exc.value) == {"to": ["referral_changed"]}
    assert "Declined" in " ".join(exc.value.messages)
    assert referral.events.count() == 2


# --- who moves the status ------------------------------------------------------------------


def test_the_partner_on_opstap_answers_and_the_sender_may_not(world, client_):
    referral = create(world, client_, partner=world.other, partner_name="")
    with pytest.raises(PermissionDenied):
        move(world["adviser"], referral, Status.ACCEPTED, organisation=world.own)
    third = OrganisationFactory(slug="third")
    with pytest.raises(PermissionDenied):
        move(world["adviser"], referral, Status.ACCEPTED, organisation=third)
    assert referral.events.count() == 1
    move(world.other_adviser, referral, Status.ACCEPTED)
    event = referral.events.last()
    assert (event.by, event.organisation) == (world.other_adviser, world.other)
    audit = AuditEvent.objects.get(action="referral.transition")
    assert (audit.organisation, audit.actor) == (world.other, world.other_adviser)


@pytest.mark.parametrize("direction", [Direction.OUTBOUND, Direction.INBOUND])
def test_for_an_external_partner_or_an_inbound_referral_the_recorder_moves(
    world, client_, direction
):
    referral = create(world, client_, direction=direction, partner_name="Actiris")
    with pytest.raises(PermissionDenied):
        move(world.other_adviser, referral, Status.ACCEPTED, organisation=world.other)
    move(world["adviser"], referral, Status.ACCEPTED)
    assert Referral.objects.get(pk=referral.pk).status == Status.ACCEPTED


def test_an_inbound_referral_from_a_partner_on_opstap_is_answered_by_the_recorder(world, client_):
    referral = create(
        world, client_, direction=Direction.INBOUND, partner=world.other, partner_name=""
    )
    assert referral.answering_organisation_id == world.own.pk
    move(world["adviser"], referral, Status.DECLINED)
