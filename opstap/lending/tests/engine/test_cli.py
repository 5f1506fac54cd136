"""`opstap loan schedule FILE|-`: JSON in, JSON out; bad input exits 2 naming the key."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from opstap.lending.management.commands.loan import Command

TERMS = {
    "principal": "1200",
    "disbursement_date": "2025-01-01",
    "interest_rate": "12",
    "amortization": "equal_principal",
    "number_of_repayments": 4,
    "charges": [{"kind": "disbursement_fee", "amount": "10"}],
}
OPSTAP = Path(sys.executable).parent / "opstap"


def run(*args: str, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(Command(), *args, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failure(*args: str, stdin: str = "") -> str:
    with pytest.raises(SystemExit) as caught:
        run(*args, stdin=stdin)
    assert caught.value.code == 2
    return ""


def test_file_in_json_out(tmp_path: Path):
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(TERMS), encoding="utf-8")
    out, _err = run("schedule", str(path))
    result = json.loads(out)
    # 1,200 in 4 equal principal parts, interest 1 % a month of the balance.
    assert [row["interest"] for row in result["installments"]] == ["12.00", "9.00", "6.00", "3.00"]
    assert result["installments"][0] == {
        "number": 1,
        "from_date": "2025-01-01",
        "due_date": "2025-02-01",
        "days": 31,
        "principal": "300.00",
        "interest": "12.00",
        "fees": "0.00",
        "total": "312.00",
        "balance": "900.00",
    }
    assert result["totals"] == {
        "principal": "1200.00",
        "interest": "30.00",
        "fees": "10.00",
        "total": "1240.00",
    }
    assert result["disbursement_fees"] == "10.00"
    assert out.startswith('{\n  "installments": [\n')  # indent 2


def test_stdin():
    out, _err = run("schedule", "-", stdin=json.dumps(TERMS))
    assert len(json.loads(out)["installments"]) == 4


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (
            {**TERMS, "interest_rate": 12},
            'error: interest_rate: must be a decimal string such as "12.5", not a number',
        ),
        ({**TERMS, "number_of_repayments": 0}, "error: number_of_repayments: must be between"),
        ({**TERMS, "repayment_unit": "years"}, "error: repayment_unit: must be one of days, "),
        ({**TERMS, "grace_on_principal": 4}, "error: grace_on_principal: must be less than"),
    ],
)
def test_bad_terms_exit_2_naming_the_key(
    terms: dict[str, Any], message: str, capsys: pytest.CaptureFixture[str]
):
    err = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(Command(), "schedule", "-", stdin=io.StringIO(json.dumps(terms)), stderr=err)
    assert caught.value.code == 2
    assert err.getvalue().startswith(message)


def test_invalid_json_and_unreadable_file_exit_2(tmp_path: Path):
    err = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(Command(), "schedule", "-", stdin=io.StringIO("{nope"), stderr=err)
    assert caught.value.code == 2
    assert err.getvalue().startswith("error: invalid JSON at line 1 column 2")
    err = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(Command(), "schedule", str(tmp_path / "missing.json"), stderr=err)
    assert caught.value.code == 2
    assert err.getvalue().startswith("error: cannot read ")


def test_console_script_exit_code_and_stderr():
    # The real `opstap` entry point (app registered in INSTALLED_APPS), as scripts call it.
    good = subprocess.run(
        [str(OPSTAP), "loan", "schedule", "-"],
        input=json.dumps(TERMS),
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["totals"]["total"] == "1240.00"
    bad = subprocess.run(
        [str(OPSTAP), "loan", "schedule", "-"],
        input=json.dumps({**TERMS, "disbursement_date": "2025-13-01"}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: disbursement_date: is not a valid date: '2025-13-01'"
    assert bad.stdout == ""
