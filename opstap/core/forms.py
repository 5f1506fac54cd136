from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import formatting
from .converters import MAX_ID, IdField
from .models import Membership
from .roles import Role

CHECKBOX = "utrecht-checkbox utrecht-checkbox--html-input utrecht-checkbox--custom"
WIDGET_CLASSES = {
    forms.Select: "utrecht-select utrecht-select--html-select",
    forms.SelectMultiple: "utrecht-select utrecht-select--html-select",
    forms.Textarea: "utrecht-textarea utrecht-textarea--html-textarea",
    forms.CheckboxInput: CHECKBOX,
    forms.CheckboxSelectMultiple: CHECKBOX,
    forms.RadioSelect: "utrecht-radio-button utrecht-radio-button--html-input",
    forms.ClearableFileInput: "utrecht-textbox utrecht-textbox--html-input",
    forms.FileInput: "utrecht-textbox utrecht-textbox--html-input",
}
TEXTBOX = "utrecht-textbox utrecht-textbox--html-input"

# Every form's dates and numbers stay where the database and date arithmetic can follow:
# 9999-12-31, 0001-01-01 or a 40-digit number is a form error, not an OverflowError (a 500)
# in a save, a time-zone conversion or "a day after" (found by the attack suite).
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)
LARGEST_INTEGER = 2**31 - 1  # PostgreSQL's integer
LARGEST_DECIMAL = Decimal("999999999999.99")


def value_bounds(field: forms.Field) -> tuple[Any, Any]:
    """(lowest, highest) to add to the field's validators; None where it has its own."""
    if isinstance(field, forms.DateTimeField):
        utc = datetime.UTC
        return (
            datetime.datetime.combine(EARLIEST, datetime.time.min, tzinfo=utc),
            datetime.datetime.combine(LATEST, datetime.time.max, tzinfo=utc),
        )
    if isinstance(field, forms.DateField):
        return EARLIEST, LATEST
    if isinstance(field, forms.IntegerField | forms.DecimalField):
        # A DecimalField is an IntegerField to Django, so the decimal test comes first.
        largest = LARGEST_DECIMAL if isinstance(field, forms.DecimalField) else LARGEST_INTEGER
        return (
            -largest if field.min_value is None else None,
            largest if field.max_value is None else None,
        )
    return None, None


def refuse_ids_beyond_the_column(field: forms.ModelChoiceField) -> None:
    """A chosen id too large for an integer primary key is "not one of the choices" before
    any query: SQLite overflows on it (a 500) and PostgreSQL refuses it mid-transaction."""
    clean = field.clean

    def bounded_clean(value: Any) -> Any:
        # The queryset is often set after the form is built, so it is read here.
        if not isinstance(field.queryset.model._meta.pk, models.IntegerField):
            return clean(value)
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            text = str(one).strip()
            if text.lstrip("-").isdigit() and abs(int(text)) > MAX_ID:
                if isinstance(field, forms.ModelMultipleChoiceField):
                    raise ValidationError(
                        field.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": text},
                    )
                raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice")
        return clean(value)

    field.clean = bounded_clean  # type: ignore[method-assign]


# Django's "This field is required." does not say which field: a banner or a screen reader
# that reads the message alone must still tell.
REQUIRED = _("Fill in “%(field)s”.")


def _required_message(label: Any) -> str:
    return str(REQUIRED) % {"field": str(label).rstrip(" *:")}


required_message = lazy(_required_message, str)

# Django's "---------" in an empty select says nothing and is not translated.
CHOOSE = pgettext_lazy("select prompt", "Choose…")
DJANGO_DASHES = "---------"
DJANGO_REQUIRED = forms.Field.default_error_messages["required"]


@dataclass(frozen=True)
class Plausible:
    """The dates that make sense for a field's meaning, counted from today when the form is
    checked: a consent given in 1900 or an activity in 9999 is a typing slip.

    `days_ahead=None` leaves the future to the service, which refuses a date after today in
    its own words ("A consent cannot be given on a date in the future.")."""

    days_back: int
    days_ahead: int | None
    message: Any

    def bounds(self) -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        return (
            today - datetime.timedelta(days=self.days_back),
            today + datetime.timedelta(days=self.days_ahead or 0),
        )

    def __call__(self, value: datetime.date | datetime.datetime) -> None:
        if value is None:
            return
        day = timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value
        earliest, latest = self.bounds()
        if day < earliest or (self.days_ahead is not None and day > latest):
            raise ValidationError(
                self.message,
                code="implausible_date",
                params={
                    "earliest": formatting.day(earliest, "short"),
                    "latest": formatting.day(latest, "short"),
                },
            )


# Something that happened (a consent given, a session held, a referral sent, a phase
# reached): not before the oldest file an organisation brings along, and not after today.
HAPPENED = Plausible(
    days_back=25 * 366,
    days_ahead=None,
    message=_("Enter a date from %(earliest)s up to today (%(latest)s)."),
)
# Something planned or held (an activity): a few years either way.
SCHEDULED = Plausible(
    days_back=5 * 366,
    days_ahead=3 * 366,
    message=_("Enter a date from %(earliest)s to %(latest)s."),
)


