"""Our receiving endpoint (GİB's sendDocument, where GİB pushes envelopes to us), over real HTTP: each
envelope pushed with the real GibClient to the live server, then the database asked what it kept.

Tasks do not run: the system response a push makes due is recorded, not sent, and built here by
calling its service."""

from __future__ import annotations

import types
import uuid as uuidlib

import pytest
import requests
from lxml import etree

import pipeline.tasks
from envelopes import packing, sbdh
from envelopes.answers import system_response_pack
from envelopes.documents import envelope_zip
from envelopes.gib.client import GibClient, GibFault
from envelopes.models import Envelope, EnvelopeStatus
from invoices.documents import answer_xml
from invoices.documents import invoice_xml as stored_xml
from invoices.models import Invoice, StatusChange
from invoices.services import invoice_issue, tenant_party
from invoices.status import Status
from signing import pki, xades
from tests.clock import NOW, TODAY
from tests.concurrency import run_concurrently
from tests.envelope_helpers import A_TO_B, BROKEN_ZIPS, ENVELOPE_ID, OTHER_ENVELOPE, key_of, sealed_invoices, zipped
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.exchange_fixtures import trust
from tests.factories import make_tenant
from tests.invoice_payloads import CUSTOMER, payload
from ubl.response import build_application_response, parse_system_response

pytestmark = pytest.mark.django_db(transaction=True)

A_GB, A_PK = "urn:mail:gb@a-tekstil.com.tr", "urn:mail:pk@a-tekstil.com.tr"
B_GB, B_PK = "urn:mail:gb@b-gida.com.tr", "urn:mail:pk@b-gida.com.tr"
B, C = "4840847211", "3900383669"  # C: a taxpayer who is no party to A's invoice to B
# B's postbox answers A's sender unit: answers and system responses go back the way invoices came.
B_ANSWERS = {
    "sender_alias": B_PK, "sender_identifier": B, "sender_name": "B Gıda Ltd. Şti.",
    "receiver_alias": A_GB, "receiver_identifier": "1234567890", "receiver_name": "A Tekstil A.Ş.",
}
C_PARTY = {"sender_alias": "urn:mail:pk@c-kimya.com.tr", "sender_identifier": C, "sender_name": "C Kimya A.Ş."}
NS = {"cac": sbdh.CAC, "cbc": sbdh.CBC}
OTHER = OTHER_ENVELOPE


# --- the endpoint and what it leaves behind ----------------------------------------------------------


@pytest.fixture
def url(settings, live_server, gib_package, test_root, tmp_path, tenant_a, tenant_b, monkeypatch) -> str:
    """Our endpoint on the live server, trusting the tests' seals; A and B are tenants here."""
    trust(settings, tmp_path, test_root)
    # A client's keep-alive connection keeps its request thread, and that thread its database
    # connection, past the test: each request closes its own instead.
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    return f"{live_server.url}/gib/services/EFatura"


@pytest.fixture
def gib(url) -> GibClient:
    return GibClient(url=url, timeout=60)


@pytest.fixture(autouse=True)
def queued(monkeypatch) -> list[int]:
    """The envelope ids a push enqueued a system response for (the task is recorded, never run)."""
    ids: list[int] = []
    monkeypatch.setattr(pipeline.tasks, "system_response_send", types.SimpleNamespace(delay=ids.append))
    return ids


def push(gib: GibClient, xml: bytes) -> str:
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)
    return gib.send_document(file_name=packed.file_name, data=packed.data, md5=packed.md5_hex)


def push_zip(gib: GibClient, file_name: str, data: bytes) -> str:
    return gib.send_document(file_name=file_name, data=data, md5=packing.zip_md5(data))


def rows() -> tuple[int, ...]:
    return (Envelope.objects.count(), EnvelopeStatus.objects.count(), Invoice.objects.count(), StatusChange.objects.count())


def fault_of(call) -> int:
    """The GİB fault code *call* is refused with; the refusal must leave no row behind."""
    before = rows()
    with pytest.raises(GibFault) as caught:
        call()
    assert rows() == before
    return caught.value.fault_code


def received(tenant, envelope_id: str = ENVELOPE_ID) -> Envelope:
    return Envelope.objects.get(tenant=tenant, uuid=envelope_id, direction=Envelope.Direction.INCOMING)


