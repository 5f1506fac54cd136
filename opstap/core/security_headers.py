"""The browser security headers Django has no setting for.

Django's SecurityMiddleware sets nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and
HSTS; django-csp sets Content-Security-Policy. This adds Permissions-Policy (the browser
features a page may use) and Cross-Origin-Resource-Policy (no other site may embed our
responses, so a client's PDF or export cannot be pulled into a page elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy_header(policy: Mapping[str, Sequence[str]]) -> str:
    """`camera=(), fullscreen=(self "https://example.org")` from {feature: allowed origins}."""

    def origin(value: str) -> str:
        return value if value in {"self", "*"} else f'"{value}"'

    return ", ".join(
        f"{feature}=({' '.join(origin(value) for value in allowed)})"
        for feature, allowed in policy.items()
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Built once: the settings do not change while the process runs.
        self.headers = {
            "Permissions-Policy": permissions_policy_header(settings.PERMISSIONS_POLICY),
            "Cross-Origin-Resource-Policy": settings.CROSS_ORIGIN_RESOURCE_POLICY,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, value in self.headers.items():
            # A view that needs another value for one response sets it itself.
            response.headers.setdefault(header, value)
        return response
