from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from opstap.activities.models import Activity, OutreachCount
from opstap.activities.services import COUNT_NOT_OUTREACH, activity_create
from opstap.core.models import AuditEvent
from opstap.imports.base import CREATED, UNCHANGED, UPDATED
from opstap.imports.kinds.activities import PROGRAMME_UNKNOWN, ROW_DIFFERS
from opstap.journeys.services import programme_save

from .helpers import counts, csv_file, messages, run, xlsx_file

HEADER = [
    "reference",
    "kind",
    "date",
    "start time",
    "end time",
    "programme code",
    "title",
    "neighbourhood",
    "head count",
    "channel",
]
ROWS = [
    ["OUT-1", "outreach", "2017-01-12", "10:00", "13:00", "azo", "Koffieklets", "Maritiem", "35"]
    + ["koffieklets"],
    [
        "OUT-2",
        "Straatwerk",
        "19/01/2017",
        "10:00",
        "",
        "azo",
        "Winkels",
        "Maritiem",
        "48",
        "shop_visit",
    ],
    ["OUT-2", "outreach", "19/01/2017", "", "", "", "Winkels", "Karreveld", "21", "shop_visit"],
    ["", "infosessie", "2017-02-02", "18:30", "20:30", "azo", "Ondernemen: hoe begin je?", "", ""]
    + [""],
    ["", "workshop", "2017-03-07", "", "", "", "Ladder naar succes 1", "", "", ""],
]


@pytest.fixture
def azo(world):
    return programme_save(
        actor=None,
        organisation=world.own,
        code="azo",
        name="Project AZO!",
        starts_on=datetime.date(2016, 11, 1),
        ends_on=datetime.date(2018, 10, 31),
    )


def local(activity):
    return timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)


@pytest.mark.django_db
def test_activities_and_head_counts_through_the_services(world, azo):
    result = run("activities", csv_file([HEADER, *ROWS]), world.own, actor=world["adviser"])
    assert result.committed, messages(result)
    assert Activity.objects.filter(organisation=world.own).count() == 4
    coffee = Activity.objects.get(external_reference="OUT-1")
    assert coffee.kind == "outreach" and list(coffee.programmes.all()) == [azo]
    start, end = local(coffee)
    assert (start.date(), start.time(), end.time()) == (
        datetime.date(2017, 1, 12),
        datetime.time(10, 0),
        datetime.time(13, 0),
    )
    assert [
        (c.neighbourhood, c.channel, c.people_reached) for c in coffee.outreach_counts.all()
    ] == [("Maritiem", "coffee_chat", 35)]
    shops = Activity.objects.get(external_reference="OUT-2")
    assert local(shops)[1].time() == datetime.time(12, 0)  # two hours when no end is given
    assert shops.neighbourhood == ""  # two neighbourhoods: each head count keeps its own
    assert sorted((c.neighbourhood, c.people_reached) for c in shops.outreach_counts.all()) == [
        ("Karreveld", 21),
        ("Maritiem", 48),
    ]
    session = Activity.objects.get(kind="info_session")
    assert session.external_reference == ""
    workshop = Activity.objects.get(kind="workshop")
    assert [t.time() for t in local(workshop)] == [datetime.time(9), datetime.time(17)]
    assert AuditEvent.objects.filter(action="activity.create", actor=world["adviser"]).count() == 4
    assert AuditEvent.objects.filter(action="outreach_count.record").count() == 3


@pytest.mark.django_db
def test_activities_from_xlsx(world, azo):
    rows = [
        ["Soort", "Datum", "Beginuur", "Titel", "Wijk", "Bereikt", "Kanaal"],
        ["sensibilisering", datetime.datetime(2018, 5, 3), datetime.time(14, 0), "Markt", "Centrum"]
        + [60, "straat"],
    ]
    result = run("activities", xlsx_file(rows), world.own, filename="acties.xlsx")
    assert result.committed, messages(result)
    market = Activity.objects.get(title="Markt")
    assert local(market)[0].time() == datetime.time(14, 0)
    assert market.outreach_counts.get().channel == "street"


