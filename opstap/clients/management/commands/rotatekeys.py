"""Re-encrypt identity numbers with the newest key, after a key was added to OPSTAP_FIELD_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import models, transaction

from opstap.clients.models import Client
from opstap.core import crypto

BATCH = 1000
ENCRYPTED_FIELDS = ["national_number_encrypted", "iban_encrypted"]


def rotate_table(model: type[models.Model]) -> int:
    """Re-encrypt every row of `model` in batches; returns the number of rows."""
    rotated = 0
    last_pk = 0
    pk_name = model._meta.pk.attname
    while True:
        with transaction.atomic():
            batch = list(
                model._default_manager.filter(**{f"{pk_name}__gt": last_pk})
                .order_by(pk_name)
                .only(pk_name, *ENCRYPTED_FIELDS)[:BATCH]
            )
            if not batch:
                return rotated
            for row in batch:
                for field in ENCRYPTED_FIELDS:
                    setattr(row, field, crypto.rotate(getattr(row, field)))
            model._default_manager.bulk_update(batch, ENCRYPTED_FIELDS)
            rotated += len(batch)
            last_pk = getattr(batch[-1], pk_name)


class Command(BaseCommand):
    help = "Re-encrypt every national number and IBAN with the first key of OPSTAP_FIELD_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        # The history keeps earlier versions of each file: they hold tokens too.
        clients = rotate_table(Client)
        versions = rotate_table(Client.history.model)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted the identity numbers of {clients} clients "
                f"and {versions} earlier versions of their files."
            )
        )
