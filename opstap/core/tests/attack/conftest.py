"""The attack world: built once per module and committed, every test rolled back to it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings

from opstap.core.tests.attack.world import PDF, AttackWorld, build, plain


def shared_world(text=plain):
    """A module-scoped fixture of the world whose free text comes from `text`."""

    @pytest.fixture(scope="module")
    def _shared(django_db_setup, django_db_blocker, tmp_path_factory):
        storage = tmp_path_factory.mktemp("attack-documents")
        with (
            django_db_blocker.unblock(),
            override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                LANGUAGE_CODE="en",
                OPSTAP_MFA_REQUIRED=False,
                STORAGES={
                    **settings.STORAGES,
                    "default": {
                        "BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(storage)},
                    },
                },
            ),
        ):
            yield build(text)
            call_command("flush", interactive=False, verbosity=0)

    return _shared


_shared = shared_world()


@pytest.fixture
def attack_world(_shared, db) -> AttackWorld:
    # The documents' files live in each test's own storage (conftest.py points it at tmp_path).
    for side in (_shared.own, _shared.other):
        name = side.objects["document"].file.name
        assert default_storage.save(name, ContentFile(PDF)) == name
    return _shared
