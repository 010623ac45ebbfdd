"""The local GİB hub under test, over real HTTP: the hub on pytest-django's live server, tasks run
in-process (eager), and for each of tenants A and B a small real SOAP server standing in for the
integrator serving their aliases, which records what the hub delivers to it."""

from __future__ import annotations

import datetime as dt
import gc
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from django.conf import settings as django_settings
from lxml import etree

from envelopes import packing, sbdh
from envelopes.gib import soap
from envelopes.gib.client import GibClient
from gibhub.models import HubEnvelope
from gibhub.registry import hub_register
from signing import pki
from tests.clock import TODAY
from tests.envelope_helpers import A_TO_B
from tests.exchange_fixtures import eager

A_GB, A_PK = "urn:mail:gb@a-tekstil.com.tr", "urn:mail:pk@a-tekstil.com.tr"
B_GB, B_PK = "urn:mail:gb@b-gida.com.tr", "urn:mail:pk@b-gida.com.tr"
# B's postbox answers A's sender unit: the system envelope goes back the way the invoices came.
B_ANSWERS = {
    "sender_alias": B_PK, "sender_identifier": "4840847211", "sender_name": "B Gıda Ltd. Şti.",
    "receiver_alias": A_GB, "receiver_identifier": "1234567890", "receiver_name": "A Tekstil A.Ş.",
}
NS = {"cac": sbdh.CAC, "cbc": sbdh.CBC}
ATTEMPTS = 3
skip_without_hub = pytest.mark.skipif(not django_settings.GIB_HUB_ENABLED, reason="the local GİB hub is off (GIB_HUB_ENABLED)")


@dataclass
class Receiver:
    """A receiving integrator's EFaturaService: records each sendDocument it takes; answers the first
    *failures* calls with the fault *fault* instead; takes *delay* seconds over each call."""

    fault: int = 2005
    failures: int = 0
    delay: float = 0.0
    received: list[soap.SendDocument] = field(default_factory=list)
    calls: int = 0
    url: str = ""

    def __call__(self, environ, start_response):
        call = soap.parse_request(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        self.calls += 1
        time.sleep(self.delay)
        if self.calls <= self.failures:
            body, status = soap.fault(code=self.fault, msg="SISTEM HATASI"), "500 Internal Server Error"
        else:
            self.received.append(call)
            body, status = soap.send_document_response(msg="ZARF KUYRUGA EKLENDI", hash=call.hash), "200 OK"
        start_response(status, [("Content-Type", soap.CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def serve_receiver() -> Iterator:
    """A function serving a new Receiver on a free local port, until the test ends."""
    servers = []

    def start() -> Receiver:
        receiver = Receiver()
        server = make_server("127.0.0.1", 0, receiver, server_class=_Server, handler_class=_QuietHandler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        receiver.url = f"http://127.0.0.1:{server.server_port}/services/EFatura"
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An endpoint nobody listens on: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/services/EFatura"


@dataclass
class Hub:
    url: str
    client: GibClient
    a: Receiver  # serves A's aliases
    b: Receiver  # serves B's aliases

    def send(self, xml: bytes) -> tuple[packing.Packed, str]:
        packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)
        return packed, self.send_zip(packed.file_name, packed.data)

    def send_zip(self, file_name: str, data: bytes, md5: str | None = None) -> str:
        return self.client.send_document(file_name=file_name, data=data, md5=md5 or packing.zip_md5(data))

    def status(self, uuid: str) -> tuple[str, str]:
        """(code, description) of the system response getApplicationResponse answers."""
        root = etree.fromstring(self.client.get_application_response(uuid))
        line = root.find("cac:DocumentResponse/cac:LineResponse/cac:Response", NS)
        return line.findtext("cbc:ResponseCode", namespaces=NS), line.findtext("cbc:Description", namespaces=NS)


@contextmanager
def closing_sessions(monkeypatch) -> Iterator[None]:
    """Close the HTTP sessions opened inside (the clients' ones), and wait for the server threads
    they kept: a kept-alive connection holds a live-server thread, and with it a database connection
    that would outlive the test database."""
    opened: list[requests.Session] = []
    original = requests.Session.__init__

    def tracked(self, *args, **kwargs):  # every session, of requests' class or a subclass (the client's)
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(requests.Session, "__init__", tracked)
    try:
        yield
    finally:
        for session in opened:
            session.close()
        # A socket closes for good once no response's file refers to it; a fault's traceback may still
        # hold the last response, in a reference cycle only the collector frees.
        gc.collect()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(t.name.endswith("(process_request_thread)") for t in threading.enumerate()):
            time.sleep(0.02)


@pytest.fixture
def hub(settings, live_server, gib_package, test_root, tmp_path, serve_receiver, monkeypatch) -> Iterator[Hub]:
    """The hub with A and B registered, A's aliases served by ``hub.a``, B's by ``hub.b``; seals
    trusted when they chain to the tests' root."""
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.pem(test_root.certificate))
    settings.SEAL_TRUST_ROOTS = str(roots)
    settings.GIB_HUB_DELIVERY_ATTEMPTS, settings.GIB_HUB_RETRY_DELAY = ATTEMPTS, 0
    a, b = serve_receiver(), serve_receiver()
    hub_register(identifier="1234567890", title="A Tekstil A.Ş.", aliases=[("GB", A_GB), ("PK", A_PK)], endpoint=a.url)
    hub_register(identifier="4840847211", title="B Gıda Ltd. Şti.", aliases=[("GB", B_GB), ("PK", B_PK)], endpoint=b.url)
    url = f"{live_server.url}/gibhub/services/EFatura"
    with closing_sessions(monkeypatch), eager():  # tasks run in-process
        yield Hub(url=url, client=GibClient(url=url, timeout=120), a=a, b=b)


def system_envelope(answered: str, code: int = 1200, *, parties: dict | None = None) -> bytes:
    """B's system response to the envelope *answered*, in a system envelope from B's PK to A's GB."""
    parties = parties or B_ANSWERS
    response = sbdh.system_response(
        sender_identifier=parties["sender_identifier"], sender_name=parties["sender_name"],
        receiver_identifier=parties["receiver_identifier"], envelope=answered, envelope_date=TODAY, code=code,
        description="BASARIYLA ISLENDI" if code == 1200 else "HATA",
    )
    return sbdh.system_envelope(**parties, document=response)


def history(uuid: str) -> list[int]:
    """The envelope's codes in the order they were recorded (by row, not by the clocks of the processes
    that wrote them, which need not agree to the second)."""
    return list(HubEnvelope.objects.get(uuid=uuid).status_changes.order_by("id").values_list("code", flat=True))


def sender_envelope(invoices: list[bytes], **parties) -> bytes:
    """A's invoices in a new sender envelope, the parties A_TO_B unless given."""
    return sbdh.sender_envelope(**{**A_TO_B, **parties}, documents=invoices, created=dt.datetime.now(dt.UTC))
