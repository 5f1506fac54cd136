"""Loan terms: the settings a schedule is generated from, validated on construction.

Pure Python (no Django) so the engine runs anywhere: in a request, in the CLI, in a benchmark.
Error keys are the JSON keys of docs/lending.md, so a message can point at the exact input.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from enum import StrEnum

from .dates import steps


class TermsError(ValueError):
    """Invalid loan terms; `key` is the JSON key at fault (e.g. `disbursements[1].amount`)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class RatePer(StrEnum):
    YEAR = "year"
    MONTH = "month"


class InterestMethod(StrEnum):
    DECLINING_BALANCE = "declining_balance"
    FLAT = "flat"


class Amortization(StrEnum):
    EQUAL_INSTALLMENTS = "equal_installments"
    EQUAL_PRINCIPAL = "equal_principal"


class InterestPeriod(StrEnum):
    DAILY = "daily"
    SAME_AS_REPAYMENT = "same_as_repayment"


class RepaymentUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class DaysInYear(StrEnum):
    ACTUAL = "actual"
    D360 = "360"
    D364 = "364"
    D365 = "365"


class DaysInMonth(StrEnum):
    ACTUAL = "actual"
    D30 = "30"


class RoundingMode(StrEnum):
    HALF_EVEN = "half_even"
    HALF_UP = "half_up"


class ChargeKind(StrEnum):
    INSTALLMENT_FEE_FLAT = "installment_fee_flat"
    INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL = "installment_fee_percent_of_principal"
    INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL_AND_INTEREST = (
        "installment_fee_percent_of_principal_and_interest"
    )
    DISBURSEMENT_FEE = "disbursement_fee"

    @property
    def is_percentage(self) -> bool:
        return self in _PERCENT_KINDS


_PERCENT_KINDS = frozenset(
    {
        ChargeKind.INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL,
        ChargeKind.INSTALLMENT_FEE_PERCENT_OF_PRINCIPAL_AND_INTEREST,
    }
)

# Guards against inputs that are valid in form but absurd in size (a typo such as 3600
# repayments would otherwise make the CLI or a web request build a huge schedule).
MAX_REPAYMENTS = 1000
MAX_REPAYMENT_EVERY = 366
MAX_CURRENCY_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Disbursement:
    date: datetime.date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Charge:
    """`amount` is money for flat kinds and a percentage (Decimal("1.5") = 1.5 %) otherwise."""

    kind: ChargeKind
    amount: Decimal

    def __post_init__(self) -> None:
        _coerce_enum(self, "kind", ChargeKind)


@dataclass(frozen=True)
class LoanTerms:
    disbursements: tuple[Disbursement, ...]
    interest_rate: Decimal
    number_of_repayments: int
    interest_rate_per: RatePer = RatePer.YEAR
    interest_method: InterestMethod = InterestMethod.DECLINING_BALANCE
    amortization: Amortization = Amortization.EQUAL_INSTALLMENTS
    fixed_principal_percentage: Decimal | None = None
    interest_period: InterestPeriod = InterestPeriod.SAME_AS_REPAYMENT
    repayment_every: int = 1
    repayment_unit: RepaymentUnit = RepaymentUnit.MONTHS
    first_repayment_date: datetime.date | None = None
    days_in_year: DaysInYear = DaysInYear.ACTUAL
    days_in_month: DaysInMonth = DaysInMonth.ACTUAL
    grace_on_principal: int = 0
    grace_on_interest_payment: int = 0
    grace_on_interest_charged: int = 0
    currency_decimals: int = 2
    rounding_mode: RoundingMode = RoundingMode.HALF_EVEN
    # None (Fineract's default): instalments exact to the currency's smallest unit.
    installment_multiple_of: Decimal | None = None
    charges: tuple[Charge, ...] = ()

    @property
    def principal(self) -> Decimal:
        return sum((d.amount for d in self.disbursements), Decimal(0))

    @property
    def disbursement_date(self) -> datetime.date:
        return self.disbursements[0].date

    def due_dates(self) -> list[datetime.date]:
        """The scheduled due dates, before any early end (see generate_schedule)."""
        n = self.number_of_repayments
        every = self.repayment_every
        unit = self.repayment_unit
        if self.first_repayment_date is None:
            seed, offsets = self.disbursement_date, range(every, (n + 1) * every, every)
        else:
            # Later due dates count from the first one, as Fineract's seed date does, so a
            # first repayment on the 31st keeps later ones on the last day of short months.
            seed, offsets = self.first_repayment_date, range(0, n * every, every)
        return steps(seed, unit, offsets)

    def __post_init__(self) -> None:
        _validate(self)


