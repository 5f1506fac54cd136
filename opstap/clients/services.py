"""Every change to a client file goes through one of these functions.

Each checks first (raising ValidationError with a field and a stable code), then writes
inside one transaction together with its audit event.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from opstap.core import crypto
from opstap.core.audit import audit_record
from opstap.core.identifiers import validate_iban, validate_national_number, validate_postcode
from opstap.core.models import Organisation, User

from .choices import ConsentPurpose, LegalBasis
from .documents import check_upload
from .models import Client, ClientCoach, ClientDocument, Consent

BIRTH_DATE_FUTURE = _("The birth date cannot be in the future.")
BIRTH_DATE_TOO_OLD = _("A birth date more than 120 years ago is not plausible.")
CHILD_AGES_INVALID = _("Give each child's age as a whole number from 0 to 30, separated by commas.")
CHILD_AGES_HOUSEHOLD = _("Children can only be given for a single parent or a couple.")
INCOME_NEGATIVE = _("The monthly income cannot be negative.")
INCOME_WITHOUT_SOURCE = _("Say where the monthly income comes from.")
DUPLICATE_NATIONAL_NUMBER = _(
    "A client with this national number already exists in your organisation: %(link)s"
)
POSSIBLE_DUPLICATE = _(
    "A client with the same name and birth date exists: %(links)s. "
    "If this is a different person, give a reason to create the file anyway."
)
SPECIAL_CATEGORY_WITHOUT_CONSENT = _(
    "Special-category data can only be recorded with the client's consent for that purpose. "
    "Record the consent first."
)
PREFERRED_LANGUAGE_NOT_SPOKEN = _("The preferred language must be one of the languages spoken.")
PARTNER_REQUIRED = _("Choose the partner organisation this consent is for.")
PARTNER_NOT_ALLOWED = _(
    "A partner organisation only belongs to a consent for sharing with a partner."
)
PARTNER_IS_SELF = _("Your own organisation is not a partner.")
CONSENT_DATE_FUTURE = _("A consent cannot be given on a date in the future.")
CONSENT_ALREADY_WITHDRAWN = _("This consent was already withdrawn.")
CONSENT_DUPLICATE = _("An active consent for this purpose already exists.")
COACH_NOT_MEMBER = _("This person is not an active member of your organisation.")
ADVISER_NOT_MEMBER = _("The adviser must be an active member of your organisation.")
PROCESSING_RESTRICTED = _(
    "Processing of this file is restricted: it can be read and exported, not changed. "
    "Lift the restriction first."
)

SPECIAL_CATEGORY_FIELDS = ("has_disability", "minority_background")
AUDITED_FIELDS = (
    "external_reference",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "national_number",
    "phone",
    "email",
    "street",
    "postcode",
    "municipality",
    "neighbourhood",
    "languages",
    "preferred_language",
    "household",
    "children_ages",
    "income_source",
    "income_monthly",
    "labour_status",
    "education",
    "residence_status",
    "iban",
    "has_disability",
    "minority_background",
    "adviser",
)


def _snapshot(client: Client) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in AUDITED_FIELDS:
        if name == "national_number":
            values[name] = client.national_number_hash
        elif name == "iban":
            values[name] = client.iban_encrypted and crypto.decrypt(client.iban_encrypted)
        elif name == "adviser":
            values[name] = client.adviser_id
        else:
            values[name] = getattr(client, name)
    return values


def ensure_processing_allowed(client: Client) -> None:
    """Refuse a change to a file whose processing is restricted (GDPR art. 18)."""
    if client.processing_restricted:
        raise ValidationError(PROCESSING_RESTRICTED, code="processing_restricted")


def has_active_consent(client: Client, purpose: str, partner: Organisation | None = None) -> bool:
    if client.pk is None:
        return False
    consents = client.consents.active().for_purpose(purpose)
    if partner is not None:
        consents = consents.filter(partner=partner)
    return consents.exists()


def clean_client_data(
    *, organisation: Organisation, data: dict[str, Any], client: Client | None = None
) -> dict[str, Any]:
    """Validate and normalise client fields; raises one ValidationError naming every bad field.

    Used by the form (so errors show beside their fields) and again by the services (so a
    command or an import cannot bypass it).
    """
    errors: dict[str, list[ValidationError]] = {}
    cleaned = dict(data)

    def fail(field: str, error: ValidationError) -> None:
        errors.setdefault(field, []).append(error)

    birth_date = data.get("birth_date")
    if isinstance(birth_date, datetime.date):
        today = timezone.localdate()
        if birth_date > today:
            fail("birth_date", ValidationError(BIRTH_DATE_FUTURE, code="birth_date_future"))
        elif birth_date < today.replace(year=today.year - 120):
            fail("birth_date", ValidationError(BIRTH_DATE_TOO_OLD, code="birth_date_too_old"))

    # Fields a role may not see are left out of `data` and so stay as they are.
    number = (data.get("national_number") or "").strip()
    if number:
        try:
            cleaned["national_number"] = validate_national_number(number, organisation.country)
        except ValidationError as exc:
            fail("national_number", exc)
    elif "national_number" in data:
        cleaned["national_number"] = ""

    postcode = (data.get("postcode") or "").strip()
    if postcode:
        try:
            cleaned["postcode"] = validate_postcode(postcode, organisation.country)
        except ValidationError as exc:
            fail("postcode", exc)

    iban = (data.get("iban") or "").strip()
    if iban:
        try:
            cleaned["iban"] = validate_iban(iban)
        except ValidationError as exc:
            fail("iban", exc)
    elif "iban" in data:
        cleaned["iban"] = ""

    ages = data.get("children_ages") or []
    if any(not isinstance(a, int) or isinstance(a, bool) or a < 0 or a > 30 for a in ages):
        fail("children_ages", ValidationError(CHILD_AGES_INVALID, code="children_ages"))
    elif ages and data.get("household") not in ("single_parent", "couple"):
        fail("children_ages", ValidationError(CHILD_AGES_HOUSEHOLD, code="children_household"))

    income = data.get("income_monthly")
    if income is not None:
        if Decimal(income) < 0:
            fail("income_monthly", ValidationError(INCOME_NEGATIVE, code="income_negative"))
        elif not data.get("income_source"):
            fail("income_source", ValidationError(INCOME_WITHOUT_SOURCE, code="income_source"))

    languages = data.get("languages") or []
    preferred = data.get("preferred_language") or ""
    if preferred and languages and preferred not in languages:
        fail(
            "preferred_language",
            ValidationError(PREFERRED_LANGUAGE_NOT_SPOKEN, code="preferred_language"),
        )

    special = [f for f in SPECIAL_CATEGORY_FIELDS if data.get(f) is not None]
    if special and not (client and has_active_consent(client, ConsentPurpose.SPECIAL_CATEGORY)):
        for field in special:
            fail(
                field,
                ValidationError(SPECIAL_CATEGORY_WITHOUT_CONSENT, code="special_category_consent"),
            )

    adviser = data.get("adviser")
    if (
        adviser is not None
        and not adviser.memberships.active().filter(organisation=organisation).exists()
    ):
        fail("adviser", ValidationError(ADVISER_NOT_MEMBER, code="adviser_not_member"))

    if errors:
        raise ValidationError(errors)
    return cleaned


def _client_link(client: Client) -> str:
    return format_html(
        '<a href="{}">{}</a>', reverse("clients:detail", args=[client.pk]), client.full_name
    )


def find_duplicates(
    *, organisation: Organisation, data: dict[str, Any], exclude: Client | None = None
) -> tuple[Client | None, list[Client]]:
    """(same national number, [same name and birth date]) within the organisation."""
    clients = Client.objects.filter(organisation=organisation)
    if exclude is not None:
        clients = clients.exclude(pk=exclude.pk)
    same_number = None
    if data.get("national_number"):
        same_number = clients.filter(
            national_number_hash=crypto.lookup_hash(data["national_number"])
        ).first()
    from .models import normalise_for_search

    same_person = list(
        clients.filter(
            search_name=normalise_for_search(
                f"{data.get('first_name', '')} {data.get('last_name', '')}"
            ),
            birth_date=data.get("birth_date"),
        )[:5]
    )
    return same_number, same_person


def _check_duplicates(
    *,
    organisation: Organisation,
    data: dict[str, Any],
    exclude: Client | None,
    override_reason: str,
) -> list[Client]:
    same_number, same_person = find_duplicates(
        organisation=organisation, data=data, exclude=exclude
    )
    if same_number is not None:
        raise ValidationError(
            {
                "national_number": ValidationError(
                    _with_links(DUPLICATE_NATIONAL_NUMBER, link=_client_link(same_number)),
                    code="duplicate_national_number",
                )
            }
        )
    if same_person and not override_reason.strip():
        links = format_html_join(", ", "{}", ((_client_link(c),) for c in same_person))
        raise ValidationError(
            {
                "__all__": ValidationError(
                    _with_links(POSSIBLE_DUPLICATE, links=links), code="possible_duplicate"
                )
            }
        )
    return same_person


def _with_links(message: str, **links: str) -> SafeString:
    """The translated message with links to other files; the links are already escaped."""
    return mark_safe(conditional_escape(message) % links)  # noqa: S308


def _apply(client: Client, data: dict[str, Any], organisation: Organisation) -> None:
    for name, value in data.items():
        if name == "national_number":
            client.set_national_number(value, organisation.country)
        elif name == "iban":
            client.iban_encrypted = crypto.encrypt(value)
        elif name in AUDITED_FIELDS:
            setattr(client, name, value)


@transaction.atomic
def client_create(
    *,
    actor: User,
    organisation: Organisation,
    data: dict[str, Any],
    duplicate_override_reason: str = "",
) -> Client:
    cleaned = clean_client_data(organisation=organisation, data=data)
    overridden = _check_duplicates(
        organisation=organisation,
        data=cleaned,
        exclude=None,
        override_reason=duplicate_override_reason,
    )
    client = Client(organisation=organisation)
    _apply(client, cleaned, organisation)
    try:
        # A savepoint, so a lost race on the unique national number leaves the outer
        # transaction usable and the person gets the same message as without the race.
        with transaction.atomic():
            client.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "national_number": ValidationError(
                    DUPLICATE_NATIONAL_NUMBER, code="duplicate_national_number", params={"link": ""}
                )
            }
        ) from exc
    extra = None
    if overridden:
        extra = {
            "duplicate_override_reason": duplicate_override_reason.strip(),
            "possible_duplicates": [c.pk for c in overridden],
        }
    audit_record(
        actor=actor,
        organisation=organisation,
        action="client.create",
        obj=client,
        client=client,
        new=_snapshot(client),
        extra=extra,
    )
    return client


@transaction.atomic
def client_update(
    *, actor: User, client: Client, data: dict[str, Any], duplicate_override_reason: str = ""
) -> Client:
    ensure_processing_allowed(client)
    organisation = client.organisation
    cleaned = clean_client_data(organisation=organisation, data=data, client=client)
    merged_identity = {
        "first_name": cleaned.get("first_name", client.first_name),
        "last_name": cleaned.get("last_name", client.last_name),
        "birth_date": cleaned.get("birth_date", client.birth_date),
    }
    number_changed = "national_number" in cleaned and (
        crypto.lookup_hash(cleaned["national_number"]) != client.national_number_hash
    )
    if number_changed:
        merged_identity["national_number"] = cleaned["national_number"]
    identity_changed = number_changed or (
        merged_identity["first_name"] != client.first_name
        or merged_identity["last_name"] != client.last_name
        or merged_identity["birth_date"] != client.birth_date
    )
    overridden: list[Client] = []
    if identity_changed:
        overridden = _check_duplicates(
            organisation=organisation,
            data=merged_identity,
            exclude=client,
            override_reason=duplicate_override_reason,
        )
    before = _snapshot(client)
    _apply(client, cleaned, organisation)
    client.save()
    extra = {"duplicate_override_reason": duplicate_override_reason.strip()} if overridden else None
    audit_record(
        actor=actor,
        organisation=organisation,
        action="client.update",
        obj=client,
        client=client,
        old=before,
        new=_snapshot(client),
        extra=extra,
    )
    return client


@transaction.atomic
def coach_assign(
    *, actor: User, client: Client, coach: User, on: datetime.date | None = None
) -> ClientCoach:
    ensure_processing_allowed(client)
    if not coach.memberships.active().filter(organisation=client.organisation).exists():
        raise ValidationError({"coach": ValidationError(COACH_NOT_MEMBER, code="coach_not_member")})
    assignment, created = ClientCoach.objects.get_or_create(
        client=client,
        coach=coach,
        defaults={"assigned_by": actor, "assigned_on": on or timezone.localdate()},
    )
    if created:
        audit_record(
            actor=actor,
            organisation=client.organisation,
            action="client.coach_assign",
            obj=assignment,
            client=client,
            new={"coach": str(coach)},
        )
    return assignment


@transaction.atomic
def coach_unassign(*, actor: User, assignment: ClientCoach) -> None:
    client = assignment.client
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="client.coach_unassign",
        obj=assignment,
        client=client,
        old={"coach": str(assignment.coach)},
    )
    assignment.delete()


@transaction.atomic
def consent_record(
    *,
    actor: User,
    client: Client,
    purpose: str,
    given_on: datetime.date,
    text_version: str,
    legal_basis: str = LegalBasis.CONSENT,
    partner: Organisation | None = None,
) -> Consent:
    ensure_processing_allowed(client)
    errors: dict[str, ValidationError] = {}
    if given_on > timezone.localdate():
        errors["given_on"] = ValidationError(CONSENT_DATE_FUTURE, code="consent_date_future")
    if purpose == ConsentPurpose.PARTNER_SHARING:
        if partner is None:
            errors["partner"] = ValidationError(PARTNER_REQUIRED, code="partner_required")
        elif partner.pk == client.organisation_id:
            errors["partner"] = ValidationError(PARTNER_IS_SELF, code="partner_is_self")
    elif partner is not None:
        errors["partner"] = ValidationError(PARTNER_NOT_ALLOWED, code="partner_not_allowed")
    if not errors and has_active_consent(client, purpose, partner):
        errors["purpose"] = ValidationError(CONSENT_DUPLICATE, code="consent_duplicate")
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        client=client,
        purpose=purpose,
        partner=partner,
        legal_basis=legal_basis,
        given_on=given_on,
        text_version=text_version,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="consent.record",
        obj=consent,
        client=client,
        new={
            "purpose": purpose,
            "partner": partner,
            "legal_basis": legal_basis,
            "given_on": given_on,
            "text_version": text_version,
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent: Consent, on: datetime.date | None = None) -> Consent:
    """Withdraw at once; withdrawing special-category consent erases that data too."""
    # Conditional update: of two clicks racing, exactly one withdraws.
    on = on or timezone.localdate()
    claimed = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=on, withdrawn_by=actor
    )
    if not claimed:
        raise ValidationError(CONSENT_ALREADY_WITHDRAWN, code="consent_already_withdrawn")
    consent.refresh_from_db()
    client = consent.client
    audit_record(
        actor=actor,
        organisation=client.organisation,
        action="consent.withdraw",
        obj=consent,
        client=client,
        old={"withdrawn_on": None},
        new={"withdrawn_on": on},
    )
    if consent.purpose == ConsentPurpose.SPECIAL_CATEGORY and not has_active_consent(
        client, ConsentPurpose.SPECIAL_CATEGORY
    ):
        before = {f: getattr(client, f) for f in SPECIAL_CATEGORY_FIELDS}
        if any(v is not None for v in before.values()):
            for field in SPECIAL_CATEGORY_FIELDS:
                setattr(client, field, None)
            client.save(update_fields=[*SPECIAL_CATEGORY_FIELDS, "updated_at"])
            # Earlier versions of the file hold the same data: erased means erased there too.
            Client.history.filter(id=client.pk).update(**dict.fromkeys(SPECIAL_CATEGORY_FIELDS))
            audit_record(
                actor=actor,
                organisation=client.organisation,
                action="client.erase_special_category",
                obj=client,
                client=client,
                old=before,
                new=dict.fromkeys(SPECIAL_CATEGORY_FIELDS),
            )
    return consent


def document_add(*, actor: User, client: Client, kind: str, upload: UploadedFile) -> ClientDocument:
    """Store the file, then write its row and audit event; if those fail, remove the file.

    The file is written outside the transaction (storage cannot roll back), so this service
    is its own transaction boundary: a caller's outer transaction that rolls back later would
    leave the file behind.
    """
    ensure_processing_allowed(client)
    content_type = check_upload(upload)
    document = ClientDocument(
        client=client,
        kind=kind,
        original_name=(upload.name or "document")[:200],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=actor,
    )
    document.file.save(upload.name or "document", upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            audit_record(
                actor=actor,
                organisation=client.organisation,
                action="document.add",
                obj=document,
                client=client,
                new={"kind": kind, "original_name": document.original_name, "size": document.size},
            )
    except BaseException:
        document.file.delete(save=False)
        raise
    return document
