"""The loan pages: products, applications, the credit committee, loans and the portfolio.

Thin views: parse, fetch through `access`, call one service, render a page (or, for htmx,
a partial). Volunteers and job coaches get 404 everywhere (the app does not exist for them);
the portfolio is also open, as aggregates only, to those who see aggregated figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.clients.access import get_client_for_user
from opstap.clients.models import Client, normalise_for_search
from opstap.core import downloads, formatting
from opstap.core.access import require_allowed, require_visible
from opstap.core.access_log import log_read, log_reads
from opstap.core.converters import parse_id
from opstap.core.forms import apply_service_errors
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import FileAccess, Membership, User
from opstap.core.reauth import require_recent_authentication
from opstap.core.roles import Capability
from opstap.journeys.services import add_months

from . import engine, exports, pdf, services
from .access import get_application_for_user, get_loan_for_user, get_product_for_user
from .choices import (
    ENDED_STATUSES,
    Account,
    ApplicationStatus,
    Bucket,
    LoanStatus,
    TransactionKind,
)
from .forms import (
    ApplicationFilterForm,
    ApplicationForm,
    AssessmentForm,
    ClientPickForm,
    DisburseForm,
    EndLoanForm,
    LoanFilterForm,
    ProductForm,
    RepaymentForm,
    RestructureForm,
    ReverseForm,
    VoteForm,
    WaiveForm,
)
from .models import (
    CommitteeVote,
    Installment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)

PAGE_SIZE = 25
PICK_LIMIT = 20
WORST_ARREARS_SHOWN = 10
MONTHS_SHOWN = 12
ZERO = Decimal("0.00")
PAR30_BUCKETS = (Bucket.DAYS_31_60, Bucket.DAYS_61_90, Bucket.DAYS_90_PLUS)
REVERSIBLE = (TransactionKind.REPAYMENT, TransactionKind.WAIVE_INTEREST, TransactionKind.WAIVE_FEES)

NO_SCHEDULE = gettext_lazy("These terms give no schedule: %(problem)s")
FILL_IN_FOR_PREVIEW = gettext_lazy(
    "Fill in the product, amount, number of repayments and date to see the schedule."
)


def _viewer(request: HttpRequest) -> Membership:
    """Loans exist only for those who may see them: everyone else gets 404."""
    return require_visible(request.user, Capability.VIEW_LOANS)


# --- the schedule preview (pure: the engine, no query) ---------------------------------------


@dataclass
class PreviewRow:
    number: int
    due_date: datetime.date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    balance: Decimal | None


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    error: str = ""


def schedule_preview(
    settings: dict[str, Any],
    *,
    amount: Decimal,
    rate: Decimal,
    repayments: int,
    on: datetime.date,
) -> Preview:
    """The schedule the engine makes of a product's settings for one loan."""
    terms = {
        **settings,
        "principal": str(amount),
        "disbursement_date": on.isoformat(),
        "interest_rate": str(rate),
        "number_of_repayments": repayments,
    }
    try:
        schedule = engine.generate_schedule(engine.terms_from_json(terms))
    except engine.TermsError as error:
        return Preview(error=str(NO_SCHEDULE % {"problem": f"{error.key} {error.message}"}))
    rows = []
    if schedule.disbursement_fees:
        fee = schedule.disbursement_fees
        rows.append(PreviewRow(0, on, ZERO, ZERO, fee, fee, None))
    rows += [
        PreviewRow(r.number, r.due_date, r.principal, r.interest, r.fees, r.total, r.balance)
        for r in schedule.installments
    ]
    totals = {
        "principal": schedule.total_principal,
        "interest": schedule.total_interest,
        "fees": schedule.total_fees,
        "total": schedule.total,
    }
    return Preview(rows=rows, totals=totals)


def _application_preview(application: LoanApplication, amount: Decimal | None = None) -> Preview:
    return schedule_preview(
        application.product.schedule_settings,
        amount=amount or application.amount,
        rate=application.interest_rate,
        repayments=application.number_of_repayments,
        on=application.expected_disbursement_date,
    )


# --- products ---------------------------------------------------------------------------------


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    today = timezone.localdate()
    products = list(LoanProduct.objects.visible_to(request.user))
    valid = set(
        LoanProduct.objects.visible_to(request.user).valid_on(today).values_list("pk", flat=True)
    )
    for product in products:
        product.is_valid_today = product.pk in valid  # type: ignore[attr-defined]
    return render(request, "lending/product_list.html", {"products": products})


def _product_form_page(
    request: HttpRequest, form: ProductForm, product: LoanProduct | None
) -> HttpResponse:
    return render(
        request,
        "lending/product_form.html",
        {
            "form": form,
            "product": product,
            "preview": _product_preview(form) if form.is_bound else None,
        },
    )


