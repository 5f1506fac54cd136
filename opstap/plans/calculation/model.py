"""The financial plan: the input of the calculation, validated on construction.

Pure Python (no Django). Every amount is a Decimal; lists are tuples so a plan is immutable
and hashable. `PlanError.key` is the JSON key at fault (docs/plans.md), e.g.
`investments[2].amount`, so a form or the CLI can point at the exact input.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opstap.lending.engine import Amortization

HORIZON_MONTHS = 36
YEARS = 3

# Guards against inputs valid in form but absurd in size (a typo, not a business plan).
MAX_AMOUNT = Decimal("1000000000")  # EUR 1 billion: any amount, price or volume
MAX_DEPRECIATION_YEARS = 50
MAX_LOAN_TERM_MONTHS = 360
MAX_LOAN_RATE = Decimal(100)  # % per year
MAX_GROWTH = Decimal(10)  # +1000 % a year
MAX_ITEMS = 200  # per list
MAX_DESCRIPTION = 200
MONEY_DECIMALS = 2
MAX_DECIMALS = 6  # rates, prices and volumes

ZERO = Decimal(0)
ONE = Decimal(1)
DEFAULT_DSCR_THRESHOLD = Decimal("1.2")
DEFAULT_CASH_SHORTFALL_TOLERANCE_RATE = Decimal("0.10")


class PlanError(ValueError):
    """Invalid plan; `key` is the JSON key at fault (e.g. `investments[2].amount`)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class LoanAmortization(StrEnum):
    """How a loan's principal is repaid (the lending engine's two amortization kinds)."""

    EQUAL_INSTALLMENTS = "equal_installments"
    EQUAL_PRINCIPAL = "equal_principal"

    @property
    def engine(self) -> Amortization:
        return Amortization(self.value)


@dataclass(frozen=True, slots=True)
class Investment:
    """An asset bought in plan month `month`; depreciated straight-line over
    `depreciation_years` from that month (0 = not depreciated, e.g. land or a deposit)."""

    description: str
    amount: Decimal
    month: int
    depreciation_years: int


@dataclass(frozen=True, slots=True)
class StartUpCost:
    """A one-off start-up cost (registration, website, opening campaign) paid in `month`."""

    description: str
    amount: Decimal
    month: int


@dataclass(frozen=True, slots=True)
class OwnContribution:
    amount: Decimal
    month: int = 1


@dataclass(frozen=True, slots=True)
class Loan:
    """A loan disbursed on the 1st of plan month `month`, repaid monthly from one month later.

    `interest_rate` is a percentage per year ("7.5" = 7.5 %); `grace_months` is the number of
    first instalments that pay interest only."""

    description: str
    amount: Decimal
    interest_rate: Decimal
    term_months: int
    grace_months: int = 0
    month: int = 1
    amortization: LoanAmortization = LoanAmortization.EQUAL_INSTALLMENTS


@dataclass(frozen=True, slots=True)
class Grant:
    description: str
    amount: Decimal
    month: int


@dataclass(frozen=True, slots=True)
class Revenue:
    """Revenue as amounts: either the 12 months of year 1 (`year1_monthly`) or one amount for
    every month (`monthly`). Years 2 and 3 repeat year 1's months grown by `growth_per_year`
    (year 2 = year 1 x (1 + g), year 3 = year 1 x (1 + g)^2)."""

    year1_monthly: tuple[Decimal, ...] | None = None
    monthly: Decimal | None = None
    growth_per_year: Decimal = ZERO

    def year1(self) -> tuple[Decimal, ...]:
        if self.year1_monthly is not None:
            return self.year1_monthly
        return (self.monthly if self.monthly is not None else ZERO,) * 12


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """A product or service: price x volume. `volume_per_month` holds 12 values (year 1's
    months) or one value (every month of year 1); growth applies to the volume."""

    description: str
    price: Decimal
    volume_per_month: tuple[Decimal, ...]
    growth_per_year: Decimal = ZERO

    def year1_volumes(self) -> tuple[Decimal, ...]:
        if len(self.volume_per_month) == 1:
            return self.volume_per_month * 12
        return self.volume_per_month


@dataclass(frozen=True, slots=True)
class FixedCost:
    description: str
    monthly_amount: Decimal


@dataclass(frozen=True, slots=True)
class HouseholdItem:
    """A monthly household expense or a monthly household income (partner, benefits)."""

    description: str
    amount: Decimal


