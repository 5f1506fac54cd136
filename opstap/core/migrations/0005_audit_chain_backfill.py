"""Chain the rows written before the chain existed, in id order, and record each chain's
head. Uses the running code's hash (opstap.core.audit.row_hash, a stable contract) over the
columns as they were when the chain began, frozen here."""

from django.db import migrations

from opstap.core.audit import GENESIS, chain_key, row_content, row_hash


class Events:
    CHAIN_FIELDS = (
        "organisation_id",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "client_id",
        "changes",
        "created_at",
    )


class Accesses:
    CHAIN_FIELDS = ("organisation_id", "user_id", "client_id", "purpose", "accessed_at")


LOGS = (("AuditEvent", "events", Events), ("FileAccess", "accesses", Accesses))


def forwards(apps, schema_editor):
    Head = apps.get_model("core", "AuditChainHead")
    for model_name, log, spec in LOGS:
        model = apps.get_model("core", model_name)
        heads: dict[int | None, tuple[int, str]] = {}
        for row in model.objects.order_by("id").iterator(chunk_size=2000):
            length, previous = heads.get(row.organisation_id, (0, GENESIS))
            digest = row_hash(log, row_content(spec, row), previous)
            model.objects.filter(pk=row.pk).update(previous_hash=previous, row_hash=digest)
            heads[row.organisation_id] = (length + 1, digest)
        Head.objects.bulk_create(
            Head(
                chain=chain_key(log, organisation_id),
                log=log,
                organisation_id=organisation_id,
                length=length,
                last_hash=last,
            )
            for organisation_id, (length, last) in heads.items()
        )


def backwards(apps, schema_editor):
    apps.get_model("core", "AuditChainHead").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_chain")]

    operations = [migrations.RunPython(forwards, backwards)]
