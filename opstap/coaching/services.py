"""Every change to coaching data goes through one of these functions.

Each checks first, then writes inside one transaction together with its audit event. Two
kinds of refusal: *who* may act (the views' access doors answer 404/403 before this; the
services repeat it so a command or the API cannot bypass it) raises PermissionDenied; *what*
is written raises ValidationError with a field, a stable code and one of the messages below.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from opstap.clients import services as client_services
from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.clients.models import Client, ClientCoach
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User
from opstap.core.roles import Capability
from opstap.journeys.models import Trajectory

from . import matching
from .access import may_coach, may_move_action, membership_in
from .choices import ACTION_TRANSITIONS, ActionStatus, Expertise, Topic, labels
from .models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from .roles import holds_volunteer_role, is_coaching_staff, manages_volunteers

NOTE_MAX_LENGTH = 20_000
SESSION_MAX_MINUTES = 12 * 60
MAX_CLIENTS_LIMIT = 25

NOTE_EMPTY = _("Write the note.")
NOTE_TOO_LONG = _("A note can be at most %(max)s characters long; split it in two.")
TEXT_NULL_CHARACTER = _("The text contains a character that cannot be stored (NUL).")
TRAJECTORY_OTHER_CLIENT = _("This route belongs to another client.")
SESSION_DATE_FUTURE = _("A session cannot be logged on a date in the future.")
SESSION_DURATION = _("Give the duration in minutes, from 1 to %(max)s.")
SESSION_TOPICS_REQUIRED = _("Choose at least one topic.")
TOPIC_UNKNOWN = _("Unknown topic: %(code)s.")
COACH_NOT_SELF = _("You can only log your own sessions.")
COACH_CANNOT_SEE_CLIENT = _(
    "This person cannot open this client's file: choose a member of the organisation "
    "who can, or a coach assigned to the client."
)
ACTION_TITLE_REQUIRED = _("Say what has to be done.")
ACTION_TITLE_TOO_LONG = _("Say it in at most %(max)s characters.")
ACTION_OWNER_CANNOT_SEE_CLIENT = _(
    "The owner must be able to open this client's file; leave it empty when the client does it."
)
ACTION_TRAJECTORY_CLOSED = _("This route is closed; its action plan can no longer change.")
ACTION_NOT_OPEN = _("This action is already %(status)s.")
ACTION_DONE_FUTURE = _("An action cannot be done on a date in the future.")
NOT_A_VOLUNTEER = _("This person is not an active volunteer coach of your organisation.")
EXPERTISE_UNKNOWN = _("Unknown expertise: %(code)s.")
LANGUAGE_UNKNOWN = _("Unknown language: %(code)s.")
MAX_CLIENTS_RANGE = _("Give a number of clients from 1 to %(max)s.")
AVAILABILITY_TOO_LONG = _("Describe the availability in at most %(max)s characters.")
NEED_UNKNOWN = _("Unknown expertise: %(code)s.")
VOLUNTEER_UNAVAILABLE = _(
    "This volunteer has no active profile in your organisation and cannot take clients."
)
VOLUNTEER_ALREADY_COACHING = _("This volunteer already coaches this client.")
VOLUNTEER_FULL = _("This volunteer already coaches %(count)s clients, their maximum.")

LANGUAGE_CODES = frozenset(code for code, _label in LANGUAGE_CHOICES)
AVAILABILITY_MAX_LENGTH = VolunteerProfile._meta.get_field("availability").max_length


# --- helpers ---------------------------------------------------------------------------


def _error(field_name: str, message: str, error_code: str, **params: object) -> ValidationError:
    error = ValidationError(message, code=error_code, params=params or None)
    return ValidationError({field_name: error})


def _clean_text(text: str, *, field_name: str, required: bool, max_length: int) -> str:
    text = (text or "").strip()
    if "\x00" in text:
        raise _error(field_name, TEXT_NULL_CHARACTER, "null_character")
    if required and not text:
        raise _error(field_name, NOTE_EMPTY, "note_empty")
    if len(text) > max_length:
        raise _error(field_name, NOTE_TOO_LONG, "note_too_long", max=max_length)
    return text


def _check_trajectory(trajectory: Trajectory | None, client: Client) -> None:
    if trajectory is not None and trajectory.client_id != client.pk:
        raise _error("trajectory", TRAJECTORY_OTHER_CLIENT, "trajectory_other_client")


def _require_coach(actor: User, client: Client) -> None:
    if not may_coach(actor, membership_in(actor, client.organisation), client):
        raise PermissionDenied


def _require_staff(actor: User, organisation: Organisation) -> None:
    if not is_coaching_staff(membership_in(actor, organisation)):
        raise PermissionDenied


def can_open_client(user: User, client: Client) -> bool:
    """Whether `user` (not necessarily the one acting) may open the client's file."""
    membership = membership_in(user, client.organisation)
    if membership is None:
        return False
    if membership.can(Capability.VIEW_ALL_CLIENTS):
        return True
    return (
        membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
        and ClientCoach.objects.filter(client=client, coach=user).exists()
    )


