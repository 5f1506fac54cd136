from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from opstap.clients import services as client_services
from opstap.clients.models import Client
from opstap.clients.services import BIRTH_DATE_FUTURE
from opstap.clients.tests.factories import ClientFactory, belgian_national_number
from opstap.core.identifiers import NATIONAL_NUMBER_CHECKSUM
from opstap.core.models import AuditEvent
from opstap.imports.base import COLUMN_NOT_ALLOWED, CREATED, UNCHANGED, UPDATED
from opstap.imports.kinds.clients import ADVISER_UNKNOWN, DUPLICATE_NUMBER_EXISTS

from .helpers import counts, csv_file, messages, run, xlsx_file

NN_AMINA = belgian_national_number(datetime.date(1985, 7, 30), 33)
NN_YONAS = belgian_national_number(datetime.date(1979, 2, 14), 121)
HEADER = [
    "external reference",
    "first name",
    "last name",
    "birth date",
    "gender",
    "national number",
    "postcode",
    "languages",
    "preferred language",
    "household",
    "children's ages",
    "income source",
    "monthly income",
    "labour status",
    "education",
]
AMINA = ["MB-1", "Amina", "El Idrissi", "1985-07-30", "V", NN_AMINA, "1080", "ar, fr", "fr"]
AMINA += ["single_parent", "3, 7", "leefloon", "1057,00", "long_term_unemployed", "3"]
YONAS = ["MB-2", "Yonas", "Tesfay", "14/02/1979", "man", NN_YONAS, "1030", "ti; en", ""]
YONAS += ["single", "", "social_assistance", "", "unemployed", "ISCED 2"]


@pytest.mark.django_db
def test_clients_from_csv_through_the_service(world):
    result = run("clients", csv_file([HEADER, AMINA, YONAS]), world.own, actor=world["adviser"])
    assert result.committed, messages(result)
    assert result.counts[CREATED] == 2
    amina = Client.objects.get(organisation=world.own, external_reference="MB-1")
    assert amina.birth_date == datetime.date(1985, 7, 30)
    assert amina.gender == "woman"
    assert amina.national_number == NN_AMINA
    assert amina.languages == ["ar", "fr"]
    assert amina.children_ages == [3, 7]
    assert amina.income_source == "social_assistance"
    assert amina.income_monthly == Decimal("1057.00")
    assert amina.education == 3
    yonas = Client.objects.get(external_reference="MB-2")
    assert yonas.languages == ["ti", "en"] and yonas.education == 2
    # The service wrote its audit event, naming the importing member.
    event = AuditEvent.objects.get(action="client.create", client=amina)
    assert event.actor == world["adviser"]


@pytest.mark.django_db
def test_clients_from_xlsx_with_number_cells(world):
    rows = [
        ["Dossiernummer", "Voornaam", "Naam", "Geboortedatum", "Rijksregisternummer", "Postcode"],
        [1001, "Karim", "Benali", datetime.datetime(2001, 5, 20), 1052006403, 1080],
    ]
    result = run("clients", xlsx_file(rows), world.own, filename="klanten.xlsx")
    assert result.committed, messages(result)
    karim = Client.objects.get(external_reference="1001")
    # The workbook dropped the leading zero of the national number; the import restores it.
    assert karim.national_number == "01052006403"
    assert karim.postcode == "1080"
    assert karim.birth_date == datetime.date(2001, 5, 20)


@pytest.mark.django_db
def test_importing_twice_creates_no_duplicates(world):
    data = csv_file([HEADER, AMINA, YONAS])
    run("clients", data, world.own)
    before = counts()
    again = run("clients", data, world.own)
    assert again.committed
    assert (again.counts[CREATED], again.counts[UNCHANGED]) == (0, 2)
    assert counts() == before


@pytest.mark.django_db
def test_existing_reference_updates_only_what_changed_and_empty_cells_keep_values(world):
    run("clients", csv_file([HEADER, AMINA]), world.own)
    amina = Client.objects.get(external_reference="MB-1")
    result = run(
        "clients",
        csv_file(
            [
                ["reference", "first name", "last name", "postcode", "phone", "monthly income"],
                ["MB-1", "Amina", "El Idrissi", "1000", "0470 12 34 56", ""],
            ]
        ),
        world.own,
        actor=world["adviser"],
    )
    assert result.committed and result.counts[UPDATED] == 1
    amina.refresh_from_db()
    assert amina.postcode == "1000" and amina.phone == "+32470123456"  # kept in E.164
    assert amina.income_monthly == Decimal("1057.00")  # an empty cell erases nothing
    assert amina.birth_date == datetime.date(1985, 7, 30)  # and an absent column neither
    event = AuditEvent.objects.get(action="client.update", client=amina)
    assert set(event.changes) == {"postcode", "phone"}


