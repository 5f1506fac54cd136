"""Reads of client data, always scoped to what the user may see."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q

from opstap.core.access import active_membership
from opstap.core.roles import Capability

if TYPE_CHECKING:
    from opstap.core.models import User


def is_national_number_query(text: str) -> bool:
    """A search for a BSN (9 digits) or a Belgian national number (11), punctuation aside."""
    compact = "".join(ch for ch in (text or "") if ch.isalnum())
    return compact.isdigit() and len(compact) in (9, 11)


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ClientQuerySet:
        """Clients of the active organisation the user may open; none for anyone else."""
        membership = active_membership(user)
        if membership is None:
            return self.none()
        in_org = self.filter(organisation_id=membership.organisation_id)
        if membership.can(Capability.VIEW_ALL_CLIENTS):
            return in_org
        if membership.can(Capability.VIEW_ASSIGNED_CLIENTS):
            return in_org.filter(coach_assignments__coach=user)
        return self.none()

    def shared_with(self, user: User) -> ClientQuerySet:
        """Clients of OTHER organisations whose file is shared with the user's active one.

        The sharing rule (docs/referrals.md): organisation P sees client C of organisation O
        while there is an outbound referral of C from O to P that is sent or accepted AND C
        has an active consent for sharing with P. It is evaluated at read time, so withdrawing
        the consent or declining/completing the referral ends it at once. Only for staff who
        see every file of their own organisation; never mixed into `visible_to`: a shared file
        is opened read-only, and only through the referral pages.
        """
        from django.apps import apps

        membership = active_membership(user)
        if membership is None or not membership.can(Capability.VIEW_ALL_CLIENTS):
            return self.none()
        try:
            # Asked by name: clients sits below referrals and does not import it.
            referral_model = apps.get_model("referrals", "Referral")
        except LookupError:
            return self.none()
        from .choices import ConsentPurpose
        from .models import Consent

        org = membership.organisation_id
        live_referral = referral_model.objects.sharing_with(org).filter(
            client_id=OuterRef("pk"), organisation_id=OuterRef("organisation_id")
        )
        consent = Consent.objects.active().filter(
            client_id=OuterRef("pk"), purpose=ConsentPurpose.PARTNER_SHARING, partner_id=org
        )
        return self.exclude(organisation_id=org).filter(Exists(live_referral), Exists(consent))

    def search(self, text: str, *, by_national_number: bool = True) -> ClientQuerySet:
        """Name (any part, accents ignored), exact national number, or postcode.

        Without `by_national_number` a number finds nobody: a role that may not see
        national numbers must not be able to learn whose number it is either.
        """
        from opstap.core import crypto

        from .models import normalise_for_search

        text = (text or "").strip()
        if not text:
            return self
        compact = "".join(ch for ch in text if ch.isalnum()).upper()
        if is_national_number_query(text):
            if not by_national_number:
                return self.none()
            return self.filter(national_number_hash=crypto.lookup_hash(compact))
        if re.fullmatch(r"\d{4}([A-Z]{2})?", compact):
            return self.postcode_is(compact)
        condition = Q()
        for word in normalise_for_search(text).split():
            condition &= Q(search_name__contains=word)
        return self.filter(condition)

    def postcode_is(self, compact: str) -> ClientQuerySet:
        """Belgian '1080', Dutch '1012' (every letter pair) or Dutch '1012AB'."""
        if len(compact) == 6:
            return self.filter(postcode=f"{compact[:4]} {compact[4:]}")
        # A range rather than LIKE 'x%', so both databases walk the (organisation, postcode) index.
        return self.filter(postcode__gte=compact, postcode__lt=f"{compact} ~")

    def for_list(self) -> ClientQuerySet:
        """Files for a list: a file whose processing is restricted is left out (docs/privacy.md)."""
        return self.filter(processing_restricted=False).select_related("adviser")


class ConsentQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> ConsentQuerySet:
        qs = self.filter(withdrawn_on__isnull=True)
        if on is not None:
            qs = qs.filter(given_on__lte=on)
        return qs

    def for_purpose(self, purpose: str) -> ConsentQuerySet:
        return self.filter(purpose=purpose)


class DocumentQuerySet(models.QuerySet):
    pass
