"""Erasure (GDPR art. 17) with legal holds, restriction of processing (art. 18) and retention.

Every registered entry (registry.py) is erased by its own rule in one transaction. A row a
legal hold covers is kept until the hold's period after its start (the loan's end, the
decision) has passed; the parts an entry keeps `held_with` stay as long as any such row does.
What is kept is written on the `Erasure` record, and the daily retention run erases it once
the hold has ended.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client
from opstap.core import formatting
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User

from . import registry
from .choices import ErasureKind, ExportStatus
from .models import (
    DataBreach,
    Erasure,
    ExportRequest,
    LegalHold,
    RetentionAction,
    RetentionPeriod,
    RetentionRun,
)
from .registry import NO_HOLD, Entry, Keep, Tombstone

NOTHING_TO_ERASE_HELD = _(
    "Nothing can be erased yet: %(holds)s. The rest of the data was already erased."
)
HELD_UNTIL = _("%(hold)s keeps %(what)s until %(date)s")
HELD_OPEN = _("%(hold)s keeps %(what)s while the loan or decision is still running")
ALREADY_ERASED = _("This file was already erased.")
REASON_REQUIRED = _("Give the reason for the erasure (for example the date of the request).")
EXPORT_NOT_READY = _("This export is not ready, or was already downloaded.")


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def holds_in_force(country: str, on: datetime.date) -> dict[str, LegalHold]:
    """Per data category the hold that applies on `on` in `country` (the longest, if several)."""
    result: dict[str, LegalHold] = {}
    for hold in LegalHold.objects.in_force(on).filter(country=country):
        if hold.category not in result or hold.years > result[hold.category].years:
            result[hold.category] = hold
    return result


def retention_periods(on: datetime.date) -> dict[str, int]:
    """Per data category the years it is kept after the file closes, as in force on `on`."""
    result: dict[str, int] = {}
    for period in RetentionPeriod.objects.in_force(on).order_by("valid_from"):
        result[period.category] = period.years
    return result


@dataclass
class HeldPart:
    entry: Entry
    hold: LegalHold
    until: datetime.date | None
    rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "entry": self.entry.id,
            "what": self.entry.display_title,
            "hold": self.hold.code,
            "name": self.hold.name,
            "category": self.entry.category,
            "until": self.until.isoformat() if self.until else None,
        }

    def sentence(self) -> str:
        what = self.entry.display_title.lower()
        if self.until is None:
            return str(HELD_OPEN % {"hold": self.hold.name, "what": what})
        return str(
            HELD_UNTIL % {"hold": self.hold.name, "what": what, "date": formatting.day(self.until)}
        )


@dataclass
class ErasurePlan:
    client: Client
    on: datetime.date
    parts: list[tuple[Entry, QuerySet]] = field(default_factory=list)
    held: list[HeldPart] = field(default_factory=list)

    def pending(self) -> dict[str, int]:
        """Entry → the number of rows erasing would change (for a dry run)."""
        counts: dict[str, int] = {}
        for entry, rows in self.parts:
            if isinstance(entry.erase, Tombstone):
                count = rows.exclude(entry.erased_condition()).count()
            else:
                count = rows.count()
            if count:
                counts[entry.id] = count
        return counts

    def apply(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry, rows in self.parts:
            changed = entry.erase_rows(rows)
            if changed:
                counts[entry.id] = changed
        return counts


def _row_held(entry: Entry, row: Any, hold: LegalHold, on: datetime.date):
    start = entry.hold_start(row) if entry.hold_start else None
    if start is NO_HOLD:
        return False, None
    if start is None:
        return True, None
    until = add_years(start, hold.years)
    return until > on, until


def plan_erasure(
    client: Client, on: datetime.date, entries: Iterable[Entry] | None = None
) -> ErasurePlan:
    """What erasing `entries` (all registered ones by default) of `client` on `on` would do."""
    chosen = list(registry.entries() if entries is None else entries)
    holds = holds_in_force(client.organisation.country, on)
    plan = ErasurePlan(client=client, on=on)
    # Holds are judged over every entry, chosen or not: a held loan keeps the identity part
    # even when only the identity part's retention period has ended.
    held_by_category: dict[str, list[HeldPart]] = {}
    chosen_ids = {e.id for e in chosen}
    for entry in registry.entries():
        hold = holds.get(entry.hold) if entry.hold else None
        rows = entry.rows(client)
        held_pks: list[int] = []
        if hold is not None:
            untils: list[datetime.date | None] = []
            for row in rows:
                held, until = _row_held(entry, row, hold, on)
                if held:
                    held_pks.append(row.pk)
                    untils.append(until)
            if held_pks:
                until = None if None in untils else max(u for u in untils if u)
                part = HeldPart(entry=entry, hold=hold, until=until, rows=len(held_pks))
                held_by_category.setdefault(entry.category, []).append(part)
                if entry.id in chosen_ids and not isinstance(entry.erase, Keep):
                    plan.held.append(part)
        if entry.id in chosen_ids and not isinstance(entry.erase, Keep) and not entry.held_with:
            plan.parts.append((entry, rows.exclude(pk__in=held_pks) if held_pks else rows))
    for entry in chosen:
        if isinstance(entry.erase, Keep) or not entry.held_with:
            continue
        keeping = [p for c in entry.held_with for p in held_by_category.get(c, [])]
        if keeping:
            first = min(keeping, key=lambda p: (p.until is not None, p.until or on))
            until = None if any(p.until is None for p in keeping) else max(p.until for p in keeping)
            plan.held.append(
                HeldPart(entry=entry, hold=first.hold, until=until, rows=entry.rows(client).count())
            )
        else:
            plan.parts.append((entry, entry.rows(client)))
    return plan


def _discard_exports(client: Client) -> None:
    """An export made before the erasure holds what was erased: its file goes too."""
    for export in ExportRequest.objects.filter(client=client).exclude(file_name=""):
        default_storage.delete(export.file_name)
    ExportRequest.objects.filter(client=client).exclude(status=ExportStatus.DOWNLOADED).update(
        status=ExportStatus.FAILED, file_name="", error="erased"
    )


def _record_erasure(
    *,
    client: Client,
    kind: str,
    actor: User | None,
    reason: str,
    plan: ErasurePlan,
    counts: dict[str, int],
) -> Erasure:
    erasure, _created = Erasure.objects.get_or_create(
        client=client,
        defaults={
            "organisation": client.organisation,
            "kind": kind,
            "actor": actor,
            "reason": reason,
            "erased_at": timezone.now(),
        },
    )
    # A later run (a hold ended) keeps who asked and why; it adds its counts.
    rows = dict(erasure.rows)
    for key, count in counts.items():
        rows[key] = rows.get(key, 0) + count
    erasure.rows = rows
    erasure.held = [part.as_json() for part in plan.held]
    erasure.save(update_fields=["rows", "held"])
    return erasure


@transaction.atomic
def erase_client(
    *, actor: User | None, client: Client, reason: str, on: datetime.date | None = None
) -> Erasure:
    """Erase everything of `client` that no legal hold keeps; refuse, naming the holds, when
    nothing may be erased yet."""
    if not reason.strip():
        raise ValidationError({"reason": ValidationError(REASON_REQUIRED, code="reason_required")})
    on = on or timezone.localdate()
    client = Client.objects.select_for_update().select_related("organisation").get(pk=client.pk)
    plan = plan_erasure(client, on)
    counts = plan.apply()
    if not counts:
        if plan.held:
            holds = "; ".join(part.sentence() for part in plan.held)
            raise ValidationError(NOTHING_TO_ERASE_HELD % {"holds": holds}, code="held")
        raise ValidationError(ALREADY_ERASED, code="already_erased")
    Client.objects.filter(pk=client.pk).update(processing_restricted=True)
    _discard_exports(client)
    erasure = _record_erasure(
        client=client,
        kind=ErasureKind.REQUEST,
        actor=actor,
        reason=reason.strip(),
        plan=plan,
        counts=counts,
    )
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="privacy.erase",
        obj=client,
        client=client,
        extra={
            "reason": reason.strip(),
            "rows": sum(counts.values()),
            "held": [part.hold.code for part in plan.held],
        },
    )
    return erasure


@transaction.atomic
def processing_restrict(*, actor: User, client: Client, restricted: bool) -> Client:
    """Restrict processing (GDPR art. 18) or lift the restriction; an erased file stays
    restricted."""
    if not restricted and Erasure.objects.filter(client=client).exists():
        raise ValidationError(ALREADY_ERASED, code="already_erased")
    if client.processing_restricted == restricted:
        return client
    Client.objects.filter(pk=client.pk).update(processing_restricted=restricted)
    client.processing_restricted = restricted
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="privacy.restrict" if restricted else "privacy.unrestrict",
        obj=client,
        client=client,
        old={"processing_restricted": not restricted},
        new={"processing_restricted": restricted},
    )
    return client


# Access (GDPR art. 15) ---------------------------------------------------------------------


@transaction.atomic
def export_request(*, actor: User, client: Client) -> ExportRequest:
    """Ask for a copy of the person's data; it is made in the background (tasks.py)."""
    from .tasks import build_export_task

    export = ExportRequest.objects.create(
        organisation=client.organisation,
        client=client,
        requested_by=actor,
        language=get_language() or client.organisation.default_language,
    )
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="privacy.export_request",
        obj=export,
        client=client,
    )
    transaction.on_commit(lambda: build_export_task.enqueue(export.pk))
    return export


