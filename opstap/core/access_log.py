"""Every read of a client's personal data leaves one FileAccess row, written in one place.

The access doors (`get_client_for_user`, `get_loan_for_user`, `get_plan_for_user`, …) call
`log_read` with the client whose data they hand out; an export or a search by national number
calls `log_reads` with the clients it shows. `FileAccessMiddleware` writes the rows once the
page has been answered (2xx, or 422: a refused form shown again on its page), naming the page
by its URL name — so a new view that fetches its object through a door is logged without a
line of its own, and a refused request (403/404) or a failed form that only redirects leaves
no row. Outside a request (commands, tasks) nothing is collected: those paths are audited by
their services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .models import FileAccess

# How the access log names the pages that read a file most often; any other page appears
# under its URL name, which still says where the file was opened.
PAGE_LABELS = {
    "clients:detail": _("Client file opened"),
    "clients:edit": _("Client file opened for editing"),
    "clients:national_number": _("Full national number shown"),
    "clients:list": _("Found by national number"),
    "coaching:client": _("Coaching page opened"),
    "journeys:trajectory": _("Route opened"),
    "lending:detail": _("Loan opened"),
    "lending:application_detail": _("Loan application opened"),
    "lending:export": _("Loans exported"),
    "plans:detail": _("Business plan opened"),
    "plans:summary": _("Business plan summary opened"),
    "plans:financial": _("Financial plan opened"),
    "referrals:detail": _("Referral opened"),
    "privacy:export_download": _("Data export downloaded"),
}

# client id → (the client's organisation id, an explicit purpose or None for the page name)
_READS: ContextVar[dict[int, tuple[int | None, str | None]] | None] = ContextVar(
    "opstap_file_reads", default=None
)


def log_read(client: Any, *, purpose: str | None = None) -> None:
    """Note that this request shows `client`'s data (a Client, or anything with client_id and
    organisation_id, such as a loan or a plan)."""
    reads = _READS.get()
    if reads is None:
        return
    client_id = client.pk if client._meta.label_lower == "clients.client" else client.client_id
    known = reads.get(client_id)
    organisation_id = getattr(client, "organisation_id", None)
    reads[client_id] = (organisation_id, purpose or (known[1] if known else None))


def log_reads(clients: Iterable[Any], *, purpose: str | None = None) -> None:
    for client in clients:
        log_read(client, purpose=purpose)


class FileAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _READS.set({})
        try:
            response = self.get_response(request)
            reads = _READS.get()
            # 422: a refused form shown again with the page around it shows the file as the
            # page itself does (issue 9), so it is a read too.
            shown = 200 <= response.status_code < 300 or response.status_code == 422
            if reads and shown and request.user.is_authenticated:
                self._write(request, reads)
        finally:
            _READS.reset(token)
        return response

    @staticmethod
    def _write(request: HttpRequest, reads: dict[int, tuple[int | None, str | None]]) -> None:
        match = request.resolver_match
        page = match.view_name if match else request.path
        membership = getattr(request, "membership", None)
        # FileAccess's bulk_create chains the rows (hashes computed in Python under the chain
        # head's lock, then inserted) in its own transaction: this runs after the view's.
        FileAccess.objects.bulk_create(
            FileAccess(
                user=request.user,
                # The reader's organisation: a partner opening a shared file is logged in its
                # own organisation's access log, not in the one that holds the file.
                organisation_id=membership.organisation_id if membership else organisation_id,
                client_id=client_id,
                purpose=(purpose or page)[:100],
            )
            for client_id, (organisation_id, purpose) in reads.items()
            if membership or organisation_id
        )
