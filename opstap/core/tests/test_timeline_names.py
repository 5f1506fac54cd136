"""The timeline names each object anew in the reader's language (issue 9) without a query
per event: the relations a name reads are joined."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.core.timeline import timeline_for
from opstap.journeys import services
from opstap.journeys.tests.factories import builtin_route

pytestmark = pytest.mark.django_db


def _queries(user, client) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        events = timeline_for(user, client, length=50)
        names = [event.object_repr for event in events]
    return len(queries), names


def test_naming_more_events_costs_no_more_queries(world):
    adviser = world["adviser"]
    activate(adviser, world.own)  # what the middleware does for a request
    client = ClientFactory(organisation=world.own, adviser=adviser)
    on = datetime.date(2026, 1, 5)

    def open_route(code):
        return services.trajectory_open(
            actor=adviser, client=client, route_type=builtin_route(code), on=on
        )

    open_route("starter")
    few, names = _queries(adviser, client)
    for code in ("established", "part_time", "stopping"):
        open_route(code)
    many, more_names = _queries(adviser, client)
    assert len(more_names) > len(names)
    assert many == few
    assert all(str(client) in name for name in more_names if "–" in name)
