"""Properties of the identity-number validation, for any number, not just hand-picked ones."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opstap.clients.models import normalise_for_search
from opstap.clients.tests.factories import belgian_national_number, dutch_bsn
from opstap.core.identifiers import (
    mask_national_number,
    validate_national_number,
    validate_postcode,
)

birth_dates = st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2025, 12, 31))


@given(birth=birth_dates, serial=st.integers(min_value=1, max_value=997))
def test_every_well_formed_belgian_number_is_accepted_with_any_separators(birth, serial):
    number = belgian_national_number(birth, serial)
    dotted = f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"
    assert validate_national_number(dotted, "BE") == number


@given(
    birth=birth_dates,
    serial=st.integers(min_value=1, max_value=997),
    position=st.integers(min_value=0, max_value=10),
    delta=st.integers(min_value=1, max_value=9),
)
def test_one_mistyped_digit_in_a_belgian_number_is_always_caught(birth, serial, position, delta):
    number = belgian_national_number(birth, serial)
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    try:
        validate_national_number(wrong, "BE")
    except ValidationError as error:
        # A changed birth date may also be an impossible date.
        assert error.code in {"national_number_checksum", "national_number_date"}
    else:
        # The scheme's one blind spot: the check digits of people born from 2000 on are
        # computed over "2" + the first nine digits, so a typo can land exactly on a valid
        # number of the other century. It must then really be valid under the other rule.
        base, check = int(wrong[:9]), int(wrong[9:])
        born_2000s = 97 - int(f"2{wrong[:9]}") % 97 == check
        born_1900s = 97 - base % 97 == check
        assert born_2000s != (birth.year >= 2000) or born_1900s != (birth.year < 2000)


@given(
    seed=st.integers(min_value=0, max_value=10**9),
    position=st.integers(0, 8),
    delta=st.integers(1, 9),
)
def test_one_mistyped_digit_in_a_bsn_is_always_caught(seed, position, delta):
    number = dutch_bsn(seed)
    assert validate_national_number(number, "NL") == number
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError) as error:
        validate_national_number(wrong, "NL")
    assert error.value.code == "national_number_checksum"


@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_a_wrong_length_is_reported_as_such_with_the_count_typed(digits):
    expected = {"BE": 11, "NL": 9}
    for country, length in expected.items():
        if len(digits) == length:
            continue
        with pytest.raises(ValidationError) as error:
            validate_national_number(digits, country)
        assert error.value.code == "national_number_length"
        assert error.value.params == {"count": len(digits)}


@given(number=st.text(alphabet="0123456789", min_size=3, max_size=11))
def test_masking_keeps_only_the_last_three_digits(number):
    masked = mask_national_number(number)
    assert len(masked) == len(number)
    assert masked.endswith(number[-3:])
    assert set(masked[:-3]) <= {"•"}


@given(
    postcode=st.integers(min_value=1000, max_value=9999),
    letters=st.sampled_from(["AB", "XZ", "KL"]),
)
def test_dutch_postcodes_normalise_to_digits_space_letters(postcode, letters):
    assert validate_postcode(f"{postcode}{letters.lower()}", "NL") == f"{postcode} {letters}"
    assert validate_postcode(str(postcode), "BE") == str(postcode)


@given(st.text(max_size=40))
def test_search_normalisation_is_idempotent_and_lower_case(text):
    once = normalise_for_search(text)
    assert normalise_for_search(once) == once
    assert once == once.lower() or not once.isascii()
