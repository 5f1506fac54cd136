from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opstap.clients.access import get_client_for_user, get_shared_client_for_user
from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client
from opstap.core.access import require_allowed, require_visible
from opstap.core.converters import parse_id
from opstap.core.forms import apply_service_errors
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import FileAccess, Membership, Organisation
from opstap.core.roles import Capability

from . import services
from .access import get_referral_for_user, may_move
from .choices import MOVE_LABELS, Direction, Status, allowed_moves
from .forms import ClientPickForm, ReferralFilterForm, ReferralForm, ReferralTransitionForm
from .models import Referral

PAGE_SIZE = 25
PICK_LIMIT = 20
PARTNER_VIEWS_SHOWN = 20
OUTBOUND, INBOUND = "outbound", "inbound"


def _membership(request: HttpRequest) -> Membership:
    # Referrals are for staff who see every file of their organisation: volunteers and
    # auditors get 404 on every page of this app.
    return require_visible(request.user, Capability.VIEW_ALL_CLIENTS)


def _mark_side(referral: Referral, organisation_id: int) -> Referral:
    """What the viewer's organisation may see of this row (same row, seen from its side)."""
    referral.received = referral.organisation_id != organisation_id  # type: ignore[attr-defined]
    # The partner sees whom and why only while the file is shared with it.
    referral.shows_client = not referral.received or referral.file_shared  # type: ignore[attr-defined]
    referral.other_side = (  # type: ignore[attr-defined]
        referral.organisation.name if referral.received else referral.partner_display
    )
    referral.seen_direction = INBOUND if referral.received else referral.direction  # type: ignore[attr-defined]
    return referral


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    org_id = membership.organisation_id
    tab = INBOUND if request.GET.get("tab") == INBOUND else OUTBOUND
    form = ReferralFilterForm(request.GET or None)
    referrals = Referral.objects.visible_to(request.user)
    referrals = referrals.inbound_for(org_id) if tab == INBOUND else referrals.outbound_for(org_id)
    if form.is_valid():
        if form.cleaned_data["client"]:
            # Only the organisation's own clients: a partner cannot probe whom a row is about.
            referrals = referrals.filter(
                client_id=form.cleaned_data["client"], organisation_id=org_id
            )
        if form.cleaned_data["status"]:
            referrals = referrals.filter(status=form.cleaned_data["status"])
        referrals = referrals.partner_matches(
            form.cleaned_data["partner"], viewer_organisation_id=org_id
        )
    page = Paginator(referrals.for_list(), per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    for referral in page:
        _mark_side(referral, org_id)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "tab": tab}
    template = "referrals/partials/results.html" if is_partial(request) else "referrals/list.html"
    return render(request, template, context)


def _consented_partners(client: Client) -> list[Organisation]:
    consents = (
        client.consents.active()
        .for_purpose(ConsentPurpose.PARTNER_SHARING)
        .select_related("partner")
        .order_by("partner__name")
    )
    return [consent.partner for consent in consents if consent.partner is not None]


def _sharing_warning(client: Client, direction: str, partner: Organisation | None) -> str | None:
    if direction != Direction.OUTBOUND or partner is None:
        return None
    if services.has_partner_consent(client, partner):
        return None
    return str(services.NOT_SHARED_WARNING) % {"partner": partner.name}


def _pick_client(request: HttpRequest) -> HttpResponse:
    """Without ?client= the form first asks whom the referral is about."""
    form = ClientPickForm(request.GET or None)
    clients = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        clients = list(
            Client.objects.visible_to(request.user)
            .search(form.cleaned_data["q"], by_national_number=False)
            .only("id", "first_name", "last_name", "birth_date", "postcode")[:PICK_LIMIT]
        )
    return render(request, "referrals/pick_client.html", {"form": form, "clients": clients})


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    _membership(request)
    membership = require_allowed(request.user, Capability.EDIT_CLIENTS)
    organisation = membership.organisation
    raw_client = request.GET.get("client", "")
    if not raw_client and request.method == "GET":
        return _pick_client(request)
    client_pk = parse_id(raw_client)
    if client_pk is None:
        raise Http404
    client = get_client_for_user(request.user, client_pk)
    form = ReferralForm(request.POST or None, organisation=organisation)

    if request.method == "GET" and is_partial(request):
        # htmx: the partner or direction changed; say at once whether the file is shared.
        partner_pk = parse_id(request.GET.get("partner"))
        partner = (
            Organisation.objects.exclude(pk=organisation.pk).filter(pk=partner_pk).first()
            if partner_pk
            else None
        )
        warning = _sharing_warning(client, request.GET.get("direction", ""), partner)
        return render(request, "referrals/partials/sharing_warning.html", {"warning": warning})

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_create(
                actor=request.user,
                organisation=organisation,
                client=client,
                direction=data["direction"],
                partner=data["partner"],
                partner_name=data["partner_name"],
                reason=data["reason"],
                sent_on=data["sent_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The referral was recorded."))
            not_shared = _sharing_warning(client, referral.direction, referral.partner)
            if not_shared:
                messages.warning(request, not_shared)
            return redirect_after_post(request, reverse("referrals:detail", args=[referral.pk]))
    warning = None
    if form.is_bound:
        warning = _sharing_warning(
            client, form.cleaned_data.get("direction", ""), form.cleaned_data.get("partner")
        )
    context = {
        "form": form,
        "client": client,
        "consented_partners": _consented_partners(client),
        "warning": warning,
    }
    return render(request, "referrals/form.html", context)


