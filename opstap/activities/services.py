"""Every change to activities, series, head counts, leads, registrations and attendance.

Each function checks first (ValidationError with a field and a stable code), then writes
inside one transaction together with its audit event. Writes that depend on the number of
places (registering, cancelling, promoting from the wait list, recording attendance) first
lock the activity's row (`_lock_activity`), the one lock this app takes, so two people
registering the last place at once cannot both get it (PostgreSQL; SQLite serialises every
write transaction anyway).

Phases of a route change only through `opstap.journeys.services` (decision 0003).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients import services as client_services
from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.clients.models import Client
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User
from opstap.core.roles import ROLE_CAPABILITIES, Capability
from opstap.journeys import services as journey_services
from opstap.journeys.models import Programme, RouteType, Trajectory
from opstap.journeys.phases import Phase

from .models import (
    Activity,
    ActivityKind,
    ActivitySeries,
    Attendance,
    Channel,
    OutreachCount,
    Registration,
    RegistrationStatus,
)

STARTER_ROUTE = "starter"

TITLE_REQUIRED = _("Give the activity a title.")
END_BEFORE_START = _("The end must be after the start.")
CAPACITY_NEGATIVE = _("The capacity cannot be negative.")
KIND_UNKNOWN = _("Choose the kind of activity.")
LANGUAGE_UNKNOWN = _("Choose a language from the list.")
PROGRAMME_NOT_AVAILABLE = _(
    "The programme %(code)s is not one your organisation runs or is a partner in."
)
FACILITATOR_NOT_MEMBER = _("The facilitator must be an active staff member of your organisation.")
SERIES_OTHER_ORGANISATION = _("This series does not belong to your organisation.")
EXTERNAL_REFERENCE_TAKEN = _("Another activity of your organisation has this external reference.")
KIND_LOCKED = _(
    "The kind cannot change between outreach and the other kinds once people are registered "
    "or head counts are recorded."
)
SERIES_TITLE_REQUIRED = _("Give the series a title.")
SERIES_SESSIONS = _("A series has at least one session.")

COUNT_NOT_OUTREACH = _("Head counts are recorded for outreach actions only.")
COUNT_NOT_POSITIVE = _("Give the number of people reached (at least 1).")
CHANNEL_UNKNOWN = _("Choose a channel from the list.")

LEAD_NOT_OUTREACH = _("Leads are noted at outreach actions only.")
LEAD_BEFORE_ACTIVITY = _("Leads can be noted from the day the outreach action starts.")
LEAD_NAME_REQUIRED = _("Give the first and last name.")
STARTER_ROUTE_MISSING = _("Your organisation has no active starter route to put leads in.")

REGISTRATION_FOR_OUTREACH = _(
    "Nobody registers for an outreach action: note the people you meet as leads."
)
CLIENT_OTHER_ORGANISATION = _("This client does not belong to the activity's organisation.")
ALREADY_REGISTERED = _("%(name)s is already registered for this activity.")
ALREADY_WAITLISTED = _("%(name)s is already on the wait list of this activity.")
ALREADY_CANCELLED = _("This registration was already cancelled.")
CANCEL_AFTER_ATTENDANCE = _(
    "The attendance of this registration is recorded, so it can no longer be cancelled."
)

REGISTERED_MESSAGE = _("%(name)s is registered.")
WAITLISTED_MESSAGE = _(
    "The activity is full: %(name)s is on the wait list, number %(position)s. "
    "They move up when a place comes free."
)
PROMOTED_MESSAGE = _("%(name)s moved up from the wait list and is now registered.")

ATTENDANCE_FOR_OUTREACH = _("An outreach action records head counts, not attendance.")
ATTENDANCE_TOO_EARLY = _("Attendance can be recorded from the day of the activity.")
ATTENDANCE_UNKNOWN_REGISTRATION = _(
    "Some rows are not (or no longer) registrations of this activity. Reload the page."
)
ATTENDANCE_INVALID = _("Choose present, excused or absent.")
INFORMED_REASON = _("Attended the information session “%(title)s”")
LEAD_REASON = _("Noted as a lead at the outreach action “%(title)s”")

ACTIVITY_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "neighbourhood",
    "language",
    "capacity",
    "facilitator",
    "facilitator_name",
    "series",
    "external_reference",
)
LANGUAGE_CODES = frozenset(code for code, _label in LANGUAGE_CHOICES)
# Roles whose members can facilitate: they must be able to see the activity afterwards.
FACILITATOR_ROLES = frozenset(
    role
    for role, caps in ROLE_CAPABILITIES.items()
    if Capability.VIEW_ALL_CLIENTS in caps or Capability.VIEW_ASSIGNED_CLIENTS in caps
)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def _lock_activity(activity: Activity) -> None:
    """Lock the activity's row until the end of the transaction, and read its number of places
    again under the lock (a no-op lock on SQLite, where a write transaction already holds the
    database's write lock)."""
    activity.capacity = (
        Activity.objects.select_for_update()
        .filter(pk=activity.pk)
        .values_list("capacity", flat=True)
        .get()
    )


def facilitator_candidates(organisation: Organisation) -> Any:
    """Active members who may facilitate: staff and volunteers (not auditors)."""
    return (
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__is_active=True,
            memberships__role_grants__role__in=FACILITATOR_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def allowed_programmes(organisation: Organisation) -> Any:
    """Programmes the organisation runs or is a partner in."""
    return Programme.objects.filter(
        Q(organisation=organisation) | Q(partners__organisation=organisation)
    ).distinct()


# Activities ----------------------------------------------------------------------------


def _check_activity(
    *,
    organisation: Organisation,
    values: dict[str, Any],
    programmes: list[Programme],
    activity: Activity | None,
) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}

    def fail(name: str, error: ValidationError) -> None:
        errors.setdefault(name, []).append(error)

    if values["kind"] not in ActivityKind.values:
        fail("kind", ValidationError(KIND_UNKNOWN, code="kind_unknown"))
    if not values["title"].strip():
        fail("title", ValidationError(TITLE_REQUIRED, code="title_required"))
    if values["ends_at"] <= values["starts_at"]:
        fail("ends_at", ValidationError(END_BEFORE_START, code="end_before_start"))
    if values["language"] not in LANGUAGE_CODES:
        fail("language", ValidationError(LANGUAGE_UNKNOWN, code="language_unknown"))
    if values["capacity"] is not None and values["capacity"] < 0:
        fail("capacity", ValidationError(CAPACITY_NEGATIVE, code="capacity_negative"))
    facilitator = values["facilitator"]
    if (
        facilitator is not None
        and not facilitator_candidates(organisation).filter(pk=facilitator.pk).exists()
    ):
        fail("facilitator", ValidationError(FACILITATOR_NOT_MEMBER, code="facilitator_not_member"))
    series = values["series"]
    if series is not None and series.organisation_id != organisation.pk:
        fail("series", ValidationError(SERIES_OTHER_ORGANISATION, code="series_other_org"))
    if programmes:
        allowed = set(
            allowed_programmes(organisation)
            .filter(pk__in=[p.pk for p in programmes])
            .values_list("pk", flat=True)
        )
        for programme in programmes:
            if programme.pk not in allowed:
                fail(
                    "programmes",
                    ValidationError(
                        PROGRAMME_NOT_AVAILABLE,
                        code="programme_not_available",
                        params={"code": programme.code},
                    ),
                )
    reference = values["external_reference"]
    if reference:
        taken = Activity.objects.filter(organisation=organisation, external_reference=reference)
        if activity is not None:
            taken = taken.exclude(pk=activity.pk)
        if taken.exists():
            fail(
                "external_reference",
                ValidationError(EXTERNAL_REFERENCE_TAKEN, code="external_reference_taken"),
            )
    if activity is not None and (values["kind"] == ActivityKind.OUTREACH) != activity.is_outreach:
        in_use = activity.registrations.exists() or activity.outreach_counts.exists()
        if in_use:
            fail("kind", ValidationError(KIND_LOCKED, code="kind_locked"))
    return errors


def _snapshot(activity: Activity) -> dict[str, Any]:
    values = {name: getattr(activity, name) for name in ACTIVITY_FIELDS}
    values["facilitator"] = str(activity.facilitator) if activity.facilitator_id else None
    values["series"] = str(activity.series) if activity.series_id else None
    return values


def _save_activity(activity: Activity) -> None:
    try:
        # A savepoint: a lost race on the external reference gives the same message as
        # without the race, and leaves the caller's transaction usable.
        with transaction.atomic():
            activity.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "external_reference": ValidationError(
                    EXTERNAL_REFERENCE_TAKEN, code="external_reference_taken"
                )
            }
        ) from exc


