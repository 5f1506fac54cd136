"""Case notes, coaching sessions, action plans, and the volunteer coaches' profiles."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import LANGUAGE_CHOICES
from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.models import Organisation
from opstap.journeys.models import Trajectory

from .choices import ActionStatus, Expertise, Topic, labels
from .querysets import (
    ActionItemQuerySet,
    CaseNoteQuerySet,
    CoachingSessionQuerySet,
    VolunteerProfileQuerySet,
)


class CaseNote(models.Model):
    """What happened or was agreed, in the words of an adviser or coach.

    Plain text: pages render it escaped, with line breaks and links (never as HTML). A
    confidential note is read only by its author and the organisation's supervisors.
    """

    # Denormalised from the client, so every query is scoped to one tenant by an index.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="case_notes")
    trajectory = models.ForeignKey(
        Trajectory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_notes",
        verbose_name=_("route"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="case_notes",
        verbose_name=_("author"),
    )
    text = models.TextField(_("note"))
    confidential = models.BooleanField(_("confidential"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = CaseNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="casenote_client")]
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")

    def __str__(self) -> str:
        # Never the text: this string lands in the audit log and on the client's timeline.
        return str(_("Case note %(number)s") % {"number": self.pk})

    @property
    def was_edited(self) -> bool:
        return (self.updated_at - self.created_at).total_seconds() > 1


class CoachingSession(models.Model):
    """One conversation between a coach (staff or volunteer) and a client."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="coaching_sessions")
    trajectory = models.ForeignKey(
        Trajectory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coaching_sessions",
        verbose_name=_("route"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coaching_sessions",
        verbose_name=_("coach"),
    )
    on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    topics = models.JSONField(_("topics"), default=list)
    next_steps = models.TextField(_("next steps"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CoachingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(fields=["client", "-on"], name="session_client"),
            # "My sessions and hours this month".
            models.Index(fields=["coach", "organisation", "on"], name="session_coach_month"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="session_duration_positive"
            )
        ]
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")

    def __str__(self) -> str:
        return str(_("Coaching session of %(date)s") % {"date": formatting.day(self.on, "short")})

    @property
    def topic_labels(self) -> list[str]:
        return labels(self.topics, Topic)

    @property
    def hours(self) -> float:
        return self.duration_minutes / 60


class ActionItem(models.Model):
    """One step of a trajectory's action plan: who does what, by when."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    trajectory = models.ForeignKey(
        Trajectory, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(_("action"), max_length=200)
    # Nobody means the client: "register the business at the KBO" is theirs to do.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_on", "id"]
        indexes = [
            models.Index(fields=["trajectory", "status"], name="action_plan"),
            # The dashboard's "overdue actions": the owner's, and the adviser's trajectories'.
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_due"),
            models.Index(fields=["organisation", "status", "due_on"], name="action_org_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ActionStatus.DONE) & Q(done_on__isnull=False))
                | (~Q(status=ActionStatus.DONE) & Q(done_on__isnull=True)),
                name="action_done_on_iff_done",
            )
        ]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today


class VolunteerProfile(models.Model):
    """What a volunteer coach brings, and how many clients they can take, in one organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profiles"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="volunteer_profiles"
    )
    expertise = models.JSONField(_("expertise"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    availability = models.CharField(_("availability"), max_length=500, blank=True)
    max_clients = models.PositiveSmallIntegerField(_("maximum number of clients"), default=3)
    active = models.BooleanField(_("available for new clients"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VolunteerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_volunteer_profile_per_org"
            )
        ]
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def expertise_labels(self) -> list[str]:
        return labels(self.expertise, Expertise)

    @property
    def language_labels(self) -> list[str]:
        return labels(self.languages, LANGUAGE_CHOICES)
