from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from opstap.core.models import AuditEvent
from opstap.imports.base import CREATED, UNCHANGED, UPDATED
from opstap.journeys.models import Programme
from opstap.journeys.services import PROGRAMME_PERIOD

from .helpers import counts, csv_file, messages, run, xlsx_file

HEADER = [
    "code",
    "name",
    "start",
    "end",
    "target outreach",
    "target informed",
    "target intake",
    "target guidance",
    "start-rate target",
]
AZO = ["azo-2016", "Project AZO!", "2016-11-01", "2018-10-31", "1750", "1150", "600", "400", "20%"]
DRENTHE = ["drentse-zaak", "Drentse Zaak", "01/01/2019", "31-12-2021", "", "", "200", "150", "0,4"]


@pytest.mark.django_db
def test_programmes_from_csv(world):
    result = run("programmes", csv_file([HEADER, AZO, DRENTHE]), world.own, actor=world["adviser"])
    assert result.committed and not result.errors
    assert result.counts[CREATED] == 2
    azo = Programme.objects.get(organisation=world.own, code="azo-2016")
    assert (azo.name, azo.starts_on, azo.ends_on) == (
        "Project AZO!",
        datetime.date(2016, 11, 1),
        datetime.date(2018, 10, 31),
    )
    assert azo.start_rate_target == Decimal("0.2")
    assert {t.phase: t.target for t in azo.phase_targets.all()} == {
        "outreach": 1750,
        "informed": 1150,
        "intake": 600,
        "guidance": 400,
    }
    drenthe = Programme.objects.get(code="drentse-zaak")
    assert drenthe.ends_on == datetime.date(2021, 12, 31)
    assert drenthe.start_rate_target == Decimal("0.4")
    assert {t.phase for t in drenthe.phase_targets.all()} == {"intake", "guidance"}
    event = AuditEvent.objects.filter(action="programme.create").first()
    assert event.actor == world["adviser"]


@pytest.mark.django_db
def test_programmes_from_xlsx_with_real_dates_and_dutch_headers(world):
    rows = [
        ["Projectcode", "Naam", "Startdatum", "Einddatum", "Doel begeleiding", "Startpercentage"],
        ["azo-2016", "Project AZO!", datetime.datetime(2016, 11, 1), datetime.date(2018, 10, 31)]
        + [400, 0.2],
    ]
    result = run("programmes", xlsx_file(rows), world.own, filename="projecten.xlsx")
    assert result.committed, messages(result)
    azo = Programme.objects.get(code="azo-2016")
    assert azo.starts_on == datetime.date(2016, 11, 1)
    assert azo.phase_targets.get().target == 400
    assert azo.start_rate_target == Decimal("0.2")


@pytest.mark.django_db
def test_importing_again_creates_nothing_and_a_change_updates(world):
    data = csv_file([HEADER, AZO, DRENTHE])
    run("programmes", data, world.own)
    before = counts()
    again = run("programmes", data, world.own)
    assert again.committed and again.counts[UNCHANGED] == 2 and again.counts[CREATED] == 0
    assert counts() == before  # not even an audit event
    changed = [*AZO[:6], "700", *AZO[7:]]
    result = run("programmes", csv_file([HEADER, changed]), world.own)
    assert result.counts[UPDATED] == 1
    azo = Programme.objects.get(code="azo-2016")
    assert azo.phase_targets.get(phase="intake").target == 700
    assert Programme.objects.count() == 2


@pytest.mark.django_db
def test_every_bad_row_is_reported_and_nothing_is_written(world):
    bad = [
        ["azo 2016", "", "2016-11-01", "2018-10-31", "many", "", "", "", "120%"],  # row 2
        ["ok-1", "Fine", "2019-01-01", "2020-01-01", "", "", "", "", ""],  # row 3
        ["late", "Ends first", "2020-01-01", "2019-01-01", "", "", "", "", ""],  # row 4
        ["ok-1", "Twice", "2019-01-01", "2020-01-01", "", "", "", "", ""],  # row 5
    ]
    before = counts()
    result = run("programmes", csv_file([HEADER, *bad]), world.own)
    assert not result.committed
    assert counts() == before
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (2, "code"),
        (2, "name"),
        (2, "target outreach"),
        (2, "start-rate target"),
        (4, "end"),
        (5, "code"),
    }
    end_error = next(e for e in result.errors if e.row == 4)
    assert end_error.message == PROGRAMME_PERIOD  # the service's own check, mapped to "end"
    assert "row 5, column code: The same code is already on row 3." in messages(result)


@pytest.mark.django_db
def test_missing_and_unknown_columns_stop_before_the_rows(world):
    result = run("programmes", csv_file([["code", "naam", "budget"], ["x", "y", "1"]]), world.own)
    assert [(e.row, e.column) for e in result.errors] == [(1, "budget"), (1, "start"), (1, "end")]
    assert not result.rows
    # A column whose header starts with # is kept in the file and left out of the import.
    result = run(
        "programmes",
        csv_file(
            [
                ["code", "naam", "start", "end", "# budget"],
                ["x", "y", "2020-01-01", "2020-12-31", "1"],
            ]
        ),
        world.own,
    )
    assert result.committed, messages(result)


@pytest.mark.django_db
def test_other_organisations_programme_with_the_same_code_is_not_touched(world):
    run("programmes", csv_file([HEADER, AZO]), world.other)
    run("programmes", csv_file([HEADER, AZO]), world.own)
    assert Programme.objects.filter(code="azo-2016").count() == 2
