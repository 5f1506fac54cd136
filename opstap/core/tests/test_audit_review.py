"""The access review for organisation admins: who opened which files, unusual volumes,
exports and erasures — filtered, exported, scoped to the organisation, and without N+1."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from opstap.clients.tests.factories import ClientFactory
from opstap.core.audit import audit_record
from opstap.core.models import AuditEvent, FileAccess
from opstap.core.roles import Capability, Role, capabilities_of
from opstap.core.views import UNUSUAL_MINIMUM, is_unusual

pytestmark = pytest.mark.django_db

URL = reverse("audit_review")
PERIOD_END = datetime.date(2026, 3, 20)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def opens(organisation, user, clients, day: datetime.date) -> None:
    FileAccess.objects.bulk_create(
        FileAccess(
            organisation=organisation,
            user=user,
            client=client,
            purpose="clients:detail",
            accessed_at=at(day),
        )
        for client in clients
    )


def review(http, **params):
    response = http.get(URL, {"date_from": "2026-03-14", "date_to": "2026-03-20", **params})
    assert response.status_code == 200
    return response


@pytest.fixture
def files(world):
    return ClientFactory.create_batch(40, organisation=world.own)


def test_only_who_may_read_the_audit_sees_the_review(world, login):
    for role in Role.values:
        allowed = Capability.READ_AUDIT in capabilities_of({role})
        assert login(world[role]).get(URL).status_code == (200 if allowed else 404), role
    assert login(world["org_admin"]).get(URL).status_code == 200


def test_it_lists_who_opened_which_file_in_the_organisation_only(world, login, files):
    opens(world.own, world["adviser"], files[:2], PERIOD_END)
    opens(world.own, world["adviser"], files[:1], PERIOD_END - datetime.timedelta(days=1))
    elsewhere = ClientFactory(organisation=world.other)
    opens(world.other, world.other_adviser, [elsewhere], PERIOD_END)
    opens(world.own, world["volunteer"], files[2:3], datetime.date(2026, 3, 1))  # before

    rows = review(login(world["org_admin"])).context["page"].object_list
    assert sorted((r["user"], r["client_id"], r["opens"]) for r in rows) == sorted(
        [(world["adviser"], files[0].pk, 2), (world["adviser"], files[1].pk, 1)]
    )
    assert rows[0]["client"].full_name in review(login(world["org_admin"])).content.decode()


def test_a_member_far_above_their_usual_day_is_marked(world, login, files):
    adviser, coach, officer = world["adviser"], world["volunteer"], world["loan_officer"]
    for back in range(1, 11):  # usual: 2 files a day for the adviser, 10 for the coach
        day = datetime.date(2026, 3, 14) - datetime.timedelta(days=back)
        opens(world.own, adviser, files[:2], day)
        opens(world.own, coach, files[:10], day)
    busy = datetime.date(2026, 3, 18)
    opens(world.own, adviser, files[:25], busy)  # 25 > 3 × 2 and ≥ the minimum
    opens(world.own, coach, files[:25], busy)  # 25 ≤ 3 × 10: busy, not unusual
    opens(world.own, officer, files[:15], busy)  # no usual day, but below the minimum

    response = review(login(world["org_admin"]))
    volumes = {v.user: v for v in response.context["volumes"]}
    assert volumes[adviser].unusual_days == [(busy, 25)]
    assert volumes[adviser].usual == 2
    assert not volumes[coach].unusual and volumes[coach].usual == 10
    assert not volumes[officer].unusual
    assert response.context["volumes"][0].user == adviser  # the marked member first
    assert "median" in response.content.decode()  # the rule is explained on the page

    only_coach = review(login(world["org_admin"]), user=coach.pk).context["volumes"]
    assert [v.user for v in only_coach] == [coach]


def test_the_rule_needs_both_the_factor_and_the_minimum():
    assert is_unusual(UNUSUAL_MINIMUM, 0)
    assert not is_unusual(UNUSUAL_MINIMUM - 1, 0)
    assert not is_unusual(30, 10)
    assert is_unusual(31, 10)


def test_exports_and_erasures_of_the_organisation_are_listed(world, login, files):
    for action, organisation in [
        ("privacy.export_download", world.own),
        ("client.erase_special_category", world.own),
        ("privacy.erase", world.own),
        ("client.update", world.own),
        ("privacy.erase", world.other),
    ]:
        audit_record(
            actor=world["adviser"],
            organisation=organisation,
            action=action,
            obj=files[0],
            client=files[0],
        )
    today = timezone.localdate().isoformat()
    response = login(world["org_admin"]).get(URL, {"date_from": today, "date_to": today})
    shown = sorted((e.action, e.organisation_id) for e in response.context["events"])
    assert shown == [
        ("client.erase_special_category", world.own.pk),
        ("privacy.erase", world.own.pk),
        ("privacy.export_download", world.own.pk),
    ]


def test_the_export_is_a_safe_spreadsheet_and_is_itself_audited(world, login):
    sly = ClientFactory(organisation=world.own, first_name='=HYPERLINK("http://x")')
    opens(world.own, world["adviser"], [sly], PERIOD_END)
    http = login(world["org_admin"])

    response = review(http, export="csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == str(sly.pk)
    assert rows[1][2].startswith("'=HYPERLINK")

    response = review(http, export="xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 3
    first = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert first[1][2].startswith("'=HYPERLINK")
    exported = AuditEvent.objects.filter(action="audit.review_export", organisation=world.own)
    assert exported.count() == 2


def count(http, params) -> int:
    http.get(URL, params)  # warm-up
    with CaptureQueriesContext(connection) as context:
        assert http.get(URL, params).status_code == 200
    return len(context.captured_queries)


def test_the_review_costs_the_same_however_many_files_were_opened(world, login):
    http = login(world["org_admin"])
    params = {"date_from": "2026-03-14", "date_to": "2026-03-20"}
    members = [world["adviser"], world["volunteer"], world["loan_officer"]]
    few = ClientFactory.create_batch(3, organisation=world.own)
    for member in members:
        opens(world.own, member, few, PERIOD_END)
    audit_record(
        actor=members[0], organisation=world.own, action="privacy.erase", obj=few[0], client=few[0]
    )
    small = count(http, params)

    many = ClientFactory.create_batch(60, organisation=world.own)
    for back in range(0, 20):
        for member in members:
            opens(
                world.own,
                member,
                many[back : back + 30],
                PERIOD_END - datetime.timedelta(days=back),
            )
    for client in many[:20]:
        audit_record(
            actor=members[1],
            organisation=world.own,
            action="privacy.erase",
            obj=client,
            client=client,
        )
    assert count(http, params) == small
