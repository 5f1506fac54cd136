from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import formatting
from .models import Membership

SESSION_KEY = "opstap_organisation_id"


class ActiveOrganisationMiddleware:
    """Attaches the user's memberships and the active one to the request and the user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.memberships = []  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            memberships = list(
                Membership.objects.active()
                .with_roles()
                .select_related("organisation")
                .filter(user=user)
                .order_by("organisation__name")
            )
            wanted = request.session.get(SESSION_KEY)
            active = next((m for m in memberships if m.organisation_id == wanted), None)
            if active is None and memberships:
                active = memberships[0]
            request.memberships = memberships  # type: ignore[attr-defined]
            request.membership = active  # type: ignore[attr-defined]
            user.active_membership = active  # type: ignore[attr-defined]
        # Money and dates are written as read where the organisation works (nl_BE or nl_NL).
        country = request.membership.organisation.country if request.membership else None
        token = formatting.set_region(country)
        try:
            return self.get_response(request)
        finally:
            formatting.reset_region(token)
