"""`opstap backup` / `opstap restore`: one encrypted archive of the database and the
documents, restored into a fresh database and proven (row counts, audit chains, ledger)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum

from opstap.clients import services as client_services
from opstap.clients.models import Client, ClientDocument
from opstap.clients.tests.factories import ClientFactory
from opstap.core.audit import audit_record
from opstap.core.management.commands.backup import (
    KEY_VARIABLE,
    backed_up_models,
    backup_key,
    table_counts,
)
from opstap.core.management.commands.restore import check_archive
from opstap.core.models import AuditEvent
from opstap.lending.models import JournalLine
from opstap.lending.tests.helpers import disbursed_loan

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def key(monkeypatch) -> str:
    value = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_VARIABLE, value)
    return value


@pytest.fixture
def lending_world(world):
    """A disbursed loan (balanced ledger, audit events) and a client document on disk."""
    loan = disbursed_loan(world)
    document = client_services.document_add(
        actor=world["adviser"],
        client=loan.client,
        kind="id_copy",
        upload=SimpleUploadedFile("identiteitskaart.pdf", PDF),
    )
    return {"loan": loan, "document": document}


def ledger_by_loan() -> dict[int, tuple[Decimal, Decimal]]:
    rows = JournalLine.objects.values("loan_id").annotate(d=Sum("debit"), c=Sum("credit"))
    return {row["loan_id"]: (row["d"], row["c"]) for row in rows}


@pytest.fixture
def fresh_database(tmp_path: Path):
    """A DATABASE_URL for an empty database of the test's kind, and a function that gives a
    DB-API connection to it."""
    if connection.vendor != "postgresql":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    import psycopg

    settings = connection.settings_dict
    name = f"opstap_restore_{uuid.uuid4().hex[:12]}"
    server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}", lambda: psycopg.connect(f"{server}/{name}")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_opstap(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opstap.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_backup_restores_into_a_fresh_database_with_counts_ledger_and_documents(
    world, lending_world, key, tmp_path, fresh_database
):
    loan, document = lending_world["loan"], lending_world["document"]
    original_bytes = default_storage.open(document.file.name).read()
    archive = tmp_path / "opstap.backup"
    call_command("backup", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert PDF not in archive.read_bytes()  # encrypted, not merely packed

    manifest = check_archive(archive, backup_key())
    assert manifest["tables"] == table_counts(backed_up_models())
    assert manifest["tables"]["lending_journalline"] > 0
    assert manifest["tables"]["core_auditevent"] == AuditEvent.objects.count()

    database_url, connect = fresh_database
    restored_documents = tmp_path / "restored-documents"
    result = run_opstap(
        "restore",
        str(archive),
        env={
            "DATABASE_URL": database_url,
            "OPSTAP_DOCUMENTS_DIR": str(restored_documents),
            KEY_VARIABLE: key,
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "row counts equal the manifest" in result.stdout
    assert "audit chains verify" in result.stdout

    with connect() as restored:
        cursor = restored.cursor()
        for table, expected in manifest["tables"].items():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the manifest
            assert cursor.fetchone()[0] == expected, table
        cursor.execute(
            "SELECT loan_id, SUM(debit), SUM(credit) FROM lending_journalline GROUP BY loan_id"
        )
        ledger = {row[0]: (Decimal(str(row[1])), Decimal(str(row[2]))) for row in cursor}
        assert ledger == ledger_by_loan()
        assert ledger[loan.pk][0] == ledger[loan.pk][1] > 0
        cursor.execute(f"SELECT file FROM clients_clientdocument WHERE id = {int(document.pk)}")  # noqa: S608
        assert cursor.fetchone()[0] == document.file.name
    assert (restored_documents / document.file.name).read_bytes() == original_bytes == PDF

    # The restored database takes new rows (its id sequences were moved past the loaded
    # rows), and the new member's audit event continues the organisation's chain.
    env = {"DATABASE_URL": database_url, KEY_VARIABLE: key}
    created = run_opstap(
        *("member", "add", "--organisation", "own", "--email", "nieuw@own.example"),
        *("--role", "adviser"),
        env=env,
    )
    assert created.returncode == 0, created.stderr
    verified = run_opstap("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "BROKEN" not in verified.stdout
    own_events = AuditEvent.objects.filter(organisation=world.own).count()
    assert f"own · events: {own_events + 1} rows checked, OK" in verified.stdout


def test_both_commands_refuse_to_run_without_a_key(world, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    with pytest.raises(CommandError, match=f"{KEY_VARIABLE} is not set"):
        call_command("backup", str(tmp_path / "x.backup"))
    assert not list(tmp_path.iterdir())
    (tmp_path / "x.backup").write_bytes(b"anything")
    with pytest.raises(CommandError, match=f"{KEY_VARIABLE} is not set"):
        call_command("restore", str(tmp_path / "x.backup"))
    monkeypatch.setenv(KEY_VARIABLE, "too-short")
    with pytest.raises(CommandError, match="not a backup key"):
        call_command("backup", str(tmp_path / "y.backup"))


def test_a_wrong_key_a_changed_byte_or_a_cut_off_archive_is_refused(
    world, key, tmp_path, monkeypatch
):
    ClientFactory(organisation=world.own)
    archive = tmp_path / "opstap.backup"
    call_command("backup", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    data = archive.read_bytes()

    monkeypatch.setenv(KEY_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore", str(archive))
    monkeypatch.setenv(KEY_VARIABLE, key)

    changed = tmp_path / "changed.backup"
    middle = len(data) // 2
    changed.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    with pytest.raises(CommandError, match="cannot be decrypted|altered"):
        call_command("restore", str(changed))

    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) - 40])
    with pytest.raises(CommandError, match="incomplete|cannot be decrypted"):
        call_command("restore", str(cut))


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(world, key, tmp_path):
    kept = ClientFactory(organisation=world.own, last_name="Bewaard")
    archive = tmp_path / "opstap.backup"
    call_command("backup", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = table_counts(backed_up_models())

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))

    later = ClientFactory(organisation=world.own, last_name="Later")
    audit_record(actor=world["adviser"], organisation=world.own, action="client.create", obj=later)
    if connection.vendor == "postgresql":
        # A real restore starts its own transaction; this test's has deferred foreign-key
        # checks pending, which PostgreSQL will not TRUNCATE over: run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    call_command("restore", str(archive), "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert list(Client.objects.values_list("pk", flat=True)) == [kept.pk]
    assert table_counts(backed_up_models()) == counts
    assert not ClientDocument.objects.exists()