def export_download(*, actor: User, export: ExportRequest) -> bytes:
    """The ZIP, once: the file is deleted as it is handed out."""
    if export.file_name and not default_storage.exists(export.file_name):
        # Lost from storage (a restore, a clean-up): say so rather than fail.
        ExportRequest.objects.filter(pk=export.pk, status=ExportStatus.READY).update(
            status=ExportStatus.FAILED, file_name="", error="missing"
        )
        raise ValidationError(EXPORT_NOT_READY, code="not_ready")
    with transaction.atomic():
        claimed = ExportRequest.objects.filter(
            pk=export.pk, requested_by=actor, status=ExportStatus.READY
        ).update(status=ExportStatus.DOWNLOADED, downloaded_at=timezone.now())
        if not claimed:
            raise ValidationError(EXPORT_NOT_READY, code="not_ready")
        with default_storage.open(export.file_name, "rb") as handle:
            content = handle.read()
        name = export.file_name
        ExportRequest.objects.filter(pk=export.pk).update(file_name="")
        audit_record(
            actor=actor,
            organisation=export.organisation,
            action="privacy.export_download",
            obj=export,
            client=export.client,
        )
        # Deleted once the download is recorded: a rollback must not lose the only copy.
        transaction.on_commit(lambda: default_storage.delete(name))
    return content


