"""The local GİB hub's EFaturaService over HTTP: sendDocument's synchronous faults, the way of an
envelope from 1000 to 1300 through a receiver's system response, and getApplicationResponse."""

import uuid

import pytest
import requests
from lxml import etree

from envelopes import codes, packing, sbdh
from envelopes.gib import soap
from envelopes.gib.client import GibFault
from gibhub.models import HubDeliveryAttempt, HubEnvelope
from tests.envelope_helpers import A_ANSWERS, ENVELOPE_ID, sealed_response
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gibhub_fixtures import B_PK, NS, history, hub, sender_envelope, serve_receiver, skip_without_hub, system_envelope  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]


def fault_of(call) -> int:
    with pytest.raises(GibFault) as raised:
        call()
    return raised.value.fault_code


# --- sendDocument's synchronous answers -------------------------------------------------------------


def test_a_valid_envelope_is_queued_with_gibs_message_and_stored_as_sent(hub, envelope):
    packed, msg = hub.send(envelope)

    assert msg == "ZARF KUYRUGA EKLENDI"
    stored = HubEnvelope.objects.get(uuid=ENVELOPE_ID)
    assert (stored.file_name, bytes(stored.data), stored.md5) == (packed.file_name, packed.data, packed.md5_hex)
    assert (stored.type, stored.sender_identifier, stored.receiver_alias) == ("SENDERENVELOPE", "1234567890", B_PK)
    assert history(ENVELOPE_ID)[0] == 1000


@pytest.mark.parametrize("name", ["envelope.zip", f"{ENVELOPE_ID}.xml", f"{ENVELOPE_ID[:-1]}x.zip", f"{ENVELOPE_ID}"])
def test_a_zip_not_named_by_a_guid_is_fault_2006(hub, envelope, name):
    data = packing.pack(envelope, ENVELOPE_ID).data

    assert fault_of(lambda: hub.send_zip(name, data)) == 2006
    assert not HubEnvelope.objects.exists()


def test_a_hash_that_is_not_the_zips_md5_is_fault_2000(hub, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)

    assert fault_of(lambda: hub.send_zip(packed.file_name, packed.data, md5=packing.zip_md5(b"other"))) == 2000
    assert not HubEnvelope.objects.exists()


def test_an_envelope_uuid_received_before_is_fault_2001(hub, envelope):
    packed, _msg = hub.send(envelope)

    assert fault_of(lambda: hub.send_zip(packed.file_name, packed.data)) == 2001
    assert HubEnvelope.objects.count() == 1


def test_the_hash_is_compared_without_regard_to_case(hub, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)

    assert hub.send_zip(packed.file_name, packed.data, md5=packed.md5_hex.upper()) == "ZARF KUYRUGA EKLENDI"


def test_a_fault_is_soap_12_with_http_500_and_gibs_code_and_folded_text(hub):
    body = (b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ef="http://gib.gov.tr/vedop3/eFatura">'
            b"<soap:Body><ef:getAppRespRequest><instanceIdentifier>" + str(uuid.uuid4()).encode()
            + b"</instanceIdentifier></ef:getAppRespRequest></soap:Body></soap:Envelope>")
    answer = requests.post(hub.url, data=body, headers={"Content-Type": soap.CONTENT_TYPE}, timeout=30)

    assert answer.status_code == 500
    detail = etree.fromstring(answer.content).find(f".//{{{soap.EF}}}EFaturaFault")
    assert (detail.findtext("code"), detail.findtext("msg")) == ("2004", "ZARF ID BULUNAMADI")


def test_what_is_not_a_call_of_the_service_is_http_400_without_a_gib_code(hub):
    answer = requests.post(hub.url, data=b"<hello/>", headers={"Content-Type": soap.CONTENT_TYPE}, timeout=30)

    assert answer.status_code == 400
    assert b"soap:Fault" in answer.content and b"EFaturaFault" not in answer.content
    assert requests.get(hub.url, timeout=30).status_code == 405


# --- getApplicationResponse --------------------------------------------------------------------------


def test_an_unknown_envelope_is_fault_2004(hub):
    assert fault_of(lambda: hub.client.get_application_response(str(uuid.uuid4()))) == 2004
    assert fault_of(lambda: hub.client.get_application_response("not-a-uuid")) == 2004


