from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.core.access import can, require_allowed, require_visible
from opstap.core.access_log import log_read, log_reads
from opstap.core.dashboard import client_sections_for
from opstap.core.forms import apply_service_errors, errors_as_sentence
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import AuditEvent, FileAccess, Membership, User
from opstap.core.reauth import require_recent_authentication
from opstap.core.roles import Capability
from opstap.core.timeline import timeline_for

from . import services
from .access import get_client_for_user, get_consent_for_user, get_document_for_user
from .choices import ConsentPurpose
from .forms import ClientFilterForm, ClientForm, ConsentForm, DocumentForm
from .models import Client, ClientDocument
from .querysets import is_national_number_query

TIMELINE_LENGTH = 50


def _require_client_access(request: HttpRequest) -> None:
    if not (
        can(request.user, Capability.VIEW_ALL_CLIENTS)
        or can(request.user, Capability.VIEW_ASSIGNED_CLIENTS)
    ):
        require_visible(request.user, Capability.VIEW_ALL_CLIENTS)


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    _require_client_access(request)
    organisation = request.membership.organisation  # type: ignore[attr-defined]
    form = ClientFilterForm(request.GET or None, organisation=organisation)
    clients = Client.objects.visible_to(request.user).for_list()
    if form.is_valid():
        data = form.cleaned_data
        clients = clients.search(
            data["q"], by_national_number=can(request.user, Capability.VIEW_NATIONAL_NUMBER)
        )
        if data["adviser"]:
            clients = clients.filter(adviser=data["adviser"])
        if data["labour_status"]:
            clients = clients.filter(labour_status=data["labour_status"])
        if data["gender"]:
            clients = clients.filter(gender=data["gender"])
    page = Paginator(clients, per_page=25).get_page(request.GET.get("page"))
    if form.is_valid() and is_national_number_query(form.cleaned_data["q"]):
        # A lookup by national number finds a person, not a list: logged as a file read.
        log_reads(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "clients/partials/results.html" if is_partial(request) else "clients/list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    _require_client_access(request)
    membership = require_allowed(request.user, Capability.EDIT_CLIENTS)
    organisation = membership.organisation
    form = ClientForm(
        request.POST or None,
        organisation=organisation,
        membership=membership,
        initial=None if request.POST else {"adviser": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                actor=request.user,
                organisation=organisation,
                data=form.service_data(),
                duplicate_override_reason=form.cleaned_data["duplicate_override_reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The client file of %(name)s was created.") % {"name": client.full_name}
            )
            return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
    return render(
        request,
        "clients/form.html",
        {"form": form, "client": None, "possible_duplicate": _has_code(form, "possible_duplicate")},
    )


def _has_code(form: ClientForm, code: str) -> bool:
    return any(e.code == code for e in form.non_field_errors().as_data())


@login_required
@require_GET
@require_recent_authentication
def national_number(request: HttpRequest, pk: int) -> HttpResponse:
    """The full national number, on request and after a recent sign-in: the file itself shows
    only its last digits, so that a screen glimpsed or shared shows no identity number."""
    client = get_client_for_user(request.user, pk)
    if not can(request.user, Capability.VIEW_NATIONAL_NUMBER):
        raise PermissionDenied
    return render(request, "clients/partials/national_number.html", {"client": client})


@login_required
@require_http_methods(["GET", "POST"])
@require_recent_authentication
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, write=True)
    membership = request.membership  # type: ignore[attr-defined]
    special_allowed = services.has_active_consent(client, ConsentPurpose.SPECIAL_CATEGORY)
    form = ClientForm(
        request.POST or None,
        organisation=client.organisation,
        membership=membership,
        client=client,
        special_category_allowed=special_allowed,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(
                actor=request.user,
                client=client,
                data=form.service_data(),
                duplicate_override_reason=form.cleaned_data["duplicate_override_reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
    return render(
        request,
        "clients/form.html",
        {
            "form": form,
            "client": client,
            "possible_duplicate": _has_code(form, "possible_duplicate"),
        },
    )


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, get_client_for_user(request.user, pk))


def _detail_page(
    request: HttpRequest,
    client: Client,
    *,
    document_form: DocumentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The client file; a document form that came back with errors is shown as sent, its
    messages beside its fields."""
    membership = request.membership  # type: ignore[attr-defined]
    log_read(client, purpose=FileAccess.Purpose.CLIENT_DETAIL)
    consents = list(client.consents.select_related("partner", "recorded_by", "withdrawn_by"))
    context = {
        "client": client,
        "consents": consents,
        "coaches": list(client.coach_assignments.select_related("coach")),
        "documents": list(client.documents.select_related("uploaded_by"))
        if membership.can(Capability.MANAGE_DOCUMENTS)
        else None,
        "timeline": _timeline(request.user, client, membership),
        "consent_form": ConsentForm(organisation=client.organisation)
        if membership.can(Capability.MANAGE_CONSENT)
        else None,
        "document_form": (document_form or DocumentForm())
        if membership.can(Capability.MANAGE_DOCUMENTS)
        else None,
        "coach_candidates": _coach_candidates(client)
        if membership.can(Capability.EDIT_CLIENTS)
        else None,
    }
    context["sections"] = client_sections_for(request, membership, client)
    return render(request, "clients/detail.html", context, status=status)


def _timeline(user: User, client: Client, membership: Membership) -> list[AuditEvent]:
    """The file's history, each event only for who may open its object (core/timeline.py);
    documents stay unnamed for who may not see them on this page."""
    hidden_types = set()
    if not membership.can(Capability.MANAGE_DOCUMENTS):
        hidden_types.add(ClientDocument._meta.label_lower)
    return timeline_for(user, client, length=TIMELINE_LENGTH, hidden_types=hidden_types)


def _coach_candidates(client: Client) -> list[User]:
    from opstap.core.roles import Role

    return list(
        User.objects.filter(
            memberships__organisation=client.organisation,
            memberships__is_active=True,
            memberships__role_grants__role=Role.VOLUNTEER,
        )
        .exclude(coached_clients__client=client)
        .distinct()
        .order_by("first_name", "last_name")
    )


def _consents_partial(
    request: HttpRequest, client: Client, form: ConsentForm | None = None
) -> HttpResponse:
    context = {
        "client": client,
        "consents": list(client.consents.select_related("partner", "recorded_by", "withdrawn_by")),
        "consent_form": form or ConsentForm(organisation=client.organisation),
    }
    return render(request, "clients/partials/consents.html", context)


@login_required
@require_POST
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    require_allowed(request.user, Capability.MANAGE_CONSENT)
    form = ConsentForm(request.POST, organisation=client.organisation)
    if form.is_valid():
        try:
            services.consent_record(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_partial(request):
                return _consents_partial(request, client)
            messages.success(request, _("The consent was recorded."))
            return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
    if is_partial(request):
        return _consents_partial(request, client, form)
    messages.error(
        request,
        _("The consent was not recorded: %(errors)s") % {"errors": errors_as_sentence(form)},
    )
    return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    consent = get_consent_for_user(request.user, pk, consent_pk, write=True)
    try:
        services.consent_withdraw(actor=request.user, consent=consent)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The consent was withdrawn."))
    if is_partial(request):
        return _consents_partial(request, consent.client)
    return redirect_after_post(request, reverse("clients:detail", args=[pk]))


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    require_allowed(request.user, Capability.MANAGE_DOCUMENTS)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(
                actor=request.user,
                client=client,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The document was added."))
            return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
    if is_partial(request):
        documents = list(client.documents.select_related("uploaded_by"))
        context = {"client": client, "documents": documents, "document_form": form}
        # 200: htmx swaps only successful answers; the errors are in the panel itself.
        return render(request, "clients/partials/documents.html", context)
    return _detail_page(request, client, document_form=form, status=422)


@login_required
def document_download(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    document = get_document_for_user(request.user, pk, document_pk)
    log_read(document.client, purpose=FileAccess.Purpose.DOCUMENT_DOWNLOAD)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@login_required
@require_POST
def coach_assign(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, write=True)
    coach = next(
        (c for c in _coach_candidates(client) if str(c.pk) == request.POST.get("coach")), None
    )
    if coach is None:
        messages.error(request, _("Choose a volunteer coach of your organisation."))
    else:
        try:
            services.coach_assign(actor=request.user, client=client, coach=coach)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(coach)s now coaches this client.") % {"coach": coach})
    return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))


@login_required
@require_POST
def coach_unassign(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, write=True)
    assignment = client.coach_assignments.select_related("coach").filter(pk=assignment_pk).first()
    if assignment is None:
        raise Http404
    services.coach_unassign(actor=request.user, assignment=assignment)
    messages.success(request, _("The coach was unassigned."))
    return redirect_after_post(request, reverse("clients:detail", args=[client.pk]))
