"""Shorthands for the engine tests: terms from keyword arguments, schedules as plain rows."""

from __future__ import annotations

from typing import Any

from opstap.lending.engine import Schedule, generate_schedule, terms_from_json


def schedule(**terms: Any) -> Schedule:
    """The schedule for JSON-style terms; amounts may be given as strings or ints."""
    data: dict[str, Any] = {
        "principal": "1200",
        "disbursement_date": "2025-01-01",
        "interest_rate": "12",
        "number_of_repayments": 4,
        # Cent precision unless a test is about rounding instalments to a multiple.
        "installment_multiple_of": "0.01",
    }
    data.update(terms)
    # None removes a default (e.g. principal when a test gives disbursements instead).
    data = {key: value for key, value in data.items() if value is not None}
    return generate_schedule(terms_from_json(data))


def rows(result: Schedule, *fields: str) -> list[tuple[str, ...]]:
    """The schedule's rows as tuples of strings, e.g. rows(s, "principal", "interest")."""
    return [tuple(str(getattr(row, field)) for field in fields) for row in result.installments]
