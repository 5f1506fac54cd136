from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a boosted navigation still wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
