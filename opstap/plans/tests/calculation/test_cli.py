"""`opstap plan evaluate FILE|-` (called through call_command, no database)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from opstap.plans.management.commands.plan import Command

from . import SAMPLES, sample_json


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    try:
        call_command(Command(), *args, **options)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_sample_file_to_json():
    status, out, err = run("evaluate", str(SAMPLES / "bakery.json"))
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert result["verdict"] == "viable"
    assert result["financing_gap"] == "-1000.00"
    assert len(result["months"]) == 36
    assert [year["year"] for year in result["years"]] == [1, 2, 3]
    assert {check["code"] for check in result["checks"]} == {
        "financing_gap",
        "cash_never_negative",
        "sufficient_income",
        "debt_service_coverage",
    }


def test_stdin():
    status, out, _ = run("evaluate", "-", stdin=json.dumps(sample_json("negative_cash")))
    assert status == 0
    result = json.loads(out)
    assert result["lowest_cash"] == "-1900.00"
    assert result["verdict"] == "not_viable"


def bad(change) -> dict:
    data = sample_json("bakery")
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (bad(lambda d: d["investments"][0].update(amount=9000.0)), "investments[0].amount"),
        (bad(lambda d: d.pop("start_month")), "start_month"),
        (bad(lambda d: d.update(tax_and_contributions_rate="1.00")), "tax_and_contributions_rate"),
        (bad(lambda d: d.update(colour="blue")), "colour"),
        (
            bad(lambda d: d["fixed_costs"][0].update(monthly_amount="-750")),
            "fixed_costs[0].monthly_amount",
        ),
        (bad(lambda d: d["loans"][0].update(term_months=12.0)), "loans[0].term_months"),
    ],
)
def test_bad_input_exits_2_naming_the_key(data, key):
    status, out, err = run("evaluate", "-", stdin=json.dumps(data))
    assert status == 2
    assert out == ""
    assert err.startswith(f"error: {key}: ")
    assert len(err.strip().splitlines()) == 1


def test_float_message_is_plain():
    data = bad(lambda d: d["investments"][0].update(amount=9000.5))
    _, _, err = run("evaluate", "-", stdin=json.dumps(data))
    assert 'must be a decimal string such as "9000.5", not the number 9000.5' in err


def test_invalid_json_and_missing_file(tmp_path):
    status, _, err = run("evaluate", "-", stdin="{not json")
    assert status == 2
    assert "invalid JSON at line 1" in err
    status, _, err = run("evaluate", str(tmp_path / "missing.json"))
    assert status == 2
    assert "cannot read" in err


def test_subcommand_required():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(Command())
