"""What the archive keeps of an exchange through the local GİB hub: on each side, every document
exactly as it was sent or received (the invoice as built and as sealed, the envelopes, GİB's answers,
the system responses, KABUL/RED), each named by the row it belongs to, and the whole verifying clean."""

import io
import zipfile

import pytest

from archive.models import Document
from archive.services import archive_verify, document_open
from envelopes.models import Envelope
from invoices.models import Invoice
from pipeline.flow import invoice_answer, invoice_submit
from tests.exchange_fixtures import eager, exchange, poll_all, today_payload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
K = Document.Kind


def read(document: Document) -> bytes:
    with document_open(document) as stream:
        return stream.read()


def body(xml: bytes) -> bytes:
    """A document without its XML declaration, as an envelope holds it."""
    return xml.split(b"?>", 1)[1].strip() if xml.startswith(b"<?xml") else xml


def unzipped(envelope: Envelope) -> bytes:
    return zipfile.ZipFile(io.BytesIO(read(envelope.document))).read(f"{envelope.uuid}.xml")


def kinds(tenant) -> dict[str, int]:
    counts = {}
    for kind in Document.objects.filter(tenant=tenant).values_list("kind", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_each_side_archives_what_it_sent_and_received_exactly(exchange, tenant_a, tenant_b):
    sent = invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    assert poll_all() == 1
    sent.refresh_from_db()
    received = Invoice.objects.get(tenant=tenant_b, direction=Invoice.Direction.INCOMING, uuid=sent.uuid)
    with eager():
        invoice_answer(tenant=tenant_b, invoice_uuid=received.uuid, code="KABUL")
    assert poll_all() == 1
    sent.refresh_from_db()
    received.refresh_from_db()

    # A: the invoice as built and as sealed, its envelope as sent, GİB's answers, B's answer in its envelope, GİB's system responses.
    assert sent.document.kind == K.INVOICE_SEALED and b"ds:Signature" in read(sent.document) and sent.xml is None  # no longer in the row
    built = Document.objects.get(tenant=tenant_a, kind=K.INVOICE_BUILT, subject_id=sent.id)
    assert b"ds:Signature" not in read(built) and sent.document.previous_chain  # the built one kept beside the sealed one
    outgoing = Envelope.objects.get(id=sent.envelope_id)
    assert outgoing.document.kind == K.ENVELOPE_SENT and outgoing.data is None
    assert (outgoing.document.subject_type, outgoing.document.subject_id) == ("envelope", outgoing.id)
    assert body(read(sent.document)) in unzipped(outgoing)  # as it went
    assert Document.objects.filter(tenant=tenant_a, kind=K.GIB_ANSWER, subject_type="envelope", subject_id=outgoing.id).exists()
    assert sent.answer_document.kind == K.ANSWER_RECEIVED and b"KABUL" in read(sent.answer_document) and sent.answer_xml is None
    for envelope in Envelope.objects.filter(tenant=tenant_a, direction="in"):
        assert envelope.document.kind in (K.ENVELOPE_RECEIVED, K.SYSTEM_RESPONSE) and envelope.data is None
    assert {K.INVOICE_BUILT, K.INVOICE_SEALED, K.ENVELOPE_SENT, K.GIB_ANSWER, K.ENVELOPE_RECEIVED} <= set(kinds(tenant_a))

    # B: the invoice as received, the envelope it came in, its own answer and the answer's envelope, its system responses.
    assert received.document.kind == K.INVOICE_RECEIVED and read(received.document) == read(sent.document)  # byte for byte
    assert received.answer_document.kind == K.ANSWER_SENT and received.answer_xml is None
    assert read(received.answer_document) == read(sent.answer_document)  # the same answer, kept by both
    came_in = Envelope.objects.get(tenant=tenant_b, direction="in", uuid=outgoing.uuid)
    assert came_in.document.kind == K.ENVELOPE_RECEIVED and read(came_in.document) == read(outgoing.document)
    answered = Envelope.objects.get(tenant=tenant_b, direction="out", type=Envelope.Type.POSTBOX)
    assert answered.document.kind == K.ENVELOPE_SENT
    assert body(read(received.answer_document)) in unzipped(answered)
    system = Envelope.objects.filter(tenant=tenant_b, direction="out", type=Envelope.Type.SYSTEM)
    assert system.exists() and all(envelope.document.kind == K.SYSTEM_RESPONSE for envelope in system)

    for tenant in (tenant_a, tenant_b):
        verified = archive_verify(tenant=tenant)
        assert verified.clean and verified.checked == Document.objects.filter(tenant=tenant).count()


def test_an_answer_polled_again_is_archived_once(exchange, tenant_a, tenant_b):
    sent = invoice_submit(tenant=tenant_a, data=today_payload("TEMELFATURA"))
    assert poll_all() == 1
    sent.refresh_from_db()
    from envelopes.polling import envelope_poll

    before = Document.objects.filter(tenant=tenant_a, kind=K.GIB_ANSWER).count()
    envelope_poll(envelope_id=sent.envelope_id)  # GİB says 1300 again, in the same words
    assert Document.objects.filter(tenant=tenant_a, kind=K.GIB_ANSWER).count() == before
