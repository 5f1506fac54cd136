from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.clients.access import get_client_for_user
from opstap.clients.models import Client
from opstap.core import downloads
from opstap.core.access import require_visible
from opstap.core.access_log import log_read
from opstap.core.forms import apply_service_errors
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.reauth import require_recent_authentication
from opstap.core.roles import Capability

from . import register, registry, services
from .access import get_export_for_user, may_erase, require_export, require_privacy_admin
from .choices import ExportStatus
from .forms import BreachForm, ErasureForm
from .models import DataBreach, LegalHold, RetentionPeriod, RetentionRun

PAGE_SIZE = 25


# Access -------------------------------------------------------------------------------------


@login_required
@require_POST
@require_recent_authentication
def export_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    require_export(request.user)
    export = services.export_request(actor=request.user, client=client)
    return redirect_after_post(request, reverse("privacy:export_status", args=[export.pk]))


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_export_for_user(request.user, pk)
    context = {"export": export, "finished": export.status not in _BUSY}
    if is_partial(request):
        return render(request, "privacy/partials/export_status.html", context)
    return render(request, "privacy/export_status.html", context)


_BUSY = {ExportStatus.QUEUED, ExportStatus.RUNNING}


@login_required
@require_POST
@require_recent_authentication
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_export_for_user(request.user, pk)
    try:
        content = services.export_download(actor=request.user, export=export)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect_after_post(request, reverse("privacy:export_status", args=[export.pk]))
    log_read(export.client)
    response = HttpResponse(content, content_type="application/zip")
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="opstap-data-{export.client_id}-{stamp}.zip"'
    )
    return response


# Restriction and erasure --------------------------------------------------------------------


@login_required
@require_POST
def restriction(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, write=True)
    restricted = request.POST.get("restricted") == "1"
    try:
        services.processing_restrict(actor=request.user, client=client, restricted=restricted)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Processing of this file is now restricted.")
            if restricted
            else _("The restriction of processing was lifted."),
        )
    return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    if not may_erase(request.user):
        raise Http404
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_client(
                actor=request.user, client=client, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The personal data was erased, except what a legal hold keeps.")
            )
            return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
    plan = services.plan_erasure(client, timezone.localdate())
    titles = {e.id: e.display_title for e in registry.entries()}
    pending = [(titles[key], count) for key, count in plan.pending().items()]
    return render(
        request,
        "privacy/erase.html",
        {"client": client, "form": form, "plan": plan, "pending": pending},
    )


@login_required
@require_GET
def restricted_list(request: HttpRequest) -> HttpResponse:
    """The files left out of the lists because their processing is restricted."""
    require_visible(request.user, Capability.VIEW_ALL_CLIENTS)
    clients = Client.objects.visible_to(request.user).filter(processing_restricted=True)
    page = Paginator(clients.order_by("last_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "privacy/restricted.html", {"page": page})


# Register, retention and breaches -----------------------------------------------------------


@login_required
@require_GET
def processing_register(request: HttpRequest) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    context = register.context(membership.organisation)
    return render(request, "privacy/register.html", context)


@login_required
@require_GET
def processing_register_pdf(request: HttpRequest) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    response = HttpResponse(register.pdf(membership.organisation), content_type="application/pdf")
    downloads.attachment(response, downloads.PROCESSING_REGISTER, "pdf")
    return response


@login_required
@require_GET
def retention_runs(request: HttpRequest) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    runs = RetentionRun.objects.filter(organisation=membership.organisation)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "privacy/retention.html",
        {
            "page": page,
            "periods": RetentionPeriod.objects.in_force(today),
            "holds": LegalHold.objects.in_force(today).filter(
                country=membership.organisation.country
            ),
        },
    )


@login_required
@require_GET
def retention_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    run = RetentionRun.objects.filter(organisation=membership.organisation, pk=pk).first()
    if run is None:
        raise Http404
    return render(request, "privacy/retention_run.html", {"run": run, "actions": run.actions.all()})


@login_required
@require_GET
def breach_list(request: HttpRequest) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    breaches = DataBreach.objects.filter(organisation=membership.organisation)
    page = Paginator(breaches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/breaches.html", {"page": page, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def breach_create(request: HttpRequest) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.breach_record(
            actor=request.user, organisation=membership.organisation, data=form.cleaned_data
        )
        messages.success(request, _("The data breach was recorded."))
        return redirect_after_post(request, reverse("privacy:breaches"))
    return render(request, "privacy/breach_form.html", {"form": form, "breach": None})


@login_required
@require_http_methods(["GET", "POST"])
def breach_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = require_privacy_admin(request.user)
    breach = DataBreach.objects.filter(organisation=membership.organisation, pk=pk).first()
    if breach is None:
        raise Http404
    form = BreachForm(request.POST or None, instance=breach)
    if request.method == "POST" and form.is_valid():
        # A fresh copy: the model form has already written the new values onto `breach`,
        # and the audit event needs the old ones.
        stored = DataBreach.objects.get(pk=breach.pk)
        services.breach_update(actor=request.user, breach=stored, data=form.cleaned_data)
        messages.success(request, _("The data breach was updated."))
        return redirect_after_post(request, reverse("privacy:breaches"))
    return render(request, "privacy/breach_form.html", {"form": form, "breach": breach})
