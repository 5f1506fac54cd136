"""The demo's access log fills the access review's default week and marks one unusual day."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from opstap.core.models import FileAccess, MembershipRole
from opstap.core.roles import Role


@pytest.mark.django_db
def test_the_review_shows_the_demo_week_and_its_unusual_member(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    call_command("demo", "--clients", "60", "--seed", "3", stdout=io.StringIO())
    assert FileAccess.objects.count() > 100
    # The demo's first organisation (the one build_access_log marks) is the first created.
    first = (
        MembershipRole.objects.filter(role=Role.ORG_ADMIN)
        .order_by("membership__organisation_id")
        .first()
        .membership
    )
    http = HttpClient()
    http.force_login(first.user)
    page = http.get(reverse("audit_review"))
    assert page.status_code == 200
    volumes = page.context["volumes"]
    assert len(volumes) >= 3
    unusual = [volume for volume in volumes if volume.unusual_days]
    assert [volume.user for volume in unusual] == [
        MembershipRole.objects.get(
            membership__organisation=first.organisation, role=Role.LOAN_OFFICER
        ).membership.user
    ]
