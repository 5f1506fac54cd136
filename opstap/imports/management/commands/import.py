"""`opstap import KIND FILE --organisation SLUG [--dry-run] [--as EMAIL]` (docs/imports.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from opstap.core.models import Membership, Organisation, User

from ...kinds import IMPORTERS
from ...readers import FileProblem
from ...runner import import_file, may_import


class Command(BaseCommand):
    help = (
        "Import programmes, clients, trajectories or activities from a CSV or xlsx file. "
        "All or nothing: a file with any error changes nothing. See docs/imports.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="what the file holds")
        parser.add_argument("file", help="a .csv (UTF-8, ; or , separated) or .xlsx file")
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything, including the services' rules, then change nothing",
        )
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="EMAIL",
            help="the member the audit trail names (needs the right to edit client files); "
            "without it the import is recorded as done by the system",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the messages (default: the active language)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options.get("language")
        with translation.override(language) if language else nullcontext():
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(
                _("No organisation has the short name %(slug)s (see `opstap organisation list`).")
                % {"slug": options["organisation"]}
            )
        actor = None
        if options.get("actor"):
            actor = User.objects.filter(email__iexact=options["actor"].strip()).first()
            membership = (
                Membership.objects.active()
                .with_roles()
                .filter(user=actor, organisation=organisation)
                .first()
                if actor is not None and actor.is_active
                else None
            )
            if not may_import(membership):
                raise CommandError(
                    _(
                        "%(email)s is not an active member of %(organisation)s who may edit "
                        "client files."
                    )
                    % {"email": options["actor"], "organisation": organisation.slug}
                )
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("The file %(file)s cannot be read: %(problem)s")
                % {"file": path, "problem": exc.strerror or exc}
            ) from exc
        try:
            result = import_file(
                kind=options["kind"],
                data=data,
                filename=path.name,
                organisation=organisation,
                actor=actor,
                dry_run=options["dry_run"],
            )
        except FileProblem as problem:
            raise CommandError(f"{path.name}: {problem}") from problem
        for error in result.errors:
            self.stderr.write(strip_tags(str(error)))
        if result.errors:
            raise CommandError(result.summary(), returncode=1)
        prefix = _("Dry run, nothing was changed.") + " " if result.dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary()))
