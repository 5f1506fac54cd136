from __future__ import annotations

import factory

from opstap.core.models import Membership, MembershipRole, Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.MICROFINANCE
    country = Organisation.Country.BE
    default_language = "nl"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name", locale="nl_BE")
    last_name = factory.Faker("last_name", locale="nl_BE")
    password = factory.django.Password("correct horse battery staple")


def member(
    organisation: Organisation, *roles: str, user: User | None = None, **user_fields: object
) -> User:
    """A user with these roles in the organisation (created when not given)."""
    user = user or UserFactory(**user_fields)
    membership = Membership.objects.create(user=user, organisation=organisation)
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=r) for r in roles]
    )
    return user
