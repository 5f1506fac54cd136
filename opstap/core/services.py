"""State changes of organisations and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .identifiers import validate_enterprise_number
from .models import Membership, MembershipRole, Organisation, User
from .roles import Role

SLUG_TAKEN = _("An organisation with this short name already exists.")
ROLE_REQUIRED = _("Choose at least one role.")
ROLE_UNKNOWN = _("Unknown role: %(role)s.")
LAST_ADMIN = _("An organisation needs at least one active organisation admin.")
ALREADY_MEMBER = _("This person is already a member of the organisation.")


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    slug: str,
    name: str,
    kind: str,
    country: str,
    default_language: str = "nl",
    enterprise_number: str = "",
) -> Organisation:
    errors: dict[str, ValidationError] = {}
    if Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = ValidationError(SLUG_TAKEN, code="slug_taken")
    if enterprise_number:
        try:
            enterprise_number = validate_enterprise_number(enterprise_number, country)
        except ValidationError as exc:
            errors["enterprise_number"] = exc
    organisation = Organisation(
        slug=slug,
        name=name,
        kind=kind,
        country=country,
        default_language=default_language,
        enterprise_number=enterprise_number,
    )
    try:
        organisation.full_clean(validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, ValidationError(messages))
    if errors:
        raise ValidationError(errors)
    organisation.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        action="organisation.create",
        obj=organisation,
        new={
            "slug": slug,
            "name": name,
            "kind": kind,
            "country": country,
            "enterprise_number": enterprise_number,
        },
    )
    return organisation


def _check_roles(roles: set[str]) -> None:
    if not roles:
        raise ValidationError({"roles": ValidationError(ROLE_REQUIRED, code="role_required")})
    unknown = sorted(roles - set(Role.values))
    if unknown:
        raise ValidationError(
            {
                "roles": ValidationError(
                    ROLE_UNKNOWN, code="role_unknown", params={"role": ", ".join(unknown)}
                )
            }
        )


def _admins_left(organisation: Organisation, excluding: Membership) -> bool:
    return (
        MembershipRole.objects.filter(
            role=Role.ORG_ADMIN,
            membership__organisation=organisation,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .exclude(membership=excluding)
        .exists()
    )


@transaction.atomic
def member_add(
    *,
    actor: User | None,
    organisation: Organisation,
    email: str,
    roles: set[str],
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> Membership:
    """Add a person (created when new, by e-mail) to the organisation with these roles."""
    _check_roles(roles)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation)
    if not created and membership.is_active:
        raise ValidationError({"email": ValidationError(ALREADY_MEMBER, code="already_member")})
    if not created:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        membership.role_grants.all().delete()
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=r) for r in sorted(roles)]
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="member.add",
        obj=membership,
        new={"email": email, "roles": sorted(roles)},
    )
    return membership


@transaction.atomic
def member_set_roles(*, actor: User, membership: Membership, roles: set[str]) -> Membership:
    _check_roles(roles)
    before = set(membership.role_grants.values_list("role", flat=True))
    if (
        Role.ORG_ADMIN in before
        and Role.ORG_ADMIN not in roles
        and not _admins_left(membership.organisation, membership)
    ):
        raise ValidationError({"roles": ValidationError(LAST_ADMIN, code="last_admin")})
    membership.role_grants.exclude(role__in=roles).delete()
    MembershipRole.objects.bulk_create(
        [MembershipRole(membership=membership, role=r) for r in sorted(roles - before)]
    )
    audit_record(
        actor=actor,
        organisation=membership.organisation,
        action="member.set_roles",
        obj=membership,
        old={"roles": sorted(before)},
        new={"roles": sorted(roles)},
    )
    return membership


@transaction.atomic
def member_deactivate(*, actor: User, membership: Membership) -> Membership:
    roles = set(membership.role_grants.values_list("role", flat=True))
    if Role.ORG_ADMIN in roles and not _admins_left(membership.organisation, membership):
        raise ValidationError(LAST_ADMIN, code="last_admin")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        organisation=membership.organisation,
        action="member.deactivate",
        obj=membership,
        old={"is_active": True},
        new={"is_active": False},
    )
    return membership
