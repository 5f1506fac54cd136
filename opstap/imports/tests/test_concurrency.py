"""Two imports of the same file at once into one organisation create each client once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from opstap.clients.models import Client
from opstap.core.tests.factories import OrganisationFactory

from .helpers import csv_file, run

HEADER = ["external reference", "first name", "last name"]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_imports_do_not_duplicate(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises write transactions by itself")
    organisation = OrganisationFactory()
    data = csv_file([HEADER, *[[f"R-{i}", f"Name{i}", "Peeters"] for i in range(40)]])
    barrier = threading.Barrier(2)
    results = []

    def import_once() -> None:
        try:
            barrier.wait()
            results.append(run("clients", data, organisation))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=import_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.committed for r in results)
    assert sorted(r.counts["created"] for r in results) == [0, 40]
    assert Client.objects.filter(organisation=organisation).count() == 40