def _unique_codes(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(code for code in codes if code))


def _audit_client(note: CaseNote) -> Client | None:
    # A confidential note leaves no trace on the client's timeline, which everyone who opens
    # the file reads; the organisation admin still finds the event (and the client's number)
    # in the audit log.
    return None if note.confidential else note.client


# --- case notes ------------------------------------------------------------------------


@transaction.atomic
def note_add(
    *,
    actor: User,
    client: Client,
    text: str,
    confidential: bool = False,
    trajectory: Trajectory | None = None,
) -> CaseNote:
    _require_coach(actor, client)
    text = _clean_text(text, field_name="text", required=True, max_length=NOTE_MAX_LENGTH)
    _check_trajectory(trajectory, client)
    note = CaseNote.objects.create(
        organisation=client.organisation,
        client=client,
        trajectory=trajectory,
        author=actor,
        text=text,
        confidential=confidential,
    )
    # The text itself stays out of the audit log: it may be confidential, and an erased
    # note must not live on there.
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="coaching.note_add",
        obj=note,
        client=_audit_client(note),
        new={"confidential": confidential, "trajectory": trajectory},
        extra={"client_number": client.pk},
    )
    return note


@transaction.atomic
def note_update(*, actor: User, note: CaseNote, text: str, confidential: bool) -> CaseNote:
    """Only the author changes a note (a supervisor reads it, never rewrites it)."""
    if note.author_id != actor.pk:
        raise PermissionDenied
    _require_coach(actor, note.client)
    text = _clean_text(text, field_name="text", required=True, max_length=NOTE_MAX_LENGTH)
    before = {"confidential": note.confidential}
    text_changed = text != note.text
    note.text = text
    note.confidential = confidential
    note.save(update_fields=["text", "confidential", "updated_at"])
    audit_record(
        actor=actor,
        organisation=note.organisation,
        action="coaching.note_update",
        obj=note,
        client=_audit_client(note),
        old=before,
        new={"confidential": confidential},
        extra={"client_number": note.client_id, "text_changed": text_changed},
    )
    return note


# --- coaching sessions -----------------------------------------------------------------


