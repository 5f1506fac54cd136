"""terms_from_json: every bad input names its key and says what is wrong."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from opstap.lending.engine import (
    Amortization,
    Charge,
    ChargeKind,
    DaysInYear,
    Disbursement,
    InterestMethod,
    LoanTerms,
    RoundingMode,
    TermsError,
    terms_from_json,
    terms_to_json,
)

GOOD: dict[str, Any] = {
    "principal": "1000",
    "disbursement_date": "2025-01-01",
    "interest_rate": "12",
    "number_of_repayments": 12,
}


def error(**changes: Any) -> TermsError:
    data = {**GOOD, **changes}
    data = {key: value for key, value in data.items() if value is not None}
    with pytest.raises(TermsError) as caught:
        terms_from_json(data)
    return caught.value


def test_minimal_terms_take_the_defaults():
    terms = terms_from_json(GOOD)
    assert terms.principal == Decimal("1000")
    assert terms.disbursements == (Disbursement(datetime.date(2025, 1, 1), Decimal("1000")),)
    assert terms.interest_method == InterestMethod.DECLINING_BALANCE == "declining_balance"
    assert terms.amortization == Amortization.EQUAL_INSTALLMENTS
    assert terms.days_in_year == DaysInYear.ACTUAL == "actual"
    assert DaysInYear.D360 == "360"
    assert terms.rounding_mode == RoundingMode.HALF_EVEN == "half_even"
    assert ChargeKind.DISBURSEMENT_FEE == "disbursement_fee"
    assert terms.installment_multiple_of is None  # exact to the cent, as Fineract
    assert terms.currency_decimals == 2


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"interest_rate": 12.5}, "interest_rate", 'must be a decimal string such as "12.5"'),
        ({"interest_rate": 12}, "interest_rate", "not a number"),
        ({"interest_rate": "12,5"}, "interest_rate", "decimal string"),
        ({"interest_rate": "-1"}, "interest_rate", "must not be negative"),
        ({"interest_rate": None}, "interest_rate", "is missing"),
        ({"principal": "0"}, "principal", "more than zero"),
        ({"principal": "-5"}, "principal", "more than zero"),
        ({"principal": "10.001"}, "principal", "more than 2 decimal places"),
        ({"principal": 1000}, "principal", "not a number"),
        ({"principal": None}, "principal", "is missing"),
        ({"disbursement_date": "01/02/2025"}, "disbursement_date", "yyyy-mm-dd"),
        ({"disbursement_date": "2025-02-30"}, "disbursement_date", "not a valid date"),
        ({"number_of_repayments": "12"}, "number_of_repayments", "whole number"),
        ({"number_of_repayments": 12.0}, "number_of_repayments", "whole number"),
        ({"number_of_repayments": True}, "number_of_repayments", "whole number"),
        ({"number_of_repayments": 0}, "number_of_repayments", "between 1 and"),
        ({"repayment_unit": "fortnights"}, "repayment_unit", "days, weeks, months"),
        ({"days_in_year": "366"}, "days_in_year", "actual, 360, 364, 365"),
        ({"rounding_mode": "up"}, "rounding_mode", "half_even, half_up"),
        ({"grace_on_principal": 12}, "grace_on_principal", "less than number_of_repayments"),
        ({"grace_on_interest_charged": -1}, "grace_on_interest_charged", "between 0"),
        ({"first_repayment_date": "2025-01-01"}, "first_repayment_date", "after the disburse"),
        ({"fixed_principal_percentage": "10"}, "fixed_principal_percentage", "equal_principal"),
        (
            {"fixed_principal_percentage": "10", "amortization": "equal_principal"},
            "fixed_principal_percentage",
            "less than 9.1",
        ),
        ({"installment_multiple_of": "0"}, "installment_multiple_of", "more than zero"),
        ({"installment_multiple_of": "0.005"}, "installment_multiple_of", "decimal places"),
        ({"currency_decimals": 9}, "currency_decimals", "between 0 and 6"),
        ({"colour": "red"}, "colour", "not a known key"),
        ({"charges": {"kind": "x"}}, "charges", "list"),
        ({"charges": [{"kind": "tip", "amount": "1"}]}, "charges[0].kind", "installment_fee_flat"),
        ({"charges": [{"kind": "disbursement_fee"}]}, "charges[0].amount", "is missing"),
        (
            {"charges": [{"kind": "disbursement_fee", "amount": "1", "vat": "0"}]},
            "charges[0].vat",
            "not a known key",
        ),
        (
            {"charges": [{"kind": "installment_fee_percent_of_principal", "amount": "150"}]},
            "charges[0].amount",
            "percentage",
        ),
        (
            {"disbursements": [{"date": "2025-01-01", "amount": "5"}]},
            "disbursements",
            "either principal and disbursement_date or disbursements",
        ),
    ],
)
def test_bad_terms_name_the_key(changes: dict[str, Any], key: str, words: str):
    problem = error(**changes)
    assert problem.key == key
    assert words in problem.message
    assert str(problem) == f"{key}: {problem.message}"


def test_float_amount_message_is_the_documented_one():
    assert str(error(interest_rate=12.5)) == (
        'interest_rate: must be a decimal string such as "12.5", not a number'
    )


@pytest.mark.parametrize(
    ("disbursements", "key", "words"),
    [
        ([], "disbursements", "non-empty"),
        ([{"date": "2025-01-01"}], "disbursements[0].amount", "is missing"),
        (
            [{"date": "2025-01-01", "amount": "5"}, {"date": "2025-01-01", "amount": "5"}],
            "disbursements[1].date",
            "after the previous",
        ),
        (
            [{"date": "2025-01-01", "amount": "5"}, {"date": "2025-02-01", "amount": "-5"}],
            "disbursements[1].amount",
            "more than zero",
        ),
        (
            [{"date": "2025-01-01", "amount": "5"}, {"date": "2026-01-01", "amount": "5"}],
            "disbursements[1].date",
            "before the last due date (2026-01-01)",
        ),
    ],
)
def test_bad_tranches_name_the_key(disbursements: list[Any], key: str, words: str):
    problem = error(principal=None, disbursement_date=None, disbursements=disbursements)
    assert (problem.key, words in problem.message) == (key, True)


def test_tranches_need_declining_balance():
    problem = error(
        principal=None,
        disbursement_date=None,
        interest_method="flat",
        disbursements=[
            {"date": "2025-01-01", "amount": "5"},
            {"date": "2025-02-01", "amount": "5"},
        ],
    )
    assert problem.key == "disbursements"


def test_not_an_object():
    with pytest.raises(TermsError) as caught:
        terms_from_json(["principal"])
    assert caught.value.key == "terms"


def test_python_construction_is_validated_too():
    with pytest.raises(TermsError) as caught:
        LoanTerms(
            disbursements=(Disbursement(datetime.date(2025, 1, 1), 1000.0),),  # type: ignore[arg-type]
            interest_rate=Decimal("12"),
            number_of_repayments=12,
        )
    assert caught.value.key == "disbursements[0].amount"
    assert "decimal string" in caught.value.message


def test_terms_to_json_spells_out_every_setting():
    data = terms_to_json(terms_from_json(GOOD))
    assert data["principal"] == "1000"
    assert data["days_in_year"] == "actual"
    assert data["installment_multiple_of"] is None
    assert data["charges"] == []
    assert terms_from_json(data) == terms_from_json(GOOD)


def test_python_construction_accepts_enum_values_as_strings():
    # As a model's CharField with choices would hand them over.
    terms = LoanTerms(
        disbursements=(Disbursement(datetime.date(2025, 1, 1), Decimal("1000")),),
        interest_rate=Decimal("12"),
        number_of_repayments=12,
        interest_method="flat",  # type: ignore[arg-type]
        days_in_year="360",  # type: ignore[arg-type]
        charges=(Charge("disbursement_fee", Decimal("5")),),  # type: ignore[arg-type]
    )
    assert terms.interest_method is InterestMethod.FLAT
    assert terms.days_in_year is DaysInYear.D360
    assert terms.charges[0].kind is ChargeKind.DISBURSEMENT_FEE
    with pytest.raises(TermsError) as caught:
        LoanTerms(
            disbursements=terms.disbursements,
            interest_rate=Decimal("12"),
            number_of_repayments=12,
            interest_method="simple",  # type: ignore[arg-type]
        )
    assert caught.value.key == "interest_method"
