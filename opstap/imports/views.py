"""The upload page: choose a kind and a file, see a preview (a dry run), then import it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opstap.core.access import require_visible
from opstap.core.models import Membership

from . import uploads
from .base import ImportResult
from .forms import UploadForm
from .kinds import IMPORTERS
from .readers import FileProblem
from .runner import IMPORT_CAPABILITY, import_file
from .samples import csv_to_xlsx, sample_csv, sample_path

PREVIEW_ROWS = 20


def _membership(request: HttpRequest) -> Membership:
    # Members who may not import do not see the page at all (404, docs/decisions/0001).
    return require_visible(request.user, IMPORT_CAPABILITY)


def _kinds() -> list[dict[str, Any]]:
    return [
        {"kind": kind, "title": importer.title, "has_sample": sample_path(kind) is not None}
        for kind, importer in IMPORTERS.items()
    ]


def _preview(
    request: HttpRequest, result: ImportResult, *, filename: str, token: str | None
) -> HttpResponse:
    labels = result.importer.outcome_labels
    rows = [
        (row, cells, labels.get(row.outcome, "")) for row, cells in result.preview(PREVIEW_ROWS)
    ]
    context = {
        "result": result,
        "title": result.importer.title,
        "filename": filename,
        "token": token,
        "rows": rows,
        "row_count": result.row_count,
        "preview_count": len(rows),
        "errors": result.errors,
    }
    return render(request, "imports/preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    uploads.purge()
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        data = upload.read()
        try:
            result = import_file(
                kind=kind,
                data=data,
                filename=upload.name or "",
                organisation=membership.organisation,
                actor=request.user,
                dry_run=True,
            )
        except FileProblem as problem:
            form.add_error("file", str(problem))
        else:
            token = None
            if not result.errors:
                token = uploads.store(
                    data=data,
                    kind=kind,
                    filename=upload.name or "",
                    user_id=request.user.pk,
                    organisation_id=membership.organisation_id,
                )
            return _preview(request, result, filename=upload.name or "", token=token)
    return render(request, "imports/start.html", {"form": form, "kinds": _kinds()})


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    token = request.POST.get("token", "")
    identity = {"user_id": request.user.pk, "organisation_id": membership.organisation_id}
    try:
        upload = uploads.load(token, **identity)
    except uploads.UploadExpired:
        messages.error(
            request,
            _(
                "The uploaded file is no longer here (it was imported, cancelled or is older than "
                "an hour). Upload it again."
            ),
        )
        return redirect("imports:start")
    try:
        result = import_file(
            kind=upload.kind,
            data=upload.data,
            filename=upload.filename,
            organisation=membership.organisation,
            actor=request.user,
            dry_run=False,
        )
    except FileProblem as problem:  # pragma: no cover - the preview read the same bytes
        messages.error(request, str(problem))
        return redirect("imports:start")
    finally:
        uploads.discard(token, **identity)
    if not result.committed:
        # Something changed since the preview (another import, an edit): nothing was
        # imported, and the page says why.
        return _preview(request, result, filename=upload.filename, token=None)
    messages.success(
        request,
        _("The file %(name)s was imported.") % {"name": upload.filename} + " " + result.summary(),
    )
    return redirect("imports:start")


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    uploads.discard(
        request.POST.get("token", ""),
        user_id=request.user.pk,
        organisation_id=membership.organisation_id,
    )
    messages.info(request, _("The import was cancelled and the uploaded file deleted."))
    return redirect("imports:start")


@login_required
@require_GET
def sample(request: HttpRequest, kind: str, extension: str) -> HttpResponse:
    _membership(request)
    if sample_path(kind) is None or extension not in ("csv", "xlsx"):
        raise Http404
    if extension == "csv":
        content, content_type = sample_csv(kind), "text/csv; charset=utf-8"
    else:
        content = csv_to_xlsx(sample_csv(kind))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="opstap-{kind}.{extension}"'
    return response
