"""`opstap privacy retention [--dry-run] [--date YYYY-MM-DD] [--organisation ID] [--client ID]
[--enqueue]`.

Anonymises what has passed its retention period, or its legal hold, and writes a retention
run per organisation (the report on the privacy pages). Run it daily (cron or a scheduler);
with --enqueue the task worker (`opstap db_worker`) runs it instead.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from opstap.core.models import Organisation
from opstap.privacy.services import retention_run
from opstap.privacy.tasks import retention_task


class Command(BaseCommand):
    help = "Privacy chores: `retention` anonymises what has expired."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="chore", required=True)
        retention = sub.add_parser("retention", help="anonymise what has expired")
        retention.add_argument("--dry-run", action="store_true", help="report, change nothing")
        retention.add_argument("--date", help="the day to judge on (YYYY-MM-DD), default today")
        retention.add_argument("--organisation", type=int, help="only this organisation (id)")
        retention.add_argument(
            "--client", type=int, action="append", help="only this file (id; repeatable)"
        )
        retention.add_argument("--enqueue", action="store_true", help="hand it to the task worker")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            on = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        if options["enqueue"]:
            if options["dry_run"] or options["organisation"] or options["client"]:
                raise CommandError("--enqueue runs every organisation for real")
            result = retention_task.enqueue(on.isoformat())
            self.stdout.write(f"enqueued the retention run for {on}: task {result.id}")
            return
        organisations = Organisation.objects.order_by("pk")
        if options["organisation"]:
            organisations = organisations.filter(pk=options["organisation"])
            if not organisations.exists():
                raise CommandError(f"no organisation {options['organisation']}")
        verb = "would anonymise" if options["dry_run"] else "anonymised"
        for organisation in organisations:
            run = retention_run(
                on=on,
                organisation=organisation,
                dry_run=options["dry_run"],
                client_ids=options["client"],
            )
            self.stdout.write(
                f"{organisation.slug}: {verb} {run.rows} rows in {run.files} files (run {run.pk})"
            )