def incoming(tenant):
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.INCOMING)


def answered(envelope: Envelope) -> tuple[sbdh.Envelope, object]:
    """Our system response to *envelope*, packed as it will be sent: the SYSTEMENVELOPE and its S_APR."""
    answer = system_response_pack(envelope_id=envelope.id)
    xml = packing.unpack(answer.file_name, envelope_zip(answer), answer.md5)
    system = sbdh.parse_envelope(xml)
    return system, parse_system_response(system.documents[0])


# --- documents to push ----------------------------------------------------------------------------------


def edited(xml: bytes, path: str, change) -> bytes:
    """The document with *change* made to the text of the element at *path*; its seal is kept as it was."""
    root = etree.fromstring(xml)
    element = root.find(path, NS)
    change(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def forged(invoice: bytes) -> bytes:
    """One character of the customer's name changed: valid UBL-TR still, no longer what A sealed."""
    def rename(name):
        name.text = name.text.replace("Gıda", "Gida")
    return edited(invoice, "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name", rename)


def against_schema(invoice: bytes) -> bytes:
    """An element UBL-Invoice-2.1.xsd has no place for."""
    return edited(invoice, "cbc:UBLVersionID", lambda e: e.addnext(etree.Element(f"{{{sbdh.CBC}}}Extra")))


def against_schematron(invoice: bytes) -> bytes:
    """Schema-valid, but GİB's CustomizationIDCheck wants TR1.2."""
    return edited(invoice, "cbc:CustomizationID", lambda e: setattr(e, "text", "TR9.9"))


def sender_envelope(documents: list[bytes], envelope_id: str | None = None, **parties) -> bytes:
    return sbdh.sender_envelope(**{**A_TO_B, **parties}, documents=documents, uuid=envelope_id or str(uuidlib.uuid4()), created=NOW)


# --- invoices: a SENDERENVELOPE from A to B's postbox -------------------------------------------------


def test_invoices_pushed_to_bs_postbox_are_bs_incoming_invoices(gib, queued, tenant_a, tenant_b, envelope, invoices):
    push(gib, envelope)

    stored = received(tenant_b)
    assert (stored.state, stored.code, stored.type) == (Envelope.State.RECEIVED, 1200, Envelope.Type.SENDER)
    assert (stored.sender_alias, stored.receiver_alias, stored.party_identifier) == (A_GB, B_PK, tenant_a.identifier)
    sent = {i.uuid: i for i in Invoice.objects.filter(tenant=tenant_a)}
    inbox = list(incoming(tenant_b).order_by("id"))
    assert len(inbox) == 3
    for invoice, sealed in zip(inbox, invoices, strict=True):
        assert (invoice.status, invoice.number) == (Status.RECEIVED, sent[invoice.uuid].number)
        assert (invoice.supplier_identifier, invoice.sender_alias, invoice.receiver_alias) == (tenant_a.identifier, A_GB, B_PK)
        assert invoice.envelope == stored and invoice.received_at is not None
        assert stored_xml(invoice) == sealed  # the sealed document, byte for byte
    assert not incoming(tenant_a).exists()
    assert queued == [stored.id]  # a system response is due


def test_the_system_response_says_1200_from_bs_postbox_to_as_sender_unit_once(gib, queued, tenant_b, envelope):
    push(gib, envelope)
    stored = received(tenant_b)

    system, answer = answered(stored)
    assert (system.type, system.sender_alias, system.receiver_alias) == (sbdh.SYSTEMENVELOPE, B_PK, A_GB)
    assert (answer.code, answer.envelope_uuid, answer.envelope_type) == (1200, ENVELOPE_ID, sbdh.SENDERENVELOPE)
    reply = Envelope.objects.get(answers=stored)
    assert (reply.tenant, reply.direction, reply.state) == (tenant_b, Envelope.Direction.OUTGOING, Envelope.State.PACKED)

    before = rows()
    assert system_response_pack(envelope_id=stored.id) is None
    assert rows() == before


# --- refused at once: a SOAP fault with GİB's code, nothing stored ----------------------------------------


def test_the_same_envelope_pushed_again_is_2001_and_changes_nothing(gib, queued, envelope):
    push(gib, envelope)

    assert fault_of(lambda: push(gib, envelope)) == 2001
    assert len(queued) == 1


def test_a_wrong_hash_is_2000(gib, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)

    assert fault_of(lambda: gib.send_document(file_name=packed.file_name, data=packed.data, md5="0" * 32)) == 2000


def test_a_file_name_that_is_no_guid_is_2006(gib, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)

    assert fault_of(lambda: gib.send_document(file_name="fatura.zip", data=packed.data, md5=packed.md5_hex)) == 2006


@BROKEN_ZIPS
def test_a_zip_that_cannot_be_read_earns_gibs_code(gib, envelope, make, code):
    assert fault_of(lambda: push_zip(gib, f"{ENVELOPE_ID}.zip", make(envelope))) == code


def test_a_zip_named_after_another_envelope_is_1142(gib, envelope):
    assert fault_of(lambda: push_zip(gib, f"{OTHER}.zip", zipped((f"{ENVELOPE_ID}.xml", envelope)))) == 1142


def test_an_unknown_receiver_alias_is_1181(gib, invoices):
    xml = sender_envelope(invoices, receiver_alias="urn:mail:yok@b-gida.com.tr")

    assert fault_of(lambda: push(gib, xml)) == 1181


def test_two_suppliers_invoices_with_the_same_number_are_both_received(gib, tenant_b, envelope, test_root):
    tenant_c = make_tenant(C, "C Kimya A.Ş.", domain="c-kimya.com.tr", prefix="AAA")  # numbers as A does: AAA{year}000000001, ...
    theirs = sealed_invoices(tenant_c, pki.seal(test_root, identifier=C, title="C Kimya A.Ş."), test_root)
    push(gib, envelope)

    push(gib, sender_envelope(theirs, **{**C_PARTY, "sender_alias": "urn:mail:gb@c-kimya.com.tr"}))

    assert incoming(tenant_b).count() == 4


# --- read but refused: kept REFUSED without its documents, answered with the code ---------------------


@pytest.mark.parametrize(("spoil", "code"), [
    (forged, 1177),
    (against_schema, 1160),  # the seal is broken too: the schema is checked first
    (against_schematron, 1150),  # and the schematron before the seals as well
], ids=["forged-seal", "schema", "schematron"])
def test_an_envelope_with_a_bad_document_is_kept_refused_without_documents(gib, queued, tenant_b, invoices, spoil, code):
    xml = sender_envelope([invoices[0], spoil(invoices[1]), invoices[2]], ENVELOPE_ID)

    push(gib, xml)  # taken: GİB's sendDocument answers before the documents are judged

    stored = received(tenant_b)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, code)
    assert list(stored.statuses.values_list("code", flat=True)) == [code]
    assert not incoming(tenant_b).exists()
    assert queued == [stored.id]
    _system, answer = answered(stored)
    assert (answer.code, answer.envelope_uuid) == (code, ENVELOPE_ID)


