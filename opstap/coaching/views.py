"""The coaching pages: thin views that fetch through access.py and call one service.

No page here shows a client's income, benefits, loans, IBAN or national number: volunteers
use all of them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.clients.models import Client, ClientCoach
from opstap.core.access import active_membership
from opstap.core.converters import parse_id
from opstap.core.forms import apply_service_errors, errors_as_sentence
from opstap.core.htmx import is_partial, redirect_after_post
from opstap.core.models import Membership, User
from opstap.core.roles import Role
from opstap.journeys.models import Trajectory

from . import services
from .access import (
    action_moves,
    get_action_for_user,
    get_client_for_coaching,
    get_note_for_user,
    get_trajectory_for_coaching,
    get_volunteer_for_user,
    people_who_can_open,
)
from .choices import ActionStatus
from .forms import (
    ActionForm,
    NoteEditForm,
    NoteForm,
    SessionForm,
    SuggestionForm,
    VolunteerProfileForm,
)
from .models import ActionItem, CaseNote, CoachingSession, VolunteerProfile
from .querysets import month_bounds
from .roles import (
    holds_volunteer_role,
    is_coaching_staff,
    is_volunteer_coach,
    manages_volunteers,
    reads_coaching,
    sees_volunteers,
)

MY_SESSIONS_LENGTH = 50


def _coaching_url(client: Client | int, anchor: str = "") -> str:
    pk = client.pk if isinstance(client, Client) else client
    return reverse("coaching:client", args=[pk]) + (f"#{anchor}" if anchor else "")


class CoachingPage:
    """What the coaching page of one client shows to one user; each part is read once, with
    a constant number of queries however many notes, sessions and actions there are."""

    def __init__(self, request: HttpRequest, client: Client) -> None:
        self.request = request
        self.user: User = request.user  # type: ignore[assignment]
        self.membership: Membership = request.membership  # type: ignore[attr-defined]
        self.client = client
        self.staff = is_coaching_staff(self.membership)

    @cached_property
    def coaches(self) -> list[ClientCoach]:
        return list(self.client.coach_assignments.select_related("coach").order_by("pk"))

    @cached_property
    def may_coach(self) -> bool:
        if self.staff:
            return True
        return is_volunteer_coach(self.membership) and any(
            a.coach_id == self.user.pk for a in self.coaches
        )

    @cached_property
    def trajectories(self) -> list[Trajectory]:
        return list(
            Trajectory.objects.visible_to(self.user)
            .filter(client=self.client)
            .select_related("route_type")
            .order_by("closed_on", "-opened_on", "-pk")
        )

    @cached_property
    def people(self) -> list[User]:
        """Who may coach the client or own one of its actions (staff pick them)."""
        return people_who_can_open(self.client) if self.staff else []

    def notes(self, form: NoteForm | None = None) -> dict[str, Any]:
        notes = list(CaseNote.objects.visible_to(self.user).filter(client=self.client).for_page())
        if form is None and self.may_coach:
            form = NoteForm(trajectories=self.trajectories)
        return {"client": self.client, "notes": notes, "note_form": form}

    def sessions(self, form: SessionForm | None = None) -> dict[str, Any]:
        sessions = list(
            CoachingSession.objects.visible_to(self.user).filter(client=self.client).for_page()
        )
        if form is None and self.may_coach:
            form = self.session_form()
        return {
            "client": self.client,
            "sessions": sessions,
            "session_form": form,
            "session_hours": round(sum(s.duration_minutes for s in sessions) / 60, 1),
        }

    def session_form(self, data: Any = None) -> SessionForm:
        return SessionForm(
            data,
            coaches=self.people if self.staff else None,
            trajectories=self.trajectories,
            initial={"on": timezone.localdate(), "duration_minutes": 60, "coach": self.user.pk},
        )

    def plans(self) -> list[dict[str, Any]]:
        actions = list(
            ActionItem.objects.visible_to(self.user)
            .filter(trajectory__client=self.client)
            .select_related("owner")
        )
        return [
            self.plan(t, [a for a in actions if a.trajectory_id == t.pk]) for t in self.trajectories
        ]

    def plan(
        self,
        trajectory: Trajectory,
        actions: list[ActionItem] | None = None,
        form: ActionForm | None = None,
    ) -> dict[str, Any]:
        if actions is None:
            actions = list(
                ActionItem.objects.visible_to(self.user)
                .filter(trajectory=trajectory)
                .select_related("owner")
            )
        today = timezone.localdate()
        for action in actions:
            action.trajectory = trajectory
            action.overdue = action.is_overdue(today)
            moves = action_moves(self.user, action, staff=self.staff, coaches=self.may_coach)
            action.may_complete = action.is_open and ActionStatus.DONE in moves
            action.may_cancel = action.is_open and ActionStatus.CANCELLED in moves
        can_add = self.staff and trajectory.closed_on is None
        if form is None and can_add:
            form = ActionForm(people=self.people, trajectory=trajectory)
        return {
            "client": self.client,
            "trajectory": trajectory,
            "actions": actions,
            "action_form": form if can_add else None,
        }

    def suggestions(
        self, form: SuggestionForm | None = None, results: list[services.Suggestion] | None = None
    ) -> dict[str, Any]:
        return {
            "client": self.client,
            "suggestion_form": form or SuggestionForm(),
            "suggestions": results,
        }


def _people_by_pk(page: CoachingPage) -> dict[int, User]:
    return {person.pk: person for person in page.people}


def _trajectory(page: CoachingPage, pk: int | None) -> Trajectory | None:
    if pk is None:
        return None
    trajectory = next((t for t in page.trajectories if t.pk == pk), None)
    if trajectory is None:
        raise Http404
    trajectory.client = page.client
    return trajectory


# --- the client's coaching page --------------------------------------------------------


@login_required
@require_GET
def client_coaching(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk)
    page = CoachingPage(request, client)
    context = {
        "client": client,
        "coaches": page.coaches,
        "may_coach": page.may_coach,
        "staff": page.staff,
        "notes_panel": page.notes(),
        "sessions_panel": page.sessions(),
        "plans": page.plans(),
        "suggestions_panel": page.suggestions() if page.staff else None,
    }
    return render(request, "coaching/client.html", context)


@login_required
@require_POST
def note_add(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk, write=True)
    page = CoachingPage(request, client)
    form = NoteForm(request.POST, trajectories=page.trajectories)
    if form.is_valid():
        try:
            services.note_add(
                actor=request.user,
                client=client,
                text=form.cleaned_data["text"],
                confidential=form.cleaned_data["confidential"],
                trajectory=_trajectory(page, form.cleaned_data.get("trajectory")),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_partial(request):
                return render(request, "coaching/partials/notes.html", page.notes())
            messages.success(request, _("The note was added."))
            return redirect_after_post(request, _coaching_url(client, "notes"))
    if is_partial(request):
        return render(request, "coaching/partials/notes.html", page.notes(form))
    messages.error(
        request, _("The note was not added: %(errors)s") % {"errors": errors_as_sentence(form)}
    )
    return redirect_after_post(request, _coaching_url(client, "notes"))


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, client_pk: int, note_pk: int) -> HttpResponse:
    note = get_note_for_user(request.user, client_pk, note_pk, write=True)
    form = NoteEditForm(
        request.POST or None, initial={"text": note.text, "confidential": note.confidential}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.note_update(
                actor=request.user,
                note=note,
                text=form.cleaned_data["text"],
                confidential=form.cleaned_data["confidential"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The note was changed."))
            return redirect_after_post(request, _coaching_url(note.client, "notes"))
    return render(
        request, "coaching/note_edit.html", {"client": note.client, "note": note, "form": form}
    )


@login_required
@require_POST
def session_log(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk, write=True)
    page = CoachingPage(request, client)
    form = page.session_form(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        coach = _people_by_pk(page).get(data["coach"]) if page.staff else request.user
        try:
            if coach is None:
                raise ValidationError(
                    {
                        "coach": ValidationError(
                            services.COACH_CANNOT_SEE_CLIENT, code="coach_cannot_see_client"
                        )
                    }
                )
            services.session_log(
                actor=request.user,
                client=client,
                coach=coach,
                on=data["on"],
                duration_minutes=data["duration_minutes"],
                topics=data["topics"],
                next_steps=data["next_steps"],
                trajectory=_trajectory(page, data.get("trajectory")),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_partial(request):
                return render(request, "coaching/partials/sessions.html", page.sessions())
            messages.success(request, _("The session was logged."))
            return redirect_after_post(request, _coaching_url(client, "sessions"))
    if is_partial(request):
        return render(request, "coaching/partials/sessions.html", page.sessions(form))
    messages.error(
        request,
        _("The session was not logged: %(errors)s") % {"errors": errors_as_sentence(form)},
    )
    return redirect_after_post(request, _coaching_url(client, "sessions"))


# --- action plans ----------------------------------------------------------------------


def _require_staff(request: HttpRequest) -> None:
    if not is_coaching_staff(active_membership(request.user)):
        raise PermissionDenied


@login_required
@require_POST
def action_add(request: HttpRequest, client_pk: int, trajectory_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk)
    trajectory = get_trajectory_for_coaching(request.user, client, trajectory_pk)
    _require_staff(request)
    page = CoachingPage(request, client)
    form = ActionForm(request.POST, people=page.people, trajectory=trajectory)
    if form.is_valid():
        data = form.cleaned_data
        try:
            owner = None
            if data["owner"] is not None:
                owner = _people_by_pk(page).get(data["owner"])
                if owner is None:
                    raise ValidationError(
                        {
                            "owner": ValidationError(
                                services.ACTION_OWNER_CANNOT_SEE_CLIENT,
                                code="action_owner_cannot_see_client",
                            )
                        }
                    )
            services.action_add(
                actor=request.user,
                trajectory=trajectory,
                title=data["title"],
                owner=owner,
                due_on=data["due_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_partial(request):
                return render(request, "coaching/partials/plan.html", page.plan(trajectory))
            messages.success(request, _("The action was added."))
            return redirect_after_post(request, _coaching_url(client, f"plan-{trajectory.pk}"))
    if is_partial(request):
        return render(request, "coaching/partials/plan.html", page.plan(trajectory, form=form))
    messages.error(
        request,
        _("The action was not added: %(errors)s") % {"errors": errors_as_sentence(form)},
    )
    return redirect_after_post(request, _coaching_url(client, f"plan-{trajectory.pk}"))


def _action_move(request: HttpRequest, client_pk: int, action_pk: int, to: str) -> HttpResponse:
    action = get_action_for_user(request.user, client_pk, action_pk, to=to)
    client, trajectory = action.trajectory.client, action.trajectory
    try:
        if to == ActionStatus.DONE:
            services.action_complete(actor=request.user, action=action)
        else:
            services.action_cancel(actor=request.user, action=action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if is_partial(request):
        page = CoachingPage(request, client)
        return render(request, "coaching/partials/plan.html", page.plan(trajectory))
    return redirect_after_post(request, _coaching_url(client, f"plan-{trajectory.pk}"))


@login_required
@require_POST
def action_complete(request: HttpRequest, client_pk: int, action_pk: int) -> HttpResponse:
    return _action_move(request, client_pk, action_pk, ActionStatus.DONE)


@login_required
@require_POST
def action_cancel(request: HttpRequest, client_pk: int, action_pk: int) -> HttpResponse:
    return _action_move(request, client_pk, action_pk, ActionStatus.CANCELLED)


# --- matching and assigning volunteers -------------------------------------------------


@login_required
@require_GET
def suggestions(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk)
    # Who else coaches and how busy they are is for those who assign coaches only.
    if not is_coaching_staff(active_membership(request.user)):
        raise Http404
    page = CoachingPage(request, client)
    form = SuggestionForm(request.GET or None)
    results = None
    if form.is_valid():
        results = services.suggest_volunteers(client=client, needs=form.cleaned_data["needs"])
    context = page.suggestions(form, results)
    if is_partial(request):
        return render(request, "coaching/partials/suggestions.html", context)
    return render(request, "coaching/suggestions.html", context)


@login_required
@require_POST
def volunteer_assign(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_coaching(request.user, client_pk)
    _require_staff(request)
    volunteer = User.objects.filter(
        pk=parse_id(request.POST.get("volunteer")) or 0,
        memberships__organisation=client.organisation,
    ).first()
    if volunteer is None:
        messages.error(request, _("Choose a volunteer coach of your organisation."))
    else:
        try:
            services.volunteer_assign(actor=request.user, client=client, volunteer=volunteer)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("%(coach)s now coaches this client.") % {"coach": volunteer}
            )
    return redirect_after_post(request, _coaching_url(client, "coaches"))


# --- a coach's own page ----------------------------------------------------------------


@login_required
@require_GET
def my_coaching(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    if not reads_coaching(membership):
        raise Http404
    assert membership is not None  # noqa: S101 for mypy: the check above refused None
    user = request.user
    today = timezone.localdate()
    month_start, _next_month = month_bounds(today)
    year_start = today.replace(month=1, day=1)
    # Own hours count every own session, also with clients no longer assigned; the lists
    # below name only the clients the coach may still open.
    own = CoachingSession.objects.filter(coach=user, organisation=membership.organisation)
    totals = own.aggregate(
        month_sessions=Count("id", filter=Q(on__gte=month_start)),
        month_minutes=Sum("duration_minutes", filter=Q(on__gte=month_start), default=0),
        year_sessions=Count("id", filter=Q(on__gte=year_start)),
        year_minutes=Sum("duration_minutes", filter=Q(on__gte=year_start), default=0),
        all_sessions=Count("id"),
        all_minutes=Sum("duration_minutes", default=0),
    )
    context = {
        "clients": list(
            Client.objects.visible_to(user)
            .filter(pk__in=ClientCoach.objects.filter(coach=user).values("client_id"))
            .select_related("adviser")
            .order_by("last_name", "first_name", "pk")
        ),
        "sessions": list(
            CoachingSession.objects.visible_to(user)
            .filter(coach=user)
            .select_related("client")[:MY_SESSIONS_LENGTH]
        ),
        "totals": totals,
        "month_start": month_start,
        "is_volunteer": holds_volunteer_role(membership),
    }
    return render(request, "coaching/me.html", context)


# --- volunteers ------------------------------------------------------------------------


@login_required
@require_GET
def volunteer_list(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request.user)
    if not sees_volunteers(membership):
        raise Http404
    assert membership is not None  # noqa: S101 for mypy: the check above refused None
    profiles = list(
        VolunteerProfile.objects.visible_to(request.user).with_load().select_related("user")
    )
    with_profile = {profile.user_id for profile in profiles}
    # Volunteers who have not filled in a profile yet cannot be matched: say so.
    without_profile = [
        m.user
        for m in Membership.objects.active()
        .filter(organisation=membership.organisation, role_grants__role=Role.VOLUNTEER)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "pk")
        if m.user_id not in with_profile
    ]
    context = {
        "profiles": profiles,
        "without_profile": without_profile,
        "may_edit": manages_volunteers(membership),
    }
    return render(request, "coaching/volunteers.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_profile(request: HttpRequest, user_pk: int) -> HttpResponse:
    # Reading someone else's profile page is the list's job; this page is for changing it.
    volunteer, profile = get_volunteer_for_user(request.user, user_pk, write=True)
    membership = request.membership  # type: ignore[attr-defined]
    initial = (
        {
            "expertise": profile.expertise,
            "languages": profile.languages,
            "availability": profile.availability,
            "max_clients": profile.max_clients,
            "active": profile.active,
        }
        if profile is not None
        else None
    )
    form = VolunteerProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_profile_save(
                actor=request.user,
                organisation=membership.organisation,
                volunteer=volunteer,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The volunteer profile was saved."))
            target = (
                reverse("coaching:volunteers")
                if sees_volunteers(membership)
                else reverse("coaching:me")
            )
            return redirect_after_post(request, target)
    return render(
        request,
        "coaching/volunteer_form.html",
        {
            "volunteer": volunteer,
            "profile": profile,
            "form": form,
            "own": volunteer == request.user,
        },
    )
