"""The demo generator: deterministic, valid numbers everywhere, and a safe command."""

from __future__ import annotations

import datetime
import io
import random
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from stdnum import iban as stdnum_iban
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat
from stdnum.nl import bsn as nl_bsn
from stdnum.nl import postcode as nl_postcode

from opstap.activities.models import Activity, ActivitySeries
from opstap.clients.choices import LANGUAGE_CHOICES, ConsentPurpose, Household
from opstap.clients.models import Client, ClientCoach, ClientDocument, normalise_for_search
from opstap.coaching.models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from opstap.core import crypto
from opstap.core.access import activate
from opstap.core.identifiers import (
    validate_enterprise_number,
    validate_national_number,
    validate_postcode,
)
from opstap.core.models import (
    AuditChainHead,
    AuditEvent,
    FileAccess,
    Membership,
    MembershipRole,
    Organisation,
    User,
)
from opstap.core.roles import Role
from opstap.core.services import organisation_create
from opstap.demo import generator as g
from opstap.demo import privacy as demo_privacy
from opstap.journeys.models import PhaseChange, Programme, Trajectory
from opstap.privacy.models import (
    DataBreach,
    Erasure,
    ExportRequest,
    RetentionAction,
    RetentionRun,
)
from opstap.referrals.choices import Direction, Status
from opstap.referrals.models import Referral, ReferralEvent

N = 60
SEED = 7
# The privacy demo adds one lead whose file has expired (opstap/demo/privacy.py).
EXPIRED_LEADS = 1
LANGUAGE_CODES = {code for code, _ in LANGUAGE_CHOICES}