@transaction.atomic
def session_log(
    *,
    actor: User,
    client: Client,
    coach: User,
    on: datetime.date,
    duration_minutes: int,
    topics: Iterable[str],
    next_steps: str = "",
    trajectory: Trajectory | None = None,
) -> CoachingSession:
    """Staff log sessions for any coach who may open the file; a volunteer coach logs only
    their own, and only for the clients assigned to them."""
    membership = membership_in(actor, client.organisation)
    _require_coach(actor, client)
    errors: dict[str, ValidationError] = {}
    if not is_coaching_staff(membership) and coach.pk != actor.pk:
        errors["coach"] = ValidationError(COACH_NOT_SELF, code="coach_not_self")
    elif not can_open_client(coach, client):
        errors["coach"] = ValidationError(COACH_CANNOT_SEE_CLIENT, code="coach_cannot_see_client")
    if on > timezone.localdate():
        errors["on"] = ValidationError(SESSION_DATE_FUTURE, code="session_date_future")
    if not 1 <= duration_minutes <= SESSION_MAX_MINUTES:
        errors["duration_minutes"] = ValidationError(
            SESSION_DURATION, code="session_duration", params={"max": SESSION_MAX_MINUTES}
        )
    topics = _unique_codes(topics)
    unknown = [code for code in topics if code not in Topic.values]
    if unknown:
        errors["topics"] = ValidationError(
            TOPIC_UNKNOWN, code="topic_unknown", params={"code": unknown[0]}
        )
    elif not topics:
        errors["topics"] = ValidationError(SESSION_TOPICS_REQUIRED, code="topics_required")
    if trajectory is not None and trajectory.client_id != client.pk:
        errors["trajectory"] = ValidationError(
            TRAJECTORY_OTHER_CLIENT, code="trajectory_other_client"
        )
    if errors:
        raise ValidationError(errors)
    next_steps = _clean_text(
        next_steps, field_name="next_steps", required=False, max_length=NOTE_MAX_LENGTH
    )
    # Stored in the order of the list of topics, whatever order they were ticked in.
    topics = [code for code in Topic.values if code in topics]
    session = CoachingSession.objects.create(
        organisation=client.organisation,
        client=client,
        trajectory=trajectory,
        coach=coach,
        on=on,
        duration_minutes=duration_minutes,
        topics=topics,
        next_steps=next_steps,
        logged_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="coaching.session_log",
        obj=session,
        client=client,
        new={
            "coach": coach,
            "on": on,
            "duration_minutes": duration_minutes,
            "topics": topics,
            "trajectory": trajectory,
        },
    )
    return session


# --- action plans ----------------------------------------------------------------------


@transaction.atomic
def action_add(
    *,
    actor: User,
    trajectory: Trajectory,
    title: str,
    owner: User | None = None,
    due_on: datetime.date | None = None,
) -> ActionItem:
    """Add a step to the trajectory's plan; no owner means the client does it."""
    client = trajectory.client
    _require_staff(actor, client.organisation)
    errors: dict[str, ValidationError] = {}
    title = (title or "").strip()
    title_max = ActionItem._meta.get_field("title").max_length
    if not title or "\x00" in title:
        errors["title"] = ValidationError(ACTION_TITLE_REQUIRED, code="action_title_required")
    elif len(title) > title_max:
        errors["title"] = ValidationError(
            ACTION_TITLE_TOO_LONG, code="action_title_too_long", params={"max": title_max}
        )
    if owner is not None and not can_open_client(owner, client):
        errors["owner"] = ValidationError(
            ACTION_OWNER_CANNOT_SEE_CLIENT, code="action_owner_cannot_see_client"
        )
    if trajectory.closed_on is not None:
        errors["trajectory"] = ValidationError(
            ACTION_TRAJECTORY_CLOSED, code="action_trajectory_closed"
        )
    if errors:
        raise ValidationError(errors)
    action = ActionItem.objects.create(
        organisation=client.organisation,
        trajectory=trajectory,
        title=title,
        owner=owner,
        due_on=due_on,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="coaching.action_add",
        obj=action,
        client=client,
        new={"title": action.title, "owner": owner, "due_on": due_on, "status": action.status},
    )
    return action


def _action_move(
    *, actor: User, action: ActionItem, to: str, on: datetime.date | None
) -> ActionItem:
    """The one transition of an action's status (ACTION_TRANSITIONS), with its audit event
    as the recorded history row."""
    before = action.status
    # A conditional UPDATE: of two people closing the same action at once, one wins and the
    # other is told what happened meanwhile.
    updated = (
        ActionItem.objects.filter(pk=action.pk, status=before).update(
            status=to, done_on=on if to == ActionStatus.DONE else None, closed_by=actor
        )
        if to in ACTION_TRANSITIONS[before]
        else 0
    )
    if not updated:
        current = ActionItem.objects.filter(pk=action.pk).values_list("status", flat=True).first()
        raise _error(
            "status",
            ACTION_NOT_OPEN,
            "action_not_open",
            status=str(ActionStatus(current or before).label).lower(),
        )
    action.status = to
    action.done_on = on if to == ActionStatus.DONE else None
    action.closed_by = actor
    audit_record(
        actor=actor,
        organisation=action.organisation,
        action=f"coaching.action_{'complete' if to == ActionStatus.DONE else 'cancel'}",
        obj=action,
        client=action.trajectory.client,
        old={"status": before},
        new={"status": to, "done_on": action.done_on},
    )
    return action


