"""The report pages and their exports: parse the filters, fetch through access, compute once
(opstap.reporting.funnel), render a page or a file (opstap.reporting.exports)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opstap.core import downloads
from opstap.journeys.models import Programme

from . import exports
from .access import get_programme_for_user, programmes_for_user, require_reports
from .charts import funnel_chart
from .forms import PeriodForm, ProgrammeFilterForm
from .funnel import (
    DEFINITIONS,
    ProgrammeReport,
    TargetsReport,
    default_year,
    partner_choices,
    programme_report,
    targets_report,
)


def _file(report: ProgrammeReport | TargetsReport, fmt: str) -> HttpResponse:
    """The download for people: CSV in the reader's dialect, named in their language."""
    content = exports.render(report, fmt, for_people=True)
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    base, parts = exports.download_name(report)
    return downloads.attachment(response, base, fmt, *parts)


def _export_links(url_name: str, args: list[int], query: dict[str, str]) -> list[tuple[str, str]]:
    suffix = f"?{urlencode(query)}" if query else ""
    return [
        (label, reverse(url_name, args=[*args, fmt]) + suffix)
        for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (xlsx)"))
    ]


def _filter_query(form: PeriodForm) -> dict[str, str]:
    """The valid filters as a query string for the export links (same figures as the page)."""
    if not form.is_valid():
        return {}
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in form.cleaned_data.items()
        if value
    }


@login_required
@require_GET
def programme_list(request: HttpRequest) -> HttpResponse:
    membership = require_reports(request.user)
    programmes = (
        programmes_for_user(request.user)
        .select_related("organisation")
        .order_by("-starts_on", "code")
    )
    return render(
        request,
        "reporting/programme_list.html",
        {"programmes": programmes, "organisation_id": membership.organisation_id},
    )


def _programme_form(request: HttpRequest, programme: Programme) -> ProgrammeFilterForm:
    return ProgrammeFilterForm(
        request.GET or None,
        partners=partner_choices(programme),
        default_start=programme.starts_on,
        default_end=programme.ends_on,
    )


@login_required
@require_GET
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme_for_user(request.user, pk)
    form = _programme_form(request, programme)
    start, end = form.period
    report = programme_report(programme, start, end, form.partner)
    return render(
        request,
        "reporting/programme_detail.html",
        {
            "programme": programme,
            "form": form,
            "report": report,
            "funnel": report.funnel,
            "chart": funnel_chart(report.funnel),
            "definitions": DEFINITIONS,
            "exports": _export_links(
                "reporting:programme_export", [programme.pk], _filter_query(form)
            ),
        },
    )


@login_required
@require_GET
def programme_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    programme = get_programme_for_user(request.user, pk)
    form = _programme_form(request, programme)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid: correct them on the page."))
    start, end = form.period
    return _file(programme_report(programme, start, end, form.partner), fmt)


def _targets_form(request: HttpRequest) -> PeriodForm:
    default_start, default_end = default_year()
    return PeriodForm(request.GET or None, default_start=default_start, default_end=default_end)


@login_required
@require_GET
def targets(request: HttpRequest) -> HttpResponse:
    membership = require_reports(request.user)
    form = _targets_form(request)
    start, end = form.period
    report = targets_report(membership.organisation, start, end)
    return render(
        request,
        "reporting/targets.html",
        {
            "form": form,
            "report": report,
            "definitions": DEFINITIONS,
            "exports": _export_links("reporting:targets_export", [], _filter_query(form)),
        },
    )


@login_required
@require_GET
def targets_export(request: HttpRequest, fmt: str) -> HttpResponse:
    membership = require_reports(request.user)
    form = _targets_form(request)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid: correct them on the page."))
    start, end = form.period
    return _file(targets_report(membership.organisation, start, end), fmt)
