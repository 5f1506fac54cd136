"""Signing in: e-mail without regard to case, lockout after repeated failures (django-axes),
the second factor (django-otp), the idle timeout and recent authentication.

See docs/security.md, "Signing in". The policy is enforced in one middleware so that no page,
the Django admin included, can be reached with a password alone where a second factor is
required, and so that an idle session ends on the server whatever the browser does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import Membership, User, register_action_labels
from .roles import Capability

register_action_labels(
    {
        "auth.locked_out": _lazy("Signing in blocked after repeated failures"),
        "auth.second_factor_set_up": _lazy("Second factor set up"),
        "auth.password_changed": _lazy("Password changed"),
        "member.second_factor_reset": _lazy("Second factor reset"),
    }
)

# Session keys: when the session last did something, and when the person last proved who
# they are (password, or password and second factor).
LAST_SEEN = "opstap_last_seen"
AUTHENTICATED_AT = "opstap_authenticated_at"

# Pages a signed-in person reaches before the second factor (and the static files).
OPEN_BEFORE_SECOND_FACTOR = (
    "login",
    "logout",
    "two_factor_verify",
    "two_factor_setup",
    "set_language",
    "session_keepalive",
)


class EmailBackend(ModelBackend):
    """Signs in by e-mail whatever its case: people type "Anna@Org.be" for "anna@org.be"."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get(User.USERNAME_FIELD)
        if not email or password is None:
            return None
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            # Hash anyway, so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a failed attempt counts against: the e-mail, lower-cased and trimmed, so
    that changing the case does not buy an attacker new attempts."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None, *args: Any, **kwargs: Any
) -> HttpResponse:
    from .forms import LoginForm

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed attempts to sign in. For your safety, signing in to this account or "
        "from this address is blocked for %(minutes)s minutes. Try again later, or ask your "
        "organisation's administrator."
    ) % {"minutes": minutes}
    return render(
        request,
        "registration/login.html",
        {"form": LoginForm(request), "locked_out": message},
        status=429,
    )


@receiver(user_locked_out)
def _audit_lockout(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    from .audit import audit_record

    user = User.objects.filter(email__iexact=username or "").first()
    if user is None:
        return
    # Each organisation of the person sees the lockout in its own audit log.
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        audit_record(
            actor=None,
            organisation=membership.organisation,
            action="auth.locked_out",
            obj=user,
            extra={"ip_address": ip_address},
        )


def needs_second_factor(request: HttpRequest) -> bool:
    """Every member whose roles open client files needs a second factor, unless the
    installation exempts the demo logins' domain (OPSTAP_MFA_EXEMPT_DOMAINS; "demo" covers
    every address under .demo, which is no real top-level domain)."""
    if not settings.OPSTAP_MFA_REQUIRED:
        return False
    user = request.user
    domain = user.email.rpartition("@")[2].lower()
    if any(domain == d or domain.endswith("." + d) for d in settings.OPSTAP_MFA_EXEMPT_DOMAINS):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(
        membership.can(Capability.VIEW_ALL_CLIENTS)
        or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
        for membership in getattr(request, "memberships", [])
    )


def has_confirmed_device(user: User) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def mark_authenticated(request: HttpRequest) -> None:
    request.session[AUTHENTICATED_AT] = int(time.time())


def recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(AUTHENTICATED_AT, 0)
    return time.time() - at <= settings.OPSTAP_REAUTH_MINUTES * 60


class SignInPolicyMiddleware:
    """The idle timeout, then the second factor, for every signed-in request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            refused = self._idle(request) or self._second_factor(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _url_name(request: HttpRequest) -> str | None:
        from django.urls import Resolver404, resolve

        try:
            return resolve(request.path_info).url_name
        except Resolver404:
            return None

    def _idle(self, request: HttpRequest) -> HttpResponse | None:
        now = int(time.time())
        last = request.session.get(LAST_SEEN)
        if last is not None and now - last > settings.OPSTAP_IDLE_MINUTES * 60:
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(minutes)s minutes without activity.")
                % {"minutes": settings.OPSTAP_IDLE_MINUTES},
            )
            return redirect(f"{reverse('login')}?next={request.get_full_path()}")
        # To the minute: writing the session on every request would cost a database write
        # per page for a timeout counted in minutes.
        if last is None or now - last >= 60:
            request.session[LAST_SEEN] = now
        return None

    def _second_factor(self, request: HttpRequest) -> HttpResponse | None:
        if request.path.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        ):
            return None
        if request.user.is_verified() or not needs_second_factor(request):
            return None
        if self._url_name(request) in OPEN_BEFORE_SECOND_FACTOR:
            return None
        target = "two_factor_verify" if has_confirmed_device(request.user) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request)
        request.session[LAST_SEEN] = int(time.time())
