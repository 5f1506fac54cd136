"""The reads the trust review found unlogged now leave their FileAccess row, through the access
doors and core/access_log.py; a refused request and a name search leave none."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from opstap.clients.tests.factories import ClientFactory, belgian_national_number
from opstap.coaching.tests.factories import trajectory_for
from opstap.core.models import FileAccess
from opstap.lending.tests.helpers import disbursed_loan

pytestmark = pytest.mark.django_db


def rows(client, user):
    return list(
        FileAccess.objects.filter(client=client, user=user).values_list("purpose", flat=True)
    )


def test_the_edit_form_and_the_trajectory_are_logged_by_page(world, login):
    client = ClientFactory(organisation=world.own)
    trajectory = trajectory_for(client, world["adviser"])
    http = login(world["adviser"])
    assert http.get(reverse("clients:edit", args=[client.pk])).status_code == 200
    assert http.get(reverse("journeys:trajectory", args=[trajectory.pk])).status_code == 200
    assert rows(client, world["adviser"]) == ["journeys:trajectory", "clients:edit"]
    assert all(row.organisation_id == world.own.pk for row in FileAccess.objects.all())


def test_a_search_by_national_number_is_a_read_of_the_file_found(world, login):
    number = belgian_national_number(datetime.date(1985, 3, 4), 123)
    client = ClientFactory(organisation=world.own, last_name="Haddou")
    client.set_national_number(number, "BE")
    client.save()
    http = login(world["adviser"])
    assert http.get(reverse("clients:list"), {"q": "Haddou"}).status_code == 200
    assert rows(client, world["adviser"]) == []
    assert http.get(reverse("clients:list"), {"q": number}).status_code == 200
    assert rows(client, world["adviser"]) == ["clients:list"]


def test_the_loans_export_logs_every_client_in_it(world, login):
    loans = [disbursed_loan(world, client=ClientFactory(organisation=world.own)) for _ in range(2)]
    http = login(world["loan_officer"])
    assert http.get(reverse("lending:export")).status_code == 200
    for loan in loans:
        assert rows(loan.client, world["loan_officer"]) == ["lending:export"]


def test_a_refused_page_leaves_no_row(world, login):
    client = ClientFactory(organisation=world.own)
    http = login(world["volunteer"])  # not assigned to this client
    assert http.get(reverse("clients:detail", args=[client.pk])).status_code == 404
    assert http.get(reverse("clients:edit", args=[client.pk])).status_code == 404
    assert not FileAccess.objects.exists()


def test_the_access_log_names_the_page_in_words(world, login):
    client = ClientFactory(organisation=world.own)
    trajectory = trajectory_for(client, world["adviser"])
    login(world["adviser"]).get(reverse("journeys:trajectory", args=[trajectory.pk]))
    page = login(world["org_admin"]).get(reverse("access_log")).content.decode()
    assert "Route opened" in page
    assert "journeys:trajectory" not in page