def _activity_values(
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str,
    neighbourhood: str,
    language: str,
    capacity: int | None,
    facilitator: User | None,
    facilitator_name: str,
    series: ActivitySeries | None,
    external_reference: str,
) -> dict[str, Any]:
    """The fields of an activity as create and update store them (trimmed, time-zone aware)."""
    return {
        "kind": kind,
        "title": title.strip(),
        "starts_at": _aware(starts_at),
        "ends_at": _aware(ends_at),
        "place": place.strip(),
        "neighbourhood": neighbourhood.strip(),
        "language": language,
        "capacity": capacity,
        "facilitator": facilitator,
        "facilitator_name": facilitator_name.strip(),
        "series": series,
        "external_reference": external_reference.strip(),
    }


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str = "",
    neighbourhood: str = "",
    language: str = "nl",
    capacity: int | None = None,
    facilitator: User | None = None,
    facilitator_name: str = "",
    programmes: Iterable[Programme] = (),
    series: ActivitySeries | None = None,
    external_reference: str = "",
) -> Activity:
    values = _activity_values(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        neighbourhood=neighbourhood,
        language=language,
        capacity=capacity,
        facilitator=facilitator,
        facilitator_name=facilitator_name,
        series=series,
        external_reference=external_reference,
    )
    programmes = list(programmes)
    errors = _check_activity(
        organisation=organisation, values=values, programmes=programmes, activity=None
    )
    if errors:
        raise ValidationError(errors)
    activity = Activity(organisation=organisation, **values)
    _save_activity(activity)
    activity.programmes.set(programmes)
    audit_record(
        actor=actor,
        organisation=organisation,
        action="activity.create",
        obj=activity,
        new={**_snapshot(activity), "programmes": sorted(p.code for p in programmes)},
    )
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User | None,
    activity: Activity,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str = "",
    neighbourhood: str = "",
    language: str = "nl",
    capacity: int | None = None,
    facilitator: User | None = None,
    facilitator_name: str = "",
    programmes: Iterable[Programme] = (),
    series: ActivitySeries | None = None,
    external_reference: str = "",
) -> Activity:
    """Change an activity; more places (or no limit any more) promote people from the wait list."""
    organisation = activity.organisation
    values = _activity_values(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        neighbourhood=neighbourhood,
        language=language,
        capacity=capacity,
        facilitator=facilitator,
        facilitator_name=facilitator_name,
        series=series,
        external_reference=external_reference,
    )
    programmes = list(programmes)
    errors = _check_activity(
        organisation=organisation, values=values, programmes=programmes, activity=activity
    )
    if errors:
        raise ValidationError(errors)
    _lock_activity(activity)
    before = {
        **_snapshot(activity),
        "programmes": sorted(activity.programmes.values_list("code", flat=True)),
    }
    for name, value in values.items():
        setattr(activity, name, value)
    _save_activity(activity)
    activity.programmes.set(programmes)
    audit_record(
        actor=actor,
        organisation=organisation,
        action="activity.update",
        obj=activity,
        old=before,
        new={**_snapshot(activity), "programmes": sorted(p.code for p in programmes)},
    )
    _promote_from_wait_list(actor=actor, activity=activity)
    return activity


