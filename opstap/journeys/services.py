"""Every change to programmes, trajectories and check-ins goes through these functions."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User

from .models import (
    CheckIn,
    PerformanceTarget,
    PhaseChange,
    PhaseTarget,
    Programme,
    ProgrammeFunder,
    ProgrammePartner,
    RouteOutcome,
    RouteType,
    Trajectory,
)
from .phases import Phase

MOVE_NOT_ALLOWED = _("From “%(current)s” this route allows a move to: %(allowed)s.")
MOVE_FROM_CLOSED = _("This trajectory is closed; open a new one to start again.")
MOVE_IN_FUTURE = _("A move cannot be recorded on a date in the future.")
MOVE_BEFORE_PREVIOUS = _("A move cannot be dated before the previous move (%(previous)s).")
MOVE_CONFLICT = _("Someone else moved this trajectory meanwhile; reload the page and try again.")
OUTCOME_REQUIRED = _("Closing a trajectory needs an outcome.")
OUTCOME_WRONG_ROUTE = _("This outcome does not belong to the route “%(route)s”.")
OUTCOME_ONLY_WHEN_CLOSING = _("An outcome is only given when closing.")
PHASE_NOT_IN_ROUTE = _("The route “%(route)s” has no phase “%(phase)s”.")
ROUTE_NOT_AVAILABLE = _("This route is not available in your organisation.")
OPEN_IN_SAME_ROUTE = _("This client already has an open trajectory in this route.")
PROGRAMME_OTHER_ORGANISATION = _("The programme %(code)s is not one of your organisation's.")
PROGRAMME_CODE_TAKEN = _("A programme with this code already exists in your organisation.")
PROGRAMME_PERIOD = _("The end of the programme cannot be before its start.")
PARTNER_IS_PROMOTER = _("The promoter itself is not a partner of its programme.")
CHECKIN_ALREADY_DONE = _("This check-in was already recorded.")
CHECKIN_DATE_FUTURE = _("A check-in cannot be recorded on a date in the future.")
ADVISER_NOT_MEMBER = _("The adviser must be an active member of your organisation.")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def allowed_moves_text(route_type: RouteType, phase: str) -> str:
    moves = route_type.allowed_moves(phase)
    return ", ".join(str(Phase(p).label) for p in moves) or str(_("nothing (closed)"))


# Programmes ----------------------------------------------------------------------------


@transaction.atomic
def programme_save(
    *,
    actor: User | None,
    organisation: Organisation,
    code: str,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    start_rate_target: Decimal | None = None,
    phase_targets: dict[str, int] | None = None,
    description: str = "",
    partners: list[tuple[Organisation | None, str]] | None = None,
    funders: list[tuple[str, str]] | None = None,
) -> Programme:
    """Create the programme with this code, or update it: imports may repeat without harm.

    `partners` ([(organisation on Opstap or None, name)]) and `funders` ([(name, kind)]),
    when given, replace the programme's lists."""
    if ends_on < starts_on:
        raise ValidationError(
            {"ends_on": ValidationError(PROGRAMME_PERIOD, code="programme_period")}
        )
    programme = Programme.objects.filter(organisation=organisation, code=code).first()
    old: dict[str, Any] = {}
    if programme is None:
        programme = Programme(organisation=organisation, code=code)
    else:
        old = {
            "name": programme.name,
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
            "start_rate_target": programme.start_rate_target,
        }
    programme.name, programme.starts_on, programme.ends_on = name, starts_on, ends_on
    programme.start_rate_target = start_rate_target
    programme.description = description or programme.description
    programme.full_clean(validate_unique=False, validate_constraints=False)
    programme.save()
    if phase_targets is not None:
        for phase, target in phase_targets.items():
            PhaseTarget.objects.update_or_create(
                programme=programme, phase=phase, defaults={"target": target}
            )
    if partners is not None:
        if any(org is not None and org.pk == organisation.pk for org, _name in partners):
            raise ValidationError(
                {"partners": ValidationError(PARTNER_IS_PROMOTER, code="partner_is_promoter")}
            )
        programme.partners.all().delete()
        ProgrammePartner.objects.bulk_create(
            [
                ProgrammePartner(programme=programme, organisation=org, name=name)
                for org, name in partners
            ]
        )
    if funders is not None:
        programme.funders.all().delete()
        ProgrammeFunder.objects.bulk_create(
            [ProgrammeFunder(programme=programme, name=name, kind=kind) for name, kind in funders]
        )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="programme.update" if old else "programme.create",
        obj=programme,
        old=old,
        new={
            "name": name,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "start_rate_target": start_rate_target,
            "phase_targets": phase_targets,
            "partners": [name for _org, name in partners] if partners is not None else None,
            "funders": [name for name, _kind in funders] if funders is not None else None,
        },
    )
    return programme


