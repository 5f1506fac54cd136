"""Referrals in the personal-data registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import ERASED, Entry, Tombstone, register

PURPOSE = _("Referring the person to and from partner organisations")
BASIS = _("Contract or public task (GDPR art. 6(1)(b)/(e))")
PARTNERS = (_("The partner organisation of the referral"),)

register(
    Entry(
        model="referrals.Referral",
        category=Category.REFERRALS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=PARTNERS,
        client_path="client",
        fields=(
            "direction",
            "partner",
            "partner_name",
            "reason",
            "status",
            "sent_on",
            "answered_on",
            "completed_on",
            "outcome",
        ),
        erase=Tombstone({"reason": ERASED, "outcome": ""}),
    ),
    Entry(
        model="referrals.ReferralEvent",
        category=Category.REFERRALS,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=PARTNERS,
        client_path="referral__client",
        fields=("from_status", "to_status", "on", "note"),
        erase=Tombstone({"note": ""}),
    ),
)
