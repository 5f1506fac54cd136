"""No page shows a link its reader cannot follow, nor an empty select as "---------"
(issue 9). Every role walks every page of the world and follows every link on it. A link
that answers 403 or 404 to the member who was shown it is a finding: a volunteer's
trajectory page linked to the route board it may not open."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from opstap.core.roles import Role
from opstap.core.tests.attack.world import (
    OUTSIDE_ORGANISATIONS,
    fresh_login,
    patterns,
    report,
    url,
)

LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]+)\"", re.S)
# Signing out ends the walk; files are links, but slow to make and hold no links.
NOT_FOLLOWED = re.compile(r"^/(logout|static|media)/|\.(pdf|xlsx|csv|zip)$")
FIGURES = {"pages": 0, "links": 0}


def _links(content: bytes) -> set[str]:
    found = set()
    for href in LINK.findall(content.decode()):
        target = urlsplit(html.unescape(href))
        if target.scheme or target.netloc or not target.path.startswith("/"):
            continue  # another site, a fragment or a mail address
        found.add(target.path + (f"?{target.query}" if target.query else ""))
    return found


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    report(
        request,
        f"Links: {FIGURES['pages']} pages walked as {len(Role)} roles, "
        f"{FIGURES['links']} distinct links followed, none refused",
    )


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_link_a_member_is_shown_opens_for_that_member(attack_world, role):
    http = fresh_login(attack_world.own.users[role])
    pages = [
        url(pattern, {"*": attack_world.own})
        for pattern in patterns()
        if pattern.name not in OUTSIDE_ORGANISATIONS and pattern.name != "logout"
    ]
    followed: dict[str, int] = {}
    broken = []
    for page in pages:
        if NOT_FOLLOWED.search(page):
            continue
        response = http.get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        FIGURES["pages"] += 1
        if b">---------</option>" in response.content:
            broken.append(f"{page}: a select offers Django's untranslated ---------")
        for link in sorted(_links(response.content)):
            if NOT_FOLLOWED.search(urlsplit(link).path):
                continue
            if link not in followed:
                followed[link] = http.get(link).status_code
                FIGURES["links"] += 1
            if followed[link] in (403, 404):
                broken.append(f"{page} → {link} ({followed[link]})")
    assert not broken, f"{role}:\n" + "\n".join(broken)
