"""The personal data of client files, for export, erasure and retention (privacy/registry.py).

The file itself is registered in parts, one per data category, so each part has its own
retention period; the identity part stays while a legal hold keeps loan or Bbz records, so
that those records still name the person they are about.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opstap.privacy.choices import Category
from opstap.privacy.registry import ERASED, NO_HOLD, Delete, Entry, Tombstone, register

from .choices import DocumentKind, Gender

PURPOSE_GUIDANCE = _("Guiding the person towards self-employment")
BASIS_TASK = _("Contract or public task (GDPR art. 6(1)(b)/(e))")
BASIS_SPECIAL = _("Explicit consent (GDPR art. 9(2)(a))")


def _delete_files(rows: QuerySet) -> None:
    for name in rows.values_list("file", flat=True):
        if name:
            default_storage.delete(name)


def _contract_hold_start(document):
    """A signed contract is part of the loan records while a loan of the client is held."""
    if document.kind != DocumentKind.CONTRACT:
        return NO_HOLD
    loans = list(document.client.loans.values_list("ended_on", flat=True))
    if not loans:
        return NO_HOLD
    if any(ended is None for ended in loans):
        return None
    return max(loans)


register(
    Entry(
        model="clients.Client",
        key="identity",
        title=_("Identity"),
        category=Category.IDENTITY,
        purpose=PURPOSE_GUIDANCE,
        legal_basis=BASIS_TASK,
        client_path="pk",
        fields=(
            "id",
            "external_reference",
            "first_name",
            "last_name",
            "birth_date",
            "gender",
            "national_number",
            "street",
            "postcode",
            "municipality",
            "adviser",
            "created_at",
            "processing_restricted",
        ),
        labels={"national_number": _("national number")},
        erase=Tombstone(
            {
                "first_name": ERASED,
                "last_name": "",
                "search_name": "",
                "birth_date": None,
                "gender": Gender.UNKNOWN,
                "external_reference": "",
                "national_number_encrypted": "",
                "national_number_hash": "",
                "national_number_last_digits": "",
                "national_number_country": "",
                "street": "",
                "postcode": "",
                "municipality": "",
            }
        ),
        held_with=(Category.LOAN_RECORDS, Category.BBZ_DECISIONS),
    ),
    Entry(
        model="clients.Client",
        key="contact",
        title=_("Contact details"),
        category=Category.CONTACT,
        purpose=PURPOSE_GUIDANCE,
        legal_basis=BASIS_TASK,
        client_path="pk",
        fields=("phone", "email", "neighbourhood", "languages", "preferred_language"),
        erase=Tombstone(
            {
                "phone": "",
                "email": "",
                "neighbourhood": "",
                "languages": [],
                "preferred_language": "",
            }
        ),
    ),
    Entry(
        model="clients.Client",
        key="situation",
        title=_("Situation at entry"),
        category=Category.SITUATION,
        purpose=_("Guidance and the funders' indicators (ESF+)"),
        legal_basis=BASIS_TASK,
        recipients=(_("Funders, as anonymous figures only"),),
        client_path="pk",
        fields=("household", "children_ages", "labour_status", "education"),
        erase=Tombstone(
            {"household": "", "children_ages": [], "labour_status": "", "education": None}
        ),
    ),
    Entry(
        model="clients.Client",
        key="financial",
        title=_("Income and bank account"),
        category=Category.FINANCIAL,
        purpose=_("Assessing the income situation and paying out loans"),
        legal_basis=BASIS_TASK,
        client_path="pk",
        fields=("income_source", "income_monthly", "iban"),
        labels={"iban": "IBAN"},
        erase=Tombstone({"income_source": "", "income_monthly": None, "iban_encrypted": ""}),
    ),
    Entry(
        model="clients.Client",
        key="special",
        title=_("Special-category data"),
        category=Category.SPECIAL,
        purpose=_("Suitable guidance and placements; equal-opportunity indicators"),
        legal_basis=BASIS_SPECIAL,
        client_path="pk",
        fields=("residence_status", "has_disability", "minority_background"),
        erase=Tombstone(
            {"residence_status": "", "has_disability": None, "minority_background": None}
        ),
    ),
    # Earlier versions of the file: erased in full at once, the current identity is what a
    # hold needs.
    Entry(
        model="clients.HistoricalClient",
        title=_("Earlier versions of the file"),
        category=Category.IDENTITY,
        purpose=_("Knowing who changed what in the file"),
        legal_basis=_("Accountability (GDPR art. 5(2))"),
        client_path="id",
        labels={"history_date": _("date of this version")},
        fields=(
            "history_date",
            "first_name",
            "last_name",
            "birth_date",
            "phone",
            "email",
            "street",
            "postcode",
            "municipality",
        ),
        erase=Tombstone(
            {
                "first_name": ERASED,
                "last_name": "",
                "birth_date": None,
                "external_reference": "",
                "national_number_encrypted": "",
                "national_number_last_digits": "",
                "national_number_country": "",
                "phone": "",
                "email": "",
                "street": "",
                "postcode": "",
                "municipality": "",
                "neighbourhood": "",
                "languages": [],
                "preferred_language": "",
                "household": "",
                "children_ages": [],
                "income_source": "",
                "income_monthly": None,
                "labour_status": "",
                "education": None,
                "residence_status": "",
                "iban_encrypted": "",
                "has_disability": None,
                "minority_background": None,
            }
        ),
    ),
    Entry(
        model="clients.Consent",
        category=Category.CONSENTS,
        purpose=_("Proving consent and sharing with partners"),
        legal_basis=_("Legal obligation to prove consent (GDPR art. 7(1))"),
        recipients=(_("Partner organisations the person consented to share with"),),
        client_path="client",
        fields=("purpose", "partner", "legal_basis", "given_on", "withdrawn_on", "text_version"),
        erase=Delete(),
    ),
    Entry(
        model="clients.ClientCoach",
        category=Category.CASE_NOTES,
        purpose=_("Assigning volunteer coaches"),
        legal_basis=BASIS_TASK,
        client_path="client",
        fields=("coach", "assigned_on"),
        erase=Delete(),
    ),
    Entry(
        model="clients.ClientDocument",
        category=Category.DOCUMENTS,
        purpose=_("Identity checks, contracts and plans"),
        legal_basis=BASIS_TASK,
        client_path="client",
        fields=("kind", "original_name", "content_type", "size", "uploaded_at"),
        erase=Delete(before=_delete_files),
        hold=Category.LOAN_RECORDS,
        hold_start=_contract_hold_start,
    ),
)
