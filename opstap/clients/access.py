"""The door for detail pages and writes: fetch one object the user may see, or 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.core.access import can
from opstap.core.access_log import log_read
from opstap.core.models import FileAccess, User
from opstap.core.roles import Capability

from .models import Client, ClientDocument, Consent


class ProcessingRestricted(PermissionDenied):
    """A change to a file whose processing is restricted (GDPR art. 18): the 403 page says so."""


def refuse_if_restricted(client: Client) -> None:
    """Every door that hands out an object to change calls this with its client, so no app's
    write can touch a restricted file (the services of clients check it too)."""
    if client.processing_restricted:
        from .services import PROCESSING_RESTRICTED

        raise ProcessingRestricted(PROCESSING_RESTRICTED)


def get_client_for_user(user: User, pk: int, *, write: bool = False) -> Client:
    client = (
        Client.objects.visible_to(user)
        .select_related("organisation", "adviser")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        raise Http404
    if write and not can(user, Capability.EDIT_CLIENTS):
        raise PermissionDenied
    if write:
        refuse_if_restricted(client)
    log_read(client)
    return client


# What a partner organisation sees of a file shared with it (identity, contact, languages):
# never the national number, income, IBAN, documents, special-category data or the audit trail.
SHARED_CLIENT_FIELDS = (
    "id",
    "organisation",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "phone",
    "email",
    "street",
    "postcode",
    "municipality",
    "neighbourhood",
    "languages",
    "preferred_language",
)


def get_shared_client_for_user(user: User, pk: int) -> Client:
    """A client of another organisation whose file is shared with the user's (read-only), or
    404. Loads only SHARED_CLIENT_FIELDS; callers must show nothing else."""
    client = (
        Client.objects.shared_with(user)
        .select_related("organisation")
        .only(*SHARED_CLIENT_FIELDS, "organisation__name")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        raise Http404
    log_read(client, purpose=FileAccess.Purpose.SHARED_FILE)
    return client


def get_consent_for_user(user: User, client_pk: int, pk: int, *, write: bool = False) -> Consent:
    client = get_client_for_user(user, client_pk)
    consent = client.consents.filter(pk=pk).first()
    if consent is None:
        raise Http404
    if write and not can(user, Capability.MANAGE_CONSENT):
        raise PermissionDenied
    consent.client = client
    return consent


def get_document_for_user(user: User, client_pk: int, pk: int) -> ClientDocument:
    client = get_client_for_user(user, client_pk)
    # Documents (ID copies, contracts) are not for volunteers: they coach, they do not vet.
    if not can(user, Capability.MANAGE_DOCUMENTS):
        raise Http404
    document = client.documents.filter(pk=pk).first()
    if document is None:
        raise Http404
    document.client = client
    return document
