"""The pages of delivery: the buyer's link (no login), and in the portal an invoice's PDF and "send
again". Another tenant's invoice is a 404, as everywhere in the portal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from archive.audit import event_record
from archive.models import Event
from archive.services import document_bytes
from delivery import services
from delivery.forms import DeliveryForm, PreferencesForm
from delivery.models import Delivery
from delivery.tasks import delivery_send
from integrator.errors import DomainError
from invoices import selectors
from invoices.audit import invoice_event
from invoices.display import DisplayError, render_html, sandboxed
from invoices.documents import invoice_xml
from invoices.models import Invoice
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404

REQUESTED = _("Invoice %(number)s will be sent to %(address)s.")


# --- the buyer's link --------------------------------------------------------------------------


def _missed(request) -> str:
    return f"delivery:link-misses:{request.META.get('REMOTE_ADDR', '')}"


def _linked(request, token: str) -> Invoice:
    """The invoice a live token opens. A wrong token is a plain 404; an address that tried too many
    wrong ones is refused for a while, with the right token too (it may be guessing)."""
    key = _missed(request)
    if (cache.get(key) or 0) >= settings.LINK_MISSES_ALLOWED:
        raise _TooMany()
    invoice = services.link_invoice(token) if len(token) <= 64 else None
    if invoice is None:
        cache.add(key, 0, settings.LINK_MISSES_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LINK_MISSES_WINDOW)
        raise Http404
    return invoice


class _TooMany(Exception):
    pass


def _buyer_event(request, invoice: Invoice, action: str, detail: str) -> None:
    event_record(tenant=invoice.tenant, action=action, subject=("invoice", invoice.uuid), client_ip=request.META.get("REMOTE_ADDR"),
                 detail=f"{invoice.number} {detail}")


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _guarded(view):
    def wrapped(request, token: str):
        try:
            return view(request, token)
        except _TooMany:
            return _plain(429, str(_("Too many wrong links from your address; try again later.")))
        except Http404:
            return _plain(404, str(_("Not found.")))
    wrapped.__name__ = view.__name__
    return wrapped


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address: it must not travel on
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
@_guarded
def buyer_page(request, token: str):
    invoice = _linked(request, token)
    _buyer_event(request, invoice, Event.Action.VIEWED, str(_("by the buyer's link")))
    return _private(render(request, "delivery/buyer.html", {"invoice": invoice, "token": token}))


@require_GET
@_guarded
def buyer_view(request, token: str):
    invoice = _linked(request, token)
    try:
        html = render_html(xml=invoice_xml(invoice))
    except DisplayError as exc:
        return _plain(422, str(exc))
    response = sandboxed(html, framed=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
@_guarded
def buyer_pdf(request, token: str):
    invoice = _linked(request, token)
    try:
        pdf = services.pdf_document(invoice=invoice)
    except DomainError as exc:
        return _plain(422, str(exc))
    _buyer_event(request, invoice, Event.Action.DOWNLOADED, "PDF " + str(_("by the buyer's link")))
    return _private(_attachment(document_bytes(pdf), "application/pdf", f"{invoice.number}.pdf"))


@require_GET
@_guarded
def buyer_xml(request, token: str):
    invoice = _linked(request, token)
    _buyer_event(request, invoice, Event.Action.DOWNLOADED, "XML " + str(_("by the buyer's link")))
    return _private(_attachment(invoice_xml(invoice), "application/xml", f"{invoice.number}.xml"))


def _attachment(data: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the portal -----------------------------------------------------------------------------------


def _invoice(request, identifier: str, direction: str, uuid, permission: str):
    membership = membership_or_404(request, identifier)
    if not membership.can(permission):
        raise PermissionDenied
    invoice = selectors.invoice_get(tenant=membership.tenant, direction=direction, uuid=uuid)
    if invoice is None:
        raise Http404
    return membership, invoice


@login_required
def invoice_pdf(request, identifier: str, direction: str, uuid):
    _membership, invoice = _invoice(request, identifier, direction, uuid, Permission.VIEW)
    try:
        pdf = services.pdf_document(invoice=invoice)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("portal:invoice", identifier=identifier, direction=direction, uuid=invoice.uuid)
    invoice_event(request, invoice, Event.Action.DOWNLOADED, "PDF")
    return _attachment(document_bytes(pdf), "application/pdf", f"{invoice.number}.pdf")


@require_POST
@login_required
def invoice_deliver(request, identifier: str, uuid):
    """Send again, to the same or another address or number, from the invoice's page."""
    _membership, invoice = _invoice(request, identifier, Invoice.Direction.OUTGOING, uuid, Permission.ISSUE)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
    else:
        channel, address = form.target()
        try:
            delivery = services.delivery_request(invoice=invoice, channel=channel, address=address, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            _enqueue(delivery)
            invoice_event(request, invoice, Event.Action.SENT, f"{delivery.get_channel_display()} {delivery.address}")
            messages.success(request, REQUESTED % {"number": invoice.number, "address": delivery.address})
    return redirect("portal:invoice", identifier=identifier, direction=Invoice.Direction.OUTGOING, uuid=invoice.uuid)


def _enqueue(delivery: Delivery) -> None:
    transaction.on_commit(lambda: delivery_send.delay(delivery.id))


@require_POST
@login_required
def invoice_link_revoke(request, identifier: str, uuid):
    """The buyer's link stops working; the next delivery carries a new one."""
    _membership, invoice = _invoice(request, identifier, Invoice.Direction.OUTGOING, uuid, Permission.ISSUE)
    if services.link_revoke(invoice=invoice):
        messages.success(request, _("The buyer's link of invoice %(number)s no longer opens it.") % {"number": invoice.number})
    return redirect("portal:invoice", identifier=identifier, direction=Invoice.Direction.OUTGOING, uuid=invoice.uuid)


@login_required
def preferences(request, identifier: str):
    """How the tenant's e-Arşiv invoices reach their buyers, and in which words."""
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.CONFIGURE):
        raise PermissionDenied
    form = PreferencesForm(request.POST or None, instance=services.preferences_of(membership.tenant))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Delivery preferences saved."))
        return redirect("portal:delivery-preferences", identifier=identifier)
    return render(request, "delivery/preferences.html", {"membership": membership, "tenant": membership.tenant, "form": form,
                                                          "memberships": memberships_of(user=request.user)})
