"""Validation of identity and registration numbers with python-stdnum.

Each error names what is wrong (length, check digit, format) so that a person can fix the
number they typed; the messages are constants that the tests import.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)
from stdnum.nl import bsn as nl_bsn
from stdnum.nl import postcode as nl_postcode

NATIONAL_NUMBER_LENGTH_BE = _("A Belgian national number has 11 digits; you typed %(count)s.")
NATIONAL_NUMBER_LENGTH_NL = _("A BSN has 9 digits; you typed %(count)s.")
NATIONAL_NUMBER_CHECKSUM = _("The check digits do not match: a digit was probably mistyped.")
NATIONAL_NUMBER_FORMAT = _(
    "A national number may only contain digits (dots, dashes and spaces are ignored)."
)
NATIONAL_NUMBER_DATE = _("The first six digits must be a valid birth date (YYMMDD).")
ENTERPRISE_NUMBER_BE = _(
    "A Belgian enterprise number (KBO/BCE) has 10 digits and a valid check: %(problem)s"
)
ENTERPRISE_NUMBER_NL = _("A KvK number has exactly 8 digits.")
POSTCODE_BE = _("A Belgian postcode has four digits, from 1000 to 9999 (for example 1000).")
POSTCODE_NL = _("A Dutch postcode has four digits and two letters (for example 1012 AB).")
IBAN_LENGTH = _("An IBAN of this country has %(expected)s characters; you typed %(count)s.")
IBAN_CHECKSUM = _("The IBAN check digits do not match: a character was probably mistyped.")
IBAN_FORMAT = _("This is not an IBAN: it starts with a country code, then two check digits.")
STDNUM_LENGTH = _("the length is wrong")
STDNUM_CHECKSUM = _("the check digits do not match")
STDNUM_FORMAT = _("only digits are allowed")
STDNUM_FIRST_DIGIT = _(
    "it must start with 0 or 1 (a number starting with 2 to 9 is an establishment unit)"
)


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value or "")


def validate_national_number(value: str, country: str) -> str:
    """The national number in compact form, or a ValidationError saying what is wrong."""
    compact = _digits(value)
    module, length_message, expected = (
        (be_nn, NATIONAL_NUMBER_LENGTH_BE, 11)
        if country == "BE"
        else (nl_bsn, NATIONAL_NUMBER_LENGTH_NL, 9)
    )
    if not compact.isdigit():
        raise ValidationError(NATIONAL_NUMBER_FORMAT, code="national_number_format")
    if len(compact) != expected:
        raise ValidationError(
            length_message, code="national_number_length", params={"count": len(compact)}
        )
    try:
        return module.validate(compact)
    except InvalidChecksum as exc:
        raise ValidationError(NATIONAL_NUMBER_CHECKSUM, code="national_number_checksum") from exc
    except InvalidComponent as exc:
        raise ValidationError(NATIONAL_NUMBER_DATE, code="national_number_date") from exc
    except StdnumError as exc:
        raise ValidationError(NATIONAL_NUMBER_FORMAT, code="national_number_format") from exc


def mask_national_number(compact: str) -> str:
    """Only the last three digits stay readable, enough to tell two people apart on a call."""
    if not compact:
        return ""
    return "•" * (len(compact) - 3) + compact[-3:]


def format_national_number(compact: str, country: str) -> str:
    return be_nn.format(compact) if country == "BE" else nl_bsn.format(compact)


def validate_enterprise_number(value: str, country: str) -> str:
    if country == "BE":
        try:
            return be_vat.compact(be_vat.validate(value))
        except InvalidLength as exc:
            raise ValidationError(
                ENTERPRISE_NUMBER_BE, code="enterprise_number", params={"problem": STDNUM_LENGTH}
            ) from exc
        except InvalidChecksum as exc:
            raise ValidationError(
                ENTERPRISE_NUMBER_BE, code="enterprise_number", params={"problem": STDNUM_CHECKSUM}
            ) from exc
        except InvalidComponent as exc:
            raise ValidationError(
                ENTERPRISE_NUMBER_BE,
                code="enterprise_number",
                params={"problem": STDNUM_FIRST_DIGIT},
            ) from exc
        except StdnumError as exc:
            raise ValidationError(
                ENTERPRISE_NUMBER_BE, code="enterprise_number", params={"problem": STDNUM_FORMAT}
            ) from exc
    # KvK numbers carry no check digit since 2016 and python-stdnum has no module for them:
    # eight digits is the whole rule.
    compact = _digits(value)
    if not (compact.isdigit() and len(compact) == 8):
        raise ValidationError(ENTERPRISE_NUMBER_NL, code="enterprise_number")
    return compact


def validate_postcode(value: str, country: str) -> str:
    value = (value or "").strip().upper()
    if country == "BE":
        if re.fullmatch(r"[1-9]\d{3}", value):
            return value
        raise ValidationError(POSTCODE_BE, code="postcode")
    try:
        return nl_postcode.validate(value)
    except StdnumError as exc:
        raise ValidationError(POSTCODE_NL, code="postcode") from exc


def _iban_length(country: str) -> int | None:
    """The length of an IBAN of `country` from python-stdnum's registry, None if unknown."""
    info = numdb.get("iban").info(country)
    bban = info[0][1].get("bban") if info else None
    if not bban:
        return None
    return 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nac]", bban))


def validate_iban(value: str) -> str:
    """The compact IBAN; checks form and length before the check digits, so the message
    names the first thing that is actually wrong."""
    compact = stdnum_iban.compact(value or "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact):
        raise ValidationError(IBAN_FORMAT, code="iban_format")
    expected = _iban_length(compact[:2])
    if expected is None:
        raise ValidationError(IBAN_FORMAT, code="iban_format")
    if len(compact) != expected:
        raise ValidationError(
            IBAN_LENGTH, code="iban_length", params={"expected": expected, "count": len(compact)}
        )
    try:
        return stdnum_iban.validate(compact)
    except InvalidChecksum as exc:
        raise ValidationError(IBAN_CHECKSUM, code="iban_checksum") from exc
    except StdnumError as exc:
        raise ValidationError(IBAN_FORMAT, code="iban_format") from exc
