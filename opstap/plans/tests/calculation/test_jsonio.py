"""The JSON contract: what plan_from_json accepts, and the key it names when it refuses."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opstap.plans.calculation import (
    FinancialPlan,
    LoanAmortization,
    PlanError,
    Revenue,
    evaluate,
    evaluation_to_json,
    plan_from_json,
    plan_to_json,
)

from . import sample_json


def minimal() -> dict[str, Any]:
    return {
        "start_month": "2027-01",
        "tax_and_contributions_rate": "0.30",
        "revenue": {"monthly": "1000.00"},
    }


def error_for(data: object) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan_from_json(data)
    return caught.value


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data.update(changes)
    return data


def test_minimal_plan_and_defaults():
    plan = plan_from_json(minimal())
    assert plan.start_month == datetime.date(2027, 1, 1)
    assert plan.dscr_threshold == Decimal("1.2")
    assert plan.cash_shortfall_tolerance_rate == Decimal("0.10")
    assert plan.working_capital == 0
    assert plan.revenue == Revenue(monthly=Decimal("1000.00"))


def test_defaults_of_loans_and_own_contribution():
    data = with_changes(
        minimal(),
        own_contribution={"amount": "500"},
        loans=[{"description": "L", "amount": "1000", "interest_rate": "5", "term_months": 12}],
    )
    plan = plan_from_json(data)
    assert plan.own_contribution is not None and plan.own_contribution.month == 1
    (loan,) = plan.loans
    assert (loan.month, loan.grace_months, loan.amortization) == (
        1,
        0,
        LoanAmortization.EQUAL_INSTALLMENTS,
    )


def test_assumptions_from_the_caller_win():
    data = minimal()
    del data["tax_and_contributions_rate"]
    assert error_for(data).key == "tax_and_contributions_rate"
    plan = plan_from_json(
        data, tax_and_contributions_rate=Decimal("0.35"), dscr_threshold=Decimal("1.5")
    )
    assert plan.tax_and_contributions_rate == Decimal("0.35")
    assert plan.dscr_threshold == Decimal("1.5")


@pytest.mark.parametrize(
    "name", ["bakery", "negative_cash", "financing_gap", "income_year3", "loan_grace", "dscr_year1"]
)
def test_samples_round_trip(name):
    plan = plan_from_json(sample_json(name))
    assert plan_from_json(plan_to_json(plan)) == plan


def test_volume_as_one_value_or_twelve():
    lines = sample_json("income_year3")["revenue_lines"]
    assert isinstance(lines[0]["volume_per_month"], str)
    plan = plan_from_json(sample_json("income_year3"))
    assert plan.revenue_lines[0].volume_per_month == (Decimal("100"),)
    assert len(plan.revenue_lines[0].year1_volumes()) == 12
    twelve = sample_json("income_year3")
    twelve["revenue_lines"][0]["volume_per_month"] = ["100"] * 12
    assert len(plan_from_json(twelve).revenue_lines[0].volume_per_month) == 12
    assert plan_to_json(plan_from_json(twelve))["revenue_lines"][0]["volume_per_month"] == (
        ["100"] * 12
    )


BAKERY = sample_json("bakery")


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda d: d["investments"][2].update(amount=1500.0), "investments[2].amount", "number"),
        (lambda d: d["investments"][0].update(amount="-1.00"), "investments[0].amount", "negative"),
        (lambda d: d["investments"][0].update(amount="1.005"), "investments[0].amount", "decimal"),
        (lambda d: d["investments"][0].update(amount="1e3"), "investments[0].amount", "decimal"),
        (
            lambda d: d["investments"][0].update(month=37),
            "investments[0].month",
            "between 1 and 36",
        ),
        (lambda d: d["investments"][0].update(month="1"), "investments[0].month", "whole number"),
        (
            lambda d: d["investments"][1].pop("depreciation_years"),
            "investments[1].depreciation_years",
            "missing",
        ),
        (
            lambda d: d["investments"][0].update(colour="red"),
            "investments[0].colour",
            "not a known key",
        ),
        (lambda d: d.update(vat="0.21"), "vat", "not a known key"),
        (lambda d: d.pop("start_month"), "start_month", "missing"),
        (lambda d: d.update(start_month="2027-13"), "start_month", "yyyy-mm"),
        (lambda d: d.update(start_month="2027-01-01"), "start_month", "yyyy-mm"),
        (lambda d: d.update(start_month="0000-01"), "start_month", "yyyy-mm"),
        (lambda d: d["investments"][0].update(month=[1]), "investments[0].month", "a list"),
        (
            lambda d: d.update(tax_and_contributions_rate="1"),
            "tax_and_contributions_rate",
            "at least 0 and less than 1",
        ),
        (
            lambda d: d.update(tax_and_contributions_rate="1.5"),
            "tax_and_contributions_rate",
            "at least 0 and less than 1",
        ),
        (
            lambda d: d.update(tax_and_contributions_rate="-0.1"),
            "tax_and_contributions_rate",
            "at least 0 and less than 1",
        ),
        (lambda d: d.update(dscr_threshold="0"), "dscr_threshold", "more than 0"),
        (lambda d: d.update(cost_of_sales_rate="1.1"), "cost_of_sales_rate", "at most 1"),
        (lambda d: d.update(working_capital=None), "working_capital", "null"),
        (
            lambda d: d["loans"][0].update(grace_months=48),
            "loans[0].grace_months",
            "less than term_months",
        ),
        (lambda d: d["loans"][0].update(amount="0"), "loans[0].amount", "more than zero"),
        (
            lambda d: d["loans"][0].update(amortization="balloon"),
            "loans[0].amortization",
            "equal_installments",
        ),
        (lambda d: d["loans"][0].pop("term_months"), "loans[0].term_months", "missing"),
        (
            lambda d: d["loans"][0].update(interest_rate="101"),
            "loans[0].interest_rate",
            "at most 100",
        ),
        (lambda d: d["revenue"]["year1_monthly"].pop(), "revenue.year1_monthly", "12"),
        (
            lambda d: d["revenue"]["year1_monthly"].__setitem__(3, 4000),
            "revenue.year1_monthly[3]",
            "number",
        ),
        (lambda d: d["revenue"].update(monthly="10"), "revenue", "either"),
        (
            lambda d: d["revenue"].update(growth_per_year="-1"),
            "revenue.growth_per_year",
            "more than -1",
        ),
        (lambda d: d.pop("revenue"), "revenue", "missing"),
        (lambda d: d.update(revenue={}), "revenue", "give year1_monthly"),
        (
            lambda d: d.update(
                revenue_lines=[{"description": "x", "price": "1", "volume_per_month": "1"}]
            ),
            "revenue_lines",
            "not both",
        ),
        (
            lambda d: d["fixed_costs"][4].update(monthly_amount="-75"),
            "fixed_costs[4].monthly_amount",
            "negative",
        ),
        (
            lambda d: d["household_expenses"][0].update(description=3),
            "household_expenses[0].description",
            "text",
        ),
        (lambda d: d.update(grants={}), "grants", "list"),
        (
            lambda d: d["own_contribution"].update(month=0),
            "own_contribution.month",
            "between 1 and 36",
        ),
    ],
)
def test_bad_input_names_the_key(change, key, words):
    data = copy.deepcopy(BAKERY)
    change(data)
    error = error_for(data)
    assert error.key == key
    assert words in error.message
    assert str(error).startswith(f"{key}: ")


def test_not_an_object():
    assert error_for([1, 2]).key == "plan"


def test_revenue_line_volume_keys():
    data = sample_json("income_year3")
    data["revenue_lines"][1]["volume_per_month"] = ["1"] * 11 + ["-1"]
    assert error_for(data).key == "revenue_lines[1].volume_per_month[11]"
    data["revenue_lines"][1]["volume_per_month"] = ["1"] * 5
    assert error_for(data).key == "revenue_lines[1].volume_per_month"
    data["revenue_lines"][1]["volume_per_month"] = 10
    assert error_for(data).key == "revenue_lines[1].volume_per_month"


def test_direct_construction_validates_too():
    with pytest.raises(PlanError) as caught:
        FinancialPlan(
            start_month=datetime.date(2027, 1, 15),
            tax_and_contributions_rate=Decimal("0.3"),
            revenue=Revenue(monthly=Decimal("1")),
        )
    assert caught.value.key == "start_month"
    with pytest.raises(PlanError) as caught:
        FinancialPlan(
            start_month=datetime.date(2027, 1, 1),
            tax_and_contributions_rate=0.3,  # type: ignore[arg-type]
            revenue=Revenue(monthly=Decimal("1")),
        )
    assert caught.value.key == "tax_and_contributions_rate"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["0", "1", "12", "-1", "0.5", "1.005", "2027-13", "equal_principal"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for name, item in value.items():
            found += paths(item, (*prefix, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@settings(max_examples=300)
@given(st.data())
def test_any_damage_is_a_plan_error_or_a_plan(data):
    """Replace or delete any value of a sample: the parser answers a PlanError, never crashes,
    and whatever it accepts evaluates."""
    plan = copy.deepcopy(sample_json(data.draw(st.sampled_from(["bakery", "income_year3"]))))
    path = data.draw(st.sampled_from(paths(plan)[1:]))
    parent = plan
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(json_values)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    try:
        parsed = plan_from_json(plan)
    except PlanError as error:
        assert error.key
        assert error.message
        return
    evaluation_to_json(evaluate(parsed))
