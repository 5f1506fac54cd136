"""Chain the rows written before the chain existed, in id order, and record each chain's
head. Uses the running code's hash (opstap.core.audit.row_hash): the hash is a stable
contract, the same for old and new rows."""

from django.db import migrations

from opstap.core.audit import GENESIS, chain_key, row_content, row_hash

LOGS = (("AuditEvent", "events"), ("FileAccess", "accesses"))


def forwards(apps, schema_editor):
    from opstap.core.models import AuditEvent, FileAccess

    current = {"AuditEvent": AuditEvent, "FileAccess": FileAccess}
    Head = apps.get_model("core", "AuditChainHead")
    for model_name, log in LOGS:
        model = apps.get_model("core", model_name)
        spec = current[model_name]
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
