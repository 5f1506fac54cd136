"""The audit and access logs are append-only and hash-chained per organisation and log;
`opstap audit verify` proves each chain and names the first broken link."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opstap.clients.models import Client
from opstap.clients.tests.factories import ClientFactory
from opstap.core.audit import (
    GENESIS,
    audit_record,
    chain_key,
    row_content,
    row_hash,
    verify_chains,
)
from opstap.core.models import AppendOnlyError, AuditChainHead, AuditEvent, FileAccess

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def record(world, n: int, organisation=None, client=None) -> list[AuditEvent]:
    organisation = organisation or world.own
    client = client or ClientFactory(organisation=organisation)
    return [
        audit_record(
            actor=world["adviser"],
            organisation=organisation,
            action="client.update",
            obj=client,
            client=client,
            old={"first_name": f"Name {i}"},
            new={"first_name": f"Name {i + 1}"},
        )
        for i in range(n)
    ]


def verify(organisation: str | None = None) -> tuple[str, int]:
    """The command's output and its exit code."""
    import io

    out = io.StringIO()
    args = ["audit", "verify"] + (["--organisation", organisation] if organisation else [])
    try:
        call_command(*args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc.returncode
    return out.getvalue(), 0


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql: str, params: list) -> None:
    """Change the log behind the app's back, as someone with database access would; on
    PostgreSQL that takes a superuser switching the triggers off."""
    if connection.vendor != "postgresql":
        return raw(sql, params)
    raw("SET LOCAL session_replication_role = replica", [])
    try:
        raw(sql, params)
    finally:
        raw("SET LOCAL session_replication_role = DEFAULT", [])


def test_rows_link_to_the_previous_row_of_their_own_organisation(world):
    own = record(world, 3)
    other = record(world, 2, organisation=world.other)
    assert own[0].previous_hash == GENESIS == other[0].previous_hash
    assert [e.previous_hash for e in own[1:]] == [e.row_hash for e in own[:-1]]
    assert other[1].previous_hash == other[0].row_hash
    head = AuditChainHead.objects.get(chain=chain_key("events", world.own.pk))
    assert (head.length, head.last_hash) == (3, own[-1].row_hash)


def test_a_clean_chain_passes(world, login):
    record(world, 4)
    client = ClientFactory(organisation=world.own)
    http = login(world["adviser"])
    for _ in range(3):
        assert http.get(reverse("clients:detail", args=[client.pk])).status_code == 200
    output, code = verify()
    assert code == 0, output
    assert "own · events: 4 rows checked, OK" in output
    assert "own · accesses: 3 rows checked, OK" in output
    assert all(report.ok for report in verify_chains())


def test_a_row_changed_with_raw_sql_is_found_and_named(world):
    events = record(world, 5)
    tampered = events[2]
    tamper(
        "UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["someone else", tampered.pk]
    )
    output, code = verify("own")
    assert code == 1
    assert f"own · events: BROKEN after 2 good rows: core_auditevent id {tampered.pk}" in output
    assert "content no longer matches its hash" in output
    assert tampered.created_at.isoformat() in output


