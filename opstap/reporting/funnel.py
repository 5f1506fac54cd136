"""The funnel of a programme and the performance of routes: the figures behind every report.

The pages, the exports and `opstap report …` all call these functions; there is no second
implementation. Everything here is a count or a rate: no personal data leaves this module.

Definitions (also on the programme page and in docs/funnel.md):

* **Stage.** For a programme and a period, a stage counts the distinct persons (clients) who
  *reached that phase or a later one* within the period: a phase change of one of the
  programme's trajectories, dated in the period, into that phase or a later one. Later means
  later in the order outreach, informed, intake, guidance, financing, started, aftercare;
  `closed` is not a later phase. A person counts once per stage, however many trajectories or
  moves they have. Moves before the period do not count, even if the person is still in the
  phase during it.
* **Sensitised** (the outreach stage) adds, to those persons, the anonymous head counts
  (`OutreachCount.people_reached`) of the programme's outreach activities that start in the
  period. A named lead who was also in such a head count is counted twice: head counts are
  anonymous, so they cannot be de-duplicated.
* **Start rate** = persons in the `started` stage / persons in the `guidance` stage (both "that
  phase or later"), as a decimal with 4 places (half-even); none when nobody reached guidance.
* **Partner filter.** Only trajectories whose client belongs to that organisation, and only
  outreach activities that organisation organised.
* **Route performance.** Per route (grouped by route code), the trajectories *closed* in the
  period: how many, how many with an outcome that counts as success, and the success rate
  (successful / closed). The mean duration is counted from the *service start* of each
  trajectory, the date of its first phase change into intake or a later phase (for a starter
  that is the move out of outreach/informed; for a route that opens in intake, its opening),
  to its closing date, in months of 365.25 / 12 days, with 1 decimal (half-even). Trajectories
  closed before reaching intake (from outreach or informed) count as closed but have no
  duration and are left out of the mean. The target is the organisation's performance target
  for the route that is valid on the last day of the period.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.activities.models import Activity, ActivityKind, OutreachCount
from opstap.core.models import Organisation
from opstap.journeys.models import (
    PerformanceTarget,
    PhaseChange,
    Programme,
    RouteType,
    Trajectory,
    translated,
)
from opstap.journeys.phases import PHASE_ORDER, Phase

STAGES: tuple[str, ...] = (
    Phase.OUTREACH,
    Phase.INFORMED,
    Phase.INTAKE,
    Phase.GUIDANCE,
    Phase.FINANCING,
    Phase.STARTED,
    Phase.AFTERCARE,
)
# A trajectory is "in service" from its first move into one of these phases.
SERVICE_PHASES: tuple[str, ...] = STAGES[STAGES.index(Phase.INTAKE) :]
RATE_PLACES = Decimal("0.0001")
MONTH_PLACES = Decimal("0.1")
DAYS_PER_MONTH = Decimal("365.25") / 12

STAGE_LABELS = {
    Phase.OUTREACH: _("Sensitised"),
    Phase.INFORMED: _("Informed"),
    Phase.INTAKE: _("Intake"),
    Phase.GUIDANCE: _("Guidance"),
    Phase.FINANCING: _("Financing"),
    Phase.STARTED: _("Started"),
    Phase.AFTERCARE: _("Aftercare"),
}

# The definitions as shown on the page and in the exports (docs/funnel.md says the same).
DEFINITIONS = (
    _(
        "A stage counts the distinct persons who reached that phase or a later one in the "
        "period: a move of one of the programme's trajectories into that phase or a later "
        "one, dated in the period. The order is sensitised, informed, intake, guidance, "
        "financing, started, aftercare; closing is not a later phase. A person counts once, "
        "however many trajectories or moves they have."
    ),
    _(
        "Sensitised also adds the anonymous head counts of the programme's outreach actions "
        "held in the period. A named lead who was also in a head count is counted twice: "
        "head counts cannot be de-duplicated."
    ),
    _(
        "Start rate: persons who reached started (or aftercare) divided by persons who "
        "reached guidance or a later phase. No rate when nobody reached guidance."
    ),
    _(
        "Partner filter: only trajectories of clients of that organisation, and only the "
        "outreach actions it organised."
    ),
    _(
        "Per route: the trajectories closed in the period, those closed with an outcome that "
        "counts as success, and the success rate. The mean duration runs from the first move "
        "into intake or a later phase to the closing date, in months of 365.25/12 days; "
        "trajectories closed before intake have no duration. The target is the performance "
        "agreement valid on the last day of the period."
    ),
)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator with 4 decimals (half-even), None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_EVEN)


def months(days: int, trajectories: int) -> Decimal | None:
    """The mean of `days` over `trajectories`, in months of 365.25/12 days, 1 decimal."""
    if not trajectories:
        return None
    return (Decimal(days) / trajectories / DAYS_PER_MONTH).quantize(MONTH_PLACES, ROUND_HALF_EVEN)


def stages_from(phase: str) -> list[str]:
    """The phase and every later stage phase (never `closed`)."""
    return [p for p in STAGES if PHASE_ORDER[p] >= PHASE_ORDER[phase]]


@dataclass(frozen=True)
class Stage:
    phase: str
    actual: int
    target: int | None
    persons: int  # persons with a trajectory in the programme
    head_count: int = 0  # anonymous outreach head counts (sensitised only)

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.phase])

    @property
    def share_of_target(self) -> Decimal | None:
        return rate(self.actual, self.target or 0)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    target: Decimal | None = None

    @property
    def value(self) -> Decimal | None:
        return rate(self.numerator, self.denominator)


@dataclass(frozen=True)
class Funnel:
    programme: Programme
    start: datetime.date
    end: datetime.date
    partner: Organisation | None
    stages: tuple[Stage, ...]
    start_rate: Rate

    def stage(self, phase: str) -> Stage:
        return next(s for s in self.stages if s.phase == phase)


@dataclass(frozen=True)
class RoutePerformance:
    route: str  # the route code
    name: str
    closed: int
    successful: int
    with_duration: int  # closed trajectories that reached intake (the mean is over these)
    duration_days: int
    target_success_rate: Decimal | None = None
    target_mean_duration_months: Decimal | None = None
    has_target: bool = False

    @property
    def success_rate(self) -> Decimal | None:
        return rate(self.successful, self.closed)

    @property
    def mean_duration_months(self) -> Decimal | None:
        return months(self.duration_days, self.with_duration)

    @property
    def meets_target(self) -> bool | None:
        if self.target_success_rate is None or self.success_rate is None:
            return None
        return self.success_rate >= self.target_success_rate


@dataclass(frozen=True)
class ProgrammeReport:
    """What the programme page, its exports and `opstap report funnel` show."""

    funnel: Funnel
    routes: list[RoutePerformance] = field(default_factory=list)

    @property
    def programme(self) -> Programme:
        return self.funnel.programme


@dataclass(frozen=True)
class TargetsReport:
    """What the targets page, its exports and `opstap report targets` show."""

    organisation: Organisation
    start: datetime.date
    end: datetime.date
    routes: list[RoutePerformance]


# --- the queries ----------------------------------------------------------------------


def _programme_trajectory_ids(programme: Programme):
    through = Trajectory.programmes.through
    return through.objects.filter(programme_id=programme.pk).values("trajectory_id")


def _check_period(start: datetime.date, end: datetime.date) -> None:
    if start > end:
        raise ValueError(f"period start {start} is after its end {end}")


def outreach_head_count(
    programme: Programme,
    start: datetime.date,
    end: datetime.date,
    partner: Organisation | None = None,
) -> int:
    """The anonymous head counts of the programme's outreach actions that start in the period
    (whole local days, as the activities app defines them), of `partner`'s actions only when
    given. One query."""
    actions = (
        Activity.objects.of_programme(programme).of_kind(ActivityKind.OUTREACH).between(start, end)
    )
    if partner is not None:
        actions = actions.filter(organisation_id=partner.pk)
    total = OutreachCount.objects.filter(activity__in=actions.values("pk")).aggregate(
        total=Sum("people_reached")
    )["total"]
    return total or 0


def funnel(
    programme: Programme,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    partner: Organisation | None = None,
) -> Funnel:
    """The programme's funnel in [start, end] (default: the programme's period).

    Three queries: the persons per stage (one aggregate), the outreach head counts, the
    programme's phase targets (none when prefetched)."""
    start = start or programme.starts_on
    end = end or programme.ends_on
    _check_period(start, end)
    changes = PhaseChange.objects.filter(
        on__gte=start, on__lte=end, trajectory_id__in=_programme_trajectory_ids(programme)
    )
    if partner is not None:
        changes = changes.filter(client__organisation_id=partner.pk)
    persons = changes.aggregate(
        **{
            phase: Count("client_id", distinct=True, filter=Q(to_phase__in=stages_from(phase)))
            for phase in STAGES
        }
    )
    head_count = outreach_head_count(programme, start, end, partner)
    targets = {t.phase: t.target for t in programme.phase_targets.all()}
    stages = tuple(
        Stage(
            phase=phase,
            actual=persons[phase] + (head_count if phase == Phase.OUTREACH else 0),
            target=targets.get(phase),
            persons=persons[phase],
            head_count=head_count if phase == Phase.OUTREACH else 0,
        )
        for phase in STAGES
    )
    start_rate = Rate(
        numerator=persons[Phase.STARTED],
        denominator=persons[Phase.GUIDANCE],
        target=programme.start_rate_target,
    )
    return Funnel(
        programme=programme,
        start=start,
        end=end,
        partner=partner,
        stages=stages,
        start_rate=start_rate,
    )


