"""The data migrations that move documents out of their rows into the archive: nothing lost (every
hash the same before and after), a second run changes nothing, a run stopped half-way completes, and
bytes that are not their document's are refused with nothing cleared."""

import hashlib
import importlib
import uuid
from decimal import Decimal

import pytest
from django.apps import apps

from archive.models import Document
from archive.moving import MoveRefused
from archive.services import archive_verify, document_store
from envelopes.documents import envelope_zip
from envelopes.models import Envelope
from invoices.documents import answer_xml, invoice_xml
from invoices.models import Invoice
from invoices.status import Status
from tests.clock import TODAY

INVOICES = importlib.import_module("invoices.migrations.0011_documents_leave_the_rows")
ENVELOPES = importlib.import_module("envelopes.migrations.0006_zips_leave_the_rows")


def row(tenant, number, *, status, direction="out", answer=b"") -> Invoice:
    return Invoice.objects.create(
        tenant=tenant, number=number, direction=direction, profile="TICARIFATURA", type_code="SATIS", issue_date=TODAY, currency="TRY",
        supplier_identifier=tenant.identifier, supplier_name="A", customer_identifier="4840847211", customer_name="B",
        tax_amount=Decimal("1"), payable_amount=Decimal("6"), status=status, xml=f"<Invoice>{number}</Invoice>".encode(),
        answer="KABUL" if answer else "", answer_uuid=uuid.uuid4() if answer else None, answer_xml=answer or None)


def zip_row(tenant, *, direction, state, type=Envelope.Type.SENDER) -> Envelope:
    envelope_id = uuid.uuid4()
    return Envelope.objects.create(tenant=tenant, uuid=envelope_id, direction=direction, type=type, state=state, sender_alias="urn:mail:a",
                                   receiver_alias="urn:mail:b", file_name=f"{envelope_id}.zip", data=f"PK {envelope_id}".encode(), md5="x")


@pytest.fixture
def rows(tenant_a, tenant_b):
    made = {
        "delivered": row(tenant_a, "AAA2026000000001", status=Status.DELIVERED, answer=b"<ApplicationResponse>KABUL</ApplicationResponse>"),
        "valid": row(tenant_a, "AAA2026000000002", status=Status.VALID),
        "draft": row(tenant_a, "AAA2026000000003", status=Status.ISSUED),
        "received": row(tenant_b, "AAA2026000000001", status=Status.ACCEPTED, direction="in", answer=b"<ApplicationResponse>B</ApplicationResponse>"),
    }
    envelopes = {
        "sent": zip_row(tenant_a, direction="out", state=Envelope.State.DONE),
        "packed": zip_row(tenant_a, direction="out", state=Envelope.State.PACKED),
        "received": zip_row(tenant_b, direction="in", state=Envelope.State.RECEIVED),
        "system": zip_row(tenant_a, direction="in", state=Envelope.State.RECEIVED, type=Envelope.Type.SYSTEM),
    }
    return made, envelopes


def digests() -> dict:
    found = {}
    for invoice in Invoice.objects.all():
        found[("xml", invoice.id)] = hashlib.sha256(invoice_xml(invoice)).hexdigest()
        found[("answer", invoice.id)] = hashlib.sha256(answer_xml(invoice)).hexdigest()
    for envelope in Envelope.objects.all():
        found[("zip", envelope.id)] = hashlib.sha256(envelope_zip(envelope)).hexdigest()
    return found


def move_all():
    INVOICES.move(apps, None)
    ENVELOPES.move(apps, None)


def test_the_migration_moves_every_document_without_loss_and_a_second_run_changes_nothing(rows, tenant_a, tenant_b):
    invoices, envelopes = rows
    before = digests()
    move_all()
    assert digests() == before  # every document reads the same, now from the archive
    kinds = {name: Invoice.objects.get(id=invoice.id) for name, invoice in invoices.items()}
    assert (kinds["delivered"].document.kind, kinds["delivered"].answer_document.kind) == (Document.Kind.INVOICE_SEALED, Document.Kind.ANSWER_RECEIVED)
    assert kinds["valid"].document.kind == Document.Kind.INVOICE_BUILT
    assert (kinds["received"].document.kind, kinds["received"].answer_document.kind) == (Document.Kind.INVOICE_RECEIVED, Document.Kind.ANSWER_SENT)
    assert all(kinds[name].xml is None and kinds[name].answer_xml is None for name in ("delivered", "valid", "received"))
    assert kinds["draft"].document is None and kinds["draft"].xml  # a draft is no document yet: it stays in its row
    zips = {name: Envelope.objects.get(id=envelope.id) for name, envelope in envelopes.items()}
    assert {name: zips[name].document and zips[name].document.kind for name in zips} == {
        "sent": Document.Kind.ENVELOPE_SENT, "packed": None, "received": Document.Kind.ENVELOPE_RECEIVED, "system": Document.Kind.SYSTEM_RESPONSE}
    assert zips["packed"].data and all(zips[name].data is None for name in ("sent", "received", "system"))
    for tenant in (tenant_a, tenant_b):
        assert archive_verify(tenant=tenant).clean

    documents = list(Document.objects.order_by("id").values_list("id", "chain"))
    move_all()
    assert list(Document.objects.order_by("id").values_list("id", "chain")) == documents and digests() == before


def test_a_run_stopped_between_recording_and_clearing_completes(rows, tenant_a):
    invoices, _ = rows
    invoice = invoices["delivered"]
    document = document_store(tenant=tenant_a, kind=Document.Kind.INVOICE_SEALED, data=bytes(invoice.xml), subject=("invoice", invoice.id))
    Invoice.objects.filter(id=invoice.id).update(document=document)  # recorded; the bytes not cleared yet
    move_all()
    invoice.refresh_from_db()
    assert invoice.document == document and invoice.xml is None
    assert Document.objects.filter(subject_type="invoice", subject_id=invoice.id, kind=Document.Kind.INVOICE_SEALED).count() == 1


def test_bytes_that_are_not_their_documents_are_refused_and_nothing_is_cleared(rows, tenant_a):
    invoices, _ = rows
    invoice = invoices["delivered"]
    other = document_store(tenant=tenant_a, kind=Document.Kind.INVOICE_SEALED, data=b"<Invoice>another</Invoice>", subject=("invoice", invoice.id))
    Invoice.objects.filter(id=invoice.id).update(document=other)
    with pytest.raises(MoveRefused, match=f"invoice {invoice.id}"):
        INVOICES.move(apps, None)
    invoice.refresh_from_db()
    assert invoice.xml == f"<Invoice>{invoice.number}</Invoice>".encode()
