"""On PostgreSQL, a trigram index makes 'name contains …' searches fast at 100,000+ clients.

SQLite has no such index; there the search scans one organisation's rows, which stays fast
at the sizes the embedded database is meant for.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS client_search_name_trgm "
    "ON clients_client USING gin (search_name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS client_search_name_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
