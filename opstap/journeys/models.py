"""Programmes and their targets, route types as data, trajectories and their phase history,
and the aftercare check-ins of started entrepreneurs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.models import Organisation

from .phases import PHASE_ORDER, Phase
from .querysets import (
    CheckInQuerySet,
    PhaseChangeQuerySet,
    ProgrammeQuerySet,
    RouteTypeQuerySet,
    TrajectoryQuerySet,
)

RATE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def translated(names: dict[str, str], fallback: str) -> str:
    """The name in the active language, else English, else any, else the code."""
    language = (get_language() or "en")[:2]
    return names.get(language) or names.get("en") or next(iter(names.values()), fallback)


class Programme(models.Model):
    """A project with a period, a promoter, partners, funders and targets (e.g. Project AZO!)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("promoter"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    start_rate_target = models.DecimalField(
        _("start-rate target"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=RATE,
        help_text=_("Share of people in guidance who start, e.g. 0.20 for 20%."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="programme_code_per_org"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="programme_period_ordered",
            ),
        ]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ProgrammePartner(models.Model):
    """A partner on Opstap (organisation set) or outside it (only a name, e.g. VDAB)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgrammeFunder(models.Model):
    class Kind(models.TextChoices):
        ESF = "esf", _("European Social Fund (ESF+)")
        COFINANCING = "cofinancing", _("Co-financing fund")
        FOUNDATION = "foundation", _("Foundation")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="funders")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PhaseTarget(models.Model):
    """How many distinct persons should reach a phase within the programme period."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="phase_targets")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    target = models.PositiveIntegerField(_("target"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "phase"], name="one_target_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} {self.phase}: {self.target}"


class PerformanceTarget(models.Model):
    """A performance agreement per route, valid for a period (agreements change yearly)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="performance_targets"
    )
    route_code = models.SlugField(_("route"), max_length=40)
    success_rate = models.DecimalField(
        _("success-rate target"), max_digits=5, decimal_places=4, validators=RATE
    )
    mean_duration_months = models.DecimalField(
        _("expected mean duration (months)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["route_code", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.route_code} ≥ {self.success_rate:%}"


class RouteType(models.Model):
    """A kind of route, as data: its phases, allowed moves and closing outcomes.

    Built-in route types have no organisation and serve everyone; an organisation admin can
    adapt one, which makes an organisation's own copy with the same code.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="route_types"
    )
    code = models.SlugField(_("code"), max_length=40)
    names = models.JSONField(_("names"), default=dict)
    phases = models.JSONField(_("phases"), default=list)
    transitions = models.JSONField(_("allowed moves"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RouteTypeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="route_code_per_org"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organisation__isnull=True),
                name="route_code_builtin",
            ),
        ]
        verbose_name = _("route type")
        verbose_name_plural = _("route types")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return translated(self.names, self.code)

    def allowed_moves(self, phase: str) -> list[str]:
        return list(self.transitions.get(phase, []))

    @property
    def phase_labels(self) -> list[str]:
        return [str(Phase(p).label) for p in self.phases]

    @property
    def board_phases(self) -> list[str]:
        return [p for p in self.phases if p != Phase.CLOSED]


class RouteOutcome(models.Model):
    route_type = models.ForeignKey(RouteType, on_delete=models.CASCADE, related_name="outcomes")
    code = models.SlugField(_("code"), max_length=40)
    names = models.JSONField(_("names"), default=dict)
    success = models.BooleanField(_("counts as success"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["route_type", "code"], name="outcome_code_per_route")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return translated(self.names, self.code)


class Trajectory(models.Model):
    """One client in one route: where they are now, and how they got there."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="trajectories")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    route_type = models.ForeignKey(
        RouteType, on_delete=models.PROTECT, related_name="trajectories", verbose_name=_("route")
    )
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="trajectories", verbose_name=_("programmes")
    )
    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trajectories",
        verbose_name=_("adviser"),
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    phase_since = models.DateField(_("in this phase since"))
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.ForeignKey(
        RouteOutcome,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrajectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [
            # The board: one column (organisation, route, phase), longest waiting first.
            models.Index(
                fields=["organisation", "route_type", "phase", "phase_since", "id"],
                name="trajectory_board",
            ),
            models.Index(fields=["client", "route_type"], name="trajectory_client_route"),
            # Route performance counts the trajectories closed in a period.
            models.Index(fields=["organisation", "closed_on"], name="trajectory_closed"),
        ]
        verbose_name = _("trajectory")
        verbose_name_plural = _("trajectories")

    def __str__(self) -> str:
        return f"{self.client} – {self.route_type}"

    @property
    def is_closed(self) -> bool:
        return self.phase == Phase.CLOSED

    @property
    def phase_rank(self) -> int:
        return PHASE_ORDER[self.phase]


class PhaseChange(models.Model):
    """One move of a trajectory: the history the funnel is counted from."""

    trajectory = models.ForeignKey(
        Trajectory, on_delete=models.CASCADE, related_name="phase_changes"
    )
    # Denormalised so that the funnel counts persons without joining the trajectory.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    from_phase = models.CharField(_("from"), max_length=16, choices=Phase.choices, blank=True)
    to_phase = models.CharField(_("to"), max_length=16, choices=Phase.choices)
    on = models.DateField(_("on"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = PhaseChangeQuerySet.as_manager()

    class Meta:
        ordering = ["on", "id"]
        indexes = [
            models.Index(fields=["to_phase", "on"], name="phasechange_funnel"),
            models.Index(fields=["trajectory", "on"], name="phasechange_history"),
        ]
        verbose_name = _("phase change")
        verbose_name_plural = _("phase changes")

    def __str__(self) -> str:
        return f"{self.from_phase or '∅'} → {self.to_phase} ({formatting.day(self.on, 'short')})"


class CheckIn(models.Model):
    """Aftercare: how a started business is doing 6, 12 and 24 months after the start."""

    MONTHS = (6, 12, 24)

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="check_ins")
    months_after_start = models.PositiveSmallIntegerField(_("months after the start"))
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    business_active = models.BooleanField(_("business still active"), null=True, blank=True)
    enterprise_number = models.CharField(_("enterprise number"), max_length=20, blank=True)
    jobs_created_fte = models.DecimalField(
        _("jobs created besides the owner (FTE)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    monthly_net_income = models.DecimalField(
        _("monthly net income"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    still_on_benefits = models.BooleanField(_("still on benefits"), null=True, blank=True)
    needs = models.TextField(_("needs"), blank=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["trajectory", "months_after_start"], name="one_checkin_per_moment"
            )
        ]
        indexes = [
            # "Which check-ins are due": only the ones not done yet are ever asked for.
            models.Index(
                fields=["due_on"], condition=models.Q(done_on__isnull=True), name="checkin_open_due"
            )
        ]
        verbose_name = _("aftercare check-in")
        verbose_name_plural = _("aftercare check-ins")

    def __str__(self) -> str:
        return f"{self.trajectory} +{self.months_after_start}m"

    @property
    def is_overdue(self) -> bool:
        """Not done and its due date has passed (a check-in due in 2024 is late today)."""
        return self.done_on is None and self.due_on < timezone.localdate()
