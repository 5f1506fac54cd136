"""Open redirects: no URL sends the browser off-site, whatever `next` says.

Every URL is asked with `?next=` an outside address (GET) and posted with its form and the
same `next`, by a member who signed in just now and by one whose sign-in is old (the
sensitive pages then send them to confirm their password first). Every Location and
HX-Redirect must stay on this site. The sign-in and the password confirmation are then
completed with such a `next`.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from opstap.core.signin import AUTHENTICATED_AT
from opstap.core.tests.attack.crawl import crawl
from opstap.core.tests.attack.world import EVERYONE, fresh_login, patterns, url

EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
]
PASSWORD = "correct horse battery staple"
_CRAWLS: dict[int, object] = {}


def _local(response) -> list[str]:
    targets = [response.get("Location"), response.get("HX-Redirect")]
    return [t for t in targets if t and not url_has_allowed_host_and_scheme(t, {"testserver"})]


def _old_sign_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    session = http.session
    session[AUTHENTICATED_AT] = int(time.time()) - 3600
    session.save()
    return http


@pytest.mark.parametrize(
    ("pattern", "evil"),
    # Each address on a fifth of the URLs (all of them on the sign-in pages below): fast.
    [(p, EVIL[i % len(EVIL)]) for i, p in enumerate(patterns())],
    ids=lambda v: getattr(v, "name", None),
)
def test_next_never_leads_off_site(attack_world, pattern, evil):
    user = attack_world.own.users[EVERYONE]
    if id(attack_world) not in _CRAWLS:
        _CRAWLS[id(attack_world)] = crawl(fresh_login(user), attack_world.own)
    form = _CRAWLS[id(attack_world)].post_forms.get(pattern.name)
    path = url(pattern, {"*": attack_world.own})
    off_site = []
    for http in (fresh_login(user), _old_sign_in(user)):
        for response in (
            http.get(path, {"next": evil}),
            http.post(path, {**(form.defaults if form else {}), "next": evil}),
            http.post(path, {"next": evil}, headers={"Referer": evil}),
        ):
            off_site += _local(response)
    assert not off_site, f"{path}: {off_site}"


@pytest.mark.parametrize("evil", EVIL)
def test_signing_in_and_confirming_stay_on_site(attack_world, evil):
    user = attack_world.own.users["adviser"]
    login = HttpClient().post(
        f"{reverse('login')}?next={evil}",
        {"username": user.email, "password": PASSWORD, "next": evil},
    )
    assert login.status_code == 302
    assert not _local(login)
    confirm = _old_sign_in(user).post(
        f"{reverse('reauthenticate')}?next={evil}", {"password": PASSWORD, "next": evil}
    )
    assert confirm.status_code == 302
    assert not _local(confirm)


@pytest.mark.parametrize("door", ["password", "second factor"])
def test_the_sign_in_doors_return_to_the_whole_address(attack_world, settings, door):
    """The page that asked is the page you come back to, its query string whole: one `next`
    that a crafted address cannot split or add to (the password confirmation of the sensitive
    pages, and the second factor)."""
    client = attack_world.own.objects["client"]
    asked = reverse("clients:national_number", kwargs={"pk": client.pk}) + "?a=1&next=//evil"
    adviser = attack_world.own.users["adviser"]
    if door == "second factor":
        settings.OPSTAP_MFA_REQUIRED = True
        http = fresh_login(adviser)
    else:
        http = _old_sign_in(adviser)
    response = http.get(asked)
    assert response.status_code == 302
    query = QueryDict(urlsplit(response["Location"]).query)
    assert query.getlist("next") == [asked]