# Trajectories --------------------------------------------------------------------------


def _check_date(on: datetime.date, previous: datetime.date | None) -> dict[str, ValidationError]:
    if on > timezone.localdate():
        return {"on": ValidationError(MOVE_IN_FUTURE, code="move_in_future")}
    if previous is not None and on < previous:
        return {
            "on": ValidationError(
                MOVE_BEFORE_PREVIOUS,
                code="move_before_previous",
                params={"previous": formatting.day(previous, "short")},
            )
        }
    return {}


@transaction.atomic
def trajectory_open(
    *,
    actor: User | None,
    client: Client,
    route_type: RouteType,
    on: datetime.date,
    phase: str | None = None,
    adviser: User | None = None,
    programmes: Iterable[Programme] = (),
    reason: str = "",
) -> Trajectory:
    """Open a route for a client, in its first phase or (when it starts later) in `phase`."""
    organisation = client.organisation
    phase = phase or route_type.phases[0]
    errors = _check_date(on, None)
    if not RouteType.objects.for_organisation(organisation).filter(pk=route_type.pk).exists():
        errors["route_type"] = ValidationError(ROUTE_NOT_AVAILABLE, code="route_not_available")
    elif phase not in route_type.phases or phase == Phase.CLOSED:
        errors["phase"] = ValidationError(
            PHASE_NOT_IN_ROUTE,
            code="phase_not_in_route",
            params={"route": route_type.name, "phase": phase},
        )
    elif Trajectory.objects.filter(client=client, route_type__code=route_type.code).open().exists():
        errors["route_type"] = ValidationError(OPEN_IN_SAME_ROUTE, code="open_in_same_route")
    programmes = list(programmes)
    for programme in programmes:
        if (
            programme.organisation_id != organisation.pk
            and not programme.partners.filter(organisation=organisation).exists()
        ):
            errors["programmes"] = ValidationError(
                PROGRAMME_OTHER_ORGANISATION,
                code="programme_other_org",
                params={"code": programme.code},
            )
    if (
        adviser is not None
        and not adviser.memberships.active().filter(organisation=organisation).exists()
    ):
        errors["adviser"] = ValidationError(ADVISER_NOT_MEMBER, code="adviser_not_member")
    if errors:
        raise ValidationError(errors)
    trajectory = Trajectory.objects.create(
        client=client,
        organisation=organisation,
        route_type=route_type,
        adviser=adviser or client.adviser,
        phase=phase,
        phase_since=on,
        opened_on=on,
    )
    trajectory.programmes.set(programmes)
    PhaseChange.objects.create(
        trajectory=trajectory,
        client=client,
        from_phase="",
        to_phase=phase,
        on=on,
        by=actor,
        reason=reason,
    )
    if phase == Phase.STARTED:
        _schedule_check_ins(trajectory, on)
    audit_record(
        actor=actor,
        organisation=organisation,
        action="trajectory.open",
        obj=trajectory,
        client=client,
        new={
            "route": route_type.code,
            "phase": phase,
            "on": on,
            "programmes": [p.code for p in programmes],
        },
    )
    return trajectory


