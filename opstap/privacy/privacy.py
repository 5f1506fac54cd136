"""The privacy app's own records and core's logs, in the personal-data registry.

Core is registered here rather than in `opstap/core/privacy.py` because core sits below the
privacy app and must not import it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .choices import Category
from .registry import Entry, Keep, NotPersonal, register

ACCOUNTABILITY = _("Accountability (GDPR art. 5(2))")
AUDIT_KEPT = _(
    "Audit and access logs are append-only: they prove who did and read what, "
    "and are never changed or deleted by the application."
)

register(
    Entry(
        model="core.AuditEvent",
        title=_("Changes made to the file"),
        category=Category.ACCOUNTABILITY,
        purpose=_("Knowing who changed what"),
        legal_basis=ACCOUNTABILITY,
        client_path="client",
        fields=("created_at", "actor", "action", "object_type"),
        erase=Keep(AUDIT_KEPT),
    ),
    Entry(
        model="core.FileAccess",
        title=_("Who opened the file"),
        category=Category.ACCOUNTABILITY,
        purpose=_("Knowing who read the file"),
        legal_basis=ACCOUNTABILITY,
        client_path="client",
        fields=("accessed_at", "user", "organisation", "purpose"),
        erase=Keep(AUDIT_KEPT),
    ),
    Entry(
        model="privacy.ExportRequest",
        title=_("Copies of the data requested"),
        category=Category.ACCOUNTABILITY,
        purpose=_("Answering requests for access (GDPR art. 15)"),
        legal_basis=ACCOUNTABILITY,
        client_path="client",
        fields=("created_at", "requested_by", "status", "downloaded_at"),
        erase=Keep(_("Proof that a request for access was answered.")),
    ),
    Entry(
        model="privacy.Erasure",
        title=_("Erasure"),
        category=Category.ACCOUNTABILITY,
        purpose=_("Answering requests for erasure (GDPR art. 17)"),
        legal_basis=ACCOUNTABILITY,
        client_path="client",
        fields=("kind", "erased_at", "held"),
        erase=Keep(_("Proof that the data was erased, and what a legal hold still keeps.")),
    ),
    NotPersonal(
        "privacy.RetentionAction",
        _("The number of a file and how many rows were anonymised: no personal content."),
    ),
    NotPersonal(
        "core.User",
        _("Staff accounts (name, e-mail) of the organisation's members, not a client's data."),
    ),
)
