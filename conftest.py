"""Shared fixtures: two organisations and a persona for every role (see docs/testing.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from hypothesis import settings as hypothesis_settings

from opstap.core.models import Organisation, User
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member

# Speed is measured by `make bench`, never by tests: no per-example deadline, which a loaded
# CI machine would turn into random failures.
hypothesis_settings.register_profile("opstap", deadline=None)
hypothesis_settings.load_profile("opstap")


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    # `make test` compiles them too; this keeps a bare `pytest` run honest after a .po edit.
    call_command("compiletranslations", verbosity=0)


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _builtin_data(request, django_db_blocker):
    """The rows data migrations create (the built-in route types) are there for every test
    that uses the database.

    A transactional test (browser tests, live server) empties every table when it ends; this
    runs before the test's own database fixture, so a restore is permanent, not rolled back.
    """
    uses_database = request.node.get_closest_marker("django_db") or (
        DATABASE_FIXTURES & set(request.fixturenames)
    )
    if not uses_database:
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        from opstap.journeys.models import RouteType
        from opstap.privacy.models import LegalHold

        if (
            not RouteType.objects.filter(organisation=None).exists()
            or not LegalHold.objects.exists()
        ):
            reinstall_builtin_data()


@pytest.fixture(autouse=True)
def _fast_and_private(settings, tmp_path):
    # Hashing cost slows every login in the suite without testing anything of ours.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    settings.LANGUAGE_CODE = "en"
    # Tests sign in with force_login; the second factor has its own tests (test_signin.py).
    settings.OPSTAP_MFA_REQUIRED = False


@dataclass
class World:
    """Organisation `own` (Belgian) with one user per role, and `other` (Dutch) with its own."""

    own: Organisation
    other: Organisation
    users: dict[str, User]
    other_admin: User
    other_adviser: User

    def __getitem__(self, role: str) -> User:
        return self.users[role]


@pytest.fixture
def world(db) -> World:
    own = OrganisationFactory(slug="own", name="Microkrediet Brussel", country="BE")
    other = OrganisationFactory(
        slug="other", name="Gemeente Emmerveen", country="NL", kind="municipality"
    )
    users = {role: member(own, role, email=f"{role}@own.example") for role in Role.values}
    return World(
        own=own,
        other=other,
        users=users,
        other_admin=member(other, Role.ORG_ADMIN, email="admin@other.example"),
        other_adviser=member(other, Role.ADVISER, email="adviser@other.example"),
    )


@pytest.fixture
def login():
    """An HTTP test client logged in as `user` (its first organisation active)."""

    def _login(user: User) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return _login


def reinstall_builtin_data() -> None:
    """Put back the rows data migrations created, after a test module ran `flush`
    (flush empties every table, the built-in route types included)."""
    import importlib

    from django.apps import apps

    for migration in (
        "opstap.journeys.migrations.0002_builtin_route_types",
        "opstap.privacy.migrations.0002_default_parameters",
    ):
        importlib.import_module(migration).forwards(apps, None)
