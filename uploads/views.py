"""The portal's bulk upload: send files, watch them go (the page follows a small JSON view, and reads
the same from the database when reloaded), download the report and the Excel template. Every page is
the tenant's through the person's membership (another tenant's upload is a 404); all of it needs the
permission to issue invoices."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from schematron.validation import localized
from tenants.ledger import credits_balance
from tenants.models import Membership
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404
from uploads import reports, sheets
from uploads.forms import UploadForm
from uploads.models import Upload, UploadFile
from uploads.services import DONE, upload_counts, upload_get, uploads_of
from uploads.tasks import upload_start

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 5  # reasons a file shows on the page; the report holds them all


def _uploader(request, identifier: str) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.ISSUE):
        raise PermissionDenied
    return membership


def _upload_or_404(membership: Membership, upload_id: int) -> Upload:
    """The tenant's upload; moving in is for those who configure the tenant, as the page that starts it."""
    upload = upload_get(tenant=membership.tenant, upload_id=upload_id)
    if upload is None:
        raise Http404
    if upload.purpose == Upload.Purpose.MOVE_IN and not membership.can(Permission.CONFIGURE):
        raise PermissionDenied
    return upload


def _context(request, membership: Membership, **extra) -> dict:
    return {"membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user), **extra}


@login_required
def uploads_page(request, identifier: str):
    membership = _uploader(request, identifier)
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                upload = upload_start(tenant=membership.tenant, user=request.user,
                                      sources=[(file.name, file.read()) for file in form.cleaned_data["files"]])
            except DomainError as exc:
                form.add_error("files", str(exc))
            else:
                return redirect("portal:upload", identifier, upload.id)
    uploads = list(uploads_of(tenant=membership.tenant).select_related("uploaded_by")[:20])
    for upload in uploads:
        upload.counts = upload_counts(upload)
    empty = membership.tenant.efatura_registered and credits_balance(tenant=membership.tenant) < 1
    return render(request, "portal/uploads/list.html", _context(request, membership, form=form, uploads=uploads, credits_empty=empty))


@login_required
def upload_page(request, identifier: str, upload_id: int):
    membership = _uploader(request, identifier)
    upload = _upload_or_404(membership, upload_id)
    files = list(UploadFile.objects.filter(upload=upload).order_by("position").defer("data", "payload").select_related("invoice"))
    for file in files:
        file.reasons = [_shown(error) for error in file.errors[:SHOWN_ERRORS]]
    return render(request, "portal/uploads/detail.html", _context(request, membership, upload=upload, files=files,
                                                                   status=_status(upload), moving_in=upload.purpose == Upload.Purpose.MOVE_IN))


def _shown(error: dict) -> dict:
    return {"rule": error.get("rule", ""), "xpath": error.get("xpath") or "", "line": error.get("line"), "message": localized(error)}


def _status(upload: Upload) -> dict:
    counts = upload_counts(upload)
    done = sum(counts[state] for state in DONE)
    return {"id": upload.id, "state": upload.state, "label": upload.get_state_display(), "total": upload.total, "done": done,
            "percent": done * 100 // upload.total if upload.total else 100, "counts": counts}


@login_required
def upload_status(request, identifier: str, upload_id: int):
    """The upload's progress, and each file's state, for the page to follow."""
    upload = _upload_or_404(_uploader(request, identifier), upload_id)
    labels, moving_in = dict(UploadFile.State.choices), upload.purpose == Upload.Purpose.MOVE_IN
    files = UploadFile.objects.filter(upload=upload).order_by("position").values_list("id", "state", "duplicate", "number")
    return JsonResponse({**_status(upload), "files": [
        {"id": id_, "state": state, "label": str((_("already here") if moving_in else _("duplicate")) if duplicate else labels[state]),
         "number": number}
        for id_, state, duplicate, number in files]})


@login_required
def upload_report(request, identifier: str, upload_id: int, form: str):
    upload = _upload_or_404(_uploader(request, identifier), upload_id)
    body, media_type = (reports.as_xlsx(upload), XLSX) if form == "xlsx" else (reports.as_csv(upload), "text/csv; charset=utf-8")
    response = HttpResponse(body, content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(True, f"upload-{upload.id}.{form}")
    return response


@login_required
def upload_template(request, identifier: str):
    _uploader(request, identifier)
    response = HttpResponse(sheets.template(today=timezone.localdate()), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "toplu-fatura.xlsx")
    return response
