"""Every id a URL or a query parameter carries is checked against the id column's range: a
number too large for it answers 404 or a form error, never an overflow (HTTP 500)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from opstap.core.converters import MAX_ID

HUGE = "99999999999999999999"
JUST_TOO_LARGE = str(MAX_ID + 1)
# Every query parameter a page of Opstap reads as an id.
ID_PARAMETERS = (
    "client",
    "partner",
    "plan",
    "series",
    "officer",
    "product",
    "programme",
    "adviser",
    "actor",
    "member",
    "coach",
    "route",
    "report",
    "trajectory",
    "activity",
    "facilitator",
    "organisation",
    "volunteer",
)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def plain_pages() -> list[str]:
    """The pages without a path argument (admin and i18n apart): lists, searches, exports."""
    pages = []
    for route, _ in _walk(get_resolver().url_patterns):
        if "<" in route or route.startswith(("admin/", "i18n/")) or "(?P" in route:
            continue
        pages.append("/" + route.lstrip("^").rstrip("$"))
    return sorted(set(pages))


@pytest.mark.django_db
@pytest.mark.parametrize("number", [HUGE, JUST_TOO_LARGE])
def test_huge_ids_in_query_parameters_never_break_a_page(world, login, number):
    http = login(world["org_admin"])
    query = "&".join(f"{name}={number}" for name in ID_PARAMETERS)
    failures = []
    for page in plain_pages():
        try:
            status = http.get(f"{page}?{query}").status_code
        except Exception as exc:  # the test client re-raises what would be an HTTP 500
            status = type(exc).__name__
        if status not in (200, 204, 302, 400, 403, 404, 405):
            failures.append((page, status))
    assert not failures


@pytest.mark.django_db
@pytest.mark.parametrize("number", [HUGE, JUST_TOO_LARGE, "0"])
def test_huge_ids_in_paths_answer_404(world, login, number):
    http = login(world["org_admin"])
    failures = []
    for route, _ in _walk(get_resolver().url_patterns):
        if "<id:" not in route:
            continue
        path = "/" + route
        while "<" in path:
            start = path.index("<")
            end = path.index(">", start)
            kind = path[start + 1 : end].split(":")[0]
            path = path[:start] + (number if kind == "id" else "x") + path[end + 1 :]
        try:
            status = http.get(path).status_code
        except Exception as exc:
            status = type(exc).__name__
        if status not in (404, 405):
            failures.append((path, status))
    assert not failures