@dataclass(frozen=True)
class FinancialPlan:
    """A 36-month financial plan. `start_month` is the 1st of the plan's first month.

    Exactly one of `revenue` and `revenue_lines` is given (an empty `revenue_lines` tuple and
    `revenue=None` is not a plan). Construct with keywords; the plan validates itself."""

    start_month: datetime.date
    tax_and_contributions_rate: Decimal
    revenue: Revenue | None = None
    revenue_lines: tuple[RevenueLine, ...] = ()
    dscr_threshold: Decimal = DEFAULT_DSCR_THRESHOLD
    cash_shortfall_tolerance_rate: Decimal = DEFAULT_CASH_SHORTFALL_TOLERANCE_RATE
    investments: tuple[Investment, ...] = ()
    start_up_costs: tuple[StartUpCost, ...] = ()
    working_capital: Decimal = ZERO
    own_contribution: OwnContribution | None = None
    loans: tuple[Loan, ...] = ()
    grants: tuple[Grant, ...] = ()
    cost_of_sales_rate: Decimal = ZERO
    fixed_costs: tuple[FixedCost, ...] = ()
    household_expenses: tuple[HouseholdItem, ...] = ()
    other_household_income: tuple[HouseholdItem, ...] = ()

    def __post_init__(self) -> None:
        validate(self)

    def calendar_month(self, month: int) -> datetime.date:
        """The 1st of plan month `month` (1 = start_month)."""
        index = self.start_month.year * 12 + self.start_month.month - 1 + month - 1
        return datetime.date(index // 12, index % 12 + 1, 1)


# --- validation ----------------------------------------------------------------------------


def _decimal(key: str, value: object, decimals: int = MAX_DECIMALS) -> Decimal:
    if isinstance(value, float):
        raise PlanError(key, 'must be a decimal string such as "12.50", not a number')
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PlanError(key, 'must be a decimal such as "12.50"')
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 for mypy: a finite Decimal's exponent is an int
    if exponent < -decimals:
        raise PlanError(key, f"has more than {decimals} decimal places ({value})")
    if abs(value) > MAX_AMOUNT:
        raise PlanError(key, f"must be at most {MAX_AMOUNT:,}, not {value}")
    return value


def _amount(
    key: str, value: object, *, positive: bool = False, decimals: int = MONEY_DECIMALS
) -> None:
    amount = _decimal(key, value, decimals)
    if positive and amount <= 0:
        raise PlanError(key, f"must be more than zero, not {amount}")
    if amount < 0:
        raise PlanError(key, f"must not be negative, not {amount}")


def _rate(key: str, value: object, low: Decimal, high: Decimal, *, high_open: bool) -> None:
    rate = _decimal(key, value)
    above = rate >= high if high_open else rate > high
    if rate < low or above:
        upper = f"less than {high}" if high_open else f"at most {high}"
        raise PlanError(key, f"must be at least {low} and {upper}, not {rate}")


def _int(key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(key, f"must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise PlanError(key, f"must be between {low} and {high}, not {value}")
    return value


def _month(key: str, value: object) -> int:
    return _int(key, value, 1, HORIZON_MONTHS)


def _text(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise PlanError(key, "must be text")
    if len(value) > MAX_DESCRIPTION:
        raise PlanError(key, f"must be at most {MAX_DESCRIPTION} characters")


def _items(key: str, value: object, kind: type) -> tuple[object, ...]:
    if not isinstance(value, tuple):
        raise PlanError(key, "must be a list (a tuple in Python)")
    if len(value) > MAX_ITEMS:
        raise PlanError(key, f"must have at most {MAX_ITEMS} items, not {len(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, kind):
            raise PlanError(f"{key}[{index}]", f"must be a {kind.__name__}")
    return value


def _growth(key: str, value: object) -> None:
    growth = _decimal(key, value)
    if not -1 < growth <= MAX_GROWTH:
        raise PlanError(key, f"must be more than -1 and at most {MAX_GROWTH}, not {growth}")


def validate(plan: FinancialPlan) -> None:
    """Raise PlanError for the first invalid value of `plan`, keyed as in the JSON."""
    start = plan.start_month
    if (
        not isinstance(start, datetime.date)
        or isinstance(start, datetime.datetime)
        or start.day != 1
    ):
        raise PlanError("start_month", "must be the first day of a month")
    if not datetime.date(1900, 1, 1) <= start <= datetime.date(9000, 1, 1):
        raise PlanError("start_month", f"is out of range: {start.isoformat()[:7]}")
    _rate("tax_and_contributions_rate", plan.tax_and_contributions_rate, ZERO, ONE, high_open=True)
    threshold = _decimal("dscr_threshold", plan.dscr_threshold)
    if not 0 < threshold <= 100:
        raise PlanError("dscr_threshold", f"must be more than 0 and at most 100, not {threshold}")
    _rate(
        "cash_shortfall_tolerance_rate",
        plan.cash_shortfall_tolerance_rate,
        ZERO,
        ONE,
        high_open=False,
    )

    for index, item in enumerate(_items("investments", plan.investments, Investment)):
        assert isinstance(item, Investment)  # noqa: S101 for mypy: _items() checked each type
        key = f"investments[{index}]"
        _text(f"{key}.description", item.description)
        _amount(f"{key}.amount", item.amount)
        _month(f"{key}.month", item.month)
        _int(f"{key}.depreciation_years", item.depreciation_years, 0, MAX_DEPRECIATION_YEARS)
    for index, item in enumerate(_items("start_up_costs", plan.start_up_costs, StartUpCost)):
        assert isinstance(item, StartUpCost)  # noqa: S101 for mypy: _items() checked each type
        key = f"start_up_costs[{index}]"
        _text(f"{key}.description", item.description)
        _amount(f"{key}.amount", item.amount)
        _month(f"{key}.month", item.month)
    _amount("working_capital", plan.working_capital)

    own = plan.own_contribution
    if own is not None:
        if not isinstance(own, OwnContribution):
            raise PlanError("own_contribution", "must be an OwnContribution")
        _amount("own_contribution.amount", own.amount)
        _month("own_contribution.month", own.month)
    for index, item in enumerate(_items("loans", plan.loans, Loan)):
        assert isinstance(item, Loan)  # noqa: S101 for mypy: _items() checked each type
        key = f"loans[{index}]"
        _text(f"{key}.description", item.description)
        _amount(f"{key}.amount", item.amount, positive=True)
        _rate(f"{key}.interest_rate", item.interest_rate, ZERO, MAX_LOAN_RATE, high_open=False)
        term = _int(f"{key}.term_months", item.term_months, 1, MAX_LOAN_TERM_MONTHS)
        grace = _int(f"{key}.grace_months", item.grace_months, 0, MAX_LOAN_TERM_MONTHS)
        if grace >= term:
            raise PlanError(
                f"{key}.grace_months", f"must be less than term_months ({term}), not {grace}"
            )
        _month(f"{key}.month", item.month)
        if not isinstance(item.amortization, LoanAmortization):
            allowed = ", ".join(member.value for member in LoanAmortization)
            raise PlanError(f"{key}.amortization", f"must be one of {allowed}")
    for index, item in enumerate(_items("grants", plan.grants, Grant)):
        assert isinstance(item, Grant)  # noqa: S101 for mypy: _items() checked each type
        key = f"grants[{index}]"
        _text(f"{key}.description", item.description)
        _amount(f"{key}.amount", item.amount)
        _month(f"{key}.month", item.month)

    _validate_revenue(plan)
    _rate("cost_of_sales_rate", plan.cost_of_sales_rate, ZERO, ONE, high_open=False)
    for index, item in enumerate(_items("fixed_costs", plan.fixed_costs, FixedCost)):
        assert isinstance(item, FixedCost)  # noqa: S101 for mypy: _items() checked each type
        key = f"fixed_costs[{index}]"
        _text(f"{key}.description", item.description)
        _amount(f"{key}.monthly_amount", item.monthly_amount)
    for name in ("household_expenses", "other_household_income"):
        for index, item in enumerate(_items(name, getattr(plan, name), HouseholdItem)):
            assert isinstance(item, HouseholdItem)  # noqa: S101 for mypy: _items() checked each type
            _text(f"{name}[{index}].description", item.description)
            _amount(f"{name}[{index}].amount", item.amount)


def _validate_revenue(plan: FinancialPlan) -> None:
    revenue = plan.revenue
    lines = _items("revenue_lines", plan.revenue_lines, RevenueLine)
    if revenue is None and not lines:
        raise PlanError("revenue", "is missing: give revenue or revenue_lines")
    if revenue is not None and lines:
        raise PlanError("revenue_lines", "give either revenue or revenue_lines, not both")
    if revenue is not None:
        if not isinstance(revenue, Revenue):
            raise PlanError("revenue", "must be a Revenue")
        if (revenue.year1_monthly is None) == (revenue.monthly is None):
            raise PlanError("revenue", "give either year1_monthly (12 amounts) or monthly")
        if revenue.year1_monthly is not None:
            months = revenue.year1_monthly
            if not isinstance(months, tuple) or len(months) != 12:
                raise PlanError("revenue.year1_monthly", "must list exactly 12 amounts")
            for index, amount in enumerate(months):
                _amount(f"revenue.year1_monthly[{index}]", amount)
        else:
            _amount("revenue.monthly", revenue.monthly)
        _growth("revenue.growth_per_year", revenue.growth_per_year)
    for index, line in enumerate(lines):
        assert isinstance(line, RevenueLine)  # noqa: S101 for mypy: _items() checked each type
        key = f"revenue_lines[{index}]"
        _text(f"{key}.description", line.description)
        _amount(f"{key}.price", line.price, decimals=MAX_DECIMALS)
        volumes = line.volume_per_month
        if not isinstance(volumes, tuple) or len(volumes) not in (1, 12):
            raise PlanError(f"{key}.volume_per_month", "must be one value or exactly 12 values")
        for number, volume in enumerate(volumes):
            _amount(
                f"{key}.volume_per_month" + (f"[{number}]" if len(volumes) == 12 else ""),
                volume,
                decimals=MAX_DECIMALS,
            )
        _growth(f"{key}.growth_per_year", line.growth_per_year)
