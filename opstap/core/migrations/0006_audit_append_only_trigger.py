"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit and access logs,
whatever the client (the app, a shell, a psql session without superuser tricks). SQLite has
no such users to guard against: the app's AppendOnlyError and the hash chain cover it there.
TRUNCATE stays possible for `flush` (tests, a forced restore); `opstap audit verify` notices
a chain that lost rows, because its head keeps the length."""

from django.db import migrations

TABLES = ("core_auditevent", "core_fileaccess")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION opstap_refuse_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'opstap: % on % refused, the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION opstap_refuse_log_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS opstap_refuse_log_change()")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_chain_backfill")]

    operations = [migrations.RunPython(forwards, backwards)]
