"""The referral pages: list tabs and filters, the form and its warning, moves, query counts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.referrals import services
from opstap.referrals.choices import Direction, Status
from opstap.referrals.models import Referral

from .helpers import days_ago, move, plain_client, refer, share_consent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def listed(response) -> list[int]:
    return [r.pk for r in response.context["page"].object_list]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the list ------------------------------------------------------------------------------


@pytest.fixture
def referrals(world):
    """own → other (Opstap), own → VDAB, Actiris → own (inbound), other → own (Opstap)."""
    mine = plain_client(world["adviser"], world.own, last_name="Peeters")
    theirs = plain_client(world.other_adviser, world.other, last_name="Jansen")
    share_consent(world.other_adviser, theirs, world.own)
    return {
        "to_other": refer(world["adviser"], mine, partner=world.other),
        "to_vdab": refer(world["adviser"], mine, partner_name="VDAB"),
        "from_actiris": refer(
            world["adviser"], mine, partner_name="Actiris", direction=Direction.INBOUND
        ),
        "from_other": refer(world.other_adviser, theirs, partner=world.own),
    }


def test_the_outbound_tab_lists_our_referrals(world, login, referrals):
    response = login(world["adviser"]).get(reverse("referrals:list"))
    assert set(listed(response)) == {referrals["to_other"].pk, referrals["to_vdab"].pk}


def test_the_inbound_tab_lists_recorded_and_received_referrals(world, login, referrals):
    response = login(world["adviser"]).get(reverse("referrals:list"), {"tab": "inbound"})
    assert set(listed(response)) == {referrals["from_actiris"].pk, referrals["from_other"].pk}
    page = response.content.decode()
    # Received from a partner on Opstap, with consent: the name links to the shared file.
    assert reverse("referrals:shared_file", args=[referrals["from_other"].pk]) in page
    assert "Gemeente Emmerveen" in page


def test_the_receiver_sees_the_senders_referral_as_inbound_only(world, login, referrals):
    http = login(world.other_adviser)
    inbound = http.get(reverse("referrals:list"), {"tab": "inbound"})
    outbound = http.get(reverse("referrals:list"))
    assert listed(inbound) == [referrals["to_other"].pk]
    assert listed(outbound) == [referrals["from_other"].pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "accepted"}, ["to_other"]),
        ({"status": "sent"}, ["to_vdab"]),
        ({"partner": "vdab"}, ["to_vdab"]),
        ({"partner": "emmer"}, ["to_other"]),
        # Our own name matches none of our outbound rows: the filter is on the other side.
        ({"partner": "Microkrediet"}, []),
        ({"tab": "inbound", "partner": "emmer"}, ["from_other"]),
        ({"tab": "inbound", "partner": "actiris", "status": "sent"}, ["from_actiris"]),
    ],
)
def test_filters(world, login, referrals, params, expected):
    move(world.other_adviser, referrals["to_other"], Status.ACCEPTED)
    response = login(world["adviser"]).get(reverse("referrals:list"), params)
    assert listed(response) == [referrals[k].pk for k in expected]


def test_the_client_filter_is_for_own_clients_only(world, login, referrals):
    client_id = referrals["from_other"].client_id
    mine = login(world["adviser"]).get(
        reverse("referrals:list"), {"tab": "inbound", "client": client_id}
    )
    assert listed(mine) == []
    theirs = login(world.other_adviser).get(reverse("referrals:list"), {"client": client_id})
    assert listed(theirs) == [referrals["from_other"].pk]


def test_htmx_filtering_answers_the_results_only(world, login, referrals):
    response = login(world["adviser"]).get(reverse("referrals:list"), {"status": "sent"}, **HTMX)
    assert [t.name for t in response.templates][0] == "referrals/partials/results.html"
    assert "<html" not in response.content.decode()


# --- query counts --------------------------------------------------------------------------


def _fill(world, count: int, start: int) -> None:
    adviser = world["adviser"]
    for n in range(start, start + count):
        client = plain_client(adviser, world.own, last_name=f"Klant{n}")
        if n % 2:
            share_consent(adviser, client, world.other)
        referral = refer(adviser, client, partner=world.other)
        refer(adviser, client, partner_name=f"Extern {n}")
        if n % 3 == 0:
            move(world.other_adviser, referral, Status.ACCEPTED)


def _count(http, url: str, params: dict[str, str]) -> int:
    http.get(url, params)
    with CaptureQueriesContext(connection) as context:
        response = http.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


# 4 for the request itself (session, user, memberships, roles) + count + page of referrals
# with their clients, organisations, partners and the consent flag.
PINNED_LIST = 6


@pytest.mark.parametrize(
    ("who", "params"),
    [
        ("adviser", {}),
        ("adviser", {"status": "sent", "partner": "e"}),
        ("other", {"tab": "inbound"}),
    ],
)
def test_the_list_makes_the_same_queries_for_5_and_50_referrals(world, login, who, params):
    user = world["adviser"] if who == "adviser" else world.other_adviser
    http = login(user)
    url = reverse("referrals:list")
    _fill(world, 5, 0)
    small = _count(http, url, params)
    _fill(world, 45, 5)
    large = _count(http, url, params)
    assert small == large == PINNED_LIST


def test_the_detail_page_makes_a_constant_number_of_queries(world, login):
    client = plain_client(world["adviser"], world.own)
    share_consent(world["adviser"], client, world.other)
    referral = refer(world["adviser"], client, partner=world.other, sent_on=days_ago(20))
    http = login(world["adviser"])
    url = reverse("referrals:detail", args=[referral.pk])
    small = _count(http, url, {})
    move(world.other_adviser, referral, Status.ACCEPTED, on=days_ago(10))
    partner = login(world.other_adviser)
    for _ in range(30):
        partner.get(reverse("referrals:shared_file", args=[referral.pk]))
    assert _count(http, url, {}) == small


# --- the form --------------------------------------------------------------------------------


def test_without_a_client_the_form_asks_for_one(world, login):
    mine = plain_client(world["adviser"], world.own, last_name="Peeters")
    plain_client(world.other_adviser, world.other, last_name="Peeters")
    response = login(world["adviser"]).get(reverse("referrals:create"), {"q": "peeters"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["clients"]] == [mine.pk]


def test_the_form_lists_the_partners_the_client_consented_to(world, login):
    client = plain_client(world["adviser"], world.own)
    url = reverse("referrals:create") + f"?client={client.pk}"
    http = login(world["adviser"])
    assert "has not consented to sharing with any partner" in http.get(url).content.decode()
    share_consent(world["adviser"], client, world.other)
    page = http.get(url).content.decode()
    assert "consented to sharing with: Gemeente Emmerveen" in page


@pytest.mark.parametrize(
    ("consented", "direction", "warned"),
    [(False, "outbound", True), (True, "outbound", False), (False, "inbound", False)],
)
def test_choosing_a_partner_says_at_once_whether_the_file_is_shared(
    world, login, consented, direction, warned
):
    client = plain_client(world["adviser"], world.own)
    if consented:
        share_consent(world["adviser"], client, world.other)
    url = reverse("referrals:create")
    http = login(world["adviser"])
    params = {"client": client.pk, "partner": world.other.pk, "direction": direction}
    response = http.get(url, params, **HTMX)
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["referrals/partials/sharing_warning.html"]
    assert ('data-testid="not-shared-warning"' in response.content.decode()) is warned
    # No partner (or not a number): nothing to warn about.
    for partner in ("", "x"):
        response = http.get(url, {**params, "partner": partner}, **HTMX)
        assert response.content.decode().strip() == ""


def test_creating_without_consent_warns_and_records(world, login):
    client = plain_client(world["adviser"], world.own)
    http = login(world["adviser"])
    response = http.post(
        reverse("referrals:create") + f"?client={client.pk}",
        {
            "direction": "outbound",
            "partner": world.other.pk,
            "reason": "Begeleiding bij het ondernemingsplan",
            "sent_on": days_ago(0).isoformat(),
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert any(
        "no active consent for sharing with Gemeente Emmerveen" in m for m in flashed(response)
    )
    detail = http.get(response["Location"]).content.decode()
    assert 'data-testid="not-shared-warning"' in detail


def test_the_form_shows_service_errors_beside_their_fields(world, login):
    client = plain_client(world["adviser"], world.own)
    response = login(world["adviser"]).post(
        reverse("referrals:create") + f"?client={client.pk}",
        {
            "direction": "outbound",
            "partner": world.other.pk,
            "partner_name": "VDAB",
            "reason": "x",
            "sent_on": days_ago(-2).isoformat(),
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()["partner"]] == ["partner_both"]
    assert [e.code for e in form.errors.as_data()["sent_on"]] == ["sent_on_future"]
    assert Referral.objects.count() == 0


def test_an_unknown_client_parameter_answers_404(world, login):
    http = login(world["adviser"])
    assert http.get(reverse("referrals:create"), {"client": "abc"}).status_code == 404
    assert http.get(reverse("referrals:create"), {"client": "999999"}).status_code == 404


# --- moving the status -------------------------------------------------------------------------


@pytest.fixture
def to_other(world):
    client = plain_client(world["adviser"], world.own)
    share_consent(world["adviser"], client, world.other)
    return refer(world["adviser"], client, partner=world.other, sent_on=days_ago(10))


def test_the_receiver_sees_accept_and_decline_the_sender_sees_who_answers(world, login, to_other):
    url = reverse("referrals:detail", args=[to_other.pk])
    receiver = login(world.other_adviser).get(url)
    assert [to for to, _, _ in receiver.context["move_forms"]] == ["accepted", "declined"]
    sender = login(world["adviser"]).get(url)
    assert sender.context["move_forms"] == []
    assert "Gemeente Emmerveen accepts, declines and completes" in sender.content.decode()


def test_accepting_then_completing_through_the_page(world, login, to_other):
    http = login(world.other_adviser)
    url = reverse("referrals:transition", args=[to_other.pk])
    response = http.post(url, {"to": "accepted", "accepted-on": days_ago(3).isoformat()})
    assert response.status_code == 302
    assert "The referral is now “Accepted”." in flashed(response)
    response = http.post(
        url,
        {
            "to": "completed",
            "completed-on": days_ago(1).isoformat(),
            "completed-outcome": "Eenmanszaak opgericht",
            "completed-note": "Mooi traject",
        },
    )
    to_other.refresh_from_db()
    assert (to_other.status, to_other.outcome, to_other.completed_on) == (
        "completed",
        "Eenmanszaak opgericht",
        days_ago(1),
    )
    assert to_other.events.last().note == "Mooi traject"


def test_an_illegal_move_through_the_page_names_the_allowed_ones(world, login, to_other):
    http = login(world.other_adviser)
    url = reverse("referrals:transition", args=[to_other.pk])
    response = http.post(
        url, {"to": "completed", "completed-on": days_ago(1).isoformat(), "completed-outcome": "x"}
    )
    # The page comes back with the refusal in the status panel, not as a banner (issue 9).
    assert response.status_code == 422
    assert flashed(response) == []
    assert "“Accepted”, “Declined”" in response.content.decode()
    assert Referral.objects.get(pk=to_other.pk).status == "sent"


def test_htmx_move_errors_come_back_in_the_status_panel(world, login, to_other):
    http = login(world.other_adviser)
    url = reverse("referrals:transition", args=[to_other.pk])
    response = http.post(url, {"to": "accepted", "accepted-on": days_ago(-3).isoformat()}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="status-panel"' in page and "<html" not in page
    assert str(services.DATE_FUTURE) in page
    response = http.post(url, {"to": "declined", "declined-on": days_ago(1).isoformat()}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("referrals:detail", args=[to_other.pk])


def test_the_move_is_read_from_the_request_not_trusted(world, login, to_other):
    http = login(world.other_adviser)
    url = reverse("referrals:transition", args=[to_other.pk])
    response = http.post(url, {"to": "bogus", "move-on": days_ago(1).isoformat()})
    assert response.status_code == 422
    assert Referral.objects.get(pk=to_other.pk).status == "sent"


# --- ways in -------------------------------------------------------------------------------


def test_the_dashboard_and_the_client_file_link_to_referrals(world, login):
    client = plain_client(world["adviser"], world.own)
    http = login(world["adviser"])
    dashboard = http.get(reverse("dashboard")).content.decode()
    assert reverse("referrals:list") in dashboard
    detail = http.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert f"{reverse('referrals:create')}?client={client.pk}" in detail
    # Roles without the referrals app see no link to it.
    volunteer_dashboard = login(world["volunteer"]).get(reverse("dashboard")).content.decode()
    assert reverse("referrals:list") not in volunteer_dashboard


def test_a_user_of_two_organisations_sees_the_active_ones_referrals(world, login, to_other):
    both = member(world.own, Role.ADVISER)
    member(world.other, Role.ADVISER, user=both)
    http = login(both)
    http.post(reverse("switch_organisation"), {"organisation": world.other.pk})
    inbound = http.get(reverse("referrals:list"), {"tab": "inbound"})
    assert listed(inbound) == [to_other.pk]
    http.post(reverse("switch_organisation"), {"organisation": world.own.pk})
    outbound = http.get(reverse("referrals:list"))
    assert listed(outbound) == [to_other.pk]
