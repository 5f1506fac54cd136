"""`opstap member add …`: scripted set-up of the people who work in an organisation."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opstap.core.models import Organisation
from opstap.core.roles import Role
from opstap.core.services import member_add

from .organisation import validation_message


class Command(BaseCommand):
    help = "Manage members of organisations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a person to an organisation with one or more roles.")
        add.add_argument("--organisation", required=True, help="the organisation's slug")
        add.add_argument("--email", required=True)
        add.add_argument(
            "--role",
            required=True,
            action="append",
            choices=Role.values,
            help="repeat for several roles",
        )
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(
                f"organisation: no organisation with slug {options['organisation']!r} "
                "(see `opstap organisation list`)"
            )
        try:
            membership = member_add(
                actor=None,
                organisation=organisation,
                email=options["email"],
                roles=set(options["role"]),
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{membership.user.email} is now {', '.join(sorted(options['role']))} "
                f"in {organisation.slug}. "
                "They set a password through 'Forgot your password?' on the login page."
            )
        )
