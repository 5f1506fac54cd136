"""`opstap loan schedule FILE|-`: print the repayment schedule for loan terms in JSON.

The JSON contract is in docs/lending.md. Bad input exits with status 2 and one line on stderr
naming the key at fault, so scripts can tell it from a crash (status 1).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand

from opstap.lending.engine import (
    TermsError,
    generate_schedule,
    schedule_to_json,
    terms_from_json,
)

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Loan tools. `loan schedule FILE` prints the schedule for the terms in a JSON file."
    # Lets tests hand the command a stdin without touching sys.stdin.
    stealth_options = ("stdin",)
    # Pure calculation: no database, URLs or templates to check, and scripts call it often.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        schedule = subcommands.add_parser(
            "schedule",
            help="print the repayment schedule for loan terms as JSON (see docs/lending.md)",
            description="Read loan terms as JSON and print the repayment schedule as JSON.",
        )
        schedule.add_argument("file", help="a JSON file with the loan terms, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "schedule":
            self._schedule(options["file"], options.get("stdin") or sys.stdin)

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"error: {message}")
        raise SystemExit(BAD_INPUT)

    def _schedule(self, file: str, stdin: Any) -> None:
        try:
            text = stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self._fail(f"cannot read {file}: {error}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._fail(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
        try:
            terms = terms_from_json(data)
        except TermsError as error:
            self._fail(str(error))
        self.stdout.write(json.dumps(schedule_to_json(generate_schedule(terms)), indent=2))
