"""Confirming one's identity again before the most sensitive actions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from .signin import recently_authenticated


def require_recent_authentication(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before the most sensitive actions (the full national number, a client's data export,
    a disbursement) the person confirms their password (and second factor) if they have not
    done so in the last OPSTAP_REAUTH_MINUTES."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not recently_authenticated(request):
            back = (
                request.get_full_path()
                if request.method == "GET"
                else request.headers.get("Referer", "")
            )
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                back = ""
            # Encoded: a `&next=` inside the page's own query must not become a second `next`.
            query = urlencode({"next": back or reverse("dashboard")})
            target = f"{reverse('reauthenticate')}?{query}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return view(request, *args, **kwargs)

    return wrapper
