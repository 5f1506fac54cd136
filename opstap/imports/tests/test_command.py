"""`opstap import KIND FILE --organisation SLUG [--dry-run] [--as EMAIL]`."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import connections
from django.utils import translation

from opstap.clients.models import Client
from opstap.clients.services import BIRTH_DATE_FUTURE
from opstap.core.models import AuditEvent
from opstap.imports.management.commands.importcleanup import Command as CleanupCommand
from opstap.imports.samples import SAMPLES_DIR

from .helpers import counts, csv_file

HEADER = ["external reference", "first name", "last name", "birth date"]


def good_rows(n: int = 6) -> list[list[str]]:
    return [[f"R-{i}", f"Name{i}", "Peeters", f"19{60 + i}-05-01"] for i in range(n)]


def future() -> str:
    return (datetime.date.today() + datetime.timedelta(days=10)).isoformat()


def command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def clients_file(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([HEADER, *good_rows()]))
    return path


@pytest.mark.django_db
def test_import_prints_a_summary_and_audits_as_the_system(world, clients_file):
    out, err = command("clients", str(clients_file), "--organisation", "own", "--language", "en")
    assert "Client files: 6 created, 0 updated, 0 unchanged." in out and not err
    assert Client.objects.filter(organisation=world.own).count() == 6
    assert set(
        AuditEvent.objects.filter(action="client.create").values_list("actor", flat=True)
    ) == {None}
    out, _err = command("clients", str(clients_file), "--organisation", "own", "--language", "en")
    assert "0 created, 0 updated, 6 unchanged" in out
    assert Client.objects.count() == 6


@pytest.mark.django_db
def test_as_a_member_names_them_in_the_audit_trail(world, clients_file):
    command("clients", str(clients_file), "--organisation", "own", "--as", "ADVISER@own.example")
    actors = set(AuditEvent.objects.filter(action="client.create").values_list("actor", flat=True))
    assert actors == {world["adviser"].pk}


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["volunteer@own.example", "admin@other.example", "x@nowhere"])
def test_as_someone_who_may_not_edit_clients_here_is_refused(world, clients_file, email):
    with pytest.raises(CommandError, match="not an active member"):
        command("clients", str(clients_file), "--organisation", "own", "--as", email)
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_errors_are_printed_with_row_and_column_and_nothing_is_imported(world, tmp_path):
    rows = good_rows()
    rows[5][3] = future()  # spreadsheet row 7
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([HEADER, *rows]))
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import", "clients", str(path), "--organisation", "own", "--language", "en", stderr=err
        )
    assert caught.value.returncode == 1
    assert str(caught.value) == "1 error; nothing was imported."
    assert err.getvalue().strip() == (
        "row 7, column birth date: The birth date cannot be in the future."
    )
    assert counts() == before


@pytest.mark.django_db
def test_messages_follow_the_language(world, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([HEADER, ["R-1", "Jan", "Smit", future()]]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import", "clients", str(path), "--organisation", "own", "--language", "nl", stderr=err
        )
    with translation.override("nl"):
        assert str(BIRTH_DATE_FUTURE) in err.getvalue()


@pytest.mark.django_db
def test_exit_code_from_the_command_line(world, tmp_path, capsys, monkeypatch):
    """The console path (`opstap import …`): exit status 1 and a message, no stack trace."""
    # run_from_argv closes the connections at the end, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([HEADER, ["R-1", "Jan", "Smit", future()]]))
    command_class = load_command_class("opstap.imports", "import")
    argv = ["opstap", "import", "clients", str(path), "--organisation", "own", "--language", "en"]
    with pytest.raises(SystemExit) as exit_:
        command_class.run_from_argv(argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "row 2, column birth date: The birth date cannot be in the future." in err
    assert "CommandError: 1 error; nothing was imported." in err
    assert "Traceback" not in err
    path.write_bytes(csv_file([HEADER, ["R-1", "Jan", "Smit", "1980-01-01"]]))
    load_command_class("opstap.imports", "import").run_from_argv(argv)  # no SystemExit: 0
    assert Client.objects.count() == 1


@pytest.mark.django_db
def test_dry_run_changes_nothing(world, clients_file):
    before = counts()
    out, _err = command(
        "clients", str(clients_file), "--organisation", "own", "--dry-run", "--language", "en"
    )
    assert out.startswith("Dry run, nothing was changed. Client files: 6 would be created")
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty.csv: The file is empty."),
        (b"garbage", "broken.xlsx", "broken.xlsx: The Excel file cannot be read"),
        ("naam;voornaam\nPeeters;Jérôme\n".encode("cp1252"), "ansi.csv", "is not UTF-8 text"),
        (b"first name;surname;shoe size\nJan;Smit;44\n", "odd.csv", None),
    ],
)
def test_bad_files_give_a_message_not_a_stack_trace(world, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import", "clients", str(path), "--organisation", "own", "--language", "en", stderr=err
        )
    if message:
        assert message in str(caught.value)
    else:
        assert "row 1, column shoe size: This column is not known." in err.getvalue()
        assert "row 1, column external reference: This column is required" in err.getvalue()


@pytest.mark.django_db
def test_missing_file_and_unknown_organisation(world, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        command("clients", str(tmp_path / "nope.csv"), "--organisation", "own")
    with pytest.raises(CommandError, match="short name nope"):
        command("clients", str(tmp_path / "nope.csv"), "--organisation", "nope", "--language", "en")


@pytest.mark.django_db
def test_every_sample_imports_cleanly_in_order(world):
    for kind in ("programmes", "clients", "trajectories", "activities"):
        out, err = command(kind, str(SAMPLES_DIR / f"{kind}.csv"), "--organisation", "own")
        assert not err, err
    out, err = command("clients", str(SAMPLES_DIR / "clients-nl.csv"), "--organisation", "own")
    assert not err


def test_cleanup_command_runs(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path
    (tmp_path / "old.upload").write_text("x")
    CleanupCommand().handle(verbosity=0)
    assert (tmp_path / "old.upload").exists()  # younger than an hour
