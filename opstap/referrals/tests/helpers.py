"""Building blocks for the referral tests: a client with secrets, consents, referrals."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opstap.clients import services as client_services
from opstap.clients.models import Client, Consent
from opstap.clients.tests.factories import belgian_national_number
from opstap.core.identifiers import format_national_number
from opstap.core.models import Organisation, User
from opstap.referrals import services
from opstap.referrals.choices import Direction
from opstap.referrals.models import Referral

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BIRTH = datetime.date(1985, 7, 30)
NUMBER = belgian_national_number(BIRTH, 33)
IBAN = "BE71096123456769"
INCOME = Decimal("1234.56")
DOCUMENT_NAME = "identiteitskaart-haddou.pdf"
REASON = "Wil een naaiatelier starten; heeft hulp nodig bij de KBO-inschrijving."


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def secret_client(adviser: User, organisation: Organisation, **extra: Any) -> Client:
    """A client whose file holds everything a partner must never see."""
    data = {
        "first_name": "Amina",
        "last_name": "Haddou",
        "birth_date": BIRTH,
        "gender": "woman",
        "national_number": NUMBER,
        "phone": "+32 470 12 34 56",
        "email": "amina@example.org",
        "street": "Gentsesteenweg 12",
        "postcode": "1080",
        "municipality": "Molenbeek",
        "languages": ["ar", "fr"],
        "preferred_language": "fr",
        "income_source": "social_assistance",
        "income_monthly": INCOME,
        "iban": IBAN,
        "residence_status": "recognised_refugee",
        "adviser": adviser,
        **extra,
    }
    client = client_services.client_create(actor=adviser, organisation=organisation, data=data)
    consent(adviser, client, "special_category")
    client_services.client_update(
        actor=adviser, client=client, data={"has_disability": True, "minority_background": True}
    )
    client_services.document_add(
        actor=adviser,
        client=client,
        kind="id_copy",
        upload=SimpleUploadedFile(DOCUMENT_NAME, PDF, "application/pdf"),
    )
    return client


def plain_client(adviser: User, organisation: Organisation, last_name: str = "Peeters") -> Client:
    return client_services.client_create(
        actor=adviser,
        organisation=organisation,
        data={
            "first_name": "Jan",
            "last_name": last_name,
            "birth_date": datetime.date(1990, 1, 1),
            "gender": "man",
            "adviser": adviser,
        },
        duplicate_override_reason="test data",
    )


def consent(
    actor: User, client: Client, purpose: str, partner: Organisation | None = None
) -> Consent:
    return client_services.consent_record(
        actor=actor,
        client=client,
        purpose=purpose,
        partner=partner,
        given_on=days_ago(30),
        text_version="2026-01",
    )


def share_consent(actor: User, client: Client, partner: Organisation) -> Consent:
    return consent(actor, client, "partner_sharing", partner)


def refer(
    actor: User,
    client: Client,
    *,
    partner: Organisation | None = None,
    partner_name: str = "",
    direction: str = Direction.OUTBOUND,
    sent_on: datetime.date | None = None,
) -> Referral:
    return services.referral_create(
        actor=actor,
        organisation=client.organisation,
        client=client,
        direction=direction,
        partner=partner,
        partner_name=partner_name,
        reason=REASON,
        sent_on=sent_on or days_ago(10),
    )


def move(
    actor: User,
    referral: Referral,
    to: str,
    *,
    organisation: Organisation | None = None,
    on: datetime.date | None = None,
    outcome: str = "",
) -> Referral:
    if organisation is None:
        organisation = referral.partner if referral.answered_by_partner else referral.organisation
    return services.referral_transition(
        actor=actor,
        organisation=organisation,
        referral=referral,
        to=to,
        on=on or days_ago(5),
        outcome=outcome or ("Gestart als zelfstandige" if to == "completed" else ""),
    )


def secrets_on(page: str) -> dict[str, bool]:
    """Which of the client's secrets appear on a page (True = leaked)."""
    formatted = format_national_number(NUMBER, "BE")
    return {
        "national number": NUMBER in page or formatted in page or NUMBER[-3:] + "<" in page,
        "income": any(s in page for s in ("1234.56", "1234,56", "1.234,56", "1,234.56")),
        "iban": IBAN in page or "BE71 0961 2345 6769" in page,
        "document": DOCUMENT_NAME in page,
        "special category": "isability" in page or "inority" in page,
        "residence status": "efugee" in page,
        "audit trail": "Client file created" in page or "Timeline" in page,
    }
