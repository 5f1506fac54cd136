"""The browser security headers on every kind of response, and templates the policy allows.

The browser suite (tests/browser) proves that the pages it visits cause no CSP violation;
this proves the exact headers, and that no template anywhere carries inline code or style
that the policy would block, including pages no browser test opens.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse

from opstap.core.security_headers import SecurityHeadersMiddleware, permissions_policy_header

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
EXPECTED_PERMISSIONS = {
    "accelerometer=()",
    "autoplay=()",
    "browsing-topics=()",
    "camera=()",
    "display-capture=()",
    "geolocation=()",
    "gyroscope=()",
    "hid=()",
    "magnetometer=()",
    "microphone=()",
    "midi=()",
    "payment=()",
    "screen-wake-lock=()",
    "serial=()",
    "usb=()",
    "xr-spatial-tracking=()",
}
FIXED_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def csp_directives(header: str) -> dict[str, str]:
    # django-csp does not keep the directives in a fixed order.
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        assert name not in directives, f"{name} twice in {header!r}"
        directives[name] = value
    return directives


def assert_security_headers(response) -> None:
    assert "Content-Security-Policy-Report-Only" not in response
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert set(response["Permissions-Policy"].split(", ")) == EXPECTED_PERMISSIONS
    for header, value in FIXED_HEADERS.items():
        assert response[header] == value, header


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/password-reset/", "/", "/does-not-exist/"])
def test_anonymous_responses_carry_the_headers(client, path):
    response = client.get(path)
    assert response.status_code in {200, 302, 404}
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/clients/", "/routes/board/", "/plans/", "/loans/", "/reports/", "/loans/export.xlsx"],
)
def test_signed_in_pages_and_downloads_carry_the_headers(world, login, path):
    response = login(world["org_admin"]).get(path)
    assert response.status_code == 200, path
    assert_security_headers(response)


@pytest.mark.django_db
def test_htmx_partials_carry_the_headers(world, login):
    response = login(world["org_admin"]).get("/clients/?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert_security_headers(response)


def test_a_view_can_set_its_own_value(rf):
    def view(request):
        response = HttpResponse()
        response["Cross-Origin-Resource-Policy"] = "same-site"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    assert response["Cross-Origin-Resource-Policy"] == "same-site"
    assert response["Permissions-Policy"].startswith("accelerometer=()")


def test_permissions_policy_header_quotes_origins_but_not_keywords():
    header = permissions_policy_header(
        {"camera": [], "fullscreen": ["self", "https://example.org"], "usb": ["*"]}
    )
    assert header == 'camera=(), fullscreen=(self "https://example.org"), usb=(*)'


class InlineCodeFinder(HTMLParser):
    """Everything in a template that `script-src 'self'; style-src 'self'` would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        names = {name for name, _value in attrs}
        if tag == "style":
            self.found.append(f"line {line}: <style>")
        if tag == "script" and "src" not in names:
            self.found.append(f"line {line}: inline <script>")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"line {line}: style attribute")
            elif re.fullmatch(r"on[a-z]+|(data-)?hx-on[:-].*", name):
                self.found.append(f"line {line}: {name} handler")
            elif name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"line {line}: javascript: URL")


DJANGO_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)
# Rendered by WeasyPrint into PDF files, never served to a browser as HTML.
PDF_TEMPLATES = {
    "plans/pdf.html",
    "lending/contract.html",
    "privacy/export_pdf.html",
    "privacy/register_pdf.html",
}


def served_templates() -> list[Path]:
    root = Path(settings.BASE_DIR) / "opstap"
    templates = []
    for path in sorted(root.glob("*/templates/**/*.html")):
        if path.as_posix().split("/templates/", 1)[1] not in PDF_TEMPLATES:
            templates.append(path)
    return templates


def test_the_finder_finds_what_the_policy_blocks():
    finder = InlineCodeFinder()
    finder.feed(
        '<style>a{}</style><script>x()</script><p style="color:red" onclick="x()" '
        'hx-on:click="x()"></p><a href="javascript:x()">a</a><script src="/s.js"></script>'
    )
    assert len(finder.found) == 6, finder.found


def test_no_served_template_has_inline_script_or_style():
    templates = served_templates()
    assert len(templates) > 100  # the glob found the apps' templates
    problems = []
    for path in templates:
        finder = InlineCodeFinder()
        finder.feed(DJANGO_COMMENT.sub("", path.read_text(encoding="utf-8")))
        problems += [f"{path.relative_to(settings.BASE_DIR)} {item}" for item in finder.found]
    assert not problems, "\n".join(problems)
