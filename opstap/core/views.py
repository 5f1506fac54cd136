from __future__ import annotations

import datetime
import io
import operator
import statistics
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client, ClientCoach, Consent

from . import csv_export, downloads, services
from .access import require_visible
from .audit import audit_record
from .dashboard import panels_for
from .forms import AuditFilterForm, MemberAddForm, MemberRolesForm, apply_service_errors
from .htmx import redirect_after_post
from .middleware import SESSION_KEY
from .models import AuditEvent, FileAccess, Membership, User
from .roles import Capability
from .spreadsheets import safe_row

DASHBOARD_LIST_LENGTH = 10


@dataclass(frozen=True)
class RecentlyOpened:
    client: Client
    accessed_at: datetime.datetime

    @property
    def client_id(self) -> int:
        return self.client.pk


# Beyond this a dashboard says "100+": exact totals of thousands cost a scan on every visit
# and change nothing about what to do next; the client list gives the exact number.
DASHBOARD_COUNT_CAP = 100


def capped_count(queryset: QuerySet, cap: int) -> int:
    """The number of rows, counting no further than cap + 1."""
    return len(queryset.values_list("pk", flat=True)[: cap + 1])


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if membership is None:
        return render(request, "core/no_membership.html")
    user = request.user
    visible = Client.objects.visible_to(user)
    context: dict[str, object] = {"today": timezone.localdate()}
    if membership.can(Capability.VIEW_ALL_CLIENTS) or membership.can(
        Capability.VIEW_ASSIGNED_CLIENTS
    ):
        # Two index-friendly queries merged here: an OR of "advises" and "coaches" would make
        # the database sort all of an adviser's clients to find the ten most recent.
        advised = visible.filter(adviser=user)
        coached = visible.filter(
            pk__in=ClientCoach.objects.filter(coach=user).values("client_id")
        ).exclude(adviser=user)
        recent = [
            *advised.for_list().order_by("-updated_at")[:DASHBOARD_LIST_LENGTH],
            *coached.for_list().order_by("-updated_at")[:DASHBOARD_LIST_LENGTH],
        ]
        recent.sort(key=lambda client: client.updated_at, reverse=True)
        context["my_clients"] = recent[:DASHBOARD_LIST_LENGTH]
        context["my_client_count"] = capped_count(advised, DASHBOARD_COUNT_CAP) + capped_count(
            coached, DASHBOARD_COUNT_CAP
        )
        # Only files still open to them: a coach unassigned yesterday sees no name today.
        # One line per file, at the last time it was opened (not one per look at it).
        last_opened = list(
            FileAccess.objects.filter(
                user=user, organisation=membership.organisation, client__in=visible.values("pk")
            )
            .values("client")
            .annotate(accessed_at=Max("accessed_at"))
            .order_by("-accessed_at")[:DASHBOARD_LIST_LENGTH]
        )
        clients = Client.objects.in_bulk([row["client"] for row in last_opened])
        context["recently_viewed"] = [
            RecentlyOpened(client=clients[row["client"]], accessed_at=row["accessed_at"])
            for row in last_opened
            if row["client"] in clients
        ]
    if membership.can(Capability.MANAGE_CONSENT):
        # Without a case-management consent a file should not be worked on: the adviser's
        # first to-do. One correlated NOT EXISTS: exclude() over two conditions on a
        # multi-valued relation would match them on different consent rows.
        active_consent = Consent.objects.filter(
            client=OuterRef("pk"),
            purpose=ConsentPurpose.CASE_MANAGEMENT,
            withdrawn_on__isnull=True,
        )
        without_consent = visible.filter(adviser=user).filter(~Exists(active_consent))
        context["without_consent"] = list(
            without_consent.order_by("last_name")[:DASHBOARD_LIST_LENGTH]
        )
        context["without_consent_count"] = capped_count(without_consent, DASHBOARD_COUNT_CAP)
    context["count_cap"] = DASHBOARD_COUNT_CAP
    if membership.can(Capability.VIEW_AGGREGATES):
        in_org = Client.objects.filter(organisation=membership.organisation)
        context["figures"] = in_org.aggregate(
            total=Count("id"),
            women=Count("id", filter=Q(gender="woman")),
            men=Count("id", filter=Q(gender="man")),
            non_binary=Count("id", filter=Q(gender="non_binary")),
            long_term_unemployed=Count("id", filter=Q(labour_status="long_term_unemployed")),
            on_assistance=Count("id", filter=Q(income_source="social_assistance")),
        )
    if membership.can(Capability.MANAGE_MEMBERS):
        context["member_count"] = membership.organisation.memberships.active().count()
        context["recent_events"] = list(
            AuditEvent.objects.filter(organisation=membership.organisation).select_related("actor")[
                :DASHBOARD_LIST_LENGTH
            ]
        )
    context["panels"] = panels_for(request, membership)
    return render(request, "core/dashboard.html", context)


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organisation", "")
    memberships = request.memberships  # type: ignore[attr-defined]
    chosen = next((m for m in memberships if str(m.organisation_id) == wanted), None)
    if chosen is None:
        raise Http404
    request.session[SESSION_KEY] = chosen.organisation_id
    messages.info(
        request, _("You now work in %(organisation)s.") % {"organisation": chosen.organisation}
    )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("dashboard")
    # Pages of the previous organisation answer 404 in the new one: go to the dashboard.
    return redirect("dashboard") if "/clients/" in next_url else redirect(next_url)


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_MEMBERS)
    members = (
        Membership.objects.filter(organisation=membership.organisation)
        .with_roles()
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__first_name")
    )
    return render(request, "core/members.html", {"members": members, "form": MemberAddForm()})


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_MEMBERS)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_add(
                actor=request.user,
                organisation=membership.organisation,
                email=data["email"],
                roles=set(data["roles"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "%(email)s was added. They can set a password through "
                    "'Forgot your password?' on the login page."
                )
                % {"email": data["email"]},
            )
            return redirect_after_post(request, reverse("members"))
    return render(request, "core/member_add.html", {"form": form})


def _member_for_admin(request: HttpRequest, pk: int) -> Membership:
    admin = require_visible(request.user, Capability.MANAGE_MEMBERS)
    member = (
        Membership.objects.filter(organisation=admin.organisation, pk=pk)
        .with_roles()
        .select_related("user", "organisation")
        .first()
    )
    if member is None:
        raise Http404
    return member


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_for_admin(request, pk)
    form = MemberRolesForm(request.POST or None, membership=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_set_roles(
                actor=request.user, membership=member, roles=set(form.cleaned_data["roles"])
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The roles of %(user)s were saved.") % {"user": member.user}
            )
            return redirect_after_post(request, reverse("members"))
    return render(request, "core/member_edit.html", {"form": form, "member": member})


@login_required
@require_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_for_admin(request, pk)
    try:
        services.member_deactivate(actor=request.user, membership=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(user)s no longer has access to this organisation.") % {"user": member.user},
        )
    return redirect_after_post(request, reverse("members"))


def _filtered_log(request: HttpRequest, queryset, user_field: str, time_field: str):  # type: ignore[no-untyped-def]
    membership = require_visible(request.user, Capability.READ_AUDIT)
    users = User.objects.filter(memberships__organisation=membership.organisation).order_by("email")
    form = AuditFilterForm(request.GET or None, users=users)
    queryset = queryset.filter(organisation=membership.organisation)
    if form.is_valid():
        data = form.cleaned_data
        if data["client"]:
            queryset = queryset.filter(client_id=data["client"])
        if data["user"]:
            queryset = queryset.filter(**{user_field: data["user"]})
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            start = datetime.datetime.combine(data["date_from"], datetime.time.min, tzinfo=tz)
            queryset = queryset.filter(**{f"{time_field}__gte": start})
        if data["date_to"]:
            end = datetime.datetime.combine(
                data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            queryset = queryset.filter(**{f"{time_field}__lt": end})
    query = request.GET.copy()
    query.pop("page", None)
    return form, Paginator(queryset, 50).get_page(request.GET.get("page")), query.urlencode()


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form, page, query = _filtered_log(
        request, AuditEvent.objects.select_related("actor", "client"), "actor", "created_at"
    )
    return render(request, "core/audit_log.html", {"form": form, "page": page, "query": query})


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    form, page, query = _filtered_log(
        request, FileAccess.objects.select_related("user", "client"), "user", "accessed_at"
    )
    return render(request, "core/access_log.html", {"form": form, "page": page, "query": query})


# The review page's rule for "unusual volumes" (explained on the page): a member is flagged
# on a day when they opened more distinct client files than UNUSUAL_FACTOR times their usual
# day — the median over the days of the previous BASELINE_DAYS on which they opened any — and
# at least UNUSUAL_MINIMUM. Days without opens are left out of the median, so a part-time
# volunteer's usual is a day they work, not zero.
REVIEW_DEFAULT_DAYS = 7
BASELINE_DAYS = 30
UNUSUAL_FACTOR = 3
UNUSUAL_MINIMUM = 20
# Audit actions that take personal data out of Opstap or remove it: exports (data-subject
# exports, this review's own export) and erasures and anonymisations.
SENSITIVE_ACTION_WORDS = ("export", "eras", "anonymi")
REVIEW_EVENTS_SHOWN = 100


@dataclass
class MemberVolume:
    user: User | None
    files: int
    busiest_day: datetime.date | None
    busiest_files: int
    usual: float
    unusual_days: list[tuple[datetime.date, int]]

    @property
    def unusual(self) -> bool:
        return bool(self.unusual_days)


def is_unusual(files: int, usual: float) -> bool:
    return files > UNUSUAL_FACTOR * usual and files >= UNUSUAL_MINIMUM


def _review_period(form: AuditFilterForm) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    # The review reads BASELINE_DAYS before the period and up to the day after it: keep both
    # ends where a date can still reach (?date_to=9999-12-31 was an OverflowError).
    earliest = datetime.date.min + datetime.timedelta(days=BASELINE_DAYS + REVIEW_DEFAULT_DAYS)
    latest = datetime.date.max - datetime.timedelta(days=1)

    def within(day: datetime.date) -> datetime.date:
        return min(max(day, earliest), latest)

    end = within(data.get("date_to") or today)
    start = within(data.get("date_from") or end - datetime.timedelta(days=REVIEW_DEFAULT_DAYS - 1))
    return (start, end) if start <= end else (end, start)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def member_volumes(
    accesses: QuerySet, start: datetime.date, end: datetime.date, users: dict[int, User]
) -> list[MemberVolume]:
    """Per member who opened files in [start, end]: distinct files, the busiest day, the
    usual day, and the days that break the rule. Two grouped queries, whatever the size."""
    baseline_start = start - datetime.timedelta(days=BASELINE_DAYS)
    daily = (
        accesses.filter(
            accessed_at__gte=_day_start(baseline_start),
            accessed_at__lt=_day_start(end + datetime.timedelta(days=1)),
        )
        .annotate(day=TruncDate("accessed_at", tzinfo=timezone.get_current_timezone()))
        .values("user_id", "day")
        .annotate(files=Count("client_id", distinct=True))
        .order_by()
    )
    before: dict[int, list[int]] = {}
    during: dict[int, dict[datetime.date, int]] = {}
    for row in daily:
        if row["day"] < start:
            before.setdefault(row["user_id"], []).append(row["files"])
        else:
            during.setdefault(row["user_id"], {})[row["day"]] = row["files"]
    totals = dict(
        accesses.filter(
            accessed_at__gte=_day_start(start),
            accessed_at__lt=_day_start(end + datetime.timedelta(days=1)),
        )
        .values("user_id")
        .annotate(files=Count("client_id", distinct=True))
        .order_by()
        .values_list("user_id", "files")
    )
    volumes = []
    for user_id, days in during.items():
        usual = float(statistics.median(before[user_id])) if user_id in before else 0.0
        busiest_day, busiest_files = max(days.items(), key=lambda item: (item[1], item[0]))
        volumes.append(
            MemberVolume(
                user=users.get(user_id),
                files=totals.get(user_id, 0),
                busiest_day=busiest_day,
                busiest_files=busiest_files,
                usual=usual,
                unusual_days=sorted(
                    (day, files) for day, files in days.items() if is_unusual(files, usual)
                ),
            )
        )
    volumes.sort(key=lambda v: (not v.unusual, -v.busiest_files, str(v.user)))
    return volumes


def _review_data(request: HttpRequest) -> dict[str, Any]:
    membership = require_visible(request.user, Capability.READ_AUDIT)
    organisation = membership.organisation
    users_qs = User.objects.filter(memberships__organisation=organisation).order_by("email")
    form = AuditFilterForm(request.GET or None, users=users_qs)
    start, end = _review_period(form)
    member = form.cleaned_data.get("user") if form.is_valid() else None
    client_id = form.cleaned_data.get("client") if form.is_valid() else None
    users = {user.pk: user for user in users_qs}
    in_period = {
        "accessed_at__gte": _day_start(start),
        "accessed_at__lt": _day_start(end + datetime.timedelta(days=1)),
    }
    accesses = FileAccess.objects.filter(organisation=organisation)
    if member:
        accesses = accesses.filter(user=member)
    volumes = member_volumes(accesses, start, end, users)
    if client_id:
        accesses = accesses.filter(client_id=client_id)
    opened = (
        accesses.filter(**in_period)
        .values("user_id", "client_id")
        .annotate(opens=Count("id"), first=Min("accessed_at"), last=Max("accessed_at"))
        .order_by("-last", "user_id", "client_id")
    )
    events = AuditEvent.objects.filter(
        organisation=organisation,
        created_at__gte=_day_start(start),
        created_at__lt=_day_start(end + datetime.timedelta(days=1)),
    ).filter(reduce(operator.or_, (Q(action__contains=w) for w in SENSITIVE_ACTION_WORDS)))
    if member:
        events = events.filter(actor=member)
    if client_id:
        events = events.filter(client_id=client_id)
    return {
        "organisation": organisation,
        "form": form,
        "start": start,
        "end": end,
        "users": users,
        "volumes": volumes,
        "opened": opened,
        "events": events.select_related("actor").order_by("-created_at", "-id"),
    }


def _with_names(rows: list[dict[str, Any]], users: dict[int, User]) -> list[dict[str, Any]]:
    """The member and the client of each row, with one query for the clients of all rows."""
    clients = Client._base_manager.in_bulk({row["client_id"] for row in rows})
    return [
        {**row, "user": users.get(row["user_id"]), "client": clients.get(row["client_id"])}
        for row in rows
    ]


@login_required
def audit_review(request: HttpRequest) -> HttpResponse:
    data = _review_data(request)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        return _review_export(request, data, export)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    page = Paginator(data["opened"], 50).get_page(request.GET.get("page"))
    page.object_list = _with_names(list(page.object_list), data["users"])
    events = list(data["events"][: REVIEW_EVENTS_SHOWN + 1])
    context = {
        **data,
        "page": page,
        "query": query.urlencode(),
        "events": events[:REVIEW_EVENTS_SHOWN],
        "more_events": len(events) > REVIEW_EVENTS_SHOWN,
        "rule": {
            "factor": UNUSUAL_FACTOR,
            "baseline_days": BASELINE_DAYS,
            "minimum": UNUSUAL_MINIMUM,
            "default_days": REVIEW_DEFAULT_DAYS,
        },
    }
    return render(request, "core/audit_review.html", context)


def _review_sheets(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    tz = timezone.get_current_timezone()

    def local(moment: datetime.datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    opened = [
        [
            str(row["user"] or row["user_id"]),
            row["client_id"],
            row["client"].full_name if row["client"] else "",
            row["opens"],
            local(row["first"]),
            local(row["last"]),
        ]
        for row in _with_names(list(data["opened"]), data["users"])
    ]
    volumes = [
        [
            str(v.user or ""),
            v.files,
            v.busiest_day.isoformat() if v.busiest_day else "",
            v.busiest_files,
            v.usual,
            _("yes") if v.unusual else _("no"),
            ", ".join(f"{day.isoformat()} ({files})" for day, files in v.unusual_days),
        ]
        for v in data["volumes"]
    ]
    events = [
        [
            local(event.created_at),
            str(event.actor or _("system")),
            event.action_label,
            event.object_repr,
            event.client_id or "",
        ]
        for event in data["events"]
    ]
    return [
        (
            _("Files opened"),
            [
                _("Member"),
                _("Client number"),
                _("Client"),
                _("Times opened"),
                _("First opened"),
                _("Last opened"),
            ],
            opened,
        ),
        (
            _("Unusual volumes"),
            [
                _("Member"),
                _("Different files"),
                _("Busiest day"),
                _("Files that day"),
                _("Usual day"),
                _("Unusual"),
                _("Unusual days"),
            ],
            volumes,
        ),
        (
            _("Exports and erasures"),
            [_("When"), _("Who"), _("What"), _("Object"), _("Client number")],
            events,
        ),
    ]


def _review_export(request: HttpRequest, data: dict[str, Any], fmt: str) -> HttpResponse:
    sheets = _review_sheets(data)
    audit_record(
        actor=request.user,  # type: ignore[arg-type]
        organisation=data["organisation"],
        action="audit.review_export",
        obj=data["organisation"],
        extra={"period": f"{data['start'].isoformat()}/{data['end'].isoformat()}", "format": fmt},
    )
    base, parts = downloads.AUDIT_REVIEW, (data["start"], data["end"])
    if fmt == "csv":
        # CSV holds one table: the files opened, the heart of the review; in the reader's
        # dialect (";" and a byte-order mark for nl and fr), see docs/exports.md.
        _title, header, rows = sheets[0]
        return csv_export.csv_response(rows, header, base, *parts)
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(str(title)[:31])
        sheet.append(safe_row(header))
        for row in rows:
            sheet.append(safe_row(row))
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    downloads.attachment(response, base, fmt, *parts)
    response["X-Content-Type-Options"] = "nosniff"
    return response
