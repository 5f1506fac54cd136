from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.core.converters import IdField
from opstap.core.forms import HAPPENED, DateInput, StyledFormMixin
from opstap.core.models import Organisation

from .choices import Direction, Status


class ReferralForm(StyledFormMixin, forms.Form):
    plausible_dates = {"sent_on": HAPPENED}
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        initial=Direction.OUTBOUND,
        widget=forms.RadioSelect,
    )
    partner = forms.ModelChoiceField(
        label=_("Partner organisation on Opstap"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None: an external partner"),
        help_text=_(
            "A partner on Opstap sees the client's name, contact details and languages only "
            "while the client has consented to sharing with that partner."
        ),
    )
    partner_name = forms.CharField(
        label=_("External partner"),
        required=False,
        max_length=200,
        help_text=_(
            "For a partner not on Opstap, for example VDAB, Actiris, Forem, OCMW/CPAS, UWV "
            "or KvK. Leave empty when you chose a partner on Opstap."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    sent_on = forms.DateField(label=_("Sent on"), widget=DateInput())

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"sent_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Organisation.objects.exclude(pk=organisation.pk)  # type: ignore[attr-defined]


class ReferralTransitionForm(StyledFormMixin, forms.Form):
    """One move of the status: the date it happened, a note, and (to complete) the outcome."""

    plausible_dates = {"on": HAPPENED}
    on = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What came of the referral: for example started a business, found a job."),
    )

    def __init__(self, *args: Any, to: str, **kwargs: Any) -> None:
        # One form per possible move on the page: the prefix keeps their ids apart. The move
        # itself travels as the unprefixed field "to" (the view reads it before binding).
        kwargs.setdefault("prefix", to if to in Status.values else "move")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        if to != Status.COMPLETED:
            del self.fields["outcome"]
        self.to = to


class ReferralFilterForm(StyledFormMixin, forms.Form):
    client = IdField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Status.choices]
    )
    partner = forms.CharField(
        label=_("Partner"),
        required=False,
        max_length=100,
        help_text=_("Part of the name of the partner or of the referring organisation."),
    )


class ClientPickForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Find the client"),
        required=False,
        max_length=100,
        help_text=_("Name or postcode."),
    )
