"""The portal's exports: ask for a period, or for the XML and PDFs of the invoices of a list; watch
it build, download it. Every page is the tenant's through the person's membership (another tenant's
export is a 404); a period's hand-over needs the export permission, a list's invoices only seeing them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from archive.models import Event
from exports.apis import audit, zip_response
from exports.forms import DownloadForm, ExportForm
from exports.models import Export
from exports.services import export_get, exports_of
from exports.tasks import export_ask
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.portal_forms import IncomingFilter, OutgoingFilter
from invoices.selectors import profiles_of
from tenants.models import Membership
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def _member(request, identifier: str, permission: str = Permission.VIEW) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(permission):
        raise PermissionDenied
    return membership


def _export_or_404(membership: Membership, export_id: int) -> Export:
    export = export_get(tenant=membership.tenant, export_id=export_id)
    if export is None:
        raise Http404
    return export


@login_required
def exports_page(request, identifier: str):
    """The exports and downloads asked for; a period's hand-over needs the export permission."""
    membership = _member(request, identifier)
    may_export = membership.can(Permission.EXPORT)
    form = ExportForm.last_month(timezone.localdate())
    if request.method == "POST":
        if not may_export:
            raise PermissionDenied
        form = ExportForm(request.POST)
        if form.is_valid():
            try:
                export = export_ask(tenant=membership.tenant, via="portal", user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                audit(request, export, Event.Action.EXPORTED)
                messages.success(request, _("The export is being built; it can be downloaded here when ready."))
                return redirect("portal:exports", identifier)
    exports = exports_of(tenant=membership.tenant).select_related("requested_by")[:50]
    return render(request, "portal/exports/list.html", {
        "membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user),
        "form": form if may_export else None, "exports": [(export, _may_download(membership, export)) for export in exports],
        "building": [e.id for e in exports if e.state in (Export.State.QUEUED, Export.State.BUILDING)],
    })


def _may_download(membership: Membership, export: Export) -> bool:
    """A period's hand-over (signed documents, answers, envelopes) is the exporter's; invoices' XML and PDFs anyone's who sees them."""
    return membership.can(Permission.EXPORT if export.contents == Export.Contents.ARCHIVE else Permission.VIEW)


@require_POST
@login_required
def list_download(request, identifier: str):
    """The XML, PDF or both of the invoices ticked in a list, or of every one its filters keep, as a ZIP
    built in the background; the exports page follows it. Anyone who sees the list may."""
    membership = _member(request, identifier)
    form = DownloadForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(_list_url(identifier, request.POST.get("direction"), request.POST.get("query", "")))
    data = form.cleaned_data
    chosen = {"uuids": data["uuid"]} if not data["everything"] else {"filters": _list_filters(membership, data["direction"], data["query"])}
    export = export_ask(tenant=membership.tenant, via="portal", user=request.user, direction=data["direction"], contents=data["contents"],
                        **chosen)
    audit(request, export, Event.Action.EXPORTED)
    messages.success(request, _("The download is being prepared; it can be downloaded here when ready."))
    return redirect("portal:exports", identifier)


def _list_url(identifier: str, direction: str | None, query: str) -> str:
    name = "portal:inbox" if direction == Invoice.Direction.INCOMING else "portal:invoices"
    return f"{reverse(name, args=[identifier])}?{query}"


def _list_filters(membership: Membership, direction: str, query: str):
    """The filters of the list the person was looking at, read from its query string as the list reads them."""
    given = QueryDict(query)
    if direction == Invoice.Direction.INCOMING:
        return IncomingFilter(given).filters()
    return OutgoingFilter(given, profiles=profiles_of(tenant=membership.tenant, direction=direction)).filters()


@login_required
def export_status(request, identifier: str, export_id: int):
    export = _export_or_404(_member(request, identifier), export_id)
    return JsonResponse({"id": export.id, "state": export.state, "label": export.get_state_display(), "percent": export.percent,
                         "done": export.done, "total": export.total})


@login_required
def export_download(request, identifier: str, export_id: int):
    membership = _member(request, identifier)
    export = _export_or_404(membership, export_id)
    if not _may_download(membership, export):
        raise PermissionDenied
    if export.state != Export.State.READY:
        raise Http404
    audit(request, export, Event.Action.EXPORT_DOWNLOADED)
    return zip_response(export)