@pytest.mark.django_db
def test_bad_rows_are_all_reported_and_nothing_is_written(world):
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    rows = [
        HEADER,
        AMINA,  # row 2: fine
        ["MB-3", "", "Smit", future, "q", NN_AMINA[:-1] + "9", "", "", "", "", "", "", "", "", ""],
        ["MB-4", "Jan", "Smit", "1990-01-01", "", "", "10800", "xx", "", "", "", "", "-5", "", "9"],
        ["MB-1", "Again", "Twice", "1990-01-01", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    before = counts()
    result = run("clients", csv_file(rows), world.own)
    assert not result.committed
    assert counts() == before
    assert {(e.row, e.column) for e in result.errors} == {
        (3, "first name"),
        (3, "gender"),
        (4, "languages"),
        (4, "monthly income"),
        (4, "education"),
        (5, "external reference"),
    }
    # Row 3 had a parse error, so its other problems (the future birth date, the check digits)
    # are not yet known; on its own the service reports them, with the right columns.
    alone = run("clients", csv_file([HEADER, [*rows[2][:1], "Piet", *rows[2][2:4]]]), world.own)
    assert messages(alone) == [f"row 2, column birth date: {BIRTH_DATE_FUTURE}"]
    checksum = run(
        "clients",
        csv_file(
            [["reference", "first name", "last name", "national number", "postcode"]]
            + [["MB-9", "Piet", "Smit", NN_AMINA[:-1] + "9", "10800"]]
        ),
        world.own,
    )
    assert messages(checksum) == [
        f"row 2, column national number: {NATIONAL_NUMBER_CHECKSUM}",
        "row 2, column postcode: A Belgian postcode has four digits, from 1000 to 9999 "
        "(for example 1000).",
    ]


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_imports_nothing(world):
    rows = [HEADER, AMINA, YONAS] + [
        [f"MB-{n}", f"Name{n}", "Smit", f"19{n:02d}-01-01", "", "", "", "", "", "", "", "", "", ""]
        + [""]
        for n in range(10, 20)
    ]
    rows[7][3] = "1999-02-30"  # one impossible date
    before = counts()
    result = run("clients", csv_file(rows), world.own)
    assert [(e.row, e.column) for e in result.errors] == [(8, "birth date")]
    assert counts() == before


@pytest.mark.django_db
def test_national_number_of_an_existing_file_points_at_it(world):
    existing = client_services.client_create(
        actor=world["adviser"],
        organisation=world.own,
        data={
            "first_name": "Amina",
            "last_name": "Haddou",
            "birth_date": datetime.date(1985, 7, 30),
            "national_number": NN_AMINA,
            "external_reference": "OLD-7",
        },
    )
    result = run("clients", csv_file([HEADER, AMINA]), world.own)
    assert not result.committed
    [error] = result.errors
    assert (error.row, error.column, error.message) == (
        2,
        "national number",
        DUPLICATE_NUMBER_EXISTS,
    )
    assert error.params["file"] == existing.pk and error.params["reference"] == "OLD-7"
    assert error.clients == [(existing.pk, "Amina Haddou")]


@pytest.mark.django_db
def test_the_same_national_number_twice_in_the_file(world):
    other = [*YONAS]
    other[5] = NN_AMINA
    result = run("clients", csv_file([HEADER, AMINA, other]), world.own)
    assert messages(result) == [
        "row 3, column national number: The same national number is already on row 2."
    ]


@pytest.mark.django_db
def test_possible_duplicate_needs_a_reason_column(world):
    ClientFactory(
        organisation=world.own,
        first_name="Amina",
        last_name="El Idrissi",
        birth_date=datetime.date(1985, 7, 30),
    )
    header = ["reference", "first name", "last name", "birth date"]
    result = run(
        "clients", csv_file([header, ["N-1", "Amina", "El Idrissi", "30/07/1985"]]), world.own
    )
    [error] = result.errors
    assert error.row == 2 and error.column == "" and error.clients
    assert "duplicate reason" in error.text
    result = run(
        "clients",
        csv_file(
            [
                [*header, "duplicate reason"],
                ["N-1", "Amina", "El Idrissi", "30/07/1985", "A different person: other parents"],
            ]
        ),
        world.own,
    )
    assert result.committed, messages(result)
    assert Client.objects.filter(last_name="El Idrissi").count() == 2


@pytest.mark.django_db
def test_adviser_by_email(world):
    header = ["reference", "first name", "last name", "adviser"]
    result = run(
        "clients",
        csv_file(
            [
                header,
                ["A-1", "Amina", "Haddou", "Adviser@Own.Example"],
                ["A-2", "Jan", "Smit", "admin@other.example"],
            ]
        ),
        world.own,
    )
    assert [(e.row, e.message) for e in result.errors] == [(3, ADVISER_UNKNOWN)]
    result = run(
        "clients", csv_file([header, ["A-1", "Amina", "Haddou", "adviser@own.example"]]), world.own
    )
    assert Client.objects.get(external_reference="A-1").adviser == world["adviser"]


@pytest.mark.django_db
def test_a_role_without_financial_rights_may_not_import_financial_columns(world):
    header = ["reference", "first name", "last name", "monthly income", "national number"]
    result = run(
        "clients",
        csv_file([header, ["J-1", "Jan", "Smit", "100", ""]]),
        world.own,
        actor=world["job_coach"],
    )
    assert {(e.column, e.message) for e in result.errors} == {
        ("monthly income", COLUMN_NOT_ALLOWED),
        ("national number", COLUMN_NOT_ALLOWED),
    }
    result = run(
        "clients",
        csv_file([header[:3], ["J-1", "Jan", "Smit"]]),
        world.own,
        actor=world["job_coach"],
    )
    assert result.committed


@pytest.mark.django_db
def test_references_are_per_organisation(world):
    ClientFactory(organisation=world.other, external_reference="MB-1")
    result = run("clients", csv_file([HEADER, AMINA]), world.own)
    assert result.counts[CREATED] == 1
    assert Client.objects.filter(external_reference="MB-1").count() == 2


@pytest.mark.django_db
def test_dry_run_exercises_the_services_and_changes_nothing(world):
    before = counts()
    result = run("clients", csv_file([HEADER, AMINA, YONAS]), world.own, dry_run=True)
    assert not result.committed and not result.errors
    assert result.counts[CREATED] == 2
    assert counts() == before
    # The service's own checks run in a dry run too.
    future = [*AMINA]
    future[3] = "2999-01-01"
    result = run("clients", csv_file([HEADER, future]), world.own, dry_run=True)
    assert messages(result) == [f"row 2, column birth date: {BIRTH_DATE_FUTURE}"]