def test_the_status_answer_is_gibs_system_response_to_the_sender(hub, envelope):
    hub.send(envelope)

    root = etree.fromstring(hub.client.get_application_response(ENVELOPE_ID))
    assert root.findtext("cac:SenderParty/cac:PartyIdentification/cbc:ID", namespaces=NS) == "3900383669"
    assert root.findtext("cac:SenderParty/cac:PartyName/cbc:Name", namespaces=NS) == "Gelir İdaresi Başkanlığı"
    assert root.findtext("cac:ReceiverParty/cac:PartyIdentification/cbc:ID", namespaces=NS) == "1234567890"
    assert root.findtext("cac:DocumentResponse/cac:Response/cbc:ResponseCode", namespaces=NS) == "S_APR"
    assert root.findtext("cac:DocumentResponse/cac:DocumentReference/cbc:ID", namespaces=NS) == ENVELOPE_ID
    assert hub.status(ENVELOPE_ID) == ("1200", "ZARF BASARIYLA ISLENDI")


# --- the way of an envelope ----------------------------------------------------------------------------


def test_an_envelope_is_processed_delivered_unchanged_and_done_when_the_receiver_answers_1200(hub, envelope):
    packed, _msg = hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert [(r.file_name, r.data, r.hash) for r in hub.b.received] == [(packed.file_name, packed.data, packed.md5_hex)]
    assert hub.a.received == []
    assert HubEnvelope.objects.get(uuid=ENVELOPE_ID).delivered_at is not None
    assert hub.status(ENVELOPE_ID)[0] == "1200"  # delivered: waiting for the receiver's system response

    answer = system_envelope(ENVELOPE_ID, 1200)
    assert hub.send(answer)[1] == "ZARF KUYRUGA EKLENDI"

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1300]
    assert hub.status(ENVELOPE_ID) == ("1300", "BASARIYLA TAMAMLANDI")
    changes = list(HubEnvelope.objects.get(uuid=ENVELOPE_ID).status_changes.all())
    assert [c.text for c in changes] == [codes.status(c.code).text_tr for c in changes]
    assert [c.created_at for c in changes] == sorted(c.created_at for c in changes)
    system_uuid = sbdh.parse_envelope(answer).uuid
    assert changes[-1].note.endswith(f"{system_uuid}: 1200")  # the system response that settled it (its words in the hub's language)
    assert history(system_uuid) == [1000, 1100, 1200, 1300]
    assert hub.a.received == [] and len(hub.b.received) == 1  # a system envelope is not forwarded


def test_a_receiver_that_could_not_process_the_envelope_makes_it_1230(hub, envelope):
    hub.send(envelope)
    hub.send(system_envelope(ENVELOPE_ID, 1160))

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1230]
    assert hub.status(ENVELOPE_ID)[0] == "1230"


def system_parties_of_a() -> dict:
    return {"sender_alias": "urn:mail:pk@a-tekstil.com.tr", "sender_identifier": "1234567890", "sender_name": "A Tekstil A.Ş.",
            "receiver_name": "B Gıda Ltd. Şti."}


def test_only_the_receiver_settles_an_envelope(hub, envelope):
    hub.send(envelope)
    # A answers its own envelope, as if it were the receiver: GİB takes the answer but it settles nothing.
    impostor = {**system_parties_of_a(), "receiver_alias": "urn:mail:gb@b-gida.com.tr", "receiver_identifier": "4840847211"}
    answer = system_envelope(ENVELOPE_ID, 1200, parties=impostor)
    hub.send(answer)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert history(sbdh.parse_envelope(answer).uuid)[-1] == 1300


def test_a_postbox_envelope_of_application_responses_is_delivered_to_the_gb_alias(hub, seal_a, test_root):
    responses = [sealed_response(seal_a, test_root, "KABUL")]
    xml = sbdh.postbox_envelope(**A_ANSWERS, documents=responses)
    packed, _msg = hub.send(xml)
    uuid_ = sbdh.parse_envelope(xml).uuid

    assert history(uuid_) == [1000, 1100, 1200]
    assert [r.file_name for r in hub.b.received] == [packed.file_name]
    assert HubDeliveryAttempt.objects.get().url == hub.b.url


def test_a_new_envelope_of_invoices_already_sent_is_1163(hub, invoices):
    first, second = sender_envelope(invoices), sender_envelope(invoices[1:])
    hub.send(first)
    hub.send(second)

    assert history(sbdh.parse_envelope(first).uuid)[-1] == 1200
    assert history(sbdh.parse_envelope(second).uuid) == [1000, 1100, 1163]
    assert hub.status(sbdh.parse_envelope(second).uuid)[0] == "1163"
    assert len(hub.b.received) == 1
