"""Path converters shared by every app's URLs."""

from __future__ import annotations

import re
from typing import Any

from django import forms

# The largest primary key either database can hold (a signed 64-bit BigAutoField). A longer
# number in a URL cannot name a row: SQLite would overflow on it (HTTP 500), so it is not a
# match and the page answers 404.
MAX_ID = 2**63 - 1
ID_DIGITS = re.compile("[0-9]{1,19}")


class IdConverter:
    """A database id in a URL: digits that fit the id column, else no match (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def parse_id(raw: object) -> int | None:
    """An id from a query parameter or a posted value, or None when it cannot name a row
    (not plain digits, zero, or beyond the id column)."""
    text = str(raw or "")
    if not ID_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdField(forms.IntegerField):
    """A form field for an id: a number too large for the id column is a form error, not a
    database overflow."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
