from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client
from opstap.core.converters import IdField
from opstap.core.forms import DateInput, StyledFormMixin
from opstap.core.models import User

from . import engine
from .choices import (
    AllocationOrder,
    ApplicationStatus,
    Bucket,
    Channel,
    LoanStatus,
    PrepaymentMode,
    TransactionKind,
    Vote,
)
from .models import LoanProduct

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}

# The engine's settings in the user's language (the engine itself knows no Django).
INTEREST_METHODS = [
    (engine.InterestMethod.DECLINING_BALANCE.value, _("Declining balance")),
    (engine.InterestMethod.FLAT.value, _("Flat: on the original amount")),
]
AMORTIZATIONS = [
    (engine.Amortization.EQUAL_INSTALLMENTS.value, _("Equal instalments (annuity)")),
    (engine.Amortization.EQUAL_PRINCIPAL.value, _("Equal principal repayments")),
]
INTEREST_PERIODS = [
    (engine.InterestPeriod.SAME_AS_REPAYMENT.value, _("Per repayment period")),
    (engine.InterestPeriod.DAILY.value, _("Per day")),
]
REPAYMENT_UNITS = [
    (engine.RepaymentUnit.MONTHS.value, _("months")),
    (engine.RepaymentUnit.WEEKS.value, _("weeks")),
    (engine.RepaymentUnit.DAYS.value, _("days")),
]
DAYS_IN_YEAR = [
    (engine.DaysInYear.ACTUAL.value, _("Actual (365 or 366)")),
    (engine.DaysInYear.D360.value, "360"),
    (engine.DaysInYear.D364.value, "364"),
    (engine.DaysInYear.D365.value, "365"),
]
DAYS_IN_MONTH = [
    (engine.DaysInMonth.ACTUAL.value, _("Actual")),
    (engine.DaysInMonth.D30.value, "30"),
]
ROUNDING_MODES = [
    (engine.RoundingMode.HALF_EVEN.value, _("Half to even (banker's rounding)")),
    (engine.RoundingMode.HALF_UP.value, _("Half up")),
]
INSTALLMENT_FEE_KINDS = [
    ("", _("No instalment fee")),
    (engine.ChargeKind.INSTALLMENT_FEE_FLAT.value, _("A fixed amount per instalment")),
    (
        engine.ChargeKind.INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL.value,
        _("A percentage of the instalment's principal"),
    ),
    (
        engine.ChargeKind.INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL_AND_INTEREST.value,
        _("A percentage of the instalment's principal and interest"),
    ),
]
# The engine's keys that are product settings, and the form field of each.
SETTING_CHOICES = (
    "interest_method",
    "amortization",
    "interest_period",
    "repayment_unit",
    "days_in_year",
    "days_in_month",
    "rounding_mode",
)
SETTING_INTEGERS = (
    "repayment_every",
    "grace_on_principal",
    "grace_on_interest_payment",
    "grace_on_interest_charged",
    "currency_decimals",
)
SETTING_DECIMALS = ("fixed_principal_percentage", "installment_multiple_of")
PRODUCT_FIELDS = (
    "name",
    "description",
    "valid_from",
    "valid_until",
    "currency",
    "min_amount",
    "max_amount",
    "min_rate",
    "max_rate",
    "default_rate",
    "min_repayments",
    "max_repayments",
    "allocation_order",
    "arrears_tolerance",
    "overpayment_tolerance",
    "days_until_non_performing",
    "approvals_required",
    "may_convert_to_gift",
)
FIXED_PRINCIPAL_NEEDS_EQUAL_PRINCIPAL = _(
    "A fixed principal percentage needs equal principal repayments."
)
GRACE_TOO_LONG = _("The grace must be shorter than the minimum number of repayments (%(n)s).")
FEE_AMOUNT_MISSING = _("Give the amount or percentage of the instalment fee.")
FEE_KIND_MISSING = _("Choose the kind of instalment fee.")


def _text(value: Decimal) -> str:
    return f"{value:f}"


def _money_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, **MONEY, **kwargs)


class ProductForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty while the product is offered."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    min_amount = _money_field(_("Minimum amount"))
    max_amount = _money_field(_("Maximum amount"))
    min_rate = forms.DecimalField(label=_("Minimum interest rate (% per year)"), **RATE)
    max_rate = forms.DecimalField(label=_("Maximum interest rate (% per year)"), **RATE)
    default_rate = forms.DecimalField(label=_("Standard interest rate (% per year)"), **RATE)
    min_repayments = forms.IntegerField(label=_("Minimum number of repayments"), min_value=1)
    max_repayments = forms.IntegerField(label=_("Maximum number of repayments"), min_value=1)
    allocation_order = forms.ChoiceField(
        label=_("Repayment allocation order"),
        choices=AllocationOrder.choices,
        initial=AllocationOrder.PENALTIES_FEES_INTEREST_PRINCIPAL,
    )
    arrears_tolerance = _money_field(
        _("Arrears tolerance"),
        initial=Decimal("0.00"),
        min_value=0,
        help_text=_("An overdue amount up to this much does not count as arrears."),
    )
    overpayment_tolerance = _money_field(
        _("Overpayment tolerance"),
        initial=Decimal("0.00"),
        required=False,
        min_value=0,
        help_text=_(
            "A repayment may exceed what is outstanding by up to this much without the loan "
            "officer confirming an overpayment."
        ),
    )
    days_until_non_performing = forms.IntegerField(
        label=_("Days late until non-performing"), min_value=1, initial=90
    )
    approvals_required = forms.IntegerField(
        label=_("Committee approvals required"), min_value=1, max_value=9, initial=1
    )
    may_convert_to_gift = forms.BooleanField(
        label=_("The outstanding balance may be converted into a gift"),
        required=False,
        help_text=_("For business capital under the Bbz and similar support."),
    )
    # --- the schedule settings (the engine's terms without amount, dates, rate and term)
    interest_method = forms.ChoiceField(
        label=_("Interest method"), choices=INTEREST_METHODS, initial="declining_balance"
    )
    amortization = forms.ChoiceField(
        label=_("Amortization"), choices=AMORTIZATIONS, initial="equal_installments"
    )
    fixed_principal_percentage = forms.DecimalField(
        label=_("Fixed principal per instalment (%)"),
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text=_(
            "Only with equal principal repayments; the last instalment repays the rest. "
            "Leave empty to spread the principal evenly."
        ),
    )
    interest_period = forms.ChoiceField(
        label=_("Interest calculated"), choices=INTEREST_PERIODS, initial="same_as_repayment"
    )
    repayment_every = forms.IntegerField(
        label=_("Repayment every"), min_value=1, max_value=366, initial=1
    )
    repayment_unit = forms.ChoiceField(
        label=_("Repayment period unit"), choices=REPAYMENT_UNITS, initial="months"
    )
    days_in_year = forms.ChoiceField(label=_("Days in a year"), choices=DAYS_IN_YEAR)
    days_in_month = forms.ChoiceField(label=_("Days in a month"), choices=DAYS_IN_MONTH)
    grace_on_principal = forms.IntegerField(
        label=_("Grace on principal (instalments)"), min_value=0, initial=0
    )
    grace_on_interest_payment = forms.IntegerField(
        label=_("Grace on interest payment (instalments)"),
        min_value=0,
        initial=0,
        help_text=_("Interest is charged but paid later."),
    )
    grace_on_interest_charged = forms.IntegerField(
        label=_("Interest-free instalments"), min_value=0, initial=0
    )
    rounding_mode = forms.ChoiceField(
        label=_("Rounding"), choices=ROUNDING_MODES, initial="half_even"
    )
    currency_decimals = forms.IntegerField(
        label=_("Decimals of the currency"), min_value=0, max_value=6, initial=2
    )
    installment_multiple_of = forms.DecimalField(
        label=_("Instalment in multiples of"),
        max_digits=14,
        decimal_places=6,
        initial=Decimal("0.01"),
        help_text=_("For example 0.01 for cents, 1 for whole euros."),
    )
    disbursement_fee = _money_field(
        _("Fee at disbursement"),
        required=False,
        min_value=0,
        help_text=_("A fixed amount owed on the day of disbursement. Leave empty for none."),
    )
    installment_fee_kind = forms.ChoiceField(
        label=_("Instalment fee"), choices=INSTALLMENT_FEE_KINDS, required=False
    )
    installment_fee_amount = forms.DecimalField(
        label=_("Instalment fee: amount or percentage"),
        required=False,
        max_digits=14,
        decimal_places=4,
        min_value=0,
    )
    # --- not saved: the sample loan of the schedule preview
    sample_amount = _money_field(_("Sample amount"), required=False, min_value=Decimal("0.01"))
    sample_repayments = forms.IntegerField(
        label=_("Sample number of repayments"), required=False, min_value=1, max_value=1000
    )

    SCHEDULE_FIELDS = (
        "interest_method",
        "amortization",
        "fixed_principal_percentage",
        "interest_period",
        "repayment_every",
        "repayment_unit",
        "days_in_year",
        "days_in_month",
        "grace_on_principal",
        "grace_on_interest_payment",
        "grace_on_interest_charged",
        "rounding_mode",
        "currency_decimals",
        "installment_multiple_of",
        "disbursement_fee",
        "installment_fee_kind",
        "installment_fee_amount",
    )

    def __init__(self, *args: Any, product: LoanProduct | None = None, **kwargs: Any) -> None:
        if product is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(product)
        kwargs.setdefault("initial", {"valid_from": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.charge_fields: list[str] = []

    @staticmethod
    def initial_for(product: LoanProduct) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(product, name) for name in PRODUCT_FIELDS}
        settings = product.schedule_settings or {}
        for name in (*SETTING_CHOICES, *SETTING_INTEGERS):
            if name in settings:
                initial[name] = str(settings[name]) if name in SETTING_CHOICES else settings[name]
        for name in SETTING_DECIMALS:
            if settings.get(name) is not None:
                initial[name] = Decimal(settings[name])
        for charge in settings.get("charges", []):
            if charge["kind"] == engine.ChargeKind.DISBURSEMENT_FEE:
                initial["disbursement_fee"] = Decimal(charge["amount"])
            else:
                initial["installment_fee_kind"] = charge["kind"]
                initial["installment_fee_amount"] = Decimal(charge["amount"])
        initial["sample_amount"] = product.min_amount
        initial["sample_repayments"] = product.min_repayments
        return initial

    def clean_overpayment_tolerance(self) -> Decimal:
        return self.cleaned_data["overpayment_tolerance"] or Decimal("0.00")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("fixed_principal_percentage") is not None
            and data.get("amortization") != engine.Amortization.EQUAL_PRINCIPAL
        ):
            self.add_error("fixed_principal_percentage", FIXED_PRINCIPAL_NEEDS_EQUAL_PRINCIPAL)
        shortest = data.get("min_repayments")
        if shortest:
            for name in ("grace_on_principal", "grace_on_interest_payment"):
                if (data.get(name) or 0) >= shortest:
                    self.add_error(name, ValidationError(GRACE_TOO_LONG, params={"n": shortest}))
        kind, amount = data.get("installment_fee_kind"), data.get("installment_fee_amount")
        if kind and not amount:
            self.add_error("installment_fee_amount", FEE_AMOUNT_MISSING)
        if amount and not kind:
            self.add_error("installment_fee_kind", FEE_KIND_MISSING)
        return data

    def schedule_settings(self) -> dict[str, Any]:
        """The engine's JSON keys (decimal strings for amounts) from the cleaned fields."""
        data = self.cleaned_data
        settings: dict[str, Any] = {"interest_rate_per": "year"}
        for name in SETTING_CHOICES:
            settings[name] = data[name]
        for name in SETTING_INTEGERS:
            settings[name] = data[name]
        if data.get("fixed_principal_percentage") is not None:
            settings["fixed_principal_percentage"] = _text(data["fixed_principal_percentage"])
        settings["installment_multiple_of"] = _text(data["installment_multiple_of"].normalize())
        charges = []
        self.charge_fields = []
        if data.get("disbursement_fee"):
            charges.append({"kind": "disbursement_fee", "amount": _text(data["disbursement_fee"])})
            self.charge_fields.append("disbursement_fee")
        if data.get("installment_fee_kind") and data.get("installment_fee_amount"):
            charges.append(
                {
                    "kind": data["installment_fee_kind"],
                    "amount": _text(data["installment_fee_amount"].normalize()),
                }
            )
            self.charge_fields.append("installment_fee_amount")
        settings["charges"] = charges
        return settings

    def product_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in PRODUCT_FIELDS}
        values["currency"] = values["currency"].upper()
        values["schedule_settings"] = self.schedule_settings()
        return values

    def field_for_setting(self, key: str) -> str | None:
        """The form field behind an engine key named in a TermsError (charges[1].amount …)."""
        if key.startswith("charges["):
            index = int(key[len("charges[") : key.index("]")])
            if index < len(self.charge_fields):
                if key.endswith(".kind") and self.charge_fields[index] != "disbursement_fee":
                    return "installment_fee_kind"
                return self.charge_fields[index]
            return None
        return key if key in self.fields else None


