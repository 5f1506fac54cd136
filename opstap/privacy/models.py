"""Privacy records: retention periods and legal holds (dated parameters), export requests,
erasures, retention runs and the data-breach log."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opstap.core.models import Organisation

from .choices import Category, ErasureKind, ExportStatus, HoldStart


class DatedQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date) -> DatedQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on), valid_from__lte=on)


class RetentionPeriod(models.Model):
    """How long a data category is kept after the client's file closes, from a date on."""

    category = models.CharField(_("data category"), max_length=32, choices=Category.choices)
    years = models.PositiveSmallIntegerField(_("years after the file closes"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    basis = models.TextField(_("why this period"), blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        ordering = ["category", "-valid_from"]
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.years}"


class LegalHold(models.Model):
    """A legal obligation to keep a data category for a period, in one country, from a date on."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("data category"), max_length=32, choices=Category.choices)
    country = models.CharField(_("country"), max_length=2, choices=Organisation.Country.choices)
    years = models.PositiveSmallIntegerField(_("years"))
    starts = models.CharField(_("counted from"), max_length=16, choices=HoldStart.choices)
    legal_basis = models.TextField(_("legal basis"))
    url = models.URLField(_("source"), blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        ordering = ["country", "category", "-valid_from"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return self.name


class ExportRequest(models.Model):
    """A copy of everything Opstap holds on one person (GDPR art. 15), made in the background."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="export_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("ready"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"export {self.pk}"


class Erasure(models.Model):
    """That (and what of) a client's data was erased; held parts are erased when the hold ends."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Client files are never deleted by Opstap (erasure keeps a tombstone row); CASCADE only
    # serves a database wiped whole (tests, the demo).
    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("why"), max_length=16, choices=ErasureKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    erased_at = models.DateTimeField(_("erased"))
    # [{"hold": code, "name": …, "category": …, "until": ISO date or null}] of what is still kept.
    held = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"erasure of client {self.client_id}"

    @property
    def complete(self) -> bool:
        return not self.held


class RetentionRun(models.Model):
    """One run of the retention task for one organisation, and what it anonymised."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="retention_runs"
    )
    on = models.DateField(_("date"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    files = models.PositiveIntegerField(_("files touched"), default=0)
    rows = models.PositiveIntegerField(_("rows anonymised"), default=0)
    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True)

    class Meta:
        ordering = ["-ran_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"retention {self.on}"


class RetentionAction(models.Model):
    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="actions")
    # The file's number only: the report must not bring back the name it erased.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    category = models.CharField(_("data category"), max_length=32, choices=Category.choices)
    entry = models.CharField(_("data"), max_length=100)
    rows = models.PositiveIntegerField(_("rows"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.entry}: {self.rows}"


# A personal-data breach must be reported to the supervisory authority within 72 hours of
# becoming aware of it (GDPR art. 33(1)).
NOTIFY_AUTHORITY_WITHIN = datetime.timedelta(hours=72)


class DataBreach(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(_("found at"))
    nature = models.TextField(_("what happened"))
    categories = models.JSONField(_("data categories"), default=list)
    approximate_people = models.PositiveIntegerField(_("approximate number of people"))
    consequences = models.TextField(_("likely consequences"))
    measures = models.TextField(_("measures taken or proposed"))
    authority_notified_at = models.DateTimeField(
        _("supervisory authority notified at"), null=True, blank=True
    )
    people_notified_at = models.DateTimeField(_("people notified at"), null=True, blank=True)
    not_notified_reason = models.TextField(_("why not (yet) notified"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")

    def __str__(self) -> str:
        return f"breach {self.pk}"

    @property
    def authority_deadline(self) -> datetime.datetime:
        return self.found_at + NOTIFY_AUTHORITY_WITHIN

    @property
    def notified_late(self) -> bool:
        return bool(
            self.authority_notified_at and self.authority_notified_at > self.authority_deadline
        )

    def category_labels(self) -> list[str]:
        names = dict(Category.choices)
        return [str(names.get(c, c)) for c in self.categories]
