"""`opstap report funnel|targets`: the page's figures in json, csv and xlsx, and clear errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.urls import reverse
from openpyxl import load_workbook

from opstap.reporting.exports import programme_dict, targets_dict

FUNNEL = ["report", "funnel", "--programme", "azo", "--organisation", "own"]
TARGETS = ["report", "targets", "--organisation", "own", "--from", "2024-01-01"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_bytes(*args: str) -> bytes:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    call_command(*args, stdout=out)
    out.flush()
    return raw.getvalue()


EXPECTED_FUNNEL = {
    "programme": "azo",
    "organisation": "own",
    "from": "2024-01-01",
    "to": "2024-12-31",
    "partner": None,
    "stages": [
        {"phase": "outreach", "actual": 5, "target": 20},
        {"phase": "informed", "actual": 5, "target": 10},
        {"phase": "intake", "actual": 4, "target": 6},
        {"phase": "guidance", "actual": 4, "target": 4},
        {"phase": "financing", "actual": 3, "target": None},
        {"phase": "started", "actual": 3, "target": 1},
        {"phase": "aftercare", "actual": 1, "target": None},
    ],
    "start_rate": {"numerator": 3, "denominator": 4, "value": "0.7500", "target": "0.2000"},
    "routes": [
        {
            "route": "established",
            "closed": 0,
            "successful": 0,
            "success_rate": None,
            "mean_duration_months": None,
            "target": "0.6500",
            "target_mean_duration_months": "12.0",
        },
        {
            "route": "part_time",
            "closed": 1,
            "successful": 1,
            "success_rate": "1.0000",
            "mean_duration_months": "7.2",
            "target": None,
            "target_mean_duration_months": None,
        },
        {
            "route": "starter",
            "closed": 3,
            "successful": 1,
            "success_rate": "0.3333",
            "mean_duration_months": "6.5",
            "target": "0.4500",
            "target_mean_duration_months": "30.0",
        },
    ],
}


def test_funnel_json_is_the_documented_shape(known):
    assert json.loads(run(*FUNNEL, "--format", "json")) == EXPECTED_FUNNEL


def test_funnel_json_equals_the_page_figures(known, login):
    http = login(known.world["programme_manager"])
    query = {"from": "2024-03-01", "to": "2024-09-30", "partner": "own"}
    page = http.get(reverse("reporting:programme", args=[known.programme.pk]), query)
    printed = run(
        *FUNNEL,
        "--from",
        "2024-03-01",
        "--to",
        "2024-09-30",
        "--partner",
        "own",
        "--format",
        "json",
    )
    assert json.loads(printed) == programme_dict(page.context["report"])


def test_funnel_csv(known):
    rows = list(csv.reader(io.StringIO(run(*FUNNEL, "--format", "csv"))))
    assert rows[:5] == [
        ["programme", "azo"],
        ["organisation", "own"],
        ["from", "2024-01-01"],
        ["to", "2024-12-31"],
        ["partner", ""],
    ]
    stages = rows[rows.index(["phase", "stage", "actual", "target"]) + 1 :][:7]
    assert [(r[0], int(r[2]), r[3]) for r in stages] == [
        (s["phase"], s["actual"], "" if s["target"] is None else str(s["target"]))
        for s in EXPECTED_FUNNEL["stages"]
    ]
    assert ["start_rate", "3", "4", "0.7500", "0.2000"] in rows
    routes = rows[
        rows.index(
            [
                "route",
                "name",
                "closed",
                "successful",
                "success_rate",
                "target_success_rate",
                "mean_duration_months",
                "target_mean_duration_months",
            ]
        )
        + 1 :
    ]
    assert routes[-1] == ["starter", "Starter", "3", "1", "0.3333", "0.4500", "6.5", "30.0"]


def test_funnel_xlsx_to_a_file_and_to_stdout(known, tmp_path):
    target = tmp_path / "funnel.xlsx"
    assert run(*FUNNEL, "--format", "xlsx", "--output", str(target)) == ""
    for content in (target.read_bytes(), run_bytes(*FUNNEL, "--format", "xlsx")):
        book = load_workbook(io.BytesIO(content))
        assert book.sheetnames == ["Funnel", "Start rate", "Routes", "About"]
        funnel = book["Funnel"]
        assert [c.value for c in funnel[1]] == [
            "Phase",
            "Stage",
            "Actual",
            "Target",
            "Share of target",
        ]
        assert [[c.value for c in row] for row in funnel.iter_rows(min_row=2, max_col=4)] == [
            [s["phase"], label, s["actual"], s["target"]]
            for s, label in zip(
                EXPECTED_FUNNEL["stages"],
                [
                    "Sensitised",
                    "Informed",
                    "Intake",
                    "Guidance",
                    "Financing",
                    "Started",
                    "Aftercare",
                ],
                strict=True,
            )
        ]
        assert funnel["E2"].value == pytest.approx(5 / 20)
        assert funnel["E2"].number_format == "0.0%"
        rate = book["Start rate"]
        assert [c.value for c in rate[2]] == [3, 4, pytest.approx(0.75), pytest.approx(0.2)]
        routes = book["Routes"]
        starter = [c.value for c in routes[4]]
        assert starter[:4] == ["starter", "Starter", 3, 1]
        assert starter[4] == pytest.approx(0.3333) and routes["E4"].number_format == "0.0%"
        assert starter[6] == pytest.approx(6.5) and routes["G4"].number_format == "0.0"


def test_targets_in_every_format(known, login):
    data = json.loads(run(*TARGETS, "--to", "2024-12-31", "--format", "json"))
    assert data["organisation"] == "own" and (data["from"], data["to"]) == (
        "2024-01-01",
        "2024-12-31",
    )
    starter = next(r for r in data["routes"] if r["route"] == "starter")
    assert starter == {
        "route": "starter",
        "closed": 4,
        "successful": 2,
        "success_rate": "0.5000",
        "mean_duration_months": "5.3",
        "target": "0.4500",
        "target_mean_duration_months": "30.0",
    }
    # the same figures as the targets page
    http = login(known.world["auditor"])
    page = http.get(reverse("reporting:targets"), {"from": "2024-01-01", "to": "2024-12-31"})
    assert data == targets_dict(page.context["report"])
    rows = list(csv.DictReader(io.StringIO(run(*TARGETS, "--to", "2024-12-31", "--format", "csv"))))
    assert [r["route"] for r in rows] == [r["route"] for r in data["routes"]]
    assert rows[2]["success_rate"] == "0.5000"
    book = load_workbook(io.BytesIO(run_bytes(*TARGETS, "--to", "2024-12-31", "--format", "xlsx")))
    assert [c.value for c in book["Routes"][4]][:4] == ["starter", "Starter", 4, 2]


def test_labels_follow_the_language_option(known):
    rows = list(csv.reader(io.StringIO(run(*FUNNEL, "--format", "csv", "--language", "nl"))))
    assert rows[7][0] == "outreach"  # codes stay: only the labels are translated
    book = load_workbook(io.BytesIO(run_bytes(*FUNNEL, "--format", "xlsx", "--language", "en")))
    assert "Funnel" in book.sheetnames


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-13-01"], "--from: “2024-13-01” is not a date; write it as YYYY-MM-DD"),
        (["--to", "2024-02-30"], "--to: “2024-02-30” is not a date"),
        (["--from", "1/1/2024"], "--from: “1/1/2024” is not a date"),
        (["--from", "20240101"], "--from: “20240101” is not a date"),
        (["--from", "2024-06-01", "--to", "2024-05-01"], r"starts \(2024-06-01\) after it ends"),
        (["--partner", "nobody"], "“nobody” is not an organisation of the programme “azo”"),
    ],
)
def test_bad_funnel_input_is_a_clear_error(args, message, known):
    with pytest.raises(CommandError, match=message):
        run(*FUNNEL, *args, "--format", "json")


def test_unknown_or_ambiguous_programme_and_organisation(known):
    with pytest.raises(CommandError, match="no programme with the code “nope”"):
        run("report", "funnel", "--programme", "nope", "--format", "json")
    with pytest.raises(
        CommandError, match=r"Several organisations have a programme “azo” \(other, own\)"
    ):
        run("report", "funnel", "--programme", "azo", "--format", "json")
    with pytest.raises(CommandError, match="no organisation “ghost”"):
        run("report", "funnel", "--programme", "azo", "--organisation", "ghost", "--format", "csv")
    with pytest.raises(CommandError, match="no organisation “ghost”"):
        run("report", "targets", "--organisation", "ghost", "--format", "csv")
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        run(*FUNNEL, "--format", "pdf")
    with pytest.raises(CommandError, match="the following arguments are required: --format"):
        run(*FUNNEL)


def test_xlsx_needs_a_binary_output(known):
    with pytest.raises(CommandError, match="use --output"):
        run(*FUNNEL, "--format", "xlsx")


def test_the_console_command_prints_errors_without_a_traceback(known, capsys):
    utility = ManagementUtility(
        ["opstap", "report", "funnel", "--programme", "nope", "--format", "json"]
    )
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == "CommandError: There is no programme with the code “nope”."
    assert "Traceback" not in err