class ApplicationForm(StyledFormMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Loan product"), queryset=LoanProduct.objects.none())
    amount = _money_field(_("Amount requested (€)"))
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("What the money is for, for example the kitchen of a food truck."),
    )
    number_of_repayments = forms.IntegerField(label=_("Number of repayments"), min_value=1)
    interest_rate = forms.DecimalField(
        label=_("Interest rate (% per year)"),
        required=False,
        **RATE,
        help_text=_("Leave empty for the product's standard rate."),
    )
    expected_disbursement_date = forms.DateField(
        label=_("Expected disbursement date"), widget=DateInput()
    )
    trajectory = forms.ModelChoiceField(
        label=_("Route"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("The client's route this loan belongs to, if any."),
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The client's documents the committee should see."),
    )

    def __init__(self, *args: Any, client: Client, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"expected_disbursement_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["product"].queryset = LoanProduct.objects.visible_to(user).valid_on(today)  # type: ignore[attr-defined]
        self.fields["trajectory"].queryset = client.trajectories.select_related(  # type: ignore[attr-defined]
            "route_type", "client"
        )
        self.fields["documents"].queryset = client.documents.all()  # type: ignore[attr-defined]

    def service_values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in (
                "product",
                "amount",
                "purpose",
                "number_of_repayments",
                "interest_rate",
                "expected_disbursement_date",
                "trajectory",
            )
        }


class AssessmentForm(StyledFormMixin, forms.Form):
    assessment = forms.CharField(
        label=_("Loan officer's assessment"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        required=False,
        help_text=_("Your view of the plan, the client's capacity to repay and the risks."),
    )


class VoteForm(StyledFormMixin, forms.Form):
    vote = forms.ChoiceField(label=_("Decision"), choices=Vote.choices, widget=forms.RadioSelect)
    approved_amount = _money_field(
        _("Amount approved (€)"),
        required=False,
        help_text=_("Only to approve less than was asked. Leave empty to approve the amount."),
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("Reason for refusal"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to refuse; the client is told."),
    )

    def __init__(self, *args: Any, application_pk: int, **kwargs: Any) -> None:
        # Several applications on the committee page: the prefix keeps the ids apart.
        kwargs.setdefault("prefix", f"vote-{application_pk}")
        super().__init__(*args, **kwargs)


class DisburseForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date paid out"), widget=DateInput())
    amount = _money_field(
        _("Amount (€)"),
        required=False,
        help_text=_("Leave empty to pay out the next tranche, or the whole loan."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RepaymentForm(StyledFormMixin, forms.Form):
    amount = _money_field(_("Amount (€)"))
    date = forms.DateField(label=_("Date received"), widget=DateInput())
    channel = forms.ChoiceField(
        label=_("Paid by"), choices=Channel.choices, initial=Channel.BANK_TRANSFER
    )
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=140)
    prepayment_mode = forms.ChoiceField(
        label=_("If more than is due is paid"),
        choices=PrepaymentMode.choices,
        initial=PrepaymentMode.REDUCE_TERM,
        widget=forms.RadioSelect,
    )
    confirm_overpayment = forms.BooleanField(
        label=_("This is an overpayment"),
        required=False,
        help_text=_(
            "Tick only when the client really paid more than is outstanding: the difference "
            "is then owed to the client."
        ),
    )
    # Made when the form is shown: submitting the same form twice posts the payment once.
    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"date": timezone.localdate(), "idempotency_key": uuid.uuid4().hex}
        )
        super().__init__(*args, **kwargs)


class ReverseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reversal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )


WAIVE_KINDS = [
    (TransactionKind.WAIVE_INTEREST.value, _("Interest")),
    (TransactionKind.WAIVE_FEES.value, _("Fees")),
]


class WaiveForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Waive"), choices=WAIVE_KINDS, widget=forms.RadioSelect)
    amount = _money_field(_("Amount (€)"))
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"date": timezone.localdate(), "kind": TransactionKind.WAIVE_INTEREST}
        )
        super().__init__(*args, **kwargs)