@transaction.atomic
def trajectory_move(
    *,
    actor: User | None,
    trajectory: Trajectory,
    to_phase: str,
    on: datetime.date,
    reason: str = "",
    outcome: RouteOutcome | None = None,
) -> Trajectory:
    """Move to the next phase the route allows; closing needs an outcome. Backdating is
    allowed, but never into the future nor before the previous move."""
    route_type = trajectory.route_type
    current = trajectory.phase
    errors: dict[str, ValidationError] = {}
    if current == Phase.CLOSED:
        raise ValidationError(
            {"to_phase": ValidationError(MOVE_FROM_CLOSED, code="move_from_closed")}
        )
    if to_phase not in route_type.allowed_moves(current):
        errors["to_phase"] = ValidationError(
            MOVE_NOT_ALLOWED,
            code="move_not_allowed",
            params={
                "current": Phase(current).label,
                "allowed": allowed_moves_text(route_type, current),
            },
        )
    previous = trajectory.phase_changes.order_by("-on", "-id").values_list("on", flat=True).first()
    errors.update(_check_date(on, previous))
    if to_phase == Phase.CLOSED:
        if outcome is None:
            errors["outcome"] = ValidationError(OUTCOME_REQUIRED, code="outcome_required")
        elif outcome.route_type_id != route_type.pk:
            errors["outcome"] = ValidationError(
                OUTCOME_WRONG_ROUTE, code="outcome_wrong_route", params={"route": route_type.name}
            )
    elif outcome is not None:
        errors["outcome"] = ValidationError(
            OUTCOME_ONLY_WHEN_CLOSING, code="outcome_only_when_closing"
        )
    if errors:
        raise ValidationError(errors)

    closing = to_phase == Phase.CLOSED
    # Claim the move: of two people moving the same card at once, exactly one succeeds.
    claimed = Trajectory.objects.filter(pk=trajectory.pk, phase=current).update(
        phase=to_phase,
        phase_since=on,
        closed_on=on if closing else None,
        outcome=outcome if closing else None,
    )
    if not claimed:
        raise ValidationError({"to_phase": ValidationError(MOVE_CONFLICT, code="move_conflict")})
    trajectory.phase, trajectory.phase_since = to_phase, on
    trajectory.closed_on, trajectory.outcome = (on, outcome) if closing else (None, None)
    PhaseChange.objects.create(
        trajectory=trajectory,
        client_id=trajectory.client_id,
        from_phase=current,
        to_phase=to_phase,
        on=on,
        by=actor,
        reason=reason,
    )
    if to_phase == Phase.STARTED:
        _schedule_check_ins(trajectory, on)
    audit_record(
        actor=actor,
        organisation=trajectory.organisation,
        action="trajectory.move",
        obj=trajectory,
        client=trajectory.client,
        old={"phase": current},
        new={"phase": to_phase, "on": on, "outcome": outcome.code if outcome else None},
        extra={"reason": reason} if reason else None,
    )
    return trajectory


