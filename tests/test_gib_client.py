"""GibClient against a real peer: a small EFaturaService built on envelopes.gib.soap, served over HTTP
and HTTPS (mutual TLS under the test root) from a thread of the test process.

Every outcome is an answer, a GibFault carrying the code table's entry, or GibUnavailable; a peer that
never answers is given up within the configured timeout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import random
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from envelopes import codes
from envelopes.gib import soap
from envelopes.gib.client import GibClient, GibFault, GibUnavailable, NoWsdl, gib_client, wsdl_path
from signing import pki
from tests.gib import GIB

PATH = "/EFaturaMerkez/services/EFatura"
UUID = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
QUEUED = "ZARF KUYRUĞA EKLENDİ"
APPLICATION_RESPONSE = GIB / "samples" / "responses" / "KabulUygulamaYanitiOrnegi.xml"  # UTF-8, CRLF, Turkish


@pytest.fixture(autouse=True)
def _package(gib_package):
    """GİB's package, whose wsdl folder the client reads."""


# --- the peer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the peer answers instead of the service's own answer: any status, type and bytes."""

    status: str
    content_type: str
    body: bytes


class Peer:
    """GİB's EFaturaService in small: each request read with soap.parse_request and kept (with the TLS
    client's certificate subject), answered as GİB would, or with ``reply`` when a test sets one: a
    ``Reply``, or a GİB fault code (answered as EFaturaFault with the code table's text)."""

    def __init__(self) -> None:
        self.requests: list[soap.SendDocument | soap.GetApplicationResponse] = []
        self.subjects: list[dict[str, str] | None] = []
        self.reply: Reply | int | None = None

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.subjects.append(environ.get("test.client_subject"))
        try:
            request = soap.parse_request(body)
        except soap.SoapError as exc:
            return self._send(start_response, Reply("400 Bad Request", soap.CONTENT_TYPE, soap.fault(code=None, msg=str(exc))))
        self.requests.append(request)
        return self._send(start_response, self._answer(request))

    def _answer(self, request) -> Reply:
        if isinstance(self.reply, Reply):
            return self.reply
        if isinstance(self.reply, int):
            text = codes.fault(self.reply).text_tr
            return Reply("500 Internal Server Error", soap.CONTENT_TYPE, soap.fault(code=self.reply, msg=text, sender=False))
        if isinstance(request, soap.SendDocument):
            return Reply("200 OK", soap.CONTENT_TYPE, soap.send_document_response(msg=QUEUED, hash=request.hash))
        return Reply("200 OK", soap.CONTENT_TYPE, soap.application_response_response(APPLICATION_RESPONSE.read_bytes()))

    @staticmethod
    def _send(start_response, reply: Reply):
        start_response(reply.status, [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))])
        return [reply.body]


class _Handler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the test output stays quiet
        pass

    def get_environ(self):
        environ = super().get_environ()
        if isinstance(self.connection, ssl.SSLSocket):
            subject = self.connection.getpeercert().get("subject", ())
            environ["test.client_subject"] = {key: value for rdn in subject for key, value in rdn}
        return environ


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False


