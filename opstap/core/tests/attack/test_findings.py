"""What the attack suite found, pinned down one input at a time (see docs/security.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opstap.core.roles import Role
from opstap.core.tests.attack.world import fresh_login


@pytest.mark.parametrize(
    "period",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "0001-01-01"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
@pytest.mark.parametrize("export", [None, "csv"])
def test_the_access_review_takes_any_period_a_date_field_accepts(attack_world, period, export):
    """Found by the GET fuzzing: the review reaches 30 days before the period and a day past
    it, which was an OverflowError (a 500) at the ends of the calendar."""
    http = fresh_login(attack_world.own.users[Role.ORG_ADMIN])
    query = {**period, **({"export": export} if export else {})}
    assert http.get(reverse("audit_review"), query).status_code == 200