@transaction.atomic
def action_complete(
    *, actor: User, action: ActionItem, on: datetime.date | None = None
) -> ActionItem:
    """Staff, or the owner while they coach the client, mark an open action done."""
    membership = membership_in(actor, action.organisation)
    if not may_move_action(actor, membership, action, ActionStatus.DONE):
        raise PermissionDenied
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise _error("done_on", ACTION_DONE_FUTURE, "action_done_future")
    return _action_move(actor=actor, action=action, to=ActionStatus.DONE, on=on)


@transaction.atomic
def action_cancel(*, actor: User, action: ActionItem) -> ActionItem:
    membership = membership_in(actor, action.organisation)
    if not may_move_action(actor, membership, action, ActionStatus.CANCELLED):
        raise PermissionDenied
    return _action_move(actor=actor, action=action, to=ActionStatus.CANCELLED, on=None)


# --- volunteer profiles and matching ---------------------------------------------------


PROFILE_FIELDS = ("expertise", "languages", "availability", "max_clients", "active")


@transaction.atomic
def volunteer_profile_save(
    *,
    actor: User,
    organisation: Organisation,
    volunteer: User,
    expertise: Iterable[str],
    languages: Iterable[str],
    availability: str = "",
    max_clients: int,
    active: bool = True,
) -> VolunteerProfile:
    """Create or change a volunteer's profile: the volunteer themselves, or the admin."""
    actor_membership = membership_in(actor, organisation)
    if actor.pk != volunteer.pk and not manages_volunteers(actor_membership):
        raise PermissionDenied
    errors: dict[str, ValidationError] = {}
    if not holds_volunteer_role(membership_in(volunteer, organisation)):
        errors["volunteer"] = ValidationError(NOT_A_VOLUNTEER, code="not_a_volunteer")
    expertise = _unique_codes(expertise)
    unknown = [code for code in expertise if code not in Expertise.values]
    if unknown:
        errors["expertise"] = ValidationError(
            EXPERTISE_UNKNOWN, code="expertise_unknown", params={"code": unknown[0]}
        )
    languages = _unique_codes(languages)
    unknown = [code for code in languages if code not in LANGUAGE_CODES]
    if unknown:
        errors["languages"] = ValidationError(
            LANGUAGE_UNKNOWN, code="language_unknown", params={"code": unknown[0]}
        )
    if not 1 <= max_clients <= MAX_CLIENTS_LIMIT:
        errors["max_clients"] = ValidationError(
            MAX_CLIENTS_RANGE, code="max_clients_range", params={"max": MAX_CLIENTS_LIMIT}
        )
    availability = (availability or "").strip()
    if len(availability) > AVAILABILITY_MAX_LENGTH or "\x00" in availability:
        errors["availability"] = ValidationError(
            AVAILABILITY_TOO_LONG,
            code="availability_too_long",
            params={"max": AVAILABILITY_MAX_LENGTH},
        )
    if errors:
        raise ValidationError(errors)
    profile = (
        VolunteerProfile.objects.select_for_update()
        .filter(organisation=organisation, user=volunteer)
        .first()
    )
    created = profile is None
    if profile is None:
        profile = VolunteerProfile(organisation=organisation, user=volunteer)
    before = {name: getattr(profile, name) for name in PROFILE_FIELDS} if not created else {}
    profile.expertise = [code for code in Expertise.values if code in expertise]
    profile.languages = languages
    profile.availability = availability
    profile.max_clients = max_clients
    profile.active = active
    profile.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        action="coaching.volunteer_profile_save",
        obj=profile,
        old=before,
        new={name: getattr(profile, name) for name in PROFILE_FIELDS},
    )
    return profile


@dataclass(frozen=True)
class Suggestion:
    """A volunteer Opstap proposes for a client, with the score and the reasons why."""

    profile: VolunteerProfile
    score: int
    reasons: list[str]
    matched_expertise: list[str] = field(default_factory=list)
    shared_languages: list[str] = field(default_factory=list)
    free_places: int = 0

    @property
    def volunteer(self) -> User:
        return self.profile.user


def clean_needs(needs: Iterable[str]) -> list[str]:
    needs = _unique_codes(needs)
    unknown = [code for code in needs if code not in Expertise.values]
    if unknown:
        raise _error("needs", NEED_UNKNOWN, "need_unknown", code=unknown[0])
    return needs


