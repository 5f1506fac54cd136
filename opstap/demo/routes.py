"""Demo programmes and trajectories: about three routes per client, with phase histories that
thin out as a real funnel does, programmes with targets, and aftercare check-ins.

Deterministic for a seed; written with bulk inserts so that 100,000 clients get their
300,000 trajectories in a few minutes.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from opstap.clients.models import Client
from opstap.core.models import Organisation
from opstap.journeys.models import (
    CheckIn,
    PerformanceTarget,
    PhaseChange,
    PhaseTarget,
    Programme,
    RouteOutcome,
    RouteType,
    Trajectory,
)
from opstap.journeys.phases import Phase
from opstap.journeys.services import add_months

HISTORY_START = datetime.date(2022, 1, 1)
BATCH = 2000
# How many routes a client has run (sequentially: only the last may still be open).
ROUTE_COUNTS = ((1, 15), (2, 20), (3, 25), (4, 20), (5, 20))
ROUTE_MIX = (
    ("starter", 55),
    ("part_time", 12),
    ("established", 12),
    ("debt_counselling", 10),
    ("internship", 7),
    ("stopping", 4),
)
# The chance of moving on from a phase (else the trajectory closes there, or stays open
# when it is the client's current route): the funnel narrows like AZO!'s 1750→1150→600→400.
KEEP_GOING = {
    "outreach": 0.66,
    "informed": 0.55,
    "intake": 0.68,
    "guidance": 0.55,
    "financing": 0.7,
    "started": 0.8,
    "aftercare": 0.0,
}
SUCCESS_BY_LAST_PHASE = {"started": "started_off_benefits", "aftercare": "started_off_benefits"}


PERFORMANCE_TARGETS = (
    ("starter", "0.40", "36", "Starters from welfare who succeed"),
    ("established", "0.65", "12", "Established entrepreneurs who restart"),
)


@dataclass
class ProgrammeSpec:
    code: str
    name: str
    starts_on: datetime.date
    ends_on: datetime.date


PROGRAMMES = (
    ProgrammeSpec(
        "start-2023",
        "Ondernemen vanuit de wijk 2023–2024",
        datetime.date(2023, 1, 1),
        datetime.date(2024, 12, 31),
    ),
    ProgrammeSpec(
        "start-2025",
        "Ondernemen vanuit de wijk 2025–2026",
        datetime.date(2025, 1, 1),
        datetime.date(2026, 12, 31),
    ),
)
# People the demo's outreach actions reach in a two-year programme (about 2,000, whatever
# the number of clients): the sensitised target counts them too.
OUTREACH_REACH_TARGET = 2000
# Targets per client of the organisation over a two-year programme (AZO! proportions).
TARGET_SHARES = {
    "outreach": 0.58,
    "informed": 0.38,
    "intake": 0.2,
    "guidance": 0.13,
    "started": 0.03,
}


def _weighted(rng: random.Random, pairs: tuple[tuple[object, int], ...]) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def build_routes(
    *, organisations: list[Organisation], seed: int, today: datetime.date
) -> dict[str, int]:
    """Programmes for each organisation and routes for every one of its clients."""
    rng = random.Random(seed * 7919 + 3)
    routes = {r.code: r for r in RouteType.objects.filter(organisation=None)}
    outcomes = {
        (o.route_type.code, o.code): o.pk for o in RouteOutcome.objects.select_related("route_type")
    }
    counts = {"programmes": 0, "trajectories": 0, "phase_changes": 0, "check_ins": 0}
    for organisation in organisations:
        clients_in_org = Client.objects.filter(organisation=organisation).count()
        programmes = []
        for spec in PROGRAMMES:
            programme = Programme.objects.create(
                organisation=organisation,
                code=spec.code,
                name=spec.name,
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                start_rate_target=Decimal("0.2000"),
            )
            PhaseTarget.objects.bulk_create(
                [
                    PhaseTarget(
                        programme=programme,
                        phase=phase,
                        target=max(1, round(share * clients_in_org / 2))
                        + (OUTREACH_REACH_TARGET if phase == "outreach" else 0),
                    )
                    for phase, share in TARGET_SHARES.items()
                ]
            )
            programmes.append(programme)
        counts["programmes"] += len(programmes)
        # The performance agreements of DOMAIN.md (Drentse Zaak): 40% of starters from
        # welfare succeed, 65% of established entrepreneurs restart.
        PerformanceTarget.objects.bulk_create(
            [
                PerformanceTarget(
                    organisation=organisation,
                    route_code=code,
                    success_rate=Decimal(rate),
                    mean_duration_months=Decimal(months),
                    valid_from=datetime.date(2022, 1, 1),
                    description=description,
                )
                for code, rate, months, description in PERFORMANCE_TARGETS
            ]
        )
        for batch in _client_batches(organisation):
            written = _write_routes(batch, organisation, programmes, routes, outcomes, rng, today)
            for key, value in written.items():
                counts[key] += value
    return counts


def _client_batches(organisation: Organisation) -> Iterator[list[tuple[int, int | None]]]:
    last = 0
    while True:
        batch = list(
            Client.objects.filter(organisation=organisation, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "adviser_id")[:BATCH]
        )
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _write_routes(batch, organisation, programmes, routes, outcomes, rng, today) -> dict[str, int]:
    plans = []  # (trajectory, [phase changes], programme, [check-ins])
    for client_id, adviser_id in batch:
        n_routes = _weighted(rng, ROUTE_COUNTS)
        day = HISTORY_START + datetime.timedelta(days=rng.randint(0, 700))
        used_open: set[str] = set()
        for index in range(n_routes):
            if day >= today:
                break
            code = _weighted(rng, ROUTE_MIX)
            route = routes[code]
            is_current = index == n_routes - 1
            plan = _one_route(
                rng, route, day, today, is_current and code not in used_open, outcomes
            )
            trajectory, changes, check_in_start = plan
            trajectory.client_id, trajectory.organisation_id, trajectory.adviser_id = (
                client_id,
                organisation.pk,
                adviser_id,
            )
            programme = next(
                (p for p in programmes if p.starts_on <= trajectory.opened_on <= p.ends_on), None
            )
            plans.append((trajectory, changes, programme, check_in_start))
            if trajectory.closed_on is None:
                used_open.add(code)
            day = (trajectory.closed_on or today) + datetime.timedelta(days=rng.randint(20, 200))
    Trajectory.objects.bulk_create([p[0] for p in plans])
    changes, links, check_ins = [], [], []
    through = Trajectory.programmes.through
    for trajectory, trajectory_changes, programme, started_on in plans:
        for change in trajectory_changes:
            change.trajectory_id, change.client_id, change.by_id = (
                trajectory.pk,
                trajectory.client_id,
                trajectory.adviser_id,
            )
            changes.append(change)
        if programme is not None:
            links.append(through(trajectory_id=trajectory.pk, programme_id=programme.pk))
        if started_on is not None:
            for months in CheckIn.MONTHS:
                due = add_months(started_on, months)
                done = due <= today and rng.random() < 0.8
                active = rng.random() < 0.78
                check_ins.append(
                    CheckIn(
                        trajectory_id=trajectory.pk,
                        months_after_start=months,
                        due_on=due,
                        done_on=due + datetime.timedelta(days=rng.randint(0, 20)) if done else None,
                        business_active=active if done else None,
                        jobs_created_fte=Decimal(
                            rng.choice(["0", "0", "0", "0.5", "1", "1.5", "2"])
                        )
                        if done
                        else None,
                        monthly_net_income=Decimal(rng.randint(600, 3200))
                        if done and active
                        else None,
                        still_on_benefits=(rng.random() < 0.35) if done else None,
                    )
                )
    PhaseChange.objects.bulk_create(changes, batch_size=BATCH)
    through.objects.bulk_create(links, batch_size=BATCH)
    CheckIn.objects.bulk_create(check_ins, batch_size=BATCH)
    return {"trajectories": len(plans), "phase_changes": len(changes), "check_ins": len(check_ins)}


def _one_route(rng, route, opened_on, today, may_stay_open, outcomes):
    phases = [p for p in route.phases if p != Phase.CLOSED]
    phase = phases[0]
    day = opened_on
    changes = [PhaseChange(from_phase="", to_phase=phase, on=day)]
    started_on = None
    while True:
        next_day = day + datetime.timedelta(days=rng.randint(7, 120))
        forward = [
            p
            for p in route.allowed_moves(phase)
            if p != Phase.CLOSED and phases.index(p) > phases.index(phase)
        ]
        if next_day >= today:
            if may_stay_open:
                return _trajectory(route, phase, day, opened_on, None, None), changes, started_on
            next_day = today
        if forward and rng.random() < KEEP_GOING.get(phase, 0.5) and next_day < today:
            to_phase = forward[0] if rng.random() < 0.8 else rng.choice(forward)
            changes.append(PhaseChange(from_phase=phase, to_phase=to_phase, on=next_day))
            phase, day = to_phase, next_day
            if phase == Phase.STARTED:
                started_on = day
            continue
        if may_stay_open and rng.random() < 0.35 and next_day < today:
            return _trajectory(route, phase, day, opened_on, None, None), changes, started_on
        outcome_code = _closing_outcome(rng, route.code, phase)
        if (route.code, outcome_code) not in outcomes:
            outcome_code = "dropped_out"
        changes.append(PhaseChange(from_phase=phase, to_phase=Phase.CLOSED, on=next_day))
        outcome_id = outcomes[(route.code, outcome_code)]
        return (
            _trajectory(route, Phase.CLOSED, next_day, opened_on, next_day, outcome_id),
            changes,
            started_on,
        )


def _closing_outcome(rng, route_code, phase) -> str:
    if route_code in ("starter", "part_time"):
        if phase in ("started", "aftercare"):
            return "started_off_benefits" if rng.random() < 0.7 else "started_on_benefits"
        return rng.choice(
            ["dropped_out", "dropped_out", "employment", "education", "back_to_benefit", "moved"]
        )
    success = {
        "established": "successful_restart",
        "stopping": "orderly_stop",
        "internship": "employment",
        "debt_counselling": "debt_settled",
    }[route_code]
    if phase != "intake" and rng.random() < 0.6:
        return success
    return rng.choice(["dropped_out", "back_to_benefit", "moved", "other"])


def _trajectory(route, phase, phase_since, opened_on, closed_on, outcome_id) -> Trajectory:
    return Trajectory(
        route_type_id=route.pk,
        phase=phase,
        phase_since=phase_since,
        opened_on=opened_on,
        closed_on=closed_on,
        outcome_id=outcome_id,
    )
