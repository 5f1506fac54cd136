"""The client pages: forms and their errors, search, pagination, htmx fragments, logs."""

from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients import services
from opstap.clients.models import Client, Consent
from opstap.clients.tests.factories import ClientFactory, ConsentFactory, belgian_national_number
from opstap.core.identifiers import NATIONAL_NUMBER_CHECKSUM, NATIONAL_NUMBER_LENGTH_BE
from opstap.core.models import AuditEvent, FileAccess

BIRTH = datetime.date(1985, 7, 30)
NN_BE = belgian_national_number(BIRTH, 33)


def new_client_form(**fields):
    return {
        "first_name": "Amina",
        "last_name": "Haddou",
        "birth_date": BIRTH.isoformat(),
        "gender": "woman",
        **fields,
    }


def listed(response) -> list[str]:
    return [c.last_name for c in response.context["page"].object_list]


# --- the client form -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12345", (NATIONAL_NUMBER_LENGTH_BE, {"count": 5})),
        (NN_BE[:-1] + "9", (NATIONAL_NUMBER_CHECKSUM, {})),
    ],
)
def test_wrong_national_number_is_shown_beside_the_field(world, login, typed, message):
    # The message is translated when shown (English here), so it is formatted in the test.
    message = message[0] % message[1] if message[1] else message[0]
    response = login(world["adviser"]).post(
        reverse("clients:create"), new_client_form(national_number=typed)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["form"].errors["national_number"] == [str(message)]
    assert (
        f'<div class="utrecht-form-field__error-message utrecht-form-field-error-message" '
        f'id="id_national_number_error"><p>{html.escape(str(message))}</p></div>' in page
    )
    assert 'aria-invalid="true"' in page
    assert "The file was not saved. Correct the fields marked below." in page
    # What was typed is kept, so it can be corrected.
    assert f'value="{typed}"' in page
    assert not Client.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_valid_form_creates_the_client_and_goes_to_its_file(world, login):
    response = login(world["adviser"]).post(
        reverse("clients:create"),
        new_client_form(
            national_number="85.07.30-033.28",
            postcode="1080",
            children_ages="3, 7",
            household="single_parent",
            languages=["nl", "ar"],
            preferred_language="ar",
            adviser=str(world["adviser"].pk),
        ),
    )
    client = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[client.pk])
    assert (client.national_number, client.children_ages, client.adviser) == (
        NN_BE,
        [3, 7],
        world["adviser"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_the_page_is_served_in_dutch_when_asked(world, login, settings, how):
    # Only the language of the page is checked: the translations themselves come later.
    http = login(world["adviser"])
    headers = {}
    if how == "cookie":
        http.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    else:
        headers["HTTP_ACCEPT_LANGUAGE"] = "nl"
    response = http.post(
        reverse("clients:create"), new_client_form(national_number="12345"), **headers
    )
    assert response.status_code == 200
    assert '<html lang="nl">' in response.content.decode()
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_the_page_is_english_by_default_in_the_tests(world, login):
    response = login(world["adviser"]).get(reverse("clients:create"))
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_duplicate_number_error_links_to_the_existing_file(world, login):
    first = services.client_create(
        actor=world["adviser"],
        organisation=world.own,
        data={
            "first_name": "Amina",
            "last_name": "Haddou",
            "birth_date": BIRTH,
            "national_number": NN_BE,
        },
    )
    response = login(world["adviser"]).post(
        reverse("clients:create"),
        new_client_form(first_name="Anna", last_name="Peeters", national_number=NN_BE),
    )
    assert response.status_code == 200
    assert Client.objects.count() == 1
    assert f'<a href="{reverse("clients:detail", args=[first.pk])}">' in response.content.decode()


@pytest.mark.django_db
def test_possible_duplicate_shows_the_reason_field_and_accepts_a_reason(world, login):
    http = login(world["adviser"])
    ClientFactory(organisation=world.own, first_name="Amina", last_name="Haddou", birth_date=BIRTH)
    response = http.post(reverse("clients:create"), new_client_form())
    assert response.status_code == 200
    assert response.context["possible_duplicate"] is True
    assert 'name="duplicate_override_reason"' in response.content.decode()
    response = http.post(
        reverse("clients:create"), new_client_form(duplicate_override_reason="Andere persoon")
    )
    assert response.status_code == 302
    assert Client.objects.count() == 2


# --- the client list: search and pagination --------------------------------------------


@pytest.fixture
def people(world):
    make = ClientFactory
    return {
        "celik": make(
            organisation=world.own, first_name="Ayşe", last_name="Çelik", postcode="1080"
        ),
        "lefevre": make(
            organisation=world.own, first_name="Zoë", last_name="Lefèvre", postcode="1000"
        ),
        "peeters": make(
            organisation=world.own, first_name="Jan", last_name="Peeters", postcode="2000"
        ),
        "elsewhere": make(
            organisation=world.other, first_name="Ayse", last_name="Celik", postcode="1080"
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("celik", ["Çelik"]),
        ("ÇELİK", ["Çelik"]),
        ("ayse celik", ["Çelik"]),
        ("lefevre", ["Lefèvre"]),
        ("zoe", ["Lefèvre"]),
        ("Lefèvre", ["Lefèvre"]),
        ("eete", ["Peeters"]),
        ("celik jan", []),
    ],
)
def test_search_by_name_ignores_accents_and_case(world, login, people, query, expected):
    response = login(world["adviser"]).get(reverse("clients:list"), {"q": query})
    assert listed(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last", "query"), [("Mehmet", "Yılmaz", "yilmaz"), ("Łukasz", "Nowak", "lukasz")]
)
def test_search_folds_letters_that_have_no_combining_accent(world, login, first, last, query):
    ClientFactory(organisation=world.own, first_name=first, last_name=last)
    response = login(world["adviser"]).get(reverse("clients:list"), {"q": query})
    assert listed(response) == [last]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [NN_BE, "85.07.30-033.28", "85 07 30 033 28"])
def test_search_by_exact_national_number(world, login, typed):
    services.client_create(
        actor=world["adviser"],
        organisation=world.own,
        data={
            "first_name": "Amina",
            "last_name": "Haddou",
            "birth_date": BIRTH,
            "national_number": NN_BE,
        },
    )
    services.client_create(
        actor=world["adviser"],
        organisation=world.own,
        data={
            "first_name": "Anna",
            "last_name": "Peeters",
            "birth_date": BIRTH,
            "national_number": belgian_national_number(BIRTH, 35),
        },
    )
    http = login(world["adviser"])
    assert listed(http.get(reverse("clients:list"), {"q": typed})) == ["Haddou"]
    # Exact only: a part of the number finds nothing.
    assert listed(http.get(reverse("clients:list"), {"q": NN_BE[:6]})) == []


@pytest.mark.django_db
def test_search_by_postcode(world, login, people):
    http = login(world["adviser"])
    assert listed(http.get(reverse("clients:list"), {"q": "1080"})) == ["Çelik"]
    assert listed(http.get(reverse("clients:list"), {"q": "1000"})) == ["Lefèvre"]
    assert listed(http.get(reverse("clients:list"), {"q": "9999"})) == []


@pytest.mark.django_db
def test_list_has_pages_of_25(world, login):
    for i in range(26):
        ClientFactory(organisation=world.own, last_name=f"Klant{i:02d}")
    http = login(world["adviser"])
    first = http.get(reverse("clients:list"))
    assert first.context["page"].paginator.num_pages == 2
    assert len(listed(first)) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert 'rel="next" href="?page=2"' in first.content.decode()
    second = http.get(reverse("clients:list"), {"page": 2})
    assert listed(second) == ["Klant25"]
    # Past the end shows the last page, not an error.
    assert listed(http.get(reverse("clients:list"), {"page": 99})) == ["Klant25"]


@pytest.mark.django_db
def test_pagination_keeps_the_search(world, login):
    for i in range(30):
        ClientFactory(organisation=world.own, last_name=f"Janssens{i:02d}")
    page = login(world["adviser"]).get(reverse("clients:list"), {"q": "janssens"}).content.decode()
    assert 'href="?q=janssens&amp;page=2"' in page


@pytest.mark.django_db
def test_htmx_request_gets_only_the_results(world, login, people):
    response = login(world["adviser"]).get(
        reverse("clients:list"), {"q": "celik"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert "<form" not in page
    assert "<table" in page
    assert "Çelik" in page
    assert "Peeters" not in page
    assert [t.name for t in response.templates][0] == "clients/partials/results.html"


@pytest.mark.django_db
def test_boosted_htmx_navigation_gets_the_whole_page(world, login):
    response = login(world["adviser"]).get(
        reverse("clients:list"), HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true"
    )
    assert "<html" in response.content.decode()


# --- the client file -------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_client_file_is_logged(world, login):
    client = ClientFactory(organisation=world.own)
    http = login(world["committee"])
    http.get(reverse("clients:detail", args=[client.pk]))
    http.get(reverse("clients:detail", args=[client.pk]))
    accesses = FileAccess.objects.all()
    assert len(accesses) == 2
    assert {(a.user, a.client, a.organisation, a.purpose) for a in accesses} == {
        (world["committee"], client, world.own, FileAccess.Purpose.CLIENT_DETAIL)
    }


@pytest.mark.django_db
def test_a_refused_file_is_not_logged_as_opened(world, login):
    client = ClientFactory(organisation=world.other)
    assert (
        login(world["adviser"]).get(reverse("clients:detail", args=[client.pk])).status_code == 404
    )
    assert not FileAccess.objects.exists()


@pytest.mark.django_db
def test_consent_withdraw_via_htmx_returns_the_consent_panel(world, login):
    client = ClientFactory(organisation=world.own)
    consent = ConsentFactory(client=client, recorded_by=world["adviser"])
    response = login(world["adviser"]).post(
        reverse("clients:consent_withdraw", args=[client.pk, consent.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith('<div id="consent-panel">')
    assert "<html" not in page
    assert "Withdrawn on" in page
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    assert consent.withdrawn_by == world["adviser"]


@pytest.mark.django_db
def test_consent_withdraw_twice_via_htmx_keeps_the_first_withdrawal(world, login):
    client = ClientFactory(organisation=world.own)
    consent = ConsentFactory(
        client=client,
        recorded_by=world["adviser"],
        withdrawn_on=datetime.date(2026, 2, 1),
        withdrawn_by=world["adviser"],
    )
    response = login(world["job_coach"]).post(
        reverse("clients:consent_withdraw", args=[client.pk, consent.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawn_by) == (
        datetime.date(2026, 2, 1),
        world["adviser"],
    )
    assert not AuditEvent.objects.filter(action="consent.withdraw").exists()


@pytest.mark.django_db
def test_consent_record_via_htmx_shows_errors_in_the_panel(world, login):
    client = ClientFactory(organisation=world.own)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = login(world["adviser"]).post(
        reverse("clients:consent_record", args=[client.pk]),
        {
            "purpose": "case_management",
            "legal_basis": "consent",
            "given_on": tomorrow.isoformat(),
            "text_version": "2026-01",
        },
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert page.startswith('<div id="consent-panel">')
    assert html.escape(str(services.CONSENT_DATE_FUTURE)) in page
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_dashboard_lists_a_client_whose_case_management_consent_was_withdrawn(world, login):
    # Both conditions of the exclude() must hold for the same consent: an active consent for
    # another purpose does not make up for a withdrawn case-management consent.
    client = ClientFactory(
        organisation=world.own, adviser=world["adviser"], last_name="Ingetrokken"
    )
    ConsentFactory(
        client=client,
        recorded_by=world["adviser"],
        purpose="case_management",
        withdrawn_on=datetime.date(2026, 2, 1),
    )
    ConsentFactory(client=client, recorded_by=world["adviser"], purpose="research")
    context = login(world["adviser"]).get(reverse("dashboard")).context
    assert [c.last_name for c in context["without_consent"]] == ["Ingetrokken"]


@pytest.mark.django_db
def test_dashboard_lists_clients_without_any_consent_but_not_those_with_one(world, login):
    without = ClientFactory(organisation=world.own, adviser=world["adviser"], last_name="Zonder")
    with_consent = ClientFactory(organisation=world.own, adviser=world["adviser"], last_name="Met")
    ConsentFactory(client=with_consent, recorded_by=world["adviser"])
    context = login(world["adviser"]).get(reverse("dashboard")).context
    assert context["without_consent"] == [without]
    assert context["without_consent_count"] == 1


# --- the audit log -------------------------------------------------------------------------


@pytest.fixture
def log(world):
    """Audit events by two people about two clients on three days (Brussels time)."""
    tz = timezone.get_current_timezone()
    a = ClientFactory(organisation=world.own, last_name="Eerste")
    b = ClientFactory(organisation=world.own, last_name="Tweede")
    events = {}
    for key, actor, client, day in [
        ("a1", world["adviser"], a, datetime.datetime(2026, 3, 1, 0, 30, tzinfo=tz)),
        ("a2", world["adviser"], b, datetime.datetime(2026, 3, 2, 12, 0, tzinfo=tz)),
        ("b1", world["benefits_officer"], a, datetime.datetime(2026, 3, 2, 23, 30, tzinfo=tz)),
        ("b2", world["benefits_officer"], b, datetime.datetime(2026, 3, 3, 9, 0, tzinfo=tz)),
    ]:
        event = AuditEvent.objects.create(
            organisation=world.own,
            actor=actor,
            action="client.update",
            object_type="clients.client",
            object_id=str(client.pk),
            object_repr=key,
            client=client,
            created_at=day,  # the log is append-only: the time is given when the row is made
        )
        events[key] = event
    # Another organisation's event about the same client number must never show.
    AuditEvent.objects.create(
        organisation=world.other,
        actor=world.other_admin,
        action="client.update",
        object_type="clients.client",
        object_id=str(a.pk),
        object_repr="elsewhere",
        client=a,
    )
    return {"a": a, "b": b, **events}


def shown(response) -> list[str]:
    assert response.status_code == 200
    return sorted(e.object_repr for e in response.context["page"].object_list)


@pytest.mark.django_db
def test_audit_log_shows_the_organisations_events(world, login, log):
    assert shown(login(world["org_admin"]).get(reverse("audit_log"))) == ["a1", "a2", "b1", "b2"]


@pytest.mark.django_db
def test_audit_log_filters_by_client(world, login, log):
    response = login(world["org_admin"]).get(reverse("audit_log"), {"client": log["a"].pk})
    assert shown(response) == ["a1", "b1"]


@pytest.mark.django_db
def test_audit_log_filters_by_user(world, login, log):
    response = login(world["org_admin"]).get(
        reverse("audit_log"), {"user": world["benefits_officer"].pk}
    )
    assert shown(response) == ["b1", "b2"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2026-03-02", "2026-03-02", ["a2", "b1"]),  # whole days, 00:00 to 24:00 Brussels time
        ("2026-03-02", "", ["a2", "b1", "b2"]),
        ("", "2026-03-01", ["a1"]),
        ("2026-03-04", "", []),
    ],
)
def test_audit_log_filters_by_date_range(world, login, log, date_from, date_to, expected):
    response = login(world["org_admin"]).get(
        reverse("audit_log"), {"date_from": date_from, "date_to": date_to}
    )
    assert shown(response) == expected


@pytest.mark.django_db
def test_audit_log_filters_combine(world, login, log):
    response = login(world["org_admin"]).get(
        reverse("audit_log"),
        {"client": log["b"].pk, "user": world["adviser"].pk, "date_from": "2026-03-02"},
    )
    assert shown(response) == ["a2"]


@pytest.mark.django_db
def test_audit_log_cannot_filter_on_a_user_of_another_organisation(world, login, log):
    response = login(world["org_admin"]).get(reverse("audit_log"), {"user": world.other_admin.pk})
    assert "user" in response.context["form"].errors
    assert "elsewhere" not in response.content.decode()


@pytest.mark.django_db
def test_access_log_filters_by_client_and_user(world, login):
    client = ClientFactory(organisation=world.own)
    other = ClientFactory(organisation=world.own)
    login(world["adviser"]).get(reverse("clients:detail", args=[client.pk]))
    login(world["committee"]).get(reverse("clients:detail", args=[other.pk]))
    http = login(world["org_admin"])
    response = http.get(reverse("access_log"), {"client": client.pk})
    assert [a.user for a in response.context["page"].object_list] == [world["adviser"]]
    response = http.get(reverse("access_log"), {"user": world["committee"].pk})
    assert [a.client for a in response.context["page"].object_list] == [other]
