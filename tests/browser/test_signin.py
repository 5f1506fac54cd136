"""Signing in as a person meets it: the second factor set up with an authenticator app, the
next sign-in asking for its code, and the lockout after repeated wrong passwords."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def fill_login(page: Page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def code_from(secret: str) -> str:
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def test_an_adviser_sets_up_the_second_factor_and_uses_it(page: Page, world, settings) -> None:
    settings.OPSTAP_MFA_REQUIRED = True
    adviser = world["adviser"]
    fill_login(page, adviser.email.upper(), PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up the second step of signing in"
    )
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    assert_accessible(page, "second factor set-up")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#id_code_error")).to_contain_text("This code is not right")
    # django-otp lets the next try wait a second after a wrong code (guessing slows down).
    page.wait_for_timeout(1100)
    page.get_by_label("Code").fill(code_from(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them, continue").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Welcome"))).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    fill_login(page, adviser.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step of signing in")
    assert_accessible(page, "second factor")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Welcome"))).to_be_visible()


def test_repeated_wrong_passwords_lock_the_account(page: Page, world) -> None:
    email = world["loan_officer"].email
    for _ in range(4):
        fill_login(page, email, "not the password")
        expect(page.get_by_role("alert")).to_be_visible()
    fill_login(page, email, "not the password")
    expect(page.get_by_test_id("locked-out")).to_contain_text("Too many failed attempts")
    fill_login(page, email, PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    assert_accessible(page, "locked out")
