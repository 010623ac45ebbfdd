"""Who may push envelopes to our receiving endpoint: over real HTTP to the live server (every test
connects from 127.0.0.1), with the envelope a real push would carry. A refused push is answered 403
with a SOAP fault, logged, and leaves no row behind; start-up refuses a malformed network."""

from __future__ import annotations

import base64
import ipaddress
import logging
import types

import pytest
import requests
from lxml import etree

import pipeline.tasks
from envelopes import packing, sbdh
from envelopes.gib import soap
from envelopes.models import Envelope, EnvelopeStatus
from invoices.models import Invoice, StatusChange
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.exchange_fixtures import trust
from tests.test_settings import _check

pytestmark = pytest.mark.django_db(transaction=True)

GIB_NET, ELSEWHERE = "203.0.113.0/24", "198.51.100.0/24"  # documentation ranges: never a real client here
VERIFY = "X-SSL-Client-Verify"


def networks(*cidrs: str) -> tuple:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


@pytest.fixture
def url(settings, live_server, gib_package, test_root, tmp_path, tenant_a, tenant_b, monkeypatch) -> str:
    trust(settings, tmp_path, test_root)
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    settings.GIB_PUSH_ALLOWED_NETWORKS = settings.GIB_PUSH_TRUSTED_PROXIES = ()
    settings.GIB_PUSH_CLIENT_VERIFY_HEADER = None
    return f"{live_server.url}/gib/services/EFatura"


@pytest.fixture(autouse=True)
def queued(monkeypatch) -> list[int]:
    """The system responses a push enqueued (recorded, never sent)."""
    ids: list[int] = []
    monkeypatch.setattr(pipeline.tasks, "system_response_send", types.SimpleNamespace(delay=ids.append))
    return ids


def send_document(xml: bytes) -> bytes:
    """sendDocument of the envelope *xml* as GİB sends it (SOAP 1.2, GİB's unqualified schema)."""
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{soap.SOAP12}" xmlns:ef="{soap.EF}"><s:Body>'
        f"<ef:documentRequest><fileName>{packed.file_name}</fileName>"
        f"<binaryData>{base64.b64encode(packed.data).decode()}</binaryData>"
        f"<hash>{packed.md5_hex}</hash></ef:documentRequest></s:Body></s:Envelope>"
    ).encode()


def push(url: str, xml: bytes, **headers: str) -> requests.Response:
    """The envelope *xml* pushed to *url*, with any extra headers."""
    return requests.post(url, data=send_document(xml), headers={"Content-Type": soap.CONTENT_TYPE, **headers}, timeout=60)


def rows() -> tuple[int, ...]:
    return (Envelope.objects.count(), EnvelopeStatus.objects.count(), Invoice.objects.count(), StatusChange.objects.count())


def taken(answer: requests.Response) -> bool:
    return answer.status_code == 200 and b"ZARF ALINDI" in answer.content


def assert_refused(answer: requests.Response, before: tuple, queued: list[int], caplog, reason: str) -> None:
    """403, a SOAP 1.2 Sender fault without GİB's code, the reason logged, nothing stored or queued."""
    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("application/soap+xml")
    fault = etree.fromstring(answer.content).find(f"{{{soap.SOAP12}}}Body/{{{soap.SOAP12}}}Fault")
    assert fault is not None
    assert fault.findtext(f"{{{soap.SOAP12}}}Code/{{{soap.SOAP12}}}Value") == "soap:Sender"
    assert fault.find(f"{{{soap.SOAP12}}}Detail") is None
    assert rows() == before and queued == []
    [record] = [r for r in caplog.records if r.name == "envelopes.views" and "refused" in r.getMessage()]
    assert record.levelno == logging.WARNING and reason in record.getMessage()


# --- networks ---------------------------------------------------------------------------------------


def test_with_no_networks_set_anyone_may_push(url, envelope, queued):
    assert taken(push(url, envelope))
    assert Envelope.objects.filter(uuid=ENVELOPE_ID).count() == 1 and len(queued) == 1


def test_a_client_in_an_allowed_network_may_push(url, settings, envelope, queued):
    settings.GIB_PUSH_ALLOWED_NETWORKS = networks(GIB_NET, "127.0.0.0/8")
    assert taken(push(url, envelope))
    assert Envelope.objects.filter(uuid=ENVELOPE_ID).count() == 1 and len(queued) == 1


def test_a_client_outside_the_allowed_networks_is_refused_and_nothing_is_stored(url, settings, envelope, queued, caplog):
    settings.GIB_PUSH_ALLOWED_NETWORKS = networks(GIB_NET)
    before = rows()
    caplog.set_level(logging.INFO, logger="envelopes.views")

    assert_refused(push(url, envelope), before, queued, caplog, "127.0.0.1 is not in GIB_PUSH_ALLOWED_NETWORKS")


