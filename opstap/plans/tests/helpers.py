"""Plans for the tests, built through the services."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from opstap.clients.tests.factories import ClientFactory
from opstap.core.access import activate
from opstap.plans import services
from opstap.plans.models import BusinessPlan

TODAY = datetime.date(2026, 11, 20)
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def with_assumptions(world, on: datetime.date = datetime.date(2026, 1, 1)) -> None:
    activate(world["org_admin"], world.own)
    services.assumptions_save(
        actor=world["org_admin"],
        organisation=world.own,
        valid_from=on,
        tax_and_contributions_rate=Decimal("0.30"),
        dscr_threshold=Decimal("1.2"),
    )


def sample_financial(name: str | None = None) -> dict[str, Any]:
    """One of the calculation's sample plans (opstap/plans/samples)."""
    files = sorted(SAMPLES.glob("*.json"))
    path = next(p for p in files if name is None or p.stem == name)
    data = json.loads(path.read_text())
    data.pop("tax_and_contributions_rate", None)
    data.pop("dscr_threshold", None)
    return data


def new_plan(world, *, client=None, title: str = "Fietsherstelling Mo") -> BusinessPlan:
    adviser = world["adviser"]
    activate(adviser, world.own)
    return services.plan_create(
        actor=adviser,
        organisation=world.own,
        client=client or ClientFactory(organisation=world.own),
        title=title,
        today=TODAY,
    )
