"""CSRF: every URL, POSTed to by a signed-in member (or a visitor, on the sign-in pages) with
the checks on and no valid token, answers 403 and changes nothing.

Three forged requests per URL: no token and no cookie (a cross-site form), the site's cookie
but no token (what a browser sends along), and a made-up token in the header. The same POST
with the checks off tells which URLs really take a POST (anything but 405): those are counted.
"""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from opstap.core.roles import Role
from opstap.core.tests.attack.world import (
    COUNTED,
    EVERYONE,
    OUTSIDE_ORGANISATIONS,
    changed,
    csrf_login,
    fresh_login,
    patterns,
    report,
    snapshot,
    url,
)

FORM = {"text": "forged", "confirm": "on", "email": "adviser@own.example"}
TAKES_POST: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    report(request, f"CSRF: {len(TAKES_POST)} URLs take a POST, each refused without a token")


@pytest.mark.parametrize("pattern", patterns(), ids=lambda p: p.name)
def test_a_post_without_a_valid_token_is_refused(attack_world, pattern):
    admin = attack_world.own.users[Role.ORG_ADMIN]
    visitor = pattern.name in OUTSIDE_ORGANISATIONS and pattern.name != "logout"
    target = url(pattern, {"*": attack_world.own})
    http = HttpClient(enforce_csrf_checks=True) if visitor else csrf_login(admin)
    before = snapshot()

    assert http.post(target, FORM).status_code == 403
    http.get("/login/" if visitor else "/")
    assert "csrftoken" in http.cookies
    assert http.post(target, FORM).status_code == 403
    assert http.post(target, FORM, headers={"X-CSRFToken": "x" * 32}).status_code == 403
    assert not changed(before, snapshot())

    trusting = HttpClient() if visitor else fresh_login(admin)
    if trusting.post(target, FORM).status_code != 405:
        TAKES_POST.add(pattern.name)


@pytest.mark.parametrize("pattern", patterns(), ids=lambda p: p.name)
def test_a_get_changes_nothing(attack_world, pattern):
    """A link or an <img src> on another site makes the browser GET with the member's cookie,
    and no CSRF check stops a GET: so no GET may change data (the logs may grow)."""
    admin = attack_world.own.users[EVERYONE]
    target = url(pattern, {"*": attack_world.own})
    http = HttpClient() if pattern.name in OUTSIDE_ORGANISATIONS else fresh_login(admin)
    before = snapshot()
    http.get(target)
    assert [label for label in changed(before, snapshot()) if label not in COUNTED] == []
