"""Money, numbers and dates as the reader writes them: the one formatting path.

Every page, message, PDF, chart label and spreadsheet number format goes through these
functions, so "3 500,00 €" (French), "€ 3.500,00" (Dutch) and "€3,500.00" (English) come from
one place: Babel's CLDR data, not hand-made patterns. The reader's locale is the active
language (Django's) with the region of the active organisation (set per request by
`ActiveOrganisationMiddleware`, or by `reading_as` for a document made in the background):
a Dutch reader in Brussels writes 6/12/2026, one in Emmerveen 6-12-2026. English is read as
in the euro area, day before month (en_IE), see docs/decisions/0005-locale-formatting.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.utils import timezone, translation

CURRENCY = "EUR"
DEFAULT_REGION = "BE"
EMPTY = "—"

# English has no Belgian or Dutch CLDR locale that writes euros the English way (en_BE
# writes "3.500,00 €"); Irish English is the euro area's English, day before month.
ENGLISH_LOCALE = "en_IE"

_region: contextvars.ContextVar[str] = contextvars.ContextVar("opstap_region", default="")


def current_region() -> str:
    return _region.get() or DEFAULT_REGION


@contextlib.contextmanager
def region(country: str | None) -> Iterator[None]:
    """Format as read in `country` (BE or NL) inside the block."""
    token = _region.set((country or "").upper())
    try:
        yield
    finally:
        _region.reset(token)


def set_region(country: str | None) -> contextvars.Token[str]:
    """For middleware: set the region for this request; reset with `reset_region(token)`."""
    return _region.set((country or "").upper())


def reset_region(token: contextvars.Token[str]) -> None:
    _region.reset(token)


@contextlib.contextmanager
def reading_as(language: str | None, country: str | None) -> Iterator[None]:
    """A document for a given reader (a letter in the organisation's language, say)."""
    with translation.override(language or translation.get_language()), region(country):
        yield


@lru_cache(maxsize=32)
def _babel_locale(language: str, country: str) -> Locale:
    language = (language or "nl").split("-")[0].split("_")[0].lower()
    if language == "en":
        return Locale.parse(ENGLISH_LOCALE)
    for candidate in (f"{language}_{country}", f"{language}_{DEFAULT_REGION}", language):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("nl_BE")


def reader_locale(language: str | None = None) -> Locale:
    """The Babel locale of the reader: the active (or given) language in the current region."""
    return _babel_locale(language or translation.get_language() or "nl", current_region())


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def money(value: Any, *, places: int = 2, empty: str = EMPTY, language: str | None = None) -> str:
    """An amount in euro: "3 500,00 €", "€ 3.500,00", "€3,500.00"; `empty` for nothing."""
    amount = _decimal(value)
    if amount is None:
        return empty
    locale = reader_locale(language)
    if places == 2:
        return babel_numbers.format_currency(amount, CURRENCY, locale=locale)
    pattern = locale.currency_formats["standard"].pattern
    if places == 0:
        pattern = pattern.replace(".00", "")
    return babel_numbers.format_currency(
        amount, CURRENCY, format=pattern, locale=locale, currency_digits=False
    )


def number(value: Any, places: int | None = 0, *, empty: str = EMPTY) -> str:
    """A number with the reader's grouping and decimal sign: 2.533 / 2 533 / 2,533.

    `places=None` keeps the value's own decimals (no trailing zeros added or removed).
    """
    amount = _decimal(value)
    if amount is None:
        return empty
    locale = reader_locale()
    if places is None:
        return babel_numbers.format_decimal(amount, locale=locale, decimal_quantization=False)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return babel_numbers.format_decimal(amount, format=pattern, locale=locale)


def _percent(share: Decimal, places: int, digit: str) -> str:
    """The locale's own percent pattern with `places` decimals ("0": always, "#": if any)."""
    locale = reader_locale()
    pattern = locale.percent_formats[None].pattern.split(";")[0]
    if places:
        pattern = pattern.replace("#,##0", "#,##0." + digit * places, 1)
    return babel_numbers.format_percent(share, format=pattern, locale=locale)


def percent(share: Any, places: int = 1, *, empty: str = EMPTY) -> str:
    """A share (0.205) as a percentage in the reader's format: 20,5 % / 20.5%."""
    amount = _decimal(share)
    return empty if amount is None else _percent(amount, places, "0")


def percentage(value: Any, places: int = 2, *, empty: str = EMPTY) -> str:
    """A rate already in percent (12.5 for 12.5 %), as rates are stored on loans: up to
    `places` decimals, without trailing zeros (12 %, 12,5 %, 12,75 %)."""
    amount = _decimal(value)
    return empty if amount is None else _percent(amount / 100, places, "#")


def _as_local(value: datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day(value: datetime.date | None, style: str = "long", *, empty: str = "") -> str:
    """A date: "6 december 2026" (long), "6 dec 2026" (medium), "6/12/2026" (short),
    "december 2026" (month) or "dec" (month_abbr).

    The short form always has four year digits (CLDR's fr_BE short form has two, which
    makes a birth date in 1926 ambiguous).
    """
    if value is None or value == "":
        return empty
    value = _as_local(value)
    locale = reader_locale()
    if style == "short":
        return babel_dates.format_skeleton("yMd", value, locale=locale)
    if style == "medium":
        return babel_dates.format_skeleton("yMMMd", value, locale=locale)
    if style == "month":
        return babel_dates.format_skeleton("yMMMM", value, locale=locale)
    if style == "month_abbr":
        return babel_dates.format_skeleton("MMM", value, locale=locale)
    return babel_dates.format_date(value, "long", locale=locale)


def moment(value: datetime.datetime | None, style: str = "long", *, empty: str = "") -> str:
    """A date and time: "6 december 2026 09:05" / "6/12/2026 09:05" in the local time zone."""
    if value is None or value == "":
        return empty
    value = _as_local(value)
    locale = reader_locale()
    time = babel_dates.format_time(value, "HH:mm", locale=locale)
    short = style == "short"
    pattern = str(locale.datetime_formats["short" if short else "medium"])
    return pattern.replace("{1}", day(value, "short" if short else "long")).replace("{0}", time)


def excel_money_format(language: str | None = None) -> str:
    """The xlsx number format that shows euros as the reader writes them.

    Excel applies its own grouping and decimal signs to `#,##0.00`; only the place of the
    euro sign and the space are the locale's, so they are taken from the same CLDR pattern.
    """
    pattern = reader_locale(language).currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace("\u00a0", " ").replace("\u202f", " ")
    return pattern.replace("¤", '"€"').replace(" ", "\\ ")


# Excel's built-in format 14 is the reader's own short date (Excel and LibreOffice show it
# in the system's regional format), where "yyyy-mm-dd" would be the same for everyone.
EXCEL_DATE_FORMAT = "mm-dd-yy"
