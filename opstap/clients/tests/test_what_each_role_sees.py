"""The client file shows each role only what its capabilities allow: the sensitive fields of
roles.SENSITIVE_CLIENT_FIELDS, and on the timeline only the events of objects the role may
open (no loan, application or repayment without VIEW_LOANS; no confidential note of another)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from opstap.clients.tests.factories import ClientFactory
from opstap.coaching import services as coaching
from opstap.coaching.tests.factories import assign
from opstap.core import crypto
from opstap.core.roles import SENSITIVE_CLIENT_FIELDS, Capability, Role, capabilities_of
from opstap.lending import services as lending
from opstap.lending.tests.helpers import disbursed_loan

pytestmark = pytest.mark.django_db

FILE_ROLES = [
    Role.ORG_ADMIN,
    Role.ADVISER,
    Role.VOLUNTEER,
    Role.LOAN_OFFICER,
    Role.COMMITTEE,
    Role.BENEFITS_OFFICER,
    Role.JOB_COACH,
    Role.PROGRAMME_MANAGER,
]


@pytest.fixture
def file(world):
    client = ClientFactory(
        organisation=world.own,
        residence_status="asylum_seeker",
        has_disability=True,
        minority_background=True,
        income_monthly="1234.56",
    )
    client.iban_encrypted = crypto.encrypt("BE68539007547034")
    client.save()
    assign(client, world["volunteer"])
    loan = disbursed_loan(world, client=client)
    on = loan.disbursed_on + datetime.timedelta(days=31)
    lending.repayment_post(
        actor=world["loan_officer"], loan=loan, amount=Decimal("100.00"), on=on, today=on
    )
    coaching.note_add(actor=world["adviser"], client=client, text="Shared note")
    secret = coaching.note_add(actor=world["adviser"], client=client, text="About a relative")
    coaching.note_update(
        actor=world["adviser"], note=secret, text="About a relative", confidential=True
    )
    return client, loan


def timeline(response) -> str:
    page = response.content.decode()
    start = page.index('id="timeline"')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("role", FILE_ROLES)
def test_the_timeline_names_loans_only_to_roles_that_may_open_them(world, login, file, role):
    client, loan = file
    response = login(world[role]).get(reverse("clients:detail", args=[client.pk]))
    assert response.status_code == 200
    events = timeline(response)
    sees_loans = Capability.VIEW_LOANS in capabilities_of({role})
    for trace in (loan.reference, "Repayment posted", "Loan application"):
        assert (trace in events) == sees_loans, (role, trace)


@pytest.mark.parametrize("role", FILE_ROLES)
def test_a_confidential_note_leaves_no_trace_for_others(world, login, file, role):
    client, _ = file
    events = timeline(login(world[role]).get(reverse("clients:detail", args=[client.pk])))
    # Two notes were added; the second became confidential: its author and the supervisor
    # (the organisation admin) see both, everyone else only the first.
    sees_confidential = role in (Role.ADVISER, Role.ORG_ADMIN)
    assert events.count("Case note added") == (2 if sees_confidential else 1), role
    # Making a note confidential is itself kept off the timeline (coaching.services).
    assert "Case note changed" not in events, role


SHOWN_AS = {
    "residence_status": 'data-testid="residence-status"',
    "has_disability": "Disability",
    "minority_background": "Minority background",
    "iban": "BE68",
    "income_monthly": "€1,234.56",
}


@pytest.mark.parametrize("role", FILE_ROLES)
def test_each_role_sees_the_sensitive_fields_its_capabilities_allow(world, login, file, role):
    client, _ = file
    page = login(world[role]).get(reverse("clients:detail", args=[client.pk])).content.decode()
    capabilities = capabilities_of({role})
    for field, marker in SHOWN_AS.items():
        assert (marker in page) == (SENSITIVE_CLIENT_FIELDS[field] in capabilities), (role, field)
    if role == Role.VOLUNTEER:
        assert "Asylum" not in page and "asylum" not in page
