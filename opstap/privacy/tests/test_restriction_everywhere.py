"""A file whose processing is restricted cannot be changed through any app: every door that
hands out an object to change refuses it, and the 403 page says why."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.coaching.models import CaseNote
from opstap.coaching.tests.factories import trajectory_for
from opstap.journeys.models import Trajectory
from opstap.lending.models import LoanTransaction
from opstap.lending.tests.helpers import disbursed_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(world):
    client = ClientFactory(organisation=world.own)
    trajectory = trajectory_for(client, world["adviser"])
    loan = disbursed_loan(world, client=client)
    Client.objects.filter(pk=client.pk).update(processing_restricted=True)
    return client, trajectory, loan


def refused(response) -> bool:
    return response.status_code == 403 and "Processing of this file is restricted" in (
        response.content.decode()
    )


def test_no_app_changes_a_restricted_file(world, login, restricted):
    client, trajectory, loan = restricted
    adviser, officer = login(world["adviser"]), login(world["loan_officer"])
    phase = trajectory.phase
    assert refused(
        adviser.post(
            reverse("journeys:trajectory_move", args=[trajectory.pk]),
            {"phase": "guidance", "date": datetime.date.today().isoformat()},
        )
    )
    assert Trajectory.objects.get(pk=trajectory.pk).phase == phase
    assert refused(
        adviser.post(reverse("coaching:note_add", args=[client.pk]), {"text": "Gesprek"})
    )
    assert not CaseNote.objects.filter(client=client).exists()
    before = LoanTransaction.objects.filter(loan=loan).count()
    assert refused(
        officer.post(
            reverse("lending:repay", args=[loan.pk]),
            {"amount": str(Decimal("100.00")), "date": datetime.date.today().isoformat()},
        )
    )
    assert LoanTransaction.objects.filter(loan=loan).count() == before
    assert refused(adviser.get(reverse("clients:edit", args=[client.pk])))


def test_a_restricted_file_can_still_be_read(world, login, restricted):
    client, trajectory, loan = restricted
    assert (
        login(world["adviser"]).get(reverse("clients:detail", args=[client.pk])).status_code == 200
    )
    assert (
        login(world["loan_officer"]).get(reverse("lending:detail", args=[loan.pk])).status_code
        == 200
    )
