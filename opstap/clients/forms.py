from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opstap.core.forms import HAPPENED, DateInput, StyledFormMixin, apply_service_errors
from opstap.core.models import Membership, Organisation, User
from opstap.core.phones import PhoneField
from opstap.core.roles import Capability, Role

from .choices import (
    LANGUAGE_CHOICES,
    ConsentPurpose,
    DocumentKind,
    Education,
    Gender,
    Household,
    IncomeSource,
    LabourStatus,
    LegalBasis,
    ResidenceStatus,
)
from .models import Client
from .services import CHILD_AGES_INVALID, SPECIAL_CATEGORY_FIELDS, clean_client_data

NULL_BOOLEAN = [("", _("Not recorded")), ("true", _("Yes")), ("false", _("No"))]
FINANCIAL_FIELDS = ("income_source", "income_monthly", "iban")


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class ClientForm(StyledFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN)
    national_number = forms.CharField(
        label=_("National number"),
        required=False,
        max_length=20,
        help_text=_(
            "Rijksregisternummer (11 digits) in Belgium, BSN (9 digits) in the Netherlands."
        ),
    )
    external_reference = forms.CharField(
        label=_("External reference"), required=False, max_length=64
    )
    phone = PhoneField(label=_("Phone"), required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    street = forms.CharField(label=_("Street and number"), required=False, max_length=200)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=8)
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=100)
    neighbourhood = forms.CharField(label=_("Neighbourhood"), required=False, max_length=100)
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        required=False,
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), required=False, choices=_blank(LANGUAGE_CHOICES)
    )
    household = forms.ChoiceField(
        label=_("Household"), required=False, choices=_blank(Household.choices)
    )
    children_ages = forms.CharField(
        label=_("Ages of the children"),
        required=False,
        max_length=100,
        help_text=_("For example: 3, 7, 12. Leave empty when there are no children."),
    )
    income_source = forms.ChoiceField(
        label=_("Income at entry"), required=False, choices=_blank(IncomeSource.choices)
    )
    income_monthly = forms.DecimalField(
        label=_("Monthly income at entry (€)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    labour_status = forms.ChoiceField(
        label=_("Labour-market status at entry"),
        required=False,
        choices=_blank(LabourStatus.choices),
    )
    education = forms.TypedChoiceField(
        label=_("Highest education (ISCED)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_blank(Education.choices),
    )
    residence_status = forms.ChoiceField(
        label=_("Residence status"), required=False, choices=_blank(ResidenceStatus.choices)
    )
    iban = forms.CharField(label=_("IBAN"), required=False, max_length=42)
    has_disability = forms.TypedChoiceField(
        label=_("Has a disability"),
        required=False,
        choices=NULL_BOOLEAN,
        coerce=lambda v: v == "true",
        empty_value=None,
    )
    minority_background = forms.TypedChoiceField(
        label=_("Minority background"),
        required=False,
        choices=NULL_BOOLEAN,
        coerce=lambda v: v == "true",
        empty_value=None,
    )
    adviser = forms.ModelChoiceField(
        label=_("Adviser"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No adviser yet"),
    )
    duplicate_override_reason = forms.CharField(
        label=_("Reason to create this file despite a possible duplicate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        membership: Membership,
        client: Client | None = None,
        special_category_allowed: bool = False,
        **kwargs: Any,
    ) -> None:
        self.organisation = organisation
        self.client = client
        if client is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial_from(client, membership)
        super().__init__(*args, **kwargs)
        # A role sees and edits only what it may: the form simply lacks the other fields,
        # so saving it leaves them as they were.
        if not membership.can(Capability.VIEW_NATIONAL_NUMBER):
            del self.fields["national_number"]
        if not membership.can(Capability.VIEW_FINANCIAL):
            for name in FINANCIAL_FIELDS:
                del self.fields[name]
        if not special_category_allowed:
            for name in SPECIAL_CATEGORY_FIELDS:
                del self.fields[name]
        self.fields["adviser"].queryset = (
            User.objects.filter(
                memberships__organisation=organisation,
                memberships__is_active=True,
                memberships__role_grants__role=Role.ADVISER,
            )
            .distinct()
            .order_by("first_name", "last_name")
        )

    @staticmethod
    def _initial_from(client: Client, membership: Membership) -> dict[str, Any]:
        initial = {
            name: getattr(client, name)
            for name in (
                "first_name",
                "last_name",
                "birth_date",
                "gender",
                "external_reference",
                "phone",
                "email",
                "street",
                "postcode",
                "municipality",
                "neighbourhood",
                "languages",
                "preferred_language",
                "household",
                "income_source",
                "income_monthly",
                "labour_status",
                "education",
                "residence_status",
                "has_disability",
                "minority_background",
            )
        }
        for name in SPECIAL_CATEGORY_FIELDS:
            value = initial[name]
            initial[name] = "" if value is None else ("true" if value else "false")
        initial["children_ages"] = ", ".join(str(a) for a in client.children_ages or [])
        initial["adviser"] = client.adviser_id
        if membership.can(Capability.VIEW_NATIONAL_NUMBER):
            initial["national_number"] = client.national_number
        if membership.can(Capability.VIEW_FINANCIAL):
            initial["iban"] = client.iban
        return initial

    def clean_children_ages(self) -> list[int]:
        raw = self.cleaned_data.get("children_ages", "")
        parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError as exc:
            raise ValidationError(CHILD_AGES_INVALID, code="children_ages") from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            normalised = clean_client_data(
                organisation=self.organisation, data=self.service_data(), client=self.client
            )
        except ValidationError as exc:
            apply_service_errors(self, exc)
            return cleaned
        for name in ("national_number", "postcode", "iban"):
            if name in normalised and name in cleaned:
                cleaned[name] = normalised[name]
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "duplicate_override_reason"}


class ConsentForm(StyledFormMixin, forms.Form):
    plausible_dates = {"given_on": HAPPENED}
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    partner = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("Only for sharing with a partner organisation."),
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    text_version = forms.CharField(
        label=_("Version of the text shown"),
        max_length=64,
        help_text=_("The version of the consent text the client read, for example 2026-01."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Organisation.objects.exclude(pk=organisation.pk)


class DocumentForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, JPEG, PNG, Word, Excel or OpenDocument; at most 10 MB.")
    )


class ClientFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name, national number (exact) or postcode."),
    )
    adviser = forms.ModelChoiceField(
        label=_("Adviser"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All advisers"),
    )
    labour_status = forms.ChoiceField(
        label=_("Labour-market status"),
        required=False,
        choices=[("", _("All")), *LabourStatus.choices],
    )
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", _("All")), *Gender.choices]
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["adviser"].queryset = (
            User.objects.filter(
                memberships__organisation=organisation,
                memberships__is_active=True,
                memberships__role_grants__role=Role.ADVISER,
            )
            .distinct()
            .order_by("first_name", "last_name")
        )