@pytest.fixture
def built_on(monkeypatch):
    """The day the demo is built, fixed for the test: two builds a second apart around
    midnight would otherwise date their sessions and referrals from different days."""
    day = timezone.localdate()
    monkeypatch.setattr(g, "build_day", lambda: day, raising=False)
    return day


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return settings


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def wipe() -> None:
    # The logs are append-only for the application (and a trigger on PostgreSQL refuses
    # DELETE); a test that starts the demo again empties them as an operator would.
    tables = [model._meta.db_table for model in (AuditEvent, FileAccess, AuditChainHead)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's transaction has deferred foreign-key checks pending, which
            # PostgreSQL will not TRUNCATE over: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
    # What the privacy app recorded keeps its organisation (PROTECT); its rules stay.
    for model in (RetentionAction, RetentionRun, Erasure, ExportRequest, DataBreach):
        model.objects.all().delete()
    for model in (ReferralEvent, Referral, ActionItem, CaseNote, CoachingSession, VolunteerProfile):
        model.objects.all().delete()
    Activity.objects.all().delete()
    ActivitySeries.objects.all().delete()
    Trajectory.objects.all().delete()
    Programme.objects.all().delete()
    Client.objects.all().delete()
    Organisation.objects.all().delete()
    User.objects.all().delete()


# Pure generation ---------------------------------------------------------------------


def test_same_seed_gives_the_same_clients_and_staff():
    first = g.DemoPlan(clients=N, seed=SEED)
    second = g.DemoPlan(clients=N, seed=SEED)
    assert first.members == second.members
    assert first.enterprise_numbers == second.enterprise_numbers
    assert list(first.client_specs()) == list(second.client_specs())
    other = g.generate_clients(clients=N, seed=SEED + 1)
    assert [c.full_name for c in other] != [
        c.full_name for c in g.generate_clients(clients=N, seed=SEED)
    ]


def test_generated_clients_are_valid_and_consistent():
    specs = g.generate_clients(clients=1500, seed=SEED)
    assert [sum(1 for s in specs if s.organisation == slug) for slug in g.DEMO_SLUGS] == [
        675,
        450,
        375,
    ]
    oldest = datetime.date(1960, 11, 2)  # 65 on the reference date
    youngest = datetime.date(2008, 11, 1)  # 18 on the reference date
    numbers: dict[str, set[str]] = {slug: set() for slug in g.DEMO_SLUGS}
    for s in specs:
        country = g.ORGANISATIONS_BY_SLUG[s.organisation].country
        assert oldest <= s.birth_date <= youngest
        if s.national_number:
            assert validate_national_number(s.national_number, country) == s.national_number
            if country == "BE":
                assert be_nn.is_valid(s.national_number)
                assert be_nn.get_birth_date(s.national_number) == s.birth_date
            else:
                assert nl_bsn.is_valid(s.national_number) and s.national_number[0] != "0"
            assert s.national_number not in numbers[s.organisation]
            numbers[s.organisation].add(s.national_number)

        assert validate_postcode(s.postcode, country) == s.postcode
        if s.organisation == "microkrediet-brussel":
            assert 1000 <= int(s.postcode) <= 1210
        elif s.organisation == "starterspunt-gent":
            assert 9000 <= int(s.postcode) <= 9052
        else:
            assert nl_postcode.is_valid(s.postcode) and re.fullmatch(r"78\d\d [A-Z]{2}", s.postcode)
        assert s.municipality and s.neighbourhood and s.street

        if s.iban:
            assert stdnum_iban.is_valid(s.iban) and s.iban[:2] == country

        if s.income_monthly is not None:
            assert isinstance(s.income_monthly, Decimal)
            assert s.income_monthly.as_tuple().exponent == -2 and s.income_monthly >= 0
            assert s.income_source
        if s.children_ages:
            assert s.household in (Household.SINGLE_PARENT, Household.COUPLE)
            assert all(0 <= age <= 30 for age in s.children_ages)

        assert 1 <= len(s.languages) <= 3 and len(set(s.languages)) == len(s.languages)
        assert set(s.languages) <= LANGUAGE_CODES and s.preferred_language in s.languages
        assert s.education is None or 0 <= s.education <= 8
        assert s.email == "" or s.email.split("@")[1].startswith("example.")

        active_special = False
        for consent in s.consents:
            assert s.entry_date <= consent.given_on <= g.REFERENCE_DATE
            if consent.withdrawn_on is not None:
                assert consent.given_on < consent.withdrawn_on <= g.REFERENCE_DATE
            if consent.purpose == ConsentPurpose.PARTNER_SHARING:
                assert consent.partner in g.DEMO_SLUGS and consent.partner != s.organisation
            else:
                assert consent.partner == ""
            if consent.purpose == ConsentPurpose.SPECIAL_CATEGORY and not consent.withdrawn_on:
                active_special = True
        assert (s.has_disability is not None) == active_special
        assert (s.minority_background is not None) == active_special

    share = sum(1 for s in specs if s.national_number) / len(specs)
    assert 0.8 < share < 0.9
    assert sum(1 for s in specs if s.origin != "local") > len(specs) * 0.4
    purposes = {c.purpose for s in specs for c in s.consents}
    assert purposes == set(ConsentPurpose.values)
    assert any(c.withdrawn_on for s in specs for c in s.consents)


def test_number_generators():
    rng = random.Random(1)
    # The example from python-stdnum's documentation: 85.07.30-033.28.
    assert g.be_national_number(datetime.date(1985, 7, 30), 33) == "85073003328"
    born_2005 = g.be_national_number(datetime.date(2005, 3, 4), 2)
    assert be_nn.is_valid(born_2005) and be_nn.get_birth_date(born_2005).year == 2005
    for _ in range(200):
        kbo = g.kbo_number(rng)
        assert be_vat.is_valid(kbo) and kbo[0] in "01" and len(kbo) == 10
        assert validate_enterprise_number(kbo, "BE") == kbo
        assert nl_bsn.is_valid(g.nl_bsn(rng))
        assert stdnum_iban.is_valid(g.be_iban(rng))
        assert stdnum_iban.is_valid(g.nl_iban(rng))
        assert nl_postcode.is_valid(g.nl_postcode(rng, 7811, 7887))


def test_minimal_pdf_is_well_formed():
    pdf = g.document_pdf("plan")
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[xref:].startswith(b"xref\n0 6\n")
    offsets = re.findall(rb"(\d{10}) 00000 n \n", pdf)
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset) :].startswith(f"{number} 0 obj".encode())


def test_logins_block_has_every_role_of_every_organisation():
    block = g.demo_logins()
    assert block.startswith(f"Demo logins (password: {g.DEMO_PASSWORD}")
    for spec in g.ORGANISATIONS:
        assert f"  {spec.name}\n" in block
        for role in Role:
            assert re.search(rf"^    {role.value} +{re.escape(spec.login(role))}$", block, re.M)
    assert g.MULTI_EMAIL in block and g.SUPERUSER_EMAIL in block


# The database ------------------------------------------------------------------------