def _save_product(
    request: HttpRequest, membership: Membership, form: ProductForm, product: LoanProduct | None
) -> LoanProduct | None:
    if not form.is_valid():
        return None
    try:
        return services.loan_product_save(
            actor=request.user,
            organisation=membership.organisation,
            product=product,
            **form.product_values(),
        )
    except ValidationError as exc:
        _product_errors(form, exc)
    return None


def _product_errors(form: ProductForm, error: ValidationError) -> None:
    """Put the service's errors beside their fields; a schedule setting beside its own."""
    if hasattr(error, "error_dict") and "schedule_settings" in error.error_dict:
        for item in error.error_dict.pop("schedule_settings"):
            key = (item.params or {}).get("key", "")
            form.add_error(form.field_for_setting(key), item)
        if not error.error_dict:
            return
    apply_service_errors(form, error)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    membership = require_allowed(request.user, Capability.MANAGE_LOAN_PRODUCTS)
    form = ProductForm(request.POST or None)
    if request.method == "POST":
        product = _save_product(request, membership, form, None)
        if product is not None:
            messages.success(request, _("The loan product was saved."))
            return redirect_after_post(
                request, reverse("lending:product_detail", args=[product.pk])
            )
    return _product_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    product = get_product_for_user(request.user, pk, write=True)
    form = ProductForm(request.POST or None, product=product)
    if request.method == "POST":
        saved = _save_product(request, membership, form, product)
        if saved is not None:
            messages.success(request, _("The loan product was saved."))
            return redirect_after_post(request, reverse("lending:product_detail", args=[pk]))
    return _product_form_page(request, form, product)


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    product = get_product_for_user(request.user, pk)
    form = ProductForm(product=product)
    preview = schedule_preview(
        product.schedule_settings,
        amount=product.min_amount,
        rate=product.default_rate,
        repayments=product.min_repayments,
        on=timezone.localdate(),
    )
    return render(
        request,
        "lending/product_detail.html",
        {"product": product, "form": form, "preview": preview},
    )


PREVIEW_FIELDS = (
    *ProductForm.SCHEDULE_FIELDS,
    "sample_amount",
    "sample_repayments",
    "default_rate",
)


def _product_preview(form: ProductForm) -> Preview:
    form.is_valid()
    problems = [
        f"{form.fields[name].label}: {' '.join(str(e) for e in form.errors[name])}"
        for name in PREVIEW_FIELDS
        if name in form.errors
    ]
    if problems:
        return Preview(error="; ".join(problems))
    data = form.cleaned_data
    if not (data.get("sample_amount") and data.get("sample_repayments")):
        return Preview(error=_("Give a sample amount and number of repayments."))
    if data.get("default_rate") is None:
        return Preview(error=_("Give the standard interest rate."))
    return schedule_preview(
        form.schedule_settings(),
        amount=data["sample_amount"],
        rate=data["default_rate"],
        repayments=data["sample_repayments"],
        on=data.get("valid_from") or timezone.localdate(),
    )


