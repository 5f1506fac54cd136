"""The activity pages: forms and their errors, htmx fragments, the attendance page, outreach."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.activities.models import Activity, OutreachCount, Registration
from opstap.activities.tests.factories import (
    ActivityFactory,
    ProgrammeFactory,
    RegistrationFactory,
    SeriesFactory,
    days_from_today,
)
from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.journeys.models import Trajectory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def local_input(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- create and edit ---------------------------------------------------------------------


def test_creating_an_activity_with_its_programmes(world, login):
    azo = ProgrammeFactory(organisation=world.own, code="azo")
    start = days_from_today(10, 18)
    response = login(world["adviser"]).post(
        reverse("activities:create"),
        {
            "kind": "info_session",
            "title": "Ondernemen in Brussel",
            "starts_at": local_input(start),
            "ends_at": local_input(start + datetime.timedelta(hours=2)),
            "place": "Buurthuis",
            "language": "fr",
            "capacity": "20",
            "facilitator": world["volunteer"].pk,
            "programmes": [azo.pk],
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[activity.pk])
    assert (activity.starts_at, activity.capacity, activity.facilitator) == (
        start,
        20,
        world["volunteer"],
    )
    assert list(activity.programmes.all()) == [azo]


def test_an_end_before_the_start_is_shown_beside_the_field(world, login):
    start = days_from_today(10, 18)
    response = login(world["adviser"]).post(
        reverse("activities:create"),
        {
            "kind": "workshop",
            "title": "Boekhouding",
            "starts_at": local_input(start),
            "ends_at": local_input(start - datetime.timedelta(hours=1)),
            "language": "nl",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_ends_at_error"><p>The end must be after the start.</p>' in html
    assert "The activity was not saved" in html
    assert not Activity.objects.exists()


def test_a_programme_of_another_organisation_is_not_offered(world, login):
    ProgrammeFactory(organisation=world.own, code="ours")
    ProgrammeFactory(organisation=world.other, code="theirs")
    html = login(world["adviser"]).get(reverse("activities:create")).content.decode()
    assert "ours" in html and "theirs" not in html


def test_the_edit_form_shows_the_activity_as_it_is(world, login):
    activity = ActivityFactory(organisation=world.own, title="Koffieklets", kind="coffee_chat")
    html = login(world["adviser"]).get(reverse("activities:edit", args=[activity.pk])).content
    html = html.decode()
    assert 'value="Koffieklets"' in html
    assert f'value="{local_input(activity.starts_at)}"' in html


# --- list ----------------------------------------------------------------------------------


def test_the_list_shows_upcoming_or_past_filtered_by_kind_and_programme(world, login):
    azo = ProgrammeFactory(organisation=world.own, code="azo")
    ActivityFactory(organisation=world.own, title="Soon", starts_at=days_from_today(2))
    ActivityFactory(
        organisation=world.own,
        title="Soon workshop",
        kind="workshop",
        starts_at=days_from_today(3),
        programmes=[azo],
    )
    ActivityFactory(organisation=world.own, title="Last week", starts_at=days_from_today(-7))
    ActivityFactory(organisation=world.other, title="Not ours", starts_at=days_from_today(2))
    http = login(world["adviser"])

    def titles(**params) -> list[str]:
        response = http.get(reverse("activities:list"), params)
        return [a.title for a in response.context["page"].object_list]

    assert titles() == ["Soon", "Soon workshop"]
    assert titles(when="past") == ["Last week"]
    assert titles(kind="workshop") == ["Soon workshop"]
    assert titles(programme=azo.pk) == ["Soon workshop"]
    partial = http.get(reverse("activities:list"), {"kind": "workshop"}, **HTMX)
    assert partial.templates[0].name == "activities/partials/activity_results.html"


# --- registrations -----------------------------------------------------------------------


def test_finding_and_registering_a_client_with_htmx(world, login):
    activity = ActivityFactory(organisation=world.own, capacity=1, starts_at=days_from_today(4))
    first = ClientFactory(organisation=world.own, first_name="Yasmina", last_name="Haddad")
    second = ClientFactory(organisation=world.own, first_name="Yusuf", last_name="Haddad")
    ClientFactory(organisation=world.other, first_name="Hidden", last_name="Haddad")
    http = login(world["adviser"])
    url = reverse("activities:detail", args=[activity.pk])

    found = http.get(url, {"q": "hadd"}, **HTMX)
    assert found.templates[0].name == "activities/partials/search_results.html"
    html = found.content.decode()
    assert "Register Yasmina Haddad" in html and "Register Yusuf Haddad" in html
    assert "Hidden" not in html

    add = reverse("activities:registration_add", args=[activity.pk])
    panel = http.post(add, {"client": first.pk}, **HTMX).content.decode()
    assert 'id="registration-panel"' in panel
    assert "Yasmina Haddad is registered." in panel
    panel = http.post(add, {"client": second.pk}, **HTMX).content.decode()
    assert "The activity is full: Yusuf Haddad is on the wait list, number 1." in panel
    assert 'role="alert"' in panel
    again = http.get(url, {"q": "hadd"}, **HTMX).content.decode()
    assert again.count("already on the list") == 2


def test_registering_without_javascript_redirects_with_a_message(world, login):
    activity = ActivityFactory(organisation=world.own, starts_at=days_from_today(4))
    client = ClientFactory(organisation=world.own, first_name="Nadia", last_name="Ouali")
    http = login(world["adviser"])
    response = http.post(
        reverse("activities:registration_add", args=[activity.pk]), {"client": client.pk}
    )
    assert response.status_code == 302
    page = http.get(response["Location"]).content.decode()
    assert "Nadia Ouali is registered." in page
    # A second time: the message says why not.
    http.post(reverse("activities:registration_add", args=[activity.pk]), {"client": client.pk})
    page = http.get(response["Location"]).content.decode()
    assert "Nadia Ouali is already registered for this activity." in page


def test_cancelling_promotes_and_says_so(world, login):
    activity = ActivityFactory(organisation=world.own, capacity=1, starts_at=days_from_today(4))
    first = RegistrationFactory(
        activity=activity, client=ClientFactory(organisation=world.own, first_name="Eerste")
    )
    waiting = ClientFactory(organisation=world.own, first_name="Wachter", last_name="Wacht")
    RegistrationFactory(activity=activity, client=waiting, status="waitlisted")
    panel = login(world["adviser"]).post(
        reverse("activities:registration_cancel", args=[activity.pk, first.pk]), **HTMX
    )
    html = panel.content.decode()
    assert "Wachter Wacht moved up from the wait list and is now registered." in html
    assert Registration.objects.get(client=waiting).status == "registered"


# --- attendance ----------------------------------------------------------------------------


def info_session_with(world, count: int) -> tuple[Activity, list[Registration]]:
    activity = ActivityFactory(organisation=world.own, starts_at=days_from_today(-1, 18))
    regs = [
        RegistrationFactory(
            activity=activity, client=ClientFactory(organisation=world.own, last_name=f"P{i:02d}")
        )
        for i in range(count)
    ]
    return activity, regs


def test_marking_everyone_present_fills_the_form_without_saving(world, login):
    activity, regs = info_session_with(world, 4)
    http = login(world["adviser"])
    url = reverse("activities:attendance", args=[activity.pk])
    plain = http.get(url).content.decode()
    assert plain.count("checked") == 0
    filled = http.get(url, {"mark": "present"}, **HTMX)
    assert filled.templates[0].name == "activities/partials/attendance_form.html"
    html = filled.content.decode()
    assert html.count('value="present" checked') == 4
    assert not Registration.objects.exclude(attendance="").exists()


def test_twenty_people_in_one_post_moves_their_routes(world, login):
    activity, regs = info_session_with(world, 20)
    http = login(world["adviser"])
    url = reverse("activities:attendance", args=[activity.pk])
    data = {f"attendance-{r.pk}": "present" for r in regs}
    data[f"attendance-{regs[3].pk}"] = "absent"
    data[f"attendance-{regs[4].pk}"] = "excused"
    response = http.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    page = http.get(url).content.decode()
    assert "Attendance saved: 20 changes. 18 starter routes opened at “informed”." in page
    assert page.count('value="present" checked') == 18
    assert Trajectory.objects.filter(phase="informed").count() == 18


def test_saving_with_htmx_shows_the_saved_list_in_place(world, login):
    activity, regs = info_session_with(world, 3)
    response = login(world["adviser"]).post(
        reverse("activities:attendance", args=[activity.pk]),
        {f"attendance-{r.pk}": "absent" for r in regs},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Attendance saved: 3 changes." in html
    assert html.count('value="absent" checked') == 3


def test_attendance_before_the_day_is_refused_on_the_page(world, login):
    activity = ActivityFactory(organisation=world.own, starts_at=days_from_today(2, 18))
    reg = RegistrationFactory(activity=activity, client=ClientFactory(organisation=world.own))
    response = login(world["adviser"]).post(
        reverse("activities:attendance", args=[activity.pk]), {f"attendance-{reg.pk}": "present"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Attendance can be recorded from the day of the activity." in html
    assert 'value="present" checked' in html  # what was ticked is kept
    assert Registration.objects.get(pk=reg.pk).attendance == ""


def test_a_forged_choice_is_refused_beside_its_row(world, login):
    activity, regs = info_session_with(world, 2)
    response = login(world["adviser"]).post(
        reverse("activities:attendance", args=[activity.pk]),
        {f"attendance-{regs[0].pk}": "late", f"attendance-{regs[1].pk}": "present"},
    )
    assert response.status_code == 200
    assert f'id="attendance-{regs[0].pk}_error"' in response.content.decode()
    assert not Registration.objects.exclude(attendance="").exists()


# --- outreach ------------------------------------------------------------------------------


def outreach_action(world, **fields) -> Activity:
    return ActivityFactory(
        organisation=world.own,
        kind="outreach",
        neighbourhood="Kuregem",
        starts_at=days_from_today(-1, 14),
        **fields,
    )


def counts_form(*rows) -> dict[str, str]:
    data = {"counts-TOTAL_FORMS": str(len(rows)), "counts-INITIAL_FORMS": "0"}
    for i, (neighbourhood, channel, people) in enumerate(rows):
        data |= {
            f"counts-{i}-neighbourhood": neighbourhood,
            f"counts-{i}-channel": channel,
            f"counts-{i}-people_reached": people,
        }
    return data


def test_several_head_counts_in_one_go_empty_rows_skipped(world, login):
    activity = outreach_action(world)
    http = login(world["adviser"])
    url = reverse("activities:outreach", args=[activity.pk])
    response = http.post(
        url,
        counts_form(("Kuregem", "street", "25"), ("Kuregem", "shop_visit", "8"), ("", "", "")),
    )
    assert response.status_code == 302
    assert sorted(OutreachCount.objects.values_list("channel", "people_reached")) == [
        ("shop_visit", 8),
        ("street", 25),
    ]
    page = http.get(url).content.decode()
    assert "2 head counts recorded (33 people)." in page
    assert 'data-testid="total-reached">33<' in page


def test_a_half_filled_row_is_refused_and_nothing_is_recorded(world, login):
    activity = outreach_action(world)
    response = login(world["adviser"]).post(
        reverse("activities:outreach", args=[activity.pk]),
        counts_form(("Kuregem", "street", "25"), ("Kuregem", "", "8")),
    )
    assert response.status_code == 200
    assert "Give both the channel and the number of people reached" in response.content.decode()
    assert not OutreachCount.objects.exists()


def test_more_rows_on_request(world, login):
    activity = outreach_action(world)
    http = login(world["adviser"])
    url = reverse("activities:outreach", args=[activity.pk])
    assert http.get(url).content.decode().count('name="counts-') == 3 * 3 + 4
    six = http.get(url, {"rows": "6"}).content.decode()
    assert six.count('name="counts-') == 6 * 3 + 4
    assert 'value="Kuregem"' in six  # the action's neighbourhood is filled in


def test_noting_a_lead_and_a_possible_duplicate(world, login):
    activity = outreach_action(world)
    http = login(world["adviser"])
    url = reverse("activities:lead_create", args=[activity.pk])
    lead = {"first_name": "Samira", "last_name": "Benali", "phone": "0470 12 34 56"}
    response = http.post(url, {**lead, "preferred_language": "ar"})
    assert response.status_code == 302
    page = http.get(response["Location"]).content.decode()
    assert "Samira Benali was noted as a lead" in page
    client = Client.objects.get()
    assert Trajectory.objects.get(client=client).phase == "outreach"

    again = http.post(url, lead)
    assert again.status_code == 200
    html = again.content.decode()
    assert "A client with the same name and birth date exists" in html
    assert reverse("clients:detail", args=[client.pk]) in html
    assert 'name="duplicate_override_reason"' in html
    assert Client.objects.count() == 1

    done = http.post(url, {**lead, "duplicate_override_reason": "Another Samira, cousin"})
    assert done.status_code == 302
    assert Client.objects.count() == 2


# --- series and the dashboard ---------------------------------------------------------------


def test_creating_a_series_and_reading_its_rates(world, login):
    http = login(world["adviser"])
    response = http.post(
        reverse("activities:series_create"), {"title": "Ladder to Success", "planned_sessions": 9}
    )
    assert response.status_code == 302
    series = SeriesFactory._meta.model.objects.get()
    sessions = [
        ActivityFactory(
            organisation=world.own, kind="workshop", series=series, starts_at=days_from_today(d)
        )
        for d in (-3, -2, -1)
    ]
    client = ClientFactory(organisation=world.own, first_name="Amal", last_name="Idrissi")
    for activity, attendance in zip(sessions, ["present", "present", "absent"], strict=True):
        RegistrationFactory(activity=activity, client=client, attendance=attendance)
    page = http.get(response["Location"]).content.decode()
    assert "3 of 9 planned sessions scheduled, 3 held." in page
    assert "67% (2 of 3)" in page
    new_session = http.get(reverse("activities:create"), {"kind": "workshop", "series": series.pk})
    assert f'<option value="{series.pk}" selected>' in new_session.content.decode()


def test_the_dashboard_lists_the_next_seven_days(world, login):
    ActivityFactory(
        organisation=world.own, title="Tomorrow's session", starts_at=days_from_today(1)
    )
    ActivityFactory(organisation=world.own, title="Far away", starts_at=days_from_today(9))
    ActivityFactory(organisation=world.own, title="Yesterday", starts_at=days_from_today(-1))
    html = login(world["adviser"]).get(reverse("dashboard")).content.decode()
    assert "Activities in the next 7 days" in html
    assert "Tomorrow&#x27;s session" in html
    assert "Far away" not in html and "Yesterday" not in html
    auditor = login(world["auditor"]).get(reverse("dashboard")).content.decode()
    assert "Activities in the next 7 days" not in auditor


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_pages_render_in_every_language(world, login, settings, language):
    activity, regs = info_session_with(world, 2)
    outreach = outreach_action(world)
    http = login(world["adviser"])
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (
        reverse("activities:list"),
        reverse("activities:create"),
        reverse("activities:detail", args=[activity.pk]),
        reverse("activities:attendance", args=[activity.pk]),
        reverse("activities:outreach", args=[outreach.pk]),
        reverse("activities:series_list"),
    ):
        response = http.get(url)
        assert response.status_code == 200
        assert f'<html lang="{language}"' in response.content.decode()