def _schedule_check_ins(trajectory: Trajectory, started_on: datetime.date) -> None:
    CheckIn.objects.bulk_create(
        [
            CheckIn(trajectory=trajectory, months_after_start=m, due_on=add_months(started_on, m))
            for m in CheckIn.MONTHS
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def check_in_record(
    *, actor: User, check_in: CheckIn, on: datetime.date, **answers: Any
) -> CheckIn:
    if on > timezone.localdate():
        raise ValidationError(
            {"done_on": ValidationError(CHECKIN_DATE_FUTURE, code="checkin_future")}
        )
    claimed = CheckIn.objects.filter(pk=check_in.pk, done_on__isnull=True).update(
        done_on=on, done_by=actor, **answers
    )
    if not claimed:
        raise ValidationError(CHECKIN_ALREADY_DONE, code="checkin_already_done")
    check_in.refresh_from_db()
    trajectory = check_in.trajectory
    audit_record(
        actor=actor,
        organisation=trajectory.organisation,
        action="checkin.record",
        obj=check_in,
        client=trajectory.client,
        new={"done_on": on, **answers},
    )
    return check_in


# Route types ---------------------------------------------------------------------------

ROUTE_NEEDS_CLOSED = _("Every route ends in “Closed”: keep that phase.")
ROUTE_TOO_SHORT = _("A route needs at least one phase before “Closed”.")
ROUTE_DEAD_END = _("From “%(phase)s” there is no move: give it at least one.")
ROUTE_MOVE_OUTSIDE = _("A move may only go to a phase of this route (%(phase)s is not one).")
ROUTE_NEEDS_SUCCESS = _("Give the route at least one outcome that counts as success.")
ROUTE_NAME_REQUIRED = _("Give the route a name in at least one language.")


@transaction.atomic
def route_type_adapt(
    *, actor: User, organisation: Organisation, route_type: RouteType
) -> RouteType:
    """The organisation's own copy of a built-in route type, to edit (the built-in stays)."""
    if route_type.organisation_id == organisation.pk:
        return route_type
    own = RouteType.objects.filter(organisation=organisation, code=route_type.code).first()
    if own is not None:
        return own
    copy = RouteType.objects.create(
        organisation=organisation,
        code=route_type.code,
        names=dict(route_type.names),
        phases=list(route_type.phases),
        transitions={k: list(v) for k, v in route_type.transitions.items()},
    )
    RouteOutcome.objects.bulk_create(
        [
            RouteOutcome(
                route_type=copy,
                code=o.code,
                names=dict(o.names),
                success=o.success,
                position=o.position,
            )
            for o in route_type.outcomes.all()
        ]
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="route_type.adapt",
        obj=copy,
        new={"code": copy.code},
    )
    return copy


@transaction.atomic
def route_type_update(
    *,
    actor: User,
    route_type: RouteType,
    names: dict[str, str],
    phases: list[str],
    transitions: dict[str, list[str]],
    success_outcomes: set[str],
) -> RouteType:
    """Change an organisation's route type; its trajectories keep their recorded history."""
    errors: dict[str, ValidationError] = {}
    ordered = [p.value for p in Phase if p.value in set(phases)]
    names = {k: v.strip() for k, v in names.items() if v and v.strip()}
    if not names:
        errors["names"] = ValidationError(ROUTE_NAME_REQUIRED, code="route_name_required")
    if Phase.CLOSED not in ordered:
        errors["phases"] = ValidationError(ROUTE_NEEDS_CLOSED, code="route_needs_closed")
    elif len(ordered) < 2:
        errors["phases"] = ValidationError(ROUTE_TOO_SHORT, code="route_too_short")
    kept = {p: [t for t in transitions.get(p, []) if t != p] for p in ordered if p != Phase.CLOSED}
    for phase, targets in kept.items():
        outside = [t for t in targets if t not in ordered]
        if outside:
            errors["transitions"] = ValidationError(
                ROUTE_MOVE_OUTSIDE,
                code="route_move_outside",
                params={"phase": Phase(outside[0]).label},
            )
        elif not targets:
            errors["transitions"] = ValidationError(
                ROUTE_DEAD_END, code="route_dead_end", params={"phase": Phase(phase).label}
            )
    if not success_outcomes:
        errors["outcomes"] = ValidationError(ROUTE_NEEDS_SUCCESS, code="route_needs_success")
    if errors:
        raise ValidationError(errors)
    old = {
        "names": route_type.names,
        "phases": route_type.phases,
        "transitions": route_type.transitions,
    }
    route_type.names, route_type.phases, route_type.transitions = names, ordered, kept
    route_type.save(update_fields=["names", "phases", "transitions"])
    for outcome in route_type.outcomes.all():
        success = outcome.code in success_outcomes
        if outcome.success != success:
            outcome.success = success
            outcome.save(update_fields=["success"])
    audit_record(
        actor=actor,
        organisation=route_type.organisation,
        action="route_type.update",
        obj=route_type,
        old=old,
        new={
            "names": names,
            "phases": ordered,
            "transitions": kept,
            "success_outcomes": sorted(success_outcomes),
        },
    )
    return route_type


@transaction.atomic
def trajectory_link_programmes(
    *, actor: User | None, trajectory: Trajectory, programmes: Iterable[Programme]
) -> list[Programme]:
    """Count a trajectory in more programmes (e.g. the programme of the session attended).

    Only programmes the organisation promotes or partners in; those already linked are
    skipped. Returns the newly linked ones."""
    organisation = trajectory.organisation
    wanted = {p.pk: p for p in programmes}
    allowed = set(
        Programme.objects.filter(pk__in=wanted)
        .filter(models.Q(organisation=organisation) | models.Q(partners__organisation=organisation))
        .values_list("pk", flat=True)
    )
    refused = [p.code for pk, p in wanted.items() if pk not in allowed]
    if refused:
        raise ValidationError(
            {
                "programmes": ValidationError(
                    PROGRAMME_OTHER_ORGANISATION,
                    code="programme_other_org",
                    params={"code": refused[0]},
                )
            }
        )
    already = set(trajectory.programmes.values_list("pk", flat=True))
    added = [wanted[pk] for pk in sorted(allowed - already)]
    if added:
        trajectory.programmes.add(*added)
        audit_record(
            actor=actor,
            organisation=organisation,
            action="trajectory.link_programmes",
            obj=trajectory,
            client=trajectory.client,
            new={"programmes": [p.code for p in added]},
        )
    return added


@transaction.atomic
def performance_target_save(
    *,
    actor: User,
    organisation: Organisation,
    route_code: str,
    success_rate: Decimal,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    mean_duration_months: Decimal | None = None,
    description: str = "",
) -> PerformanceTarget:
    """A new performance agreement for a route; the one it follows ends the day before."""
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": ValidationError(PROGRAMME_PERIOD, code="target_period")})
    previous = PerformanceTarget.objects.filter(
        organisation=organisation, route_code=route_code, valid_from__lt=valid_from
    ).filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=valid_from))
    previous.update(valid_to=valid_from - datetime.timedelta(days=1))
    target = PerformanceTarget.objects.create(
        organisation=organisation,
        route_code=route_code,
        success_rate=success_rate,
        valid_from=valid_from,
        valid_to=valid_to,
        mean_duration_months=mean_duration_months,
        description=description,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="performance_target.create",
        obj=target,
        new={
            "route": route_code,
            "success_rate": success_rate,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )
    return target
