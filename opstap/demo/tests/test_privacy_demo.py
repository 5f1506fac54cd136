"""The demo's retention run: the lead whose file expired is anonymised, with a report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opstap.clients.models import Client
from opstap.demo import privacy
from opstap.privacy.models import Erasure, RetentionRun
from opstap.privacy.registry import ERASED


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return settings


@pytest.mark.django_db
def test_the_demo_shows_a_retention_run_that_anonymised_a_file(demo_settings):
    out = io.StringIO()
    call_command("demo", "--clients", "60", "--seed", "3", stdout=out)
    assert "Ran the retention task: a retention run that anonymised" in out.getvalue()
    lead = Client.objects.get(created_at=privacy.LAST_CHANGED)
    assert lead.first_name == ERASED and lead.phone == "" and lead.processing_restricted
    assert not Client.objects.filter(last_name=privacy.LEAD["last_name"]).exists()
    run = RetentionRun.objects.get(organisation=lead.organisation)
    assert run.files >= 1 and run.actions.filter(client=lead).exists()
    assert Erasure.objects.get(client=lead).kind == "retention"