@pytest.mark.django_db
def test_build_creates_organisations_staff_and_clients(demo_settings):
    out = run("--clients", str(N), "--seed", str(SEED))

    organisations = {o.slug: o for o in Organisation.objects.all()}
    assert set(organisations) == set(g.DEMO_SLUGS)
    for spec in g.ORGANISATIONS:
        organisation = organisations[spec.slug]
        assert (organisation.country, organisation.kind) == (spec.country, spec.kind)
        assert validate_enterprise_number(organisation.enterprise_number, spec.country)
        roles = set(
            MembershipRole.objects.filter(membership__organisation=organisation).values_list(
                "role", flat=True
            )
        )
        assert roles == set(Role.values)
        volunteer = User.objects.get(email=spec.login(Role.VOLUNTEER))
        assigned = ClientCoach.objects.filter(coach=volunteer, client__organisation=organisation)
        assert assigned.count() >= 9
        assert out.count(spec.login(Role.ADVISER)) == 1

    assert Client.objects.count() == N + EXPIRED_LEADS
    assert [Client.objects.filter(organisation__slug=s).count() for s in g.DEMO_SLUGS] == [
        27 + EXPIRED_LEADS,
        18,
        15,
    ]
    multi = Membership.objects.filter(user__email=g.MULTI_EMAIL)
    assert sorted(m.organisation.slug for m in multi) == sorted(g.MULTI_ORGS)
    superuser = User.objects.get(email=g.SUPERUSER_EMAIL)
    assert superuser.is_superuser and superuser.is_staff
    assert superuser.check_password(g.DEMO_PASSWORD)
    assert User.objects.get(email="admin@emmerveen.demo").check_password(g.DEMO_PASSWORD)

    # The rows are the plan: same names, dates and national numbers.
    specs = {
        (s.organisation, s.external_reference): s for s in g.generate_clients(clients=N, seed=SEED)
    }
    expired = Client.objects.filter(created_at=demo_privacy.LAST_CHANGED)
    for client in Client.objects.exclude(pk__in=expired).select_related("organisation", "adviser"):
        spec = specs[client.organisation.slug, client.external_reference]
        country = client.organisation.country
        assert (client.first_name, client.last_name, client.birth_date) == (
            spec.first_name,
            spec.last_name,
            spec.birth_date,
        )
        assert client.national_number_hash == crypto.lookup_hash(spec.national_number)
        assert client.search_name == normalise_for_search(client.full_name)
        if client.national_number:
            assert validate_national_number(client.national_number, country)
            assert client.national_number_country == country
        if client.iban:
            assert stdnum_iban.is_valid(client.iban)
        if client.income_monthly is not None:
            assert client.income_monthly.as_tuple().exponent == -2
        assert client.adviser.memberships.filter(organisation=client.organisation).exists()
        event = AuditEvent.objects.get(action="client.create", client=client)
        assert event.actor_id == client.adviser_id
        assert event.object_repr == client.full_name and event.object_id == str(client.pk)

    documents = ClientDocument.objects.select_related("client")
    assert documents.count() >= 3
    for document in documents:
        assert document.file.name.startswith(f"clients/{document.client.organisation_id}/")
        with document.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert document.size == document.file.size

    assert f"Demo logins (password: {g.DEMO_PASSWORD}" in out
    assert re.search(r"in \d+\.\d s\.", out)


@pytest.mark.django_db
def test_same_seed_twice_gives_the_same_database(demo_settings, built_on):
    def snapshot() -> list[list[tuple]]:
        client = ("client__organisation__slug", "client__external_reference")
        return [
            list(
                # The expired demo lead has no external reference: the name breaks the tie.
                Client.objects.order_by(
                    "organisation__slug", "external_reference", "first_name", "last_name"
                ).values_list(
                    "first_name",
                    "last_name",
                    "birth_date",
                    "national_number_hash",
                    "postcode",
                    "income_monthly",
                )
            ),
            list(
                CoachingSession.objects.order_by(*client, "on", "coach__email").values_list(
                    *client, "coach__email", "on", "duration_minutes", "topics", "next_steps"
                )
            ),
            list(
                CaseNote.objects.order_by(*client, "text", "author__email").values_list(
                    *client, "author__email", "text", "confidential", "created_at__date"
                )
            ),
            list(
                Referral.objects.order_by(*client, "sent_on", "status").values_list(
                    *client,
                    "direction",
                    "partner__slug",
                    "partner_name",
                    "status",
                    "sent_on",
                    "answered_on",
                    "completed_on",
                    "outcome",
                )
            ),
            list(
                VolunteerProfile.objects.order_by("user__email").values_list(
                    "user__email", "expertise", "languages", "max_clients"
                )
            ),
        ]

    run("--clients", "30", "--seed", "11")
    first = snapshot()
    wipe()
    run("--clients", "30", "--seed", "11")
    assert snapshot() == first and len(first[0]) == 30 + EXPIRED_LEADS
    assert all(first), "every table of the snapshot has rows"


@pytest.mark.django_db
def test_if_empty_builds_nothing_when_an_organisation_exists(demo_settings):
    organisation_create(actor=None, slug="elders", name="Elders", kind="ngo", country="BE")
    out = run("--if-empty", "--clients", "10")
    assert Organisation.objects.count() == 1
    assert Client.objects.count() == 0
    assert "no demo data added" in out


@pytest.mark.django_db
def test_if_empty_after_a_build_prints_the_logins_again(demo_settings):
    run("--clients", "5")
    out = run("--if-empty")
    assert Client.objects.count() == 5 + EXPIRED_LEADS
    assert "admin@microkrediet-brussel.demo" in out and g.MULTI_EMAIL in out


