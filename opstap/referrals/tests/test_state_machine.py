"""Property: whatever sequence of moves people try, a referral's history stays legal.

Random attempts (any target status, by either side, on any date around the referral) go
through the one transition service; refused attempts change nothing, and the recorded
history is always a walk along choices.TRANSITIONS that agrees with the referral's fields.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opstap.referrals import services
from opstap.referrals.choices import SHARING_STATUSES, TRANSITIONS, Status, allowed_moves
from opstap.referrals.models import Referral

from .helpers import days_ago, plain_client, refer

SENT_DAYS_AGO = 20

attempts = st.lists(
    st.tuples(
        st.sampled_from(["sender", "partner"]),
        st.sampled_from([*Status.values, "lost"]),
        st.integers(min_value=-3, max_value=SENT_DAYS_AGO + 3),  # days after sent_on
        st.sampled_from(["", "Gestart als zelfstandige"]),
    ),
    max_size=8,
)


def assert_legal_history(referral: Referral) -> None:
    events = list(referral.events.order_by("created_at", "id"))
    assert events, "a referral always has its creation in its history"
    first, *moves = events
    assert (first.from_status, first.to_status, first.on) == ("", Status.SENT, referral.sent_on)
    previous = first
    for event in moves:
        assert (event.from_status, event.to_status) in TRANSITIONS
        assert event.from_status == previous.to_status
        assert event.on >= previous.on
        assert event.organisation_id == referral.answering_organisation_id
        previous = event
    assert referral.status == previous.to_status
    assert len(moves) <= 2
    answers = [e for e in moves if e.to_status in (Status.ACCEPTED, Status.DECLINED)]
    completions = [e for e in moves if e.to_status == Status.COMPLETED]
    assert referral.answered_on == (answers[0].on if answers else None)
    assert referral.completed_on == (completions[0].on if completions else None)
    assert bool(referral.outcome) == bool(completions)
    assert referral.completed_on is None or referral.answered_on <= referral.completed_on
    assert all(e.on <= datetime.date.today() for e in events)  # noqa: DTZ011


@pytest.mark.django_db
@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(tries=attempts, to_partner_on_opstap=st.booleans())
def test_random_moves_never_produce_an_illegal_history(world, tries, to_partner_on_opstap):
    client = plain_client(world["adviser"], world.own)
    if to_partner_on_opstap:
        referral = refer(
            world["adviser"], client, partner=world.other, sent_on=days_ago(SENT_DAYS_AGO)
        )
    else:
        referral = refer(
            world["adviser"], client, partner_name="VDAB", sent_on=days_ago(SENT_DAYS_AGO)
        )
    sides = {
        "sender": (world["adviser"], world.own),
        "partner": (world.other_adviser, world.other),
    }
    for side, to, day, outcome in tries:
        actor, organisation = sides[side]
        before = Referral.objects.get(pk=referral.pk)
        try:
            services.referral_transition(
                actor=actor,
                organisation=organisation,
                referral=Referral.objects.get(pk=referral.pk),
                to=to,
                on=before.sent_on + datetime.timedelta(days=day),
                outcome=outcome,
            )
        except (ValidationError, PermissionDenied):
            after = Referral.objects.get(pk=referral.pk)
            assert (after.status, after.answered_on, after.completed_on, after.outcome) == (
                before.status,
                before.answered_on,
                before.completed_on,
                before.outcome,
            )
        else:
            assert (before.status, to) in TRANSITIONS
            assert organisation.pk == referral.answering_organisation_id
        assert_legal_history(Referral.objects.get(pk=referral.pk))


@given(path=st.lists(st.sampled_from(Status.values), max_size=6))
def test_the_table_alone_walks_only_forward(path):
    """Pure: following only allowed moves, a status is never revisited and sharing, once
    ended, never comes back."""
    status, seen, shared_ended = Status.SENT, [Status.SENT], False
    for to in path:
        if to in allowed_moves(status):
            status = to
            assert status not in seen
            seen.append(status)
            if status not in SHARING_STATUSES:
                shared_ended = True
            assert not (shared_ended and status in SHARING_STATUSES)
        else:
            assert services.transition_refusal(status, to) is not None