@transaction.atomic
def series_create(
    *, actor: User | None, organisation: Organisation, title: str, planned_sessions: int
) -> ActivitySeries:
    errors: dict[str, ValidationError] = {}
    if not title.strip():
        errors["title"] = ValidationError(SERIES_TITLE_REQUIRED, code="series_title_required")
    if planned_sessions < 1:
        errors["planned_sessions"] = ValidationError(SERIES_SESSIONS, code="series_sessions")
    if errors:
        raise ValidationError(errors)
    series = ActivitySeries.objects.create(
        organisation=organisation, title=title.strip(), planned_sessions=planned_sessions
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="series.create",
        obj=series,
        new={"title": series.title, "planned_sessions": planned_sessions},
    )
    return series


# Outreach: head counts and leads --------------------------------------------------------


def _check_count(activity: Activity, channel: str, people_reached: int) -> dict[str, Any]:
    errors: dict[str, ValidationError] = {}
    if not activity.is_outreach:
        errors["__all__"] = ValidationError(COUNT_NOT_OUTREACH, code="count_not_outreach")
    if channel not in Channel.values:
        errors["channel"] = ValidationError(CHANNEL_UNKNOWN, code="channel_unknown")
    if people_reached is None or people_reached < 1:
        errors["people_reached"] = ValidationError(COUNT_NOT_POSITIVE, code="count_not_positive")
    return errors


