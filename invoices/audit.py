"""What a person or a program did with an invoice's documents, in the archive's audit (``archive.audit``)."""

from archive.audit import request_event
from invoices.models import Invoice


def invoice_event(request, invoice: Invoice, action: str, detail: str = "") -> None:
    request_event(request, tenant=invoice.tenant, action=action, subject=("invoice", invoice.uuid),
                  detail=" ".join(filter(None, [invoice.number, detail])))
