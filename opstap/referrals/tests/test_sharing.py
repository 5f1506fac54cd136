"""The sharing rule: a partner sees a client's file only with consent AND a live referral.

`world.own` refers its client to `world.other` (the partner on Opstap). The partner sees a
limited, read-only file while there is a sent or accepted referral and the client's
partner-sharing consent for exactly that partner is active; never in its own client list,
search, dashboard or client pages; never the national number, income, IBAN, documents,
special-category data or the audit trail.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from opstap.clients import services as client_services
from opstap.clients.access import get_shared_client_for_user
from opstap.clients.models import Client
from opstap.core.access import activate
from opstap.core.models import FileAccess
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member
from opstap.referrals.choices import Direction, Status
from opstap.referrals.models import Referral

from .helpers import (
    REASON,
    move,
    plain_client,
    refer,
    secret_client,
    secrets_on,
    share_consent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def amina(world):
    return secret_client(world["adviser"], world.own)


def shared_ids(user) -> set[int]:
    activate(user, user.memberships.first().organisation)
    return set(Client.objects.shared_with(user).values_list("pk", flat=True))


def file_url(referral: Referral) -> str:
    return reverse("referrals:shared_file", args=[referral.pk])


# --- the rule itself -------------------------------------------------------------------


def test_consent_without_a_referral_shares_nothing(world, amina):
    share_consent(world["adviser"], amina, world.other)
    assert shared_ids(world.other_adviser) == set()


def test_a_referral_without_consent_shares_nothing(world, amina, login):
    referral = refer(world["adviser"], amina, partner=world.other)
    assert shared_ids(world.other_adviser) == set()
    http = login(world.other_adviser)
    assert http.get(file_url(referral)).status_code == 404
    # The partner sees that a referral exists, not whom it is about or why.
    detail = http.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    listed = http.get(reverse("referrals:list"), {"tab": "inbound"}).content.decode()
    for page in (detail, listed):
        assert "Haddou" not in page
        assert REASON not in page
        assert "Not shared" in page
    assert FileAccess.objects.filter(organisation=world.other).count() == 0


def test_consent_and_a_live_referral_share_the_file(world, amina, login):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    assert shared_ids(world.other_adviser) == {amina.pk}

    http = login(world.other_adviser)
    response = http.get(file_url(referral))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Amina Haddou", "+32 470 12 34 56", "amina@example.org", "Arabic", "Molenbeek"):
        assert shown in page
    detail = http.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Amina Haddou" in detail and REASON in detail


def test_every_look_at_a_shared_file_is_logged_for_the_receiving_organisation(world, amina, login):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    http = login(world.other_adviser)
    http.get(file_url(referral))
    http.get(file_url(referral))
    accesses = FileAccess.objects.filter(client=amina, organisation=world.other)
    assert accesses.count() == 2
    assert {(a.user, a.purpose) for a in accesses} == {(world.other_adviser, "shared_file")}
    # The owner of the file sees who at the partner looked, on the referral page.
    owner_page = login(world["adviser"]).get(reverse("referrals:detail", args=[referral.pk]))
    # Escaped: a generated name can hold an apostrophe (D'hondt).
    assert escape(str(world.other_adviser)) in owner_page.content.decode()


def test_withdrawing_the_consent_ends_the_sharing_on_the_next_request(world, amina, login):
    consent = share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    http = login(world.other_adviser)
    assert http.get(file_url(referral)).status_code == 200

    # Withdrawn through the client page, as an adviser would: no further step is needed.
    owner = login(world["adviser"])
    withdraw_url = reverse("clients:consent_withdraw", args=[amina.pk, consent.pk])
    assert owner.post(withdraw_url).status_code == 302

    assert http.get(file_url(referral)).status_code == 404
    assert shared_ids(world.other_adviser) == set()
    detail = http.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Haddou" not in detail
    # And the owner is told, on the referral, that nothing is shared any more.
    owner_detail = owner.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'data-testid="not-shared-warning"' in owner_detail


@pytest.mark.parametrize(
    ("moves", "shared"),
    [
        ([], True),
        ([Status.ACCEPTED], True),
        ([Status.DECLINED], False),
        ([Status.ACCEPTED, Status.COMPLETED], False),
    ],
)
def test_declined_and_completed_end_the_sharing(world, amina, login, moves, shared):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    for to in moves:
        move(world.other_adviser, referral, to)
    assert (shared_ids(world.other_adviser) == {amina.pk}) is shared
    expected = 200 if shared else 404
    assert login(world.other_adviser).get(file_url(referral)).status_code == expected


def test_consent_for_another_partner_does_not_share(world, amina):
    third = OrganisationFactory(slug="third", name="OCMW Gent")
    share_consent(world["adviser"], amina, third)
    refer(world["adviser"], amina, partner=world.other)
    assert shared_ids(world.other_adviser) == set()
    # ... and a referral to the third organisation does not share with `other` either.
    share_consent(world["adviser"], amina, world.other)
    other_referral = Referral.objects.get(partner=world.other)
    move(world.other_adviser, other_referral, Status.DECLINED)
    refer(world["adviser"], amina, partner=third)
    assert shared_ids(world.other_adviser) == set()
    assert shared_ids(member(third, Role.ADVISER)) == {amina.pk}


def test_an_inbound_or_external_referral_never_shares(world, amina):
    share_consent(world["adviser"], amina, world.other)
    refer(world["adviser"], amina, partner=world.other, direction=Direction.INBOUND)
    refer(world["adviser"], amina, partner_name="VDAB")
    assert shared_ids(world.other_adviser) == set()


def test_the_sharing_is_for_staff_who_see_every_file_not_volunteers_or_auditors(
    world, amina, login
):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    for role in (Role.VOLUNTEER, Role.AUDITOR):
        user = member(world.other, role)
        assert shared_ids(user) == set()
        assert login(user).get(file_url(referral)).status_code == 404
    for role in (Role.LOAN_OFFICER, Role.PROGRAMME_MANAGER):
        user = member(world.other, role)
        assert shared_ids(user) == {amina.pk}
        assert login(user).get(file_url(referral)).status_code == 200


def test_the_sender_opens_its_own_client_on_the_client_page_not_the_shared_one(world, amina, login):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    assert shared_ids(world["adviser"]) == set()
    assert login(world["adviser"]).get(file_url(referral)).status_code == 404


# --- what the shared page never shows --------------------------------------------------


def test_the_shared_page_never_shows_secrets(world, amina, login):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    # The control: the owner's own page has every secret on it (the full national number on
    # request, "Show in full").
    http = login(world["adviser"])
    own_page = http.get(reverse("clients:detail", args=[amina.pk])).content.decode()
    own_page += http.get(reverse("clients:national_number", args=[amina.pk])).content.decode()
    own_secrets = secrets_on(own_page)
    assert all(v for k, v in own_secrets.items() if k != "special category"), own_secrets

    for user in (world.other_adviser, world.other_admin):
        page = login(user).get(file_url(referral)).content.decode()
        assert "Amina Haddou" in page
        assert not any(secrets_on(page).values()), secrets_on(page)
        detail = login(user).get(reverse("referrals:detail", args=[referral.pk]))
        assert not any(secrets_on(detail.content.decode()).values())


def test_the_shared_client_is_loaded_without_the_secret_columns(world, amina):
    share_consent(world["adviser"], amina, world.other)
    refer(world["adviser"], amina, partner=world.other)
    activate(world.other_adviser, world.other)
    client = get_shared_client_for_user(world.other_adviser, amina.pk)
    deferred = client.get_deferred_fields()
    for column in (
        "national_number_encrypted",
        "national_number_last_digits",
        "iban_encrypted",
        "income_monthly",
        "income_source",
        "has_disability",
        "minority_background",
        "residence_status",
    ):
        assert column in deferred


# --- shared clients stay out of the receiver's own pages ---------------------------------


def test_shared_clients_are_not_in_the_receivers_client_pages(world, amina, login):
    share_consent(world["adviser"], amina, world.other)
    referral = refer(world["adviser"], amina, partner=world.other)
    own_client = plain_client(world.other_adviser, world.other, last_name="Jansen")
    http = login(world.other_adviser)
    http.get(file_url(referral))  # a look at the shared file must not put it on the dashboard

    listed = http.get(reverse("clients:list"))
    assert [c.pk for c in listed.context["page"].object_list] == [own_client.pk]
    for query in ("Haddou", "amina", "1080"):
        found = http.get(reverse("clients:list"), {"q": query}).context["page"].object_list
        assert amina not in list(found)
    dashboard = http.get(reverse("dashboard")).content.decode()
    assert "Haddou" not in dashboard
    for name in ("clients:detail", "clients:edit"):
        assert http.get(reverse(name, args=[amina.pk])).status_code == 404
    activate(world.other_adviser, world.other)
    assert not Client.objects.visible_to(world.other_adviser).filter(pk=amina.pk).exists()


def test_the_receiver_cannot_write_to_a_shared_file(world, amina, login):
    consent = share_consent(world["adviser"], amina, world.other)
    refer(world["adviser"], amina, partner=world.other)
    http = login(world.other_adviser)
    before = Client.objects.get(pk=amina.pk).updated_at
    urls = [
        reverse("clients:edit", args=[amina.pk]),
        reverse("clients:consent_record", args=[amina.pk]),
        reverse("clients:consent_withdraw", args=[amina.pk, consent.pk]),
        reverse("clients:coach_assign", args=[amina.pk]),
    ]
    for url in urls:
        assert http.post(url, {"first_name": "X"}).status_code == 404
    assert Client.objects.get(pk=amina.pk).updated_at == before
    assert amina.consents.get(pk=consent.pk).withdrawn_on is None


# --- one rule, two readings ----------------------------------------------------------------


@pytest.mark.parametrize("with_consent", [True, False])
@pytest.mark.parametrize(
    "moves", [[], [Status.ACCEPTED], [Status.DECLINED], [Status.ACCEPTED, Status.COMPLETED]]
)
def test_the_referral_flag_agrees_with_the_client_queryset(world, with_consent, moves):
    client = plain_client(world["adviser"], world.own)
    if with_consent:
        share_consent(world["adviser"], client, world.other)
    referral = refer(world["adviser"], client, partner=world.other)
    for to in moves:
        move(world.other_adviser, referral, to)
    flagged = Referral.objects.with_sharing().get(pk=referral.pk).file_shared
    assert flagged == (client.pk in shared_ids(world.other_adviser))
    # Without the annotation the property asks the database itself, with the same answer.
    assert Referral.objects.get(pk=referral.pk).file_shared == flagged


def test_withdrawal_through_the_service_is_enough(world, amina):
    consent = share_consent(world["adviser"], amina, world.other)
    refer(world["adviser"], amina, partner=world.other)
    assert shared_ids(world.other_adviser) == {amina.pk}
    client_services.consent_withdraw(actor=world["adviser"], consent=consent)
    assert shared_ids(world.other_adviser) == set()
    # A new consent brings it back: the rule is read each time, nothing was copied.
    share_consent(world["adviser"], amina, world.other)
    assert shared_ids(world.other_adviser) == {amina.pk}
