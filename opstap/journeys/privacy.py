"""Trajectories, phase changes and check-ins in the personal-data registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import Entry, Keep, Tombstone, register

PURPOSE = _("Following the person's route to self-employment")
BASIS = _("Contract or public task (GDPR art. 6(1)(b)/(e))")

register(
    Entry(
        model="journeys.Trajectory",
        category=Category.TRAJECTORIES,
        purpose=PURPOSE,
        legal_basis=BASIS,
        recipients=(_("Funders, as anonymous figures only"),),
        client_path="client",
        fields=("route_type", "phase", "phase_since", "opened_on", "closed_on", "outcome"),
        # Route, phase and dates say nothing once the file is anonymous, and the funders'
        # figures (starts, outcomes) are counted from them.
        erase=Keep(_("No personal content beyond the link to the file; counted anonymously.")),
    ),
    Entry(
        model="journeys.PhaseChange",
        category=Category.TRAJECTORIES,
        purpose=PURPOSE,
        legal_basis=BASIS,
        client_path="client",
        fields=("from_phase", "to_phase", "on", "reason"),
        erase=Tombstone({"reason": ""}),
    ),
    Entry(
        model="journeys.CheckIn",
        category=Category.TRAJECTORIES,
        purpose=_("Aftercare and the funders' outcome indicators"),
        legal_basis=BASIS,
        client_path="trajectory__client",
        fields=(
            "months_after_start",
            "due_on",
            "done_on",
            "business_active",
            "enterprise_number",
            "jobs_created_fte",
            "monthly_net_income",
            "still_on_benefits",
            "needs",
        ),
        erase=Tombstone({"enterprise_number": "", "monthly_net_income": None, "needs": ""}),
    ),
)
