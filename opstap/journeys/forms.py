from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.core.forms import HAPPENED, DateInput, StyledFormMixin
from opstap.core.models import Organisation, User
from opstap.core.roles import Role

from .models import (
    PerformanceTarget,
    Programme,
    ProgrammeFunder,
    ProgrammePartner,
    RouteOutcome,
    RouteType,
    Trajectory,
)
from .phases import Phase


def _advisers(organisation: Organisation) -> Any:
    return (
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__is_active=True,
            memberships__role_grants__role=Role.ADVISER,
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


class TrajectoryOpenForm(StyledFormMixin, forms.Form):
    plausible_dates = {"on": HAPPENED}
    route_type = forms.ModelChoiceField(label=_("Route"), queryset=RouteType.objects.none())
    phase = forms.ChoiceField(
        label=_("Starting phase"),
        choices=[(p.value, p.label) for p in Phase if p != Phase.CLOSED],
        help_text=_(
            "Usually the first phase of the route; later when the client joins further on."
        ),
        required=False,
    )
    on = forms.DateField(label=_("Date"), widget=DateInput())
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes"),
        queryset=Programme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    adviser = forms.ModelChoiceField(
        label=_("Adviser"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The client's adviser"),
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, organisation: Organisation, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["route_type"].queryset = RouteType.objects.for_organisation(organisation)
        self.fields["programmes"].queryset = Programme.objects.visible_to(user).active_on(
            timezone.localdate()
        )
        self.fields["adviser"].queryset = _advisers(organisation)


class TrajectoryMoveForm(StyledFormMixin, forms.Form):
    plausible_dates = {"on": HAPPENED}
    to_phase = forms.ChoiceField(label=_("Move to"))
    on = forms.DateField(
        label=_("Date"),
        widget=DateInput(),
        help_text=_("May be earlier than today, never before the previous move."),
    )
    outcome = forms.ModelChoiceField(
        label=_("Outcome (when closing)"), queryset=RouteOutcome.objects.none(), required=False
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        route_type = trajectory.route_type
        self.fields["to_phase"].choices = [
            (p, Phase(p).label) for p in route_type.allowed_moves(trajectory.phase)
        ]
        self.fields["outcome"].queryset = route_type.outcomes.all()


class CheckInForm(StyledFormMixin, forms.Form):
    plausible_dates = {"on": HAPPENED}
    on = forms.DateField(label=_("Date of the check-in"), widget=DateInput())
    business_active = forms.TypedChoiceField(
        label=_("Is the business still active?"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    enterprise_number = forms.CharField(label=_("Enterprise number"), required=False, max_length=20)
    jobs_created_fte = forms.DecimalField(
        label=_("Jobs created besides the owner (FTE)"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
    )
    monthly_net_income = forms.DecimalField(
        label=_("Monthly net income (€)"), required=False, max_digits=12, decimal_places=2
    )
    still_on_benefits = forms.TypedChoiceField(
        label=_("Still on benefits?"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    needs = forms.CharField(
        label=_("Needs"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class BoardFilterForm(StyledFormMixin, forms.Form):
    route = forms.ModelChoiceField(
        label=_("Route"), queryset=RouteType.objects.none(), empty_label=None
    )
    adviser = forms.ModelChoiceField(
        label=_("Adviser"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All advisers"),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("All programmes"),
    )

    def __init__(self, *args: Any, organisation: Organisation, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        routes = RouteType.objects.for_organisation(organisation)
        self.fields["route"].queryset = routes
        self.fields["route"].initial = routes.filter(code="starter").first() or routes.first()
        self.fields["adviser"].queryset = _advisers(organisation)
        self.fields["programme"].queryset = Programme.objects.visible_to(user)


PHASE_TARGET_FIELDS = [p for p in Phase if p != Phase.CLOSED]


class ProgrammeForm(StyledFormMixin, forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Short, without spaces, e.g. azo-2016.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(label=_("Start"), widget=DateInput())
    ends_on = forms.DateField(label=_("End"), widget=DateInput())
    start_rate_target = forms.DecimalField(
        label=_("Start-rate target (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Share of people in guidance who start a business, e.g. 20."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for phase in PHASE_TARGET_FIELDS:
            self.fields[f"target_{phase.value}"] = forms.IntegerField(
                label=_("Target: %(phase)s") % {"phase": phase.label},
                required=False,
                min_value=0,
            )
        self.apply_styles()

    def phase_targets(self) -> dict[str, int]:
        return {
            phase.value: self.cleaned_data[f"target_{phase.value}"]
            for phase in PHASE_TARGET_FIELDS
            if self.cleaned_data.get(f"target_{phase.value}") is not None
        }


def programme_initial(programme: Programme) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "code": programme.code,
        "name": programme.name,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "description": programme.description,
        "start_rate_target": programme.start_rate_target * 100
        if programme.start_rate_target
        else None,
    }
    for target in programme.phase_targets.all():
        initial[f"target_{target.phase}"] = target.target
    return initial


def default_period() -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    return today.replace(month=1, day=1), today.replace(month=12, day=31)


LANGUAGE_NAMES = [
    ("nl", _("Name in Dutch")),
    ("fr", _("Name in French")),
    ("en", _("Name in English")),
]


class RouteTypeForm(StyledFormMixin, forms.Form):
    """Names, phases, the moves between them (one checkbox group per phase) and which
    outcomes count as success."""

    phases = forms.MultipleChoiceField(
        label=_("Phases of this route"), choices=Phase.choices, widget=forms.CheckboxSelectMultiple
    )
    success_outcomes = forms.MultipleChoiceField(
        label=_("Outcomes that count as success"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, route_type: RouteType, **kwargs: Any) -> None:
        initial = {
            "phases": route_type.phases,
            "success_outcomes": [o.code for o in route_type.outcomes.all() if o.success],
        }
        for language, _label in LANGUAGE_NAMES:
            initial[f"name_{language}"] = route_type.names.get(language, "")
        for phase in Phase:
            initial[f"moves_{phase.value}"] = route_type.transitions.get(phase.value, [])
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for language, label in LANGUAGE_NAMES:
            self.fields[f"name_{language}"] = forms.CharField(
                label=label, required=False, max_length=100
            )
        for phase in Phase:
            if phase == Phase.CLOSED:
                continue
            self.fields[f"moves_{phase.value}"] = forms.MultipleChoiceField(
                label=_("From “%(phase)s” a trajectory may move to") % {"phase": phase.label},
                choices=[(p.value, p.label) for p in Phase if p != phase],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        self.fields["success_outcomes"].choices = [
            (o.code, o.name) for o in route_type.outcomes.all()
        ]
        self.apply_styles()

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "names": {language: data[f"name_{language}"] for language, _label in LANGUAGE_NAMES},
            "phases": data["phases"],
            "transitions": {
                p.value: data.get(f"moves_{p.value}", []) for p in Phase if p != Phase.CLOSED
            },
            "success_outcomes": set(data["success_outcomes"]),
        }


class PartnerForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProgrammePartner
        fields = ["organisation", "name"]
        labels = {
            "organisation": _("Partner on Opstap"),
            "name": _("Name (also for partners outside Opstap)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].required = False
        self.fields["name"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("organisation") and not cleaned.get("name"):
            cleaned["name"] = cleaned["organisation"].name
        if not cleaned.get("name") and not cleaned.get("DELETE") and self.has_changed():
            self.add_error(
                "name", _("Give the partner's name or choose an organisation on Opstap.")
            )
        return cleaned


class FunderForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProgrammeFunder
        fields = ["name", "kind"]


PartnerFormSet = forms.inlineformset_factory(
    Programme, ProgrammePartner, form=PartnerForm, extra=2, can_delete=True
)
FunderFormSet = forms.inlineformset_factory(
    Programme, ProgrammeFunder, form=FunderForm, extra=2, can_delete=True
)


class PerformanceTargetForm(StyledFormMixin, forms.ModelForm):
    success_rate = forms.DecimalField(
        label=_("Success-rate target (%)"), min_value=0, max_value=100, decimal_places=2
    )

    class Meta:
        model = PerformanceTarget
        fields = [
            "route_code",
            "success_rate",
            "mean_duration_months",
            "valid_from",
            "valid_to",
            "description",
        ]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route_code"] = forms.ChoiceField(
            label=_("Route"),
            choices=[(r.code, r.name) for r in RouteType.objects.for_organisation(organisation)],
        )
        self.apply_styles()

    def clean_success_rate(self) -> Decimal:
        # Typed as a percentage, stored as a fraction like every rate.
        return (self.cleaned_data["success_rate"] / Decimal(100)).quantize(Decimal("0.0001"))
