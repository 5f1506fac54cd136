"""The door for detail pages and writes: fetch one object the user may see, or 404; 403 when
they may see it but not do what they ask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from opstap.clients.access import get_client_for_user, refuse_if_restricted
from opstap.clients.models import Client, ClientCoach
from opstap.core.access import active_membership
from opstap.core.converters import parse_id
from opstap.core.models import Membership, MembershipRole, Organisation, User
from opstap.core.roles import ROLE_CAPABILITIES, Capability, Role
from opstap.journeys.models import Trajectory

from .choices import ActionStatus
from .models import ActionItem, CaseNote, VolunteerProfile
from .roles import (
    holds_volunteer_role,
    is_coaching_staff,
    is_volunteer_coach,
    manages_volunteers,
    reads_coaching,
    sees_volunteers,
)


def membership_in(user: User, organisation: Organisation) -> Membership | None:
    """The user's active membership of `organisation` (the request's when it is that one, so
    pages pay no query; commands and tasks get it from the database)."""
    membership = active_membership(user)
    if membership is not None and membership.organisation_id == organisation.pk:
        return membership
    return (
        Membership.objects.active()
        .with_roles()
        .select_related("organisation")
        .filter(user=user, organisation=organisation)
        .first()
    )


def is_assigned(user: User, client: Client) -> bool:
    return ClientCoach.objects.filter(client=client, coach=user).exists()


def may_coach(user: User, membership: Membership | None, client: Client) -> bool:
    """Writes notes and logs sessions on this client: staff, or the client's assigned coach."""
    if membership is None or membership.organisation_id != client.organisation_id:
        return False
    if is_coaching_staff(membership):
        return True
    return is_volunteer_coach(membership) and is_assigned(user, client)


def action_moves(user: User, action: ActionItem, *, staff: bool, coaches: bool) -> set[str]:
    """The statuses the user may move an action to (when it is open), given their rights on
    its client: staff close any action; its owner, while they coach the client, ticks it off."""
    if staff:
        return {ActionStatus.DONE, ActionStatus.CANCELLED}
    return {ActionStatus.DONE} if coaches and action.owner_id == user.pk else set()


def may_move_action(user: User, membership: Membership | None, action: ActionItem, to: str) -> bool:
    if membership is None or membership.organisation_id != action.organisation_id:
        return False
    staff = is_coaching_staff(membership)
    # Whether they coach the client costs a query; only an owner who is not staff needs it.
    coaches = staff or (
        action.owner_id == user.pk and may_coach(user, membership, action.trajectory.client)
    )
    return to in action_moves(user, action, staff=staff, coaches=coaches)


def get_client_for_coaching(user: User, pk: int, *, write: bool = False) -> Client:
    """A client whose coaching page the user may open; with `write`, one they may coach."""
    membership = active_membership(user)
    if not reads_coaching(membership):
        raise Http404
    client = get_client_for_user(user, pk)
    if write and not may_coach(user, membership, client):
        raise PermissionDenied
    if write:
        refuse_if_restricted(client)
    return client


def get_note_for_user(user: User, client_pk: int, pk: int, *, write: bool = False) -> CaseNote:
    """A note the user may read (404 otherwise); with `write`, only its author may change it."""
    client = get_client_for_coaching(user, client_pk)
    note = (
        CaseNote.objects.visible_to(user).filter(client=client, pk=pk).select_related("author")
    ).first()
    if note is None:
        raise Http404
    if write and (
        note.author_id != user.pk or not may_coach(user, active_membership(user), client)
    ):
        raise PermissionDenied
    note.client = client
    return note


def get_trajectory_for_coaching(user: User, client: Client, pk: int | str | None) -> Trajectory:
    trajectory_pk = parse_id(pk)
    trajectory = (
        Trajectory.objects.visible_to(user)
        .filter(client=client, pk=trajectory_pk)
        .select_related("route_type")
        .first()
        if trajectory_pk
        else None
    )
    if trajectory is None:
        raise Http404
    trajectory.client = client
    return trajectory


def get_action_for_user(
    user: User, client_pk: int, pk: int, *, to: str | None = None
) -> ActionItem:
    """An action of the client's plan; with `to`, one the user may move to that status."""
    client = get_client_for_coaching(user, client_pk)
    action = (
        ActionItem.objects.visible_to(user)
        .filter(trajectory__client=client, pk=pk)
        .select_related("trajectory__route_type", "owner")
        .first()
    )
    if action is None:
        raise Http404
    action.trajectory.client = client
    if to is not None and not may_move_action(user, active_membership(user), action, to):
        raise PermissionDenied
    return action


def get_volunteer_for_user(
    user: User, user_pk: int, *, write: bool = False
) -> tuple[User, VolunteerProfile | None]:
    """A volunteer of the organisation and their profile (None before the first save).

    A volunteer reaches only their own; those who assign volunteers read everyone's and the
    organisation admin changes everyone's.
    """
    membership = active_membership(user)
    if membership is None:
        raise Http404
    own = user_pk == user.pk
    if not (holds_volunteer_role(membership) if own else sees_volunteers(membership)):
        raise Http404
    volunteer_membership = (
        Membership.objects.active()
        .filter(
            organisation_id=membership.organisation_id,
            user_id=user_pk,
            role_grants__role=Role.VOLUNTEER,
        )
        .select_related("user")
        .first()
    )
    # Not one of ours: 404 before anything else, so a 403 never tells it exists.
    if volunteer_membership is None:
        raise Http404
    if write and not own and not manages_volunteers(membership):
        raise PermissionDenied
    profile = VolunteerProfile.objects.filter(
        organisation_id=membership.organisation_id, user_id=user_pk
    ).first()
    return volunteer_membership.user, profile


def people_who_can_open(client: Client) -> list[User]:
    """Active members who may open the client's file: everyone whose role sees every file,
    and the coaches assigned to the client (see services.can_open_client). One query."""

    def roles_with(capability: str) -> list[str]:
        return [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]

    grants = MembershipRole.objects.filter(
        membership__organisation_id=client.organisation_id, membership__is_active=True
    )
    every_file = grants.filter(role__in=roles_with(Capability.VIEW_ALL_CLIENTS))
    assigned = grants.filter(
        role__in=roles_with(Capability.VIEW_ASSIGNED_CLIENTS),
        membership__user__coached_clients__client=client,
    )
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(pk__in=every_file.values("membership__user_id"))
            | Q(pk__in=assigned.values("membership__user_id"))
        )
        .order_by("first_name", "last_name", "pk")
    )
