"""`opstap organisation create …`: scripted set-up of an organisation."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opstap.core.models import Organisation
from opstap.core.services import organisation_create


def validation_message(exc: ValidationError) -> str:
    """One line per bad field, 'field: message', for the terminal."""
    if hasattr(exc, "error_dict"):
        return "\n".join(
            f"{field}: {' '.join(message for error in errors for message in error.messages)}"
            for field, errors in exc.error_dict.items()
        )
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Manage organisations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an organisation.")
        create.add_argument("--slug", required=True, help="short name used in commands and URLs")
        create.add_argument("--name", required=True)
        create.add_argument("--kind", required=True, choices=Organisation.Kind.values)
        create.add_argument("--country", required=True, choices=Organisation.Country.values)
        create.add_argument(
            "--language", default="nl", choices=["nl", "fr", "en"], help="default language"
        )
        create.add_argument(
            "--enterprise-number", default="", help="KBO/BCE (BE) or KvK (NL) number"
        )
        sub.add_parser("list", help="List organisations.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for organisation in Organisation.objects.order_by("slug"):
                self.stdout.write(
                    f"{organisation.slug}\t{organisation.country}\t{organisation.kind}\t{organisation.name}"
                )
            return
        try:
            organisation = organisation_create(
                actor=None,
                slug=options["slug"],
                name=options["name"],
                kind=options["kind"],
                country=options["country"],
                default_language=options["language"],
                enterprise_number=options["enterprise_number"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created organisation {organisation.slug}: {organisation.name}")
        )
