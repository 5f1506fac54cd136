"""Path converters shared by every app's URLs."""

from __future__ import annotations

# The largest primary key either database can hold (a signed 64-bit BigAutoField). A longer
# number in a URL cannot name a row: SQLite would overflow on it (HTTP 500), so it is not a
# match and the page answers 404.
MAX_ID = 2**63 - 1


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
