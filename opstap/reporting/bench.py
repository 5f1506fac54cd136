"""Timing of the funnel on a large database: `python -m opstap.reporting.bench`.

Builds (once, when the database holds fewer trajectories than asked) one organisation with a
programme per year 2020–2024 and `--trajectories` trajectories spread over those years, each
with a realistic phase history, then times `funnel()` and `programme_report()` for one
programme-year and prints the median and 95th percentile in milliseconds, the data size,
and the database. Point it at a scratch database (it writes):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opstap_rep_bench \\
        .venv/bin/python -m opstap.reporting.bench --trajectories 300000

Target (issue): the funnel of a programme-year under 300 ms on PostgreSQL at 300,000
trajectories.
"""

# ruff: noqa: T201, S311 (a console benchmark with seeded, non-cryptographic randomness)
from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opstap.settings")
    import django

    django.setup()


def build(trajectories: int, seed: int = 7) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from opstap.clients.models import Client
    from opstap.core.models import Organisation
    from opstap.journeys.models import (
        PhaseChange,
        PhaseTarget,
        Programme,
        RouteOutcome,
        RouteType,
        Trajectory,
    )

    call_command("migrate", verbosity=0)
    if Trajectory.objects.count() >= trajectories:
        return
    rng = random.Random(seed)
    with transaction.atomic():
        PhaseChange.objects.all().delete()
        Trajectory.programmes.through.objects.all().delete()
        Trajectory.objects.all().delete()
        Client.objects.all().delete()
        PhaseTarget.objects.all().delete()
        Programme.objects.all().delete()
        org, _ = Organisation.objects.get_or_create(
            slug="bench", defaults={"name": "Bench", "kind": "microfinance", "country": "BE"}
        )
        partner, _ = Organisation.objects.get_or_create(
            slug="bench-partner", defaults={"name": "Partner", "kind": "ngo", "country": "BE"}
        )
        programmes = {
            year: Programme.objects.create(
                organisation=org,
                code=f"p{year}",
                name=f"Programme {year}",
                starts_on=datetime.date(year, 1, 1),
                ends_on=datetime.date(year, 12, 31),
            )
            for year in range(2020, 2025)
        }
        starter = RouteType.objects.get(organisation=None, code="starter")
        outcomes = list(RouteOutcome.objects.filter(route_type=starter))
        path = ["outreach", "informed", "intake", "guidance", "financing", "started", "aftercare"]
        batch = 5000
        made = 0
        while made < trajectories:
            size = min(batch, trajectories - made)
            clients = Client.objects.bulk_create(
                [
                    Client(
                        organisation=partner if rng.random() < 0.2 else org,
                        first_name="B",
                        last_name=f"Bench {made + i}",
                        search_name=f"b bench {made + i}",
                    )
                    for i in range(size)
                ]
            )
            rows, histories = [], []
            for client in clients:
                year = rng.randrange(2020, 2025)
                day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(300))
                first = rng.choice([0, 0, 1, 2])
                last = min(len(path) - 1, first + int(rng.expovariate(0.6)))
                steps = []
                for phase in path[first : last + 1]:
                    steps.append((phase, day))
                    day += datetime.timedelta(days=rng.randrange(5, 90))
                closed = rng.random() < 0.5
                if closed:
                    steps.append(("closed", day))
                rows.append(
                    Trajectory(
                        client=client,
                        organisation_id=client.organisation_id,
                        route_type=starter,
                        phase=steps[-1][0],
                        phase_since=steps[-1][1],
                        opened_on=steps[0][1],
                        closed_on=day if closed else None,
                        outcome=rng.choice(outcomes) if closed else None,
                    )
                )
                histories.append((year, steps))
            Trajectory.objects.bulk_create(rows)
            Trajectory.programmes.through.objects.bulk_create(
                [
                    Trajectory.programmes.through(trajectory_id=t.pk, programme=programmes[year])
                    for t, (year, _) in zip(rows, histories, strict=True)
                ]
            )
            PhaseChange.objects.bulk_create(
                [
                    PhaseChange(
                        trajectory_id=t.pk,
                        client_id=t.client_id,
                        from_phase=steps[i - 1][0] if i else "",
                        to_phase=phase,
                        on=on,
                    )
                    for t, (_, steps) in zip(rows, histories, strict=True)
                    for i, (phase, on) in enumerate(steps)
                ]
            )
            made += size
            print(f"  {made} trajectories", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(function, repeat: int) -> tuple[float, float]:
    function()  # warm-up
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trajectories", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from opstap.journeys.models import PhaseChange, Programme, Trajectory
    from opstap.reporting.funnel import funnel, programme_report

    build(args.trajectories)
    programme = Programme.objects.select_related("organisation").get(code="p2022")
    partner = programme.organisation.__class__.objects.get(slug="bench-partner")
    print(
        f"database: {connection.vendor}, trajectories: {Trajectory.objects.count()}, "
        f"phase changes: {PhaseChange.objects.count()}, "
        f"in {programme.code}: {programme.trajectories.count()}"
    )
    for label, function in [
        ("funnel", lambda: funnel(programme)),
        ("funnel, partner", lambda: funnel(programme, partner=partner)),
        ("programme report (funnel + routes)", lambda: programme_report(programme)),
    ]:
        median, p95 = timed(function, args.repeat)
        print(f"{label:40} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
