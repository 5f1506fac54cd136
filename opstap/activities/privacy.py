"""Registrations for activities in the personal-data registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import Entry, Keep, register

register(
    Entry(
        model="activities.Registration",
        category=Category.ACTIVITIES,
        purpose=_("Inviting the person to information sessions and workshops"),
        legal_basis=_("Contract or public task (GDPR art. 6(1)(b)/(e))"),
        recipients=(_("Funders, as attendance figures without names"),),
        client_path="client",
        fields=("activity", "status", "registered_at", "attendance"),
        # Attendance counts stay right; once the file is anonymous, so is the registration.
        erase=Keep(_("No personal content beyond the link to the file; counted anonymously.")),
    ),
)