# Retention ---------------------------------------------------------------------------------


def _closed_files(organisation: Organisation) -> QuerySet:
    """The organisation's clients with no open route and no running loan, each with the last
    date a route or loan closed (`last_route_closed`, `last_loan_ended`)."""
    trajectory = apps.get_model("journeys", "Trajectory")
    loan = apps.get_model("lending", "Loan")
    from opstap.lending.choices import ENDED_STATUSES

    open_route = trajectory.objects.filter(client=OuterRef("pk"), closed_on__isnull=True)
    open_loan = loan.objects.filter(client=OuterRef("pk")).exclude(status__in=ENDED_STATUSES)
    return (
        Client.objects.filter(organisation=organisation)
        .annotate(open_route=Exists(open_route), open_loan=Exists(open_loan))
        .filter(open_route=False, open_loan=False)
        .annotate(
            last_route_closed=Subquery(
                trajectory.objects.filter(client=OuterRef("pk"))
                .order_by("-closed_on")
                .values("closed_on")[:1]
            ),
            last_loan_ended=Subquery(
                loan.objects.filter(client=OuterRef("pk"))
                .order_by("-ended_on")
                .values("ended_on")[:1]
            ),
        )
        .select_related("organisation")
        .order_by("pk")
    )


def file_closed_on(client: Client) -> datetime.date:
    """When the file closed: the last route closed or loan ended; a file with neither (a lead
    never taken further) closed at its last change."""
    dates = [
        d
        for d in (
            getattr(client, "last_route_closed", None),
            getattr(client, "last_loan_ended", None),
        )
        if d
    ]
    return max(dates) if dates else timezone.localdate(client.updated_at)


# A copy nobody downloaded does not wait on the server for ever.
EXPORT_KEPT_FOR = datetime.timedelta(days=7)


