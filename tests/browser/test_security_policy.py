"""The Content-Security-Policy holds in a real browser, and the suite's watch on it can fail.

Every other browser test fails on any violation (tests/browser/conftest.py); these prove that
the watch sees one, and that what the policy forbids is really blocked.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from .conftest import CSP_MARKER, watch_security_policy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

INJECT = """() => {
  document.body.insertAdjacentHTML("beforeend",
    '<p id="styled" style="color: rgb(255, 0, 0)">x</p>');
  const script = document.createElement("script");
  script.textContent = "window.inlineRan = true;";
  document.body.append(script);
  const style = document.createElement("style");
  style.textContent = "body { background: rgb(255, 0, 0); }";
  document.head.append(style);
}"""


def test_inline_script_and_style_are_blocked_and_reported(browser: Browser, live_server) -> None:
    context = browser.new_context(base_url=live_server.url)
    problems = watch_security_policy(context)
    page = context.new_page()
    page.goto("/login/")
    with page.expect_console_message(lambda message: message.text.startswith(CSP_MARKER)):
        page.evaluate(INJECT)
    page.wait_for_timeout(200)  # the other two reports arrive right after the first

    assert page.evaluate("window.inlineRan === undefined")
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    reported = "\n".join(problems)
    for directive in ("style-src-attr", "script-src-elem", "style-src-elem"):
        assert directive in reported, reported
    context.close()


def test_htmx_injects_no_indicator_style(page, live_server) -> None:
    page.goto("/login/")
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.locator("head style").count() == 0


@pytest.mark.parametrize("path", ["/admin/login/", "/password-reset/", "/no-such-page/"])
def test_pages_no_other_browser_test_opens_keep_the_policy(page, live_server, path) -> None:
    # The context fixture fails the test on any violation these pages cause.
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.locator("main, #container").count() >= 1  # the page rendered
