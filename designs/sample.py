"""The invoice a design is previewed on: the tenant's latest sealed invoice, else one made up for it.
Either way without a design of its own, so the design under test is the one it is shown with."""

from __future__ import annotations

import uuid

from django.utils import timezone
from lxml import etree

from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.services import tenant_party
from invoices.status import Status
from tenants.models import Tenant
from ubl import build, totals
from ubl.names import NS

SEALED = (Status.SEALED, Status.KEPT, Status.QUEUED, Status.SENT, Status.DELIVERED, Status.ACCEPTED, Status.REJECTED)
CUSTOMER = {"vkn": "3900383669", "name": "Örnek Müşteri A.Ş.", "tax_office": "Çankaya",
            "address": {"street": "Atatürk Bulvarı 1", "district": "Çankaya", "city": "Ankara"}}
LINES = [
    {"name": "Örnek ürün", "quantity": "2", "unit": "C62", "unit_price": "150.00", "kdv_rate": "20"},
    {"name": "Örnek hizmet", "quantity": "1.5", "unit": "HUR", "unit_price": "800.00", "kdv_rate": "20"},
]


def sample_invoice(*, tenant: Tenant) -> tuple[bytes, Invoice | None]:
    """The XML to preview on, and the invoice it is (None for the made-up one)."""
    latest = (Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, status__in=SEALED)
              .order_by("-created_at", "-id").first())
    if latest is not None:
        return without_design(invoice_xml(latest)), latest
    return made_up(tenant=tenant), None


def made_up(*, tenant: Tenant) -> bytes:
    today = timezone.localdate()
    serializer = InvoicePayloadSerializer(data={
        "profile": "TICARIFATURA", "type": "SATIS", "issue_date": today.isoformat(), "issue_time": "12:00:00",
        "customer": CUSTOMER, "lines": LINES})
    serializer.is_valid(raise_exception=True)
    document = payload_to_invoice(serializer.validated_data, supplier=tenant_party(tenant))
    build.with_amount_in_words(totals.compute(document))
    document.id = f"ABC{today.year}{1:09d}"
    document.uuid = str(uuid.uuid4()).upper()
    return without_design(build.to_bytes(build.build_invoice(document, xslt=None)))


def without_design(xml: bytes) -> bytes:
    """*xml* without the .xslt it embeds (an invoice's own design would be shown instead of the one previewed)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    root = etree.fromstring(xml, parser)
    for reference in root.findall("cac:AdditionalDocumentReference", NS):
        binary = reference.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
        if binary is not None and (binary.get("filename") or "").strip().lower().endswith(".xslt"):
            root.remove(reference)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
