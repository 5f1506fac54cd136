"""Reads of referrals, always scoped to what the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Consent
from opstap.core.access import active_membership
from opstap.core.roles import Capability

from .choices import SHARING_STATUSES, Direction

if TYPE_CHECKING:
    from opstap.core.models import User


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReferralQuerySet:
        """The referrals the active organisation made or recorded, and the ones made to it.

        For staff who see every client file of the organisation (volunteers and auditors see
        none). A referral made to the organisation shows who referred, when and its status;
        whether it also shows whom is decided per row by the sharing rule (`with_sharing`).
        """
        membership = active_membership(user)
        if membership is None or not membership.can(Capability.VIEW_ALL_CLIENTS):
            return self.none()
        org = membership.organisation_id
        return self.filter(Q(organisation_id=org) | Q(direction=Direction.OUTBOUND, partner_id=org))

    def outbound_for(self, organisation_id: int) -> ReferralQuerySet:
        """Referrals the organisation made to a partner."""
        return self.filter(organisation_id=organisation_id, direction=Direction.OUTBOUND)

    def inbound_for(self, organisation_id: int) -> ReferralQuerySet:
        """Referrals to the organisation: recorded by itself, or made to it by an Opstap partner."""
        return self.filter(
            Q(organisation_id=organisation_id, direction=Direction.INBOUND)
            | Q(direction=Direction.OUTBOUND, partner_id=organisation_id)
        )

    def sharing_with(self, organisation_id: int) -> ReferralQuerySet:
        """Live outbound referrals to this organisation: the referral half of the sharing rule.

        The consent half is in `opstap.clients.querysets.ClientQuerySet.shared_with`.
        """
        return self.filter(
            direction=Direction.OUTBOUND,
            partner_id=organisation_id,
            status__in=SHARING_STATUSES,
        ).exclude(organisation_id=organisation_id)

    def with_sharing(self) -> ReferralQuerySet:
        """Annotate `partner_consent`: the client has an active consent to share with the
        partner of this referral. `Referral.file_shared` combines it with the status."""
        consent = Consent.objects.active().filter(
            client_id=OuterRef("client_id"),
            purpose=ConsentPurpose.PARTNER_SHARING,
            partner_id=OuterRef("partner_id"),
        )
        return self.annotate(partner_consent=Exists(consent))

    def for_list(self) -> ReferralQuerySet:
        return self.select_related("client", "organisation", "partner").with_sharing()

    def partner_matches(self, text: str, *, viewer_organisation_id: int) -> ReferralQuerySet:
        """The other side's name contains `text`, seen from the viewer's organisation: the
        partner of its own referrals, the referring organisation of those made to it."""
        text = (text or "").strip()
        if not text:
            return self
        own = Q(organisation_id=viewer_organisation_id) & (
            Q(partner__name__icontains=text) | Q(partner_name__icontains=text)
        )
        received = Q(
            direction=Direction.OUTBOUND,
            partner_id=viewer_organisation_id,
            organisation__name__icontains=text,
        )
        return self.filter(own | received)
