"""What may be uploaded to a client file: checked on content, not on the name alone."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

DOCUMENT_TOO_LARGE = _("The file is %(size)s; the most a document may be is %(limit)s.")
DOCUMENT_EMPTY = _("The file is empty.")
DOCUMENT_TYPE = _(
    "This type of file cannot be added. Allowed: PDF, JPEG, PNG, Word (.docx), "
    "Excel (.xlsx) and OpenDocument (.odt, .ods)."
)
DOCUMENT_CONTENT_MISMATCH = _("The file's content does not match its extension %(suffix)s.")

_ZIP = b"PK\x03\x04"
# extension → (content type, the bytes a real file of that type starts with)
ALLOWED = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
}


def check_upload(upload: UploadedFile) -> str:
    """The content type to store, or a ValidationError on the `file` field."""
    limit = settings.DOCUMENT_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ValidationError(DOCUMENT_EMPTY, code="document_empty")})
    if size > limit:
        raise ValidationError(
            {
                "file": ValidationError(
                    DOCUMENT_TOO_LARGE,
                    code="document_too_large",
                    params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
                )
            }
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationError({"file": ValidationError(DOCUMENT_TYPE, code="document_type")})
    content_type, magic = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    if head != magic:
        raise ValidationError(
            {
                "file": ValidationError(
                    DOCUMENT_CONTENT_MISMATCH, code="document_content", params={"suffix": suffix}
                )
            }
        )
    return content_type
