"""What the dashboard says must be true (issue 9): a file opened four times is one line under
"Recently opened files", and an aftercare check-in due in 2024 is marked overdue."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import FileAccess
from opstap.journeys import services
from opstap.journeys.models import CheckIn
from opstap.journeys.tests.factories import builtin_route

pytestmark = pytest.mark.django_db


def test_a_file_opened_four_times_is_listed_once(world, login):
    adviser = world["adviser"]
    amina = ClientFactory(organisation=world.own, adviser=adviser, first_name="Amina")
    bram = ClientFactory(organisation=world.own, adviser=adviser, first_name="Bram")
    http = login(adviser)
    for client in (amina, bram, amina, amina, amina):
        assert http.get(reverse("clients:detail", args=[client.pk])).status_code == 200
    assert FileAccess.objects.filter(user=adviser, client=amina).count() >= 4
    shown = http.get(reverse("dashboard")).context["recently_viewed"]
    assert [entry.client for entry in shown] == [amina, bram]


def test_a_check_in_due_in_2024_is_overdue_and_one_due_next_month_is_not(world, login):
    adviser = world["adviser"]
    trajectory = services.trajectory_open(
        actor=None,
        client=ClientFactory(organisation=world.own, adviser=adviser),
        route_type=builtin_route(),
        on=datetime.date(2023, 6, 1),
        phase="aftercare",
        adviser=adviser,
    )
    late = CheckIn.objects.create(
        trajectory=trajectory, months_after_start=6, due_on=datetime.date(2024, 3, 1)
    )
    coming = CheckIn.objects.create(
        trajectory=trajectory,
        months_after_start=36,
        due_on=timezone.localdate() + datetime.timedelta(days=20),
    )
    assert late.is_overdue and not coming.is_overdue
    page = login(adviser).get(reverse("dashboard")).content.decode()
    assert page.count('data-testid="overdue"') == 1
    detail = login(adviser).get(reverse("journeys:trajectory", args=[trajectory.pk]))
    assert detail.content.decode().count('data-testid="overdue"') == 1
