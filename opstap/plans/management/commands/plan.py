"""`opstap plan evaluate FILE|-`: evaluate a financial plan in JSON and print the result.

The JSON contract is in docs/plans.md. Bad input exits with status 2 and one line on stderr
naming the key at fault, so scripts can tell it from a crash (status 1).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand

from opstap.plans.calculation import PlanError, evaluate, evaluation_to_json, plan_from_json

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Financial plan tools. `plan evaluate FILE` evaluates the plan in a JSON file."
    # Lets tests hand the command a stdin without touching sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        evaluate_parser = subcommands.add_parser(
            "evaluate",
            help="evaluate a financial plan and print the result as JSON (see docs/plans.md)",
            description="Read a financial plan as JSON and print its evaluation as JSON: "
            "cash flow per month, profit and loss per year, checks and verdict.",
        )
        evaluate_parser.add_argument("file", help="a JSON file with the plan, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "evaluate":
            self._evaluate(options["file"], options.get("stdin") or sys.stdin)

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"error: {message}")
        raise SystemExit(BAD_INPUT)

    def _evaluate(self, file: str, stdin: Any) -> None:
        try:
            text = stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self._fail(f"cannot read {file}: {error}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._fail(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
        except RecursionError:
            self._fail("invalid JSON: nested too deeply")
        try:
            plan = plan_from_json(data)
        except PlanError as error:
            self._fail(str(error))
        result = evaluation_to_json(evaluate(plan))
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