def _check_int(key: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TermsError(key, "must be a whole number")
    if not low <= value <= high:
        raise TermsError(key, f"must be between {low} and {high}, not {value}")


def _check_decimal(key: str, value: object) -> Decimal:
    if isinstance(value, float):
        raise TermsError(key, 'must be a decimal string such as "12.5", not a number')
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TermsError(key, 'must be a decimal such as "12.5"')
    return value


def _check_money(key: str, value: object, decimals: int) -> Decimal:
    amount = _check_decimal(key, value)
    if amount <= 0:
        raise TermsError(key, f"must be more than zero, not {amount}")
    if amount.as_tuple().exponent < -decimals:  # type: ignore[operator]
        raise TermsError(key, f"has more than {decimals} decimal places ({amount})")
    return amount


def _coerce_enum(instance: object, name: str, enum: type[StrEnum]) -> None:
    """Accept the plain string value too (e.g. a model field's "flat"), stored as the member,
    so equality, hashing and terms_to_json behave the same either way."""
    value = getattr(instance, name)
    if isinstance(value, str) and not isinstance(value, enum):
        allowed = {member.value: member for member in enum}
        if value in allowed:  # otherwise _check_enum names the allowed values
            object.__setattr__(instance, name, allowed[value])


def _check_enum(key: str, value: object, enum: type[StrEnum]) -> None:
    if not isinstance(value, enum):
        allowed = ", ".join(member.value for member in enum)
        raise TermsError(key, f"must be one of {allowed}, not {value!r}")


def _check_date(key: str, value: object) -> None:
    # datetime is a date subclass; a time of day has no meaning in a schedule.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TermsError(key, "must be a date (yyyy-mm-dd)")


def _validate(terms: LoanTerms) -> None:
    _check_int("currency_decimals", terms.currency_decimals, 0, MAX_CURRENCY_DECIMALS)
    decimals = terms.currency_decimals
    _check_int("number_of_repayments", terms.number_of_repayments, 1, MAX_REPAYMENTS)
    _check_int("repayment_every", terms.repayment_every, 1, MAX_REPAYMENT_EVERY)
    n = terms.number_of_repayments
    for name, enum in (
        ("interest_rate_per", RatePer),
        ("interest_method", InterestMethod),
        ("amortization", Amortization),
        ("interest_period", InterestPeriod),
        ("repayment_unit", RepaymentUnit),
        ("days_in_year", DaysInYear),
        ("days_in_month", DaysInMonth),
        ("rounding_mode", RoundingMode),
    ):
        _coerce_enum(terms, name, enum)
        _check_enum(name, getattr(terms, name), enum)

    rate = _check_decimal("interest_rate", terms.interest_rate)
    if rate < 0:
        raise TermsError("interest_rate", f"must not be negative, not {rate}")

    if not isinstance(terms.disbursements, tuple) or not terms.disbursements:
        raise TermsError("disbursements", "must list at least one disbursement")
    previous: datetime.date | None = None
    for index, disbursement in enumerate(terms.disbursements):
        key = f"disbursements[{index}]"
        if not isinstance(disbursement, Disbursement):
            raise TermsError(key, "must be a disbursement (date and amount)")
        _check_date(f"{key}.date", disbursement.date)
        _check_money(f"{key}.amount", disbursement.amount, decimals)
        if previous is not None and disbursement.date <= previous:
            raise TermsError(f"{key}.date", "must be after the previous disbursement's date")
        previous = disbursement.date

    for name in ("grace_on_principal", "grace_on_interest_payment", "grace_on_interest_charged"):
        _check_int(name, getattr(terms, name), 0, MAX_REPAYMENTS)
        if getattr(terms, name) >= n:
            raise TermsError(
                name, f"must be less than number_of_repayments ({n}), not {getattr(terms, name)}"
            )

    percentage = terms.fixed_principal_percentage
    if percentage is not None:
        _check_decimal("fixed_principal_percentage", percentage)
        if terms.amortization != Amortization.EQUAL_PRINCIPAL:
            raise TermsError("fixed_principal_percentage", "needs amortization equal_principal")
        if not 0 < percentage <= 100:
            raise TermsError(
                "fixed_principal_percentage",
                f"must be more than 0 and at most 100, not {percentage}",
            )
        paying = n - terms.grace_on_principal
        if percentage * (paying - 1) >= 100:
            # The last principal instalment takes the remainder, so the others must leave one.
            limit = (Decimal(100) / (paying - 1)).quantize(Decimal("0.01"), ROUND_UP).normalize()
            raise TermsError(
                "fixed_principal_percentage",
                f"must be less than {limit:f} with {paying} principal instalments, so that the "
                f"last one repays the rest (not {percentage})",
            )

    multiple = (
        None
        if terms.installment_multiple_of is None
        else _check_decimal("installment_multiple_of", terms.installment_multiple_of)
    )
    if multiple is None:
        pass
    elif multiple <= 0:
        raise TermsError("installment_multiple_of", f"must be more than zero, not {multiple}")
    elif multiple.as_tuple().exponent < -decimals:  # type: ignore[operator]
        raise TermsError(
            "installment_multiple_of",
            f"has more than {decimals} decimal places (currency_decimals) ({multiple})",
        )

    if not isinstance(terms.charges, tuple):
        raise TermsError("charges", "must be a list of charges")
    for index, charge in enumerate(terms.charges):
        key = f"charges[{index}]"
        if not isinstance(charge, Charge):
            raise TermsError(key, "must be a charge (kind and amount)")
        _check_enum(f"{key}.kind", charge.kind, ChargeKind)
        if charge.kind.is_percentage:
            amount = _check_decimal(f"{key}.amount", charge.amount)
            if not 0 < amount <= 100:
                raise TermsError(
                    f"{key}.amount", f"must be a percentage above 0 and at most 100, not {amount}"
                )
        else:
            _check_money(f"{key}.amount", charge.amount, decimals)

    if terms.first_repayment_date is not None:
        _check_date("first_repayment_date", terms.first_repayment_date)
        if terms.first_repayment_date <= terms.disbursement_date:
            raise TermsError(
                "first_repayment_date",
                f"must be after the disbursement date ({terms.disbursement_date.isoformat()})",
            )

    if len(terms.disbursements) > 1:
        if terms.interest_method != InterestMethod.DECLINING_BALANCE:
            raise TermsError(
                "disbursements", "more than one tranche needs interest_method declining_balance"
            )
        last_due = terms.due_dates()[-1]
        for index, disbursement in enumerate(terms.disbursements[1:], start=1):
            if disbursement.date >= last_due:
                raise TermsError(
                    f"disbursements[{index}].date",
                    f"must be before the last due date ({last_due.isoformat()})",
                )