def test_invoices_for_another_taxpayer_at_bs_postbox_are_refused_1181(gib, queued, tenant_b, tenant_a, seal_a, test_root):
    elsewhere = payload(customer={**CUSTOMER, "vkn": "9000068418", "name": "Ankara Büyükşehir Belediyesi"})
    documents = sealed_invoices(tenant_a, seal_a, test_root, data=elsewhere)
    xml = sender_envelope(documents, ENVELOPE_ID, receiver_identifier="9000068418", receiver_name="Ankara Büyükşehir Belediyesi")

    push(gib, xml)

    stored = received(tenant_b)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, 1181)
    assert not incoming(tenant_b).exists()


# --- answers: a POSTBOXENVELOPE with B's KABUL or RED for A's invoice ------------------------------------


@pytest.fixture
def sent(tenant_a, tenant_b) -> Invoice:
    """A's TICARIFATURA invoice to B, as it stands once GİB took it: SENT from A's sender unit."""
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    Invoice.objects.filter(id=invoice.id).update(status=Status.SENT, sender_alias=A_GB)
    invoice.refresh_from_db()
    return invoice


def answer(invoice: Invoice, tenant_b, seal_b, test_root, code: str = "KABUL", reason: str = "", *, invoice_xml: bytes | None = None,
           by: str = B) -> bytes:
    """B's sealed KABUL or RED for *invoice*, in a POSTBOXENVELOPE from B's postbox to A's sender unit;
    *by* another VKN, the same answer as that taxpayer's, sealed by whoever *seal_b* is."""
    unsealed = build_application_response(invoice_xml=invoice_xml or stored_xml(invoice), code=code, reason=reason,
                                          responder=tenant_party(tenant_b), uuid=str(uuidlib.uuid4()), issued=NOW)
    sealed = xades.sign(unsealed.replace(B.encode(), by.encode()), key_of(seal_b, test_root), signing_time=NOW)
    parties = B_ANSWERS if by == B else {**B_ANSWERS, **C_PARTY}
    return sbdh.postbox_envelope(**parties, documents=[sealed], uuid=str(uuidlib.uuid4()), created=NOW)


