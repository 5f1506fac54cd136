from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opstap.clients.access import get_client_for_user
from opstap.core.access import require_visible
from opstap.core.forms import apply_service_errors, errors_as_sentence
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import Organisation
from opstap.core.roles import Capability

from . import services
from .access import get_check_in_for_user, get_programme_for_user, get_trajectory_for_user
from .forms import (
    BoardFilterForm,
    CheckInForm,
    FunderFormSet,
    PartnerFormSet,
    PerformanceTargetForm,
    ProgrammeForm,
    RouteTypeForm,
    TrajectoryMoveForm,
    TrajectoryOpenForm,
    programme_initial,
)
from .models import PerformanceTarget, Programme, RouteType, Trajectory
from .phases import Phase

# Enough to work a column from the top; the count says how many more wait below.
CARDS_PER_COLUMN = 20


def _board_context(request: HttpRequest) -> dict[str, object]:
    membership = require_visible(request.user, Capability.VIEW_ALL_CLIENTS)
    form = BoardFilterForm(
        request.GET or None, organisation=membership.organisation, user=request.user
    )
    route = form.fields["route"].initial
    # Board columns are the route's open phases, so no "still open" filter is needed (it
    # would keep the database from reading each column straight from its index).
    trajectories = Trajectory.objects.visible_to(request.user)
    if form.is_valid():
        route = form.cleaned_data["route"]
        if form.cleaned_data["adviser"]:
            trajectories = trajectories.filter(adviser=form.cleaned_data["adviser"])
        if form.cleaned_data["programme"]:
            trajectories = trajectories.filter(programmes=form.cleaned_data["programme"])
    columns = []
    if route is not None:
        # The built-in route and the organisation's adaptation share a code: both show.
        route_ids = list(
            RouteType.objects.filter(code=route.code)
            .filter(Q(organisation=membership.organisation) | Q(organisation__isnull=True))
            .values_list("pk", flat=True)
        )
        in_route = trajectories.filter(route_type_id__in=route_ids)
        counts = dict(
            in_route.values_list("phase").annotate(n=Count("id")).values_list("phase", "n")
        )
        # One index-ordered query per column (at most the route's phases, whatever the data):
        # a window over every open trajectory of the route would sort them all.
        by_phase: dict[str, list[Trajectory]] = {
            phase: list(in_route.filter(phase=phase).for_board()[:CARDS_PER_COLUMN])
            for phase in route.board_phases
        }
        phases = route.board_phases
        for phase in phases:
            column_cards = by_phase.get(phase, [])
            for card in column_cards:
                card.moves = [
                    (p, Phase(p).label) for p in route.allowed_moves(phase) if p != Phase.CLOSED
                ]
            columns.append(
                {
                    "phase": phase,
                    "label": Phase(phase).label,
                    "cards": column_cards,
                    "count": counts.get(phase, 0),
                    "hidden": max(0, counts.get(phase, 0) - len(column_cards)),
                }
            )
    return {
        "form": form,
        "route": route,
        "columns": columns,
        "query": request.GET.urlencode(),
        "can_move": membership.can(Capability.EDIT_CLIENTS),
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    context = _board_context(request)
    template = (
        "journeys/partials/board_columns.html" if is_partial(request) else "journeys/board.html"
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def trajectory_open(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, client_pk, write=True)
    form = TrajectoryOpenForm(
        request.POST or None, organisation=client.organisation, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trajectory = services.trajectory_open(
                actor=request.user,
                client=client,
                route_type=data["route_type"],
                on=data["on"],
                phase=data["phase"] or None,
                adviser=data["adviser"],
                programmes=data["programmes"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The route was opened."))
            return redirect_after_post(
                request, reverse("journeys:trajectory", args=[trajectory.pk])
            )
    return render(request, "journeys/trajectory_open.html", {"form": form, "client": client})


def _check_in_prefix(check_in_pk: int) -> str:
    # One form per open check-in on the page: the prefix keeps their fields' ids apart.
    return f"check-in-{check_in_pk}"


def _trajectory_page(
    request: HttpRequest,
    trajectory: Trajectory,
    *,
    move_form: TrajectoryMoveForm | None = None,
    check_in_form: CheckInForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The trajectory page; a form that came back with errors is shown as typed, its
    messages beside its fields (and opstap.js puts focus on the first)."""
    membership = request.membership  # type: ignore[attr-defined]
    can_edit = membership.can(Capability.EDIT_CLIENTS)
    check_ins = list(trajectory.check_ins.all())
    for check_in in check_ins:
        prefix = _check_in_prefix(check_in.pk)
        if not can_edit or check_in.done_on:
            check_in.form = None
        elif check_in_form is not None and check_in_form.prefix == prefix:
            check_in.form = check_in_form
        else:
            check_in.form = CheckInForm(prefix=prefix)
    if move_form is None and can_edit and not trajectory.is_closed:
        move_form = TrajectoryMoveForm(trajectory=trajectory)
    context = {
        "trajectory": trajectory,
        "history": list(trajectory.phase_changes.select_related("by").order_by("on", "id")),
        "programmes": list(trajectory.programmes.all()),
        "check_ins": check_ins,
        "move_form": move_form if can_edit and not trajectory.is_closed else None,
    }
    return render(request, "journeys/trajectory.html", context, status=status)


@login_required
def trajectory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _trajectory_page(request, get_trajectory_for_user(request.user, pk))


@login_required
@require_POST
def trajectory_move(request: HttpRequest, pk: int) -> HttpResponse:
    trajectory = get_trajectory_for_user(request.user, pk, write=True)
    form = TrajectoryMoveForm(request.POST, trajectory=trajectory)
    from_board = request.POST.get("from") == "board"
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.trajectory_move(
                actor=request.user,
                trajectory=trajectory,
                to_phase=data["to_phase"],
                on=data["on"],
                reason=data["reason"],
                outcome=data["outcome"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            message = _("%(client)s moved to “%(phase)s”.") % {
                "client": trajectory.client,
                "phase": Phase(data["to_phase"]).label,
            }
            if from_board and is_partial(request):
                response = render(
                    request, "journeys/partials/board_columns.html", _board_context(request)
                )
                response["HX-Trigger"] = "opstap:moved"
                return response
            messages.success(request, message)
            target = (
                reverse("journeys:board") + f"?route={trajectory.route_type_id}"
                if from_board
                else reverse("journeys:trajectory", args=[trajectory.pk])
            )
            return redirect_after_post(request, target)
    if from_board and is_partial(request):
        context = _board_context(request)
        context["error"] = errors_as_sentence(form)
        return render(request, "journeys/partials/board_columns.html", context, status=422)
    return _trajectory_page(request, trajectory, move_form=form, status=422)


@login_required
@require_POST
def check_in_record(request: HttpRequest, pk: int, check_in_pk: int) -> HttpResponse:
    check_in = get_check_in_for_user(request.user, pk, check_in_pk)
    form = CheckInForm(request.POST, prefix=_check_in_prefix(check_in.pk))
    if form.is_valid():
        data = dict(form.cleaned_data)
        on = data.pop("on")
        try:
            services.check_in_record(actor=request.user, check_in=check_in, on=on, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The check-in was recorded."))
            return redirect_after_post(request, reverse("journeys:trajectory", args=[pk]))
    return _trajectory_page(request, check_in.trajectory, check_in_form=form, status=422)


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    programmes = (
        Programme.objects.filter(organisation=membership.organisation)
        .prefetch_related("phase_targets")
        .order_by("-starts_on", "code")
    )
    return render(request, "journeys/programmes.html", {"programmes": programmes})


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    programme = get_programme_for_user(request.user, pk, write=True) if pk is not None else None
    initial = programme_initial(programme) if programme else None
    form = ProgrammeForm(request.POST or None, initial=initial)
    partner_forms = PartnerFormSet(
        request.POST or None, instance=programme or Programme(), prefix="partners"
    )
    funder_forms = FunderFormSet(
        request.POST or None, instance=programme or Programme(), prefix="funders"
    )
    for partner_form in partner_forms:
        partner_form.fields["organisation"].queryset = Organisation.objects.exclude(
            pk=membership.organisation_id
        )
    if (
        request.method == "POST"
        and form.is_valid()
        and partner_forms.is_valid()
        and funder_forms.is_valid()
    ):
        data = form.cleaned_data
        if (
            programme is None
            and Programme.objects.filter(
                organisation=membership.organisation, code=data["code"]
            ).exists()
        ):
            form.add_error("code", services.PROGRAMME_CODE_TAKEN)
        else:
            rate = data["start_rate_target"]
            try:
                saved = services.programme_save(
                    actor=request.user,
                    organisation=membership.organisation,
                    code=programme.code if programme else data["code"],
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    start_rate_target=(rate / Decimal(100)).quantize(Decimal("0.0001"))
                    if rate is not None
                    else None,
                    phase_targets=form.phase_targets(),
                    description=data["description"],
                    partners=[
                        (f.cleaned_data.get("organisation"), f.cleaned_data["name"])
                        for f in partner_forms
                        if _kept(f)
                    ],
                    funders=[
                        (f.cleaned_data["name"], f.cleaned_data["kind"])
                        for f in funder_forms
                        if _kept(f)
                    ],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The programme %(code)s was saved.") % {"code": saved.code}
                )
                return redirect_after_post(request, reverse("journeys:programmes"))
    if programme is not None:
        form.fields["code"].disabled = True
    return render(
        request,
        "journeys/programme_form.html",
        {
            "form": form,
            "programme": programme,
            "partner_forms": partner_forms,
            "funder_forms": funder_forms,
        },
    )


def _kept(form: forms.Form) -> bool:
    """A filled-in row of a formset that is not marked for deletion."""
    return (
        bool(form.cleaned_data)
        and not form.cleaned_data.get("DELETE")
        and bool(form.cleaned_data.get("name"))
    )


@login_required
@require_http_methods(["GET", "POST"])
def performance_targets(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    form = PerformanceTargetForm(request.POST or None, organisation=membership.organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.performance_target_save(
                actor=request.user,
                organisation=membership.organisation,
                route_code=data["route_code"],
                success_rate=data["success_rate"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                mean_duration_months=data["mean_duration_months"],
                description=data["description"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The performance target was saved."))
            return redirect_after_post(request, reverse("journeys:performance_targets"))
    routes = {r.code: r.name for r in RouteType.objects.for_organisation(membership.organisation)}
    targets = list(PerformanceTarget.objects.filter(organisation=membership.organisation))
    for target in targets:
        target.route_name = routes.get(target.route_code, target.route_code)
    return render(request, "journeys/performance_targets.html", {"form": form, "targets": targets})


@login_required
def route_type_list(request: HttpRequest) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    routes = RouteType.objects.for_organisation(membership.organisation).prefetch_related(
        "outcomes"
    )
    return render(request, "journeys/route_types.html", {"routes": routes})


@login_required
@require_http_methods(["GET", "POST"])
def route_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = require_visible(request.user, Capability.MANAGE_PROGRAMMES)
    route_type = RouteType.objects.for_organisation(membership.organisation).filter(pk=pk).first()
    if route_type is None:
        raise Http404
    if route_type.organisation_id is None:
        # Editing a built-in route makes the organisation's own copy first.
        if request.method == "POST" and "adapt" in request.POST:
            own = services.route_type_adapt(
                actor=request.user, organisation=membership.organisation, route_type=route_type
            )
            return redirect_after_post(request, reverse("journeys:route_type", args=[own.pk]))
        return render(request, "journeys/route_type_form.html", {"route": route_type, "form": None})
    form = RouteTypeForm(request.POST or None, route_type=route_type)
    if request.method == "POST" and form.is_valid():
        try:
            services.route_type_update(
                actor=request.user, route_type=route_type, **form.service_arguments()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The route was saved."))
            return redirect_after_post(request, reverse("journeys:route_types"))
    return render(request, "journeys/route_type_form.html", {"route": route_type, "form": form})
