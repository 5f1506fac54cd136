"""`opstap restore FILE [--force]`: put an `opstap backup` archive back, then prove it.

The archive is first read end to end and authenticated (a wrong key, a changed byte or a cut
off archive stops here, before the database is touched). Then, in one transaction: the
database is brought to the archive's migrations (an empty one is migrated to them), emptied,
loaded, the documents are written, and the result is checked — the row count of every table
equals the manifest, every audit chain verifies, and every loan's ledger balances (debits
equal credits). Any difference rolls the database back. Newer migrations of this Opstap
version run after that, and the chains and ledger are checked once more.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from argparse import ArgumentParser
from collections.abc import Iterator
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F, Q, Sum

from opstap.core.audit import verify_chains
from opstap.core.models import Organisation, User

from .backup import (
    CHUNK_BYTES,
    DATA_MEMBER,
    DOCUMENTS_PREFIX,
    FORMAT,
    MANIFEST_MEMBER,
    BackupError,
    DecryptingReader,
    backed_up_models,
    backup_key,
    documents_root,
    table_counts,
)


def _members(path: Path, master: bytes) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    with path.open("rb") as source:
        reader = io.BufferedReader(DecryptingReader(source, master), CHUNK_BYTES)
        try:
            with tarfile.open(fileobj=reader, mode="r|gz") as archive:
                for member in archive:
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield member, handle
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"The backup's contents cannot be read: {exc}") from exc


def _digest(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def check_archive(path: Path, master: bytes) -> dict[str, Any]:
    """Read the whole archive once: authentic, complete, and every member as the manifest
    says. Returns the manifest."""
    manifest: dict[str, Any] | None = None
    seen: set[str] = set()
    for member, handle in _members(path, master):
        if manifest is None:
            if member.name != MANIFEST_MEMBER:
                raise BackupError("The backup does not start with its manifest.")
            manifest = json.loads(handle.read())
            if manifest.get("format") != FORMAT:
                raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
            continue
        digest, size = _digest(handle)
        if member.name == DATA_MEMBER:
            expected = manifest["data"]
        elif member.name.startswith(DOCUMENTS_PREFIX):
            expected = manifest["documents"].get(member.name[len(DOCUMENTS_PREFIX) :], {})
        else:
            raise BackupError(f"Unexpected member {member.name!r} in the backup.")
        if (digest, size) != (expected.get("sha256"), expected.get("size")):
            raise BackupError(f"{member.name} in the backup does not match its manifest.")
        seen.add(member.name)
    if manifest is None:
        raise BackupError("The backup is empty.")
    wanted = {DATA_MEMBER} | {DOCUMENTS_PREFIX + name for name in manifest["documents"]}
    if seen != wanted:
        raise BackupError(f"The backup lacks {', '.join(sorted(wanted - seen))}.")
    return manifest


def _document_target(root: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise BackupError(f"Refusing the document path {name!r}.")
    return root.joinpath(*relative.parts)


def _leaf_targets(
    executor: MigrationExecutor, wanted: dict[str, list[str]]
) -> list[tuple[str, str]]:
    graph = executor.loader.graph
    return [
        max(((app, name) for name in names), key=lambda node: len(graph.forwards_plan(node)))
        for app, names in sorted(wanted.items())
    ]


def prepare_schema(manifest: dict[str, Any]) -> None:
    """An empty database is migrated to the archive's migrations; a migrated one must be at
    exactly them."""
    executor = MigrationExecutor(connection)
    wanted = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = wanted - set(executor.loader.disk_migrations)
    if unknown:
        raise BackupError(
            "The backup was made by a newer Opstap (unknown migrations: "
            f"{', '.join(f'{a}.{n}' for a, n in sorted(unknown)[:5])}); install that version."
        )
    applied = set(executor.recorder.applied_migrations())
    if not applied:
        executor.migrate(_leaf_targets(executor, manifest["migrations"]))
    elif applied != wanted:
        raise BackupError(
            "This database's migrations differ from the backup's. Restore into an empty "
            "database (create a new one, or drop and recreate it)."
        )


def ledger_imbalances() -> list[int]:
    """The loans whose journal lines do not balance (debits ≠ credits)."""
    if not apps.is_installed("opstap.lending"):
        return []
    lines = apps.get_model("lending", "JournalLine").objects
    totals = lines.values("loan_id").annotate(debits=Sum("debit"), credits=Sum("credit"))
    return sorted(totals.filter(~Q(debits=F("credits"))).values_list("loan_id", flat=True))


def loans_in_ledger() -> int:
    if not apps.is_installed("opstap.lending"):
        return 0
    lines = apps.get_model("lending", "JournalLine").objects
    return lines.values("loan_id").distinct().count()


def check_chains_and_ledger() -> tuple[int, int]:
    reports = list(verify_chains())
    broken = [r for r in reports if not r.ok]
    if broken:
        first = broken[0]
        raise BackupError(
            f"The audit chain {first.organisation_slug} · {first.log} does not verify after "
            f"the restore: {first.broken.reason if first.broken else ''}"
        )
    imbalanced = ledger_imbalances()
    if imbalanced:
        raise BackupError(f"The ledger does not balance for loans {imbalanced[:10]}.")
    return len(reports), loans_in_ledger()


class Command(BaseCommand):
    help = "Restore an `opstap backup` archive into an empty database, then verify it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the archive written by `opstap backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of a database (and documents) that are not empty",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        master = backup_key()
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such backup: {path}")
        manifest = check_archive(path, master)
        self.stdout.write(f"The backup of {manifest['created_at']} is complete and authentic.")
        prepare_schema(manifest)
        force = options["force"]
        if not force and (Organisation.objects.exists() or User.objects.exists()):
            raise CommandError(
                "This database is not empty. Restore into an empty database, or add --force "
                "to replace everything in it."
            )
        root = documents_root()
        existing = [n for n in manifest["documents"] if _document_target(root, n).exists()]
        if existing and not force:
            raise CommandError(
                f"The documents directory {root} already holds {len(existing)} of the backup's "
                "files. Use an empty directory, or add --force to overwrite them."
            )
        written: list[Path] = []
        try:
            with transaction.atomic():
                summary = self._restore(path, master, manifest, root, written)
        except BaseException:
            for document in written:
                document.unlink(missing_ok=True)
            raise
        call_command("migrate", verbosity=0, interactive=False)
        chains, loans = check_chains_and_ledger()
        rows, tables, documents = summary
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {rows} rows in {tables} tables, row counts equal the manifest; "
                f"{chains} audit chains verify; the ledgers of {loans} loans balance; "
                f"{documents} documents restored with their checksums."
            )
        )

    def _restore(
        self,
        path: Path,
        master: bytes,
        manifest: dict[str, Any],
        root: Path,
        written: list[Path],
    ) -> tuple[int, int, int]:
        # Empties every table (the rows data migrations made included) and lets the
        # content types and permissions be made again, which the rows refer to by name.
        call_command("flush", interactive=False, verbosity=0)
        backed_up = backed_up_models()
        documents = 0
        for member, handle in _members(path, master):
            if member.name == DATA_MEMBER:
                # Line by line, as bytes: a tar stream's member cannot be wrapped for text.
                self._load(iter(handle), backed_up)
            elif member.name.startswith(DOCUMENTS_PREFIX):
                name = member.name[len(DOCUMENTS_PREFIX) :]
                target = _document_target(root, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    written.append(target)
                    for block in iter(partial(handle.read, CHUNK_BYTES), b""):
                        digest.update(block)
                        out.write(block)
                if digest.hexdigest() != manifest["documents"][name]["sha256"]:
                    raise BackupError(f"The document {name} was not restored intact.")
                documents += 1
        counts = table_counts(backed_up)
        differences = {
            table: (expected, counts.get(table))
            for table, expected in manifest["tables"].items()
            if counts.get(table) != expected
        }
        if differences:
            listed = "; ".join(f"{t}: {e} expected, {c} found" for t, (e, c) in differences.items())
            raise BackupError(f"Row counts differ from the manifest: {listed}")
        check_chains_and_ledger()
        return sum(manifest["tables"].values()), len(manifest["tables"]), documents

    @staticmethod
    def _load(lines: Iterator[bytes], backed_up: list[Any]) -> None:
        deferred = []
        with connection.constraint_checks_disabled():
            for item in serializers.deserialize("jsonl", lines, handle_forward_references=True):
                item.save()
                if item.deferred_fields:
                    deferred.append(item)
            for item in deferred:
                item.save_deferred_fields()
        connection.check_constraints(table_names=[m._meta.db_table for m in backed_up])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), backed_up):
                cursor.execute(sql)