@contextmanager
def serving(application, *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """*application* on a free port of 127.0.0.1 (over TLS with *tls*); yields the service URL."""
    server = make_server("127.0.0.1", 0, application, server_class=_Server, handler_class=_Handler)
    if tls:
        # The handshake happens at accept(): a client the context refuses never reaches the application.
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-gib", daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def peer() -> Peer:
    return Peer()


@pytest.fixture
def url(peer) -> Iterator[str]:
    with serving(peer) as address:
        yield address


def _envelope(body: str, *, namespace: str = soap.SOAP12) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{namespace}"><s:Body>{body}</s:Body></s:Envelope>'.encode()


def client(url: str, **options) -> GibClient:
    return GibClient(url=url, timeout=5, **options)


# --- answers ----------------------------------------------------------------------------------------


def test_send_document_hands_over_exactly_what_it_was_given(peer, url):
    data = random.Random(7).randbytes(5 * 1024 * 1024)  # GİB's largest envelope, not UTF-8
    md5 = hashlib.md5(data).hexdigest()
    assert client(url).send_document(file_name=f"{UUID}.zip", data=data, md5=md5) == QUEUED
    (received,) = peer.requests
    assert received == soap.SendDocument(f"{UUID}.zip", data, md5)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe\x00\x80\xc3(", "Şğİıüöç".encode("cp1254")])
def test_send_document_keeps_every_byte(peer, url, data):
    client(url).send_document(file_name=f"{UUID}.zip", data=data, md5=hashlib.md5(data).hexdigest())
    assert peer.requests[0].data == data


def test_get_application_response_returns_the_document_as_bytes(peer, url):
    document = APPLICATION_RESPONSE.read_bytes()
    assert "ş".encode() in document and b"\r\n" in document
    assert client(url).get_application_response(UUID) == document
    assert peer.requests == [soap.GetApplicationResponse(UUID)]


def test_an_answer_without_the_application_response_is_no_answer(peer, url):
    peer.reply = Reply("200 OK", soap.CONTENT_TYPE, _envelope(f'<ns2:getAppRespResponse xmlns:ns2="{soap.EF}"/>'))
    with pytest.raises(GibUnavailable):
        client(url).get_application_response(UUID)


# --- GİB's faults -------------------------------------------------------------------------------------


def _call(gib: GibClient, operation: str):
    if operation == "sendDocument":
        return gib.send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")
    return gib.get_application_response(UUID)


@pytest.mark.parametrize("operation", ["sendDocument", "getApplicationResponse"])
@pytest.mark.parametrize("code", sorted(codes.FAULTS))
def test_every_gib_fault_is_a_gib_fault_with_its_entry(peer, url, code, operation):
    peer.reply = code
    with pytest.raises(GibFault) as caught:
        _call(client(url), operation)
    entry = codes.FAULTS[code]
    assert (caught.value.fault_code, caught.value.text) == (code, entry.text_tr)
    assert caught.value.entry == entry and caught.value.entry.action == entry.action
    assert str(code) in str(caught.value)


def test_the_fault_codes_cover_2000_to_2007():
    assert sorted(codes.FAULTS) == list(range(2000, 2008))


def test_an_unknown_fault_code_needs_a_person(peer, url):
    peer.reply = 2099
    with pytest.raises(GibFault) as caught:
        _call(client(url), "sendDocument")
    assert caught.value.fault_code == 2099
    assert caught.value.entry.action == codes.Action.ATTENTION and not caught.value.entry.known


def test_a_fault_answered_with_http_200_is_still_a_fault(peer, url):
    peer.reply = Reply("200 OK", soap.CONTENT_TYPE, soap.fault(code=2001, msg="ZARF ID SİSTEMDE MEVCUT"))
    with pytest.raises(GibFault) as caught:
        _call(client(url), "sendDocument")
    assert caught.value.entry.action == codes.Action.WAIT


# --- no answer ---------------------------------------------------------------------------------------


SOAP11_GIB_FAULT = _envelope(
    "<s:Fault><faultcode>s:Server</faultcode><faultstring>SİSTEM HATASI</faultstring><detail>"
    f'<ns2:EFaturaFault xmlns:ns2="{soap.EF}"><code>2005</code><msg>SİSTEM HATASI</msg></ns2:EFaturaFault>'
    "</detail></s:Fault>",
    namespace="http://schemas.xmlsoap.org/soap/envelope/",
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    + _envelope(f'<ns2:documentResponse xmlns:ns2="{soap.EF}"><msg>&b;</msg></ns2:documentResponse>').split(b"?>", 1)[1]
)
NOT_ANSWERS = {
    "soap-fault-without-gib-detail": Reply("500 Internal Server Error", soap.CONTENT_TYPE, soap.fault(code=None, msg="NullPointerException", sender=False)),
    "soap-sender-fault-400": Reply("400 Bad Request", soap.CONTENT_TYPE, soap.fault(code=None, msg="the request is not XML")),
    "http-500-html": Reply("500 Internal Server Error", "text/html", b"<html><body><h1>Internal Server Error</h1><p>Tomcat<br></body></html>"),
    "http-500-html-well-formed": Reply("500 Internal Server Error", "text/html", b"<html><body><h1>Internal Server Error</h1></body></html>"),
    "http-404": Reply("404 Not Found", "text/plain", b""),
    "http-404-html": Reply("404 Not Found", "text/html", b"<html><body>Not Found</body></html>"),
    "http-503-proxy": Reply("503 Service Unavailable", "text/plain", "Servis geçici olarak kullanılamıyor".encode()),
    "garbage": Reply("200 OK", soap.CONTENT_TYPE, random.Random(3).randbytes(4096)),
    "xml-not-soap": Reply("200 OK", "text/xml", b"<status>ok</status>"),
    "empty-soap-body": Reply("200 OK", soap.CONTENT_TYPE, _envelope("")),
    "wrong-operation-answer": Reply("200 OK", soap.CONTENT_TYPE, _envelope(f'<ns2:EFaturaFault xmlns:ns2="{soap.EF}"><code>2005</code></ns2:EFaturaFault>')),
    "soap-1.1-fault": Reply("500 Internal Server Error", "text/xml", SOAP11_GIB_FAULT),
    "entities": Reply("200 OK", soap.CONTENT_TYPE, LAUGHS),
}


@pytest.mark.parametrize("operation", ["sendDocument", "getApplicationResponse"])
@pytest.mark.parametrize("reply", list(NOT_ANSWERS.values()), ids=list(NOT_ANSWERS))
def test_what_is_not_gibs_answer_is_unavailable(peer, url, reply, operation):
    peer.reply = reply
    with pytest.raises(GibUnavailable) as caught:
        _call(client(url), operation)
    assert caught.value.params["url"] == url
    assert not isinstance(caught.value, GibFault)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_unavailable():
    address = f"http://127.0.0.1:{_closed_port()}{PATH}"
    with pytest.raises(GibUnavailable) as caught:
        client(address).send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")
    assert caught.value.params["url"] == address


@contextmanager
def never_answering() -> Iterator[str]:
    """A port whose kernel accepts connections (the backlog) for a server that never reads nor answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}"


@pytest.mark.parametrize("operation", ["sendDocument", "getApplicationResponse"])
def test_a_server_that_never_answers_is_given_up_within_the_timeout(settings, operation):
    settings.GIB_TIMEOUT = 1
    with never_answering() as address:
        settings.GIB_SERVICE_URL = address
        gib = gib_client()
        started = time.monotonic()
        with pytest.raises(GibUnavailable):
            _call(gib, operation)
        assert time.monotonic() - started < 3 * settings.GIB_TIMEOUT


def test_a_5_mb_envelope_to_a_server_that_never_reads_is_given_up_within_the_timeout(settings):
    # The request no longer fits the socket buffers: the send itself must time out, not hang.
    settings.GIB_TIMEOUT = 1
    with never_answering() as address:
        gib = GibClient(url=address, timeout=settings.GIB_TIMEOUT)
        started = time.monotonic()
        with pytest.raises(GibUnavailable):
            gib.send_document(file_name=f"{UUID}.zip", data=bytes(5 * 1024 * 1024), md5="x")
        assert time.monotonic() - started < 3 * settings.GIB_TIMEOUT


# --- logging ----------------------------------------------------------------------------------------


def test_each_call_is_logged_with_operation_url_subject_and_duration(peer, url, caplog):
    caplog.set_level(logging.INFO, logger="envelopes.gib.client")
    gib = client(url)
    gib.send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")
    gib.get_application_response(UUID)
    peer.reply = 2004
    with pytest.raises(GibFault):
        gib.get_application_response(UUID)
    peer.reply = NOT_ANSWERS["http-404"]
    with pytest.raises(GibUnavailable):
        gib.send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")

    records = [r for r in caplog.records if r.name == "envelopes.gib.client"]
    assert [(r.operation, r.url, r.subject, r.outcome) for r in records] == [
        ("sendDocument", url, f"{UUID}.zip", "ok"),
        ("getApplicationResponse", url, UUID, "ok"),
        ("getApplicationResponse", url, UUID, "fault 2004"),
        ("sendDocument", url, f"{UUID}.zip", "unavailable (TransportError)"),
    ]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO, logging.WARNING, logging.WARNING]
    for record in records:
        assert record.duration_ms >= 0
        message = record.getMessage()
        assert record.operation in message and url in message and record.subject in message
        assert message.endswith(f"in {record.duration_ms:.0f} ms")


def test_the_duration_is_the_calls(caplog):
    caplog.set_level(logging.INFO, logger="envelopes.gib.client")
    with never_answering() as address:
        with pytest.raises(GibUnavailable):
            GibClient(url=address, timeout=1).get_application_response(UUID)
    (record,) = [r for r in caplog.records if r.name == "envelopes.gib.client"]
    assert 900 <= record.duration_ms < 3000
    assert record.outcome == "unavailable (ReadTimeout)"


# --- mutual TLS -----------------------------------------------------------------------------------


def server_certificate(issuer: pki.Issued) -> pki.Issued:
    """A TLS server certificate for 127.0.0.1 (IP SAN, serverAuth), which signing.pki does not issue."""
    key = pki.new_key()
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(pki.name("127.0.0.1", organization="Test GİB"))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return pki.Issued(key, certificate)


@dataclass(frozen=True)
class Tls:
    root: Path  # the test root, which issued both certificates
    other_root: Path  # a root that issued neither
    certificate: Path  # the integrator's client certificate (a seal under the test root) and its key
    key: Path
    server: ssl.SSLContext  # requires a client certificate under the test root


@pytest.fixture(scope="module")
def tls_material(test_root):
    return server_certificate(test_root), pki.seal(test_root, identifier="9876543210", title="Entegratör A.Ş."), pki.root_ca("Başka Kök")


@pytest.fixture
def tls(test_root, tls_material, tmp_path) -> Tls:
    server, integrator, other = tls_material
    files = {
        "root.pem": pki.pem(test_root.certificate), "other-root.pem": pki.pem(other.certificate),
        "client.pem": pki.pem(integrator.certificate), "client.key": pki.key_pem(integrator.key),
        "server.pem": pki.pem(server.certificate), "server.key": pki.key_pem(server.key),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(tmp_path / "root.pem")
    return Tls(tmp_path / "root.pem", tmp_path / "other-root.pem", tmp_path / "client.pem", tmp_path / "client.key", context)


@pytest.fixture
def tls_url(peer, tls) -> Iterator[str]:
    with serving(peer, tls=tls.server) as address:
        yield address


def _configure(settings, url: str, *, certificate: Path | None, key: Path | None, ca_bundle: Path | None) -> None:
    settings.GIB_SERVICE_URL = url
    settings.GIB_TIMEOUT = 5
    settings.GIB_CLIENT_CERTIFICATE = str(certificate) if certificate else None
    settings.GIB_CLIENT_KEY = str(key) if key else None
    settings.GIB_CA_BUNDLE = str(ca_bundle) if ca_bundle else None


def test_mutual_tls_with_the_client_certificate(settings, monkeypatch, peer, tls, tls_url):
    # requests would let these replace GIB_CA_BUNDLE; the client must trust GIB_CA_BUNDLE alone.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.other_root))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tls.other_root))
    _configure(settings, tls_url, certificate=tls.certificate, key=tls.key, ca_bundle=tls.root)
    gib = gib_client()
    assert gib.send_document(file_name=f"{UUID}.zip", data=b"PK\x03\x04", md5="x") == QUEUED
    assert gib.get_application_response(UUID) == APPLICATION_RESPONSE.read_bytes()
    assert peer.subjects == [{"countryName": "TR", "organizationName": "Entegratör A.Ş.", "serialNumber": "9876543210",
                              "commonName": "Entegratör A.Ş."}] * 2


def test_mutual_tls_without_the_client_certificate_is_unavailable(settings, peer, tls, tls_url):
    _configure(settings, tls_url, certificate=None, key=None, ca_bundle=tls.root)
    with pytest.raises(GibUnavailable):
        gib_client().send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")
    assert peer.requests == []


def test_a_ca_bundle_without_the_servers_root_is_unavailable(settings, monkeypatch, peer, tls, tls_url):
    # ... even when the environment's bundle would trust the server.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.root))
    _configure(settings, tls_url, certificate=tls.certificate, key=tls.key, ca_bundle=tls.other_root)
    with pytest.raises(GibUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        gib_client().send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")
    assert peer.requests == []


def test_without_a_ca_bundle_the_test_root_is_not_trusted(settings, monkeypatch, peer, tls, tls_url):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    _configure(settings, tls_url, certificate=tls.certificate, key=tls.key, ca_bundle=None)
    with pytest.raises(GibUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        gib_client().send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x")


# --- building from settings ------------------------------------------------------------------------


def test_gib_client_is_built_from_the_settings(settings, peer, url):
    _configure(settings, url, certificate=None, key=None, ca_bundle=None)
    gib = gib_client()
    assert gib.url == url
    assert gib.send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x") == QUEUED
    assert len(peer.requests) == 1


def test_the_wsdl_comes_from_the_installed_package(settings, gib_root):
    settings.GIB_WSDL = None
    path = wsdl_path()
    assert path.is_relative_to(gib_root) and path.name == "EFatura_Test.wsdl"
    assert path.read_bytes() == (GIB / "wsdl" / "EFatura_Test.wsdl").read_bytes()


def test_no_wsdl_when_the_installed_package_has_none(settings, gib_root, tmp_path):
    root = tmp_path / "gib"
    shutil.copytree(gib_root, root, ignore=shutil.ignore_patterns("wsdl"))
    settings.GIB_PACKAGES_ROOT = root
    settings.GIB_WSDL = None
    with pytest.raises(NoWsdl) as caught:
        wsdl_path()
    assert "EFatura_Test.wsdl" in str(caught.value)
    with pytest.raises(NoWsdl):
        gib_client()


def test_no_wsdl_when_no_package_is_installed(settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path / "empty"
    settings.GIB_WSDL = None
    with pytest.raises(NoWsdl, match="no GİB package installed"):
        gib_client()


def test_no_wsdl_when_the_setting_names_a_missing_file(settings, tmp_path):
    settings.GIB_WSDL = str(tmp_path / "EFatura.wsdl")
    with pytest.raises(NoWsdl):
        wsdl_path()


def test_the_wsdl_setting_wins_over_the_package(settings, tmp_path, peer, url):
    settings.GIB_PACKAGES_ROOT = tmp_path / "empty"
    settings.GIB_WSDL = str(GIB / "wsdl" / "EFatura_Canlı.wsdl")  # the live WSDL: only its address differs
    assert wsdl_path() == GIB / "wsdl" / "EFatura_Canlı.wsdl"
    assert client(url).send_document(file_name=f"{UUID}.zip", data=b"PK", md5="x") == QUEUED