@login_required
@require_GET
def product_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the schedule of a sample loan under the settings as typed so far."""
    _viewer(request)
    preview = _product_preview(ProductForm(request.GET))
    return render(request, "lending/partials/schedule_preview.html", {"preview": preview})


# --- applications -----------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    form = ApplicationFilterForm(request.GET or None)
    applications = LoanApplication.objects.visible_to(request.user).for_list()
    client = None
    if form.is_valid():
        if form.cleaned_data["client"]:
            applications = applications.filter(client_id=form.cleaned_data["client"])
            client = (
                Client.objects.visible_to(request.user)
                .filter(pk=form.cleaned_data["client"])
                .first()
            )
        if form.cleaned_data["status"]:
            applications = applications.filter(status=form.cleaned_data["status"])
    page = Paginator(applications, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lending/application_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "client": client},
    )


def _pick_client(request: HttpRequest) -> HttpResponse:
    form = ClientPickForm(request.GET or None)
    clients = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        clients = list(
            Client.objects.visible_to(request.user)
            .search(form.cleaned_data["q"], by_national_number=False)
            .only("id", "first_name", "last_name", "birth_date", "postcode")[:PICK_LIMIT]
        )
    return render(request, "lending/pick_client.html", {"form": form, "clients": clients})


def _preview_from_data(request: HttpRequest, data: Any, prefix: str = "") -> Preview:
    """The schedule for the application form as typed so far (htmx and re-rendered forms)."""

    def value(name: str) -> str:
        return (data.get(f"{prefix}{name}") or "").strip()

    try:
        product_pk = int(value("product"))
        amount = Decimal(value("amount"))
        repayments = int(value("number_of_repayments"))
        on = datetime.date.fromisoformat(value("expected_disbursement_date"))
        rate_text = value("interest_rate")
        rate = Decimal(rate_text) if rate_text else None
    except (ValueError, ArithmeticError):
        return Preview(error=str(FILL_IN_FOR_PREVIEW))
    product = LoanProduct.objects.visible_to(request.user).filter(pk=product_pk).first()
    if product is None or amount <= 0 or repayments < 1:
        return Preview(error=str(FILL_IN_FOR_PREVIEW))
    return schedule_preview(
        product.schedule_settings,
        amount=amount,
        rate=product.default_rate if rate is None else rate,
        repayments=repayments,
        on=on,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest) -> HttpResponse:
    membership = _viewer(request)
    raw_client = request.GET.get("client", "")
    if not raw_client and request.method == "GET":
        require_allowed(request.user, Capability.PREPARE_LOAN_APPLICATIONS)
        return _pick_client(request)
    client_pk = parse_id(raw_client)
    if client_pk is None:
        raise Http404
    # The client first: another organisation's client answers 404 whatever the role.
    client = get_client_for_user(request.user, client_pk)
    require_allowed(request.user, Capability.PREPARE_LOAN_APPLICATIONS)
    initial = _initial_from_plan(request, client)
    form = ApplicationForm(request.POST or None, client=client, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                actor=request.user,
                organisation=membership.organisation,
                client=client,
                documents=form.cleaned_data["documents"],
                **form.service_values(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The loan application was recorded."))
            return redirect_after_post(
                request, reverse("lending:application_detail", args=[application.pk])
            )
    preview = _preview_from_data(request, request.POST) if form.is_bound else None
    return render(
        request,
        "lending/application_form.html",
        {"form": form, "client": client, "application": None, "preview": preview},
    )


def _initial_from_plan(request: HttpRequest, client) -> dict:
    """Started from a viable business plan: its financing need, its idea and its route."""
    plan_pk = parse_id(request.GET.get("plan"))
    if plan_pk is None:
        return {}
    from opstap.plans.services import viable_version_for_loan

    found = viable_version_for_loan(request.user, plan_pk, client)
    if found is None:
        return {}
    plan, version, amount = found
    return {
        "amount": amount,
        "purpose": (version.narrative.get("idea") or plan.title)[:1000],
        "trajectory": plan.trajectory_id,
    }


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    application = get_application_for_user(
        request.user, pk, capability=Capability.PREPARE_LOAN_APPLICATIONS
    )
    detail_url = reverse("lending:application_detail", args=[pk])
    if application.status != ApplicationStatus.IN_PREPARATION:
        messages.error(request, str(services.APPLICATION_NOT_IN_PREPARATION))
        return redirect_after_post(request, detail_url)
    initial = {
        "product": application.product_id,
        "amount": application.amount,
        "purpose": application.purpose,
        "number_of_repayments": application.number_of_repayments,
        "interest_rate": application.interest_rate,
        "expected_disbursement_date": application.expected_disbursement_date,
        "trajectory": application.trajectory_id,
        "documents": list(application.documents.values_list("pk", flat=True)),
    }
    form = ApplicationForm(
        request.POST or None, client=application.client, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        if values["interest_rate"] is None:
            values["interest_rate"] = values["product"].default_rate
        try:
            services.application_update(
                actor=request.user,
                application=application,
                documents=form.cleaned_data["documents"],
                **values,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The loan application was saved."))
            return redirect_after_post(request, detail_url)
    preview = (
        _preview_from_data(request, request.POST)
        if form.is_bound
        else _application_preview(application)
    )
    return render(
        request,
        "lending/application_form.html",
        {
            "form": form,
            "client": application.client,
            "application": application,
            "preview": preview,
        },
    )


@login_required
@require_GET
def application_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the schedule of the application as the officer types."""
    _viewer(request)
    preview = _preview_from_data(request, request.GET)
    return render(request, "lending/partials/schedule_preview.html", {"preview": preview})


