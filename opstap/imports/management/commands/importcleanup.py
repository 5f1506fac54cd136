"""`opstap importcleanup`: delete uploaded import files older than an hour (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...uploads import purge


class Command(BaseCommand):
    help = "Delete files uploaded for an import that were not imported within an hour."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = purge()
        if options["verbosity"] > 1:
            self.stdout.write(f"{removed} expired upload(s) deleted.")
