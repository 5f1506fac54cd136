from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from opstap.clients.access import get_client_for_user
from opstap.clients.models import Client
from opstap.core.access import can, require_allowed, require_visible
from opstap.core.forms import apply_service_errors
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import Membership
from opstap.core.roles import Capability
from opstap.journeys.models import Programme

from . import services
from .access import (
    can_manage,
    can_run,
    get_activity_for_user,
    get_activity_to_run,
    get_outreach_count_for_user,
    get_registration_for_user,
    get_series_for_user,
)
from .forms import (
    ActivityFilterForm,
    ActivityForm,
    AttendanceForm,
    ClientSearchForm,
    LeadForm,
    OutreachCountFormSet,
    SeriesForm,
)
from .models import Activity, ActivitySeries, Attendance, RegistrationStatus

PAGE_SIZE = 25
SEARCH_RESULTS = 10
COUNT_ROWS, MAX_COUNT_ROWS = 3, 20


def _require_activities(request: HttpRequest) -> Membership:
    """Who may open the activity pages at all: staff who see clients, and volunteers (who
    see the activities they facilitate). Auditors get 404."""
    membership = request.membership  # type: ignore[attr-defined]
    if membership is None or not (
        membership.can(Capability.VIEW_ALL_CLIENTS)
        or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
    ):
        raise Http404
    return membership


# Activities ----------------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    _require_activities(request)
    programmes = Programme.objects.visible_to(request.user).order_by("code")
    form = ActivityFilterForm(request.GET or None, programmes=programmes)
    activities = Activity.objects.visible_to(request.user).for_list()
    when = "upcoming"
    if form.is_valid():
        data = form.cleaned_data
        when = data["when"] or when
        if data["kind"]:
            activities = activities.of_kind(data["kind"])
        if data["programme"]:
            activities = activities.of_programme(data["programme"])
    activities = activities.past() if when == "past" else activities.upcoming()
    page = Paginator(activities, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "when": when}
    template = (
        "activities/partials/activity_results.html"
        if is_partial(request)
        else "activities/list.html"
    )
    return render(request, template, context)


def _activity_form_page(
    request: HttpRequest, form: ActivityForm, activity: Activity | None
) -> HttpResponse:
    return render(request, "activities/form.html", {"form": form, "activity": activity})


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    _require_activities(request)
    membership = require_allowed(request.user, Capability.EDIT_CLIENTS)
    organisation = membership.organisation
    initial = {"language": organisation.default_language, "kind": request.GET.get("kind", "")}
    if request.GET.get("series"):
        initial["series"] = request.GET["series"]
    form = ActivityForm(
        request.POST or None,
        organisation=organisation,
        initial=None if request.POST else initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, organisation=organisation, **form.service_data()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The activity “%(title)s” was created.") % {"title": activity.title}
            )
            return redirect_after_post(request, reverse("activities:detail", args=[activity.pk]))
    return _activity_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk, write=True)
    form = ActivityForm(
        request.POST or None,
        organisation=activity.organisation,
        initial=None if request.POST else ActivityForm.initial_from(activity),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, **form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect_after_post(request, reverse("activities:detail", args=[activity.pk]))
    return _activity_form_page(request, form, activity)


def _registration_context(
    request: HttpRequest, activity: Activity, notice: tuple[str, str] | None = None
) -> dict[str, Any]:
    rows = list(activity.registrations.for_attendance())
    registered = [r for r in rows if r.status == RegistrationStatus.REGISTERED]
    waitlisted = sorted(
        (r for r in rows if r.status == RegistrationStatus.WAITLISTED),
        key=lambda r: (r.registered_at, r.pk),
    )
    search_form = ClientSearchForm(request.GET or None)
    results = None
    if can_manage(request.user) and search_form.is_valid() and search_form.cleaned_data["q"]:
        registered_ids = {r.client_id for r in rows}
        results = [
            (client, client.pk in registered_ids)
            for client in Client.objects.visible_to(request.user)
            .search(
                search_form.cleaned_data["q"],
                by_national_number=can(request.user, Capability.VIEW_NATIONAL_NUMBER),
            )
            .order_by("last_name", "first_name", "id")[:SEARCH_RESULTS]
        ]
    return {
        "activity": activity,
        "registered": registered,
        "waitlisted": waitlisted,
        "places_left": None
        if activity.capacity is None
        else max(activity.capacity - len(registered), 0),
        "search_form": search_form,
        "results": results,
        "notice": notice,
        "may_manage": can_manage(request.user),
        "may_run": can_run(request.user, activity),
    }


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk)
    if activity.is_outreach:
        context: dict[str, Any] = {
            "activity": activity,
            "may_manage": can_manage(request.user),
            "may_run": can_run(request.user, activity),
        }
    else:
        context = _registration_context(request, activity)
        if is_partial(request) and "q" in request.GET:
            return render(request, "activities/partials/search_results.html", context)
    context["programmes"] = list(activity.programmes.order_by("code"))
    return render(request, "activities/detail.html", context)


