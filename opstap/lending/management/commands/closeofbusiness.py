"""`opstap closeofbusiness [--date YYYY-MM-DD] [--organisation ID] [--enqueue]`.

Run daily (cron or a scheduler) after the last payment of the day is posted. Without
--enqueue it runs here and now; with it, a task worker (`opstap db_worker`) runs it.
"""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from opstap.lending.closing import close_of_business
from opstap.lending.tasks import close_of_business_task


class Command(BaseCommand):
    help = "Update arrears, accrue what fell due and snapshot the loan portfolio for a day."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date, YYYY-MM-DD (default: today)")
        parser.add_argument("--organisation", type=int, help="only this organisation's loans")
        parser.add_argument("--enqueue", action="store_true", help="hand it to the task worker")

    def handle(self, *args, **options):
        try:
            on = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError(
                f"--date: {options['date']!r} is not a date like 2026-11-30"
            ) from None
        if options["enqueue"]:
            result = close_of_business_task.enqueue(on.isoformat(), options["organisation"])
            self.stdout.write(f"enqueued close of business for {on}: task {result.id}")
            return
        started = time.perf_counter()
        result = close_of_business(on=on, organisation_id=options["organisation"])
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"close of business {on}: {result.loans} active loans, {result.accrued} with "
            f"interest or fees falling due, {result.organisations} organisation(s), {seconds:.1f} s"
        )
