"""The portal's exports: ask for a period, watch it build, download it. Every page is the tenant's
through the person's membership (another tenant's export is a 404); asking needs the export permission."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import Event
from exports.apis import audit, zip_response
from exports.forms import ExportForm
from exports.models import Export
from exports.services import export_get, exports_of
from exports.tasks import export_ask
from integrator.errors import DomainError
from tenants.models import Membership
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def _exporter(request, identifier: str) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.EXPORT):
        raise PermissionDenied
    return membership


def _export_or_404(membership: Membership, export_id: int) -> Export:
    export = export_get(tenant=membership.tenant, export_id=export_id)
    if export is None:
        raise Http404
    return export


@login_required
def exports_page(request, identifier: str):
    membership = _exporter(request, identifier)
    form = ExportForm.last_month(timezone.localdate())
    if request.method == "POST":
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
        "form": form, "exports": exports, "building": [e.id for e in exports if e.state in (Export.State.QUEUED, Export.State.BUILDING)],
    })


@login_required
def export_status(request, identifier: str, export_id: int):
    export = _export_or_404(_exporter(request, identifier), export_id)
    return JsonResponse({"id": export.id, "state": export.state, "label": export.get_state_display(), "percent": export.percent,
                         "done": export.done, "total": export.total})


@login_required
def export_download(request, identifier: str, export_id: int):
    export = _export_or_404(_exporter(request, identifier), export_id)
    if export.state != Export.State.READY:
        raise Http404
    audit(request, export, Event.Action.EXPORT_DOWNLOADED)
    return zip_response(export)
