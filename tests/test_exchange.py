"""Invoices from tenant A to tenant B through the local GİB hub, over HTTP: sent, received, answered,
followed to 1300; each of GİB's status branches driven by the hub's forced codes."""

import pytest

from envelopes.models import Envelope
from envelopes.sending import envelopes_pack
from gibhub.forcing import hub_force
from invoices.answers import AnswerRefused
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from invoices.steps import invoice_seal, invoice_validate
from pipeline.flow import invoice_answer, invoice_submit
from tenants.ledger import credits_balance
from tests.exchange_fixtures import CREDITS, eager, exchange, poll_all, today_payload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def incoming(tenant):
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.INCOMING)


def codes_of(envelope: Envelope) -> list:
    return list(envelope.statuses.values_list("code", flat=True))


def moves_of(envelope: Envelope) -> list[tuple[str, str]]:
    return list(envelope.state_changes.order_by("id").values_list("from_state", "to_state"))


OUTGOING_MOVES = [("", "packed"), ("packed", "sending"), ("sending", "sent"), ("sent", "done")]


def test_a_sends_b_receives_and_answers_a_sees_1300_and_the_answer(exchange, tenant_a, tenant_b):
    temel = invoice_submit(tenant=tenant_a, data=today_payload("TEMELFATURA"))
    ticari = invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    assert poll_all() == 2
    temel.refresh_from_db()
    ticari.refresh_from_db()
    assert (temel.status, temel.gib_code, ticari.status, ticari.gib_code) == (Status.DELIVERED, 1300, Status.DELIVERED, 1300)
    assert codes_of(temel.envelope) == [None, 1300]  # taken by sendDocument, then the poll's final code
    assert moves_of(temel.envelope) == OUTGOING_MOVES
    assert credits_balance(tenant=tenant_a) == CREDITS - 2

    inbox = {i.number: i for i in incoming(tenant_b)}
    assert set(inbox) == {temel.number, ticari.number}
    received = inbox[ticari.number]
    assert (received.status, received.supplier_identifier, received.sender_alias) == (Status.RECEIVED, tenant_a.identifier, "urn:mail:gb@a-tekstil.com.tr")
    assert invoice_xml(received) == invoice_xml(ticari)  # the sealed document, byte for byte

    with pytest.raises(AnswerRefused, match="only TICARIFATURA"):
        invoice_answer(tenant=tenant_b, invoice_uuid=inbox[temel.number].uuid, code="KABUL")
    invoice_answer(tenant=tenant_b, invoice_uuid=received.uuid, code="RED", reason="Fiyat hatalı")
    ticari.refresh_from_db()
    assert (ticari.status, ticari.answer, ticari.answer_reason) == (Status.REJECTED, "RED", "Fiyat hatalı")
    assert poll_all() == 1  # B's answer envelope, followed by B
    answer_envelope = Envelope.objects.get(tenant=tenant_b, type=Envelope.Type.POSTBOX, direction="out")
    assert (answer_envelope.code, answer_envelope.state) == (1300, Envelope.State.DONE)
    assert moves_of(answer_envelope) == OUTGOING_MOVES
    received_envelope = Envelope.objects.get(tenant=tenant_b, uuid=temel.envelope.uuid, direction="in")
    assert moves_of(received_envelope) == [("", "received")]


def test_invoices_for_one_receiver_share_an_envelope(exchange, tenant_a, tenant_b):
    invoices = [invoice_issue(tenant=tenant_a, data=today_payload()) for _ in range(3)]
    with eager(False):  # nothing runs on its own: the steps are taken here
        for invoice in invoices:
            invoice_validate(invoice_id=invoice.id)
            invoice_seal(invoice_id=invoice.id)
        [envelope] = envelopes_pack(tenant=tenant_a)
    assert envelope.invoices.count() == 3 and envelope.receiver_alias == "urn:mail:pk@b-gida.com.tr"
    assert set(Invoice.objects.filter(id__in=[i.id for i in invoices]).values_list("status", flat=True)) == {Status.QUEUED}


@pytest.mark.parametrize("code, status, action_final", [
    (1150, Status.FAILED, True),
    (1163, Status.FAILED, True),
    (1220, Status.SENT, False),
])
def test_each_refusal_code_leaves_the_invoice_where_gib_says(exchange, tenant_a, code, status, action_final):
    hub_force(code=code, receiver_alias="urn:mail:pk@b-gida.com.tr")
    invoice = invoice_submit(tenant=tenant_a, data=today_payload())
    poll_all()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.gib_code) == (status, code)
    assert invoice.never_resend == (code == 1163)
    assert (invoice.envelope.state == Envelope.State.DONE) == action_final


@pytest.mark.parametrize("code", [1215, 1230])
def test_after_1215_or_1230_the_invoice_goes_again_with_its_ettn(exchange, tenant_a, tenant_b, code):
    hub_force(code=code, receiver_alias="urn:mail:pk@b-gida.com.tr")
    invoice = invoice_submit(tenant=tenant_a, data=today_payload())
    invoice.refresh_from_db()  # the tasks ran on their own copies
    first = invoice.envelope_id
    poll_all()  # the forced code: resent at once, in a new envelope
    poll_all()  # the new envelope completes
    invoice.refresh_from_db()
    assert (invoice.status, invoice.gib_code, invoice.sends) == (Status.DELIVERED, 1300, 2)
    assert invoice.envelope_id != first
    assert Envelope.objects.get(id=first).code == code
    assert incoming(tenant_b).filter(uuid=invoice.uuid).count() == 1
