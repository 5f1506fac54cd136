"""Builders for coaching tests: clients with routes, volunteers with profiles, and rows
written in bulk (for query counts) without going through the services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from opstap.clients.models import Client, ClientCoach
from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import Organisation, User
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.journeys import services as journey_services
from opstap.journeys.models import RouteType, Trajectory

from ..models import ActionItem, CaseNote, CoachingSession, VolunteerProfile

STARTER = {
    "names": {"en": "Starter", "nl": "Starter", "fr": "Starter"},
    "phases": ["intake", "guidance", "financing", "started", "aftercare", "closed"],
    "transitions": {"intake": ["guidance", "closed"], "guidance": ["closed"]},
}


def starter_route() -> RouteType:
    # Built in by a data migration; made again when a test run flushed the tables.
    route, _created = RouteType.objects.get_or_create(
        organisation=None, code="starter", defaults=STARTER
    )
    return route


def client_of(organisation: Organisation, adviser: User | None = None, **fields: object) -> Client:
    return ClientFactory(organisation=organisation, adviser=adviser, **fields)


def trajectory_for(client: Client, adviser: User | None = None) -> Trajectory:
    return journey_services.trajectory_open(
        actor=adviser,
        client=client,
        route_type=starter_route(),
        on=timezone.localdate() - datetime.timedelta(days=60),
        phase="intake",
        adviser=adviser,
    )


def assign(client: Client, coach: User, by: User | None = None) -> ClientCoach:
    return ClientCoach.objects.create(client=client, coach=coach, assigned_by=by)


def volunteer(
    organisation: Organisation,
    *,
    expertise: tuple[str, ...] | list[str] = (),
    languages: tuple[str, ...] | list[str] = (),
    max_clients: int = 3,
    active: bool = True,
    user: User | None = None,
    **user_fields: object,
) -> VolunteerProfile:
    """A member with the volunteer role and a profile."""
    user = user or member(organisation, Role.VOLUNTEER, **user_fields)
    return VolunteerProfile.objects.create(
        user=user,
        organisation=organisation,
        expertise=list(expertise),
        languages=list(languages),
        max_clients=max_clients,
        active=active,
    )


def bulk_notes(client: Client, author: User, count: int, **fields: object) -> None:
    CaseNote.objects.bulk_create(
        [
            CaseNote(
                organisation_id=client.organisation_id,
                client=client,
                author=author,
                text=f"Note {i}\nhttps://example.org/{i}",
                **fields,
            )
            for i in range(count)
        ]
    )


def bulk_sessions(client: Client, coach: User, count: int) -> None:
    today = timezone.localdate()
    CoachingSession.objects.bulk_create(
        [
            CoachingSession(
                organisation_id=client.organisation_id,
                client=client,
                coach=coach,
                logged_by=coach,
                on=today - datetime.timedelta(days=i % 20),
                duration_minutes=30 + i,
                topics=["finance", "marketing"],
                next_steps=f"Step {i}",
            )
            for i in range(count)
        ]
    )


def bulk_actions(
    trajectory: Trajectory,
    created_by: User,
    count: int,
    *,
    owner: User | None = None,
    due_on: datetime.date | None = None,
) -> None:
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                organisation_id=trajectory.organisation_id,
                trajectory=trajectory,
                title=f"Action {i}",
                owner=owner,
                due_on=due_on,
                created_by=created_by,
            )
            for i in range(count)
        ]
    )
