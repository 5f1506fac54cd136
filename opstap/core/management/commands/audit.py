"""`opstap audit verify [--organisation SLUG]`: prove the audit and access logs' hash chains."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from opstap.core.audit import ChainReport, verify_chains
from opstap.core.models import Organisation


def describe(report: ChainReport) -> str:
    where = f"{report.organisation_slug} · {report.log}"
    if report.broken is None:
        return f"{where}: {report.rows} rows checked, OK (head {report.last_hash})"
    broken = report.broken
    row = f"{broken.table} id {broken.row_id}" if broken.row_id is not None else broken.table
    at = f" at {broken.at.isoformat()}" if broken.at else ""
    return f"{where}: BROKEN after {report.rows} good rows: {row}{at}: {broken.reason}"


class Command(BaseCommand):
    help = "Verify the hash chains of the audit and access logs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="Recompute every chain; name the first broken link and exit 1 if there is one.",
        )
        verify.add_argument("--organisation", metavar="SLUG", help="only this organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options.get("organisation"):
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with short name {options['organisation']!r}.")
        broken = 0
        for report in verify_chains(organisation):
            line = describe(report)
            if report.ok:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                broken += 1
                self.stdout.write(self.style.ERROR(line))
        if broken:
            raise CommandError(f"{broken} broken chain(s).", returncode=1)
