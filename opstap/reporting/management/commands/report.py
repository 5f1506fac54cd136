"""`opstap report funnel …` and `opstap report targets …`: the figures of the report pages.

    opstap report funnel --programme azo [--organisation SLUG] [--partner SLUG]
                         [--from 2024-01-01] [--to 2024-12-31] --format json|csv|xlsx
    opstap report targets --organisation SLUG [--from …] [--to …] --format json|csv|xlsx

Output goes to stdout (xlsx as bytes, so redirect it: `> report.xlsx`) or to `--output FILE`.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from opstap.core.models import Organisation
from opstap.journeys.models import Programme

from ...exports import FORMATS, render
from ...funnel import (
    ProgrammeReport,
    TargetsReport,
    default_year,
    partner_choices,
    programme_report,
    targets_report,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(option: str, raw: str | None) -> datetime.date | None:
    if raw is None:
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            _("%(option)s: “%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31.")
            % {"option": option, "value": raw}
        ) from None


def find_organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(_("There is no organisation “%(slug)s”.") % {"slug": slug})
    return organisation


def find_programme(code: str, organisation_slug: str | None) -> Programme:
    programmes = Programme.objects.select_related("organisation").filter(code=code)
    if organisation_slug is not None:
        programmes = programmes.filter(organisation=find_organisation(organisation_slug))
    found = list(programmes.order_by("organisation__slug")[:10])
    if not found:
        raise CommandError(_("There is no programme with the code “%(code)s”.") % {"code": code})
    if len(found) > 1:
        raise CommandError(
            _(
                "Several organisations have a programme “%(code)s” (%(organisations)s); "
                "choose one with --organisation."
            )
            % {"code": code, "organisations": ", ".join(p.organisation.slug for p in found)}
        )
    return found[0]


class Command(BaseCommand):
    help = "Print the funnel of a programme or the route targets of an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        reports = parser.add_subparsers(dest="report", required=True, metavar="{funnel,targets}")
        funnel = reports.add_parser(
            "funnel",
            help="The funnel of a programme against its targets, the start rate and "
            "the performance of its routes.",
        )
        funnel.add_argument("--programme", required=True, metavar="CODE")
        funnel.add_argument(
            "--organisation", metavar="SLUG", help="The promoter, when several have this code."
        )
        funnel.add_argument(
            "--partner", metavar="SLUG", help="Only the clients of this partner organisation."
        )
        targets = reports.add_parser(
            "targets",
            help="Per route: closed trajectories, success rate and mean duration "
            "against the organisation's performance targets.",
        )
        targets.add_argument("--organisation", required=True, metavar="SLUG")
        for sub, default in ((funnel, "the programme's"), (targets, "this year's")):
            sub.add_argument(
                "--from",
                dest="start",
                metavar="YYYY-MM-DD",
                help=f"First day of the period (default: {default} first day).",
            )
            sub.add_argument(
                "--to",
                dest="end",
                metavar="YYYY-MM-DD",
                help=f"Last day of the period (default: {default} last day"
                + (", or today)." if sub is targets else ")."),
            )
            sub.add_argument("--format", required=True, choices=FORMATS)
            sub.add_argument("--output", metavar="FILE", help="Write to FILE instead of stdout.")
            sub.add_argument(
                "--language",
                choices=[code for code, _name in settings.LANGUAGES],
                help="Language of labels and headers (default: the site's, LANGUAGE_CODE).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options.get("language") or translation.get_language()):
            start = parse_date("--from", options["start"])
            end = parse_date("--to", options["end"])
            if options["report"] == "funnel":
                report = self._funnel(options, start, end)
            else:
                report = self._targets(options, start, end)
            self._write(render(report, options["format"]), options.get("output"))

    def _funnel(
        self, options: dict[str, Any], start: datetime.date | None, end: datetime.date | None
    ) -> ProgrammeReport:
        programme = find_programme(options["programme"], options.get("organisation"))
        partner = None
        if options.get("partner"):
            partner = next(
                (o for o in partner_choices(programme) if o.slug == options["partner"]), None
            )
            if partner is None:
                raise CommandError(
                    _("“%(slug)s” is not an organisation of the programme “%(code)s”.")
                    % {"slug": options["partner"], "code": programme.code}
                )
        start = start or programme.starts_on
        end = end or programme.ends_on
        self._check_period(start, end)
        return programme_report(programme, start, end, partner)

    def _targets(
        self, options: dict[str, Any], start: datetime.date | None, end: datetime.date | None
    ) -> TargetsReport:
        organisation = find_organisation(options["organisation"])
        default_start, default_end = default_year(end)
        start, end = start or default_start, end or default_end
        self._check_period(start, end)
        return targets_report(organisation, start, end)

    def _check_period(self, start: datetime.date, end: datetime.date) -> None:
        if start > end:
            raise CommandError(
                _("The period starts (%(start)s) after it ends (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            )

    def _write(self, content: str | bytes, output: str | None) -> None:
        if output:
            path = Path(output)
            try:
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s") % {"file": output, "error": exc.strerror}
                ) from None
            return
        if isinstance(content, str):
            self.stdout.write(content, ending="")
            return
        stream = getattr(self.stdout, "_out", sys.stdout)
        if stream.isatty():
            raise CommandError(
                _("An xlsx file is binary: redirect the output (> report.xlsx) or use --output.")
            )
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise CommandError(_("This output takes no binary data; use --output FILE."))
        stream.flush()
        buffer.write(content)
        buffer.flush()