def _reasons(
    client: Client, needs: list[str], fit: matching.Fit, profile: VolunteerProfile
) -> list[str]:
    reasons: list[str] = []
    if fit.matched_expertise:
        reasons.append(
            gettext("Expertise: %(expertise)s")
            % {"expertise": ", ".join(labels(fit.matched_expertise, Expertise))}
        )
    elif needs:
        reasons.append(gettext("None of the expertise asked for"))
    if fit.speaks_preferred:
        reasons.append(
            gettext("Speaks %(language)s, the client's preferred language")
            % {"language": labels([client.preferred_language], LANGUAGE_CHOICES)[0]}
        )
    others = [code for code in fit.shared_languages if code != client.preferred_language]
    if others:
        reasons.append(
            gettext("Speaks %(languages)s like the client")
            % {"languages": ", ".join(labels(others, LANGUAGE_CHOICES))}
        )
    if not fit.shared_languages:
        reasons.append(gettext("Speaks none of the client's languages"))
    reasons.append(
        ngettext(
            "%(free)s of %(max)s place free",
            "%(free)s of %(max)s places free",
            profile.max_clients,
        )
        % {"free": fit.free_places, "max": profile.max_clients}
    )
    return reasons


def suggest_volunteers(*, client: Client, needs: Iterable[str], limit: int = 5) -> list[Suggestion]:
    """The best volunteer coaches for `client`, best first, each with the reasons why.

    Candidates: active profiles of active volunteers of the client's organisation with a
    free place, who do not coach the client yet. Score: see `matching.fit` (expertise asked
    for, a shared language, free places). Ties go to more free places, then to the name,
    then to the oldest profile, so the same data always gives the same list.
    """
    needs = clean_needs(needs)
    profiles = list(
        VolunteerProfile.objects.eligible(client.organisation)
        .not_coaching(client)
        .with_load()
        .filter(free_places__gt=0)
        .select_related("user")
    )
    client_languages = _unique_codes([client.preferred_language, *(client.languages or [])])
    suggestions = []
    for profile in profiles:
        fit = matching.fit(
            needs=needs,
            expertise=profile.expertise,
            client_languages=client_languages,
            preferred_language=client.preferred_language,
            volunteer_languages=profile.languages,
            free_places=profile.free_places,
        )
        suggestions.append(
            Suggestion(
                profile=profile,
                score=fit.score,
                reasons=_reasons(client, needs, fit, profile),
                matched_expertise=fit.matched_expertise,
                shared_languages=fit.shared_languages,
                free_places=fit.free_places,
            )
        )
    suggestions.sort(
        key=lambda s: (
            -s.score,
            -s.free_places,
            s.volunteer.last_name.casefold(),
            s.volunteer.first_name.casefold(),
            s.profile.pk,
        )
    )
    return suggestions[: max(limit, 0)]


@transaction.atomic
def volunteer_assign(*, actor: User, client: Client, volunteer: User) -> ClientCoach:
    """Assign a volunteer coach to a client (through clients.coach_assign, which writes the
    audit event), refusing a volunteer without an active profile or without a free place."""
    _require_staff(actor, client.organisation)
    # The profile row is the lock: two advisers giving one volunteer their last free place
    # at the same moment take turns (PostgreSQL; SQLite serialises every writer anyway).
    profile = (
        VolunteerProfile.objects.select_for_update()
        .filter(organisation=client.organisation, user=volunteer)
        .first()
    )
    if (
        profile is None
        or not VolunteerProfile.objects.eligible(client.organisation).filter(pk=profile.pk).exists()
    ):
        raise _error("volunteer", VOLUNTEER_UNAVAILABLE, "volunteer_unavailable")
    if ClientCoach.objects.filter(client=client, coach=volunteer).exists():
        raise _error("volunteer", VOLUNTEER_ALREADY_COACHING, "volunteer_already_coaching")
    count = ClientCoach.objects.filter(
        coach=volunteer, client__organisation=client.organisation
    ).count()
    if count >= profile.max_clients:
        raise _error("volunteer", VOLUNTEER_FULL, "volunteer_full", count=count)
    return client_services.coach_assign(actor=actor, client=client, coach=volunteer)
