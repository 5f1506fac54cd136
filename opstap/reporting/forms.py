"""The filters of the report pages (period, partner organisation), read from the query string."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opstap.core import formatting
from opstap.core.forms import DateInput, StyledFormMixin
from opstap.core.models import Organisation

PERIOD_ORDER = _("The start of the period cannot be after its end.")


class PeriodForm(StyledFormMixin, forms.Form):
    """`from` and `to` (both optional: empty means the default period)."""

    def __init__(
        self,
        data: Any = None,
        *,
        default_start: datetime.date,
        default_end: datetime.date,
        **kwargs: Any,
    ) -> None:
        self.default_start, self.default_end = default_start, default_end
        super().__init__(data, **kwargs)
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=DateInput())
        self.fields["from"].help_text = _("Empty: %(date)s") % {
            "date": formatting.day(default_start, "short")
        }
        self.fields["to"].help_text = _("Empty: %(date)s") % {
            "date": formatting.day(default_end, "short")
        }
        # The styling (and bounding) mixin ran before these fields existed.
        self.apply_styles()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = self.period_of(cleaned)
        if start > end:
            raise forms.ValidationError(PERIOD_ORDER, code="period_order")
        return cleaned

    def period_of(self, cleaned: dict[str, Any]) -> tuple[datetime.date, datetime.date]:
        return (
            cleaned.get("from") or self.default_start,
            cleaned.get("to") or self.default_end,
        )

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        """The chosen period when valid, else the default one."""
        if self.is_valid():
            return self.period_of(self.cleaned_data)
        return self.default_start, self.default_end


class ProgrammeFilterForm(PeriodForm):
    def __init__(
        self, data: Any = None, *, partners: Sequence[Organisation], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.partners = {o.slug: o for o in partners}
        self.fields["partner"] = forms.ChoiceField(
            label=_("Organisation"),
            required=False,
            choices=[("", _("All organisations"))] + [(o.slug, o.name) for o in partners],
            widget=forms.Select(attrs={"class": "utrecht-select utrecht-select--html-select"}),
            help_text=_("Only the clients of this organisation."),
        )

    @property
    def partner(self) -> Organisation | None:
        if self.is_valid():
            return self.partners.get(self.cleaned_data.get("partner") or "")
        return None
