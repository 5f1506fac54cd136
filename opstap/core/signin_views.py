"""The pages of signing in beyond the password: the second factor (set up, verify, recovery
codes), confirming one's identity again before a sensitive action, changing the password,
keeping an active session alive, and an admin resetting a member's second factor."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .forms import CodeForm, ReauthenticateForm, StyledPasswordChangeForm
from .models import Membership
from .signin import has_confirmed_device, mark_authenticated

RECOVERY_CODES = 10
SETUP_DEVICE = "opstap_totp_setup_device"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard")


def _audit_each_organisation(request: HttpRequest, action: str, user: Any) -> None:
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        audit_record(
            actor=request.user, organisation=membership.organisation, action=action, obj=user
        )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            mark_authenticated(request)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)s are left. Make new ones on your "
                        "account page."
                    )
                    % {"left": left},
                )
            return redirect(_next(request))
        form.add_error(
            "code",
            _("This code is not right, or it has expired. Enter the code your app shows now."),
        )
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Link an authenticator app: scan the code, type the first code it shows."""
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(SETUP_DEVICE)
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
        request.session[SETUP_DEVICE] = device.pk
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            # One app at a time: a new one replaces the old (a lost phone).
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.pop(SETUP_DEVICE, None)
            otp_login(request, device)
            mark_authenticated(request)
            codes = _new_recovery_codes(request.user)
            _audit_each_organisation(request, "auth.second_factor_set_up", request.user)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error(
            "code", _("This code is not right. Enter the six digits your app shows now.")
        )
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": qr.svg_data_uri(scale=5, border=2),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next(request),
        },
    )


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@login_required
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():
        return redirect(reverse("two_factor_verify"))
    codes = _new_recovery_codes(request.user)
    return render(
        request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("account")}
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/account.html",
        {
            "has_second_factor": has_confirmed_device(request.user),
            "recovery_codes_left": StaticToken.objects.filter(device__user=request.user).count(),
        },
    )


@login_required
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Prove again who you are before a sensitive action (see require_recent_authentication)."""
    needs_code = has_confirmed_device(request.user)
    form = ReauthenticateForm(request.POST or None, user=request.user, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        mark_authenticated(request)
        return redirect(_next(request))
    return render(
        request, "registration/reauthenticate.html", {"form": form, "next": _next(request)}
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password signs out every other session of the person: Django checks each
    session against the password hash, and only this one is updated."""

    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        mark_authenticated(self.request)
        _audit_each_organisation(self.request, "auth.password_changed", self.request.user)
        messages.success(
            self.request,
            _("Your password was changed. You were signed out everywhere else."),
        )
        return response


@login_required
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """The idle warning's "Stay signed in": any request counts as activity."""
    return HttpResponse(status=204)


@login_required
@require_POST
def member_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    from .views import _member_for_admin

    member = _member_for_admin(request, pk)
    TOTPDevice.objects.filter(user=member.user).delete()
    StaticDevice.objects.filter(user=member.user).delete()
    audit_record(
        actor=request.user,
        organisation=member.organisation,
        action="member.second_factor_reset",
        obj=member,
    )
    messages.success(
        request,
        _("The second factor of %(user)s was reset: they set up a new one at their next sign-in.")
        % {"user": member.user},
    )
    return redirect(reverse("member_edit", args=[member.pk]))