def test_x_forwarded_for_is_not_believed_from_an_untrusted_peer(url, settings, envelope, queued, caplog):
    settings.GIB_PUSH_ALLOWED_NETWORKS = networks(GIB_NET)
    before = rows()

    assert_refused(push(url, envelope, **{"X-Forwarded-For": "203.0.113.9"}), before, queued, caplog, "127.0.0.1 is not in")


# --- behind a trusted proxy -------------------------------------------------------------------------


@pytest.fixture
def behind_proxy(settings):
    """The live server's client (127.0.0.1) plays the proxy; GİB pushes from GIB_NET."""
    settings.GIB_PUSH_TRUSTED_PROXIES = networks("127.0.0.1/32", "10.0.0.0/8")
    settings.GIB_PUSH_ALLOWED_NETWORKS = networks(GIB_NET)


@pytest.mark.parametrize("forwarded", ["203.0.113.9", "198.51.100.7, 203.0.113.9", "203.0.113.9, 10.1.2.3"])
def test_through_a_trusted_proxy_the_forwarded_client_counts(url, behind_proxy, envelope, queued, forwarded):
    # Whatever a client wrote on the left is passed over; the proxies' own hops on the right too.
    assert taken(push(url, envelope, **{"X-Forwarded-For": forwarded}))
    assert Envelope.objects.filter(uuid=ENVELOPE_ID).count() == 1


@pytest.mark.parametrize(("forwarded", "reason"), [
    ("198.51.100.7", "198.51.100.7 is not in"),
    ("203.0.113.9, 198.51.100.7", "198.51.100.7 is not in"),  # a forged GİB address, then the real client
    ("", "127.0.0.1 is not in"),  # no client named: the proxy itself is no pusher
    ("unknown", "X-Forwarded-For 'unknown' is not an IP address"),
])
def test_through_a_trusted_proxy_a_client_elsewhere_is_refused(url, behind_proxy, envelope, queued, caplog, forwarded, reason):
    before = rows()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}

    assert_refused(push(url, envelope, **headers), before, queued, caplog, reason)


# --- the proxy's client-certificate verification ----------------------------------------------------


@pytest.mark.parametrize("said", [None, "NONE", "FAILED:certificate has expired", "success"])
def test_without_a_verified_client_certificate_a_push_is_refused(url, settings, envelope, queued, caplog, said):
    settings.GIB_PUSH_CLIENT_VERIFY_HEADER = VERIFY
    before = rows()
    headers = {VERIFY: said} if said is not None else {}

    assert_refused(push(url, envelope, **headers), before, queued, caplog, "no verified client certificate")


def test_with_a_verified_client_certificate_a_push_is_taken(url, settings, envelope, queued):
    settings.GIB_PUSH_CLIENT_VERIFY_HEADER = VERIFY
    assert taken(push(url, envelope, **{VERIFY: "SUCCESS"}))


def test_the_verify_header_counts_only_from_a_trusted_proxy(url, settings, envelope, queued, caplog):
    settings.GIB_PUSH_CLIENT_VERIFY_HEADER = VERIFY
    settings.GIB_PUSH_TRUSTED_PROXIES = networks("10.0.0.0/8")  # not the live server's client
    before = rows()

    assert_refused(push(url, envelope, **{VERIFY: "SUCCESS"}), before, queued, caplog, "did not come through a trusted proxy")


def test_both_checks_together(url, settings, behind_proxy, envelope, queued, caplog):
    settings.GIB_PUSH_CLIENT_VERIFY_HEADER = VERIFY
    before = rows()
    assert_refused(push(url, envelope, **{"X-Forwarded-For": "203.0.113.9"}), before, queued, caplog, "no verified")
    assert taken(push(url, envelope, **{"X-Forwarded-For": "203.0.113.9", VERIFY: "SUCCESS"}))


# --- settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [
    ("GIB_PUSH_ALLOWED_NETWORKS", "203.0.113.0/24,10.0.0.300/8"),
    ("GIB_PUSH_ALLOWED_NETWORKS", "203.0.113.9/24"),  # host bits set: which was meant?
    ("GIB_PUSH_TRUSTED_PROXIES", "proxy.internal"),
    ("GIB_PUSH_CLIENT_VERIFY_HEADER", "X_SSL_Client_Verify"),  # underscores: dropped by WSGI servers
])
def test_a_malformed_push_setting_stops_start_up(tmp_path, name, value):
    result = _check(tmp_path, **{name: value})
    assert result.returncode != 0
    assert f"configuration error: {name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_well_formed_push_settings_start(tmp_path):
    result = _check(tmp_path, GIB_PUSH_ALLOWED_NETWORKS="203.0.113.0/24, 2001:db8::/32",
                    GIB_PUSH_TRUSTED_PROXIES="10.0.0.5", GIB_PUSH_CLIENT_VERIFY_HEADER=VERIFY)
    assert result.returncode == 0, result.stderr
