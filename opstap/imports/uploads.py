"""Uploaded import files between the preview and the import: encrypted, kept at most an hour.

The page stores the file after a clean preview and hands the browser a signed token naming
it, the member and the organisation. The import deletes the file; so does "Cancel"; what is
left is deleted after an hour by the next visit to the page or by `opstap importcleanup`.
The file is encrypted with the field-encryption keys, since it holds client data.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core import signing

from opstap.core import crypto

MAX_AGE_SECONDS = 3600
SALT = "opstap.imports.upload"


@dataclass
class Upload:
    kind: str
    filename: str
    data: bytes
    token: str


class UploadExpired(Exception):
    pass


def upload_dir() -> Path:
    directory = Path(getattr(settings, "IMPORT_UPLOAD_DIR", None) or settings.VAR_DIR / "imports")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _path(file_id: str) -> Path:
    if not file_id.isalnum():
        raise UploadExpired
    return upload_dir() / f"{file_id}.upload"


def store(*, data: bytes, kind: str, filename: str, user_id: int, organisation_id: int) -> str:
    file_id = secrets.token_hex(16)
    path = _path(file_id)
    path.touch(mode=0o600)
    path.write_text(crypto.encrypt(base64.b64encode(data).decode()), encoding="ascii")
    return signing.dumps(
        {"f": file_id, "k": kind, "n": filename[:200], "u": user_id, "o": organisation_id},
        salt=SALT,
    )


def _payload(token: str) -> dict[str, Any]:
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise UploadExpired from exc


def load(token: str, *, user_id: int, organisation_id: int) -> Upload:
    payload = _payload(token)
    if payload.get("u") != user_id or payload.get("o") != organisation_id:
        raise UploadExpired
    try:
        encrypted = _path(str(payload["f"])).read_text(encoding="ascii")
        data = base64.b64decode(crypto.decrypt(encrypted))
    except (OSError, InvalidToken, ValueError) as exc:
        raise UploadExpired from exc
    return Upload(kind=payload["k"], filename=payload["n"], data=data, token=token)


def discard(token: str, *, user_id: int, organisation_id: int) -> None:
    try:
        payload = _payload(token)
    except UploadExpired:
        return
    if payload.get("u") == user_id and payload.get("o") == organisation_id:
        _path(str(payload["f"])).unlink(missing_ok=True)


def purge(max_age: int = MAX_AGE_SECONDS) -> int:
    """Delete uploads older than `max_age` seconds; returns how many."""
    limit = time.time() - max_age
    removed = 0
    for path in upload_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
