from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opstap.core.forms import StyledFormMixin

from .choices import Category
from .models import DataBreach


class ErasureForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("For example: request of the person received on 3 March by e-mail."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."), required=True)


class BreachForm(StyledFormMixin, forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Data categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DataBreach
        fields = [
            "found_at",
            "nature",
            "categories",
            "approximate_people",
            "consequences",
            "measures",
            "authority_notified_at",
            "people_notified_at",
            "not_notified_reason",
        ]
        widgets = {
            "found_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "authority_notified_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "people_notified_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "nature": forms.Textarea(attrs={"rows": 3}),
            "consequences": forms.Textarea(attrs={"rows": 3}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            "not_notified_reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "found_at": _("When the organisation became aware of the breach."),
            "approximate_people": _("An estimate is enough."),
        }

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        found = data.get("found_at")
        for name in ("authority_notified_at", "people_notified_at"):
            when = data.get(name)
            if found and when and when < found:
                self.add_error(name, _("A notification cannot come before the breach was found."))
        return data