@transaction.atomic
def outreach_count_record(
    *,
    actor: User | None,
    activity: Activity,
    neighbourhood: str,
    channel: str,
    people_reached: int,
) -> OutreachCount:
    """One anonymous head count: this many people reached in this neighbourhood this way."""
    errors = _check_count(activity, channel, people_reached)
    if errors:
        raise ValidationError(errors)
    count = OutreachCount.objects.create(
        activity=activity,
        neighbourhood=neighbourhood.strip(),
        channel=channel,
        people_reached=people_reached,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=activity.organisation,
        action="outreach_count.record",
        obj=count,
        new={
            "activity": str(activity),
            "neighbourhood": count.neighbourhood,
            "channel": channel,
            "people_reached": people_reached,
        },
    )
    return count


@transaction.atomic
def outreach_counts_record(
    *, actor: User | None, activity: Activity, rows: Iterable[Mapping[str, Any]]
) -> list[OutreachCount]:
    """Several head counts at once (the rows of the outreach page): all or none."""
    return [
        outreach_count_record(
            actor=actor,
            activity=activity,
            neighbourhood=row.get("neighbourhood", ""),
            channel=row["channel"],
            people_reached=row["people_reached"],
        )
        for row in rows
    ]


@transaction.atomic
def outreach_count_delete(*, actor: User | None, count: OutreachCount) -> None:
    activity = count.activity
    audit_record(
        actor=actor,
        organisation=activity.organisation,
        action="outreach_count.delete",
        obj=count,
        old={
            "activity": str(activity),
            "neighbourhood": count.neighbourhood,
            "channel": count.channel,
            "people_reached": count.people_reached,
        },
    )
    count.delete()


def _starter_route(organisation: Organisation) -> RouteType | None:
    return RouteType.objects.for_organisation(organisation).filter(code=STARTER_ROUTE).first()


def _route_programmes(activity: Activity) -> list[Programme]:
    """The activity's programmes that its organisation may still put a trajectory in."""
    return list(allowed_programmes(activity.organisation).filter(activities=activity))


@transaction.atomic
def lead_create(
    *,
    actor: User,
    activity: Activity,
    first_name: str,
    last_name: str,
    phone: str = "",
    preferred_language: str = "",
    duplicate_override_reason: str = "",
) -> Client:
    """A person met at an outreach action who wants to hear more: a client file without a
    birth date, a starter trajectory in `outreach` (linked to the activity's programmes),
    and a row in the action's list of leads."""
    errors: dict[str, ValidationError] = {}
    today = timezone.localdate()
    start_day, end_day = activity.day, timezone.localdate(activity.ends_at)
    if not activity.is_outreach:
        errors["__all__"] = ValidationError(LEAD_NOT_OUTREACH, code="lead_not_outreach")
    elif start_day > today:
        errors["__all__"] = ValidationError(LEAD_BEFORE_ACTIVITY, code="lead_before_activity")
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if not value.strip():
            errors[name] = ValidationError(LEAD_NAME_REQUIRED, code="lead_name_required")
    if preferred_language and preferred_language not in LANGUAGE_CODES:
        errors["preferred_language"] = ValidationError(LANGUAGE_UNKNOWN, code="language_unknown")
    organisation = activity.organisation
    route_type = _starter_route(organisation)
    if route_type is None or Phase.OUTREACH not in route_type.phases:
        errors.setdefault(
            "__all__", ValidationError(STARTER_ROUTE_MISSING, code="starter_route_missing")
        )
    if errors:
        raise ValidationError(errors)
    client = client_services.client_create(
        actor=actor,
        organisation=organisation,
        data={
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "birth_date": None,
            "phone": phone.strip(),
            "preferred_language": preferred_language,
            "languages": [preferred_language] if preferred_language else [],
            "neighbourhood": activity.neighbourhood,
        },
        duplicate_override_reason=duplicate_override_reason,
    )
    # Dated within the action: today while it runs, its last day when noted afterwards.
    met_on = min(max(today, start_day), end_day)
    journey_services.trajectory_open(
        actor=actor,
        client=client,
        route_type=route_type,
        on=met_on,
        phase=Phase.OUTREACH,
        programmes=_route_programmes(activity),
        reason=str(LEAD_REASON) % {"title": activity.title},
    )
    registration = Registration.objects.create(
        activity=activity,
        client=client,
        status=RegistrationStatus.REGISTERED,
        attendance=Attendance.PRESENT,
        attendance_recorded_at=timezone.now(),
        route_applied=True,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="activity.lead_create",
        obj=registration,
        client=client,
        new={"activity": str(activity)},
    )
    return client


