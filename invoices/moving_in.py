"""Moving in: a tenant coming from another integrator brings its signed invoices, outgoing and
incoming, as XML files or ZIPs of them. Each is read safely, its seal verified, matched to the tenant
(its supplier: outgoing; its customer: incoming) and, unless the tenant holds it already, archived
exactly as it came (``invoice_migrated``) with a row that lists and searches like the others, in
status MIGRATED: never issued, numbered, sent or answered here. An outgoing number of a series the
tenant has here moves that series on past it (``tenants.numbering.number_taken_elsewhere``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archive.models import Document
from archive.services import document_put, document_record
from integrator import zips
from integrator.errors import DomainError
from invoices.figures import taxes_record
from invoices.models import Invoice, StatusChange
from invoices.services import NotUbl, party_name, untrusted_invoice
from invoices.status import Status
from signing.verify import verify
from tenants.models import Tenant
from tenants.numbering import number_taken_elsewhere
from ubl import parse, totals

MOVED_IN, ALREADY_HERE, REFUSED = "moved_in", "already_here", "refused"
RESULTS = {MOVED_IN: gettext_lazy("moved in"), ALREADY_HERE: gettext_lazy("already here"), REFUSED: gettext_lazy("refused")}


@dataclass(frozen=True)
class Outcome:
    """What became of one file: moved in, already here, or refused with the reason."""

    name: str
    result: str
    number: str = ""
    uuid: str = ""
    direction: str = ""
    reason: str = ""

    @property
    def label(self) -> str:
        return str(RESULTS[self.result])

    def as_dict(self) -> dict:
        return {"name": self.name, "result": self.result, "number": self.number, "uuid": self.uuid, "direction": self.direction,
                "reason": self.reason}


def files_move_in(*, tenant: Tenant, name: str, data: bytes) -> list[Outcome]:
    """One uploaded file: an invoice's XML, or a ZIP of them (read as ``integrator.zips`` allows)."""
    if not data.startswith(b"PK"):
        return [invoice_move_in(tenant=tenant, name=name, xml=data)]
    try:
        found = list(zips.entries(data))
    except zips.ZipRefused as exc:
        return [Outcome(name, REFUSED, reason=str(exc))]
    return [invoice_move_in(tenant=tenant, name=f"{name}/{entry.name}", xml=entry.data) if entry.data is not None
            else Outcome(f"{name}/{entry.name}", REFUSED, reason=entry.refused) for entry in found]


def invoice_move_in(*, tenant: Tenant, name: str, xml: bytes) -> Outcome:
    try:
        root = untrusted_invoice(xml)
        document = parse.parse_invoice(root)
    except NotUbl as exc:
        return Outcome(name, REFUSED, reason=_("it is not a UBL-TR invoice: %(reason)s") % {"reason": exc.params["reason"]})
    except DomainError as exc:
        return Outcome(name, REFUSED, reason=str(exc))
    number, ettn = document.id, document.uuid
    if document.supplier.identifier == tenant.identifier:
        direction = Invoice.Direction.OUTGOING
    elif document.customer.identifier == tenant.identifier:
        direction = Invoice.Direction.INCOMING
    else:
        return Outcome(name, REFUSED, number, ettn, reason=_("neither its supplier (%(supplier)s) nor its customer (%(customer)s) is %(tenant)s")
                       % {"supplier": document.supplier.identifier, "customer": document.customer.identifier, "tenant": tenant.identifier})
    if Invoice.objects.filter(tenant=tenant, direction=direction, uuid=ettn).exists():
        return Outcome(name, ALREADY_HERE, number, ettn, direction)
    verification = verify(xml, parsed=root)
    if not verification.valid:
        failed = ", ".join(check.label for check in verification.failed)
        return Outcome(name, REFUSED, number, ettn, direction, _("its seal does not verify: %(failed)s") % {"failed": failed})
    put = document_put(tenant=tenant, data=xml)  # nothing locked while the object is written
    try:
        with transaction.atomic():
            _record(tenant, document, direction, xml, put)
    except IntegrityError:
        if Invoice.objects.filter(tenant=tenant, direction=direction, uuid=ettn).exists():
            return Outcome(name, ALREADY_HERE, number, ettn, direction)  # the same file, moved in at the same moment
        return Outcome(name, REFUSED, number, ettn, direction, _("the number %(number)s is another invoice's here") % {"number": number})
    return Outcome(name, MOVED_IN, number, ettn, direction)


def _record(tenant: Tenant, document, direction: str, xml: bytes, put) -> Invoice:
    outgoing = direction == Invoice.Direction.OUTGOING
    invoice = Invoice.objects.create(
        tenant=tenant, uuid=document.uuid, number=document.id, direction=direction, profile=document.profile,
        type_code=document.type_code, issue_date=document.issue_date, currency=document.currency,
        supplier_identifier=document.supplier.identifier, supplier_name=party_name(document.supplier),
        customer_identifier=document.customer.identifier, customer_name=party_name(document.customer),
        tax_amount=totals.tax_total(document), payable_amount=document.totals.payable, status=Status.MIGRATED,
        channel=Invoice.Channel.EARSIV if document.profile == "EARSIVFATURA" else Invoice.Channel.EFATURA,
        xml=None, xml_sha256=hashlib.sha256(xml).hexdigest(),  # no received_at: no answer is due here
    )
    invoice.document = document_record(put=put, kind=Document.Kind.INVOICE_MIGRATED, subject=("invoice", invoice.id))
    invoice.save(update_fields=["document"])
    StatusChange.objects.create(invoice=invoice, to_status=Status.MIGRATED, text=_("moved in from another integrator"))
    taxes_record(invoice=invoice, document=document)
    if outgoing:
        number_taken_elsewhere(tenant=tenant, number=document.id)
    return invoice
