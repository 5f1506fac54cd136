"""The data categories of the registry and the states of the privacy records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity")
    CONTACT = "contact", _("Contact details")
    SITUATION = "situation", _("Situation at entry")
    FINANCIAL = "financial", _("Financial data")
    SPECIAL = "special", _("Special-category data")
    CONSENTS = "consents", _("Consents")
    DOCUMENTS = "documents", _("Documents")
    TRAJECTORIES = "trajectories", _("Trajectories and check-ins")
    CASE_NOTES = "case_notes", _("Case notes and coaching")
    ACTIVITIES = "activities", _("Activities and attendance")
    REFERRALS = "referrals", _("Referrals")
    BUSINESS_PLANS = "business_plans", _("Business plans")
    LOAN_RECORDS = "loan_records", _("Loan records and ledger")
    BBZ_DECISIONS = "bbz_decisions", _("Bbz and viability decisions")
    ACCOUNTABILITY = "accountability", _("Audit and access logs")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready to download")
    DOWNLOADED = "downloaded", _("Downloaded")
    FAILED = "failed", _("Failed")


class ErasureKind(models.TextChoices):
    REQUEST = "request", _("On the person's request")
    RETENTION = "retention", _("Retention period ended")


class HoldStart(models.TextChoices):
    """From which date a hold's period counts."""

    LOAN_ENDED = "loan_ended", _("The loan ended")
    DECIDED = "decided", _("The decision was taken")