# Registrations and the wait list -------------------------------------------------------


def _promote_from_wait_list(*, actor: User | None, activity: Activity) -> list[Registration]:
    """Fill free places from the wait list, first come first served (activity locked)."""
    waiting = activity.registrations.waitlist().select_related("client")
    if activity.capacity is not None:
        free = activity.capacity - activity.registrations.registered().count()
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    for registration in promoted:
        Registration.objects.filter(
            pk=registration.pk, status=RegistrationStatus.WAITLISTED
        ).update(status=RegistrationStatus.REGISTERED)
        registration.status = RegistrationStatus.REGISTERED
        audit_record(
            actor=actor,
            organisation=activity.organisation,
            action="registration.promote",
            obj=registration,
            client=registration.client,
            old={"status": RegistrationStatus.WAITLISTED},
            new={"status": RegistrationStatus.REGISTERED},
        )
    return promoted


@transaction.atomic
def registration_add(*, actor: User | None, activity: Activity, client: Client) -> Registration:
    """Register the client, or put them on the wait list when every place is taken.

    `registration_message(registration)` says which, for the page."""
    if activity.is_outreach:
        raise ValidationError(REGISTRATION_FOR_OUTREACH, code="registration_for_outreach")
    if client.organisation_id != activity.organisation_id:
        raise ValidationError(
            {"client": ValidationError(CLIENT_OTHER_ORGANISATION, code="client_other_org")}
        )
    _lock_activity(activity)
    existing = Registration.objects.filter(activity=activity, client=client).first()
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        already = (
            ALREADY_WAITLISTED
            if existing.status == RegistrationStatus.WAITLISTED
            else ALREADY_REGISTERED
        )
        raise ValidationError(
            {
                "client": ValidationError(
                    already, code="already_registered", params={"name": client.full_name}
                )
            }
        )
    full = (
        activity.capacity is not None
        and activity.registrations.registered().count() >= activity.capacity
    )
    status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
    old: dict[str, Any] = {}
    if existing is None:
        registration = Registration.objects.create(activity=activity, client=client, status=status)
    else:
        old = {"status": existing.status}
        registration = existing
        registration.status, registration.registered_at = status, timezone.now()
        registration.attendance, registration.attendance_recorded_at = "", None
        registration.route_applied = False
        registration.save(
            update_fields=[
                "status",
                "registered_at",
                "attendance",
                "attendance_recorded_at",
                "route_applied",
            ]
        )
    registration.client = client
    registration.activity = activity
    audit_record(
        actor=actor,
        organisation=activity.organisation,
        action="registration.add",
        obj=registration,
        client=client,
        old=old,
        new={"status": status, "activity": str(activity)},
    )
    return registration


