"""Every styled form bounds its dates, numbers and chosen ids to what the database and date
arithmetic can hold (found by the attack suite's fuzzing: each was a 500 somewhere)."""

from __future__ import annotations

import pytest
from django import forms

from opstap.core.forms import StyledFormMixin
from opstap.core.models import Organisation
from opstap.core.tests.factories import OrganisationFactory


class Everything(StyledFormMixin, forms.Form):
    on = forms.DateField(required=False)
    at = forms.DateTimeField(required=False)
    count = forms.IntegerField(required=False)
    amount = forms.DecimalField(required=False, decimal_places=2)
    small = forms.IntegerField(required=False, max_value=10)
    organisation = forms.ModelChoiceField(Organisation.objects.all(), required=False)
    organisations = forms.ModelMultipleChoiceField(Organisation.objects.all(), required=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("on", "9999-12-31"),
        ("on", "0001-01-01"),
        ("at", "9999-12-31 23:00"),
        ("count", "9" * 40),
        ("count", "-" + "9" * 40),
        ("amount", "9" * 30),
        ("small", "11"),
        ("organisation", "9" * 40),
        ("organisations", ["9" * 40]),
    ],
)
@pytest.mark.django_db
def test_a_value_beyond_what_the_database_holds_is_a_field_error(field, value):
    form = Everything(data={field: value})
    assert not form.is_valid()
    assert list(form.errors) == [field]


@pytest.mark.django_db
def test_ordinary_values_still_pass():
    organisation = OrganisationFactory()
    form = Everything(
        data={
            "on": "2026-12-07",
            "at": "2026-12-07 10:00",
            "count": "2147483647",
            "amount": "99999999999.99",  # beyond an integer column, within a money one
            "small": "10",
            "organisation": str(organisation.pk),
            "organisations": [str(organisation.pk)],
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["organisations"].get() == organisation