# Registrations -------------------------------------------------------------------------


def _after_registration_change(
    request: HttpRequest, activity: Activity, level: str, text: str
) -> HttpResponse:
    if is_partial(request):
        context = _registration_context(request, activity, notice=(level, text))
        return render(request, "activities/partials/registrations.html", context)
    getattr(messages, level)(request, text)
    return redirect_after_post(request, reverse("activities:detail", args=[activity.pk]))


@login_required
@require_POST
def registration_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk, write=True)
    try:
        client_pk = int(request.POST.get("client", ""))
    except ValueError as exc:
        raise Http404 from exc
    client = get_client_for_user(request.user, client_pk)
    try:
        registration = services.registration_add(
            actor=request.user, activity=activity, client=client
        )
    except ValidationError as exc:
        return _after_registration_change(request, activity, "error", " ".join(exc.messages))
    level = "warning" if registration.status == RegistrationStatus.WAITLISTED else "success"
    return _after_registration_change(
        request, activity, level, services.registration_message(registration)
    )


@login_required
@require_POST
def registration_cancel(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    registration = get_registration_for_user(request.user, pk, registration_pk, write=True)
    activity = registration.activity
    try:
        promoted = services.registration_cancel(actor=request.user, registration=registration)
    except ValidationError as exc:
        return _after_registration_change(request, activity, "error", " ".join(exc.messages))
    text = _("The registration of %(name)s was cancelled.") % {
        "name": registration.client.full_name
    }
    if promoted is not None:
        text = f"{text} {str(services.PROMOTED_MESSAGE) % {'name': promoted.client.full_name}}"
    return _after_registration_change(request, activity, "success", text)


# Attendance ----------------------------------------------------------------------------


def _attendance_summary(result: services.AttendanceResult) -> str:
    parts = [
        ngettext(
            "Attendance saved: %(count)s change.",
            "Attendance saved: %(count)s changes.",
            result.changed,
        )
        % {"count": result.changed}
    ]
    if result.moved:
        parts.append(
            ngettext(
                "%(count)s person moved to “informed” in their route.",
                "%(count)s people moved to “informed” in their route.",
                result.moved,
            )
            % {"count": result.moved}
        )
    if result.opened:
        parts.append(
            ngettext(
                "%(count)s starter route opened at “informed”.",
                "%(count)s starter routes opened at “informed”.",
                result.opened,
            )
            % {"count": result.opened}
        )
    if result.skipped:
        parts.append(
            ngettext(
                "%(count)s person present has no starter route to record this in.",
                "%(count)s people present have no starter route to record this in.",
                result.skipped,
            )
            % {"count": result.skipped}
        )
    return " ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_to_run(request.user, pk)
    if activity.is_outreach:
        raise Http404
    registrations = list(activity.registrations.for_attendance())
    mark_all = "present" if request.GET.get("mark") == "present" else ""
    form = AttendanceForm(request.POST or None, registrations=registrations, mark_all=mark_all)
    notice = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.attendance_record(
                actor=request.user, activity=activity, marks=form.marks()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            summary = _attendance_summary(result)
            if not is_partial(request):
                messages.success(request, summary)
                return redirect_after_post(
                    request, reverse("activities:attendance", args=[activity.pk])
                )
            # htmx: show the saved list in place.
            registrations = list(activity.registrations.for_attendance())
            form = AttendanceForm(registrations=registrations)
            notice = ("success", summary)
    context = {
        "activity": activity,
        "form": form,
        "rows": form.rows(),
        "notice": notice,
        "choices": Attendance.choices,
    }
    template = (
        "activities/partials/attendance_form.html"
        if is_partial(request)
        else "activities/attendance.html"
    )
    return render(request, template, context)


# Outreach ------------------------------------------------------------------------------


def _count_rows(request: HttpRequest) -> int:
    try:
        wanted = int(request.GET.get("rows", COUNT_ROWS))
    except ValueError:
        wanted = COUNT_ROWS
    return min(max(wanted, 1), MAX_COUNT_ROWS)


def _outreach_page(
    request: HttpRequest,
    activity: Activity,
    *,
    formset: Any = None,
    lead_form: LeadForm | None = None,
    possible_duplicate: bool = False,
    status: int = 200,
) -> HttpResponse:
    may_run, may_manage = can_run(request.user, activity), can_manage(request.user)
    counts = list(activity.outreach_counts.all())
    rows = _count_rows(request)
    if formset is None and may_run:
        formset = OutreachCountFormSet(
            prefix="counts", initial=[{"neighbourhood": activity.neighbourhood}] * rows
        )
    leads = list(
        activity.registrations.active().select_related("client").order_by("-registered_at", "-id")
    )
    context = {
        "activity": activity,
        "counts": counts,
        "total_reached": sum(c.people_reached for c in counts),
        "by_channel": _totals(counts, "channel"),
        "by_neighbourhood": _totals(counts, "neighbourhood"),
        "formset": formset,
        "more_rows": min(rows + COUNT_ROWS, MAX_COUNT_ROWS),
        "lead_form": lead_form if lead_form is not None else (LeadForm() if may_manage else None),
        "possible_duplicate": possible_duplicate,
        "leads": leads,
        "may_run": may_run,
        "may_manage": may_manage,
    }
    return render(request, "activities/outreach.html", context, status=status)


def _totals(counts: list[Any], attribute: str) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    labels: dict[str, str] = {}
    for count in counts:
        key = getattr(count, attribute)
        totals[key] = totals.get(key, 0) + count.people_reached
        labels[key] = count.get_channel_display() if attribute == "channel" else key or "—"
    return sorted(((labels[k], v) for k, v in totals.items()), key=lambda kv: -kv[1])


@login_required
@require_http_methods(["GET", "POST"])
def outreach(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        activity = get_activity_to_run(request.user, pk)
    else:
        activity = get_activity_for_user(request.user, pk)
    if not activity.is_outreach:
        raise Http404
    if request.method == "GET":
        return _outreach_page(request, activity)
    formset = OutreachCountFormSet(request.POST, prefix="counts")
    if formset.is_valid():
        rows = [f.cleaned_data for f in formset.forms if f.is_filled]
        try:
            recorded = services.outreach_counts_record(
                actor=request.user, activity=activity, rows=rows
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if recorded:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s head count recorded (%(people)s people).",
                        "%(count)s head counts recorded (%(people)s people).",
                        len(recorded),
                    )
                    % {
                        "count": len(recorded),
                        "people": sum(c.people_reached for c in recorded),
                    },
                )
            else:
                messages.info(request, _("Nothing to record: every row was empty."))
            return redirect_after_post(request, reverse("activities:outreach", args=[activity.pk]))
    return _outreach_page(request, activity, formset=formset)


@login_required
@require_POST
def outreach_count_delete(request: HttpRequest, pk: int, count_pk: int) -> HttpResponse:
    count = get_outreach_count_for_user(request.user, pk, count_pk)
    services.outreach_count_delete(actor=request.user, count=count)
    messages.success(request, _("The head count was removed."))
    return redirect_after_post(request, reverse("activities:outreach", args=[pk]))


@login_required
@require_POST
def lead_create(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk, write=True)
    if not activity.is_outreach:
        raise Http404
    form = LeadForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            client = services.lead_create(actor=request.user, activity=activity, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was noted as a lead, in the outreach phase of the starter route.")
                % {"name": client.full_name},
            )
            return redirect_after_post(request, reverse("activities:outreach", args=[activity.pk]))
    duplicate = any(e.code == "possible_duplicate" for e in form.non_field_errors().as_data())
    return _outreach_page(request, activity, lead_form=form, possible_duplicate=duplicate)


# Series --------------------------------------------------------------------------------


@login_required
def series_list(request: HttpRequest) -> HttpResponse:
    require_visible(request.user, Capability.VIEW_ALL_CLIENTS)
    series = (
        ActivitySeries.objects.visible_to(request.user)
        .annotate(sessions=Count("activities"))
        .order_by("-created_at", "-id")
    )
    page = Paginator(series, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activities/series_list.html", {"page": page, "query": ""})


@login_required
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    require_visible(request.user, Capability.VIEW_ALL_CLIENTS)
    membership = require_allowed(request.user, Capability.EDIT_CLIENTS)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(
                actor=request.user, organisation=membership.organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The series “%(title)s” was created.") % {"title": series.title}
            )
            return redirect_after_post(
                request, reverse("activities:series_detail", args=[series.pk])
            )
    return render(request, "activities/series_form.html", {"form": form})


@login_required
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_series_for_user(request.user, pk)
    sessions = list(
        series.activities.annotate(
            present=Count("registrations", filter=Q(registrations__attendance=Attendance.PRESENT)),
            registered_count=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)
            ),
        ).order_by("starts_at", "id")
    )
    rates = services.series_attendance_rates(series)
    context = {
        "series": series,
        "sessions": sessions,
        "rates": rates,
        "may_manage": can_manage(request.user),
    }
    return render(request, "activities/series_detail.html", context)