@pytest.mark.django_db
def test_importing_again_creates_nothing_and_a_new_number_replaces_the_count(world, azo):
    data = csv_file([HEADER, *ROWS])
    run("activities", data, world.own)
    before = counts()
    again = run("activities", data, world.own)
    assert again.committed and again.counts[UNCHANGED] == 5
    assert (again.counts[CREATED], again.counts[UPDATED]) == (0, 0)
    assert counts() == before

    changed = [row[:] for row in ROWS]
    changed[0][8] = "40"
    changed[4][6] = "Ladder naar succes 1"  # same title: matched by kind, day and title
    result = run("activities", csv_file([HEADER, *changed]), world.own)
    assert result.counts[UPDATED] == 1 and result.counts[CREATED] == 0
    coffee = Activity.objects.get(external_reference="OUT-1")
    assert [c.people_reached for c in coffee.outreach_counts.all()] == [40]
    assert Activity.objects.count() == 4


@pytest.mark.django_db
def test_an_activity_made_on_the_page_is_found_by_kind_day_and_title(world, azo):
    made = activity_create(
        actor=world["adviser"],
        organisation=world.own,
        kind="workshop",
        title="Ladder naar succes 1",
        starts_at=timezone.make_aware(datetime.datetime(2017, 3, 7, 9, 30)),
        ends_at=timezone.make_aware(datetime.datetime(2017, 3, 7, 12, 30)),
        language="nl",
    )
    result = run("activities", csv_file([HEADER, ROWS[4]]), world.own)
    assert result.counts[UNCHANGED] == 1
    made.refresh_from_db()
    assert local(made)[0].time() == datetime.time(9, 30)  # no times in the file: kept


@pytest.mark.django_db
def test_bad_rows_are_all_reported_and_nothing_is_written(world, azo):
    rows = [
        ["A-1", "party", "2017-01-01", "", "", "", "Feest", "", "", ""],  # 2 unknown kind
        ["A-2", "workshop", "2017-01-01", "25:00", "", "nope", "", "", "", ""],  # 3
        ["A-3", "workshop", "2017-01-02", "", "", "", "Vorming", "", "10", ""],  # 4 count
        ["A-4", "outreach", "2017-01-03", "14:00", "12:00", "", "Markt", "", "-3", "bus"],  # 5
        ["A-5", "outreach", "2017-01-04", "", "", "", "Markt", "", "8", ""],  # 6 fine
        ["A-5", "outreach", "2017-01-05", "", "", "", "Markt", "", "9", "street"],  # 7 other day
        ["A-6", "outreach", "2017-01-06", "14:00", "12:00", "", "Markt", "", "9", ""],  # 8
    ]
    before = counts()
    result = run("activities", csv_file([HEADER, *rows]), world.own)
    assert counts() == before
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "kind"),
        (3, "start time"),
        (3, "programme code"),
        (3, "title"),
        (4, "head count"),
        (5, "head count"),
        (5, "channel"),
        (7, "date"),
        (8, "end time"),  # the service's own check, mapped to the column
    ]
    by_row = {e.row: e for e in result.errors}
    assert by_row[4].message == COUNT_NOT_OUTREACH
    assert by_row[7].message == ROW_DIFFERS
    assert next(e for e in result.errors if e.column == "programme code").message == (
        PROGRAMME_UNKNOWN
    )


@pytest.mark.django_db
def test_the_same_count_twice_for_one_activity(world, azo):
    rows = [ROWS[0], ROWS[0]]
    result = run("activities", csv_file([HEADER, *rows]), world.own)
    assert messages(result) == [
        "row 3, column head count: Row 2 already gives this activity a head count for this "
        "neighbourhood and channel."
    ]
    assert OutreachCount.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_changes_nothing(world, azo):
    before = counts()
    result = run("activities", csv_file([HEADER, *ROWS]), world.own, dry_run=True)
    assert not result.errors and not result.committed
    assert result.counts[CREATED] == 5
    assert counts() == before
