"""Download file names in the reader's language: one place builds every Content-Disposition.

A download's name is a translated base word (`FUNNEL` below, ``pgettext("file name",
"funnel")``: "trechter" for a Dutch reader, "entonnoir" for a French one) followed by the
parts that identify it (a slug, a reference, dates) and the extension:
``trechter-own-azo-2024-01-01-2024-12-31.csv``.

The base is slugified to ASCII (``prêts`` → ``prets``) for the plain ``filename=`` that every
browser reads; when the name holds letters outside ASCII the header also carries the exact
name as ``filename*=UTF-8''…`` (RFC 6266 / RFC 5987), which browsers prefer. Parts keep their
case (a loan reference stays ``L2026-000042``); anything but letters, digits, ``.``, ``_`` and
``-`` becomes ``-``, so no quote, slash or line break from a user-entered code can reach the
header. See docs/exports.md.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import pgettext_lazy

# Word characters (Unicode letters and digits, and _), dots and hyphens stay; the rest is "-".
_UNSAFE = re.compile(r"[^\w.-]+")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_DOTS = re.compile(r"\.{2,}")
_HYPHENS = re.compile(r"-{2,}")
FALLBACK_BASE = "download"

# The base names of every download, translated in the reader's language when the response is
# made (context "file name": one lowercase word or hyphenated words; docs/exports.md).
FUNNEL = pgettext_lazy("file name", "funnel")
TARGETS = pgettext_lazy("file name", "targets")
AUDIT_REVIEW = pgettext_lazy("file name", "audit-review")
LOANS = pgettext_lazy("file name", "loans")
CONTRACT = pgettext_lazy("file name", "contract")
PLAN = pgettext_lazy("file name", "plan")
FINANCIAL_PLAN = pgettext_lazy("file name", "financial-plan")
PROCESSING_REGISTER = pgettext_lazy("file name", "register-of-processing")


def _part(value: Any, *, ascii_only: bool) -> str:
    if isinstance(value, datetime.date):
        value = value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = _ASCII_UNSAFE.sub("-", text)
    else:
        text = _UNSAFE.sub("-", text)
    # No ".." (harmless without a slash, but it looks like a path) and no "--".
    text = _HYPHENS.sub("-", _DOTS.sub("-", text))
    return text.strip("-.")


def _name(base: Any, extension: str, parts: tuple[Any, ...], *, ascii_only: bool) -> str:
    head = slugify(str(base), allow_unicode=not ascii_only) or FALLBACK_BASE
    pieces = [head] + [p for p in (_part(v, ascii_only=ascii_only) for v in parts) if p]
    extension = _part(extension, ascii_only=True).lstrip(".")
    return "-".join(pieces) + (f".{extension}" if extension else "")


def filename(base: Any, extension: str, *parts: Any) -> str:
    """The file name as the reader would write it (may hold letters outside ASCII)."""
    return _name(base, extension, parts, ascii_only=False)


def ascii_filename(base: Any, extension: str, *parts: Any) -> str:
    """The same name reduced to ASCII, for the plain ``filename=`` parameter."""
    return _name(base, extension, parts, ascii_only=True)


def content_disposition(base: Any, extension: str, *parts: Any) -> str:
    """``attachment; filename="…"`` and, when the name is not plain ASCII, ``filename*=``."""
    plain = ascii_filename(base, extension, *parts)
    exact = filename(base, extension, *parts)
    header = f'attachment; filename="{plain}"'
    if exact != plain:
        header += f"; filename*=UTF-8''{quote(exact, safe='')}"
    return header


def attachment(response: HttpResponse, base: Any, extension: str, *parts: Any) -> HttpResponse:
    """Mark `response` as a download named in the reader's language; returns it."""
    response["Content-Disposition"] = content_disposition(base, extension, *parts)
    return response
