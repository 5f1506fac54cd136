"""A loan application started from a viable business plan is filled in from it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opstap.clients.tests.factories import ClientFactory
from opstap.plans import services as plan_services
from opstap.plans.choices import Section
from opstap.plans.tests.helpers import TODAY, new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db


def plan_with(world, sample: str):
    with_assumptions(world)
    client = ClientFactory(organisation=world.own)
    plan = new_plan(world, client=client)
    version = plan.versions.get()
    plan_services.plan_section_save(
        actor=world["adviser"], version=version, section=Section.IDEA, text="Ambachtelijke bakkerij"
    )
    plan_services.plan_financial_save(
        actor=world["adviser"], version=version, financial=sample_financial(sample), today=TODAY
    )
    return client, plan


def form_page(login, user, client, plan) -> str:
    url = reverse("lending:application_create") + f"?client={client.pk}&plan={plan.pk}"
    response = login(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_viable_plan_fills_in_amount_purpose(world, login):
    client, plan = plan_with(world, "bakery")
    page = form_page(login, world["loan_officer"], client, plan)
    assert 'value="15000.00"' in page
    assert "Ambachtelijke bakkerij" in page


def test_a_plan_that_is_not_viable_fills_in_nothing(world, login):
    client, plan = plan_with(world, "financing_gap")
    page = form_page(login, world["loan_officer"], client, plan)
    assert "Ambachtelijke bakkerij" not in page


def test_another_clients_plan_fills_in_nothing(world, login):
    _client, plan = plan_with(world, "bakery")
    other = ClientFactory(organisation=world.own)
    page = form_page(login, world["loan_officer"], other, plan)
    assert "Ambachtelijke bakkerij" not in page
