"""IDOR through the form body: every form that names an object by id (a client, a product, a
coach, a programme …), posted with the OTHER organisation's id in that field.

The form must refuse it, or ignore it: the other organisation's rows stay as they were, and
no row of ours ends up pointing into their organisation (`cross_links`).
"""

from __future__ import annotations

import pytest

from opstap.core.tests.attack.crawl import crawl
from opstap.core.tests.attack.world import (
    EVERYONE,
    OUTSIDE_ORGANISATIONS,
    changed,
    cross_links,
    fresh_login,
    patterns,
    report,
    snapshot,
    url,
)

FIGURES = {"forms": 0, "fields": 0, "requests": 0}
_CRAWLS: dict[int, object] = {}


def _theirs(world, value: str) -> set[str]:
    """The other organisation's ids for whatever of ours has this id."""
    own, other = world.own, world.other
    found = {str(other.objects[n].pk) for n, o in own.objects.items() if str(o.pk) == value}
    found |= {str(other.users[r].pk) for r, u in own.users.items() if str(u.pk) == value}
    return found - {value}


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    report(
        request,
        "Body IDOR: {forms} forms, {fields} id fields, {requests} requests "
        "with the other organisation's ids".format(**FIGURES),
    )


@pytest.mark.parametrize(
    "pattern", [p for p in patterns() if p.name not in OUTSIDE_ORGANISATIONS], ids=lambda p: p.name
)
def test_a_form_given_another_organisations_id_does_not_reach_it(attack_world, pattern):
    user = attack_world.own.users[EVERYONE]
    if id(attack_world) not in _CRAWLS:
        _CRAWLS[id(attack_world)] = crawl(fresh_login(user), attack_world.own)
    form = _CRAWLS[id(attack_world)].post_forms.get(pattern.name)
    fields = {
        name: theirs
        for name, values in (form.defaults.items() if form else ())
        for theirs in [set().union(*(_theirs(attack_world, v) for v in values if v.isdigit()))]
        if theirs
    }
    if form is None:
        pytest.skip("no form posts here")
    # Mass assignment: an organisation the form does not offer, as if the model took it.
    extra = {
        "organisation": attack_world.other.org,
        "client": attack_world.other.objects["client"],
    }
    for name, theirs in extra.items():
        if name not in form.defaults:
            fields[name] = {str(theirs.pk)}
    FIGURES["forms"] += 1
    path = url(pattern, {"*": attack_world.own})
    before = snapshot(attack_world.other.org)
    http = fresh_login(user)
    for name, theirs in sorted(fields.items()):
        FIGURES["fields"] += 1
        for value in sorted(theirs):
            FIGURES["requests"] += 1
            status = http.post(path, {**form.defaults, name: value}).status_code
            assert status < 500, f"POST {path} {name}={value}"
    # Once for all the form's fields (the check reads every table): the rows name the field.
    assert cross_links() == [], f"POST {path}"
    assert not changed(before, snapshot(attack_world.other.org))