def answer_of(xml: bytes) -> bytes:
    return sbdh.parse_envelope(xml).documents[0]


def test_a_kabul_accepts_as_invoice(gib, queued, tenant_a, tenant_b, seal_b, test_root, sent):
    xml = answer(sent, tenant_b, seal_b, test_root)

    push(gib, xml)

    sent.refresh_from_db()
    assert (sent.status, sent.answer, sent.answer_reason) == (Status.ACCEPTED, "KABUL", "Fatura kabul edildi.")
    assert answer_xml(sent) == answer_of(xml) and sent.answered_at is not None
    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.type, stored.state, stored.code) == (Envelope.Type.POSTBOX, Envelope.State.RECEIVED, 1200)
    assert queued == [stored.id]


def test_the_system_response_to_an_answer_goes_back_the_way_the_answer_came(gib, tenant_a, tenant_b, seal_b, test_root, sent):
    xml = answer(sent, tenant_b, seal_b, test_root)
    push(gib, xml)

    system, response = answered(received(tenant_a, sbdh.parse_envelope(xml).uuid))
    assert (system.sender_alias, system.receiver_alias) == (A_GB, B_PK)  # the answer came from B's PK to A's GB
    assert (response.code, response.envelope_type) == (1200, sbdh.POSTBOXENVELOPE)


def test_a_red_with_its_reason_rejects_as_invoice(gib, tenant_b, seal_b, test_root, sent):
    push(gib, answer(sent, tenant_b, seal_b, test_root, "RED", "Fiyat hatalı"))

    sent.refresh_from_db()
    assert (sent.status, sent.answer, sent.answer_reason) == (Status.REJECTED, "RED", "Fiyat hatalı")


def test_an_answer_for_an_unknown_ettn_is_refused_1150(gib, tenant_a, tenant_b, seal_b, test_root, sent):
    unknown = stored_xml(sent).replace(str(sent.uuid).upper().encode(), str(uuidlib.uuid4()).upper().encode())
    xml = answer(sent, tenant_b, seal_b, test_root, invoice_xml=unknown)

    push(gib, xml)

    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, 1150)
    sent.refresh_from_db()
    assert (sent.status, sent.answer) == (Status.SENT, "")


def test_a_second_answer_leaves_the_first(gib, tenant_a, tenant_b, seal_b, test_root, sent):
    first = answer(sent, tenant_b, seal_b, test_root)
    push(gib, first)
    push(gib, answer(sent, tenant_b, seal_b, test_root, "RED", "Fiyat hatalı"))

    sent.refresh_from_db()
    assert (sent.status, sent.answer, answer_xml(sent)) == (Status.ACCEPTED, "KABUL", answer_of(first))
    assert list(sent.status_changes.values_list("to_status", flat=True)).count(Status.ACCEPTED) == 1


def test_an_answer_from_someone_not_the_invoices_customer_is_refused_1150(gib, tenant_a, tenant_b, test_root, sent):
    xml = answer(sent, tenant_b, pki.seal(test_root, identifier=C, title="C Kimya A.Ş."), test_root, "RED", "Fiyat hatalı", by=C)

    push(gib, xml)

    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, 1150)
    sent.refresh_from_db()
    assert (sent.status, sent.answer) == (Status.SENT, "")


# --- system responses about our own envelopes ------------------------------------------------------------


