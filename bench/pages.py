"""Time the hot pages through Django's test client on one database (see bench/__main__.py)."""

from __future__ import annotations

import argparse
import datetime
import importlib
import random
import statistics
import time

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opstap.clients.models import Client  # noqa: E402
from opstap.core.models import Membership, Organisation  # noqa: E402
from opstap.core.roles import Role  # noqa: E402


def ensure_data(clients: int, rebuild: bool) -> None:
    call_command("migrate", verbosity=0)
    from opstap.journeys.models import Trajectory

    have = Client.objects.count()
    if have == clients and Trajectory.objects.exists() and not rebuild:
        print(f"reusing {have:,} demo clients")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    if have:
        call_command("flush", interactive=False, verbosity=0)
    from opstap.journeys.models import RouteType

    if not RouteType.objects.filter(organisation=None).exists():
        # flush also empties the rows data migrations made (the built-in route types).
        migration = importlib.import_module("opstap.journeys.migrations.0002_builtin_route_types")
        migration.forwards(apps, None)
    started = time.perf_counter()
    call_command("demo", clients=clients, seed=2026, verbosity=0)
    print(f"built {clients:,} demo clients in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(
    label: str, http: HttpClient, urls: list[str], headers: dict[str, str] | None = None
) -> None:
    headers = headers or {}
    for url in urls[:5]:  # warm caches and connections
        http.get(url, headers=headers)
    timings: list[float] = []
    queries: list[int] = []
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = http.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"  {label:<34} n={len(timings):<4} median {statistics.median(timings):7.1f} ms"
        f"   p95 {p95:7.1f} ms   queries/page {min(queries)}–{max(queries)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--repeat", type=int, required=True)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    ensure_data(args.clients, args.rebuild)
    rng = random.Random(7)
    organisation = Organisation.objects.order_by("pk").first()
    adviser = (
        Membership.objects.filter(organisation=organisation, role_grants__role=Role.ADVISER)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )
    in_org = Client.objects.filter(organisation=organisation)
    total_in_org = in_org.count()
    print(
        f"\n== {args.database} ({connection.vendor}): {Client.objects.count():,} clients, "
        f"{total_in_org:,} in the adviser's organisation '{organisation.slug}'"
    )

    http = HttpClient()
    http.force_login(adviser)
    sample = list(in_org.order_by("?").values_list("pk", "last_name", "postcode")[: args.repeat])
    rng.shuffle(sample)
    name_parts = [last[: max(3, len(last) // 2)].lower() for _, last, _ in sample]
    measure(
        "client search by name (htmx)",
        http,
        [f"/clients/?q={part}" for part in name_parts],
        {"HX-Request": "true"},
    )
    measure(
        "client search by postcode (page)",
        http,
        [f"/clients/?q={postcode}" for _, _, postcode in sample if postcode],
    )
    numbers = [
        c.national_number
        for c in in_org.exclude(national_number_encrypted="").order_by("?")[: min(args.repeat, 100)]
    ]
    measure("client search by national number", http, [f"/clients/?q={n}" for n in numbers])
    measure("client list, first page", http, ["/clients/"] * min(args.repeat, 100))
    measure("client detail", http, [f"/clients/{pk}/" for pk, _, _ in sample])
    measure("dashboard (adviser)", http, ["/"] * min(args.repeat, 100))
    measure_routes(http, organisation, adviser, args.repeat)
    reset_queries()


def attendance_session(organisation: Organisation, adviser, size: int) -> int:
    """An information session with `size` registrations (made once, through the services)."""
    from django.utils import timezone

    from opstap.activities.models import Activity
    from opstap.activities.services import activity_create, registration_add

    title = f"Bench information session ({size})"
    existing = Activity.objects.filter(organisation=organisation, title=title).first()
    if existing is not None:
        return existing.pk
    starts = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    activity = activity_create(
        actor=adviser,
        organisation=organisation,
        kind="info_session",
        title=title,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        capacity=size,
    )
    for client in Client.objects.filter(organisation=organisation).order_by("pk")[:size]:
        registration_add(actor=adviser, activity=activity, client=client)
    return activity.pk


def measure_routes(http: HttpClient, organisation: Organisation, adviser, repeat: int) -> None:
    from opstap.journeys.models import PhaseChange, Programme, Trajectory
    from opstap.reporting.funnel import funnel

    trajectories = Trajectory.objects.count()
    changes = PhaseChange.objects.count()
    print(f"  routes: {trajectories:,} trajectories, {changes:,} phase changes")
    times = min(repeat, 50)
    measure("route board (starter, adviser)", http, ["/routes/board/"] * times)
    session = attendance_session(organisation, adviser, 40)
    measure(
        "attendance page (40 registrations)", http, [f"/activities/{session}/attendance/"] * times
    )
    programme = Programme.objects.filter(organisation=organisation).order_by("-starts_on").first()
    year_start = programme.starts_on
    year_end = year_start.replace(year=year_start.year + 1) - __import__("datetime").timedelta(
        days=1
    )
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        funnel(programme, year_start, year_end)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"  {'funnel, programme-year (function)':<34} n={len(timings):<4} median "
        f"{statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms"
    )
    measure(
        "programme page (funnel + routes)",
        http,
        [f"/reports/programmes/{programme.pk}/?from={year_start}&to={year_end}"] * times,
    )


if __name__ == "__main__":
    main()
