"""Hot pages make the same number of queries however much data the organisation holds.

Each test fills the database a little, counts the queries of one page view, fills it a lot
more (with every per-row relation the page shows: consents, coaches, audit events, file
accesses, documents), and counts again. The counts must be equal (no query per row) and
equal to the pinned number, so that a new query on a hot page is a conscious decision.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opstap.clients.models import (
    Client,
    ClientCoach,
    ClientDocument,
    Consent,
    normalise_for_search,
)
from opstap.core.models import AuditEvent, FileAccess, Membership, MembershipRole, User
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member

SMALL, LARGE = 10, 500

# The number of queries of each page, whatever the size. Every page pays 4 for the request
# itself: the session, the user, the memberships and their roles (ActiveOrganisationMiddleware).
PINNED = {
    # + count, page of clients, advisers for the filter
    ("clients:list", Role.ADVISER): 7,
    ("clients:list", Role.VOLUNTEER): 7,
    # + client, FileAccess insert (3: the chain head locked, the row, the head moved),
    #   consents, coaches, documents, timeline, coach candidates, partner organisations
    #   of the consent form, the routes
    ("clients:detail", Role.ADVISER): 15,
    # + client, FileAccess insert (3: the chain head locked, the row, the head moved),
    #   consents, coaches, timeline (no documents, no forms), routes
    ("clients:detail", Role.VOLUNTEER): 12,
    # + clients advised and coached (a list and a capped count each), recently viewed (the
    #   last opening per file, then those files), without consent (list and capped count);
    #   panels: aftercare check-ins due, overdue actions (coaching), activities this week
    #   (one query each; referrals, reports and imports panels are links only)
    ("dashboard", Role.ADVISER): 15,
    # + clients advised and coached (a list and a capped count each), recently viewed (two);
    #   panels: overdue actions, sessions and hours this month (coaching), activities
    ("dashboard", Role.VOLUNTEER): 13,
    # + as the adviser, plus the figures, the member count and the latest audit events
    ("dashboard", Role.ORG_ADMIN): 17,
    # + members with their users, their roles
    ("members", Role.ORG_ADMIN): 6,
    # + count, users for the filter, page of events with actors and clients
    ("audit_log", Role.ORG_ADMIN): 7,
}


def count_queries(http, url: str) -> tuple[int, list[str]]:
    http.get(url)  # warm-up: anything cached per process is cached before counting
    with CaptureQueriesContext(connection) as context:
        response = http.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


def assert_same(small: tuple[int, list[str]], large: tuple[int, list[str]], pinned: int) -> None:
    extra = "\n".join(large[1][len(small[1]) :]) if large[0] > small[0] else ""
    assert small[0] == large[0], (
        f"{small[0]} queries with little data, {large[0]} with a lot:\n{extra}"
    )
    assert large[0] == pinned, "\n".join(large[1])


def populate(world, start: int, count: int) -> list[Client]:
    """`count` clients of the adviser, each coached by the volunteer, with a consent (every
    other one), an audit event, and a look by both users."""
    adviser, volunteer = world["adviser"], world["volunteer"]
    clients = Client.objects.bulk_create(
        [
            Client(
                organisation=world.own,
                first_name=f"Voornaam{i}",
                last_name=f"Achternaam{i:04d}",
                search_name=normalise_for_search(f"Voornaam{i} Achternaam{i:04d}"),
                birth_date=datetime.date(1960, 1, 1) + datetime.timedelta(days=i * 11),
                gender=("woman", "man", "non_binary")[i % 3],
                postcode="1080",
                labour_status="long_term_unemployed" if i % 2 else "unemployed",
                adviser=adviser,
            )
            for i in range(start, start + count)
        ]
    )
    ClientCoach.objects.bulk_create(
        [ClientCoach(client=c, coach=volunteer, assigned_by=adviser) for c in clients]
    )
    Consent.objects.bulk_create(
        [
            Consent(
                client=c,
                purpose="case_management",
                given_on=datetime.date(2026, 1, 15),
                text_version="2026-01",
                recorded_by=adviser,
            )
            for c in clients[::2]
        ]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organisation=world.own,
                actor=adviser,
                action="client.create",
                object_type="clients.client",
                object_id=str(c.pk),
                object_repr=str(c),
                client=c,
            )
            for c in clients
        ]
    )
    FileAccess.objects.bulk_create(
        [
            FileAccess(organisation=world.own, user=user, client=c, purpose="client_detail")
            for c in clients
            for user in (adviser, volunteer)
        ]
    )
    return clients


def bulk_members(organisation, count: int, prefix: str) -> list[User]:
    users = User.objects.bulk_create(
        [
            User(email=f"{prefix}{i}@example.org", first_name=f"Lid{i}", last_name=prefix)
            for i in range(count)
        ]
    )
    memberships = Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation) for u in users]
    )
    MembershipRole.objects.bulk_create(
        [
            MembershipRole(membership=m, role=role)
            for m in memberships
            for role in (Role.VOLUNTEER, Role.JOB_COACH)
        ]
    )
    return users


def enrich(world, client: Client, users: list[User]) -> None:
    """Many rows of every kind the detail page lists, by many different people."""
    ClientCoach.objects.bulk_create(
        [ClientCoach(client=client, coach=u, assigned_by=world["adviser"]) for u in users[:10]]
    )
    Consent.objects.bulk_create(
        [
            Consent(
                client=client,
                purpose=purpose,
                partner=world.other if purpose == "partner_sharing" else None,
                given_on=datetime.date(2026, 1, 1),
                withdrawn_on=datetime.date(2026, 2, 1),
                withdrawn_by=u,
                text_version="2025-12",
                recorded_by=u,
            )
            for u, purpose in zip(
                users, itertools.cycle(["partner_sharing", "research"]), strict=False
            )
        ]
    )
    ClientDocument.objects.bulk_create(
        [
            ClientDocument(
                client=client,
                kind="other",
                file=f"clients/x/{i}.pdf",
                original_name=f"bijlage-{i}.pdf",
                content_type="application/pdf",
                size=1000 + i,
                uploaded_by=u,
            )
            for i, u in enumerate(users)
        ]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organisation=world.own,
                actor=u,
                action="client.update",
                object_type="clients.client",
                object_id=str(client.pk),
                object_repr=str(client),
                client=client,
            )
            for u in users
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER])
def test_client_list_queries_do_not_grow_with_clients(role, world, login):
    http = login(world[role])
    populate(world, 0, SMALL)
    small = count_queries(http, reverse("clients:list"))
    populate(world, SMALL, LARGE - SMALL)
    large = count_queries(http, reverse("clients:list"))
    assert_same(small, large, PINNED[("clients:list", role)])


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER])
def test_client_detail_queries_do_not_grow_with_clients_or_their_history(role, world, login):
    http = login(world[role])
    first = populate(world, 0, SMALL)[0]  # coached by the volunteer, so both may open it
    url = reverse("clients:detail", args=[first.pk])
    small = count_queries(http, url)
    populate(world, SMALL, LARGE - SMALL)
    enrich(world, first, bulk_members(world.own, 20, "coach"))
    large = count_queries(http, url)
    assert_same(small, large, PINNED[("clients:detail", role)])


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADVISER, Role.VOLUNTEER, Role.ORG_ADMIN])
def test_dashboard_queries_do_not_grow_with_clients(role, world, login):
    http = login(world[role])
    populate(world, 0, SMALL)
    small = count_queries(http, reverse("dashboard"))
    populate(world, SMALL, LARGE - SMALL)
    large = count_queries(http, reverse("dashboard"))
    assert_same(small, large, PINNED[("dashboard", role)])


@pytest.mark.django_db
def test_dashboard_lists_are_filled(world, login):
    # The counts above only mean something if the dashboard really shows the rows.
    populate(world, 0, SMALL)
    adviser = login(world["adviser"]).get(reverse("dashboard")).context
    assert len(adviser["my_clients"]) == 10
    assert len(adviser["recently_viewed"]) == 10
    assert len(adviser["without_consent"]) == SMALL // 2
    volunteer = login(world["volunteer"]).get(reverse("dashboard")).context
    assert len(volunteer["my_clients"]) == 10
    admin = login(world["org_admin"]).get(reverse("dashboard")).context
    assert admin["figures"]["total"] == SMALL
    assert len(admin["recent_events"]) == 10


@pytest.mark.django_db
def test_members_page_queries_do_not_grow_with_members(login):
    organisation = OrganisationFactory()
    admin = member(organisation, Role.ORG_ADMIN, email="admin@members.example")
    bulk_members(organisation, 4, "first")
    http = login(admin)
    small = count_queries(http, reverse("members"))
    bulk_members(organisation, 45, "more")
    large = count_queries(http, reverse("members"))
    assert Membership.objects.filter(organisation=organisation).count() == 50
    assert_same(small, large, PINNED[("members", Role.ORG_ADMIN)])


@pytest.mark.django_db
def test_audit_log_queries_do_not_grow_with_events(world, login):
    clients = populate(world, 0, 5)
    actors = [world[role] for role in Role.values]

    def events(count: int) -> None:
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    organisation=world.own,
                    actor=actors[i % len(actors)],
                    action="client.update",
                    object_type="clients.client",
                    object_id=str(clients[i % 5].pk),
                    object_repr="x",
                    client=clients[i % 5],
                    changes={"postcode": ["1000", "1080"]},
                )
                for i in range(count)
            ]
        )

    # The log is append-only: populate's events stay, and are counted.
    existing = AuditEvent.objects.count()
    events(10)
    http = login(world["org_admin"])
    small = count_queries(http, reverse("audit_log"))
    events(290)
    large = count_queries(http, reverse("audit_log"))
    assert AuditEvent.objects.count() == existing + 300
    assert_same(small, large, PINNED[("audit_log", Role.ORG_ADMIN)])
