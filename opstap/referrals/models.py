"""Referrals between organisations, and the history of their status."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client
from opstap.core.models import Organisation

from .choices import SHARING_STATUSES, Direction, Status
from .querysets import ReferralQuerySet


class Referral(models.Model):
    """One referral of a client between the recording organisation and a partner.

    `organisation` recorded it and owns the client file. An outbound referral to a partner
    on Opstap (`partner` set) is the same row the partner sees as an inbound referral; the
    partner answers it (accepts, declines, completes). For an external partner
    (`partner_name`) and for inbound referrals the recording organisation records the moves.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("client")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("recorded by organisation"),
    )
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("partner on Opstap"),
    )
    partner_name = models.CharField(_("external partner"), max_length=200, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENT
    )
    sent_on = models.DateField(_("sent on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(
                fields=["organisation", "direction", "-sent_on"], name="referral_org_dir_sent"
            ),
            # The partner's inbound list, and the sharing rule's "live referral to me".
            models.Index(fields=["partner", "status", "client"], name="referral_partner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False) & Q(partner_name=""))
                | (Q(partner__isnull=True) & ~Q(partner_name="")),
                name="referral_partner_xor_name",
            ),
            models.CheckConstraint(
                condition=~Q(partner=F("organisation")), name="referral_partner_not_self"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="referral_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        # No client name: this text lands in audit logs the partner's admin may read.
        return str(_("Referral %(number)s") % {"number": self.pk})

    @property
    def partner_display(self) -> str:
        return self.partner.name if self.partner_id else self.partner_name

    @property
    def answered_by_partner(self) -> bool:
        """A partner on Opstap answers an outbound referral itself."""
        return self.direction == Direction.OUTBOUND and self.partner_id is not None

    @property
    def answering_organisation_id(self) -> int:
        """The organisation whose members move the status."""
        return self.partner_id if self.answered_by_partner else self.organisation_id  # type: ignore[return-value]

    @property
    def is_live(self) -> bool:
        return self.status in SHARING_STATUSES

    @property
    def file_shared(self) -> bool:
        """The partner may see the client's file through this referral right now.

        Needs the `partner_consent` annotation (`Referral.objects.with_sharing()`); the same
        rule as `Client.objects.shared_with`, which decides what the partner can open.
        """
        if not (self.answered_by_partner and self.is_live):
            return False
        if not hasattr(self, "partner_consent"):
            self.partner_consent = (
                self.client.consents.active()
                .for_purpose(ConsentPurpose.PARTNER_SHARING)
                .filter(partner_id=self.partner_id)
                .exists()
            )
        return bool(self.partner_consent)


class ReferralEvent(models.Model):
    """One step in a referral's history: created (from empty) or a move of its status."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=16, choices=Status.choices, blank=True, default=""
    )
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    on = models.DateField(_("on"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
