"""Every page of the world as one member sees it, and the forms those pages offer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.test import Client as HttpClient
from django.urls import Resolver404, resolve

from opstap.core.tests.attack.html import Form, forms
from opstap.core.tests.attack.world import OUTSIDE_ORGANISATIONS, Side, patterns, url

FILES = re.compile(r"\.(pdf|xlsx|csv)$|<export_format:")


@dataclass
class Crawl:
    # URL name → status and content type of its GET.
    pages: dict[str, tuple[int, str]] = field(default_factory=dict)
    # URL name → what the forms posting (or getting) to it carry, merged over all pages.
    post_forms: dict[str, Form] = field(default_factory=dict)
    get_forms: dict[str, Form] = field(default_factory=dict)


def _view_name(action: str) -> str | None:
    try:
        return resolve(urlsplit(action).path).view_name
    except Resolver404:
        return None


def _merge(into: dict[str, Form], name: str, form: Form) -> None:
    known = into.setdefault(name, Form(form.action, form.method))
    for key, values in form.defaults.items():
        known.defaults.setdefault(key, values)
    known.files |= form.files


def crawl(http: HttpClient, side: Side) -> Crawl:
    found = Crawl()
    for pattern in patterns():
        # Files (PDFs, spreadsheets) hold no forms and are slow to make.
        if FILES.search(pattern.route) or pattern.name == "logout":
            continue
        path = url(pattern, {"*": side})
        # The sign-in pages as a visitor sees them.
        visitor = HttpClient() if pattern.name in OUTSIDE_ORGANISATIONS else http
        response = visitor.get(path)
        content_type = response.get("Content-Type", "")
        found.pages[pattern.name] = (response.status_code, content_type)
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        for form in forms(response.content.decode(), path):
            name = _view_name(form.action)
            if name is not None:
                _merge(found.post_forms if form.method == "post" else found.get_forms, name, form)
    return found
