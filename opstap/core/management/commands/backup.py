"""`opstap backup FILE`: the database and the documents in one encrypted archive.

What is in it (see docs/operations.md): a gzipped tar stream with ``manifest.json`` (format,
Opstap's applied migrations, the row count of every table, the size and SHA-256 of every
document), ``data.jsonl`` (every model's rows, Django's JSON-lines serialisation with natural
keys for content types and permissions, so that the rows load into any freshly migrated
database, SQLite or PostgreSQL) and ``documents/…`` (the files of the documents storage).
Content types, permissions and sessions are left out: a fresh database makes its own content
types and permissions, and a restored server should make everybody sign in again.

The stream is encrypted as it is written (no plaintext archive ever touches the disk) with
AES-256-GCM in 1 MiB chunks: the key is derived with HKDF from ``OPSTAP_BACKUP_KEY`` and a
random salt in the file's header, each chunk's nonce is its number and a last-chunk flag, and
the header is authenticated with every chunk; so a chunk changed, reordered, dropped or cut
off at the end is refused on restore. Fernet would need the whole archive in memory.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import io
import json
import os
import struct
import tarfile
import tempfile
from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

KEY_VARIABLE = "OPSTAP_BACKUP_KEY"
MAGIC = b"OPSTAP-BACKUP\x01"
SALT_BYTES = 16
CHUNK_BYTES = 1024 * 1024
RECORD_HEADER = struct.Struct(">BI")  # last-chunk flag, ciphertext length
FORMAT = 1
EXCLUDED_MODELS = frozenset({"contenttypes.contenttype", "auth.permission", "sessions.session"})
DATA_MEMBER = "data.jsonl"
MANIFEST_MEMBER = "manifest.json"
DOCUMENTS_PREFIX = "documents/"


class BackupError(CommandError):
    pass


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder keeps only milliseconds of a time; a restore must give back the very
    instants (the audit hashes cover them)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backup_key() -> bytes:
    """The master key from the environment: 32 bytes, URL-safe base64 (as `--new-key` prints)."""
    value = os.environ.get(KEY_VARIABLE, "").strip()
    if not value:
        raise BackupError(
            f"{KEY_VARIABLE} is not set. Backups are always encrypted: set it to the key kept "
            "in your password vault, or create one with `opstap backup --new-key`."
        )
    try:
        key = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            f"{KEY_VARIABLE} is not a backup key (32 bytes in URL-safe base64, as printed by "
            "`opstap backup --new-key`)."
        )
    return key


def _derive(master: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"opstap backup v1")
    return AESGCM(hkdf.derive(master))


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class EncryptingWriter(io.RawIOBase):
    """A write-only stream that encrypts what it is given, chunk by chunk, into `target`."""

    def __init__(self, target: IO[bytes], master: bytes) -> None:
        salt = os.urandom(SALT_BYTES)
        self.header = MAGIC + salt
        self.aead = _derive(master, salt)
        self.target = target
        self.buffer = bytearray()
        self.counter = 0
        target.write(self.header)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # type: ignore[override]
        self.buffer += data
        while len(self.buffer) > CHUNK_BYTES:
            self._record(bytes(self.buffer[:CHUNK_BYTES]), last=False)
            del self.buffer[:CHUNK_BYTES]
        return len(data)

    def _record(self, plaintext: bytes, *, last: bool) -> None:
        ciphertext = self.aead.encrypt(_nonce(self.counter, last), plaintext, self.header)
        self.target.write(RECORD_HEADER.pack(1 if last else 0, len(ciphertext)) + ciphertext)
        self.counter += 1

    def close(self) -> None:
        if not self.closed:
            self._record(bytes(self.buffer), last=True)
            self.buffer.clear()
        super().close()


def decrypted_chunks(source: IO[bytes], master: bytes) -> Iterator[bytes]:
    """The plaintext of an archive, chunk by chunk, each authenticated before it is given
    out; raises BackupError on a wrong key, a change, or an archive cut short."""
    header = source.read(len(MAGIC) + SALT_BYTES)
    if len(header) != len(MAGIC) + SALT_BYTES or not header.startswith(MAGIC):
        raise BackupError("This file is not an Opstap backup.")
    aead = _derive(master, header[len(MAGIC) :])
    counter = 0
    while True:
        record = source.read(RECORD_HEADER.size)
        if len(record) < RECORD_HEADER.size:
            raise BackupError("The backup is incomplete: it ends before its last part.")
        flag, length = RECORD_HEADER.unpack(record)
        ciphertext = source.read(length)
        try:
            plaintext = aead.decrypt(_nonce(counter, flag == 1), ciphertext, header)
        except InvalidTag as exc:
            raise BackupError(
                f"The backup cannot be decrypted with this {KEY_VARIABLE}, or it was altered."
            ) from exc
        yield plaintext
        counter += 1
        if flag == 1:
            if source.read(1):
                raise BackupError("The backup has data after its last part: it was altered.")
            return


class DecryptingReader(io.RawIOBase):
    def __init__(self, source: IO[bytes], master: bytes) -> None:
        self.chunks = decrypted_chunks(source, master)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def backed_up_models() -> list[type[models.Model]]:
    """Every model with its own table, in an order in which their rows can be loaded."""
    app_list = {
        config: [
            model
            for model in config.get_models()
            if model._meta.label_lower not in EXCLUDED_MODELS
            and model._meta.managed
            and not model._meta.proxy
        ]
        for config in apps.get_app_configs()
    }
    return serializers.sort_dependencies(
        [(config, app_models) for config, app_models in app_list.items() if app_models],
        allow_cycles=True,
    )


def counted_tables(backed_up: list[type[models.Model]]) -> list[tuple[str, type[models.Model]]]:
    """(table, model) for every table the backup fills: the models' own and their
    many-to-many tables."""
    tables: dict[str, type[models.Model]] = {}
    for model in backed_up:
        tables[model._meta.db_table] = model
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                tables[through._meta.db_table] = through
    return sorted(tables.items())


def table_counts(backed_up: list[type[models.Model]]) -> dict[str, int]:
    return {table: model._base_manager.count() for table, model in counted_tables(backed_up)}


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def documents_root() -> Path:
    return Path(default_storage.location)


def document_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _add(archive: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    archive.addfile(info, handle)


def write_backup(target: IO[bytes], master: bytes) -> dict[str, Any]:
    """Write the encrypted archive to `target`; returns its manifest."""
    backed_up = backed_up_models()
    # The rows go to an unnamed temporary file (never visible in the file system, removed
    # when closed) because a tar member needs its size before its bytes.
    with tempfile.TemporaryFile() as data:
        # One transaction: the rows and their counts are one consistent moment (on SQLite
        # the IMMEDIATE transaction holds writers back meanwhile; PostgreSQL reads a snapshot).
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                connection.cursor().execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            counts = table_counts(backed_up)
            migrations = applied_migrations()
            text = io.TextIOWrapper(data, encoding="utf-8", write_through=True)
            for model in backed_up:
                rows = model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000)
                serializers.serialize(
                    "jsonl", rows, stream=text, use_natural_foreign_keys=True, cls=ExactJSONEncoder
                )
            text.flush()
            text.detach()
        data_size = data.tell()
        data.seek(0)
        data_digest = hashlib.sha256()
        for block in iter(lambda: data.read(CHUNK_BYTES), b""):
            data_digest.update(block)
        root = documents_root()
        files = document_files(root)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "tables": counts,
            "data": {"name": DATA_MEMBER, "size": data_size, "sha256": data_digest.hexdigest()},
            "documents": {
                path.relative_to(root).as_posix(): {
                    "size": path.stat().st_size,
                    "sha256": sha256_of(path),
                }
                for path in files
            },
        }
        encrypted = EncryptingWriter(target, master)
        with tarfile.open(fileobj=encrypted, mode="w|gz") as archive:  # type: ignore[call-overload]
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            _add(archive, MANIFEST_MEMBER, io.BytesIO(body), len(body))
            data.seek(0)
            _add(archive, DATA_MEMBER, data, data_size)
            for path in files:
                relative = path.relative_to(root).as_posix()
                with path.open("rb") as handle:
                    size = manifest["documents"][relative]["size"]
                    _add(archive, DOCUMENTS_PREFIX + relative, handle, size)
        encrypted.close()
    return manifest


class Command(BaseCommand):
    help = (
        f"Write the database and the documents to FILE, encrypted with {KEY_VARIABLE} "
        "(see docs/operations.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="the archive to write")
        parser.add_argument(
            "--new-key", action="store_true", help=f"print a new key for {KEY_VARIABLE} and stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(Fernet.generate_key().decode())
            return
        if not options["file"]:
            raise CommandError("Name the archive to write: opstap backup FILE")
        master = backup_key()
        path = Path(options["file"])
        partial = path.with_name(path.name + ".partial")
        # Only a complete archive gets the name: a failed run leaves no file that looks good.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as target:
                manifest = write_backup(target, master)
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {rows} rows in {len(manifest['tables'])} tables and "
                f"{len(manifest['documents'])} documents to {path}."
            )
        )
