"""Dates with a plausible range for their meaning (issue 9): a consent, coaching session or
referral dated 1900, or an activity in 9999, is refused at the field with the range in the
reader's date format."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.utils import timezone, translation

from opstap.core.forms import HAPPENED, SCHEDULED, StyledFormMixin


class Happened(StyledFormMixin, forms.Form):
    plausible_dates = {"on": HAPPENED}
    on = forms.DateField()


class Scheduled(StyledFormMixin, forms.Form):
    plausible_dates = {"at": SCHEDULED}
    at = forms.DateTimeField()


def test_something_that_happened_is_not_in_1900():
    today = timezone.localdate()
    assert Happened({"on": today.isoformat()}).is_valid()
    assert Happened({"on": (today - datetime.timedelta(days=365 * 20)).isoformat()}).is_valid()
    form = Happened({"on": "1900-01-01"})
    assert not form.is_valid()
    assert form.errors.as_data()["on"][0].code == "implausible_date"
    # After today: each service refuses it in its own words (a consent, a referral, ...).
    assert Happened({"on": (today + datetime.timedelta(days=1)).isoformat()}).is_valid()


def test_the_message_gives_the_range_as_the_reader_writes_dates():
    today = timezone.localdate()
    with translation.override("nl"):
        message = Happened({"on": "1900-01-01"}).errors["on"][0]
    assert f"{today.day}/{today.month}/{today.year}" in message
    assert today.isoformat() not in message


def test_an_activity_is_not_in_9999():
    now = timezone.now()
    assert Scheduled({"at": now.strftime("%Y-%m-%d %H:%M")}).is_valid()
    form = Scheduled({"at": "9999-01-01 10:00"})
    assert not form.is_valid()


def test_the_date_picker_offers_only_plausible_dates():
    from opstap.core.forms import DateInput

    class Picked(StyledFormMixin, forms.Form):
        plausible_dates = {"on": HAPPENED}
        on = forms.DateField(widget=DateInput())

    attrs = Picked().fields["on"].widget.attrs
    assert attrs["max"] == timezone.localdate().isoformat()
    assert attrs["min"] < "2005"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("opstap.clients.forms.ConsentForm", {"given_on"}),
        ("opstap.coaching.forms.SessionForm", {"on"}),
        ("opstap.referrals.forms.ReferralForm", {"sent_on"}),
        ("opstap.referrals.forms.ReferralTransitionForm", {"on"}),
        ("opstap.activities.forms.ActivityForm", {"starts_at", "ends_at"}),
        ("opstap.journeys.forms.TrajectoryMoveForm", {"on"}),
        ("opstap.journeys.forms.CheckInForm", {"on"}),
    ],
)
def test_the_forms_that_record_events_check_their_dates(path, fields):
    from django.utils.module_loading import import_string

    form_class = import_string(path)
    assert fields <= set(form_class.plausible_dates)
    assert all(name in form_class.base_fields for name in fields)