def _route_names(organisation: Organisation) -> dict[str, str]:
    """Route code → name, the organisation's own copy winning over the built-in one."""
    rows = RouteType.objects.filter(
        Q(organisation=organisation) | Q(organisation__isnull=True)
    ).values_list("code", "names", "organisation_id")
    names: dict[str, str] = {}
    for code, route_names, _owner in sorted(rows, key=lambda row: row[2] is not None):
        names[code] = translated(route_names, code)
    return names


def performance_targets(
    organisation: Organisation, on: datetime.date
) -> dict[str, PerformanceTarget]:
    """Route code → the organisation's performance target valid on `on` (the latest to start
    when agreements overlap)."""
    targets = (
        PerformanceTarget.objects.filter(organisation=organisation, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("route_code", "-valid_from", "-id")
    )
    chosen: dict[str, PerformanceTarget] = {}
    for target in targets:
        chosen.setdefault(target.route_code, target)
    return chosen


def _closed_per_route(closed: QuerySet[Trajectory]) -> dict[str, tuple[int, int, int, int]]:
    """Route code → (closed, successful, closed with a service start, sum of their days from
    service start to closing), in one query.

    The inner query (built by the ORM, so the date arithmetic suits the database) gives one
    row per trajectory with its days in service; the outer one sums them per route. Grouping
    the inner query by trajectory computes each trajectory's service start once (a correlated
    subquery, used twice by SUM and COUNT, would run twice per trajectory)."""
    per_trajectory = (
        closed.order_by()
        .values("pk")
        .annotate(
            route=F("route_type__code"),
            success=F("outcome__success"),
            days=ExpressionWrapper(
                F("closed_on")
                - Min("phase_changes__on", filter=Q(phase_changes__to_phase__in=SERVICE_PHASES)),
                output_field=DurationField(),
            ),
        )
        .values("route", "success", "days")
    )
    inner, params = per_trajectory.query.sql_with_params()
    q = connection.ops.quote_name
    # Only quoted constant names and the ORM's own SQL are joined; values travel as params.
    route, success, days = q("route"), q("success"), q("days")
    sql = (
        f"SELECT s.{route}, COUNT(*), COUNT(CASE WHEN s.{success} THEN 1 END), "  # noqa: S608
        f"COUNT(s.{days}), SUM(s.{days}) FROM ({inner}) s GROUP BY s.{route}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {}
    for code, count, successful, with_duration, total in rows:
        # PostgreSQL sums intervals (a timedelta); SQLite sums microseconds (an integer).
        if total is not None and not isinstance(total, datetime.timedelta):
            total = datetime.timedelta(microseconds=int(total))
        result[code] = (count, successful, with_duration, total.days if total else 0)
    return result


def route_performance(
    organisation: Organisation,
    start: datetime.date,
    end: datetime.date,
    *,
    programme: Programme | None = None,
    partner: Organisation | None = None,
) -> list[RoutePerformance]:
    """Per route code, the trajectories closed in [start, end] against the organisation's
    performance targets.

    Without `programme`: the organisation's trajectories. With it: the programme's
    trajectories (of every participating organisation, or of `partner` only), against the
    targets of `organisation` (the promoter). Three queries, whatever the number of routes."""
    _check_period(start, end)
    closed = Trajectory.objects.filter(closed_on__gte=start, closed_on__lte=end)
    if programme is not None:
        closed = closed.filter(pk__in=_programme_trajectory_ids(programme))
    else:
        closed = closed.filter(organisation=organisation)
    if partner is not None:
        closed = closed.filter(client__organisation_id=partner.pk)
    figures = _closed_per_route(closed)
    targets = performance_targets(organisation, end)
    names = _route_names(organisation)
    result = []
    for code in sorted(set(figures) | set(targets)):
        closed_count, successful, with_duration, days = figures.get(code, (0, 0, 0, 0))
        target = targets.get(code)
        result.append(
            RoutePerformance(
                route=code,
                name=names.get(code, code),
                closed=closed_count,
                successful=successful,
                with_duration=with_duration,
                duration_days=days,
                target_success_rate=target.success_rate if target else None,
                target_mean_duration_months=target.mean_duration_months if target else None,
                has_target=target is not None,
            )
        )
    return result


def programme_report(
    programme: Programme,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    partner: Organisation | None = None,
) -> ProgrammeReport:
    result = funnel(programme, start, end, partner)
    routes = route_performance(
        programme.organisation, result.start, result.end, programme=programme, partner=partner
    )
    return ProgrammeReport(funnel=result, routes=routes)


def targets_report(
    organisation: Organisation, start: datetime.date, end: datetime.date
) -> TargetsReport:
    return TargetsReport(
        organisation=organisation,
        start=start,
        end=end,
        routes=route_performance(organisation, start, end),
    )


def default_year(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The default period of the targets report: 1 January of this year up to today."""
    today = today or timezone.localdate()
    return datetime.date(today.year, 1, 1), today


def partner_choices(programme: Programme) -> Sequence[Organisation]:
    """The promoter and the partner organisations that are on Opstap (one query)."""
    partners = programme.partners.filter(organisation__isnull=False).values("organisation_id")
    return list(
        Organisation.objects.filter(Q(pk=programme.organisation_id) | Q(pk__in=partners)).order_by(
            "name"
        )
    )