def _application_context(
    request: HttpRequest,
    application: LoanApplication,
    membership: Membership,
    *,
    assessment_form: AssessmentForm | None = None,
    vote_form: VoteForm | None = None,
    refused: str = "",
) -> dict[str, Any]:
    votes = list(application.votes.select_related("member"))
    is_preparer = application.prepared_by_id == request.user.pk
    in_committee = application.status == ApplicationStatus.IN_COMMITTEE
    may_decide = (
        membership.can(Capability.DECIDE_LOANS)
        and in_committee
        and not is_preparer
        and all(v.member_id != request.user.pk for v in votes)
    )
    may_prepare = membership.can(Capability.PREPARE_LOAN_APPLICATIONS)
    loan = Loan.objects.filter(application=application).only("pk", "reference").first()
    return {
        "application": application,
        "votes": votes,
        "documents": list(application.documents.all()),
        "preview": _application_preview(application),
        "may_prepare": may_prepare and application.status == ApplicationStatus.IN_PREPARATION,
        "may_withdraw": may_prepare
        and application.status
        in (ApplicationStatus.IN_PREPARATION, ApplicationStatus.IN_COMMITTEE),
        "assessment_form": assessment_form
        or AssessmentForm(initial={"assessment": application.assessment}),
        "may_decide": may_decide,
        "vote_form": vote_form or VoteForm(application_pk=application.pk),
        "preparer_cannot_decide": membership.can(Capability.DECIDE_LOANS)
        and in_committee
        and is_preparer,
        "maker_message": services.MAKER_CANNOT_DECIDE,
        "refused": refused,
        "loan": loan,
        "may_see_documents": membership.can(Capability.MANAGE_DOCUMENTS),
    }


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    application = get_application_for_user(request.user, pk)
    context = _application_context(request, application, membership)
    return render(request, "lending/application_detail.html", context)


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    application = get_application_for_user(
        request.user, pk, capability=Capability.PREPARE_LOAN_APPLICATIONS
    )
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.application_submit(
                actor=request.user,
                application=application,
                assessment=form.cleaned_data["assessment"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The application was sent to the credit committee."))
            return redirect_after_post(request, reverse("lending:application_detail", args=[pk]))
    context = _application_context(request, application, membership, assessment_form=form)
    return render(request, "lending/application_detail.html", context)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    application = get_application_for_user(
        request.user, pk, capability=Capability.PREPARE_LOAN_APPLICATIONS
    )
    try:
        services.application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect_after_post(request, reverse("lending:application_detail", args=[pk]))


@login_required
@require_POST
def application_vote(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    application = get_application_for_user(request.user, pk, capability=Capability.DECIDE_LOANS)
    form = VoteForm(request.POST, application_pk=application.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.application_vote(
                actor=request.user,
                application=application,
                vote=data["vote"],
                approved_amount=data["approved_amount"],
                conditions=data["conditions"],
                reason=data["reason"],
            )
        except PermissionDenied as exc:
            # Maker-checker: the one who prepared it sees it, with why they cannot decide.
            context = _application_context(
                request,
                application,
                membership,
                refused=str(exc) or str(services.MAKER_CANNOT_DECIDE),
            )
            return render(request, "lending/application_detail.html", context, status=403)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            application.refresh_from_db()
            messages.success(
                request,
                _("Your decision was recorded. The application is now “%(status)s”.")
                % {"status": ApplicationStatus(application.status).label},
            )
            return redirect_after_post(request, reverse("lending:committee"))
    context = _application_context(request, application, membership, vote_form=form)
    return render(request, "lending/application_detail.html", context)


@login_required
def committee(request: HttpRequest) -> HttpResponse:
    """The credit committee's queue: every application waiting for a decision."""
    _viewer(request)
    require_allowed(request.user, Capability.DECIDE_LOANS)
    applications = list(
        LoanApplication.objects.visible_to(request.user)
        .awaiting_committee()
        .for_list()
        .select_related("trajectory__route_type")
        .prefetch_related(
            Prefetch("votes", queryset=CommitteeVote.objects.select_related("member")),
            "documents",
        )
        .order_by("submitted_on", "pk")
    )
    items = []
    for application in applications:
        votes = list(application.votes.all())
        is_preparer = application.prepared_by_id == request.user.pk
        voted = any(v.member_id == request.user.pk for v in votes)
        items.append(
            {
                "application": application,
                "votes": votes,
                "documents": list(application.documents.all()),
                "preview": _application_preview(application),
                "is_preparer": is_preparer,
                "voted": voted,
                "vote_form": None
                if is_preparer or voted
                else VoteForm(application_pk=application.pk),
            }
        )
    return render(
        request,
        "lending/committee.html",
        {"items": items, "maker_message": services.MAKER_CANNOT_DECIDE},
    )


# --- loans ------------------------------------------------------------------------------------


def _officers(membership: Membership):
    return (
        User.objects.filter(loans_managed__organisation_id=membership.organisation_id)
        .distinct()
        .order_by("first_name", "last_name")
    )


def filtered_loans(request: HttpRequest, membership: Membership) -> tuple[Any, LoanFilterForm]:
    form = LoanFilterForm(request.GET or None, officers=_officers(membership))
    loans = Loan.objects.visible_to(request.user).for_list()
    if form.is_valid():
        data = form.cleaned_data
        if data["client"]:
            loans = loans.filter(client_id=data["client"])
        if data["status"]:
            loans = loans.filter(status=data["status"])
        if data["bucket"]:
            loans = loans.filter(bucket=data["bucket"])
        if data["officer"]:
            loans = loans.filter(officer=data["officer"])
        text = data["q"].strip()
        if text:
            condition = Q(reference__icontains=text)
            words = normalise_for_search(text).split()
            if words:
                by_name = Q()
                for word in words:
                    by_name &= Q(client__search_name__contains=word)
                condition |= by_name
            loans = loans.filter(condition)
    return loans, form


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    membership = _viewer(request)
    loans, form = filtered_loans(request, membership)
    page = Paginator(loans, per_page=PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = (
        "lending/partials/loan_results.html" if is_partial(request) else "lending/loan_list.html"
    )
    return render(request, template, context)


@login_required
def loan_export(request: HttpRequest) -> HttpResponse:
    membership = _viewer(request)
    loans, _form = filtered_loans(request, membership)
    loans = list(loans)
    log_reads(loans)
    response = HttpResponse(exports.loans_xlsx(loans), content_type=exports.XLSX)
    stamp = timezone.localdate().isoformat()
    downloads.attachment(response, downloads.LOANS, "xlsx", stamp)
    return response


def planned_principal(loan: Loan) -> Decimal:
    terms = loan.terms
    if "disbursements" in terms:
        return sum((Decimal(d["amount"]) for d in terms["disbursements"]), ZERO)
    return Decimal(terms["principal"])


@dataclass
class ScheduleRow:
    row: Installment
    status: str
    status_label: str
    due: Decimal


ROW_STATUS = {
    "paid": gettext_lazy("Paid"),
    "overdue": gettext_lazy("Overdue"),
    "due": gettext_lazy("Due"),
    "future": gettext_lazy("Future"),
    "forgiven": gettext_lazy("Not owed any more"),
}


def schedule_rows(installments: list[Installment], today: datetime.date) -> list[ScheduleRow]:
    """Each instalment with what it is now: paid, overdue, due (the one running) or future."""
    rows = []
    running_seen = False
    for row in installments:
        if row.open_amount <= 0:
            status = "paid" if row.paid > 0 or row.forgiven == 0 else "forgiven"
        elif row.due_date < today:
            status = "overdue"
        elif not running_seen:
            status, running_seen = "due", True
        else:
            status = "future"
        rows.append(ScheduleRow(row, status, str(ROW_STATUS[status]), row.open_amount))
    return rows


def schedule_totals(installments: list[Installment]) -> dict[str, Decimal]:
    totals = {key: ZERO for key in ("principal", "interest", "fees", "total", "paid", "open")}
    for row in installments:
        totals["principal"] += row.principal
        totals["interest"] += row.interest
        totals["fees"] += row.fees
        totals["total"] += row.total
        totals["paid"] += row.paid
        totals["open"] += row.open_amount
    return totals


def _terms_summary(loan: Loan) -> dict[str, Any]:
    terms = loan.terms
    every = int(terms.get("repayment_every", 1))
    # The same plural-aware phrases as the contract (one translation for both).
    unit = terms.get("repayment_unit", "months")
    if unit == "weeks":
        every_text = ngettext("every week", "every %(counter)s weeks", every)
    elif unit == "days":
        every_text = ngettext("every day", "every %(counter)s days", every)
    else:
        every_text = ngettext("every month", "every %(counter)s months", every)
    return {
        "principal": planned_principal(loan),
        "rate": Decimal(terms["interest_rate"]),
        "repayments": terms["number_of_repayments"],
        "every": every_text % {"counter": every},
        "disbursement_date": datetime.date.fromisoformat(
            terms["disbursements"][0]["date"]
            if "disbursements" in terms
            else terms["disbursement_date"]
        ),
        "tranches": [
            (datetime.date.fromisoformat(d["date"]), Decimal(d["amount"]))
            for d in terms.get("disbursements", [])
        ],
    }


def _ledger(loan: Loan) -> list[dict[str, Any]]:
    balances = services.ledger_balances(loan)
    return [
        {"account": account, "label": label, "balance": balances.get(account, ZERO)}
        for account, label in Account.choices
    ]


@login_required
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _viewer(request)
    loan = get_loan_for_user(request.user, pk)
    today = timezone.localdate()
    versions = list(loan.versions.select_related("created_by").order_by("-number"))
    installments: dict[int, list[Installment]] = {v.pk: [] for v in versions}
    for row in Installment.objects.filter(loan=loan).order_by("version_id", "number"):
        installments.setdefault(row.version_id, []).append(row)
    current = next((v for v in versions if v.is_current), None)
    current_rows = installments.get(current.pk, []) if current else []
    older = [
        {
            "version": v,
            "rows": installments.get(v.pk, []),
            "totals": schedule_totals(installments.get(v.pk, [])),
        }
        for v in versions
        if not v.is_current
    ]
    transactions = list(
        loan.transactions.select_related("created_by", "reversed_by").order_by("value_date", "id")
    )
    ledger = _ledger(loan)
    balances = {row["account"]: row["balance"] for row in ledger}
    may_service = membership.can(Capability.SERVICE_LOANS)
    active = loan.status == LoanStatus.ACTIVE
    context = {
        "loan": loan,
        "terms": _terms_summary(loan),
        "current": current,
        "schedule": schedule_rows(current_rows, today),
        "totals": schedule_totals(current_rows),
        "older": older,
        "transactions": transactions,
        "ledger": ledger,
        # The cached figures on the loan, checked against the ledger on the page.
        "ledger_matches": {
            "principal": balances[Account.LOAN_PORTFOLIO] == loan.principal_outstanding,
            "interest": balances[Account.INTEREST_RECEIVABLE] == loan.interest_due,
            "fees": balances[Account.FEE_RECEIVABLE] == loan.fees_due,
            "overpaid": -balances[Account.OVERPAYMENT] == loan.overpaid,
        },
        "may_service": may_service,
        "actions": {
            "disburse": may_service
            and loan.status in (LoanStatus.APPROVED, LoanStatus.ACTIVE)
            and loan.principal_disbursed < planned_principal(loan),
            "repay": may_service and active,
            "waive": may_service and active,
            "restructure": may_service and active,
            "write_off": may_service and active,
            "convert_to_gift": may_service and active and loan.product.may_convert_to_gift,
            "close": may_service and loan.status == LoanStatus.REPAID,
        },
        "reversible": REVERSIBLE,
        "ended": loan.status in ENDED_STATUSES,
    }
    return render(request, "lending/loan_detail.html", context)


@dataclass(frozen=True)
class Action:
    key: str
    title: Any
    intro: Any
    button: Any
    form: type
    run: Callable[[HttpRequest, Loan, dict[str, Any]], Any]
    done: Any
    danger: bool = False


def _disburse(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.loan_disburse(
        actor=request.user, loan=loan, on=data["date"], amount=data["amount"]
    )


def _repay(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.repayment_post(
        actor=request.user,
        loan=loan,
        amount=data["amount"],
        on=data["date"],
        channel=data["channel"],
        reference=data["reference"],
        idempotency_key=data["idempotency_key"],
        prepayment_mode=data["prepayment_mode"],
        confirm_overpayment=data["confirm_overpayment"],
    )


def _waive(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.loan_waive(
        actor=request.user,
        loan=loan,
        kind=data["kind"],
        amount=data["amount"],
        on=data["date"],
        reason=data["reason"],
    )


def _restructure(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.loan_restructure(
        actor=request.user,
        loan=loan,
        effective_from=data["effective_from"],
        holiday_periods=data["holiday_periods"],
        extra_repayments=data["extra_repayments"],
        new_interest_rate=data["new_interest_rate"],
        grace_on_principal=data["grace_on_principal"],
    )


def _write_off(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.loan_write_off(
        actor=request.user,
        loan=loan,
        on=data["date"],
        reason=data["reason"],
        decision_reference=data["decision_reference"],
    )


def _convert_to_gift(request: HttpRequest, loan: Loan, data: dict[str, Any]) -> Any:
    return services.loan_convert_to_gift(
        actor=request.user,
        loan=loan,
        on=data["date"],
        reason=data["reason"],
        decision_reference=data["decision_reference"],
    )


ACTIONS = {
    "disburse": Action(
        "disburse",
        gettext_lazy("Disburse"),
        gettext_lazy("Record the payment of the loan, or of its next tranche, to the client."),
        gettext_lazy("Record the disbursement"),
        DisburseForm,
        _disburse,
        gettext_lazy("The disbursement was recorded."),
    ),
    "repay": Action(
        "repay",
        gettext_lazy("Post a repayment"),
        gettext_lazy(
            "Record money received from the client. It is split by the product's allocation order."
        ),
        gettext_lazy("Post the repayment"),
        RepaymentForm,
        _repay,
        gettext_lazy("The repayment was posted."),
    ),
    "waive": Action(
        "waive",
        gettext_lazy("Waive interest or fees"),
        gettext_lazy("Interest or fees that are due and will not be collected."),
        gettext_lazy("Waive"),
        WaiveForm,
        _waive,
        gettext_lazy("The waiver was recorded."),
    ),
    "restructure": Action(
        "restructure",
        gettext_lazy("Restructure"),
        gettext_lazy(
            "Make a new version of the schedule: a payment holiday, extra instalments, a new "
            "interest rate or grace on principal. The old version is kept."
        ),
        gettext_lazy("Make the new schedule"),
        RestructureForm,
        _restructure,
        gettext_lazy("The schedule was changed."),
    ),
    "write_off": Action(
        "write_off",
        gettext_lazy("Write off"),
        gettext_lazy("Everything still open on the loan is written off. This ends the loan."),
        gettext_lazy("Write off the loan"),
        EndLoanForm,
        _write_off,
        gettext_lazy("The loan was written off."),
        danger=True,
    ),
    "convert_to_gift": Action(
        "convert_to_gift",
        gettext_lazy("Convert into a gift"),
        gettext_lazy(
            "Everything still open on the loan becomes a grant, for example business capital "
            "under the Bbz. This ends the loan."
        ),
        gettext_lazy("Convert into a gift"),
        EndLoanForm,
        _convert_to_gift,
        gettext_lazy("The loan was converted into a gift."),
        danger=True,
    ),
}


def _action_errors(form: Any) -> list[str]:
    """Errors that have no visible field: non-field ones and those of hidden fields."""
    found = [str(e) for e in form.non_field_errors()]
    for bound in form.hidden_fields():
        found += [str(e) for e in bound.errors]
    return found


def _loan_action(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    _viewer(request)
    loan = get_loan_for_user(request.user, pk, write=True)
    action = ACTIONS[key]
    form = action.form(request.POST or None)
    detail_url = reverse("lending:detail", args=[loan.pk])
    if request.method == "POST" and form.is_valid():
        try:
            result = action.run(request, loan, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if isinstance(result, services.Posted) and not result.created:
                messages.info(
                    request, _("This repayment had been posted already: it was posted once.")
                )
            else:
                messages.success(request, str(action.done))
            return redirect_after_post(request, detail_url)
    context = {"loan": loan, "action": action, "form": form, "errors": _action_errors(form)}
    template = "lending/partials/action_form.html" if is_partial(request) else "lending/action.html"
    return render(request, template, context)


def _action_view(key: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _loan_action(request, pk, key)

    view.__name__ = f"loan_{key}"
    return view


loan_disburse = require_recent_authentication(_action_view("disburse"))
loan_repay = _action_view("repay")
loan_waive = _action_view("waive")
loan_restructure = _action_view("restructure")
loan_write_off = _action_view("write_off")
loan_convert_to_gift = _action_view("convert_to_gift")


@login_required
@require_http_methods(["GET", "POST"])
def transaction_reverse(request: HttpRequest, pk: int, transaction_pk: int) -> HttpResponse:
    _viewer(request)
    loan = get_loan_for_user(request.user, pk, write=True)
    row = LoanTransaction.objects.filter(loan=loan, pk=transaction_pk).first()
    if row is None:
        raise Http404
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.transaction_reverse(
                actor=request.user, transaction_=row, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The transaction was reversed."))
            return redirect_after_post(request, reverse("lending:detail", args=[loan.pk]))
    return render(
        request,
        "lending/reverse.html",
        {"loan": loan, "row": row, "form": form, "errors": _action_errors(form)},
    )


@login_required
@require_POST
def loan_close(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    loan = get_loan_for_user(request.user, pk, write=True)
    try:
        services.loan_close(actor=request.user, loan=loan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The loan was closed."))
    return redirect_after_post(request, reverse("lending:detail", args=[loan.pk]))


@login_required
def loan_contract(request: HttpRequest, pk: int) -> HttpResponse:
    """The contract with its schedule as PDF, in the client's language."""
    _viewer(request)
    loan = get_loan_for_user(request.user, pk)
    content = pdf.contract_pdf(loan)
    log_read(loan.client, purpose=FileAccess.Purpose.DOCUMENT_DOWNLOAD)
    response = HttpResponse(content, content_type="application/pdf")
    downloads.attachment(response, downloads.CONTRACT, "pdf", loan.reference)
    return response


# --- the portfolio ----------------------------------------------------------------------------


def _nice_maximum(value: Decimal, steps: int = 4) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^k step that fits `value` in `steps`, times steps."""
    if value <= 0:
        return Decimal(steps)
    magnitude = Decimal(1)
    while True:
        for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = factor * magnitude
            if step * steps >= value:
                return step * steps
        magnitude *= 10


CHART_WIDTH, CHART_HEIGHT = 560, 260
CHART_LEFT, CHART_TOP, CHART_BOTTOM = 70, 16, 40


@dataclass(frozen=True)
class MonthBar:
    month: datetime.date
    label: str
    long_label: str
    amount: Decimal
    count: int
    x: float
    y: float
    width: float
    height: float
    text_x: float


@dataclass(frozen=True)
class MonthChart:
    width: int
    height: int
    bars: list[MonthBar]
    ticks: list[tuple[float, Decimal]]
    left: int
    right: int
    axis_y: int
    label_y: int


def month_chart(
    months: list[datetime.date], totals: dict[datetime.date, tuple[Decimal, int]]
) -> MonthChart:
    top_value = max([totals.get(m, (ZERO, 0))[0] for m in months] + [ZERO])
    maximum = _nice_maximum(top_value)
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT - 10) / len(months)
    axis_y = CHART_HEIGHT - CHART_BOTTOM
    bars = []
    for index, month in enumerate(months):
        amount, count = totals.get(month, (ZERO, 0))
        height = round(float(amount / maximum) * plot_height, 1)
        x = round(CHART_LEFT + index * slot + slot * 0.15, 1)
        bars.append(
            MonthBar(
                month=month,
                label=formatting.day(month, "month_abbr"),
                long_label=formatting.day(month, "month"),
                amount=amount,
                count=count,
                x=x,
                y=round(axis_y - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                text_x=round(x + slot * 0.35, 1),
            )
        )
    ticks = [
        (
            round(axis_y - plot_height * i / 4, 1),
            (maximum * i / 4).quantize(Decimal(1), ROUND_CEILING),
        )
        for i in range(5)
    ]
    return MonthChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bars=bars,
        ticks=ticks,
        left=CHART_LEFT,
        right=CHART_WIDTH - 10,
        axis_y=axis_y,
        label_y=axis_y + 20,
    )


def _pivot(
    rows: list[dict[str, Any]], key: str, label: Callable[[dict[str, Any]], str]
) -> list[dict[str, Any]]:
    """Grouped (key, bucket) rows → one line per key with its loans and principal per bucket."""
    lines: dict[Any, dict[str, Any]] = {}
    for row in rows:
        line = lines.setdefault(
            row[key],
            {
                "label": label(row),
                "loans": 0,
                "principal": ZERO,
                "buckets": {b: {"loans": 0, "principal": ZERO} for b in Bucket.values},
            },
        )
        line["loans"] += row["loans"]
        line["principal"] += row["principal"] or ZERO
        line["buckets"][row["bucket"]] = {
            "loans": row["loans"],
            "principal": row["principal"] or ZERO,
        }
    result = sorted(lines.values(), key=lambda line: line["label"].lower())
    for line in result:
        line["cells"] = [line["buckets"][b] for b in Bucket.values]
    return result


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if membership is None or not (
        membership.can(Capability.VIEW_LOANS) or membership.can(Capability.VIEW_AGGREGATES)
    ):
        raise Http404
    names_allowed = membership.can(Capability.VIEW_LOANS)
    loans = Loan.objects.in_organisation(membership.organisation_id)
    active = loans.filter(status=LoanStatus.ACTIVE)
    figures = loans.aggregate(
        active=Count("pk", filter=Q(status=LoanStatus.ACTIVE)),
        outstanding=Sum("principal_outstanding", filter=Q(status=LoanStatus.ACTIVE)),
        par30=Sum(
            "principal_outstanding", filter=Q(status=LoanStatus.ACTIVE, bucket__in=PAR30_BUCKETS)
        ),
        non_performing=Count("pk", filter=Q(status=LoanStatus.ACTIVE, non_performing=True)),
        overdue=Sum("overdue_amount", filter=Q(status=LoanStatus.ACTIVE)),
        cob_date=Max("cob_date"),
    )
    outstanding = figures["outstanding"] or ZERO
    par30 = figures["par30"] or ZERO
    figures["outstanding"] = outstanding
    figures["par30"] = par30
    figures["overdue"] = figures["overdue"] or ZERO
    figures["par30_rate"] = (par30 * 100 / outstanding) if outstanding else None

    grouped = ("bucket",)
    by_officer = _pivot(
        list(
            active.values(
                "officer_id",
                "officer__first_name",
                "officer__last_name",
                "officer__email",
                *grouped,
            )
            .annotate(loans=Count("pk"), principal=Sum("principal_outstanding"))
            .order_by()
        ),
        "officer_id",
        lambda row: (
            f"{row['officer__first_name']} {row['officer__last_name']}".strip()
            or row["officer__email"]
        ),
    )
    by_product = _pivot(
        list(
            active.values("product_id", "product__name", *grouped)
            .annotate(loans=Count("pk"), principal=Sum("principal_outstanding"))
            .order_by()
        ),
        "product_id",
        lambda row: row["product__name"],
    )
    this_month = timezone.localdate().replace(day=1)
    months = [add_months(this_month, -i) for i in range(MONTHS_SHOWN - 1, -1, -1)]
    per_month = (
        LoanTransaction.objects.filter(
            loan__organisation_id=membership.organisation_id,
            kind=TransactionKind.DISBURSEMENT,
            reversed_at__isnull=True,
            value_date__gte=months[0],
        )
        .annotate(month=TruncMonth("value_date"))
        .values("month")
        .annotate(amount=Sum("amount"), count=Count("pk"))
        .order_by("month")
    )
    totals = {}
    for row in per_month:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        totals[month] = (row["amount"] or ZERO, row["count"])
    chart = month_chart(months, totals)
    worst = None
    if names_allowed:
        worst = list(
            active.filter(days_past_due__gt=0)
            .select_related("client")
            .order_by("-days_past_due", "pk")[:WORST_ARREARS_SHOWN]
        )
    context = {
        "figures": figures,
        "buckets": Bucket.choices,
        "by_officer": by_officer,
        "by_product": by_product,
        "chart": chart,
        "chart_total": sum((bar.amount for bar in chart.bars), ZERO),
        "worst": worst,
        "names_allowed": names_allowed,
    }
    return render(request, "lending/portfolio.html", context)
