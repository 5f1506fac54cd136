"""Phone numbers, checked and kept in one form with Google's libphonenumber (`phonenumbers`).

A number is stored in E.164 (+32470112233), so that one person's number is the same string
whether it was typed "0470 11 22 33", "+32 470/11.22.33" or imported from a spreadsheet. It is
shown in the national format of the organisation's country ("0470 11 22 33" in Belgium, "06
12345678" in the Netherlands) and internationally otherwise. A number without a country code
is read as one of the organisation's country (the region of `opstap.core.formatting`).
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import formatting

PHONE_INVALID = _(
    "This is not a phone number we can call: %(value)s. Type it as you would dial it, for "
    "example 0470 12 34 56 or +31 6 12345678."
)
PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}


def normalise(text: str, region: str | None = None) -> str:
    """The number in E.164, or ValidationError naming what was typed; "" stays ""."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, (region or formatting.current_region()).upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(PHONE_INVALID, code="phone_invalid", params={"value": text}) from exc
    if not phonenumbers.is_valid_number(number) or (
        phonenumbers.number_type(number) not in PHONE_TYPES
    ):
        raise ValidationError(PHONE_INVALID, code="phone_invalid", params={"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(value: str | None, region: str | None = None) -> str:
    """National format at home, international abroad; what cannot be read, as it was."""
    if not value:
        return ""
    region = (region or formatting.current_region()).upper()
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    home = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


class PhoneField(forms.CharField):
    """A phone number typed any usual way, cleaned to E.164; shown back in national format."""

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)
        self.region = region
        self.widget.input_type = "tel"
        self.widget.attrs.setdefault("autocomplete", "tel")

    def prepare_value(self, value: Any) -> Any:
        return display(value, self.region) if isinstance(value, str) else value

    def to_python(self, value: Any) -> str:
        return normalise(super().to_python(value), self.region)
