"""sendDocument with MTOM/XOP over real HTTP, as GİB and JAX-WS clients post it: our receiving endpoint
and the local GİB hub take the zip from its MIME part exactly as plain SOAP brings it in base64, and a
broken multipart body is a SOAP fault that stores nothing. The bodies are written by hand, in
test_gib_soap.py; how they are read is proved there."""

import pytest
import requests
from lxml import etree

from envelopes import packing
from envelopes.documents import envelope_zip
from envelopes.gib import soap
from envelopes.models import Envelope
from envelopes.views import TAKEN
from gibhub.models import HubEnvelope
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gibhub_fixtures import history, hub, serve_receiver, skip_without_hub  # noqa: F401  (fixtures)
from tests.test_gib_soap import BOUNDARY, mtom_send, related
from tests.test_receiving import incoming, queued, received, url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def post(url: str, body: bytes, content_type: str) -> requests.Response:
    # Our endpoint answers in the language asked (Turkish when none is); the tests read English.
    return requests.post(url, data=body, headers={"Content-Type": content_type, "Accept-Language": "en"}, timeout=60)


def answer_of(reply: requests.Response) -> etree._Element:
    assert reply.headers["Content-Type"] == soap.CONTENT_TYPE
    return etree.fromstring(reply.content).find(f"{{{soap.SOAP12}}}Body/*")


@pytest.mark.parametrize("client", ["cxf", "jaxws"])
def test_an_envelope_pushed_with_mtom_is_received_as_a_plain_push_is(url, queued, tenant_b, envelope, client):
    packed = packing.pack(envelope, ENVELOPE_ID)
    reply = post(url, *mtom_send(packed.data, file_name=packed.file_name, md5=packed.md5_hex, client=client))

    assert reply.status_code == 200
    answer = answer_of(reply)
    assert (answer.tag, answer.findtext("msg"), answer.findtext("hash")) == (f"{{{soap.EF}}}documentResponse", TAKEN, packed.md5_hex)
    stored = received(tenant_b)
    assert (stored.file_name, envelope_zip(stored), stored.md5, stored.code) == (packed.file_name, packed.data, packed.md5_hex, 1200)
    assert incoming(tenant_b).count() == 3
    assert queued == [stored.id]


def test_a_broken_mtom_push_is_a_soap_fault_and_stores_nothing(url, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)
    body, content_type = mtom_send(packed.data, file_name=packed.file_name, md5=packed.md5_hex)
    reply = post(url, body.replace(b"cid:", b"cid:nobody-"), content_type)

    assert reply.status_code == 400
    fault = answer_of(reply)
    assert fault.tag == f"{{{soap.SOAP12}}}Fault"
    assert "which is no part of the request" in fault.findtext(f"{{{soap.SOAP12}}}Reason/{{{soap.SOAP12}}}Text")
    assert not Envelope.objects.exists()


@skip_without_hub
def test_the_hub_takes_an_envelope_sent_with_mtom_as_one_sent_plain(hub, envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)
    reply = post(hub.url, *mtom_send(packed.data, file_name=packed.file_name, md5=packed.md5_hex))

    assert reply.status_code == 200
    assert answer_of(reply).findtext("msg") == "ZARF KUYRUGA EKLENDI"
    stored = HubEnvelope.objects.get(uuid=ENVELOPE_ID)
    assert (stored.file_name, bytes(stored.data), stored.md5) == (packed.file_name, packed.data, packed.md5_hex)
    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert [(r.file_name, r.data, r.hash) for r in hub.b.received] == [(packed.file_name, packed.data, packed.md5_hex)]


@skip_without_hub
def test_the_hub_answers_a_broken_mtom_request_with_a_soap_fault(hub):
    body, content_type = related(b"Content-Type: application/xop+xml\r\n\r\n<a/>", start=None)
    reply = post(hub.url, body.removesuffix(f"\r\n--{BOUNDARY}--".encode()), content_type)  # no close delimiter

    assert reply.status_code == 400
    assert "CloseBoundaryNotFoundDefect" in answer_of(reply).findtext(f"{{{soap.SOAP12}}}Reason/{{{soap.SOAP12}}}Text")
    assert not HubEnvelope.objects.exists()
