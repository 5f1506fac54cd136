"""IDOR: every id-bearing URL filled with the OTHER organisation's objects, asked for (GET and
POST) by every role of this one.

The answer must be 404, or 403 where the role may not take the action at all (405 where the
method is not one of the page's); and it must be
the same answer as for an id that does not exist, so the status does not even tell that the
object is there. Nothing in the database changes. Besides "every id from the other side",
URLs with two ids are also tried with our own parent and their child
(/clients/<ours>/documents/<theirs>/), the classic hole of a view that checks only the parent.
"""

from __future__ import annotations

import pytest

from opstap.core.tests.attack.world import (
    OUTSIDE_ORGANISATIONS,
    ROLES,
    changed,
    fresh_login,
    patterns,
    report,
    snapshot,
    url,
)

# What a POST carries: the names our forms use, so a view that forgot its access check gets
# far enough to write.
POST_DATA = {
    "text": "x",
    "reason": "x",
    "confirm": "on",
    "confirmed": "on",
    "to": "closed",
    "amount": "10.00",
    "on": "2026-01-15",
    "vote": "approve",
    "outcome": "x",
    "title": "x",
    "name": "x",
}


def _cases():
    cases = []
    for pattern in patterns():
        if not pattern.id_kwargs or pattern.name in OUTSIDE_ORGANISATIONS:
            continue
        cases.append(pytest.param(pattern, (), id=f"{pattern.name}|theirs"))
        ids = pattern.id_kwargs
        if len(ids) > 1:
            # Our parent, their child(ren).
            cases.append(pytest.param(pattern, (ids[0],), id=f"{pattern.name}|ours+theirs"))
    return cases


CASES = _cases()
FIGURES = {"requests": 0}


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    urls = len({case.values[0].name for case in CASES})
    report(
        request,
        f"IDOR: {urls} id-bearing URLs in {len(CASES)} cases × {len(ROLES)} roles × GET and "
        f"POST, {FIGURES['requests']} requests",
    )


@pytest.mark.parametrize(("pattern", "ours"), CASES)
def test_another_organisations_object_is_not_there(attack_world, pattern, ours):
    own, other = attack_world.own, attack_world.other
    sides = {"*": other, **{kwarg: own for kwarg in ours}}
    theirs = frozenset(k for k in pattern.id_kwargs if k not in ours)
    target = url(pattern, sides)
    missing = url(pattern, sides, missing=theirs)
    before = snapshot(other.org)
    wrong = []
    for role in ROLES:
        http = fresh_login(own.users[role])
        for method in ("get", "post"):
            request = getattr(http, method)
            args = (POST_DATA,) if method == "post" else ()
            status = request(target, *args).status_code
            FIGURES["requests"] += 1
            if status == 404:
                continue
            FIGURES["requests"] += 1
            baseline = request(missing, *args).status_code
            if status not in (403, 404, 405) or status != baseline:
                wrong.append(f"{role} {method.upper()} {target}: {status} (missing id: {baseline})")
    assert not wrong, "\n".join(wrong)
    assert not changed(before, snapshot(other.org))


def test_the_matrix_covers_every_id_bearing_url():
    covered = {case.values[0].name for case in CASES}
    expected = {p.name for p in patterns() if p.id_kwargs} - OUTSIDE_ORGANISATIONS
    assert covered == expected
    assert len(covered) > 80
