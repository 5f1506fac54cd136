"""IDOR through the query string: lists, reports and exports filtered by the OTHER
organisation's client, programme, product, member … (`?programme=<theirs>`).

Every text of the other organisation carries the word `THEIRS`; no answer of ours may show
it, in a page, a CSV or inside an xlsx.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from opstap.core.roles import Role
from opstap.core.tests.attack.crawl import crawl
from opstap.core.tests.attack.world import (
    EVERYONE,
    OUTSIDE_ORGANISATIONS,
    THEIRS,
    fresh_login,
    patterns,
    report,
    url,
)

# Query parameter → the kinds of object it names.
PARAMETERS = {
    "client": ["client"],
    "programme": ["programme"],
    "product": ["product"],
    "activity": ["activity", "outreach"],
    "series": ["series"],
    "plan": ["plan"],
    "loan": ["loan"],
    "application": ["application"],
    "referral": ["referral"],
    "trajectory": ["trajectory"],
    "route_type": ["route_type"],
}
USERS = {"adviser", "coach", "volunteer", "user", "actor", "facilitator", "owner", "officer"}
FIGURES = {"pages": 0, "requests": 0}
_CRAWLS: dict[int, object] = {}


def _queries(world, names: set[str]) -> list[dict[str, str]]:
    other = world.other
    queries = [{"organisation": str(other.org.pk)}]
    # The page's own filters, and the two that any page might read without offering them.
    for name in sorted(names | {"client", "programme"}):
        kinds = PARAMETERS.get(name, [])
        ids = {other.objects[k].pk for k in kinds}
        if name in USERS:
            ids |= {other.users[r].pk for r in (Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER)}
        queries += [{name: str(pk)} for pk in sorted(ids)]
    return queries


def _shown(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
    return content.decode(errors="replace")


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    report(
        request, "Query IDOR: {pages} pages × their filters, {requests} requests".format(**FIGURES)
    )


@pytest.mark.parametrize(
    "pattern", [p for p in patterns() if p.name not in OUTSIDE_ORGANISATIONS], ids=lambda p: p.name
)
def test_a_filter_on_another_organisations_object_shows_nothing_of_theirs(attack_world, pattern):
    user = attack_world.own.users[EVERYONE]
    http = fresh_login(user)
    if id(attack_world) not in _CRAWLS:
        _CRAWLS[id(attack_world)] = crawl(http, attack_world.own)
    found = _CRAWLS[id(attack_world)]
    if pattern.route.endswith(".pdf"):
        pytest.skip("a PDF's text is compressed; its object comes from the path (test_idor.py)")
    if found.pages.get(pattern.name, (200,))[0] != 200:
        pytest.skip("not a page this member reads")
    form = found.get_forms.get(pattern.name)
    names = {n for n in (form.defaults if form else ()) if n in PARAMETERS or n in USERS}
    path = url(pattern, {"*": attack_world.own})
    FIGURES["pages"] += 1
    leaks = []
    for query in _queries(attack_world, names):
        FIGURES["requests"] += 1
        response = http.get(path, query)
        assert response.status_code < 500, f"{path} {query}"
        if THEIRS in _shown(response):
            leaks.append(query)
    assert not leaks, f"{path} shows the other organisation's data for {leaks}"


def test_their_own_pages_show_the_word(attack_world):
    """The positive control: the word is in the other organisation's data."""
    http = fresh_login(attack_world.other.users[Role.ORG_ADMIN])
    assert THEIRS in _shown(http.get(reverse("clients:list")))
    assert THEIRS in _shown(http.get(reverse("lending:export")))