@pytest.mark.django_db
def test_building_twice_is_refused(demo_settings):
    run("--clients", "5")
    with pytest.raises(CommandError, match="already exist"):
        run("--clients", "5")
    assert Client.objects.count() == 5 + EXPIRED_LEADS


@pytest.mark.django_db
def test_production_refuses(demo_settings):
    demo_settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run("--clients", "5")
    with pytest.raises(CommandError, match="production"):
        run("--if-empty")
    assert not Organisation.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_routes_narrow_like_a_funnel_and_histories_are_legal(demo_settings):
    run("--clients", "60", "--seed", "5")
    trajectories = Trajectory.objects.select_related("route_type").prefetch_related("phase_changes")
    assert trajectories.count() >= 60
    for trajectory in trajectories:
        changes = list(trajectory.phase_changes.all())
        assert changes[0].from_phase == ""
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_phase == before.to_phase
            assert after.to_phase in trajectory.route_type.allowed_moves(before.to_phase)
            assert after.on >= before.on
        assert (trajectory.phase == "closed") == (trajectory.outcome_id is not None)
    # Only the starter route runs from outreach; the others begin at intake.
    starters = PhaseChange.objects.filter(trajectory__route_type__code="starter")
    reached = {
        p: starters.filter(to_phase=p).values("client").distinct().count()
        for p in ("outreach", "informed", "intake", "guidance")
    }
    assert reached["outreach"] >= reached["informed"] >= reached["guidance"] > 0
    assert Programme.objects.count() == 6


@pytest.mark.django_db
def test_every_organisation_has_notes_sessions_profiles_and_referrals(demo_settings, built_on):
    """Every screen has something to show: case notes (one confidential), this month's
    sessions of the volunteer, a profile for every volunteer and referrals in every status.
    (The loans' close of business up to today: test_lending_demo.py.)"""
    run("--clients", str(N), "--seed", str(SEED))
    month = built_on.replace(day=1)
    for spec in g.ORGANISATIONS:
        organisation = Organisation.objects.get(slug=spec.slug)
        notes = CaseNote.objects.filter(organisation=organisation)
        confidential = notes.filter(confidential=True)
        assert confidential.exists() and notes.filter(confidential=False).exists()
        # A confidential note is read by its author and the admin, not by a colleague.
        note = confidential.first()
        admin = User.objects.get(email=spec.login(Role.ORG_ADMIN))
        colleague = User.objects.get(email=spec.adviser_emails()[1])
        assert note.author.email == spec.login(Role.ADVISER)
        for user, sees in ((note.author, True), (admin, True), (colleague, False)):
            activate(user, organisation)
            assert CaseNote.objects.visible_to(user).filter(pk=note.pk).exists() is sees
        assert all(n.created_at.date() <= built_on for n in notes)

        # The volunteer's "my sessions and hours this month", and a profile for every one.
        volunteers = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role_grants__role=Role.VOLUNTEER,
        )
        assert volunteers.exists()
        for volunteer in volunteers:
            assert VolunteerProfile.objects.filter(
                user=volunteer, organisation=organisation, active=True
            ).exists()
        volunteer = User.objects.get(email=spec.login(Role.VOLUNTEER))
        mine = CoachingSession.objects.filter(coach=volunteer, organisation=organisation)
        this_month = mine.in_month(built_on).totals()
        assert this_month["sessions"] >= 2 and this_month["minutes"] > 0
        assert mine.filter(on__lt=month).exists()
        assigned = set(
            ClientCoach.objects.filter(coach=volunteer).values_list("client_id", flat=True)
        )
        assert set(mine.values_list("client_id", flat=True)) <= assigned
        sessions = CoachingSession.objects.filter(organisation=organisation)
        assert sessions.exclude(coach=volunteer).exists()
        assert not sessions.filter(on__gt=built_on).exists()

        # Referrals in every status, outbound and inbound, one answered by a demo partner.
        referrals = Referral.objects.filter(organisation=organisation)
        assert set(referrals.values_list("status", flat=True)) == set(Status.values)
        assert set(referrals.values_list("direction", flat=True)) == set(Direction.values)
        assert referrals.filter(partner__isnull=False).exists()
        assert ReferralEvent.objects.filter(
            referral__organisation=organisation,
            organisation__in=Organisation.objects.exclude(pk=organisation.pk),
        ).exists()
        assert not referrals.filter(sent_on__gt=built_on).exists()
        for referral in referrals.filter(status=Status.COMPLETED):
            assert referral.outcome and referral.sent_on <= referral.answered_on
            assert referral.answered_on <= referral.completed_on <= built_on

        # Action plans: one overdue action at least, for the dashboard's panel.
        actions = ActionItem.objects.filter(organisation=organisation)
        assert actions.overdue(on=built_on).exists()
        assert actions.filter(status="done").exists()
