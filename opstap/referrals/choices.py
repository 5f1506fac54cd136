"""A referral's direction and status, and the state machine its status follows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    # Seen from the organisation that records the referral.
    OUTBOUND = "outbound", _("Outbound (we refer the client to a partner)")
    INBOUND = "inbound", _("Inbound (a partner referred the client to us)")


class Status(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")


# The state machine: every move a referral's status may make. Declined and completed are final.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (Status.SENT, Status.ACCEPTED),
        (Status.SENT, Status.DECLINED),
        (Status.ACCEPTED, Status.COMPLETED),
    }
)

# While a referral to a partner on Opstap is in one of these, the partner may see the client's
# file (if the client consented to it). Declined ends the sharing, and so does completed: the
# partner's work is done and it keeps its own records of it (docs/referrals.md).
SHARING_STATUSES: tuple[str, ...] = (Status.SENT, Status.ACCEPTED)

# The verb on the button for each target status.
MOVE_LABELS = {
    Status.ACCEPTED: _("Accept"),
    Status.DECLINED: _("Decline"),
    Status.COMPLETED: _("Complete"),
}


def allowed_moves(status: str) -> list[str]:
    """The statuses a referral in `status` may move to, in the order of Status."""
    return [to for to in Status.values if (status, to) in TRANSITIONS]
