"""Playwright fixtures for the browser tests: Debian's Chromium against pytest-django's live_server.

Run them with `pytest tests/browser` (add `-n 2 --dist loadgroup` for xdist: every browser
test sits in the xdist group "browser", so only one Chromium runs at a time).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

# Playwright's sync API runs an asyncio event loop in the main thread. Django sees that
# running loop and refuses ORM calls from the test code (fixtures, factories, assertions on
# the database) with SynchronousOnlyOperation, although those calls are plain synchronous
# code that never runs inside the loop. Allowing "async-unsafe" calls is safe here: the
# test thread and the live server's thread each use their own connection, as in any
# live-server test.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
log = logging.getLogger(__name__)
PASSWORD = "correct horse battery staple"  # set by opstap.core.tests.factories.UserFactory

# Fail fast: a missing element should not cost 30 s of the ~60 s budget.
ACTION_TIMEOUT_MS = 10_000
expect.set_options(timeout=5_000)

# axe-core impacts that fail a test; "moderate" and "minor" ones are reported as warnings.
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test item, so `page` can screenshot a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` honour xdist_group again under pytest 9.2.

    pytest-xdist 3.8 sends a group to one worker by appending "@<group>" to the test's
    `_nodeid`; pytest 9.2 keeps node ids in a structured `_id` instead, so the suffix is
    lost and grouped tests are spread over the workers (pytest-dev/pytest-xdist#1386).
    On a loadgroup worker, add the suffix where xdist could not. A no-op where xdist
    already did it (older pytest, or a fixed xdist).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9.2: xdist's own suffix works
        return
    for item in items:
        groups = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        if groups and "@" not in item.nodeid and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Install it with `make browser` (apt-get install chromium); "
            "Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Runs in every page before its own scripts: each Content-Security-Policy violation the
# browser sees (a blocked inline script or style, eval, a foreign source) is written to the
# console with this marker, which the context fixture collects and fails the test on.
CSP_MARKER = "opstap-csp-violation"
REPORT_CSP_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", function (event) {{
  console.error("{CSP_MARKER}: " + JSON.stringify({{
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    page: event.documentURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample
  }}));
}});
"""
# Chromium's own console messages about the policy headers: a CSP violation (also when the
# event above could not be seen, e.g. in a frame) and a Permissions-Policy it cannot parse.
HEADER_PROBLEMS = re.compile(
    r"Content Security Policy|Content-Security-Policy|Permissions-Policy|Permissions policy"
)


def watch_security_policy(context: BrowserContext) -> list[str]:
    """From now on, every page of `context` reports what the security headers blocked or
    could not parse, into the returned list."""
    problems: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith(CSP_MARKER) or HEADER_PROBLEMS.search(text):
            where = message.location.get("url") or (message.page.url if message.page else "")
            problems.append(f"{text} (at {where})")

    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("console", collect)
    return problems


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies carried over), English, desktop size.

    Every page of the context reports the CSP violations it sees; the test fails on any, so
    the whole browser suite checks every page and htmx swap it visits against the policy.
    """
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    problems = watch_security_policy(context)
    yield context
    context.close()
    assert not problems, "The browser reported security policy problems:\n" + "\n".join(problems)


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        path = RESULTS_DIR / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            log.warning("Screenshot of the failed test: %s (at %s)", path, page.url)
        except Exception:  # a screenshot must never hide the real failure
            log.exception("No screenshot of the failed test")
    errors = page.js_errors  # type: ignore[attr-defined]
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


_axe = Axe()


class AccessibilityWarning(UserWarning):
    """An axe-core violation of moderate or minor impact: reported, not failing."""


def _describe(violation: dict) -> str:
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']}",
        f"  {violation['helpUrl']}",
    ]
    for node in violation["nodes"]:
        lines.append(f"  target: {' '.join(map(str, node['target']))}")
        summary = (node.get("failureSummary") or "").replace("\n", " / ")
        if summary:
            lines.append(f"    {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    Each violation is described with its rule id, impact, help text and the CSS selectors
    of the offending elements, so it can be fixed: the serious and critical ones in the
    failure message, the moderate and minor ones as an AccessibilityWarning (in pytest's
    warnings summary).
    """
    violations = _axe.run(page).response["violations"]
    label = where or page.url
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    for violation in violations:
        if violation not in blocking:
            warnings.warn(
                f"axe-core on {label}:\n{_describe(violation)}", AccessibilityWarning, stacklevel=2
            )
    assert not blocking, (
        f"axe-core found {len(blocking)} serious/critical violation(s) on {label}:\n"
        + "\n".join(_describe(v) for v in blocking)
    )


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would; checks both pages with axe."""
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    assert_accessible(page, "login page")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1, name=re.compile("Welcome"))).to_be_visible()
    assert_accessible(page, "dashboard")
