"""`opstap demo`: load fictitious organisations, staff and clients to try Opstap with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opstap.core.models import Organisation, User
from opstap.demo.generator import (
    DEFAULT_CLIENTS,
    DEFAULT_SEED,
    DEMO_SLUGS,
    PRODUCTION_REFUSED,
    SUPERUSER_EMAIL,
    DemoError,
    build_demo,
    demo_logins,
)


class Command(BaseCommand):
    help = (
        "Load demo data: three organisations (Brussels, Ghent, a Dutch municipality), a login "
        "for every role, fictitious clients and their files. The same seed gives the same "
        "data; coaching sessions, referrals and the loans' arrears are dated from today."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=DEFAULT_CLIENTS,
            help=f"Number of clients (default {DEFAULT_CLIENTS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Build nothing when the database already has an organisation; "
            "just print the demo logins.",
        )

    def handle(self, *args: Any, clients: int, seed: int, if_empty: bool, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(PRODUCTION_REFUSED)
        if clients < 0:
            raise CommandError("--clients cannot be negative.")
        if if_empty and Organisation.objects.exists():
            self.stdout.write("The database already has organisations: no demo data added.")
        else:
            try:
                build_demo(clients=clients, seed=seed, stdout=self.stdout)
            except DemoError as exc:
                raise CommandError(str(exc)) from exc
        self._print_logins()

    def _print_logins(self) -> None:
        present = set(
            Organisation.objects.filter(slug__in=DEMO_SLUGS).values_list("slug", flat=True)
        )
        if not present:
            self.stdout.write("None of the demo organisations is in this database.")
            if User.objects.filter(email=SUPERUSER_EMAIL).exists():
                self.stdout.write(f"Django admin login: {SUPERUSER_EMAIL}")
            return
        self.stdout.write("")
        self.stdout.write(demo_logins(present))
