"""Phone numbers (issue 9): validated and normalised with phonenumbers, the organisation's
country as the default region, shown back in national format."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opstap.core import formatting, phones
from opstap.core.forms import CHOOSE, StyledFormMixin
from opstap.core.phones import PhoneField


@pytest.mark.parametrize(
    ("typed", "region", "stored", "shown"),
    [
        ("0470 11 22 33", "BE", "+32470112233", "0470 11 22 33"),
        ("+32 470/11.22.33", "BE", "+32470112233", "0470 11 22 33"),
        ("0032 470 112233", "BE", "+32470112233", "0470 11 22 33"),
        ("06 12345678", "NL", "+31612345678", "06 12345678"),
        ("+31 6 1234 5678", "BE", "+31612345678", "+31 6 12345678"),
        ("02 511 22 33", "BE", "+3225112233", "02 511 22 33"),
    ],
)
def test_a_number_typed_any_usual_way_is_kept_in_one_form(typed, region, stored, shown):
    assert phones.normalise(typed, region) == stored
    assert phones.display(stored, region) == shown


@pytest.mark.parametrize("typed", ["call me maybe <b>", "1234", "0470 11 22", "+32 0000 00 00 00"])
def test_what_cannot_be_called_is_refused_with_what_was_typed(typed):
    with pytest.raises(ValidationError) as error:
        phones.normalise(typed, "BE")
    assert error.value.code == "phone_invalid"
    assert typed in str(error.value.messages[0])


@given(digits=st.text(alphabet="0123456789 +-./()", max_size=20))
def test_normalising_twice_changes_nothing(digits):
    try:
        once = phones.normalise(digits, "BE")
    except ValidationError:
        return
    assert phones.normalise(once, "BE") == once
    assert once == "" or once.startswith("+")


def test_the_region_follows_the_organisation():
    with formatting.region("NL"):
        assert phones.normalise("06 12345678") == "+31612345678"
    with formatting.region("BE"), pytest.raises(ValidationError):
        phones.normalise("06 12345678")  # not a Belgian number


def test_the_form_field_cleans_and_shows_back():
    field = PhoneField(required=False, region="BE")
    assert field.clean("0470 11 22 33") == "+32470112233"
    assert field.prepare_value("+32470112233") == "0470 11 22 33"
    assert field.widget.input_type == "tel"
    with pytest.raises(ValidationError):
        field.clean("call me maybe <b>")


def test_an_empty_select_asks_in_words_not_dashes():
    from django import forms

    class Form(StyledFormMixin, forms.Form):
        kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], required=False)
        who = forms.ModelChoiceField(queryset=None, required=False)

    form = Form()
    assert form.fields["kind"].choices[0] == ("", CHOOSE)
    assert form.fields["who"].empty_label == CHOOSE
