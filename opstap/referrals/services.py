"""Every change to a referral goes through one of these functions.

Each checks first (raising ValidationError with a field and a stable code, or
PermissionDenied when the acting organisation is not the one that may make the move), then
writes inside one transaction together with its history row and audit event.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User

from .choices import Direction, Status, allowed_moves
from .models import Referral, ReferralEvent

CLIENT_OF_OTHER_ORGANISATION = _("This client is not a client of your organisation.")
DIRECTION_INVALID = _("Choose whether the client is referred to a partner or by a partner.")
PARTNER_MISSING = _("Choose a partner organisation on Opstap or give the name of an external one.")
PARTNER_BOTH = _(
    "Choose a partner organisation on Opstap or give the name of an external one, not both."
)
PARTNER_IS_SELF = _("Your own organisation cannot be the partner of a referral.")
REASON_MISSING = _("Give the reason for the referral.")
SENT_ON_FUTURE = _("The referral cannot be sent on a date in the future.")
STATUS_UNKNOWN = _("This is not a status a referral can have.")
TRANSITION_NOT_ALLOWED = _("A referral that is “%(status)s” can only become: %(allowed)s.")
TRANSITION_FINAL = _("A referral that is “%(status)s” is final and cannot change any more.")
NOT_YOUR_MOVE = _(
    "Only %(organisation)s can accept, decline or complete this referral: "
    "the partner answers a referral made to it on Opstap."
)
DATE_FUTURE = _("The date cannot be in the future.")
DATE_BEFORE_PREVIOUS = _("The date cannot be before %(date)s, the date of the previous step.")
REFERRAL_CHANGED = _(
    "Someone else changed this referral in the meantime: it is now “%(status)s”. "
    "Look again before you change it."
)
OUTCOME_MISSING = _("Describe the outcome of the referral.")

# Shown wherever a referral to a partner on Opstap shares nothing (no consent for it).
NOT_SHARED_WARNING = _(
    "The client has no active consent for sharing with %(partner)s. The partner sees that "
    "a referral was made, but not whom it is about or why, until the consent is recorded "
    "on the client's file."
)


def has_partner_consent(client: Client, partner: Organisation) -> bool:
    return (
        client.consents.active()
        .for_purpose(ConsentPurpose.PARTNER_SHARING)
        .filter(partner=partner)
        .exists()
    )


@transaction.atomic
def referral_create(
    *,
    actor: User,
    organisation: Organisation,
    client: Client,
    direction: str,
    reason: str,
    sent_on: datetime.date,
    partner: Organisation | None = None,
    partner_name: str = "",
) -> Referral:
    """Record a referral of the organisation's own client, to (outbound) or from (inbound)
    a partner. An outbound referral to a partner on Opstap without the client's consent for
    that partner is allowed; it shares nothing (see NOT_SHARED_WARNING)."""
    partner_name = (partner_name or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, ValidationError] = {}
    if client.organisation_id != organisation.pk:
        errors["client"] = ValidationError(
            CLIENT_OF_OTHER_ORGANISATION, code="client_of_other_organisation"
        )
    if direction not in Direction.values:
        errors["direction"] = ValidationError(DIRECTION_INVALID, code="direction_invalid")
    if partner is not None and partner_name:
        errors["partner"] = ValidationError(PARTNER_BOTH, code="partner_both")
    elif partner is None and not partner_name:
        errors["partner"] = ValidationError(PARTNER_MISSING, code="partner_missing")
    elif partner is not None and partner.pk == organisation.pk:
        errors["partner"] = ValidationError(PARTNER_IS_SELF, code="partner_is_self")
    if not reason:
        errors["reason"] = ValidationError(REASON_MISSING, code="reason_missing")
    if sent_on > timezone.localdate():
        errors["sent_on"] = ValidationError(SENT_ON_FUTURE, code="sent_on_future")
    if errors:
        raise ValidationError(errors)

    referral = Referral.objects.create(
        client=client,
        organisation=organisation,
        direction=direction,
        partner=partner,
        partner_name=partner_name,
        reason=reason,
        status=Status.SENT,
        sent_on=sent_on,
        created_by=actor,
    )
    ReferralEvent.objects.create(
        referral=referral,
        from_status="",
        to_status=Status.SENT,
        on=sent_on,
        by=actor,
        organisation=organisation,
    )
    shares = (
        direction == Direction.OUTBOUND
        and partner is not None
        and has_partner_consent(client, partner)
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="referral.create",
        obj=referral,
        client=client,
        new={
            "direction": direction,
            "partner": partner or partner_name,
            "status": Status.SENT,
            "sent_on": sent_on,
        },
        extra={"file_shared": shares},
    )
    return referral


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def transition_refusal(status: str, to: str) -> ValidationError | None:
    """The error for moving a referral from `status` to `to`, or None when the move is allowed.

    The message names the moves that are allowed, so the person knows what they can do.
    """
    if to not in Status.values:
        return ValidationError(STATUS_UNKNOWN, code="status_unknown")
    allowed = allowed_moves(status)
    if to in allowed:
        return None
    if not allowed:
        return ValidationError(
            TRANSITION_FINAL,
            code="transition_not_allowed",
            params={"status": _status_label(status)},
        )
    return ValidationError(
        TRANSITION_NOT_ALLOWED,
        code="transition_not_allowed",
        params={
            "status": _status_label(status),
            "allowed": ", ".join(f"“{_status_label(s)}”" for s in allowed),
        },
    )


@transaction.atomic
def referral_transition(
    *,
    actor: User,
    organisation: Organisation,
    referral: Referral,
    to: str,
    on: datetime.date | None = None,
    note: str = "",
    outcome: str = "",
) -> Referral:
    """Move the referral's status along the state machine (choices.TRANSITIONS).

    `organisation` is the one the actor acts for. A partner on Opstap answers a referral
    made to it (accepts, declines, completes); otherwise the recording organisation records
    the moves (the external partner's answer, or its own answer to an inbound referral).
    """
    if organisation.pk != referral.answering_organisation_id:
        answering = referral.partner if referral.answered_by_partner else referral.organisation
        raise PermissionDenied(gettext(NOT_YOUR_MOVE) % {"organisation": answering})
    on = on or timezone.localdate()
    note = (note or "").strip()
    outcome = (outcome or "").strip()
    errors: dict[str, ValidationError] = {}
    refusal = transition_refusal(referral.status, to)
    if refusal is not None:
        raise ValidationError({"to": refusal})
    previous = referral.answered_on if to == Status.COMPLETED else referral.sent_on
    previous = previous or referral.sent_on
    if on > timezone.localdate():
        errors["on"] = ValidationError(DATE_FUTURE, code="date_future")
    elif on < previous:
        errors["on"] = ValidationError(
            DATE_BEFORE_PREVIOUS,
            code="date_before_previous",
            params={"date": formatting.day(previous, "short")},
        )
    if to == Status.COMPLETED and not outcome:
        errors["outcome"] = ValidationError(OUTCOME_MISSING, code="outcome_missing")
    if errors:
        raise ValidationError(errors)

    from_status = referral.status
    changes: dict[str, object] = {"status": to}
    if to in (Status.ACCEPTED, Status.DECLINED):
        changes["answered_on"] = on
    if to == Status.COMPLETED:
        changes["completed_on"] = on
        changes["outcome"] = outcome
    # Conditional update: of two people answering at once, exactly one moves the status; the
    # other is told what it has become.
    moved = Referral.objects.filter(pk=referral.pk, status=from_status).update(
        **changes, updated_at=timezone.now()
    )
    if not moved:
        referral.refresh_from_db(fields=["status", "answered_on", "completed_on", "outcome"])
        raise ValidationError(
            {
                "to": ValidationError(
                    REFERRAL_CHANGED,
                    code="referral_changed",
                    params={"status": _status_label(referral.status)},
                )
            }
        )
    for field, value in changes.items():
        setattr(referral, field, value)
    ReferralEvent.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to,
        on=on,
        by=actor,
        organisation=organisation,
        note=note,
    )
    old = {"status": from_status}
    new = {"status": to, "answered_on" if to != Status.COMPLETED else "completed_on": on}
    audit_record(
        actor=actor,
        organisation=organisation,
        action="referral.transition",
        obj=referral,
        client=referral.client,
        old=old,
        new=new,
    )
    return referral
