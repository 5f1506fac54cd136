"""Organisations (the tenants), the people who work in them, and the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role, capabilities_of


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in: staff, volunteers, partners, auditors. Logs in by e-mail."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Organisation(models.Model):
    class Kind(models.TextChoices):
        MICROFINANCE = "microfinance", _("Microfinance institution")
        MUNICIPALITY = "municipality", _("Municipality")
        NGO = "ngo", _("NGO")
        EMPLOYMENT_AGENCY = "employment_agency", _("Employment agency")
        WELFARE_OFFICE = "welfare_office", _("Welfare office (OCMW/CPAS)")
        CHAMBER_OF_COMMERCE = "chamber_of_commerce", _("Chamber of commerce")
        OTHER = "other", _("Other")

    class Country(models.TextChoices):
        BE = "BE", _("Belgium")
        NL = "NL", _("Netherlands")

    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    enterprise_number = models.CharField(
        _("enterprise number"),
        max_length=20,
        blank=True,
        help_text=_("KBO/BCE number in Belgium, KvK number in the Netherlands."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)

    def with_roles(self) -> MembershipQuerySet:
        return self.prefetch_related("role_grants")


class Membership(models.Model):
    """A user working in an organisation, holding one or more roles there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    @property
    def roles(self) -> frozenset[str]:
        # Reads the prefetched grants when present, so lists of members stay one query.
        return frozenset(grant.role for grant in self.role_grants.all())

    @property
    def capabilities(self) -> frozenset[str]:
        if not hasattr(self, "_capabilities"):
            self._capabilities = capabilities_of(self.roles)
        return self._capabilities

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in sorted(self.roles)]


class MembershipRole(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="one_grant_per_role")
        ]

    def __str__(self) -> str:
        return self.role


ACTION_LABELS = {
    "organisation.create": _("Organisation created"),
    "member.add": _("Member added"),
    "member.set_roles": _("Roles changed"),
    "member.deactivate": _("Member deactivated"),
    "client.create": _("Client file created"),
    "client.update": _("Client file changed"),
    "client.coach_assign": _("Coach assigned"),
    "client.coach_unassign": _("Coach unassigned"),
    "client.erase_special_category": _("Special-category data erased"),
    "consent.record": _("Consent recorded"),
    "consent.withdraw": _("Consent withdrawn"),
    "document.add": _("Document added"),
    "programme.create": _("Programme created"),
    "programme.update": _("Programme changed"),
    "trajectory.open": _("Route opened"),
    "trajectory.move": _("Route phase changed"),
    "checkin.record": _("Aftercare check-in recorded"),
    "route_type.adapt": _("Route type adapted"),
    "route_type.update": _("Route type changed"),
    "trajectory.link_programmes": _("Route counted in a programme"),
    "performance_target.create": _("Performance target set"),
    "audit.review_export": _("Audit review exported"),
}


CHANGE_NOTES = {
    "duplicate_override_reason": _("reason for overriding a possible duplicate"),
    "possible_duplicates": _("possible duplicates (client numbers)"),
    "roles": _("roles"),
    "coach": _("coach"),
    "email": _("e-mail address"),
    "national_number": _("national number"),
    "iban": _("IBAN"),
    "partner": _("partner organisation"),
    "purpose": _("purpose"),
}


def _readable(value: object, choices: dict[str, object]) -> object:
    if isinstance(value, list):
        return ", ".join(str(_readable(v, choices)) for v in value)
    if value is not None and str(value) in choices:
        return choices[str(value)]
    return value


# What a change or a note names beside a model's own fields: per object type, a key's
# label and its choices (a plan's events note its version's status, section and verdict).
CHANGE_FIELDS: dict[tuple[str, str], tuple[object, Any]] = {}


def register_change_fields(object_type: str, fields: dict[str, tuple[object, Any]]) -> None:
    """Labels (and choices, or None) for the keys an app's audit events carry that are not
    fields of the object's model; apps call this in AppConfig.ready."""
    for key, described in fields.items():
        CHANGE_FIELDS[(object_type, key)] = described


def register_action_labels(labels: dict[str, object]) -> None:
    """Readable names for an app's audit actions (apps call this in AppConfig.ready)."""
    for action, label in labels.items():
        ACTION_LABELS.setdefault(action, label)


