"""Organisations, members and roles, and switching between organisations."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from opstap.clients.tests.factories import ClientFactory
from opstap.core import services
from opstap.core.identifiers import (
    ENTERPRISE_NUMBER_BE,
    ENTERPRISE_NUMBER_NL,
    STDNUM_CHECKSUM,
    STDNUM_FORMAT,
    STDNUM_LENGTH,
)
from opstap.core.middleware import SESSION_KEY
from opstap.core.models import AuditEvent, Membership, MembershipRole, Organisation, User
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, UserFactory, member

VALID_KBO = "0403.170.701"  # a real Belgian enterprise number


def _messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return exc.value.message_dict[field]


def _codes(exc: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return [e.code for e in exc.value.error_dict[field]]


def _create(**overrides):
    fields = {"slug": "nieuw", "name": "Nieuwe Organisatie", "kind": "ngo", "country": "BE"}
    return services.organisation_create(actor=None, **{**fields, **overrides})


# --- organisation_create ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("number", [VALID_KBO, "0403170701", "BE 0403 170 701", "403170701"])
def test_organisation_create_stores_the_kbo_number_compact(number):
    organisation = _create(enterprise_number=number)
    assert Organisation.objects.get(pk=organisation.pk).enterprise_number == "0403170701"
    event = AuditEvent.objects.get(action="organisation.create")
    assert event.organisation == organisation
    assert event.changes["enterprise_number"] == [None, "0403170701"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("04031707", STDNUM_LENGTH),  # 8 digits
        ("040317070100", STDNUM_LENGTH),  # 12 digits
        ("0403.170.702", STDNUM_CHECKSUM),  # last digit mistyped
        ("04O3170701", STDNUM_FORMAT),  # a letter O for a zero
    ],
)
def test_organisation_create_says_what_is_wrong_with_a_kbo_number(number, problem):
    with pytest.raises(ValidationError) as exc:
        _create(enterprise_number=number)
    assert _codes(exc, "enterprise_number") == ["enterprise_number"]
    assert _messages(exc, "enterprise_number") == [str(ENTERPRISE_NUMBER_BE % {"problem": problem})]
    assert not Organisation.objects.filter(slug="nieuw").exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_kbo_number_of_digits_is_never_told_it_may_only_contain_digits():
    with pytest.raises(ValidationError) as exc:
        _create(enterprise_number="2.403.170.701")  # an establishment unit, not an enterprise
    assert _messages(exc, "enterprise_number") != [
        str(ENTERPRISE_NUMBER_BE % {"problem": STDNUM_FORMAT})
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["12345678", "1234 5678", "1234.5678"])
def test_organisation_create_accepts_a_kvk_number_of_eight_digits(number):
    organisation = _create(country="NL", enterprise_number=number)
    assert organisation.enterprise_number == "12345678"


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["1234567", "123456789", "1234567a", VALID_KBO])
def test_organisation_create_refuses_a_kvk_number_that_is_not_eight_digits(number):
    with pytest.raises(ValidationError) as exc:
        _create(country="NL", enterprise_number=number)
    assert _messages(exc, "enterprise_number") == [str(ENTERPRISE_NUMBER_NL)]


@pytest.mark.django_db
def test_organisation_create_names_every_bad_field_at_once():
    OrganisationFactory(slug="bestaand")
    with pytest.raises(ValidationError) as exc:
        _create(slug="bestaand", kind="bank", country="BE", enterprise_number="123")
    assert set(exc.value.message_dict) == {"slug", "kind", "enterprise_number"}
    assert _codes(exc, "slug") == ["slug_taken"]
    assert Organisation.objects.filter(slug="bestaand").count() == 1


@pytest.mark.django_db
def test_organisation_create_without_enterprise_number():
    organisation = _create()
    assert organisation.enterprise_number == ""
    assert organisation.country == "BE"


# --- member_add ------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_add_creates_a_new_user_without_a_usable_password(world):
    membership = services.member_add(
        actor=world["org_admin"],
        organisation=world.own,
        email="  Nieuw.Lid@Example.ORG ",
        roles={Role.ADVISER, Role.LOAN_OFFICER},
        first_name="Nieuw",
        last_name="Lid",
    )
    user = User.objects.get(email="nieuw.lid@example.org")
    assert membership.user == user
    assert not user.has_usable_password()
    assert membership.roles == {Role.ADVISER, Role.LOAN_OFFICER}
    event = AuditEvent.objects.get(action="member.add")
    assert (event.actor, event.organisation) == (world["org_admin"], world.own)
    assert event.changes["roles"] == [None, [Role.ADVISER, Role.LOAN_OFFICER]]


@pytest.mark.django_db
def test_member_add_reuses_an_existing_user_of_another_organisation(world):
    users_before = User.objects.count()
    membership = services.member_add(
        actor=world["org_admin"],
        organisation=world.own,
        email="ADVISER@other.example",
        roles={Role.COMMITTEE},
    )
    assert membership.user == world.other_adviser
    assert User.objects.count() == users_before
    assert world.other_adviser.memberships.count() == 2


@pytest.mark.django_db
def test_member_add_refuses_someone_who_is_already_a_member(world):
    before = (
        Membership.objects.count(),
        MembershipRole.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            actor=world["org_admin"],
            organisation=world.own,
            email="Adviser@Own.Example",
            roles={Role.ORG_ADMIN},
        )
    assert _codes(exc, "email") == ["already_member"]
    assert _messages(exc, "email") == [str(services.ALREADY_MEMBER)]
    assert (
        Membership.objects.count(),
        MembershipRole.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    assert Membership.objects.get(user=world["adviser"]).roles == {Role.ADVISER}


@pytest.mark.django_db
def test_member_add_gives_a_former_member_access_again_with_the_new_roles_only(world):
    membership = Membership.objects.get(user=world["loan_officer"])
    services.member_deactivate(actor=world["org_admin"], membership=membership)
    again = services.member_add(
        actor=world["org_admin"],
        organisation=world.own,
        email="loan_officer@own.example",
        roles={Role.COMMITTEE},
    )
    assert again.pk == membership.pk
    again.refresh_from_db()
    assert again.is_active
    assert set(again.role_grants.values_list("role", flat=True)) == {Role.COMMITTEE}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "code", "message"),
    [
        (set(), "role_required", services.ROLE_REQUIRED),
        ({Role.ADVISER, "director"}, "role_unknown", "Unknown role: director."),
    ],
)
def test_member_add_needs_known_roles(world, roles, code, message):
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            actor=world["org_admin"],
            organisation=world.own,
            email="someone@example.org",
            roles=roles,
        )
    assert _codes(exc, "roles") == [code]
    assert _messages(exc, "roles") == [str(message)]
    assert (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


# --- member_set_roles and member_deactivate --------------------------------------------


@pytest.mark.django_db
def test_member_set_roles_replaces_the_roles_and_audits_old_and_new(world):
    membership = Membership.objects.get(user=world["adviser"])
    services.member_set_roles(
        actor=world["org_admin"], membership=membership, roles={Role.LOAN_OFFICER, Role.COMMITTEE}
    )
    assert set(membership.role_grants.values_list("role", flat=True)) == {
        Role.LOAN_OFFICER,
        Role.COMMITTEE,
    }
    event = AuditEvent.objects.get(action="member.set_roles")
    assert event.actor == world["org_admin"]
    assert event.object_id == str(membership.pk)
    assert event.changes == {"roles": [[Role.ADVISER], [Role.COMMITTEE, Role.LOAN_OFFICER]]}


@pytest.mark.django_db
def test_the_last_org_admin_cannot_drop_the_admin_role(world):
    membership = Membership.objects.get(user=world["org_admin"])
    with pytest.raises(ValidationError) as exc:
        services.member_set_roles(
            actor=world["org_admin"], membership=membership, roles={Role.ADVISER}
        )
    assert _codes(exc, "roles") == ["last_admin"]
    assert _messages(exc, "roles") == [str(services.LAST_ADMIN)]
    assert membership.roles == {Role.ORG_ADMIN}
    assert set(membership.role_grants.values_list("role", flat=True)) == {Role.ORG_ADMIN}
    assert not AuditEvent.objects.filter(action="member.set_roles").exists()


@pytest.mark.django_db
def test_the_last_org_admin_cannot_be_deactivated(world):
    membership = Membership.objects.get(user=world["org_admin"])
    with pytest.raises(ValidationError) as exc:
        services.member_deactivate(actor=world["org_admin"], membership=membership)
    assert exc.value.code == "last_admin"
    membership.refresh_from_db()
    assert membership.is_active
    assert not AuditEvent.objects.filter(action="member.deactivate").exists()


@pytest.mark.django_db
def test_an_inactive_second_admin_does_not_count(world):
    second = Membership.objects.get(
        user=member(world.own, Role.ORG_ADMIN, email="tweede@own.example")
    )
    services.member_deactivate(actor=world["org_admin"], membership=second)
    # The other admin of another organisation does not count either.
    first = Membership.objects.get(user=world["org_admin"])
    with pytest.raises(ValidationError):
        services.member_deactivate(actor=world["org_admin"], membership=first)
    # A user whose account is blocked is no admin either.
    third_user = member(world.own, Role.ORG_ADMIN, email="derde@own.example")
    User.objects.filter(pk=third_user.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        services.member_set_roles(actor=world["org_admin"], membership=first, roles={Role.ADVISER})


@pytest.mark.django_db
def test_with_a_second_admin_the_first_may_step_down(world):
    member(world.own, Role.ORG_ADMIN, email="tweede@own.example")
    first = Membership.objects.get(user=world["org_admin"])
    services.member_deactivate(actor=world["org_admin"], membership=first)
    first.refresh_from_db()
    assert not first.is_active
    event = AuditEvent.objects.get(action="member.deactivate")
    assert event.changes == {"is_active": [True, False]}
    assert (event.actor, event.organisation) == (world["org_admin"], world.own)


# --- the views on top: errors reach the admin, nothing half-done -----------------------


@pytest.mark.django_db
def test_members_page_refuses_removing_the_last_admin_with_the_message(world, login):
    http = login(world["org_admin"])
    membership = Membership.objects.get(user=world["org_admin"])
    response = http.post(reverse("member_deactivate", args=[membership.pk]), follow=True)
    assert str(services.LAST_ADMIN) in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active

    response = http.post(reverse("member_edit", args=[membership.pk]), {"roles": [Role.ADVISER]})
    assert response.status_code == 200
    assert str(services.LAST_ADMIN) in response.content.decode()
    assert membership.roles == {Role.ORG_ADMIN}


@pytest.mark.django_db
def test_member_add_page_shows_already_member_beside_the_email(world, login):
    response = login(world["org_admin"]).post(
        reverse("member_add"),
        {"email": "adviser@own.example", "first_name": "A", "last_name": "B", "roles": ["adviser"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(services.ALREADY_MEMBER)]


# --- switching the active organisation -------------------------------------------------


@pytest.fixture
def two_org_user(world) -> User:
    user = UserFactory(email="beide@example.org", first_name="Beide")
    member(world.own, Role.ADVISER, user=user)
    member(world.other, Role.ADVISER, user=user)
    return user


@pytest.mark.django_db
def test_switch_to_an_organisation_the_user_is_not_in_answers_404(world, login):
    stranger = OrganisationFactory(slug="vreemd", name="Vreemde Organisatie")
    http = login(world["adviser"])
    for organisation in (world.other, stranger):
        response = http.post(reverse("switch_organisation"), {"organisation": organisation.pk})
        assert response.status_code == 404
    assert http.post(reverse("switch_organisation"), {"organisation": "x"}).status_code == 404
    assert SESSION_KEY not in http.session
    assert "Microkrediet Brussel" in http.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_switch_to_an_inactive_membership_answers_404(world, two_org_user, login):
    Membership.objects.filter(user=two_org_user, organisation=world.other).update(is_active=False)
    http = login(two_org_user)
    response = http.post(reverse("switch_organisation"), {"organisation": world.other.pk})
    assert response.status_code == 404


@pytest.mark.django_db
def test_switching_changes_what_the_user_sees(world, two_org_user, login):
    own_client = ClientFactory(organisation=world.own, last_name="Brusselaar")
    other_client = ClientFactory(organisation=world.other, last_name="Emmerveener")
    http = login(two_org_user)
    # The first organisation by name is active at first: Gemeente Emmerveen.
    dashboard = http.get(reverse("dashboard")).content.decode()
    assert "You work in Gemeente Emmerveen" in dashboard

    response = http.post(
        reverse("switch_organisation"),
        {"organisation": world.own.pk, "next": reverse("clients:list")},
    )
    assert response.status_code == 302
    # A client page of the old organisation would answer 404, so the user lands on the dashboard.
    assert response["Location"] == reverse("dashboard")
    assert "You work in Microkrediet Brussel" in http.get(reverse("dashboard")).content.decode()
    assert http.get(reverse("clients:detail", args=[own_client.pk])).status_code == 200
    assert http.get(reverse("clients:detail", args=[other_client.pk])).status_code == 404
    listed = http.get(reverse("clients:list")).context["page"].object_list
    assert [c.last_name for c in listed] == ["Brusselaar"]

    http.post(reverse("switch_organisation"), {"organisation": world.other.pk})
    assert "You work in Gemeente Emmerveen" in http.get(reverse("dashboard")).content.decode()
    assert http.get(reverse("clients:detail", args=[own_client.pk])).status_code == 404
    assert http.get(reverse("clients:detail", args=[other_client.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_switch_never_redirects_off_site(world, two_org_user, login, next_url):
    response = login(two_org_user).post(
        reverse("switch_organisation"), {"organisation": world.own.pk, "next": next_url}
    )
    assert response["Location"] == reverse("dashboard")


@pytest.mark.django_db
def test_switch_returns_to_a_page_outside_the_client_files(world, two_org_user, login):
    response = login(two_org_user).post(
        reverse("switch_organisation"), {"organisation": world.own.pk, "next": reverse("members")}
    )
    assert response["Location"] == reverse("members")


@pytest.mark.django_db
def test_switch_is_post_only(world, two_org_user, login):
    response = login(two_org_user).get(
        reverse("switch_organisation"), {"organisation": world.own.pk}
    )
    assert response.status_code == 405


@pytest.mark.django_db
def test_roles_follow_the_active_organisation(world, login):
    # Organisation admin in one, volunteer in the other: the admin pages follow the switch.
    user = UserFactory(email="wissel@example.org")
    member(world.own, Role.VOLUNTEER, user=user)
    member(world.other, Role.ORG_ADMIN, user=user)
    http = login(user)
    http.post(reverse("switch_organisation"), {"organisation": world.other.pk})
    assert http.get(reverse("members")).status_code == 200
    http.post(reverse("switch_organisation"), {"organisation": world.own.pk})
    assert http.get(reverse("members")).status_code == 404
    assert http.get(reverse("audit_log")).status_code == 404


@pytest.mark.django_db
def test_audit_event_records_time_of_change(world):
    before = datetime.datetime.now(datetime.UTC)
    services.member_add(
        actor=world["org_admin"],
        organisation=world.own,
        email="t@example.org",
        roles={Role.ADVISER},
    )
    event = AuditEvent.objects.get(action="member.add")
    assert before <= event.created_at <= datetime.datetime.now(datetime.UTC)