@pytest.fixture
def ours(tenant_a, tenant_b, seal_a, test_root) -> Envelope:
    """A's envelope of two invoices to B, handed to GİB and waiting for its status."""
    documents = sealed_invoices(tenant_a, seal_a, test_root, 2)
    xml = sender_envelope(documents)
    envelope_id = sbdh.parse_envelope(xml).uuid
    packed = packing.pack(xml, envelope_id)
    envelope = Envelope.objects.create(
        tenant=tenant_a, uuid=envelope_id, direction=Envelope.Direction.OUTGOING, type=Envelope.Type.SENDER,
        state=Envelope.State.SENT, sender_alias=A_GB, receiver_alias=B_PK, party_identifier=tenant_b.identifier,
        file_name=packed.file_name, data=packed.data, md5=packed.md5_hex, sent_at=NOW,
    )
    Invoice.objects.filter(tenant=tenant_a).update(status=Status.SENT, envelope=envelope, sender_alias=A_GB)
    return envelope


def system_envelope(about: str, code: int, *, uuid: str | None = None) -> bytes:
    """B's system response with *code* for the envelope *about*, to A's sender unit."""
    document = sbdh.system_response(sender_identifier="4840847211", sender_name="B Gıda Ltd. Şti.", receiver_identifier="1234567890",
                                    envelope=about, envelope_date=TODAY, code=code, description="BAŞARIYLA TAMAMLANDI", issued=NOW)
    return sbdh.system_envelope(**B_ANSWERS, document=document, uuid=uuid or str(uuidlib.uuid4()), created=NOW)


def test_a_1300_about_our_envelope_completes_it_and_delivers_its_invoices(gib, queued, tenant_a, ours):
    xml = system_envelope(str(ours.uuid), 1300)

    push(gib, xml)

    ours.refresh_from_db()
    assert (ours.state, ours.code) == (Envelope.State.DONE, 1300)
    assert list(ours.statuses.values_list("code", "source")) == [(1300, "push")]
    assert {(i.status, i.gib_code) for i in ours.invoices.all()} == {(Status.DELIVERED, 1300)}
    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.type, stored.state) == (Envelope.Type.SYSTEM, Envelope.State.RECEIVED)
    assert queued == []  # a system response is not answered


def test_a_system_response_about_an_unknown_envelope_is_kept_refused(gib, queued, tenant_a):
    xml = system_envelope(OTHER, 1300)

    push(gib, xml)

    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, 1150)
    assert queued == []


def test_a_system_response_that_cannot_be_read_is_refused_not_a_crash(gib, queued, tenant_a, ours):
    xml = system_envelope(str(ours.uuid), 1300).replace(b"<cbc:ResponseCode>1300<", b"<cbc:ResponseCode>TAMAM<", 1)

    push(gib, xml)

    stored = received(tenant_a, sbdh.parse_envelope(xml).uuid)
    assert (stored.state, stored.code) == (Envelope.State.REFUSED, 1140)
    ours.refresh_from_db()
    assert (ours.state, ours.code) == (Envelope.State.SENT, None)


# --- the same envelope, pushed from five threads at once ----------------------------------------------


def test_an_envelope_pushed_five_times_at_once_is_stored_once(url, queued, tenant_b, envelope):
    results, errors = run_concurrently(lambda: push(GibClient(url=url, timeout=60), envelope), count=5)

    assert len(results) == 1, errors
    assert len(errors) == 4 and all(isinstance(e, GibFault) and e.fault_code == 2001 for e in errors), errors
    assert Envelope.objects.filter(uuid=ENVELOPE_ID).count() == 1
    assert incoming(tenant_b).count() == 3
    assert queued == [received(tenant_b).id]


# --- what is not a sendDocument -------------------------------------------------------------------------


def test_a_body_that_is_not_soap_is_400(url):
    reply = requests.post(url, data=b"hello", headers={"Content-Type": "text/plain"}, timeout=30)

    assert reply.status_code == 400
    assert reply.headers["Content-Type"].startswith("application/soap+xml")


def test_another_operation_is_400(url):
    body = (b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ef="http://gib.gov.tr/vedop3/eFatura">'
            b"<soap:Body><ef:getAppRespRequest><instanceIdentifier>x</instanceIdentifier></ef:getAppRespRequest></soap:Body></soap:Envelope>")

    assert requests.post(url, data=body, headers={"Content-Type": "application/soap+xml"}, timeout=30).status_code == 400


def test_a_get_is_405(url):
    assert requests.get(url, timeout=30).status_code == 405