class AppendOnlyError(RuntimeError):
    """An audit or access-log row was about to be changed or removed: the logs are evidence."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are added (one by one or in bulk, always chained), never changed or removed."""

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        from .audit import chain_rows

        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            chain_rows(self.model, objs, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be changed")

    def delete(self):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be deleted")

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class ChainedLogRow(models.Model):
    """A row of a hash-chained, append-only log (see opstap.core.audit, "The chain").

    `row_hash` is the SHA-256 of the row's content and `previous_hash`, the hash of the row
    before it in the same organisation's log; a changed, removed or inserted row breaks every
    link after it, which `opstap audit verify` names.
    """

    # "events" or "accesses": the name of the chain this model's rows belong to.
    CHAIN_LOG = ""
    # The columns (attnames) whose values the hash covers, in the canonical JSON.
    CHAIN_FIELDS: tuple[str, ...] = ()
    TIME_FIELD = ""

    previous_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows cannot be changed")
        from .audit import chain_rows

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            chain_rows(type(self), [self], using=using)
            super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{self._meta.label} rows cannot be deleted")

    delete.alters_data = True  # type: ignore[attr-defined]


class AuditChainHead(models.Model):
    """The last link of one organisation's log: writers lock this row (SELECT … FOR UPDATE),
    so two transactions never chain onto the same previous row; `length` and `last_hash` let
    the verification notice rows cut off at the end."""

    class Log(models.TextChoices):
        EVENTS = "events", _("audit events")
        ACCESSES = "accesses", _("file accesses")

    # "<log>:<organisation id>" ("events:0" for events without an organisation): a plain key,
    # because a unique constraint over a nullable organisation would allow two heads.
    chain = models.CharField(max_length=40, primary_key=True)
    log = models.CharField(max_length=16, choices=Log.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return self.chain


class AuditEvent(ChainedLogRow):
    """Who changed what, written by the service that made the change, in its transaction."""

    CHAIN_LOG = "events"
    CHAIN_FIELDS = (
        "organisation_id",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "client_id",
        "changes",
        "created_at",
    )
    TIME_FIELD = "created_at"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    # Lets an admin filter the log by client without decoding object types. No database
    # constraint and no cascade: erasing a client must leave the audit rows, and their
    # client_id, exactly as they were hashed.
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Set when the row is built, not by the database: the hash covers it before the insert.
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def readable_changes(self) -> list[tuple[str, object, object]]:
        """(field label, old, new) in the reader's language: field names become their labels
        and choice codes theirs, for the model's fields and the keys its app registered."""
        from django.apps import apps

        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            model = None
        rows: list[tuple[str, object, object]] = []
        for name, change in self.changes.items():
            if name == "_":
                for key, value in change.items():
                    label, choices = self._described(model, key)
                    rows.append((label, None, _readable(value, choices)))
                continue
            label, choices = self._described(model, name)
            old, new = change
            rows.append((label, _readable(old, choices), _readable(new, choices)))
        return rows

    def _described(self, model: Any, key: str) -> tuple[str, dict[str, object]]:
        from django.core.exceptions import FieldDoesNotExist

        registered = CHANGE_FIELDS.get((self.object_type, key))
        if registered is not None:
            label, choices = registered
            return str(label), {str(k): v for k, v in (choices.choices if choices else [])}
        if model is not None:
            try:
                field = model._meta.get_field(key)
            except FieldDoesNotExist:
                pass
            else:
                return (
                    str(getattr(field, "verbose_name", key)),
                    {str(k): v for k, v in (field.flatchoices or [])},
                )
        return str(CHANGE_NOTES.get(key, key.replace("_", " "))), {}


class FileAccess(ChainedLogRow):
    """One look at a client file: who, which file, when, through which page."""

    CHAIN_LOG = "accesses"
    CHAIN_FIELDS = ("organisation_id", "user_id", "client_id", "purpose", "accessed_at")
    TIME_FIELD = "accessed_at"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="file_accesses")
    # As on AuditEvent: who looked at a file stays on record after the file is erased. Nullable
    # only so that lists join the client with a LEFT JOIN and still show such rows.
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="accesses",
    )

    class Purpose(models.TextChoices):
        CLIENT_DETAIL = "client_detail", _("Client file opened")
        DOCUMENT_DOWNLOAD = "document_download", _("Document downloaded")
        SHARED_FILE = "shared_file", _("Shared file opened by a partner")

    # The URL name of the page that showed the file ("clients:detail", "lending:loan_detail"),
    # or one of the Purpose values for downloads and partner access. No choices: a new page with
    # personal data must not need a migration to be logged.
    purpose = models.CharField(_("page"), max_length=100)
    accessed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-accessed_at"])]
        verbose_name = _("file access")
        verbose_name_plural = _("file accesses")

    def __str__(self) -> str:
        return f"{self.user} → {self.client_id}"

    def get_purpose_display(self) -> str:
        from .access_log import PAGE_LABELS

        labels = {**dict(self.Purpose.choices), **PAGE_LABELS}
        return str(labels.get(self.purpose, self.purpose))
