"""Every page of the referrals app × every role × the sending, receiving and a third
organisation: the status it answers, and that a refused request changes nothing.

The objects: the sender `own` has a client referred (with consent) to `other`, a partner on
Opstap, and the same client referred to an external partner (VDAB). Each persona holds ONE
role, in the sender (columns of SENDER) or in the receiver (columns of RECEIVER). Rules:

* staff who see every file (VIEW_ALL_CLIENTS) read; volunteers and auditors get 404
  everywhere (the app does not exist for them);
* EDIT_CLIENTS records referrals and moves statuses; the others get 403 on writes;
* a referral to a partner on Opstap is moved by the partner (the sender gets 403), a referral
  to an external partner by the sender (the partner does not see it at all: 404);
* the shared file is for the receiver only; the sender opens its own client page (404);
* a third organisation's admin gets 404 on every object; an anonymous visitor goes to login.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opstap.core.models import AuditEvent, FileAccess
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member
from opstap.referrals.models import Referral, ReferralEvent

from .helpers import days_ago, plain_client, refer, secret_client, share_consent

# fmt: off
ROLES = [Role.ORG_ADMIN, Role.ADVISER, Role.VOLUNTEER, Role.LOAN_OFFICER, Role.COMMITTEE,
         Role.BENEFITS_OFFICER, Role.JOB_COACH, Role.PROGRAMME_MANAGER, Role.AUDITOR]

# 200 shown · 302 done, redirected · 403 may see, may not change · 404 not there for them
#  page                            method  admin adviser volunt loan commit benef jobco progm audit
SENDER = [
    ("list",                        "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
    ("create_pick",                 "GET",  200,  200,   404,   403, 403,   200,  200,  403,  404),
    ("create",                      "GET",  200,  200,   404,   403, 403,   200,  200,  403,  404),
    ("create",                      "POST", 302,  302,   404,   403, 403,   302,  302,  403,  404),
    ("detail",                      "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
    ("detail_external",             "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
    ("transition",                  "POST", 403,  403,   404,   403, 403,   403,  403,  403,  404),
    ("transition_external",         "POST", 302,  302,   404,   403, 403,   302,  302,  403,  404),
    ("shared_file",                 "GET",  404,  404,   404,   404, 404,   404,  404,  404,  404),
]
RECEIVER = [
    ("list",                        "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
    ("create_pick",                 "GET",  200,  200,   404,   403, 403,   200,  200,  403,  404),
    # The sender's client is not theirs to refer.
    ("create",                      "GET",  404,  404,   404,   403, 403,   404,  404,  403,  404),
    ("create",                      "POST", 404,  404,   404,   403, 403,   404,  404,  403,  404),
    ("detail",                      "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
    ("detail_external",             "GET",  404,  404,   404,   404, 404,   404,  404,  404,  404),
    ("transition",                  "POST", 302,  302,   404,   403, 403,   302,  302,  403,  404),
    ("transition_external",         "POST", 404,  404,   404,   404, 404,   404,  404,  404,  404),
    ("shared_file",                 "GET",  200,  200,   404,   200, 200,   200,  200,  200,  404),
]
# A third organisation's admin: its own (empty) list, nothing of the others.
THIRD = {
    ("list", "GET"): 200, ("create_pick", "GET"): 200, ("create", "GET"): 404,
    ("create", "POST"): 404, ("detail", "GET"): 404, ("detail_external", "GET"): 404,
    ("transition", "POST"): 404, ("transition_external", "POST"): 404,
    ("shared_file", "GET"): 404,
}
# fmt: on


@dataclass
class Data:
    sender: dict[str, Any]
    receiver: dict[str, Any]
    third_admin: Any
    client: Any
    to_partner: Referral
    to_external: Referral


@pytest.fixture
def data(world) -> Data:
    receiver = {role: member(world.other, role) for role in Role.values}
    third = OrganisationFactory(slug="third", name="OCMW Gent", kind="welfare_office")
    client = secret_client(world["adviser"], world.own)
    plain_client(world["adviser"], world.own, last_name="Peeters")
    share_consent(world["adviser"], client, world.other)
    return Data(
        sender=world.users,
        receiver=receiver,
        third_admin=member(third, Role.ORG_ADMIN),
        client=client,
        to_partner=refer(world["adviser"], client, partner=world.other, sent_on=days_ago(10)),
        to_external=refer(world["adviser"], client, partner_name="VDAB", sent_on=days_ago(10)),
    )


@dataclass(frozen=True)
class Page:
    url: Callable[[Data], str]
    data: Callable[[Data], dict[str, Any]] = lambda d: {}
    done: Callable[[Data], bool] = lambda d: True


def _move(referral_of: Callable[[Data], Referral]) -> Page:
    return Page(
        url=lambda d: reverse("referrals:transition", args=[referral_of(d).pk]),
        data=lambda d: {"to": "accepted", "accepted-on": days_ago(1).isoformat()},
        done=lambda d: Referral.objects.get(pk=referral_of(d).pk).status == "accepted",
    )


PAGES: dict[tuple[str, str], Page] = {
    ("list", "GET"): Page(url=lambda d: reverse("referrals:list")),
    ("create_pick", "GET"): Page(url=lambda d: reverse("referrals:create") + "?q=Haddou"),
    ("create", "GET"): Page(url=lambda d: reverse("referrals:create") + f"?client={d.client.pk}"),
    ("create", "POST"): Page(
        url=lambda d: reverse("referrals:create") + f"?client={d.client.pk}",
        data=lambda d: {
            "direction": "outbound",
            "partner_name": "Actiris",
            "reason": "Taalcursus",
            "sent_on": days_ago(1).isoformat(),
        },
        done=lambda d: Referral.objects.filter(partner_name="Actiris").exists(),
    ),
    ("detail", "GET"): Page(url=lambda d: reverse("referrals:detail", args=[d.to_partner.pk])),
    ("detail_external", "GET"): Page(
        url=lambda d: reverse("referrals:detail", args=[d.to_external.pk])
    ),
    ("transition", "POST"): _move(lambda d: d.to_partner),
    ("transition_external", "POST"): _move(lambda d: d.to_external),
    ("shared_file", "GET"): Page(
        url=lambda d: reverse("referrals:shared_file", args=[d.to_partner.pk])
    ),
}


# The GET pages that show a client's data: answered 200, each leaves FileAccess rows (the
# access doors log them, core/access_log.py); every other request leaves none.
SHOWS_CLIENT_DATA = {"create", "detail", "detail_external", "shared_file"}


def snapshot() -> dict[str, Any]:
    return {
        "referrals": sorted(
            Referral.objects.values_list(
                "pk", "status", "answered_on", "completed_on", "outcome", "updated_at"
            )
        ),
        "events": ReferralEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "accesses": FileAccess.objects.count(),
    }


def _cases() -> list[Any]:
    cases = []
    for side, table in (("sender", SENDER), ("receiver", RECEIVER)):
        for row in table:
            for role, expected in zip(ROLES, row[2:], strict=True):
                cases.append(
                    pytest.param(
                        row[0], row[1], side, role, expected, id=f"{row[0]}|{row[1]}|{side}|{role}"
                    )
                )
    for (name, method), expected in THIRD.items():
        cases.append(pytest.param(name, method, "third", None, expected, id=f"{name}|{method}|3"))
        cases.append(pytest.param(name, method, "anonymous", None, 302, id=f"{name}|{method}|-"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "side", "role", "expected"), _cases())
def test_permission_matrix(name, method, side, role, expected, data, login):
    page = PAGES[(name, method)]
    if side == "anonymous":
        http = HttpClient()
    elif side == "third":
        http = login(data.third_admin)
    else:
        http = login((data.sender if side == "sender" else data.receiver)[role])
    url = page.url(data)

    before = snapshot()
    response = http.get(url) if method == "GET" else http.post(url, page.data(data))

    assert response.status_code == expected, f"{side} {role} {method} {url}"
    if side == "anonymous":
        assert response["Location"].startswith("/login/?next=")
    refused = side == "anonymous" or expected in (403, 404)
    after = snapshot()
    if refused or method == "GET":
        if not refused and name in SHOWS_CLIENT_DATA:
            assert after.pop("accesses") == before.pop("accesses") + 1, name
        assert after == before
    else:
        assert page.done(data), f"{side} {role} {method} {url} answered {expected}, wrote nothing"


def test_matrix_covers_every_url_of_the_app():
    from opstap.referrals import urls

    names = {p.name for p in urls.urlpatterns}
    covered = {name.removesuffix("_external").removesuffix("_pick") for name, _ in PAGES}
    assert names == covered
    assert {(r[0], r[1]) for r in SENDER} == set(PAGES) == {(r[0], r[1]) for r in RECEIVER}
    assert set(THIRD) == set(PAGES)
    assert set(ROLES) == set(Role.values)
