"""The portal's invoice designs ("Fatura tasarımları"): the versions a tenant uploaded, each previewed
on a sample invoice (a sandboxed page and the PDF) before it is made the design. Everyone who may view
the tenant sees them; only those who may configure it upload and choose."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from designs import selectors, services
from designs.forms import DesignUploadForm
from designs.preview import preview_html, preview_pdf
from designs.sample import sample_invoice
from invoices.display import DisplayError, sandboxed
from tenants.models import Membership
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def _member(request, identifier: str, permission: str = Permission.VIEW) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(permission):
        raise PermissionDenied
    return membership


def _design(membership: Membership, design_id: int):
    design = selectors.design_get(tenant=membership.tenant, design_id=design_id)
    if design is None:
        raise Http404
    return design


def _context(request, membership: Membership, **extra) -> dict:
    return {"membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user), **extra}


@login_required
def designs_page(request, identifier: str):
    membership = _member(request, identifier)
    form = DesignUploadForm()
    if request.method == "POST":
        membership = _member(request, identifier, Permission.CONFIGURE)
        form = DesignUploadForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                design = services.design_upload(tenant=membership.tenant, name=form.cleaned_data["name"], file_name=file.name,
                                                data=file.read(), by=request.user)
            except services.DesignRefused as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, _("Design %(name)s uploaded: look at it, then make it your design.") % {"name": design.name})
                return redirect("portal:design", identifier=identifier, design_id=design.id)
    designs = selectors.designs_of(tenant=membership.tenant)
    return render(request, "portal/designs/list.html", _context(
        request, membership, form=form, designs=designs, default_active=not any(d.is_active for d in designs)),
        status=400 if form.errors else 200)


@login_required
def design_page(request, identifier: str, design_id: int):
    membership = _member(request, identifier)
    design = _design(membership, design_id)
    _xml, sample = sample_invoice(tenant=membership.tenant)
    return render(request, "portal/designs/detail.html", _context(request, membership, design=design, sample=sample))


@login_required
def design_html(request, identifier: str, design_id: int):
    """The sample invoice through the design, as a page that may run and load nothing (shown in a frame)."""
    membership = _member(request, identifier)
    design = _design(membership, design_id)
    try:
        html = preview_html(tenant=membership.tenant, xslt=design.xslt.encode())
    except DisplayError as exc:
        html = render(request, "portal/invoices/preview_refused.html", {"reason": str(exc)}).content
    return sandboxed(html, framed=True)


@login_required
def design_pdf(request, identifier: str, design_id: int):
    membership = _member(request, identifier)
    design = _design(membership, design_id)
    try:
        pdf = preview_pdf(tenant=membership.tenant, xslt=design.xslt.encode())
    except DisplayError as exc:
        messages.error(request, str(exc))
        return redirect("portal:design", identifier=identifier, design_id=design.id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="design-{design.id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def design_activate(request, identifier: str, design_id: int):
    membership = _member(request, identifier, Permission.CONFIGURE)
    design = services.design_activate(tenant=membership.tenant, design_id=_design(membership, design_id).id)
    messages.success(request, _("%(name)s is your design now: invoices issued from now on carry it; those issued before keep theirs.")
                     % {"name": design.name})
    return redirect("portal:designs", identifier=identifier)


@require_POST
@login_required
def design_default(request, identifier: str):
    membership = _member(request, identifier, Permission.CONFIGURE)
    services.design_use_default(tenant=membership.tenant)
    messages.success(request, _("Invoices issued from now on carry the default design; those issued before keep theirs."))
    return redirect("portal:designs", identifier=identifier)


@require_POST
@login_required
def design_gib(request, identifier: str):
    membership = _member(request, identifier, Permission.CONFIGURE)
    try:
        design = services.design_use_gib(tenant=membership.tenant, by=request.user)
    except services.DesignRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is your design now: invoices issued from now on carry it; those issued before keep theirs.")
                         % {"name": design.name})
    return redirect("portal:designs", identifier=identifier)
