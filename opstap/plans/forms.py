"""The forms of the business plan pages.

The financial steps of the guided editor turn their fields into parts of the calculation's
JSON (docs/plans.md) and back. Rows (investments, loans, fixed costs, …) are plain forms with
a prefix per row (`investments-2-amount`) and a count field (`investments-count`), so a row
can be added or removed with or without JavaScript. A row whose fields are all empty is
ignored. An error the service reports for a JSON key (`investments[2].amount`) is put on the
field that entered it, with a translated message (`FinancialStep.add_service_error`).
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client, ClientDocument
from opstap.core import formatting
from opstap.core.forms import LARGEST_DECIMAL, DateInput, StyledFormMixin

from .choices import AssessmentOutcome

MAX_ROWS = 200
MONTHS_IN_YEAR = 12
HUNDRED = Decimal(100)

# --- decimals as people type them ------------------------------------------------------------

NOT_A_NUMBER = _("Enter a number, for example 1250.00 or 1250,00.")


def parse_decimal(raw: str) -> Decimal:
    """A number as typed: "1250", "1250.50", "1250,50", "1.250,50", "1,250.50", "€ 1 250"."""
    text = (raw or "").strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if "," in text and "." in text:
        # The separator that comes last is the decimal one; the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(NOT_A_NUMBER, code="invalid") from None
    if not value.is_finite():
        raise ValidationError(NOT_A_NUMBER, code="invalid")
    return value


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: Decimal("35.00") → "35"."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def share_to_percent(share: Any) -> str:
    if share in (None, ""):
        return ""
    try:
        return plain(Decimal(str(share)) * HUNDRED)
    except InvalidOperation:
        return str(share)


def percent_to_share(percent: Decimal) -> str:
    return plain(percent / HUNDRED)


class NumberField(forms.CharField):
    """A decimal typed with a comma or a point, with at most `decimals` decimals."""

    def __init__(self, *, decimals: int = 2, minimum: Decimal | None = None, **kwargs: Any):
        self.decimals = decimals
        self.minimum = minimum
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "maxlength": 40})
        )
        super().__init__(**kwargs)
        # 40 nines fit the box but not the plan's sums (decimal.InvalidOperation, a 500).
        self.validators.append(MaxValueValidator(LARGEST_DECIMAL))

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        number = parse_decimal(text)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.decimals:
            raise ValidationError(
                gettext("Enter at most %(decimals)s decimals.") % {"decimals": self.decimals},
                code="decimals",
            )
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(
                gettext("Enter %(minimum)s or more.") % {"minimum": plain(self.minimum)},
                code="minimum",
            )
        return number


def amount_field(label: Any, **kwargs: Any) -> NumberField:
    return NumberField(label=label, decimals=2, minimum=Decimal(0), **kwargs)


def month_field(label: Any = None, **kwargs: Any) -> forms.IntegerField:
    kwargs.setdefault("required", False)
    kwargs.setdefault(
        "help_text", _("Plan month 1 to 36 in which it is paid or received (empty: month 1).")
    )
    return forms.IntegerField(
        label=label or _("Month"),
        min_value=1,
        max_value=36,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


def description_field() -> forms.CharField:
    return forms.CharField(label=_("Description"), max_length=200, required=False)


# --- plans, sections, comments ---------------------------------------------------------------


class PlanCreateForm(StyledFormMixin, forms.Form):
    title = forms.CharField(
        label=_("Business name or idea"),
        max_length=200,
        help_text=_("A working name is fine, for example “Bicycle repairs at home”."),
    )
    trajectory = forms.ModelChoiceField(
        label=_("Route"),
        queryset=None,
        required=False,
        empty_label=_("No route"),
        help_text=_("The client's route this plan belongs to (optional)."),
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trajectory"].queryset = client.trajectories.select_related(  # type: ignore[attr-defined]
            "route_type"
        ).order_by("-id")


class SectionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 12})
    )

    def __init__(self, *args: Any, label: Any, guidance_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        # The guidance beside the box describes it for screen readers too.
        self.fields["text"].widget.attrs["aria-describedby"] = guidance_id


class CommentForm(StyledFormMixin, forms.Form):
    section = forms.CharField(widget=forms.HiddenInput, max_length=24)
    text = forms.CharField(
        label=_("Your comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CompareForm(StyledFormMixin, forms.Form):
    a = forms.TypedChoiceField(label=_("Version"), coerce=int)
    b = forms.TypedChoiceField(label=_("Compare with version"), coerce=int)

    def __init__(self, *args: Any, numbers: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(n, gettext("Version %(number)s") % {"number": n}) for n in numbers]
        self.fields["a"].choices = choices  # type: ignore[attr-defined]
        self.fields["b"].choices = choices  # type: ignore[attr-defined]


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx)"),
        help_text=_(
            "A file in the layout of the export of a financial plan. Nothing is saved when "
            "a cell is wrong: every wrong cell is listed."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


# --- the financial steps: rows ---------------------------------------------------------------


class RowForm(StyledFormMixin, forms.Form):
    """One row of a list in the financial plan."""

    list_key: str = ""
    # form field → (JSON key, kind); kind is money, decimal, share, int, month, text, choice
    json_fields: dict[str, tuple[str, str]] = {}

    def is_blank(self) -> bool:
        return all(not (self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields)

    def raw(self) -> dict[str, str]:
        return {name: self.data.get(self.add_prefix(name), "") for name in self.fields}

    def to_json(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {}
        for name, (key, kind) in self.json_fields.items():
            value = data.get(name)
            if kind == "text":
                result[key] = (value or "").strip()
            elif kind == "money":
                result[key] = money(value if value is not None else Decimal(0))
            elif kind == "decimal":
                result[key] = plain(value if value is not None else Decimal(0))
            elif kind == "share":
                if value is not None:
                    result[key] = percent_to_share(value)
            elif kind == "volume":
                result[key] = value
            elif kind == "month":
                result[key] = value or 1
            elif kind == "int":
                result[key] = value or 0
            elif kind == "choice" and value:
                result[key] = value
        return result

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for name, (key, kind) in cls.json_fields.items():
            value = item.get(key)
            if kind == "share":
                initial[name] = share_to_percent(value)
            elif kind == "volume":
                initial[name] = (
                    "; ".join(str(v) for v in value) if isinstance(value, list) else value
                )
            else:
                initial[name] = value
        return initial


class InvestmentRow(RowForm):
    list_key = "investments"
    json_fields = {
        "description": ("description", "text"),
        "amount": ("amount", "money"),
        "month": ("month", "month"),
        "depreciation_years": ("depreciation_years", "int"),
    }
    description = description_field()
    amount = amount_field(_("Amount excl. VAT"))
    month = month_field()
    depreciation_years = forms.IntegerField(
        label=_("Depreciation (years)"),
        required=False,
        min_value=0,
        max_value=50,
        help_text=_("0 for what keeps its value, like a deposit."),
    )


class StartUpCostRow(RowForm):
    list_key = "start_up_costs"
    json_fields = {
        "description": ("description", "text"),
        "amount": ("amount", "money"),
        "month": ("month", "month"),
    }
    description = description_field()
    amount = amount_field(_("Amount excl. VAT"))
    month = month_field()


class LoanRow(RowForm):
    list_key = "loans"
    json_fields = {
        "description": ("description", "text"),
        "amount": ("amount", "money"),
        "interest_rate": ("interest_rate", "decimal"),
        "term_months": ("term_months", "int"),
        "grace_months": ("grace_months", "int"),
        "month": ("month", "month"),
        "amortization": ("amortization", "choice"),
    }
    description = description_field()
    amount = amount_field(_("Amount"))
    interest_rate = NumberField(
        label=_("Interest (% a year)"),
        decimals=6,
        minimum=Decimal(0),
        help_text=_("For example 8.5."),
    )
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1)
    grace_months = forms.IntegerField(
        label=_("Grace (months)"),
        required=False,
        min_value=0,
        help_text=_("First months in which only interest is paid."),
    )
    month = month_field(_("Received in month"))
    amortization = forms.ChoiceField(
        label=_("Repayment"),
        required=False,
        choices=[
            ("equal_installments", _("Equal instalments (annuity)")),
            ("equal_principal", _("Equal principal")),
        ],
    )


class GrantRow(RowForm):
    list_key = "grants"
    json_fields = {
        "description": ("description", "text"),
        "amount": ("amount", "money"),
        "month": ("month", "month"),
    }
    description = description_field()
    amount = amount_field(_("Amount"))
    month = month_field(_("Received in month"))


class FixedCostRow(RowForm):
    list_key = "fixed_costs"
    json_fields = {
        "description": ("description", "text"),
        "monthly_amount": ("monthly_amount", "money"),
    }
    description = description_field()
    monthly_amount = amount_field(_("Amount a month excl. VAT"))


class HouseholdExpenseRow(RowForm):
    list_key = "household_expenses"
    json_fields = {"description": ("description", "text"), "amount": ("amount", "money")}
    description = description_field()
    amount = amount_field(_("Amount a month"))


class HouseholdIncomeRow(HouseholdExpenseRow):
    list_key = "other_household_income"


def parse_volumes(raw: str) -> str | list[str]:
    parts = [p for p in re.split(r"[;\s]+", (raw or "").strip()) if p]
    if len(parts) == 1:
        return plain(parse_decimal(parts[0]))
    if len(parts) == MONTHS_IN_YEAR:
        return [plain(parse_decimal(p)) for p in parts]
    raise ValidationError(
        _("Enter one number, or 12 numbers (one per month) separated by semicolons."),
        code="volumes",
    )


class VolumeField(forms.CharField):
    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return "0"
        return parse_volumes(text)


class RevenueLineRow(RowForm):
    list_key = "revenue_lines"
    json_fields = {
        "description": ("description", "text"),
        "price": ("price", "decimal"),
        "volume_per_month": ("volume_per_month", "volume"),
        "growth_per_year": ("growth_per_year", "share"),
    }
    description = description_field()
    price = NumberField(label=_("Price excl. VAT"), decimals=6, minimum=Decimal(0))
    volume_per_month = VolumeField(
        label=_("Sold a month in year 1"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 400}),
        help_text=_("One number, or 12 numbers (one per month) separated by semicolons."),
    )
    growth_per_year = NumberField(label=_("Growth a year (%)"), decimals=4)


class Rows:
    """The rows of one list, bound to POST data or filled from the stored JSON."""

    def __init__(
        self,
        form_class: type[RowForm],
        *,
        data: Any = None,
        items: list[dict[str, Any]] | None = None,
        disabled: bool = False,
        raw_rows: list[dict[str, str]] | None = None,
    ) -> None:
        self.form_class = form_class
        self.prefix = form_class.list_key
        self.disabled = disabled
        self.bound = data is not None and raw_rows is None
        if raw_rows is not None:
            self.forms = [self._form(i, initial=row) for i, row in enumerate(raw_rows)]
        elif data is not None:
            try:
                count = min(int(data.get(f"{self.prefix}-count") or 0), MAX_ROWS)
            except ValueError:
                count = 0
            self.forms = [self._form(i, data=data) for i in range(max(count, 0))]
        else:
            self.forms = [
                self._form(i, initial=form_class.initial_from(item))
                for i, item in enumerate(items or [])
            ]
        self.json_rows: list[int] = []  # form index of each JSON item

    def _form(self, index: int, **kwargs: Any) -> RowForm:
        form = self.form_class(prefix=f"{self.prefix}-{index}", **kwargs)
        form.row_number = index + 1  # type: ignore[attr-defined]
        if self.disabled:
            for field in form.fields.values():
                field.disabled = True
        return form

    def __iter__(self):
        return iter(self.forms)

    def __len__(self) -> int:
        return len(self.forms)

    def filled(self) -> list[RowForm]:
        return [form for form in self.forms if not (self.bound and form.is_blank())]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.filled()])

    def to_json(self) -> list[dict[str, Any]]:
        self.json_rows = []
        items = []
        for index, form in enumerate(self.forms):
            if self.bound and form.is_blank():
                continue
            self.json_rows.append(index)
            items.append(form.to_json())
        return items

    def raw_rows(self) -> list[dict[str, str]]:
        return [form.raw() for form in self.forms]

    def hide_blank_errors(self) -> None:
        """A blank row is ignored: show it empty, without "required" messages."""
        for index, form in enumerate(self.forms):
            if self.bound and form.is_blank():
                self.forms[index] = self._form(index)


# --- the financial steps ---------------------------------------------------------------------


class StepForm(StyledFormMixin, forms.Form):
    """The single fields of a step (beside its rows)."""


class StartForm(StepForm):
    start_month = forms.CharField(
        label=_("First month of the business"),
        max_length=7,
        help_text=_("Year and month, for example 2027-01. Month 1 of the plan is this month."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-01"}),
    )

    def clean_start_month(self) -> str:
        value = self.cleaned_data["start_month"].strip()
        if not re.fullmatch(r"\d{4}-\d{2}", value) or not 1 <= int(value[5:]) <= 12:
            raise ValidationError(_("Enter the year and month like 2027-01."), code="start_month")
        return value


class InvestmentsForm(StepForm):
    working_capital = amount_field(
        _("Working capital excl. VAT"),
        help_text=_("First stock and a cash buffer, paid in month 1."),
    )


class FinancingForm(StepForm):
    own_contribution_amount = amount_field(
        _("Own contribution"), help_text=_("The entrepreneur's own money put into the business.")
    )
    own_contribution_month = month_field(_("Own contribution in month"))


REVENUE_MONTHLY, REVENUE_MONTHS, REVENUE_LINES = "monthly", "months", "lines"


class OperatingForm(StepForm):
    revenue_mode = forms.ChoiceField(
        label=_("How do you estimate revenue?"),
        choices=[
            (REVENUE_MONTHLY, _("The same amount every month of year 1")),
            (REVENUE_MONTHS, _("An amount for each month of year 1")),
            (REVENUE_LINES, _("Price × number sold, per product or service")),
        ],
        initial=REVENUE_MONTHLY,
        widget=forms.RadioSelect,
    )
    revenue_monthly = amount_field(_("Revenue a month in year 1, excl. VAT"))
    growth_per_year = NumberField(
        label=_("Growth a year (%)"),
        decimals=4,
        help_text=_("How much more you sell in year 2 and again in year 3, for example 10."),
    )
    cost_of_sales_rate = NumberField(
        # xgettext:no-python-format
        label=_("Cost of sales (% of revenue)"),
        decimals=4,
        minimum=Decimal(0),
        help_text=_("Purchases and materials as a share of revenue, for example 35."),
    )

    def __init__(self, *args: Any, month_labels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, label in enumerate(month_labels, start=1):
            self.fields[f"month_{index}"] = amount_field(label)
        self.apply_styles()

    def month_fields(self) -> list[forms.BoundField]:
        return [self[f"month_{i}"] for i in range(1, MONTHS_IN_YEAR + 1)]


class Step:
    """One financial step of the guided editor: its forms, the JSON parts it writes, and
    where a service error about one of its keys is shown."""

    key = ""
    parts: tuple[str, ...] = ()
    form_class: type[StepForm] | None = None
    row_classes: tuple[type[RowForm], ...] = ()

    def __init__(
        self,
        financial: dict[str, Any],
        *,
        data: Any = None,
        disabled: bool = False,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.financial = financial
        self.data = data
        self.disabled = disabled
        self.context = context or {}
        self.form = self.make_form(data)
        self.rows = {
            cls.list_key: Rows(
                cls, data=data, items=financial.get(cls.list_key) or [], disabled=disabled
            )
            for cls in self.row_classes
        }

    def error_count(self) -> int:
        count = len(getattr(self, "errors", []))
        if self.form is not None and self.form.is_bound:
            count += sum(len(errors) for errors in self.form.errors.values())
        for rows in self.rows.values():
            for form in rows:
                if form.is_bound:
                    count += sum(len(errors) for errors in form.errors.values())
        return count

    def non_field_errors(self) -> list[str]:
        errors = list(getattr(self, "errors", []))
        if self.form is not None and self.form.is_bound:
            errors += list(self.form.non_field_errors())
        return errors

    # -- building
    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def initial(self) -> dict[str, Any]:
        return {}

    def make_form(self, data: Any) -> StepForm | None:
        if self.form_class is None:
            return None
        form = self.form_class(
            data, initial=self.initial() if data is None else None, **self.form_kwargs()
        )
        if self.disabled:
            for field in form.fields.values():
                field.disabled = True
        return form

    def is_valid(self) -> bool:
        results = [rows.is_valid() for rows in self.rows.values()]
        if self.form is not None:
            results.append(self.form.is_valid())
        for rows in self.rows.values():
            rows.hide_blank_errors()
        return all(results)

    def values(self) -> dict[str, Any]:
        """The JSON parts of this step (None or [] for a part to leave out)."""
        return {key: rows.to_json() for key, rows in self.rows.items()}

    def financial_after(self) -> dict[str, Any]:
        financial = dict(self.financial)
        for part, value in self.values().items():
            if value in (None, "", []):
                financial.pop(part, None)
            else:
                financial[part] = value
        return financial

    # -- row editing without saving
    def edit_rows(self, *, add: str = "", remove: str = "") -> None:
        """Re-show the step with an empty row added or a row removed (nothing saved)."""
        self.form = self._unbound_form()
        for key, rows in list(self.rows.items()):
            raw = rows.raw_rows()
            if key == add:
                raw.append({})
            if remove.startswith(f"{key}-"):
                with contextlib.suppress(ValueError, IndexError):
                    del raw[int(remove.rsplit("-", 1)[1])]
            self.rows[key] = Rows(
                rows.form_class, data=self.data, raw_rows=raw, disabled=self.disabled
            )

    def _unbound_form(self) -> StepForm | None:
        if self.form is None:
            return None
        raw = {name: self.data.get(self.form.add_prefix(name), "") for name in self.form.fields}
        form = self.form_class(initial=raw, **self.form_kwargs())  # type: ignore[misc]
        return form

    # -- errors from the service
    def field_for_key(self, key: str) -> tuple[forms.Form, str | None, int | None] | None:
        """(form, field name or None, row number or None) that entered JSON `key`."""
        match = re.match(r"^(\w+)\[(\d+)\](?:\.(\w+))?", key)
        if match and match.group(1) in self.rows:
            rows = self.rows[match.group(1)]
            index = int(match.group(2))
            if index < len(rows.json_rows):
                form_index = rows.json_rows[index]
            elif index < len(rows.forms):
                form_index = index
            else:
                return None
            form = rows.forms[form_index]
            field = match.group(3)
            return form, field if field in form.fields else None, form_index + 1
        if self.form is not None:
            name = self.field_names().get(key)
            if name is None:
                name = self.field_names().get(key.split(".")[0].split("[")[0])
            if name is not None:
                return self.form, name, None
        return None

    def field_names(self) -> dict[str, str]:
        return {}

    def add_service_error(self, key: str, problem: str) -> bool:
        found = self.field_for_key(key)
        if found is None:
            return False
        form, field, row = found
        label = form.fields[field].label if field else None
        message = field_problem(key, problem, label=label, row=row)
        form.add_error(field, message)
        return True


class StartStep(Step):
    key = "start"
    parts = ("start_month",)
    form_class = StartForm

    def initial(self) -> dict[str, Any]:
        return {"start_month": self.financial.get("start_month", "")}

    def values(self) -> dict[str, Any]:
        assert self.form is not None  # noqa: S101 for mypy: called only once the form is valid
        return {"start_month": self.form.cleaned_data["start_month"]}

    def field_names(self) -> dict[str, str]:
        return {"start_month": "start_month"}


class InvestmentsStep(Step):
    key = "investments"
    parts = ("investments", "start_up_costs", "working_capital")
    form_class = InvestmentsForm
    row_classes = (InvestmentRow, StartUpCostRow)

    def initial(self) -> dict[str, Any]:
        return {"working_capital": self.financial.get("working_capital", "")}

    def values(self) -> dict[str, Any]:
        assert self.form is not None  # noqa: S101 for mypy: called only once the form is valid
        working = self.form.cleaned_data["working_capital"]
        return {
            **super().values(),
            "working_capital": money(working) if working is not None else None,
        }

    def field_names(self) -> dict[str, str]:
        return {"working_capital": "working_capital"}


class FinancingStep(Step):
    key = "financing"
    parts = ("own_contribution", "loans", "grants")
    form_class = FinancingForm
    row_classes = (LoanRow, GrantRow)

    def initial(self) -> dict[str, Any]:
        own = self.financial.get("own_contribution") or {}
        return {
            "own_contribution_amount": own.get("amount", ""),
            "own_contribution_month": own.get("month", ""),
        }

    def values(self) -> dict[str, Any]:
        assert self.form is not None  # noqa: S101 for mypy: called only once the form is valid
        amount = self.form.cleaned_data["own_contribution_amount"]
        own = None
        if amount is not None:
            own = {
                "amount": money(amount),
                "month": self.form.cleaned_data["own_contribution_month"] or 1,
            }
        return {**super().values(), "own_contribution": own}

    def field_names(self) -> dict[str, str]:
        return {
            "own_contribution.amount": "own_contribution_amount",
            "own_contribution.month": "own_contribution_month",
            "own_contribution": "own_contribution_amount",
        }


def month_labels(start_month: str) -> list[str]:
    """ "Month 1 (January 2027)" … for the twelve months of year 1."""

    labels = []
    try:
        year, month = int(start_month[:4]), int(start_month[5:7])
        first = datetime.date(year, month, 1)
    except (TypeError, ValueError):
        first = None
    for index in range(MONTHS_IN_YEAR):
        if first is None:
            labels.append(gettext("Month %(number)s") % {"number": index + 1})
            continue
        total = first.year * 12 + first.month - 1 + index
        day = datetime.date(total // 12, total % 12 + 1, 1)
        labels.append(
            gettext("Month %(number)s (%(month)s)")
            % {"number": index + 1, "month": formatting.day(day, "month")}
        )
    return labels


class OperatingStep(Step):
    key = "operating"
    parts = ("revenue", "revenue_lines", "cost_of_sales_rate", "fixed_costs")
    form_class = OperatingForm
    row_classes = (RevenueLineRow, FixedCostRow)

    def form_kwargs(self) -> dict[str, Any]:
        return {"month_labels": month_labels(self.financial.get("start_month", ""))}

    def initial(self) -> dict[str, Any]:
        revenue = self.financial.get("revenue") or {}
        initial: dict[str, Any] = {
            "cost_of_sales_rate": share_to_percent(self.financial.get("cost_of_sales_rate")),
            "growth_per_year": share_to_percent(revenue.get("growth_per_year")),
        }
        if self.financial.get("revenue_lines"):
            initial["revenue_mode"] = REVENUE_LINES
        elif "year1_monthly" in revenue:
            initial["revenue_mode"] = REVENUE_MONTHS
            for index, amount in enumerate(revenue["year1_monthly"][:MONTHS_IN_YEAR], start=1):
                initial[f"month_{index}"] = amount
        else:
            initial["revenue_mode"] = REVENUE_MONTHLY
            initial["revenue_monthly"] = revenue.get("monthly", "")
        return initial

    def values(self) -> dict[str, Any]:
        assert self.form is not None  # noqa: S101 for mypy: called only once the form is valid
        data = self.form.cleaned_data
        mode = data["revenue_mode"]
        growth = data["growth_per_year"]
        revenue: dict[str, Any] | None = None
        lines: list[dict[str, Any]] | None = None
        if mode == REVENUE_LINES:
            lines = self.rows["revenue_lines"].to_json()
        else:
            self.rows["revenue_lines"].to_json()
            if mode == REVENUE_MONTHS:
                revenue = {
                    "year1_monthly": [
                        money(data[f"month_{i}"] or Decimal(0))
                        for i in range(1, MONTHS_IN_YEAR + 1)
                    ]
                }
            else:
                revenue = {"monthly": money(data["revenue_monthly"] or Decimal(0))}
            if growth is not None:
                revenue["growth_per_year"] = percent_to_share(growth)
        rate = data["cost_of_sales_rate"]
        return {
            "revenue": revenue,
            "revenue_lines": lines,
            "cost_of_sales_rate": percent_to_share(rate) if rate is not None else None,
            "fixed_costs": self.rows["fixed_costs"].to_json(),
        }

    def field_names(self) -> dict[str, str]:
        names = {
            "revenue.monthly": "revenue_monthly",
            "revenue.growth_per_year": "growth_per_year",
            "revenue": "revenue_mode",
            "revenue_lines": "revenue_mode",
            "cost_of_sales_rate": "cost_of_sales_rate",
            "revenue.year1_monthly": "month_1",
        }
        for i in range(MONTHS_IN_YEAR):
            names[f"revenue.year1_monthly[{i}]"] = f"month_{i + 1}"
        return names


class PersonalStep(Step):
    key = "personal"
    parts = ("household_expenses", "other_household_income")
    row_classes = (HouseholdExpenseRow, HouseholdIncomeRow)


STEPS: dict[str, type[Step]] = {
    cls.key: cls for cls in (StartStep, InvestmentsStep, FinancingStep, OperatingStep, PersonalStep)
}

# --- the calculation's problems, in the reader's language ------------------------------------

KIND_MESSAGES = {
    "money": _("enter an amount like 1250.00 (not negative, at most 2 decimals)"),
    "positive": _("enter an amount above zero, like 1250.00"),
    "month": _("enter a plan month from 1 to 36"),
    "int": _("enter a whole number in the allowed range"),
    "grace": _("the grace period must be shorter than the term"),
    "rate": _("enter a percentage like 8.5"),
    "share": _("enter a percentage like 10"),
    "decimal": _("enter a number like 2.50 (at most 6 decimals)"),
    "text": _("enter at most 200 characters"),
    "start_month": _("enter the year and month like 2027-01"),
    "too_large": _("enter at most 1,000,000,000"),
    "missing": _("fill this in"),
    "revenue": _("choose how you estimate revenue and fill it in"),
    "volumes": _("enter one number, or 12 numbers separated by semicolons"),
    "other": _("this value is not valid"),
}

FIELD_KINDS = {
    "amount": "money",
    "monthly_amount": "money",
    "working_capital": "money",
    "monthly": "money",
    "year1_monthly": "money",
    "month": "month",
    "depreciation_years": "int",
    "term_months": "int",
    "grace_months": "int",
    "interest_rate": "rate",
    "growth_per_year": "share",
    "cost_of_sales_rate": "share",
    "price": "decimal",
    "volume_per_month": "volumes",
    "description": "text",
    "start_month": "start_month",
    "revenue": "revenue",
    "revenue_lines": "revenue",
}


def problem_kind(key: str, problem: str) -> str:
    last = re.sub(r"\[\d+\]", "", key).split(".")[-1]
    kind = FIELD_KINDS.get(last, "other")
    if "must be less than term_months" in problem:
        return "grace"
    if "must be more than zero" in problem:
        return "positive"
    if "must be at most 1,000,000,000" in problem:
        return "too_large"
    if problem == "is missing" and kind not in ("revenue",):
        return "missing"
    return kind


def field_problem(key: str, problem: str, *, label: Any = None, row: int | None = None) -> str:
    """The service's English problem as a message in the reader's language."""
    message = str(KIND_MESSAGES[problem_kind(key, problem)])
    if label and row:
        return gettext("%(field)s in row %(row)s: %(problem)s") % {
            "field": label,
            "row": row,
            "problem": message,
        }
    if label:
        return gettext("%(field)s: %(problem)s") % {"field": label, "problem": message}
    if row:
        return gettext("Row %(row)s: %(problem)s") % {"row": row, "problem": message}
    return message


# --- the viability assessment and the assumptions ----------------------------------------------


class AssessmentRequestForm(StyledFormMixin, forms.Form):
    requested_on = forms.DateField(label=_("Requested on"), widget=DateInput())
    external_adviser = forms.CharField(
        label=_("External adviser"),
        max_length=200,
        required=False,
        help_text=_("The adviser or bureau asked for a report, if any."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"requested_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class AssessmentExtendForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssessmentUpdateForm(StyledFormMixin, forms.Form):
    external_adviser = forms.CharField(label=_("External adviser"), max_length=200, required=False)
    report = forms.ModelChoiceField(
        label=_("The adviser's report"),
        queryset=ClientDocument.objects.none(),
        required=False,
        empty_label=_("No report yet"),
        help_text=_("Upload the report on the client's documents page first, then choose it here."),
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = client.documents.order_by("-uploaded_at")  # type: ignore[attr-defined]


class AssessmentDecideForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in AssessmentOutcome.choices if c[0] != AssessmentOutcome.PENDING],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class AssumptionsForm(StyledFormMixin, forms.Form):
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    tax_and_contributions_rate = forms.DecimalField(
        label=_("Tax and social contributions (share of gross income)"),
        max_digits=5,
        decimal_places=4,
        help_text=_("For example 0.30 for 30 %."),
    )
    dscr_threshold = forms.DecimalField(
        label=_("Minimum debt service coverage"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("1.2"),
        help_text=_("For example 1.2: the cash for the repayments must be 1.2 times as large."),
    )
    cash_shortfall_tolerance_rate = forms.DecimalField(
        label=_("Tolerated temporary cash shortfall (share of the investments)"),
        max_digits=5,
        decimal_places=4,
        initial=Decimal("0.10"),
        help_text=_("For example 0.10 for 10 %."),
    )
