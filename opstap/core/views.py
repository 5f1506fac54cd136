from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client, ClientCoach, Consent

from . import services
from .access import require_visible
from .dashboard import panels_for
from .forms import AuditFilterForm, MemberAddForm, MemberRolesForm, apply_service_errors
from .htmx import redirect_after_post
from .middleware import SESSION_KEY
from .models import AuditEvent, FileAccess, Membership, User
from .roles import Capability

DASHBOARD_LIST_LENGTH = 10
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
        context["recently_viewed"] = list(
            FileAccess.objects.filter(
                user=user, organisation=membership.organisation, client__in=visible.values("pk")
            )
            .select_related("client")
            .order_by("-accessed_at")[:DASHBOARD_LIST_LENGTH]
        )
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