class RestructureForm(StyledFormMixin, forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=DateInput(),
        help_text=_("Instalments due before this date, or already paid towards, stay as they are."),
    )
    holiday_periods = forms.IntegerField(
        label=_("Payment holiday (periods)"), min_value=0, initial=0, max_value=120
    )
    extra_repayments = forms.IntegerField(
        label=_("Extra instalments"), min_value=0, initial=0, max_value=120
    )
    new_interest_rate = forms.DecimalField(
        label=_("New interest rate (% per year)"),
        required=False,
        min_value=0,
        **RATE,
        help_text=_("Leave empty to keep the rate."),
    )
    grace_on_principal = forms.IntegerField(
        label=_("Grace on principal (instalments)"), min_value=0, initial=0, max_value=120
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "effective_from": timezone.localdate(),
                "holiday_periods": 0,
                "extra_repayments": 0,
                "grace_on_principal": 0,
            },
        )
        super().__init__(*args, **kwargs)


class EndLoanForm(StyledFormMixin, forms.Form):
    """Write-off or conversion into a gift: a decision with its reference."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )
    decision_reference = forms.CharField(
        label=_("Decision reference"),
        max_length=140,
        required=False,
        help_text=_("For example the number of the committee's or the council's decision."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class LoanFilterForm(StyledFormMixin, forms.Form):
    client = IdField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Client name or loan reference."),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *LoanStatus.choices]
    )
    bucket = forms.ChoiceField(
        label=_("Arrears"), required=False, choices=[("", _("All")), *Bucket.choices]
    )
    officer = forms.ModelChoiceField(
        label=_("Loan officer"), queryset=None, required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


class ApplicationFilterForm(StyledFormMixin, forms.Form):
    client = IdField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ApplicationStatus.choices]
    )


class ClientPickForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Find the client"),
        required=False,
        max_length=100,
        help_text=_("Name or postcode."),
    )
