"""The bytes of an invoice's documents, wherever they are kept: in the archive once archived (the
document the invoice names), else in the row (a draft not yet validated, an invalid one, or a row
written before the archive held it and not moved yet)."""

from __future__ import annotations

from archive.services import document_bytes, documents_bytes
from invoices.models import Invoice


def invoice_xml(invoice: Invoice) -> bytes:
    """The invoice's current document: as sealed once sealed, as built before; as received for an incoming one."""
    return bytes(invoice.xml) if invoice.xml else document_bytes(invoice.document)


def invoices_xml(invoices: list[Invoice]) -> list[bytes]:
    """``invoice_xml`` of each of *invoices*, in their order: those in the archive read from it together."""
    archived = iter(documents_bytes([invoice.document for invoice in invoices if not invoice.xml]))
    return [bytes(invoice.xml) if invoice.xml else next(archived) for invoice in invoices]


def answer_xml(invoice: Invoice) -> bytes:
    """The KABUL/RED of the invoice (ours for an incoming one, the customer's for an outgoing one); empty when none."""
    return bytes(invoice.answer_xml) if invoice.answer_xml else document_bytes(invoice.answer_document)
