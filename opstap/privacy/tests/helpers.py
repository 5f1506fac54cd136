"""Building a client with data in every app, for the privacy tests."""

from __future__ import annotations

import datetime
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from opstap.clients import services as client_services
from opstap.clients.choices import ConsentPurpose, DocumentKind
from opstap.clients.models import Client
from opstap.coaching.models import CaseNote
from opstap.coaching.tests.factories import client_of, trajectory_for
from opstap.core.access import activate
from opstap.core.models import User
from opstap.core.signin import AUTHENTICATED_AT
from opstap.referrals.models import Referral

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fresh_login(user: User) -> HttpClient:
    """Signed in just now, as the most sensitive actions want (core/reauth.py)."""
    http = HttpClient()
    http.force_login(user)
    session = http.session
    session[AUTHENTICATED_AT] = time.time()
    session.save()
    return http


def full_client(world, **fields) -> Client:
    """A client of `world.own` with a route, notes (one confidential), a consent, a document
    and a referral."""
    adviser = world["adviser"]
    activate(adviser, world.own)
    client = client_of(
        world.own,
        adviser=adviser,
        first_name="Fatima",
        last_name="Haddou",
        email="fatima@example.org",
        phone="+32470123456",
        street="Rue Haute 12",
        postcode="1000",
        municipality="Brussel",
        **fields,
    )
    client.set_national_number("85073100297", "BE")
    client.save()
    trajectory = trajectory_for(client, adviser)
    CaseNote.objects.create(
        organisation=world.own,
        client=client,
        trajectory=trajectory,
        author=adviser,
        text="Wil een naaiatelier starten.",
    )
    CaseNote.objects.create(
        organisation=world.own,
        client=client,
        author=adviser,
        confidential=True,
        text="Haar broer vertelde in vertrouwen over schulden.",
    )
    client_services.consent_record(
        actor=adviser,
        client=client,
        purpose=ConsentPurpose.SPECIAL_CATEGORY,
        given_on=datetime.date(2026, 1, 5),
        text_version="v1",
    )
    client_services.document_add(
        actor=adviser,
        client=client,
        kind=DocumentKind.ID_COPY,
        upload=SimpleUploadedFile("id.pdf", PDF, content_type="application/pdf"),
    )
    Referral.objects.create(
        client=client,
        organisation=world.own,
        direction="outbound",
        partner_name="Hefboom",
        reason="Fatima zoekt een microkrediet",
        sent_on=datetime.date(2026, 2, 1),
        created_by=adviser,
    )
    return client
