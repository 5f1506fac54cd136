"""What the import page tells a newcomer (issue 9): the row count of a file whose headers are
wrong, a binary file called binary (not "not UTF-8"), and a missing column named with the
headers that would be accepted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from opstap.imports.base import MISSING_COLUMN
from opstap.imports.readers import FILE_BINARY, FileProblem, read_table

pytestmark = pytest.mark.django_db


def _upload(http, name: str, content: bytes, kind: str = "clients"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return http.post(
        reverse("imports:start"),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_a_three_row_file_with_a_missing_column_says_three_rows_and_how_to_name_it(world, login):
    http = login(world["adviser"])
    http.cookies["django_language"] = "fr"
    content = "prénom;code postal\nAmina;1080\nBram;1000\nChloé;9000\n".encode()
    page = _upload(http, "clients.csv", content).content.decode()
    assert "3 lignes" in page and "0 ligne" not in page
    with translation.override("fr"):
        start = str(MISSING_COLUMN).split("%")[0][:40]
    assert start in page
    # The last name's accepted headers, as one would type them.
    assert "“Nom”" in page or "“nom”" in page.lower()
    assert "last_name" in page


@pytest.mark.parametrize(
    "content", [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"]
)
def test_a_binary_file_is_called_binary(content):
    with pytest.raises(FileProblem) as problem:
        read_table(content, "clients.csv")
    assert problem.value.message == FILE_BINARY
