"""Client files: the person, their consents, coaches and documents."""

from __future__ import annotations

import datetime
import unicodedata
from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from opstap.core import crypto
from opstap.core.identifiers import format_national_number, mask_national_number
from opstap.core.models import Organisation

from .choices import (
    LANGUAGE_CHOICES,
    ConsentPurpose,
    DocumentKind,
    Education,
    Gender,
    Household,
    IncomeSource,
    LabourStatus,
    LegalBasis,
    ResidenceStatus,
)
from .querysets import ClientQuerySet, ConsentQuerySet, DocumentQuerySet

# Letters that Unicode does not decompose into a base letter plus an accent.
UNDECOMPOSABLE = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ħ": "h",
    }
)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise_for_search(text: str) -> str:
    """Lower case without accents, so 'Çelik' is found by 'celik' and 'Yılmaz' by 'yilmaz'.

    Accents go first, so that a letter like 'ǽ' has become 'æ' before the table folds it.
    """
    return _strip_accents(_strip_accents(text or "").lower().translate(UNDECOMPOSABLE)).strip()


class Client(models.Model):
    """A person on a route to self-employment, as one organisation knows them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clients")
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    # Empty only for a lead noted at an outreach action; the client form requires it.
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNKNOWN
    )

    # Stored encrypted; the keyed hash finds a number without decrypting every file, and
    # the last digits let lists show a masked number without decrypting at all.
    national_number_encrypted = models.TextField(blank=True, default="")
    national_number_hash = models.CharField(max_length=64, blank=True, default="")
    national_number_last_digits = models.CharField(max_length=3, blank=True, default="")
    national_number_country = models.CharField(max_length=2, blank=True, default="")

    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)

    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    household = models.CharField(
        _("household"), max_length=16, choices=Household.choices, blank=True
    )
    children_ages = models.JSONField(_("ages of the children"), default=list, blank=True)

    income_source = models.CharField(
        _("income at entry"), max_length=32, choices=IncomeSource.choices, blank=True
    )
    income_monthly = models.DecimalField(
        _("monthly income at entry"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    labour_status = models.CharField(
        _("labour-market status at entry"), max_length=32, choices=LabourStatus.choices, blank=True
    )
    education = models.PositiveSmallIntegerField(
        _("highest education (ISCED)"), choices=Education.choices, null=True, blank=True
    )
    residence_status = models.CharField(
        _("residence status"), max_length=32, choices=ResidenceStatus.choices, blank=True
    )
    iban_encrypted = models.TextField(blank=True, default="")

    # Special-category data (GDPR art. 9): only with a recorded consent for that purpose.
    has_disability = models.BooleanField(_("has a disability"), null=True, blank=True)
    minority_background = models.BooleanField(
        _("minority background (including marginalised communities)"), null=True, blank=True
    )

    # Restriction of processing (GDPR art. 18): the file is kept but read-only and left out
    # of lists until the restriction is lifted (docs/privacy.md).
    processing_restricted = models.BooleanField(_("processing restricted"), default=False)

    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advised_clients",
        verbose_name=_("adviser"),
    )
    search_name = models.CharField(max_length=220, editable=False, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_name", "national_number_hash"])
    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            models.Index(
                fields=["organisation", "last_name", "first_name"], name="client_org_name"
            ),
            models.Index(fields=["organisation", "search_name"], name="client_org_search"),
            models.Index(fields=["organisation", "birth_date"], name="client_org_birth"),
            # Two-column indexes, so the planner prefers them over (organisation, name) when
            # a search gives a number or a postcode (SQLite picks the first index otherwise).
            models.Index(fields=["organisation", "national_number_hash"], name="client_org_number"),
            models.Index(fields=["organisation", "postcode"], name="client_org_postcode"),
            # The adviser's dashboard: their clients, most recently changed first.
            models.Index(
                fields=["organisation", "adviser", "-updated_at"], name="client_org_adviser"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "national_number_hash"],
                condition=~models.Q(national_number_hash=""),
                name="client_national_number_unique_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = normalise_for_search(f"{self.first_name} {self.last_name}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"first_name", "last_name"} & set(update_fields)):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    # National number -----------------------------------------------------------------
    @property
    def national_number(self) -> str:
        return crypto.decrypt(self.national_number_encrypted)

    def set_national_number(self, compact: str, country: str) -> None:
        self.national_number_encrypted = crypto.encrypt(compact)
        self.national_number_hash = crypto.lookup_hash(compact)
        self.national_number_last_digits = compact[-3:] if compact else ""
        self.national_number_country = country if compact else ""

    @property
    def national_number_display(self) -> str:
        compact = self.national_number
        return format_national_number(compact, self.national_number_country) if compact else ""

    @property
    def national_number_masked(self) -> str:
        if not self.national_number_last_digits:
            return ""
        length = 11 if self.national_number_country == "BE" else 9
        return mask_national_number("0" * (length - 3) + self.national_number_last_digits)

    @property
    def iban(self) -> str:
        return crypto.decrypt(self.iban_encrypted)

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @property
    def language_labels(self) -> list[str]:
        names = dict(LANGUAGE_CHOICES)
        return [str(names.get(code, code)) for code in self.languages or []]

    @property
    def preferred_language_label(self) -> str:
        return str(dict(LANGUAGE_CHOICES).get(self.preferred_language, self.preferred_language))

    @property
    def number_of_children(self) -> int:
        return len(self.children_ages or [])


class ClientCoach(models.Model):
    """A volunteer coach (or other staff) assigned to a client; volunteers see only these."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="coach_assignments")
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coached_clients"
    )
    assigned_on = models.DateField(_("assigned on"), default=datetime.date.today)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "coach"], name="one_assignment")]

    def __str__(self) -> str:
        return f"{self.coach} → {self.client}"


class Consent(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner organisation"),
    )
    legal_basis = models.CharField(
        _("legal basis"), max_length=32, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    text_version = models.CharField(_("version of the text shown"), max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-id"]
        indexes = [
            # "Which clients lack an active consent for X" is asked on every dashboard.
            models.Index(
                fields=["client", "purpose"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="consent_active",
            )
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        label = self.get_purpose_display()
        return f"{label} ({self.partner})" if self.partner_id else str(label)

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


def document_path(instance: ClientDocument, filename: str) -> str:
    # Random names: the original name (which may hold a person's name) stays in the database.
    suffix = PurePath(filename).suffix.lower()
    return f"clients/{instance.client.organisation_id}/{uuid4().hex}{suffix}"


class ClientDocument(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name
