"""A programme with hand-built histories whose funnel is known (see `Known` below)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.journeys import services as journeys
from opstap.journeys.models import (
    PerformanceTarget,
    Programme,
    ProgrammePartner,
    RouteOutcome,
    RouteType,
    Trajectory,
)

D = datetime.date


def route(code: str) -> RouteType:
    return RouteType.objects.get(organisation=None, code=code)


def outcome(route_code: str, code: str) -> RouteOutcome:
    return RouteOutcome.objects.get(
        route_type__organisation=None, route_type__code=route_code, code=code
    )


def history(
    actor: Any,
    client: Client,
    steps: list[tuple[str, datetime.date]],
    *,
    programmes: list[Programme],
    route_code: str = "starter",
    closing: str | None = None,
) -> Trajectory:
    """Open a trajectory in steps[0] and move it through the rest; a step "closed" uses the
    outcome `closing`."""
    (first, opened_on), *moves = steps
    trajectory = journeys.trajectory_open(
        actor=actor,
        client=client,
        route_type=route(route_code),
        on=opened_on,
        phase=first,
        programmes=programmes,
    )
    for phase, on in moves:
        journeys.trajectory_move(
            actor=actor,
            trajectory=trajectory,
            to_phase=phase,
            on=on,
            outcome=outcome(route_code, closing) if phase == "closed" else None,
        )
    return trajectory


@dataclass
class Known:
    programme: Programme
    elsewhere: Programme  # the other organisation's, where ours is not a partner
    partner: Any  # world.other, a partner of `programme`
    world: Any


@pytest.fixture
def known(world) -> Known:
    """Programme AZO of `own`, 2024, `other` as partner. The histories (P = in the programme):

    A  P starter: outreach 2023-12-15, informed 01-10, intake 02-01, guidance 03-01,
                  started 06-01, aftercare 09-01, closed 12-01 (started off benefits: success)
    B  P starter: outreach 02-01, informed 03-01, closed 04-01 (dropped out, never in service)
    C  P starter: intake 2023-06-01, guidance 2023-09-01, started 2025-02-01 (nothing in 2024)
    D  P starter: intake 05-01, guidance 06-01
       P part_time: intake 05-10, guidance 07-01, started 10-01, closed 12-15 (success)
    E  P starter (client of the partner): informed 04-01, intake 05-01, guidance 08-01,
                  financing 09-01, started 11-15
    F    starter, not in the programme: intake 03-01, guidance 04-01, closed 06-01 (employment)
    H  P starter: intake 02-01, guidance 03-01, closed 05-01 (dropped out)
    """
    adviser = world["adviser"]
    programme = journeys.programme_save(
        actor=adviser,
        organisation=world.own,
        code="azo",
        name="Project AZO!",
        starts_on=D(2024, 1, 1),
        ends_on=D(2024, 12, 31),
        start_rate_target=Decimal("0.2000"),
        phase_targets={
            "outreach": 20,
            "informed": 10,
            "intake": 6,
            "guidance": 4,
            "started": 1,
        },
    )
    ProgrammePartner.objects.create(programme=programme, organisation=world.other, name="Other")
    elsewhere = journeys.programme_save(
        actor=world.other_admin,
        organisation=world.other,
        code="azo",
        name="Emmerveen start",
        starts_on=D(2024, 1, 1),
        ends_on=D(2024, 12, 31),
    )
    own = world.own
    p = [programme]
    a, b, c, d, f, h = (
        ClientFactory(organisation=own, first_name=n) for n in ("A", "B", "C", "D", "F", "H")
    )
    e = ClientFactory(organisation=world.other, first_name="E")
    history(
        adviser,
        a,
        [
            ("outreach", D(2023, 12, 15)),
            ("informed", D(2024, 1, 10)),
            ("intake", D(2024, 2, 1)),
            ("guidance", D(2024, 3, 1)),
            ("started", D(2024, 6, 1)),
            ("aftercare", D(2024, 9, 1)),
            ("closed", D(2024, 12, 1)),
        ],
        programmes=p,
        closing="started_off_benefits",
    )
    history(
        adviser,
        b,
        [("outreach", D(2024, 2, 1)), ("informed", D(2024, 3, 1)), ("closed", D(2024, 4, 1))],
        programmes=p,
        closing="dropped_out",
    )
    history(
        adviser,
        c,
        [("intake", D(2023, 6, 1)), ("guidance", D(2023, 9, 1)), ("started", D(2025, 2, 1))],
        programmes=p,
    )
    history(adviser, d, [("intake", D(2024, 5, 1)), ("guidance", D(2024, 6, 1))], programmes=p)
    history(
        adviser,
        d,
        [
            ("intake", D(2024, 5, 10)),
            ("guidance", D(2024, 7, 1)),
            ("started", D(2024, 10, 1)),
            ("closed", D(2024, 12, 15)),
        ],
        programmes=p,
        route_code="part_time",
        closing="started_on_benefits",
    )
    history(
        world.other_adviser,
        e,
        [
            ("informed", D(2024, 4, 1)),
            ("intake", D(2024, 5, 1)),
            ("guidance", D(2024, 8, 1)),
            ("financing", D(2024, 9, 1)),
            ("started", D(2024, 11, 15)),
        ],
        programmes=p,
    )
    history(
        adviser,
        f,
        [("intake", D(2024, 3, 1)), ("guidance", D(2024, 4, 1)), ("closed", D(2024, 6, 1))],
        programmes=[],
        closing="employment",
    )
    history(
        adviser,
        h,
        [("intake", D(2024, 2, 1)), ("guidance", D(2024, 3, 1)), ("closed", D(2024, 5, 1))],
        programmes=p,
        closing="dropped_out",
    )
    PerformanceTarget.objects.bulk_create(
        [
            PerformanceTarget(
                organisation=own,
                route_code="starter",
                success_rate=Decimal("0.4000"),
                mean_duration_months=Decimal("36.0"),
                valid_from=D(2023, 1, 1),
                valid_to=D(2024, 6, 30),
            ),
            PerformanceTarget(
                organisation=own,
                route_code="starter",
                success_rate=Decimal("0.4500"),
                mean_duration_months=Decimal("30.0"),
                valid_from=D(2024, 7, 1),
            ),
            PerformanceTarget(
                organisation=own,
                route_code="established",
                success_rate=Decimal("0.6500"),
                mean_duration_months=Decimal("12.0"),
                valid_from=D(2020, 1, 1),
            ),
            PerformanceTarget(
                organisation=world.other,
                route_code="part_time",
                success_rate=Decimal("0.9000"),
                valid_from=D(2020, 1, 1),
            ),
        ]
    )
    return Known(programme=programme, elsewhere=elsewhere, partner=world.other, world=world)
