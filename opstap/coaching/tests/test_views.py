"""The coaching pages: htmx fragments, safe formatting, what each role reads, the dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients.models import ClientCoach
from opstap.core.models import FileAccess
from opstap.core.roles import Role
from opstap.core.tests.factories import member

from .. import services
from ..choices import ActionStatus
from ..models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from .factories import bulk_actions, client_of, trajectory_for, volunteer

HTMX = {"HX-Request": "true"}


def coaching_page(http, case) -> str:
    response = http.get(reverse("coaching:client", args=[case.client.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- the page and its fragments --------------------------------------------------------


@pytest.mark.django_db
def test_the_coaching_page_is_logged_as_a_look_at_the_file(world, case, login):
    coaching_page(login(world["adviser"]), case)
    assert FileAccess.objects.filter(user=world["adviser"], client=case.client).count() == 1


@pytest.mark.django_db
def test_notes_are_plain_text_with_line_breaks_and_links(world, case, login):
    services.note_add(
        actor=world["adviser"],
        client=case.client,
        text='<script>alert("x")</script> <b>bold</b>\nSee https://www.kbo.be/start for the steps',
    )
    page = coaching_page(login(world["adviser"]), case)
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;<br>" in page
    assert '<a href="https://www.kbo.be/start" rel="nofollow">https://www.kbo.be/start</a>' in page


@pytest.mark.django_db
def test_a_note_is_added_without_a_page_reload(world, case, login):
    http = login(world["adviser"])
    url = reverse("coaching:note_add", args=[case.client.pk])
    response = http.post(
        url, {"note-text": "Met at the library", "note-trajectory": ""}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<div id="notes-panel">')
    assert "Met at the library" in page
    response = http.post(url, {"note-text": "  "}, headers=HTMX)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert CaseNote.objects.count() == 1


@pytest.mark.django_db
def test_a_note_without_htmx_redirects_back_to_the_notes(world, case, login):
    response = login(world["adviser"]).post(
        reverse("coaching:note_add", args=[case.client.pk]),
        {"note-text": "About the route", "note-trajectory": str(case.trajectory.pk)},
    )
    assert response["Location"] == reverse("coaching:client", args=[case.client.pk]) + "#notes"
    assert CaseNote.objects.get().trajectory == case.trajectory


@pytest.mark.django_db
def test_the_author_changes_a_note_others_may_not(world, case, login):
    note = services.note_add(actor=world["adviser"], client=case.client, text="Draft")
    url = reverse("coaching:note_edit", args=[case.client.pk, note.pk])
    assert login(world["org_admin"]).post(url, {"text": "Hijack"}).status_code == 403
    response = login(world["adviser"]).post(url, {"text": "Final", "confidential": "on"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.text, note.confidential) == ("Final", True)
    # Confidential now: the colleague and the volunteer no longer find it at all.
    assert login(member(world.own, Role.ADVISER)).get(url).status_code == 404
    assert login(world["volunteer"]).get(url).status_code == 404


@pytest.mark.django_db
def test_confidential_notes_show_only_to_the_author_and_the_admin(world, case, login):
    services.note_add(
        actor=world["adviser"], client=case.client, text="Debts at home", confidential=True
    )
    services.note_add(actor=world["adviser"], client=case.client, text="Plan is on track")
    for user, sees in [
        (world["adviser"], True),
        (world["org_admin"], True),
        (member(world.own, Role.ADVISER), False),
        (world["volunteer"], False),
        (world["loan_officer"], False),
    ]:
        page = coaching_page(login(user), case)
        assert "Plan is on track" in page
        assert ("Debts at home" in page) is sees, user


@pytest.mark.django_db
def test_the_client_timeline_names_note_events_but_not_confidential_ones(world, case, login):
    services.note_add(actor=world["adviser"], client=case.client, text="Open")
    services.note_add(actor=world["adviser"], client=case.client, text="Closed", confidential=True)
    page = login(world["volunteer"]).get(reverse("clients:detail", args=[case.client.pk]))
    timeline = [e.action for e in page.context["timeline"]]
    assert timeline.count("coaching.note_add") == 1
    assert "Case note added" in page.content.decode()
    # The client file links to this page (a section registered by the coaching app).
    assert reverse("coaching:client", args=[case.client.pk]) in page.content.decode()


@pytest.mark.django_db
def test_volunteers_never_read_income_benefit_or_loan_data(world, case, login):
    services.session_log(
        actor=world["volunteer"],
        client=case.client,
        coach=world["volunteer"],
        on=timezone.localdate(),
        duration_minutes=45,
        topics=["finance"],
    )
    http = login(world["volunteer"])
    for url in [
        reverse("coaching:client", args=[case.client.pk]),
        reverse("coaching:me"),
        reverse("dashboard"),
    ]:
        page = http.get(url).content.decode()
        assert "Amina" in page
        for leak in ("1234", "1.234", "Social assistance", "living wage", "IBAN"):
            assert leak not in page, (url, leak)
    assert http.get(reverse("coaching:suggestions", args=[case.client.pk])).status_code == 404


# --- sessions --------------------------------------------------------------------------


def session_data(**fields):
    return {
        "session-on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "session-duration_minutes": "90",
        "session-topics": ["legal", "finance"],
        "session-next_steps": "Draft the price list",
        **fields,
    }


@pytest.mark.django_db
def test_a_volunteer_logs_a_session_as_themselves_whatever_the_form_says(world, case, login):
    response = login(world["volunteer"]).post(
        reverse("coaching:session_log", args=[case.client.pk]),
        session_data(**{"session-coach": str(world["adviser"].pk)}),
        headers=HTMX,
    )
    assert response.status_code == 200
    session = CoachingSession.objects.get()
    assert (session.coach, session.logged_by) == (world["volunteer"], world["volunteer"])
    assert session.topics == ["finance", "legal"]
    assert "Draft the price list" in response.content.decode()


@pytest.mark.django_db
def test_staff_choose_the_coach_among_those_who_may_open_the_file(world, case, login):
    http = login(world["adviser"])
    url = reverse("coaching:session_log", args=[case.client.pk])
    http.post(url, session_data(**{"session-coach": str(world["volunteer"].pk)}))
    assert CoachingSession.objects.get().coach == world["volunteer"]
    outsider = member(world.own, Role.VOLUNTEER)
    response = http.post(url, session_data(**{"session-coach": str(outsider.pk)}), headers=HTMX)
    assert 'id="id_session-coach_error"' in response.content.decode()
    assert CoachingSession.objects.count() == 1


@pytest.mark.django_db
def test_a_volunteer_cannot_reach_a_client_not_assigned_to_them(world, login):
    stranger = client_of(world.own, adviser=world["adviser"])
    http = login(world["volunteer"])
    assert http.get(reverse("coaching:client", args=[stranger.pk])).status_code == 404
    response = http.post(reverse("coaching:session_log", args=[stranger.pk]), session_data())
    assert response.status_code == 404
    assert not CoachingSession.objects.exists()


# --- action plans ----------------------------------------------------------------------


@pytest.mark.django_db
def test_actions_are_added_and_completed_inline(world, case, login):
    http = login(world["adviser"])
    prefix = f"plan{case.trajectory.pk}"
    response = http.post(
        reverse("coaching:action_add", args=[case.client.pk, case.trajectory.pk]),
        {
            f"{prefix}-title": "Open a business account",
            f"{prefix}-owner": str(world["volunteer"].pk),
            f"{prefix}-due_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        },
        headers=HTMX,
    )
    page = response.content.decode()
    assert page.startswith(f'<div id="plan-{case.trajectory.pk}"')
    assert "Open a business account" in page and "Overdue" in page
    action = ActionItem.objects.get()
    assert action.owner == world["volunteer"]
    # The owner, a volunteer, ticks it off from their own page.
    response = login(world["volunteer"]).post(
        reverse("coaching:action_complete", args=[case.client.pk, action.pk]), headers=HTMX
    )
    assert response.status_code == 200
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert "Done on" in response.content.decode()


@pytest.mark.django_db
def test_a_closed_action_cannot_be_closed_again(world, case, login):
    action = services.action_add(actor=world["adviser"], trajectory=case.trajectory, title="Z")
    services.action_cancel(actor=world["adviser"], action=action)
    http = login(world["adviser"])
    response = http.post(reverse("coaching:action_complete", args=[case.client.pk, action.pk]))
    assert response.status_code == 302
    assert ActionItem.objects.get(pk=action.pk).status == ActionStatus.CANCELLED
    messages = [str(m) for m in http.get(response["Location"]).context["messages"]]
    assert messages == ["This action is already cancelled."]


@pytest.mark.django_db
def test_an_action_of_another_clients_route_is_not_found(world, case, login):
    other = client_of(world.own, adviser=world["adviser"])
    other_route = trajectory_for(other, world["adviser"])
    response = login(world["adviser"]).post(
        reverse("coaching:action_add", args=[case.client.pk, other_route.pk]),
        {f"plan{other_route.pk}-title": "Misplaced"},
    )
    assert response.status_code == 404
    assert not ActionItem.objects.exists()


# --- the dashboard ---------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_actions_show_on_the_advisers_dashboard(world, case, login):
    today = timezone.localdate()
    adviser, colleague = world["adviser"], member(world.own, Role.ADVISER)
    yesterday = today - datetime.timedelta(days=1)
    theirs = client_of(world.own, adviser=colleague)
    colleague_route = trajectory_for(theirs, colleague)

    def add(trajectory, title, owner, due):
        return services.action_add(
            actor=adviser, trajectory=trajectory, title=title, owner=owner, due_on=due
        )

    add(case.trajectory, "Client sends the lease", None, yesterday)  # my route, the client's
    add(case.trajectory, "Coach checks prices", world["volunteer"], yesterday)  # my route
    add(colleague_route, "I call the bank", adviser, yesterday - datetime.timedelta(days=3))
    add(colleague_route, "Colleague's own", colleague, yesterday)  # not mine at all
    add(case.trajectory, "Due today", adviser, today)  # not overdue yet
    done = add(case.trajectory, "Already done", adviser, yesterday)
    services.action_complete(actor=adviser, action=done)

    response = login(adviser).get(reverse("dashboard"))
    page = response.content.decode()
    panel = dict(response.context["panels"])["coaching/panels/overdue_actions.html"]
    assert [a.title for a in panel["actions"]] == [
        "I call the bank",
        "Client sends the lease",
        "Coach checks prices",
    ]
    assert panel["total"] == 3
    assert "Overdue actions" in page and "I call the bank" in page
    assert "Colleague's own" not in page and "Due today" not in page

    volunteer_panel = dict(login(world["volunteer"]).get(reverse("dashboard")).context["panels"])
    overdue = volunteer_panel["coaching/panels/overdue_actions.html"]
    assert [a.title for a in overdue["actions"]] == ["Coach checks prices"]


@pytest.mark.django_db
def test_the_panel_says_how_many_when_it_shows_only_the_first(world, case, login):
    bulk_actions(
        case.trajectory,
        world["adviser"],
        14,
        owner=world["adviser"],
        due_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    response = login(world["adviser"]).get(reverse("dashboard"))
    panel = dict(response.context["panels"])["coaching/panels/overdue_actions.html"]
    assert (len(panel["actions"]), panel["total"]) == (10, 14)
    assert "The oldest of 14 overdue actions are shown." in response.content.decode()


@pytest.mark.django_db
def test_a_volunteer_sees_their_sessions_and_hours_this_month(world, case, login):
    today = timezone.localdate()
    for on, minutes in [(today, 90), (today.replace(day=1), 60)]:
        services.session_log(
            actor=world["volunteer"],
            client=case.client,
            coach=world["volunteer"],
            on=on,
            duration_minutes=minutes,
            topics=["personal"],
        )
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    services.session_log(
        actor=world["volunteer"],
        client=case.client,
        coach=world["volunteer"],
        on=last_month,
        duration_minutes=600,
        topics=["personal"],
    )
    response = login(world["volunteer"]).get(reverse("dashboard"))
    panel = dict(response.context["panels"])["coaching/panels/my_month.html"]
    assert (panel["sessions"], panel["minutes"]) == (2, 150)
    assert "2 sessions, 2.5 hours." in response.content.decode()
    adviser_panels = dict(login(world["adviser"]).get(reverse("dashboard")).context["panels"])
    assert "coaching/panels/my_month.html" not in adviser_panels


# --- a volunteer's own pages -----------------------------------------------------------


@pytest.mark.django_db
def test_my_page_lists_my_clients_sessions_and_hours(world, case, login):
    services.session_log(
        actor=world["adviser"],
        client=case.client,
        coach=world["volunteer"],
        on=timezone.localdate(),
        duration_minutes=75,
        topics=["marketing"],
    )
    response = login(world["volunteer"]).get(reverse("coaching:me"))
    assert [c.pk for c in response.context["clients"]] == [case.client.pk]
    assert response.context["totals"]["month_minutes"] == 75
    assert len(response.context["sessions"]) == 1
    # Unassigned: the hours stay theirs, the name goes.
    ClientCoach.objects.filter(client=case.client).delete()
    response = login(world["volunteer"]).get(reverse("coaching:me"))
    assert response.context["clients"] == [] and response.context["sessions"] == []
    assert response.context["totals"]["all_minutes"] == 75
    assert "Amina" not in response.content.decode()


@pytest.mark.django_db
def test_a_volunteer_fills_in_their_profile_and_the_list_shows_it(world, login):
    url = reverse("coaching:volunteer_profile", args=[world["volunteer"].pk])
    response = login(world["volunteer"]).post(
        url,
        {
            "expertise": ["sector_food", "finance"],
            "languages": ["tr", "nl"],
            "availability": "Weekends",
            "max_clients": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("coaching:me")
    profile = VolunteerProfile.objects.get(user=world["volunteer"])
    assert (profile.expertise, profile.max_clients) == (["finance", "sector_food"], 2)
    response = login(world["adviser"]).get(reverse("coaching:volunteers"))
    page = response.content.decode()
    assert "Sector experience: food and hospitality" in page and "Weekends" in page
    assert response.context["without_profile"] == []
    resting = volunteer(world.own, active=False)
    assert (
        resting in login(world["adviser"]).get(reverse("coaching:volunteers")).context["profiles"]
    )
