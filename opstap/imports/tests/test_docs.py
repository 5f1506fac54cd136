"""docs/imports.md documents every column of every kind, and its samples exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from opstap.imports.kinds import IMPORTERS
from opstap.imports.samples import SAMPLES_DIR

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "imports.md").read_text(encoding="utf-8")
SECTIONS = {"programmes": "Programmes", "clients": "Clients", "trajectories": "Trajectories"}
SECTIONS["activities"] = "Activities"


def section(title: str) -> str:
    match = re.search(rf"^## {title}.*?(?=^## )", DOCS, flags=re.S | re.M)
    assert match, title
    return match.group(0)


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_every_column_is_documented(kind):
    text = section(SECTIONS[kind])
    with translation.override("en"):
        for column in IMPORTERS[kind].columns:
            assert f"| `{column.header}` |" in text, column.header


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_every_kind_has_a_sample_with_its_canonical_headers(kind):
    header = (SAMPLES_DIR / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[0]
    with translation.override("en"):
        known = {str(c.header) for c in IMPORTERS[kind].columns}
    assert set(header.split(",")) <= known
    assert f"`{kind}.csv`" in DOCS