def _detail_context(
    request: HttpRequest,
    referral: Referral,
    membership: Membership,
    bound: ReferralTransitionForm | None = None,
) -> dict[str, object]:
    _mark_side(referral, membership.organisation_id)
    move_forms = []
    if may_move(request.user, referral):
        for to in allowed_moves(referral.status):
            form = bound if bound is not None and bound.to == to else ReferralTransitionForm(to=to)
            move_forms.append((to, MOVE_LABELS[to], form))
    not_shared = None
    if referral.answered_by_partner and referral.is_live and not referral.partner_consent:
        not_shared = str(services.NOT_SHARED_WARNING) % {"partner": referral.partner_display}
    partner_views = None
    if not referral.received and referral.answered_by_partner:
        # The owner of the file sees who at the partner opened it (FileAccess of the partner).
        partner_views = list(
            FileAccess.objects.filter(client_id=referral.client_id, organisation=referral.partner)
            .select_related("user")
            .order_by("-accessed_at")[:PARTNER_VIEWS_SHOWN]
        )
    return {
        "referral": referral,
        "events": list(referral.events.select_related("by", "organisation")),
        "move_forms": move_forms,
        "may_move": may_move(request.user, referral),
        "not_shared": not_shared,
        "partner_views": partner_views,
        "non_field_errors": bound.non_field_errors() if bound is not None else None,
    }


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    referral = get_referral_for_user(request.user, pk)
    context = _detail_context(request, referral, membership)
    return render(request, "referrals/detail.html", context)


@login_required
@require_POST
def referral_transition(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    referral = get_referral_for_user(request.user, pk, write=True)
    to = request.POST.get("to", "")
    form = ReferralTransitionForm(request.POST, to=to)
    detail_url = reverse("referrals:detail", args=[referral.pk])
    if form.is_valid():
        try:
            services.referral_transition(
                actor=request.user,
                organisation=membership.organisation,
                referral=referral,
                to=to,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data.get("outcome", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The referral is now “%(status)s”.") % {"status": Status(to).label},
            )
            return redirect_after_post(request, detail_url)
    # The move comes back as typed, its messages beside its fields (not a banner).
    referral = get_referral_for_user(request.user, pk)
    context = _detail_context(request, referral, membership, bound=form)
    if is_partial(request):
        return render(request, "referrals/partials/status_panel.html", context)
    return render(request, "referrals/detail.html", context, status=422)


@dataclass(frozen=True)
class SharedFile:
    """Everything the partner's page may show: nothing else of the client reaches it."""

    client_id: int
    organisation: str
    full_name: str
    birth_date: object
    gender: str
    phone: str
    email: str
    address: str
    neighbourhood: str
    languages: list[str]
    preferred_language: str


def _shared_file(client: Client) -> SharedFile:
    address = " ".join(
        part for part in (client.street, client.postcode, client.municipality) if part
    )
    return SharedFile(
        client_id=client.pk,
        organisation=client.organisation.name,
        full_name=client.full_name,
        birth_date=client.birth_date,
        gender=client.get_gender_display(),
        phone=client.phone,
        email=client.email,
        address=address,
        neighbourhood=client.neighbourhood,
        languages=client.language_labels,
        preferred_language=client.preferred_language_label if client.preferred_language else "",
    )


@login_required
def shared_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The partner's read-only view of a file shared with it through this referral."""
    membership = _membership(request)
    referral = get_referral_for_user(request.user, pk)
    if referral.organisation_id == membership.organisation_id or not referral.file_shared:
        raise Http404
    client = get_shared_client_for_user(request.user, referral.client_id)
    return render(
        request,
        "referrals/shared_file.html",
        {"referral": referral, "shared": _shared_file(client)},
    )
