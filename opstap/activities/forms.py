from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.core.forms import SCHEDULED, StyledFormMixin
from opstap.core.models import Organisation
from opstap.core.phones import PhoneField

from .models import ActivityKind, ActivitySeries, Attendance, Channel, Registration
from .services import COUNT_NOT_POSITIVE, allowed_programmes, facilitator_candidates

ROW_INCOMPLETE = _(
    "Give both the channel and the number of people reached, or leave the row empty."
)


def _blank(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ActivityForm(StyledFormMixin, forms.Form):
    plausible_dates = {"starts_at": SCHEDULED, "ends_at": SCHEDULED}
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeLocalInput())
    place = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=200,
        help_text=_("Address or name of the venue."),
    )
    neighbourhood = forms.CharField(label=_("Neighbourhood"), required=False, max_length=100)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    capacity = forms.IntegerField(
        label=_("Number of places"),
        required=False,
        min_value=0,
        help_text=_("Leave empty when there is no limit. Beyond it people go on a wait list."),
    )
    facilitator = forms.ModelChoiceField(
        label=_("Facilitator"), queryset=None, required=False, empty_label=_("Nobody of ours")
    )
    facilitator_name = forms.CharField(
        label=_("Other facilitator"),
        required=False,
        max_length=200,
        help_text=_("Someone from outside the organisation, for example a partner's trainer."),
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    series = forms.ModelChoiceField(
        label=_("Part of a series"), queryset=None, required=False, empty_label=_("No series")
    )
    external_reference = forms.CharField(
        label=_("External reference"), required=False, max_length=64
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = facilitator_candidates(organisation)  # type: ignore[attr-defined]
        self.fields["programmes"].queryset = allowed_programmes(organisation).order_by("code")  # type: ignore[attr-defined]
        self.fields["series"].queryset = ActivitySeries.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )

    @staticmethod
    def initial_from(activity: Any) -> dict[str, Any]:
        initial = {
            name: getattr(activity, name)
            for name in (
                "kind",
                "title",
                "starts_at",
                "ends_at",
                "place",
                "neighbourhood",
                "language",
                "capacity",
                "facilitator_name",
                "external_reference",
            )
        }
        initial["facilitator"] = activity.facilitator_id
        initial["series"] = activity.series_id
        initial["programmes"] = list(activity.programmes.values_list("pk", flat=True))
        return initial

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("place", "neighbourhood", "facilitator_name", "external_reference"):
            data[name] = data.get(name) or ""
        return data


class ActivityFilterForm(StyledFormMixin, forms.Form):
    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past"))]

    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(ActivityKind.choices, _("All kinds"))
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=None, required=False, empty_label=_("All programmes")
    )

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class SeriesForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    planned_sessions = forms.IntegerField(
        label=_("Planned sessions"),
        min_value=1,
        max_value=200,
        help_text=_("For example 9 for a workshop series of nine sessions."),
    )


class ClientSearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Find a client to register"),
        required=False,
        max_length=100,
        help_text=_("Name, national number (exact) or postcode."),
    )


class AttendanceForm(forms.Form):
    """One choice (present / excused / absent) per registration; rows left empty stay as
    they are. The template draws the radio buttons itself, a row per person."""

    def __init__(
        self,
        *args: Any,
        registrations: list[Registration],
        mark_all: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.registrations = registrations
        self.mark_all = mark_all
        for registration in registrations:
            self.fields[self.key(registration)] = forms.ChoiceField(
                label=registration.client.full_name,
                choices=Attendance.choices,
                required=False,
            )

    @staticmethod
    def key(registration: Registration) -> str:
        return f"attendance-{registration.pk}"

    def marks(self) -> dict[int, str]:
        return {
            r.pk: self.cleaned_data[self.key(r)]
            for r in self.registrations
            if self.cleaned_data.get(self.key(r))
        }

    def rows(self) -> list[dict[str, Any]]:
        """What each row shows: the person, the choice ticked, and any error."""
        rows = []
        for registration in self.registrations:
            key = self.key(registration)
            if self.is_bound:
                chosen = self.data.get(key, "")
            else:
                chosen = self.mark_all or registration.attendance
            rows.append(
                {
                    "registration": registration,
                    "name": key,
                    "chosen": chosen,
                    "errors": self.errors.get(key) if self.is_bound else None,
                }
            )
        return rows


class OutreachCountRowForm(StyledFormMixin, forms.Form):
    neighbourhood = forms.CharField(label=_("Neighbourhood"), required=False, max_length=100)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices))
    people_reached = forms.IntegerField(
        label=_("People reached"),
        required=False,
        min_value=1,
        error_messages={"min_value": COUNT_NOT_POSITIVE},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        channel, people = cleaned.get("channel"), cleaned.get("people_reached")
        if bool(channel) != (people is not None):
            raise ValidationError(ROW_INCOMPLETE, code="row_incomplete")
        return cleaned

    @property
    def is_filled(self) -> bool:
        return bool(getattr(self, "cleaned_data", None) and self.cleaned_data.get("people_reached"))


OutreachCountFormSet = forms.formset_factory(OutreachCountRowForm, extra=0, max_num=50)


class LeadForm(StyledFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    phone = PhoneField(label=_("Phone"), required=False)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), required=False, choices=_blank(LANGUAGE_CHOICES)
    )
    duplicate_override_reason = forms.CharField(
        label=_("Reason to note this lead despite a possible duplicate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