def test_a_row_deleted_in_the_middle_is_found(world):
    events = record(world, 5)
    tamper("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    output, code = verify()
    assert code == 1
    # The gap shows at the row after it, which no longer links to its predecessor.
    assert f"BROKEN after 2 good rows: core_auditevent id {events[3].pk}" in output
    assert "previous_hash does not match" in output


def test_a_row_cut_off_at_the_end_is_found_by_the_head(world):
    events = record(world, 3)
    tamper("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    output, code = verify("own")
    assert code == 1
    assert "the chain head expects 3 rows" in output


def test_a_forged_link_recomputed_over_a_changed_row_still_breaks_the_next_one(world):
    events = record(world, 3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.object_repr = "forged"
    new_hash = row_hash("events", row_content(AuditEvent, forged), forged.previous_hash)
    tamper(
        "UPDATE core_auditevent SET object_repr = %s, row_hash = %s WHERE id = %s",
        ["forged", new_hash, forged.pk],
    )
    output, code = verify("own")
    assert code == 1
    assert f"core_auditevent id {events[2].pk}" in output


def test_file_accesses_written_in_bulk_are_chained_per_organisation(world):
    client_own = ClientFactory(organisation=world.own)
    client_other = ClientFactory(organisation=world.other)
    FileAccess.objects.bulk_create(
        [
            FileAccess(
                organisation=world.own, user=world["adviser"], client=client_own, purpose="a"
            ),
            FileAccess(
                organisation=world.other, user=world.other_adviser, client=client_other, purpose="b"
            ),
            FileAccess(
                organisation=world.own, user=world["adviser"], client=client_own, purpose="c"
            ),
        ]
    )
    own = list(FileAccess.objects.filter(organisation=world.own).order_by("id"))
    assert own[1].previous_hash == own[0].row_hash
    assert all(report.ok for report in verify_chains())
    tamper("UPDATE core_fileaccess SET purpose = %s WHERE id = %s", ["x", own[0].pk])
    output, code = verify()
    assert code == 1
    assert f"own · accesses: BROKEN after 0 good rows: core_fileaccess id {own[0].pk}" in output
    assert "other · accesses: 1 rows checked, OK" in output


def test_the_app_cannot_change_or_delete_log_rows(world):
    event = record(world, 1)[0]
    client = ClientFactory(organisation=world.own)
    access = FileAccess.objects.create(
        organisation=world.own, user=world["adviser"], client=client, purpose="clients:detail"
    )
    event.object_repr = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        access.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        FileAccess.objects.filter(pk=access.pk).update(purpose="x")
    with pytest.raises(AppendOnlyError):
        FileAccess.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["object_repr"])
    assert AuditEvent.objects.get(pk=event.pk).object_repr != "changed"
    assert all(report.ok for report in verify_chains())


def test_deleting_a_client_keeps_its_audit_and_access_rows_verifiable(world):
    client = ClientFactory(organisation=world.own)
    record(world, 2, client=client)
    FileAccess.objects.create(
        organisation=world.own, user=world["adviser"], client=client, purpose="clients:detail"
    )
    client_id = client.pk
    Client.objects.filter(pk=client_id).delete()
    assert AuditEvent.objects.filter(client_id=client_id).count() == 2
    assert FileAccess.objects.filter(client_id=client_id).count() == 1
    assert all(report.ok for report in verify_chains())


def test_an_unknown_organisation_is_refused(world):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("audit", "verify", "--organisation", "nope")


@on_postgresql
def test_postgresql_refuses_update_and_delete_on_the_logs(world):
    from django.db import DatabaseError

    event = record(world, 1)[0]
    client = ClientFactory(organisation=world.own)
    access = FileAccess.objects.create(
        organisation=world.own, user=world["adviser"], client=client, purpose="clients:detail"
    )
    for sql, pk in [
        ("UPDATE core_auditevent SET object_repr = 'x' WHERE id = %s", event.pk),
        ("DELETE FROM core_auditevent WHERE id = %s", event.pk),
        ("UPDATE core_fileaccess SET purpose = 'x' WHERE id = %s", access.pk),
        ("DELETE FROM core_fileaccess WHERE id = %s", access.pk),
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(sql, [pk])
    assert all(report.ok for report in verify_chains())


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_never_fork_the_chain(world):
    client = ClientFactory(organisation=world.own)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                with transaction.atomic():
                    record(world, 1, client=client)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEvent.objects.filter(organisation=world.own).count() == 40
    assert all(report.ok for report in verify_chains())


# Any text PostgreSQL can store (it refuses NUL in text and JSON; the forms strip it).
text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(text, json_values, max_size=5),
    name=text,
)
def test_any_content_hashes_the_same_after_the_round_trip_through_the_database(
    world, changes, name
):
    event = AuditEvent.objects.create(
        organisation=world.own,
        actor=world["adviser"],
        action="client.update",
        object_type="clients.client",
        object_id="1",
        object_repr=name,
        changes=changes,
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert row_hash("events", row_content(AuditEvent, stored), stored.previous_hash) == (
        event.row_hash
    )
    assert all(report.ok for report in verify_chains(world.own))
