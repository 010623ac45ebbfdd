"""The portal's e-Arşiv pages: cancelling an invoice and recording an objection from its page, the
tenant's reports (with the signed XML of each) and its cancelled invoices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archive.services import document_bytes
from earsiv import selectors
from earsiv.forms import CancelForm, ObjectionForm
from earsiv.services import invoice_cancel, istanbul_today, objection_record
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.status import Status
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def invoice_panel(membership, invoice: Invoice) -> dict:
    """What an outgoing e-Arşiv invoice's page shows of its cancellation and objections, and the forms
    for those who may issue (owner, accountant, clerk; not a viewer)."""
    if invoice.direction != Invoice.Direction.OUTGOING or invoice.channel != Invoice.Channel.EARSIV:
        return {"earsiv": False}
    cancellation = selectors.cancellation_of(invoice=invoice)
    may = membership.can(Permission.ISSUE) and invoice.status == Status.KEPT
    return {
        "earsiv": True, "cancellation": cancellation, "objections": invoice.objections.order_by("id"),
        "can_cancel": may and cancellation is None, "can_object": may,
        "cancel_form": CancelForm(initial={"day": istanbul_today()}), "objection_form": ObjectionForm(),
    }


def _issuer(request, identifier: str, uuid):
    membership = membership_or_404(request, identifier)
    invoice = selectors.earsiv_invoice(tenant=membership.tenant, uuid=uuid)
    if invoice is None:
        raise Http404
    if not membership.can(Permission.ISSUE):
        raise PermissionDenied
    return membership, invoice


def _back(identifier: str, invoice: Invoice):
    return redirect("portal:invoice", identifier=identifier, direction=Invoice.Direction.OUTGOING, uuid=invoice.uuid)


def _by(request) -> str:
    return f"portal:{request.user.get_username()}"


@require_POST
@login_required
def cancel(request, identifier: str, uuid):
    membership, invoice = _issuer(request, identifier, uuid)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the cancellation date and its reason (at most 500 characters)."))
        return _back(identifier, invoice)
    try:
        invoice_cancel(tenant=membership.tenant, uuid=invoice.uuid, day=form.cleaned_data["day"], reason=form.cleaned_data["reason"],
                       by=_by(request))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invoice %(number)s cancelled: GİB learns of it in the next e-Arşiv report.") % {"number": invoice.number})
    return _back(identifier, invoice)


@require_POST
@login_required
def objection(request, identifier: str, uuid):
    membership, invoice = _issuer(request, identifier, uuid)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give how the buyer objected, the objection document's number and date, and a description."))
        return _back(identifier, invoice)
    try:
        objection_record(tenant=membership.tenant, uuid=invoice.uuid, by=_by(request), **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection to invoice %(number)s is recorded: GİB learns of it in the next e-Arşiv report.")
                         % {"number": invoice.number})
    return _back(identifier, invoice)


def _viewer(request, identifier: str):
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.VIEW):
        raise PermissionDenied
    return membership


@login_required
def reports(request, identifier: str):
    membership = _viewer(request, identifier)
    tenant = membership.tenant
    context = {"membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user),
               "reports": selectors.reports_of(tenant=tenant)[:200], "cancellations": selectors.cancellations_of(tenant=tenant)[:200]}
    return render(request, "portal/earsiv/reports.html", context)


@login_required
def report_xml(request, identifier: str, number):
    membership = _viewer(request, identifier)
    report = selectors.report_get(tenant=membership.tenant, number=number)
    if report is None or report.document is None:
        raise Http404
    response = HttpResponse(document_bytes(report.document), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{str(report.number).upper()}.xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response