def wait_list_position(registration: Registration) -> int | None:
    """1 for the first on the wait list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(
            activity_id=registration.activity_id, status=RegistrationStatus.WAITLISTED
        )
        .filter(
            Q(registered_at__lt=registration.registered_at)
            | Q(registered_at=registration.registered_at, id__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def registration_message(registration: Registration) -> str:
    """What the person registering should read: registered, or on the wait list at place n."""
    name = registration.client.full_name
    if registration.status == RegistrationStatus.WAITLISTED:
        return str(WAITLISTED_MESSAGE) % {
            "name": name,
            "position": wait_list_position(registration),
        }
    return str(REGISTERED_MESSAGE) % {"name": name}


@transaction.atomic
def registration_cancel(*, actor: User | None, registration: Registration) -> Registration | None:
    """Cancel; a place that comes free goes to the first on the wait list (returned)."""
    activity = registration.activity
    _lock_activity(activity)
    current = (
        Registration.objects.filter(pk=registration.pk).values_list("status", "attendance").first()
    )
    if current is None or current[0] == RegistrationStatus.CANCELLED:
        raise ValidationError(ALREADY_CANCELLED, code="already_cancelled")
    status, attendance = current
    if attendance:
        raise ValidationError(CANCEL_AFTER_ATTENDANCE, code="cancel_after_attendance")
    claimed = Registration.objects.filter(pk=registration.pk, status=status).update(
        status=RegistrationStatus.CANCELLED
    )
    if not claimed:
        raise ValidationError(ALREADY_CANCELLED, code="already_cancelled")
    registration.status = RegistrationStatus.CANCELLED
    audit_record(
        actor=actor,
        organisation=activity.organisation,
        action="registration.cancel",
        obj=registration,
        client=registration.client,
        old={"status": status},
        new={"status": RegistrationStatus.CANCELLED},
    )
    if status != RegistrationStatus.REGISTERED:
        return None
    promoted = _promote_from_wait_list(actor=actor, activity=activity)
    return promoted[0] if promoted else None


# Attendance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceResult:
    changed: int = 0  # registrations whose attendance changed
    moved: int = 0  # starter trajectories moved from outreach to informed
    opened: int = 0  # starter trajectories opened at informed
    skipped: int = 0  # present, but the organisation's starter route cannot take them


@transaction.atomic
def attendance_record(
    *, actor: User | None, activity: Activity, marks: Mapping[int, str]
) -> AttendanceResult:
    """Record who came, for the whole list at once: {registration id: present/excused/absent}.

    Rows left out stay as they are. Someone from the wait list who came is registered. For an
    information session, each client present gets their starter trajectory moved from
    `outreach` to `informed` (or one opened at `informed` when they have no open one; nothing
    when they are further already), dated on the session's day. That happens once per
    registration: recording the list again, or correcting a mark, never moves anyone twice.
    """
    errors: dict[str, ValidationError] = {}
    if activity.is_outreach:
        errors["__all__"] = ValidationError(ATTENDANCE_FOR_OUTREACH, code="attendance_for_outreach")
    elif activity.day > timezone.localdate():
        errors["__all__"] = ValidationError(ATTENDANCE_TOO_EARLY, code="attendance_too_early")
    if any(value not in Attendance.values for value in marks.values()):
        errors["attendance"] = ValidationError(ATTENDANCE_INVALID, code="attendance_invalid")
    if errors:
        raise ValidationError(errors)
    _lock_activity(activity)
    found = {
        r.pk: r
        for r in Registration.objects.filter(activity=activity, pk__in=list(marks))
        .active()
        .select_related("client")
    }
    if set(marks) - set(found):
        raise ValidationError(
            {
                "attendance": ValidationError(
                    ATTENDANCE_UNKNOWN_REGISTRATION, code="attendance_unknown_registration"
                )
            }
        )
    now = timezone.now()
    changed: list[tuple[Registration, dict[str, Any]]] = []
    for pk, value in marks.items():
        registration = found[pk]
        if registration.attendance == value:
            continue
        old = {"attendance": registration.attendance, "status": registration.status}
        registration.attendance, registration.attendance_recorded_at = value, now
        if value == Attendance.PRESENT and registration.status == RegistrationStatus.WAITLISTED:
            # They came anyway: a place is theirs after the fact.
            registration.status = RegistrationStatus.REGISTERED
        changed.append((registration, old))
    Registration.objects.bulk_update(
        [r for r, _old in changed], ["attendance", "attendance_recorded_at", "status"]
    )
    for registration, old in changed:
        audit_record(
            actor=actor,
            organisation=activity.organisation,
            action="registration.attendance",
            obj=registration,
            client=registration.client,
            old=old,
            new={"attendance": registration.attendance, "status": registration.status},
        )
    result = AttendanceResult(changed=len(changed))
    if activity.kind == ActivityKind.INFO_SESSION:
        to_inform = [
            r for r in found.values() if r.attendance == Attendance.PRESENT and not r.route_applied
        ]
        if to_inform:
            moved, opened, skipped = _inform(actor=actor, activity=activity, present=to_inform)
            Registration.objects.filter(pk__in=[r.pk for r in to_inform]).update(route_applied=True)
            result = AttendanceResult(
                changed=len(changed), moved=moved, opened=opened, skipped=skipped
            )
    return result


def _inform(
    *, actor: User | None, activity: Activity, present: list[Registration]
) -> tuple[int, int, int]:
    """Move (or open) the starter trajectories of those present at an information session."""
    organisation = activity.organisation
    day = activity.day
    reason = str(INFORMED_REASON) % {"title": activity.title}
    open_routes = {
        t.client_id: t
        for t in Trajectory.objects.filter(
            client__in=[r.client_id for r in present],
            route_type__code=STARTER_ROUTE,
            closed_on__isnull=True,
        ).select_related("route_type", "organisation", "client")
    }
    route_type: RouteType | None = None
    programmes: list[Programme] | None = None
    moved = opened = skipped = 0
    for registration in present:
        client = registration.client
        client.organisation = organisation
        trajectory = open_routes.get(client.pk)
        if trajectory is None:
            if route_type is None:
                route_type = _starter_route(organisation)
            if route_type is None or Phase.INFORMED not in route_type.phases:
                skipped += 1
                continue
            if programmes is None:
                programmes = _route_programmes(activity)
            journey_services.trajectory_open(
                actor=actor,
                client=client,
                route_type=route_type,
                on=day,
                phase=Phase.INFORMED,
                programmes=programmes,
                reason=reason,
            )
            opened += 1
        elif trajectory.phase == Phase.OUTREACH and Phase.INFORMED in (
            trajectory.route_type.allowed_moves(trajectory.phase)
        ):
            journey_services.trajectory_move(
                actor=actor,
                trajectory=trajectory,
                to_phase=Phase.INFORMED,
                # Never before the trajectory's last move (a lead noted after the session).
                on=max(day, trajectory.phase_since),
                reason=reason,
            )
            # The session's programmes count this person from now on.
            if programmes is None:
                programmes = _route_programmes(activity)
            journey_services.trajectory_link_programmes(
                actor=actor, trajectory=trajectory, programmes=programmes
            )
            moved += 1
        # Further along already (or a route without that move): nothing to do.
    return moved, opened, skipped


# Series --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantRate:
    client: Client
    attended: int
    excused: int
    absent: int
    held: int
    rate: Decimal | None = field(default=None)

    @property
    def percent(self) -> int | None:
        if self.rate is None:
            return None
        return int((self.rate * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class SeriesAttendance:
    held: int
    participants: list[ParticipantRate]


def series_attendance_rates(
    series: ActivitySeries, *, now: datetime.datetime | None = None
) -> SeriesAttendance:
    """Sessions held, and one row per participant: sessions attended ÷ sessions held.

    A session is held once it has started. A participant is anyone with a registration (not
    cancelled) for any session of the series; the rate counts every held session, including
    those before they joined. Three queries, however large the series.
    """
    now = now or timezone.now()
    held = series.activities.filter(starts_at__lte=now).count()
    in_held = Q(activity__starts_at__lte=now)
    rows = list(
        Registration.objects.filter(activity__series=series)
        .active()
        .values("client_id")
        .annotate(
            attended=Count("id", filter=in_held & Q(attendance=Attendance.PRESENT)),
            excused=Count("id", filter=in_held & Q(attendance=Attendance.EXCUSED)),
            absent=Count("id", filter=in_held & Q(attendance=Attendance.ABSENT)),
        )
        .order_by()
    )
    clients = Client.objects.in_bulk([row["client_id"] for row in rows])
    result = []
    for row in rows:
        rate = None
        if held:
            rate = (Decimal(row["attended"]) / Decimal(held)).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
        result.append(
            ParticipantRate(
                client=clients[row["client_id"]],
                attended=row["attended"],
                excused=row["excused"],
                absent=row["absent"],
                held=held,
                rate=rate,
            )
        )
    result.sort(key=lambda r: (r.client.last_name, r.client.first_name, r.client.pk))
    return SeriesAttendance(held=held, participants=result)
