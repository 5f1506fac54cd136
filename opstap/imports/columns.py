"""Columns of an import file: header normalisation, aliases and cell parsers.

A header or a choice value is compared after `normalise`: lower case, no accents, every run
of other characters than letters and digits one space. So "Date de naissance", "date_de
naissance" and "DATE DE NAISSANCE " are the same header, and "Vrouw", "vrouw" the same value.

A parser turns one non-empty cell (a string from a CSV file; a string, number, date or
datetime from a workbook) into a Python value, or raises CellError with a message that says
what is accepted.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import normalise_for_search
from opstap.core import phones

DATE_INVALID = _(
    "Give a date as YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (for example 2024-03-31 or 31/03/2024)."
)
DATE_NOT_IN_CALENDAR = _("“%(value)s” is not a day in the calendar.")
NUMBER_INVALID = _("Give a number, for example 1250.50 or 1250,50.")
WHOLE_NUMBER_INVALID = _("Give a whole number, for example 120.")
NUMBER_NEGATIVE = _("The number cannot be negative.")
NUMBER_TOO_LARGE = _("The number cannot be larger than %(max)s.")
RATE_INVALID = _("Give a share from 0 to 1 (for example 0.20) or a percentage (for example 20%).")
CHOICE_INVALID = _("“%(value)s” is not one of the accepted values: %(accepted)s.")
TEXT_TOO_LONG = _("At most %(max)s characters are allowed; this cell has %(count)s.")
EMAIL_INVALID = _("“%(value)s” is not an e-mail address.")
PHONE_INVALID = _(
    "“%(value)s” is not a phone number (for example 0470 12 34 56 or +31 6 12345678)."
)
CODE_INVALID = _(
    "A code may only contain letters without accents, digits, hyphens and underscores "
    "(for example azo-2016)."
)
LIST_AGES_INVALID = _("Give whole numbers separated by commas, for example: 3, 7, 12.")

UNICODE_SPACES = re.compile(r"[\u00a0\u2007\u202f]")


def normalise(text: Any) -> str:
    """Header or value for comparison: lower case, no accents, words separated by one space."""
    plain = normalise_for_search(UNICODE_SPACES.sub(" ", str(text)))
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


class CellError(Exception):
    def __init__(self, message: Any, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as text: 1234.0 from a workbook is "1234", a date is YYYY-MM-DD."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return UNICODE_SPACES.sub(" ", str(value)).strip()


class Parser:
    """Turns a non-empty cell into a value; `accepted` describes what it takes (for docs)."""

    accepted: Any = ""

    def parse(self, value: Any) -> Any:  # pragma: no cover - every parser overrides it
        raise NotImplementedError

    def display(self, value: Any) -> str:
        return "" if value is None else str(value)


class Text(Parser):
    accepted = _("text")

    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length

    def parse(self, value: Any) -> str:
        text = cell_text(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(TEXT_TOO_LONG, {"max": self.max_length, "count": len(text)})
        return text


class Email(Text):
    accepted = _("an e-mail address")

    def parse(self, value: Any) -> str:
        text = super().parse(value).lower()
        try:
            validate_email(text)
        except ValidationError as exc:
            raise CellError(EMAIL_INVALID, {"value": text}) from exc
        return text


class Phone(Text):
    accepted = _("a phone number, such as 0470 12 34 56 or +31 6 12345678")

    def parse(self, value: Any) -> str:
        try:
            return phones.normalise(super().parse(value))
        except ValidationError as exc:
            raise CellError(PHONE_INVALID, {"value": cell_text(value)}) from exc


class Code(Text):
    accepted = _("letters without accents, digits, hyphens and underscores")

    def parse(self, value: Any) -> str:
        text = super().parse(value)
        try:
            validate_slug(text)
        except ValidationError as exc:
            raise CellError(CODE_INVALID) from exc
        return text


DATE_PATTERNS: list[tuple[re.Pattern[str], tuple[int, int, int]]] = [
    # (pattern, positions of year, month, day among the groups)
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?"), (0, 1, 2)),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (2, 1, 0)),
    (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), (2, 1, 0)),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (2, 1, 0)),
]


class Date(Parser):
    accepted = _("a date: YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY, or a date cell in Excel")

    def parse(self, value: Any) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if not isinstance(value, str):
            # A number in a date column is most likely an Excel serial date shown as a
            # number; guessing would silently shift dates, so ask for a real date.
            raise CellError(DATE_INVALID)
        text = value.strip()
        for pattern, (y, m, d) in DATE_PATTERNS:
            match = pattern.fullmatch(text)
            if match:
                groups = [int(g) for g in match.groups()]
                try:
                    return datetime.date(groups[y], groups[m], groups[d])
                except ValueError as exc:
                    raise CellError(DATE_NOT_IN_CALENDAR, {"value": text}) from exc
        raise CellError(DATE_INVALID)

    def display(self, value: Any) -> str:
        return value.isoformat() if value else ""


TIME_INVALID = _("Give a time as HH:MM, for example 09:30 or 14:00.")
TIME_PATTERN = re.compile(r"(\d{1,2})(?:[:.hu](\d{2}))?(?::(\d{2}))?\s*(?:h|u|uur)?")


class Time(Parser):
    accepted = _("a time: HH:MM (09:30, 14:00; 9u30 and 9h30 too), or a time cell in Excel")

    def parse(self, value: Any) -> datetime.time:
        if isinstance(value, datetime.datetime):
            return value.time().replace(second=0, microsecond=0)
        if isinstance(value, datetime.time):
            return value.replace(second=0, microsecond=0)
        match = TIME_PATTERN.fullmatch(cell_text(value).lower())
        if not match:
            raise CellError(TIME_INVALID)
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour > 23 or minute > 59:
            raise CellError(TIME_INVALID)
        return datetime.time(hour, minute)

    def display(self, value: Any) -> str:
        return value.strftime("%H:%M") if value else ""


THOUSANDS = re.compile(r"\d{1,3}(?:[ .]\d{3})+")


def _decimal_from_text(text: str) -> Decimal:
    text = UNICODE_SPACES.sub(" ", text).replace("€", "").strip()
    if THOUSANDS.fullmatch(text):
        text = text.replace(" ", "").replace(".", "")
    text = text.replace(" ", "")
    if "," in text and "." in text:
        # The last separator is the decimal one: 1.250,50 or 1,250.50.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise CellError(NUMBER_INVALID)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above rules this out
        raise CellError(NUMBER_INVALID) from exc


class DecimalNumber(Parser):
    accepted = _("a number; a decimal comma or point (1250,50 or 1250.50)")

    def __init__(self, minimum: Decimal | None = Decimal("0"), places: int = 2) -> None:
        self.minimum = minimum
        self.places = places

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(NUMBER_INVALID)
        if isinstance(value, int | float):
            number = Decimal(str(value))
        elif isinstance(value, str):
            number = _decimal_from_text(value)
        else:
            raise CellError(NUMBER_INVALID)
        if self.minimum is not None and number < self.minimum:
            raise CellError(NUMBER_NEGATIVE)
        return number.quantize(Decimal(1).scaleb(-self.places))


class WholeNumber(Parser):
    accepted = _("a whole number, 0 or more")

    def __init__(self, maximum: int | None = None) -> None:
        self.maximum = maximum

    def parse(self, value: Any) -> int:
        if isinstance(value, bool):
            raise CellError(WHOLE_NUMBER_INVALID)
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            text = UNICODE_SPACES.sub(" ", value).strip()
            if THOUSANDS.fullmatch(text):
                text = text.replace(" ", "").replace(".", "")
            if not re.fullmatch(r"[+-]?\d+", text):
                raise CellError(WHOLE_NUMBER_INVALID)
            number = int(text)
        else:
            raise CellError(WHOLE_NUMBER_INVALID)
        if number < 0:
            raise CellError(NUMBER_NEGATIVE)
        if self.maximum is not None and number > self.maximum:
            raise CellError(NUMBER_TOO_LARGE, {"max": self.maximum})
        return number


class Rate(Parser):
    """A share from 0 to 1; "20%" (or a percentage-formatted workbook cell, 0.2) is 0.20."""

    accepted = _("a share from 0 to 1 (0.20) or a percentage (20%)")

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, str) and value.strip().endswith("%"):
            number = _decimal_from_text(value.strip()[:-1]) / 100
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = Decimal(str(value))
        elif isinstance(value, str):
            number = _decimal_from_text(value)
        else:
            raise CellError(RATE_INVALID)
        if not Decimal(0) <= number <= Decimal(1):
            raise CellError(RATE_INVALID)
        return number.quantize(Decimal("0.0001"))

    def display(self, value: Any) -> str:
        return "" if value is None else f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def labels_in_all_languages(label: Any) -> set[str]:
    """A (lazy) label in every language Opstap speaks, so Dutch and French files match too."""
    if not isinstance(label, Promise):
        return {str(label)}
    names = set()
    for language in ("en", "nl", "fr"):
        with translation.override(language):
            names.add(str(label))
    return names


class Choice(Parser):
    """One of a fixed set of codes; a code, its label in nl/fr/en or an alias is accepted."""

    def __init__(
        self,
        choices: Sequence[tuple[Any, Any]] | Callable[[], Sequence[tuple[Any, Any]]],
        aliases: dict[Any, Iterable[str]] | None = None,
    ) -> None:
        self._choices = choices
        self._aliases = aliases or {}
        self._table: dict[str, Any] | None = None

    @property
    def choices(self) -> Sequence[tuple[Any, Any]]:
        return self._choices() if callable(self._choices) else self._choices

    @property
    def codes(self) -> list[str]:
        return [str(code) for code, _label in self.choices]

    @property
    def accepted(self) -> str:  # type: ignore[override]
        return ", ".join(self.codes)

    def table(self) -> dict[str, Any]:
        if self._table is None:
            table: dict[str, Any] = {}
            for code, label in self.choices:
                names = {str(code), *labels_in_all_languages(label)}
                names |= set(self._aliases.get(code, ()))
                for name in names:
                    table.setdefault(normalise(name), code)
            self._table = table
        return self._table

    def display(self, value: Any) -> str:
        labels = {code: label for code, label in self.choices}
        return "" if value is None else str(labels.get(value, value))

    def parse(self, value: Any) -> Any:
        text = cell_text(value)
        code = self.table().get(normalise(text))
        if code is None:
            raise CellError(CHOICE_INVALID, {"value": text, "accepted": self.accepted})
        return code


SEPARATORS = re.compile(r"[,;/|+]")


class ChoiceList(Parser):
    """Several choices in one cell, separated by commas, semicolons or slashes."""

    def __init__(self, choice: Choice) -> None:
        self.choice = choice

    @property
    def accepted(self) -> Any:  # type: ignore[override]
        return _("one or more of %(codes)s, separated by commas") % {"codes": self.choice.accepted}

    def parse(self, value: Any) -> list[Any]:
        codes: list[Any] = []
        for part in SEPARATORS.split(cell_text(value)):
            if part.strip():
                code = self.choice.parse(part)
                if code not in codes:
                    codes.append(code)
        return codes

    def display(self, value: Any) -> str:
        return ", ".join(self.choice.display(v) for v in value or [])


class WholeNumberList(Parser):
    accepted = _("whole numbers separated by commas, for example 3, 7, 12")

    def parse(self, value: Any) -> list[int]:
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts = [cell_text(value)]
        else:
            parts = [p.strip() for p in re.split(r"[,;/|]", cell_text(value)) if p.strip()]
        if not all(re.fullmatch(r"\d+", p) for p in parts):
            raise CellError(LIST_AGES_INVALID)
        return [int(p) for p in parts]

    def display(self, value: Any) -> str:
        return ", ".join(str(v) for v in value or [])


@dataclass
class Column:
    """One column an importer understands.

    `key` is the importer's name for it, `header` the canonical header (what the sample
    files and the documentation use), `aliases` other headers accepted for it (Dutch,
    French, English variants); the translations of `header` are accepted too.
    """

    key: str
    header: Any
    parser: Parser
    required: bool = False
    aliases: tuple[Any, ...] = ()
    help: Any = ""
    example: str = ""
    # A column only a member with this capability may import (None: anyone who may import).
    capability: str | None = None
    masked: bool = False
    names: set[str] = field(default_factory=set, init=False)

    def header_names(self) -> set[str]:
        if not self.names:
            names = {self.key, *labels_in_all_languages(self.header)}
            for alias in self.aliases:
                names |= labels_in_all_languages(alias)
            self.names = {normalise(n) for n in names}
        return self.names

    def spellings(self) -> list[str]:
        """The headers a file may give this column, as one would type them: the reader's
        own label first, then the other languages' and the aliases (any case is read)."""
        shown = [str(self.header)]
        for label in [*sorted(labels_in_all_languages(self.header)), self.key]:
            if label not in shown:
                shown.append(label)
        for alias in self.aliases:
            for label in sorted(labels_in_all_languages(alias)):
                if label not in shown:
                    shown.append(label)
        return shown

    def display(self, value: Any) -> str:
        text = self.parser.display(value)
        if self.masked and text:
            return "•" * max(len(text) - 3, 0) + text[-3:]
        return text