class StyledFormMixin:
    """Gives every widget the NL Design System classes (Django itself sets aria-invalid),
    bounds every value, checks the dates named in `plausible_dates` against their meaning
    and gives empty selects a translated prompt."""

    plausible_dates: dict[str, Plausible] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.apply_styles()

    def apply_styles(self) -> None:
        """Style and bound every field; forms that add fields in __init__ call it again."""
        for field in self.fields.values():  # type: ignore[attr-defined]
            if not getattr(field, "opstap_bounded", False):
                lowest, highest = value_bounds(field)
                if lowest is not None:
                    field.validators.append(MinValueValidator(lowest))
                if highest is not None:
                    field.validators.append(MaxValueValidator(highest))
                if isinstance(field, forms.ModelChoiceField):
                    refuse_ids_beyond_the_column(field)
                field.opstap_bounded = True
            self._prompt_instead_of_dashes(field)
            if field.label and field.error_messages.get("required") == DJANGO_REQUIRED:
                field.error_messages = {
                    **field.error_messages,
                    "required": required_message(field.label),
                }
            widget = field.widget
            css = next((c for cls, c in WIDGET_CLASSES.items() if isinstance(widget, cls)), TEXTBOX)
            existing = widget.attrs.get("class", "")
            if css not in existing:
                widget.attrs["class"] = f"{css} {existing}".strip()
        for name, plausible in self.plausible_dates.items():
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is not None and plausible not in field.validators:
                field.validators.append(plausible)
                earliest, latest = plausible.bounds()
                # The browser's date picker offers only the plausible dates as well.
                if isinstance(field.widget, forms.DateInput) and field.widget.input_type == "date":
                    field.widget.attrs.setdefault("min", earliest.isoformat())
                    field.widget.attrs.setdefault("max", latest.isoformat())

    @staticmethod
    def _prompt_instead_of_dashes(field: forms.Field) -> None:
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DJANGO_DASHES:
                field.empty_label = CHOOSE
            return
        if isinstance(field, forms.ChoiceField) and not callable(field.choices):
            choices = list(field.choices)
            if any(value == "" and label == DJANGO_DASHES for value, label in choices):
                field.choices = [
                    (value, CHOOSE if value == "" and label == DJANGO_DASHES else label)
                    for value, label in choices
                ]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, each message beside its own field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def errors_as_sentence(form: forms.Form) -> str:
    """All of a form's messages in one line, each named by its field, for a message that
    stands apart from the form ("Date: Enter a valid date. Note: …")."""
    sentences = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label).rstrip(" *:") if field is not None and field.label else ""
        for message in errors:
            text = str(message).strip()
            sentences.append(f"{label}: {text}" if label and label not in text else text)
    return " ".join(s if s.endswith((".", "?", "!")) else f"{s}." for s in sentences)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class OrganisationSwitchForm(forms.Form):
    organisation = forms.IntegerField()


class MemberAddForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )


class MemberRolesForm(StyledFormMixin, forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"roles": sorted(membership.roles)})
        super().__init__(*args, **kwargs)


class AuditFilterForm(StyledFormMixin, forms.Form):
    client = IdField(label=_("Client number"), required=False)
    user = forms.ModelChoiceField(
        label=_("User"), queryset=None, required=False, empty_label=_("Everyone")
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


class LoginForm(StyledFormMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Autofocus would skip the skip link for keyboard users and confuse screen readers.
        self.fields["username"].widget.attrs.pop("autofocus", None)


class StyledPasswordResetForm(StyledFormMixin, PasswordResetForm):
    """Sends at most OPSTAP_RESET_LIMIT e-mails per hour per address and per network address.
    Beyond that nothing is sent, and the page says the same as always: whether an address has
    an account is never revealed, not even by a throttle."""

    def save(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        email = self.cleaned_data["email"].strip().lower()
        client_ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
        keys = [f"opstap:reset:email:{email}", f"opstap:reset:ip:{client_ip}"]
        for key in keys:
            cache.add(key, 0, timeout=3600)
        counts = [cache.incr(key) for key in keys]
        if max(counts) > settings.OPSTAP_RESET_LIMIT:
            return
        super().save(*args, request=request, **kwargs)


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
    pass


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class CodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class ReauthenticateForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    code = CodeForm.base_fields["code"]

    def __init__(self, *args: Any, user: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not needs_code:
            del self.fields["code"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This password is not right."), code="wrong_password")
        return password

    def clean_code(self) -> str:
        from django_otp import match_token

        code = "".join(self.cleaned_data["code"].split())
        if match_token(self.user, code) is None:
            raise forms.ValidationError(
                _("This code is not right, or it has expired."), code="wrong_code"
            )
        return code
