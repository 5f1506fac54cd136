from __future__ import annotations

import datetime
import random

import factory

from opstap.clients.models import Client, ClientCoach, Consent
from opstap.core.tests.factories import OrganisationFactory


def belgian_national_number(birth: datetime.date, serial: int) -> str:
    """A valid rijksregisternummer for this birth date (check digits over the 2000+ rule too)."""
    base = f"{birth:%y%m%d}{serial:03d}"
    prefix = "2" if birth.year >= 2000 else ""
    check = 97 - int(prefix + base) % 97
    return f"{base}{check:02d}"


def dutch_bsn(seed: int) -> str:
    rng = random.Random(seed)
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last <= 9:
            return "".join(map(str, digits)) + str(last)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name", locale="nl_BE")
    last_name = factory.Faker("last_name", locale="nl_BE")
    birth_date = factory.Sequence(
        lambda n: datetime.date(1970, 1, 1) + datetime.timedelta(days=97 * n)
    )
    gender = "woman"
    postcode = "1080"
    municipality = "Molenbeek"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    purpose = "case_management"
    legal_basis = "consent"
    given_on = datetime.date(2026, 1, 15)
    text_version = "2026-01"


class ClientCoachFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientCoach

    client = factory.SubFactory(ClientFactory)
