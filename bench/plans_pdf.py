"""PDF generation time of a business plan (run by `python -m bench`, see bench/__main__.py).

Builds one organisation, client and plan through the services in its own SQLite database
(var/bench/plans/), evaluates the bakery sample plan and times `plans.pdf.plan_pdf`
(template rendering, charts and WeasyPrint layout) over a number of runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from decimal import Decimal
from pathlib import Path

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from opstap.clients.models import Client  # noqa: E402
from opstap.core.models import Organisation, User  # noqa: E402
from opstap.plans import services  # noqa: E402
from opstap.plans.choices import Section  # noqa: E402
from opstap.plans.pdf import plan_pdf  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "opstap" / "plans" / "samples" / "bakery.json"
TODAY = datetime.date(2026, 11, 20)


def build():
    call_command("migrate", verbosity=0)
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-plans", defaults={"name": "Bench Plans", "country": "BE", "kind": "ngo"}
    )
    actor, _ = User.objects.get_or_create(email="bench-plans@example.org")
    client, _ = Client.objects.get_or_create(
        organisation=organisation,
        first_name="Amina",
        last_name="Bakkali",
        defaults={"preferred_language": "fr"},
    )
    services.assumptions_save(
        actor=actor,
        organisation=organisation,
        valid_from=datetime.date(2026, 1, 1),
        tax_and_contributions_rate=Decimal("0.30"),
        dscr_threshold=Decimal("1.2"),
    )
    plan = services.plan_create(
        actor=actor, organisation=organisation, client=client, title="Boulangerie", today=TODAY
    )
    version = plan.versions.get()
    for section in Section.values:
        services.plan_section_save(
            actor=actor, version=version, section=section, text="Lorem ipsum dolor sit amet. " * 40
        )
    financial = json.loads(SAMPLE.read_text())
    services.plan_financial_save(actor=actor, version=version, financial=financial, today=TODAY)
    version.refresh_from_db()
    return version


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    version = build()
    plan_pdf(version)  # fonts and templates loaded once, as in a running server
    times = []
    size = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        size = len(plan_pdf(version))
        times.append((time.perf_counter() - started) * 1000)
    print("\n== business plan PDF")
    print(
        f"business plan PDF ({connection.vendor}, French, 9 sections, 36-month cash flow, "
        f"2 charts, {size // 1024} KB, {args.runs} runs): "
        f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
    )


if __name__ == "__main__":
    main()
