"""Search names written before dotless i, ł, ø, ß … were folded get folded now."""

import unicodedata

from django.db import migrations

UNDECOMPOSABLE = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ħ": "h"}
)


def strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text):
    return strip_accents(strip_accents(text or "").lower().translate(UNDECOMPOSABLE)).strip()


def forwards(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    changed = []
    for client in Client.objects.only("pk", "first_name", "last_name", "search_name").iterator(2000):
        folded = fold(f"{client.first_name} {client.last_name}")
        if folded != client.search_name:
            client.search_name = folded
            changed.append(client)
    Client.objects.bulk_update(changed, ["search_name"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("clients", "0004_client_search_indexes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
