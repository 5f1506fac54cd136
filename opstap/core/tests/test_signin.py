"""Signing in as an attacker would try it: password guessing, e-mail case, the password-reset
door, the second factor, idle sessions, a changed password and re-authentication."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from opstap.core.models import AuditEvent
from opstap.core.signin import AUTHENTICATED_AT, LAST_SEEN
from opstap.core.tests.factories import member

pytestmark = pytest.mark.django_db

PASSWORD = "a long and good passphrase 2026"


@pytest.fixture
def person(world):
    user = world["adviser"]
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(http, email, password=PASSWORD, path="login"):
    return http.post(reverse(path), {"username": email, "password": password})


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_then_fails(person):
    http = HttpClient()
    for _ in range(4):
        assert sign_in(http, person.email, "wrong").status_code == 200
    assert sign_in(http, person.email, "wrong").status_code == 429
    for _ in range(45):
        sign_in(http, person.email, "wrong")
    response = sign_in(http, person.email)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in http.session
    assert AuditEvent.objects.filter(action="auth.locked_out", object_id=str(person.pk)).exists()


def test_changing_the_case_of_the_email_buys_no_new_attempts(person):
    http = HttpClient()
    for variant in ["A", "b", "C", "d", "E"]:
        sign_in(http, person.email.upper() if variant.isupper() else person.email, "wrong")
    assert sign_in(HttpClient(REMOTE_ADDR="10.9.9.9"), person.email.title()).status_code == 429


def test_email_at_sign_in_is_not_case_sensitive(person):
    http = HttpClient()
    response = sign_in(http, person.email.upper())
    assert response.status_code == 302
    assert http.session["_auth_user_id"] == str(person.pk)


def test_one_address_guessing_many_accounts_is_locked_out_too(world, person):
    http = HttpClient(REMOTE_ADDR="10.1.2.3")
    for role in ["volunteer", "loan_officer", "committee", "job_coach", "auditor"]:
        sign_in(http, world[role].email, "wrong")
    assert sign_in(http, person.email).status_code == 429
    # The account itself is not locked from elsewhere.
    assert sign_in(HttpClient(REMOTE_ADDR="10.3.2.1"), person.email).status_code == 302


def test_the_admin_login_is_the_same_door(person):
    person.is_staff = True
    person.save()
    http = HttpClient()
    for _ in range(5):
        http.post(reverse("admin:login"), {"username": person.email, "password": "wrong"})
    response = http.post(reverse("admin:login"), {"username": person.email, "password": PASSWORD})
    assert response.status_code == 429


def test_password_reset_never_reveals_an_account(person):
    cache.clear()
    http = HttpClient()
    known = http.post(reverse("password_reset"), {"email": person.email.upper()})
    unknown = http.post(reverse("password_reset"), {"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_password_reset_is_throttled_per_account_and_per_address(world, person):
    cache.clear()
    for number in range(10):
        HttpClient(REMOTE_ADDR=f"10.0.0.{number}").post(
            reverse("password_reset"), {"email": person.email}
        )
    assert len(mail.outbox) == 5
    mail.outbox.clear()
    http = HttpClient(REMOTE_ADDR="10.7.7.7")
    for role in ["volunteer", "loan_officer", "committee", "job_coach", "auditor", "org_admin"]:
        world[role].set_password(PASSWORD)
        world[role].save()
        http.post(reverse("password_reset"), {"email": world[role].email})
    assert len(mail.outbox) == 5


# --- the second factor ----------------------------------------------------------------------


@pytest.fixture
def mfa(settings):
    settings.OPSTAP_MFA_REQUIRED = True
    settings.OPSTAP_MFA_EXEMPT_DOMAINS = []
    # django-otp slows repeated wrong codes down (1 s, 2 s, 4 s …); not what these tests time.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def set_up_second_factor(http) -> tuple[TOTPDevice, list[str]]:
    setup = http.get(reverse("two_factor_setup"))
    assert setup.status_code == 200
    assert 'data-testid="totp-qr"' in setup.content.decode()
    device = TOTPDevice.objects.get(confirmed=False)
    done = http.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-z]+)</code>", done.content.decode())
    return device, codes


def test_a_password_alone_opens_no_client_file(mfa, person, world):
    http = HttpClient()
    assert sign_in(http, person.email).status_code == 302
    response = http.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    device, codes = set_up_second_factor(http)
    assert len(codes) == 10
    assert http.get(reverse("clients:list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.second_factor_set_up").exists()

    # The next sign-in asks for the code; a wrong code keeps the door shut.
    again = HttpClient()
    sign_in(again, person.email)
    assert again.get(reverse("clients:list"))["Location"].startswith(reverse("two_factor_verify"))
    wrong = again.post(reverse("two_factor_verify"), {"code": "000000"})
    assert "This code is not right" in wrong.content.decode()
    assert again.get(reverse("clients:list")).status_code == 302
    # A recovery code works once.
    assert again.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert again.get(reverse("clients:list")).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_the_django_admin_needs_the_second_factor_too(mfa, world):
    admin = member(world.own, "org_admin", email="root@own.example")
    admin.is_staff = admin.is_superuser = True
    admin.set_password(PASSWORD)
    admin.save()
    http = HttpClient()
    sign_in(http, admin.email)
    assert http.get("/admin/")["Location"].startswith(reverse("two_factor_setup"))


def test_roles_without_client_files_and_exempt_demo_domains_need_no_second_factor(mfa, world):
    auditor = world["auditor"]
    auditor.set_password(PASSWORD)
    auditor.save()
    http = HttpClient()
    sign_in(http, auditor.email)
    assert http.get(reverse("dashboard")).status_code == 200

    mfa.OPSTAP_MFA_EXEMPT_DOMAINS = ["example"]  # covers own.example
    adviser = world["adviser"]
    adviser.set_password(PASSWORD)
    adviser.save()
    http = HttpClient()
    sign_in(http, adviser.email)
    assert http.get(reverse("clients:list")).status_code == 200


def test_an_admin_resets_a_members_second_factor_and_it_is_audited(mfa, world, login, person):
    http = HttpClient()
    sign_in(http, person.email)
    set_up_second_factor(http)
    membership = person.memberships.get(organisation=world.own)
    mfa.OPSTAP_MFA_REQUIRED = False  # the admin's own second factor is not under test here
    response = login(world["org_admin"]).post(
        reverse("member_second_factor_reset", args=[membership.pk])
    )
    mfa.OPSTAP_MFA_REQUIRED = True
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(action="member.second_factor_reset").count() == 1
    fresh = HttpClient()
    sign_in(fresh, person.email)
    assert fresh.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_setup"))


# --- sessions -------------------------------------------------------------------------------


def test_an_idle_session_ends_on_the_server(person, settings):
    settings.OPSTAP_IDLE_MINUTES = 30
    http = HttpClient()
    sign_in(http, person.email)
    assert http.get(reverse("dashboard")).status_code == 200
    session = http.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = http.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert http.get(reverse("dashboard")).status_code == 302
    page = HttpClient()
    sign_in(page, person.email)
    assert (
        'name="opstap-idle-seconds" content="1800"'
        in page.get(reverse("dashboard")).content.decode()
    )


def test_a_changed_password_signs_out_every_other_session(person):
    here, elsewhere = HttpClient(), HttpClient()
    sign_in(here, person.email)
    sign_in(elsewhere, person.email)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another good phrase 77",
            "new_password2": "another good phrase 77",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("dashboard")).status_code == 200
    assert elsewhere.get(reverse("dashboard")).status_code == 302


def test_sensitive_pages_ask_for_the_password_again_after_a_while(world, person):
    from opstap.clients.tests.factories import ClientFactory

    client = ClientFactory(organisation=world.own)
    http = HttpClient()
    sign_in(http, person.email)
    url = reverse("clients:national_number", args=[client.pk])
    assert http.get(url).status_code == 200
    session = http.session
    session[AUTHENTICATED_AT] = int(time.time()) - 11 * 60
    session.save()
    response = http.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauthenticate"))
    wrong = http.post(response["Location"], {"password": "wrong"})
    assert "This password is not right" in wrong.content.decode()
    back = http.post(response["Location"], {"password": PASSWORD, "next": url})
    assert back["Location"] == url
    assert http.get(url).status_code == 200
    assert http.get(reverse("clients:edit", args=[client.pk])).status_code == 200
