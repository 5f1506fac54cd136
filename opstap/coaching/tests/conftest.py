"""A client of the `own` organisation with a route, coached by the volunteer persona."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opstap.clients.models import Client
from opstap.journeys.models import Trajectory

from .factories import assign, client_of, trajectory_for


@dataclass
class Case:
    client: Client
    trajectory: Trajectory


@pytest.fixture
def case(world) -> Case:
    """Amina, advised by world["adviser"], coached by world["volunteer"], on a starter route."""
    client = client_of(
        world.own,
        adviser=world["adviser"],
        first_name="Amina",
        last_name="Haddou",
        languages=["ar", "fr"],
        preferred_language="ar",
        income_source="social_assistance",
        income_monthly="1234.56",
    )
    assign(client, world["volunteer"], by=world["adviser"])
    return Case(client=client, trajectory=trajectory_for(client, world["adviser"]))
