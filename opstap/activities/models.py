"""Activities of the route: outreach actions (anonymous head counts and named leads),
information sessions, workshops (optionally in a series), coffee chats and partner events,
with registrations, a wait list and attendance."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.models import Organisation
from opstap.journeys.models import Programme

from .querysets import (
    ActivityQuerySet,
    ActivitySeriesQuerySet,
    OutreachCountQuerySet,
    RegistrationQuerySet,
)


class ActivityKind(models.TextChoices):
    OUTREACH = "outreach", _("Outreach action")
    INFO_SESSION = "info_session", _("Information session")
    WORKSHOP = "workshop", _("Workshop")
    COFFEE_CHAT = "coffee_chat", _("Coffee chat")
    PARTNER_EVENT = "partner_event", _("Partner event")


class Channel(models.TextChoices):
    STREET = "street", _("Street")
    SHOP_VISIT = "shop_visit", _("Shop visit")
    COFFEE_CHAT = "coffee_chat", _("Coffee chat")
    PARTNER_EVENT = "partner_event", _("Partner event")
    SOCIAL_MEDIA = "social_media", _("Social media")
    OTHER = "other", _("Other")


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("On the wait list")
    CANCELLED = "cancelled", _("Cancelled")


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


class ActivitySeries(models.Model):
    """Sessions that belong together, e.g. the nine workshops of "Ladder to Success"."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="activity_series"
    )
    title = models.CharField(_("title"), max_length=200)
    planned_sessions = models.PositiveSmallIntegerField(_("planned sessions"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivitySeriesQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("series of activities")
        verbose_name_plural = _("series of activities")

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="nl")
    # Empty means no limit.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitated_activities",
        verbose_name=_("facilitator"),
    )
    # A facilitator from outside Opstap (a partner's trainer, a tax-office speaker).
    facilitator_name = models.CharField(_("other facilitator"), max_length=200, blank=True)
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="activities", verbose_name=_("programmes")
    )
    series = models.ForeignKey(
        ActivitySeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("series"),
    )
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            # The funnel: a programme's outreach actions in a period.
            models.Index(
                fields=["organisation", "kind", "starts_at"], name="activity_org_kind_start"
            ),
            # The activity list (upcoming / past) and the dashboard's week.
            models.Index(fields=["organisation", "starts_at"], name="activity_org_start"),
            models.Index(fields=["series", "starts_at"], name="activity_series_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_reference"],
                condition=~models.Q(external_reference=""),
                name="activity_external_reference_per_org",
            ),
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.title} ({formatting.day(self.starts_at, 'short')})"

    @property
    def day(self) -> datetime.date:
        """The local calendar day the activity starts on (moves in a route are dated by day)."""
        return timezone.localdate(self.starts_at)

    @property
    def is_outreach(self) -> bool:
        return self.kind == ActivityKind.OUTREACH

    @property
    def facilitator_label(self) -> str:
        names = [str(n) for n in (self.facilitator, self.facilitator_name) if n]
        return ", ".join(names)


class OutreachCount(models.Model):
    """People reached by an outreach action, anonymously: a head count per place and channel."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outreach_counts")
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    people_reached = models.PositiveIntegerField(_("people reached"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = OutreachCountQuerySet.as_manager()

    class Meta:
        ordering = ["neighbourhood", "channel", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(people_reached__gt=0), name="outreach_count_positive"
            )
        ]
        verbose_name = _("head count")
        verbose_name_plural = _("head counts")

    def __str__(self) -> str:
        return f"{self.neighbourhood or '—'} / {self.channel}: {self.people_reached}"


class Registration(models.Model):
    """A client registered for an activity (or on its wait list), and whether they came.

    For an outreach action the registrations are the named leads noted there.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="activity_registrations"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REGISTERED,
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    attendance = models.CharField(
        _("attendance"), max_length=16, choices=Attendance.choices, blank=True
    )
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    # Set once this registration's presence at an information session has been applied to
    # the client's starter route, so that recording the attendance again never moves twice.
    route_applied = models.BooleanField(default=False)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["registered_at", "id"]
        indexes = [
            # The attendance page and the wait list: one activity's rows by status, in order.
            models.Index(fields=["activity", "status", "registered_at"], name="registration_list"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["activity", "client"], name="one_registration"),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return f"{self.client} @ {self.activity}"
