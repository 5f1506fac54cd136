"""Forms of the coaching pages. Choices of people and routes are handed in by the view (one
query for the whole page, however many forms show them); the services check everything
again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.core.forms import HAPPENED, SCHEDULED, DateInput, StyledFormMixin
from opstap.core.models import User
from opstap.journeys.models import Trajectory

from .choices import Expertise, Topic
from .services import MAX_CLIENTS_LIMIT, NOTE_MAX_LENGTH, SESSION_MAX_MINUTES

NO_ROUTE = [("", _("Not about one route"))]


def person_choices(people: list[User]) -> list[tuple[int, str]]:
    return [(person.pk, str(person)) for person in people]


def route_choices(trajectories: list[Trajectory]) -> list[tuple[Any, Any]]:
    return [*NO_ROUTE, *((t.pk, f"{t.route_type} ({t.get_phase_display()})") for t in trajectories)]


class NoteForm(StyledFormMixin, forms.Form):
    # The vendored Utrecht CSS marks a required <textarea> invalid (:invalid) before anyone
    # typed; the server checks the field, and the label's marker says it is required.
    use_required_attribute = False

    text = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Plain text. Line breaks and web addresses are kept; no formatting."),
    )
    confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("Only you and the supervisors (organisation admins) can read it."),
    )
    trajectory = forms.TypedChoiceField(
        label=_("Route"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, trajectories: list[Trajectory], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "note")
        super().__init__(*args, **kwargs)
        self.fields["trajectory"].choices = route_choices(trajectories)
        if not trajectories:
            del self.fields["trajectory"]


class NoteEditForm(StyledFormMixin, forms.Form):
    use_required_attribute = False
    text = NoteForm.base_fields["text"]
    confidential = NoteForm.base_fields["confidential"]


class SessionForm(StyledFormMixin, forms.Form):
    plausible_dates = {"on": HAPPENED}
    coach = forms.TypedChoiceField(label=_("Coach"), coerce=int)
    on = forms.DateField(label=_("Date"), widget=DateInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=SESSION_MAX_MINUTES
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    next_steps = forms.CharField(
        label=_("Next steps"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    trajectory = forms.TypedChoiceField(
        label=_("Route"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        coaches: list[User] | None,
        trajectories: list[Trajectory],
        **kwargs: Any,
    ) -> None:
        """`coaches` None: the one logging is the coach (a volunteer logs only their own)."""
        kwargs.setdefault("prefix", "session")
        kwargs.setdefault("initial", {"on": timezone.localdate(), "duration_minutes": 60})
        super().__init__(*args, **kwargs)
        if coaches is None:
            del self.fields["coach"]
        else:
            self.fields["coach"].choices = person_choices(coaches)
        self.fields["trajectory"].choices = route_choices(trajectories)
        if not trajectories:
            del self.fields["trajectory"]


class ActionForm(StyledFormMixin, forms.Form):
    plausible_dates = {"due_on": SCHEDULED}
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = forms.TypedChoiceField(
        label=_("Who does it"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave on “The client” when the client does it."),
    )
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())

    def __init__(
        self, *args: Any, people: list[User], trajectory: Trajectory, **kwargs: Any
    ) -> None:
        # One form per route on the page: the prefix keeps their ids apart.
        kwargs.setdefault("prefix", f"plan{trajectory.pk}")
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("The client")), *person_choices(people)]


class SuggestionForm(StyledFormMixin, forms.Form):
    needs = forms.MultipleChoiceField(
        label=_("Expertise the client needs"),
        required=False,
        choices=Expertise.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class VolunteerProfileForm(StyledFormMixin, forms.Form):
    expertise = forms.MultipleChoiceField(
        label=_("Expertise"),
        required=False,
        choices=Expertise.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        required=False,
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.CharField(
        label=_("Availability"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: Tuesday and Thursday afternoons, not in July."),
    )
    max_clients = forms.IntegerField(
        label=_("Maximum number of clients"), min_value=1, max_value=MAX_CLIENTS_LIMIT, initial=3
    )
    active = forms.BooleanField(
        label=_("Available for new clients"),
        required=False,
        initial=True,
        help_text=_("Untick during a break: you keep your clients but get no new ones."),
    )
