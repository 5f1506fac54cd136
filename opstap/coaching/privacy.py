"""Case notes, coaching sessions, action items and volunteer profiles in the personal-data
registry.

Confidential case notes stay out of the person's export (GDPR art. 15(4)): they are where
staff write down what others told them in confidence. The export says how many were left out,
so the organisation can review them by hand and release what does not harm anyone else
(docs/privacy.md, "Right of access").
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import ERASED, Delete, Entry, NotPersonal, Tombstone, register

PURPOSE = _("Guiding and coaching the person")
BASIS = _("Contract or public task (GDPR art. 6(1)(b)/(e))")
CONFIDENTIAL_WITHHELD = _(
    "Confidential case notes may hold what others said in confidence (GDPR art. 15(4)); "
    "ask the organisation to review them."
)


def _withheld_notes(rows: QuerySet):
    count = rows.filter(confidential=True).count()
    return (count, CONFIDENTIAL_WITHHELD) if count else None


register(
    Entry(
        model="coaching.CaseNote",
        category=Category.CASE_NOTES,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="client",
        fields=("created_at", "author", "trajectory", "text"),
        export_filter=lambda rows: rows.filter(confidential=False),
        withheld=_withheld_notes,
        erase=Delete(),
    ),
    Entry(
        model="coaching.CoachingSession",
        category=Category.CASE_NOTES,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=(_("Funders, as hours of coaching without names"),),
        client_path="client",
        fields=("on", "coach", "duration_minutes", "topics", "next_steps"),
        # The hours stay for the funders' figures; what was discussed goes.
        erase=Tombstone({"topics": [], "next_steps": ""}),
    ),
    Entry(
        model="coaching.ActionItem",
        category=Category.CASE_NOTES,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="trajectory__client",
        fields=("title", "owner", "due_on", "status", "done_on"),
        erase=Tombstone({"title": ERASED}),
    ),
    NotPersonal(
        "coaching.VolunteerProfile",
        _("A staff member's own profile (expertise, availability), not a client's data."),
    ),
)
