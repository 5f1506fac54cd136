"""Fuzzing: hypothesis sends every URL random input, and no answer is a server error.

POST: the fields of the forms that post to the URL (found by reading every page of the world),
filled as the page fills them, then some of them, and some made-up keys, replaced with hostile
values: huge and negative numbers, unicode, empty and very long strings, NUL bytes, impossible
dates, lists; files get random bytes; sometimes the body is JSON instead of a form. GET: random
query parameters, the GET forms' own names among them. Each example runs in a savepoint that
is rolled back, by the member holding every role (who gets furthest into every view).

NUL bytes: SQLite stores them, PostgreSQL refuses them with an error (a 500), so after an
example that sent one, no text column may hold one.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

POST_EXAMPLES = 10
GET_EXAMPLES = 4
FIGURES = {"post endpoints": 0, "get endpoints": 0, "post cases": 0, "get cases": 0, "edges": 0}
STATUSES: Counter[int] = Counter()

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-99999999999999999999",
    "9" * 40,
    "1e309",
    "NaN",
    "-Infinity",
    "1,5",
    "0.000000001",
    "2147483648",
    "9223372036854775808",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "31/12/9999",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "é" * 3000,
    "😀\u202e\ufeff",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n{0}",
    "{{7*7}}",
    "on",
    "true",
    "null",
    "[]",
    '{"a": 1}',
    "../../etc/passwd",
    "\r\n",
]
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
scalar = st.one_of(st.sampled_from(NASTY), numbers, st.text(max_size=50))
value = st.one_of(scalar, scalar, st.lists(scalar, min_size=2, max_size=3))
extra_keys = st.sampled_from(["id", "pk", "organisation", "client", "status", "next", "page"])
json_value = st.recursive(
    st.none() | st.booleans() | numbers | st.sampled_from(NASTY),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _text_columns():
    columns = []
    for model in apps.get_models():
        if not model.__module__.startswith("opstap") or model._meta.proxy:
            continue
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if names:
            columns.append((model, names))
    return columns


def _nul_stored() -> list[str]:
    # In Python: SQLite's LIKE stops at a NUL, so `__contains="\x00"` finds nothing. JSON
    # counts too: PostgreSQL's jsonb refuses \u0000 as well.
    found = set()
    for model, names in _text_columns():
        for row in model._base_manager.values_list(*names):
            found |= {
                f"{model._meta.label}.{name}"
                for name, v in zip(names, row, strict=True)
                if v is not None and _has_nul(v)
            }
    return sorted(found)


def _has_nul(data) -> bool:
    return "\\u0000" in json.dumps(data, default=str)


_CRAWLS: dict[int, object] = {}


def _crawl(world):
    # One reading of every page per world (the module's), shared by all cases.
    if id(world) not in _CRAWLS:
        _CRAWLS[id(world)] = crawl(fresh_login(world.own.users[EVERYONE]), world.own)
    return _CRAWLS[id(world)]


def _request(world, method: str, path: str, *, visitor: bool = False, **kwargs):
    """One request by the member with every role (or a visitor, on the sign-in pages), rolled
    back; a 5xx or an exception fails with the URL and the input."""
    user = world.own.users[EVERYONE]
    try:
        with transaction.atomic():
            http = HttpClient() if visitor else fresh_login(user)
            response = getattr(http, method)(path, **kwargs)
            nul = _nul_stored() if _has_nul(kwargs.get("data")) else []
            transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 - any exception is a 500 to report
        raise AssertionError(f"{method.upper()} {path} {kwargs!r} raised {error!r}") from error
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, f"{method.upper()} {path} {kwargs!r}"
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert "<script>alert(1)" not in html, f"{method.upper()} {path} reflects {kwargs!r}"
        assert THEIRS not in html, f"{method.upper()} {path} shows the other organisation's data"
    assert not nul, f"{method.upper()} {path} stored a NUL byte in {nul}: {kwargs!r}"
    return response


FUZZED = [p for p in patterns() if p.name not in ("logout",)]


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@pytest.fixture(scope="module", autouse=True)
def _figures(request):
    yield
    report(
        request,
        "Fuzzing: {post endpoints} POST endpoints × {post cases} cases, "
        "{get endpoints} GET endpoints × {get cases} cases, {edges} edge cases".format(**FIGURES)
        + f"; answers {dict(sorted(STATUSES.items()))}",
    )


@pytest.mark.parametrize("pattern", FUZZED, ids=lambda p: p.name)
def test_random_form_data_is_never_a_server_error(attack_world, pattern):
    path = url(pattern, {"*": attack_world.own})
    found = _crawl(attack_world)
    form = found.post_forms.get(pattern.name)
    visitor = pattern.name in OUTSIDE_ORGANISATIONS
    if form is None and _request(attack_world, "post", path, visitor=visitor).status_code == 405:
        pytest.skip("takes no POST")
    defaults = form.defaults if form else {}
    files = sorted(form.files) if form else []
    names = sorted(defaults) or ["text"]
    FIGURES["post endpoints"] += 1

    @fuzz_settings(POST_EXAMPLES)
    @given(
        changes=st.dictionaries(st.sampled_from(names) | extra_keys, value, max_size=6),
        uploads=st.fixed_dictionaries({name: st.binary(max_size=2000) for name in files}),
        as_json=st.sampled_from([False, False, False, True]),
        htmx=st.booleans(),
        body=json_value,
    )
    def fuzz(changes, uploads, as_json, htmx, body):
        FIGURES["post cases"] += 1
        if as_json:
            _request(
                attack_world,
                "post",
                path,
                visitor=visitor,
                data=json.dumps(body),
                content_type="application/json",
            )
            return
        data = {**defaults, **changes}
        for name, content in uploads.items():
            data[name] = SimpleUploadedFile("fuzz.xlsx", content)
        headers = {"HX-Request": "true"} if htmx else {}
        _request(attack_world, "post", path, visitor=visitor, data=data, headers=headers)

    fuzz()


@pytest.mark.parametrize("pattern", FUZZED, ids=lambda p: p.name)
def test_random_query_parameters_are_never_a_server_error(attack_world, pattern):
    path = url(pattern, {"*": attack_world.own})
    form = _crawl(attack_world).get_forms.get(pattern.name)
    names = sorted(form.defaults) if form else []
    keys = st.sampled_from([*names, "q", "page", "sort", "status", "from", "to", "client"])
    FIGURES["get endpoints"] += 1

    # A PDF takes a second or two to make; its query is read by the same code as its page.
    @fuzz_settings(2 if pattern.route.endswith(".pdf") else GET_EXAMPLES)
    @given(query=st.dictionaries(keys | st.text(min_size=1, max_size=8), value, max_size=5))
    def fuzz(query):
        FIGURES["get cases"] += 1
        visitor = pattern.name in OUTSIDE_ORGANISATIONS
        _request(attack_world, "get", path, visitor=visitor, data=query)

    fuzz()


def test_the_crawl_found_the_forms(attack_world):
    found = _crawl(attack_world)
    for name in ("clients:create", "clients:edit", "lending:repay", "plans:section", "login"):
        assert name in found.post_forms, name
    assert "first_name" in found.post_forms["clients:edit"].names
    assert found.post_forms["clients:document_upload"].files


NUL = "a\x00b"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|date|_on$|_at$|^(from|to|on)$")
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


def _edges(name: str, values: list[str]) -> list[str]:
    """The values worth trying in this field for certain: a NUL everywhere, the ends of the
    calendar in a date, the ends of the number line in a number."""
    edges = [NUL]
    if DATE.search(name) or any(DATE.search(v) for v in values):
        edges += ["0001-01-01", "9999-12-31"]
    if any(NUMBER.match(v) for v in values):
        edges += ["-1", "9" * 40, "1e309"]
    return edges


@pytest.mark.parametrize("pattern", FUZZED, ids=lambda p: p.name)
def test_each_field_at_its_edges_is_refused_or_handled(attack_world, pattern):
    """Every field of every form, and every GET form's parameter, one at a time at its edges:
    the deterministic half of the fuzzing (a NUL is what PostgreSQL cannot store; a date at
    the end of the calendar overflowed the access review)."""
    path = url(pattern, {"*": attack_world.own})
    found = _crawl(attack_world)
    post, get = found.post_forms.get(pattern.name), found.get_forms.get(pattern.name)
    visitor = pattern.name in OUTSIDE_ORGANISATIONS
    for name, values in sorted(post.defaults.items()) if post else []:
        for edge in _edges(name, values):
            FIGURES["edges"] += 1
            data = {**post.defaults, name: edge}
            _request(attack_world, "post", path, visitor=visitor, data=data)
    params = {"q": [], **(get.defaults if get else {})}
    for name, values in sorted(params.items()):
        for edge in _edges(name, values):
            FIGURES["edges"] += 1
            _request(attack_world, "get", path, visitor=visitor, data={name: edge})
