"""Reading our pages as an attacker does: the forms they offer, and what would run."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    # Field name → the value the page fills in (a list for multiple values).
    defaults: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)

    @property
    def names(self) -> set[str]:
        return set(self.defaults) | self.files


class _Forms(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self.option: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action") or self.page_path, (a.get("method") or "get").lower())
            self.forms.append(self.form)
        for hx in ("hx-post", "hx-get"):
            if hx in a:
                self.forms.append(Form(a[hx] or self.page_path, hx[3:]))
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.form.files.add(name)
            elif kind in ("checkbox", "radio"):
                values = self.form.defaults.setdefault(name, [])
                if "checked" in a:
                    values.append(a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset"):
                self.form.defaults.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name and a.get("value") is not None:
            self.form.defaults.setdefault(name, []).append(a["value"])
        elif tag == "select" and name:
            self.select = (name, [], [])
        elif tag == "option" and self.select is not None:
            self.option = a.get("value")
            if "selected" in a:
                self.select[2].append(a.get("value", ""))
            self.text = []
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "option" and self.select is not None:
            value = self.option if self.option is not None else "".join(self.text).strip()
            self.select[1].append(value)
            self.option = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, options, selected = self.select
            chosen = selected or [o for o in options if o][:1]
            self.form.defaults.setdefault(name, []).extend(chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.defaults.setdefault(self.textarea, []).append("".join(self.text))
            self.textarea = None


def forms(html: str, page_path: str) -> list[Form]:
    parser = _Forms(page_path)
    parser.feed(html)
    return parser.forms


SCRIPT_URL = ("javascript:", "vbscript:", "data:text/html")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "hx-get", "hx-post"}


class _Runs(HTMLParser):
    """What in a page would run a payload: script text, event handlers, script URLs."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and self.marker in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith(SCRIPT_URL):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self.in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and self.marker in data:
            self.found.append(f"<script>{data[:80]}")


def what_would_run(html: str, marker: str) -> list[str]:
    parser = _Runs(marker)
    parser.feed(html)
    return parser.found
