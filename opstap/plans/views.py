"""The business plan pages: a client's plans, the guided editor (narrative sections and
financial steps), the summary with checks and charts, comments, versions, the PDF and the
spreadsheet, the viability assessment and the organisation's assumptions.

Who sees what is decided by opstap/plans/access.py: whoever sees the client sees the plan's
narrative and comments; the financial plan needs VIEW_FINANCIAL (404 without it); changes
need WRITE_PLANS (403 without it); the assessment needs VIEW_ALL_CLIENTS to read and
ASSESS_VIABILITY to change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.clients.access import get_client_for_user
from opstap.core import downloads, formatting
from opstap.core.access import active_membership, can, require_allowed, require_visible
from opstap.core.access_log import log_read
from opstap.core.forms import apply_service_errors, errors_as_sentence
from opstap.core.htmx import is_partial
from opstap.core.models import FileAccess
from opstap.core.roles import Capability

from . import figures, pdf, services, spreadsheet
from .access import get_assessment_for_user, get_plan_for_user, get_version_for_user
from .access import may_see_financial as _may_see_financial
from .choices import GUIDANCE, Section, Verdict, VersionStatus
from .forms import (
    STEPS,
    AssessmentDecideForm,
    AssessmentExtendForm,
    AssessmentRequestForm,
    AssessmentUpdateForm,
    AssumptionsForm,
    CommentForm,
    CompareForm,
    ImportForm,
    PlanCreateForm,
    SectionForm,
    Step,
    field_problem,
)
from .models import BusinessPlan, PlanAssumptions, PlanComment, PlanVersion, ViabilityAssessment

PAGE_SIZE = 25
SOON_DAYS = 14
FINANCIAL_STEPS = ("start", "investments", "financing", "operating", "personal")


def _financial_step_labels() -> dict[str, str]:
    return {
        "start": _("Start month"),
        "investments": _("Investment budget"),
        "financing": _("Financing budget"),
        "operating": _("Operating budget"),
        "personal": _("Personal budget"),
    }


def _viewer(request: HttpRequest):
    """Plans exist for whoever sees client files (all of them, or the assigned ones)."""
    membership = active_membership(request.user)
    if membership is None or not (
        membership.can(Capability.VIEW_ALL_CLIENTS)
        or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
    ):
        raise Http404
    return membership


def _version(
    request: HttpRequest, pk: int, number: int, *, write: bool = False, financial: bool = False
) -> PlanVersion:
    """Visible (else 404), financial when asked (else 404), writable when asked (else 403)."""
    _viewer(request)
    version = get_version_for_user(request.user, pk, number, financial=financial)
    if write:
        require_allowed(request.user, Capability.WRITE_PLANS)
    return version


def _editable(request: HttpRequest, version: PlanVersion) -> bool:
    return version.is_draft and can(request.user, Capability.WRITE_PLANS)


def _steps(version: PlanVersion, financial: bool) -> list[dict[str, Any]]:
    plan_pk, number = version.plan_id, version.number
    steps = [
        {
            "kind": "section",
            "key": section.value,
            "label": section.label,
            "url": reverse("plans:section", args=[plan_pk, number, section.value]),
            "done": bool((version.narrative or {}).get(section.value, "").strip()),
        }
        for section in Section
    ]
    if financial:
        labels = _financial_step_labels()
        steps += [
            {
                "kind": "financial",
                "key": key,
                "label": labels[key],
                "url": reverse("plans:financial", args=[plan_pk, number, key]),
                "done": False,
            }
            for key in FINANCIAL_STEPS
        ]
        steps.append(
            {
                "kind": "summary",
                "key": "summary",
                "label": _("Summary and checks"),
                "url": reverse("plans:summary", args=[plan_pk, number]),
                "done": bool(version.evaluation),
            }
        )
    return steps


def _neighbours(steps: list[dict[str, Any]], key: str) -> tuple[dict | None, dict | None]:
    keys = [s["key"] for s in steps]
    index = keys.index(key)
    previous = steps[index - 1] if index > 0 else None
    following = steps[index + 1] if index + 1 < len(steps) else None
    return previous, following


def _editor_context(request: HttpRequest, version: PlanVersion, key: str) -> dict[str, Any]:
    financial = _may_see_financial(request.user)
    steps = _steps(version, financial)
    previous, following = _neighbours(steps, key)
    return {
        "plan": version.plan,
        "client": version.plan.client,
        "version": version,
        "steps": steps,
        "current": key,
        "previous_step": previous,
        "next_step": following,
        "editable": _editable(request, version),
        "may_see_financial": financial,
    }


def _figures_context(version: PlanVersion) -> dict[str, Any]:
    return {
        "key_figures": figures.key_figures(version.evaluation),
        "verdict": version.verdict,
        "verdict_label": figures.verdict_label(version.verdict),
        "verdict_badge": figures.VERDICT_BADGES.get(version.verdict, "neutral"),
    }


def _comments(plan: BusinessPlan, section: str) -> list[PlanComment]:
    return list(
        PlanComment.objects.filter(version__plan=plan, section=section)
        .select_related("author", "version")
        .order_by("created_at", "id")
    )


# --- the plans of a client, the organisation's plans ----------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    latest = PlanVersion.objects.filter(plan=OuterRef("pk")).order_by("-number")
    plans = (
        BusinessPlan.objects.visible_to(request.user)
        .select_related("client")
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
            latest_verdict=Subquery(latest.values("verdict")[:1]),
        )
        .order_by("-updated_at", "-id")
    )
    page = Paginator(plans, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    for plan in page:
        plan.latest_status_label = VersionStatus(plan.latest_status).label  # type: ignore[attr-defined]
        plan.latest_verdict_label = (  # type: ignore[attr-defined]
            figures.verdict_label(plan.latest_verdict) if plan.latest_verdict else ""
        )
    return render(
        request,
        "plans/list.html",
        {"page": page, "may_see_financial": _may_see_financial(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_plans(request: HttpRequest, client_pk: int) -> HttpResponse:
    membership = _viewer(request)
    client = get_client_for_user(request.user, client_pk)
    may_write = membership.can(Capability.WRITE_PLANS)
    form = None
    if request.method == "POST":
        require_allowed(request.user, Capability.WRITE_PLANS)
    if may_write:
        form = PlanCreateForm(request.POST or None, client=client)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            plan = services.plan_create(
                actor=request.user,
                organisation=membership.organisation,
                client=client,
                title=form.cleaned_data["title"],
                trajectory=form.cleaned_data["trajectory"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The plan was started. Begin with the first section."))
            return HttpResponseRedirect(
                reverse("plans:section", args=[plan.pk, 1, Section.ENTREPRENEUR.value])
            )
    latest = PlanVersion.objects.filter(plan=OuterRef("pk")).order_by("-number")
    plans = list(
        client.business_plans.select_related("trajectory__route_type").annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
            latest_verdict=Subquery(latest.values("verdict")[:1]),
        )
    )
    for plan in plans:
        plan.latest_status_label = VersionStatus(plan.latest_status).label  # type: ignore[attr-defined]
        plan.latest_verdict_label = (  # type: ignore[attr-defined]
            figures.verdict_label(plan.latest_verdict) if plan.latest_verdict else ""
        )
    return render(
        request,
        "plans/client_plans.html",
        {
            "client": client,
            "plans": plans,
            "form": form,
            "may_see_financial": _may_see_financial(request.user),
        },
    )


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    plan = get_plan_for_user(request.user, pk)
    versions = list(plan.versions.order_by("-number"))
    financial = _may_see_financial(request.user)
    draft = next((v for v in versions if v.is_draft), None)
    submitted = next((v for v in versions if not v.is_draft), None)
    assessments = None
    request_form = None
    if membership.can(Capability.VIEW_ALL_CLIENTS):
        assessments = list(plan.assessments.select_related("version").order_by("-requested_on"))
        if (
            membership.can(Capability.ASSESS_VIABILITY)
            and submitted is not None
            and not any(a.is_pending for a in assessments)
        ):
            request_form = AssessmentRequestForm()
    for version in versions:
        version.verdict_label = figures.verdict_label(version.verdict)  # type: ignore[attr-defined]
        version.verdict_badge = figures.VERDICT_BADGES.get(version.verdict, "neutral")  # type: ignore[attr-defined]
    compare_form = None
    if financial and len(versions) > 1:
        numbers = [v.number for v in versions]
        compare_form = CompareForm(numbers=numbers, initial={"a": numbers[1], "b": numbers[0]})
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "client": plan.client,
            "versions": versions,
            "draft": draft,
            "may_write": membership.can(Capability.WRITE_PLANS),
            "may_see_financial": financial,
            "assessments": assessments,
            "request_form": request_form,
            "compare_form": compare_form,
            "first_section": Section.ENTREPRENEUR.value,
        },
    )


# --- the guided editor: narrative sections ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int, number: int, section: str) -> HttpResponse:
    if section not in Section.values:
        raise Http404
    version = _version(request, pk, number, write=request.method == "POST")
    label = Section(section).label
    guidance_id = f"guidance-{section}"
    form = SectionForm(
        request.POST or None,
        label=label,
        guidance_id=guidance_id,
        initial={"text": (version.narrative or {}).get(section, "")},
    )
    if request.method == "POST":
        saved = False
        if form.is_valid():
            try:
                version = services.plan_section_save(
                    actor=request.user,
                    version=version,
                    section=section,
                    text=form.cleaned_data["text"],
                )
                saved = True
            except ValidationError as exc:
                apply_service_errors(form, exc)
        if is_partial(request):
            return render(
                request,
                "plans/partials/save_status.html",
                {
                    "saved": saved,
                    "saved_at": timezone.localtime(),
                    "errors": errors_as_sentence(form) if not saved else "",
                    "status_id": f"save-status-{section}",
                },
            )
        if saved:
            messages.success(request, _("The section was saved."))
            context = _editor_context(request, version, section)
            target = context["next_step"] if "next" in request.POST else None
            url = target["url"] if target else request.path
            return HttpResponseRedirect(url)
    context = _editor_context(request, version, section)
    context.update(
        {
            "form": form,
            "section": section,
            "section_label": label,
            "guidance": GUIDANCE[Section(section)],
            "guidance_id": guidance_id,
            "comments": _comments(version.plan, section),
            "comment_form": CommentForm(initial={"section": section}, auto_id="id_comment_%s"),
        }
    )
    return render(request, "plans/section.html", context)


# --- the guided editor: financial steps ------------------------------------------------------


def _step_context(
    request: HttpRequest, version: PlanVersion, step: Step, *, saved: bool = False
) -> dict[str, Any]:
    context = _editor_context(request, version, step.key)
    context.update(_figures_context(version))
    context.update(
        {
            "step": step,
            "step_key": step.key,
            "step_label": _financial_step_labels()[step.key],
            "step_template": f"plans/steps/{step.key}.html",
            "saved": saved,
            "revenue_placeholder": not (version.financial or {}).get("revenue_lines")
            and not (version.financial or {}).get("revenue"),
            "comments": _comments(version.plan, "financial"),
            "comment_form": CommentForm(initial={"section": "financial"}, auto_id="id_comment_%s"),
        }
    )
    return context


def _render_step(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    if is_partial(request):
        return render(request, "plans/partials/step_form.html", {**context, "oob": True})
    return render(request, "plans/financial_step.html", context)


def put_financial_errors(step: Step, error: ValidationError) -> None:
    """The service's errors on the step's fields, in the reader's language."""
    target = step.form
    items = (
        [e for errors in error.error_dict.values() for e in errors]
        if hasattr(error, "error_dict")
        else error.error_list
    )
    for item in items:
        params = item.params or {}
        if item.code == "invalid" and params.get("key"):
            if step.add_service_error(params["key"], params.get("problem", "")):
                continue
            message = _("%(field)s: %(problem)s") % {
                "field": params["key"],
                "problem": field_problem(params["key"], params.get("problem", "")),
            }
        else:
            message = item.message % params if params else str(item.message)
        if target is not None:
            target.add_error(None, message)
        else:
            step.errors = [*getattr(step, "errors", []), message]  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def financial_step(request: HttpRequest, pk: int, number: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    write = request.method == "POST"
    version = _version(request, pk, number, write=write, financial=True)
    step_class = STEPS[step]
    editable = _editable(request, version)
    if not write:
        current = step_class(version.financial or {}, disabled=not editable)
        return _render_step(request, _step_context(request, version, current))

    bound = step_class(version.financial or {}, data=request.POST)
    add, remove = request.POST.get("add_row", ""), request.POST.get("remove_row", "")
    if add or remove:
        bound.edit_rows(add=add, remove=remove)
        return _render_step(request, _step_context(request, version, bound))
    if bound.is_valid():
        try:
            version = services.plan_financial_save(
                actor=request.user,
                version=version,
                financial=bound.financial_after(),
            )
        except ValidationError as exc:
            put_financial_errors(bound, exc)
        else:
            if is_partial(request):
                fresh = step_class(version.financial, disabled=False)
                return _render_step(request, _step_context(request, version, fresh, saved=True))
            messages.success(request, _("Saved. The key figures are up to date."))
            context = _editor_context(request, version, step)
            target = context["next_step"] if "next" in request.POST else None
            return HttpResponseRedirect(target["url"] if target else request.path)
    return _render_step(request, _step_context(request, version, bound))


@login_required
@require_GET
def summary(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = _version(request, pk, number, financial=True)
    context = _editor_context(request, version, "summary")
    context.update(_figures_context(version))
    evaluation = version.evaluation
    context.update(
        {
            "checks": figures.checks(evaluation),
            "conditions": figures.conditions(evaluation),
            "profit_rows": figures.profit_table(evaluation) if evaluation else [],
            "may_submit": _editable(request, version) and bool(evaluation),
            "loan_url": _loan_url(request, version),
            **figures.chart_context(evaluation),
        }
    )
    return render(request, "plans/summary.html", context)


def _loan_url(request: HttpRequest, version: PlanVersion) -> str | None:
    if version.verdict not in (Verdict.VIABLE, Verdict.VIABLE_WITH_CONDITIONS):
        return None
    if not can(request.user, Capability.PREPARE_LOAN_APPLICATIONS):
        return None
    query = urlencode({"client": version.plan.client_id, "plan": version.plan_id})
    return f"{reverse('lending:application_create')}?{query}"


# --- comments, versions -----------------------------------------------------------------------


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    section = request.POST.get("section", "")
    version = _version(request, pk, number, financial=section == "financial")
    form = CommentForm(request.POST, auto_id="id_comment_%s")
    if section == "financial":
        back = reverse("plans:financial", args=[pk, number, "start"])
    elif section in Section.values:
        back = reverse("plans:section", args=[pk, number, section])
    else:
        raise Http404
    back = request.POST.get("back") if _safe_back(request.POST.get("back"), pk) else back
    if form.is_valid():
        try:
            services.comment_add(
                actor=request.user, version=version, section=section, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_partial(request):
                return _comments_panel(request, version, section, back, saved=True)
            messages.success(request, _("Your comment was added."))
            return HttpResponseRedirect(back)
    if is_partial(request):
        # The comment as typed, its message beside the field (htmx swaps only a 200).
        return _comments_panel(request, version, section, back, form=form)
    messages.error(
        request, _("The comment was not added: %(errors)s") % {"errors": errors_as_sentence(form)}
    )
    return HttpResponseRedirect(back)


def _comments_panel(
    request: HttpRequest,
    version: PlanVersion,
    section: str,
    back: str,
    *,
    form: CommentForm | None = None,
    saved: bool = False,
) -> HttpResponse:
    context = {
        "comments": _comments(version.plan, section),
        "comment_form": form or CommentForm(initial={"section": section}, auto_id="id_comment_%s"),
        "version": version,
        "plan": version.plan,
        "back": back,
        "comment_saved": saved,
    }
    return render(request, "plans/partials/comments.html", context)


def _safe_back(url: str | None, pk: int) -> bool:
    return bool(url) and url.startswith(f"/plans/{pk}/")  # type: ignore[union-attr]


@login_required
@require_POST
def version_submit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = _version(request, pk, number, write=True, financial=True)
    try:
        services.plan_submit(actor=request.user, version=version)
    except ValidationError as exc:
        messages.error(
            request, _("The version was not submitted: %(errors)s") % {"errors": _messages(exc)}
        )
        return HttpResponseRedirect(reverse("plans:summary", args=[pk, number]))
    messages.success(
        request,
        _("Version %(number)s was submitted. It can no longer be changed.") % {"number": number},
    )
    return HttpResponseRedirect(reverse("plans:detail", args=[pk]))


def _messages(error: ValidationError) -> str:
    return "; ".join(str(m) for m in error.messages)


@login_required
@require_POST
def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    plan = get_plan_for_user(request.user, pk)
    if not _may_see_financial(request.user):
        raise Http404
    require_allowed(request.user, Capability.WRITE_PLANS)
    try:
        version = services.plan_new_version(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, _messages(exc))
        return HttpResponseRedirect(reverse("plans:detail", args=[pk]))
    messages.success(
        request,
        _("Version %(number)s was started as a copy of the last one.") % {"number": version.number},
    )
    return HttpResponseRedirect(
        reverse("plans:section", args=[pk, version.number, Section.ENTREPRENEUR.value])
    )


COMPARED = (
    ("investment_total", lambda: _("Investment budget")),
    ("financing_total", lambda: _("Financing")),
    ("financing_gap", lambda: _("Financing gap (negative: surplus)")),
    ("lowest_cash", lambda: _("Lowest cash")),
    ("gross_income_needed_per_year", lambda: _("Gross income needed a year")),
)
COMPARED_YEARS = (
    ("revenue", lambda: _("Revenue")),
    ("profit_before_tax", lambda: _("Profit before tax")),
    ("break_even_revenue", lambda: _("Break-even revenue")),
    ("debt_service_coverage", lambda: _("Debt service coverage")),
)


def _compare_rows(a: PlanVersion, b: PlanVersion) -> list[dict[str, Any]]:
    ea, eb = a.evaluation or {}, b.evaluation or {}
    rows = [
        {
            "label": _("Verdict"),
            "a": figures.verdict_label(a.verdict),
            "b": figures.verdict_label(b.verdict),
        }
    ]
    for key, label in COMPARED:
        rows.append(
            {"label": label(), "a": figures.euro(ea.get(key)), "b": figures.euro(eb.get(key))}
        )
    for year in (1, 2, 3):
        for key, label in COMPARED_YEARS:
            fmt = figures.ratio if key == "debt_service_coverage" else figures.euro
            va = next((y.get(key) for y in ea.get("years", []) if y["year"] == year), None)
            vb = next((y.get(key) for y in eb.get("years", []) if y["year"] == year), None)
            rows.append(
                {
                    "label": _("%(figure)s, year %(number)s") % {"figure": label(), "number": year},
                    "a": fmt(va),
                    "b": fmt(vb),
                }
            )
    for row in rows:
        row["changed"] = row["a"] != row["b"]
    return rows


@login_required
@require_GET
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    plan = get_plan_for_user(request.user, pk)
    if not _may_see_financial(request.user):
        raise Http404
    versions = {v.number: v for v in plan.versions.all()}
    numbers = sorted(versions, reverse=True)
    form = CompareForm(request.GET or None, numbers=numbers)
    rows = None
    a = b = None
    if form.is_valid():
        a, b = versions[form.cleaned_data["a"]], versions[form.cleaned_data["b"]]
        rows = _compare_rows(a, b)
    return render(
        request,
        "plans/compare.html",
        {"plan": plan, "client": plan.client, "form": form, "rows": rows, "a": a, "b": b},
    )


# --- the PDF and the spreadsheet ------------------------------------------------------------


def _record_download(request: HttpRequest, version: PlanVersion) -> None:
    log_read(version.plan.client, purpose=FileAccess.Purpose.DOCUMENT_DOWNLOAD)


@login_required
@require_GET
def plan_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The plan as PDF in the client's language; the download is logged as a look at the file."""
    version = _version(request, pk, number, financial=True)
    content = pdf.plan_pdf(version)
    _record_download(request, version)
    response = HttpResponse(content, content_type="application/pdf")
    downloads.attachment(response, downloads.PLAN, "pdf", pk, f"v{number}")
    return response


@login_required
@require_GET
def financial_export(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = _version(request, pk, number, financial=True)
    content = spreadsheet.export_financial(version)
    _record_download(request, version)
    response = HttpResponse(content, content_type=spreadsheet.CONTENT_TYPE)
    downloads.attachment(response, downloads.FINANCIAL_PLAN, "xlsx", pk, f"v{number}")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def financial_import(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = _version(request, pk, number, write=True, financial=True)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[spreadsheet.CellProblem] = []
    if request.method == "POST" and form.is_valid():
        result = spreadsheet.import_financial(
            version=version, actor=request.user, upload=form.cleaned_data["file"]
        )
        if result.saved:
            messages.success(request, _("The financial plan was imported and calculated."))
            return HttpResponseRedirect(reverse("plans:summary", args=[pk, number]))
        problems = result.problems
        if result.message:
            form.add_error("file", result.message)
    context = _editor_context(request, version, "summary")
    context.update({"form": form, "problems": problems})
    return render(request, "plans/import.html", context)


# --- the viability assessment ---------------------------------------------------------------


def _assessment_reader(request: HttpRequest):
    return require_visible(request.user, Capability.VIEW_ALL_CLIENTS)


@login_required
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    _assessment_reader(request)
    state = "decided" if request.GET.get("state") == "decided" else "open"
    assessments = ViabilityAssessment.objects.visible_to(request.user).select_related(
        "plan", "plan__client"
    )
    if state == "open":
        assessments = assessments.pending().order_by("decision_due", "id")
    else:
        assessments = assessments.exclude(outcome="pending").order_by("-decided_on", "-id")
    page = Paginator(assessments, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for assessment in page:
        _mark_due(assessment, today)
    return render(
        request,
        "plans/assessment_list.html",
        {"page": page, "state": state, "query": f"state={state}"},
    )


def _mark_due(assessment: ViabilityAssessment, today) -> ViabilityAssessment:
    days = (assessment.decision_due - today).days
    assessment.days_left = days  # type: ignore[attr-defined]
    assessment.days_overdue = -days  # type: ignore[attr-defined]
    assessment.overdue = assessment.is_pending and days < 0  # type: ignore[attr-defined]
    assessment.soon = assessment.is_pending and 0 <= days <= SOON_DAYS  # type: ignore[attr-defined]
    return assessment


def _assessment_context(
    request: HttpRequest, assessment: ViabilityAssessment, **forms: Any
) -> dict[str, Any]:
    _mark_due(assessment, timezone.localdate())
    may_decide = can(request.user, Capability.ASSESS_VIABILITY) and assessment.is_pending
    client = assessment.plan.client
    context: dict[str, Any] = {
        "assessment": assessment,
        "plan": assessment.plan,
        "client": client,
        "may_decide": may_decide,
        "may_see_financial": _may_see_financial(request.user),
        "verdict_label": figures.verdict_label(assessment.version.verdict),
    }
    if may_decide:
        # A refused second extension shows its form with the reason why.
        context["extend_form"] = forms.get("extend") or (
            AssessmentExtendForm() if assessment.extended_on is None else None
        )
        context["update_form"] = forms.get("update") or AssessmentUpdateForm(
            client=client,
            initial={
                "external_adviser": assessment.external_adviser,
                "report": assessment.report_id,
            },
        )
        context["decide_form"] = forms.get("decide") or AssessmentDecideForm()
    return context


@login_required
@require_GET
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _assessment_reader(request)
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "plans/assessment.html", _assessment_context(request, assessment))


@login_required
@require_POST
def assessment_request(request: HttpRequest, pk: int) -> HttpResponse:
    _assessment_reader(request)
    plan = get_plan_for_user(request.user, pk)
    require_allowed(request.user, Capability.ASSESS_VIABILITY)
    form = AssessmentRequestForm(request.POST)
    if form.is_valid():
        try:
            assessment = services.assessment_request(
                actor=request.user,
                plan=plan,
                requested_on=form.cleaned_data["requested_on"],
                external_adviser=form.cleaned_data["external_adviser"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The viability assessment was requested. The decision is due on %(date)s.")
                % {"date": formatting.day(assessment.decision_due)},
            )
            return HttpResponseRedirect(reverse("plans:assessment", args=[assessment.pk]))
    messages.error(
        request,
        _("The assessment was not requested: %(errors)s") % {"errors": errors_as_sentence(form)},
    )
    return HttpResponseRedirect(reverse("plans:detail", args=[pk]))


def _assessment_write(request: HttpRequest, pk: int) -> ViabilityAssessment:
    _assessment_reader(request)
    return get_assessment_for_user(request.user, pk, decide=True)


@login_required
@require_POST
def assessment_extend(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_write(request, pk)
    form = AssessmentExtendForm(request.POST)
    if form.is_valid():
        try:
            assessment = services.assessment_extend(
                actor=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _put_errors(form, exc, {"extension_reason": "reason"})
        else:
            messages.success(
                request,
                _("The decision period was extended to %(date)s.")
                % {"date": formatting.day(assessment.decision_due)},
            )
            return HttpResponseRedirect(reverse("plans:assessment", args=[pk]))
    return render(
        request, "plans/assessment.html", _assessment_context(request, assessment, extend=form)
    )


def _put_errors(form: Any, error: ValidationError, renames: dict[str, str]) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = renames.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_POST
def assessment_update(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_write(request, pk)
    form = AssessmentUpdateForm(request.POST, client=assessment.plan.client)
    if form.is_valid():
        try:
            services.assessment_update(
                actor=request.user,
                assessment=assessment,
                external_adviser=form.cleaned_data["external_adviser"],
                report=form.cleaned_data["report"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The external adviser and report were saved."))
            return HttpResponseRedirect(reverse("plans:assessment", args=[pk]))
    return render(
        request, "plans/assessment.html", _assessment_context(request, assessment, update=form)
    )


@login_required
@require_POST
def assessment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_write(request, pk)
    form = AssessmentDecideForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_decide(
                actor=request.user,
                assessment=assessment,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                decided_on=form.cleaned_data["decided_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return HttpResponseRedirect(reverse("plans:assessment", args=[pk]))
    return render(
        request, "plans/assessment.html", _assessment_context(request, assessment, decide=form)
    )


# --- the organisation's assumptions ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assumptions(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    form = AssumptionsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assumptions_save(
                actor=request.user, organisation=membership.organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The assumptions were saved."))
            return HttpResponseRedirect(reverse("plans:assumptions"))
    rows = list(
        PlanAssumptions.objects.filter(organisation=membership.organisation).order_by("-valid_from")
    )
    today = timezone.localdate()
    current = next((r for r in rows if r.valid_from <= today), None)
    return render(
        request,
        "plans/assumptions.html",
        {"form": form, "rows": rows, "current": current},
    )