def expire_exports(organisation: Organisation) -> int:
    """Delete the ZIPs of exports ready for longer than EXPORT_KEPT_FOR and not downloaded."""
    stale = ExportRequest.objects.filter(
        organisation=organisation,
        status=ExportStatus.READY,
        finished_at__lt=timezone.now() - EXPORT_KEPT_FOR,
    )
    count = 0
    for export in stale:
        default_storage.delete(export.file_name)
        count += ExportRequest.objects.filter(pk=export.pk, status=ExportStatus.READY).update(
            status=ExportStatus.FAILED, file_name="", error="expired"
        )
    return count


@dataclass
class FileResult:
    client_id: int
    closed_on: datetime.date
    rows: dict[str, int]


def retention_run(
    *,
    on: datetime.date,
    organisation: Organisation,
    dry_run: bool = False,
    client_ids: Iterable[int] | None = None,
) -> RetentionRun:
    """Anonymise what has passed its retention period (or its hold) in one organisation, or
    only in the files `client_ids` (after an erasure, or to try the periods on a few)."""
    periods = retention_periods(on)
    by_id = {e.id: e for e in registry.entries()}
    shortest = min(periods.values()) if periods else None
    erasures = {e.client_id: e for e in Erasure.objects.filter(organisation=organisation)}
    results: list[FileResult] = []
    if not dry_run:
        expire_exports(organisation)
    with transaction.atomic():
        run = RetentionRun.objects.create(organisation=organisation, on=on, dry_run=dry_run)
        files = _closed_files(organisation)
        if client_ids is not None:
            files = files.filter(pk__in=list(client_ids))
        for client in files.iterator(chunk_size=500):
            erasure = erasures.get(client.pk)
            if erasure is not None and erasure.complete:
                continue
            closed = file_closed_on(client)
            if erasure is not None:
                # Erased on request: only holds kept the rest, so everything is due.
                due = list(by_id.values())
            else:
                if shortest is None or add_years(closed, shortest) > on:
                    continue
                due = [
                    e
                    for e in by_id.values()
                    if e.category in periods and add_years(closed, periods[e.category]) <= on
                ]
            if not due:
                continue
            plan = plan_erasure(client, on, due)
            counts = plan.pending() if dry_run else plan.apply()
            if not counts:
                continue
            results.append(FileResult(client_id=client.pk, closed_on=closed, rows=counts))
            if not dry_run and (erasure is not None or any(e.key == "identity" for e in due)):
                Client.objects.filter(pk=client.pk).update(processing_restricted=True)
                _discard_exports(client)
                _record_erasure(
                    client=client,
                    kind=erasure.kind if erasure else ErasureKind.RETENTION,
                    actor=None,
                    reason=erasure.reason if erasure else "",
                    plan=plan,
                    counts=counts,
                )
        RetentionAction.objects.bulk_create(
            RetentionAction(
                run=run,
                client_id=result.client_id,
                category=by_id[key].category,
                entry=key,
                rows=count,
            )
            for result in results
            for key, count in result.rows.items()
        )
        run.files = len(results)
        run.rows = sum(sum(r.rows.values()) for r in results)
        run.save(update_fields=["files", "rows"])
    return run


# Data breaches (GDPR art. 33/34) -------------------------------------------------------------

BREACH_FIELDS = (
    "found_at",
    "nature",
    "categories",
    "approximate_people",
    "consequences",
    "measures",
    "authority_notified_at",
    "people_notified_at",
    "not_notified_reason",
)


@transaction.atomic
def breach_record(*, actor: User, organisation: Organisation, data: dict[str, Any]) -> DataBreach:
    breach = DataBreach.objects.create(
        organisation=organisation, recorded_by=actor, **{k: data[k] for k in BREACH_FIELDS}
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="privacy.breach_record",
        obj=breach,
        new={k: data[k] for k in BREACH_FIELDS},
    )
    return breach


@transaction.atomic
def breach_update(*, actor: User, breach: DataBreach, data: dict[str, Any]) -> DataBreach:
    before = {k: getattr(breach, k) for k in BREACH_FIELDS}
    for name in BREACH_FIELDS:
        setattr(breach, name, data[name])
    breach.save(update_fields=list(BREACH_FIELDS))
    audit_record(
        actor=actor,
        organisation=breach.organisation,
        action="privacy.breach_update",
        obj=breach,
        old=before,
        new={k: getattr(breach, k) for k in BREACH_FIELDS},
    )
    return breach
