"""The local TSA: RFC 3161 over HTTP for the embedded default, the demo and the tests.

A WSGI application that answers a POSTed TimeStampReq (``application/timestamp-query``) with a
TimeStampResp holding a token signed by its TSA key: genTime from this machine's clock, a serial
that only increases (microseconds since the epoch, bumped when two requests share one), the policy
OID it is given, the request's nonce echoed, the TSA certificate included when asked.  A request it
cannot read, or one sent with another content type, gets HTTP 400 with a PKIStatus rejection; a
readable request it will not serve (unknown hash, another policy, extensions) gets HTTP 200 with a
rejection, as RFC 3161 says.  No answer ever carries a traceback.  With a user name it asks for
HTTP Basic authentication, or with ``auth="kamusm"`` for Kamu SM's ``identity`` header (the user name
is then the customer number): a header it cannot read or decrypt, another customer, or an identity
made for another request is refused the way Kamu SM refuses, with HTTP 200 and the reason as ASN.1
text.  ``manage.py run_tsa`` serves it; production uses Kamu SM's TSA instead.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import socket
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from signing import pki
from signing.timestamp import (
    REPLY_TYPE,
    REQUEST_TYPE,
    ESYAReqEx,
    TimeStampResp,
    kamusm_customer_id,
    kamusm_decrypt,
    kamusm_identity_read,
    kamusm_key,
)

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 * 1024  # a request is about a hundred bytes
IMPRINT_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
# The client chooses the PBKDF2 iteration count: bounded, so that one header cannot cost seconds.
MAX_IDENTITY_ITERATIONS = 10_000
# Kamu SM's one answer for a wrong password, whatever the cause: it tells a guesser nothing more.
NOT_AUTHENTICATED = "Account could not be authenticated"


class _Rejected(Exception):
    def __init__(self, failure: str, text: str, http_status: str = "200 OK") -> None:
        super().__init__(text)
        self.failure, self.text, self.http_status = failure, text, http_status

    def body(self) -> bytes:
        return _rejection(self.failure, self.text)


class _KamusmTexts(core.SequenceOf):
    _child_spec = core.UTF8String


class _IdentityRefused(_Rejected):
    """A refused Kamu SM identity, answered as Kamu SM does: HTTP 200, the text in ASN.1, no TimeStampResp."""

    def __init__(self, text: str, why: str = "") -> None:
        super().__init__("identity", f"{text} ({why})" if why else text)  # *why* is for our log only
        self.said = text

    def body(self) -> bytes:
        return _KamusmTexts([self.said]).dump()


class TsaApplication:
    def __init__(
        self,
        *,
        signer: pki.Issued,
        policy: str,
        chain: list[x509.Certificate] | None = None,
        username: str | None = None,
        password: str | None = None,
        auth: str = "basic",
    ) -> None:
        if auth not in ("basic", "kamusm"):
            raise ValueError(f"unknown TSA authentication {auth!r}: use basic or kamusm")
        self.signer = signer
        self.policy = policy
        self.subject = signer.certificate.subject.rfc4514_string()
        der = signer.certificate.public_bytes(serialization.Encoding.DER)
        self._certificate = asn1_x509.Certificate.load(der)
        self._certificate_hash = hashlib.sha256(der).digest()
        self._chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain or []]
        # Built once: asn1crypto re-tags (deep-copies and re-encodes) certificates put into a SignedData,
        # which cost tens of milliseconds per token; an already tagged set is taken as it is.
        self._certificate_set = cms.SignedData({"certificates": [self._certificate, *self._chain]})["certificates"]
        self._tsa_name = asn1_x509.GeneralName(name="directory_name", value=self._certificate.subject)
        self._sid = _encoded(cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value={"issuer": self._certificate.issuer, "serial_number": self._certificate.serial_number},
        ))
        self.auth = auth if username else None
        self._credentials = f"{username}:{password or ''}".encode() if self.auth == "basic" else None
        self._customer = (kamusm_customer_id(username), password or "") if self.auth == "kamusm" else None
        self._serial_lock = threading.Lock()
        self._last_serial = 0

    def __call__(self, environ, start_response):
        try:
            status, headers, body = self._answer(environ)
        except Exception:  # the log gets the traceback; the client gets an RFC 3161 answer
            log.exception("local TSA: unexpected failure")
            status, headers, body = "500 Internal Server Error", [], _rejection("system_failure", "internal error")
        if not headers:
            headers = [("Content-Type", REPLY_TYPE)]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _answer(self, environ) -> tuple[str, list, bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            headers = [("Allow", "POST"), ("Content-Type", "text/plain")]
            return "405 Method Not Allowed", headers, b"POST an RFC 3161 request.\n"
        if self._credentials and not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            headers = [("WWW-Authenticate", 'Basic realm="TSA", charset="UTF-8"'), ("Content-Type", "text/plain")]
            return "401 Unauthorized", headers, b"Wrong or missing user name and password.\n"
        try:
            request = self._read_request(environ)
            if self._customer:
                self._check_identity(environ.get("HTTP_IDENTITY", ""), request)
            return "200 OK", [], self._granted(request)
        except _Rejected as rejected:
            log.info("local TSA: rejected (%s): %s", rejected.failure, rejected.text)
            return rejected.http_status, [], rejected.body()

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return scheme.lower() == "basic" and hmac.compare_digest(given, self._credentials)

    def _check_identity(self, header: str, request: tsp.TimeStampReq) -> None:
        """Kamu SM's authentication: the header names our customer and, decrypted with its password,
        is this request's imprint; so a header copied onto a request for another digest fails."""
        try:
            identity = kamusm_identity_read(header)
        except ValueError:
            raise _IdentityRefused(NOT_AUTHENTICATED, "no readable identity header") from None
        customer_id, password = self._customer
        if identity["userid"].native != customer_id:
            raise _IdentityRefused(f"User {str(identity['userid'].native)[:20]} is not known")
        imprint = _decrypted_imprint(identity, password)
        if not hmac.compare_digest(imprint, request["message_imprint"]["hashed_message"].native):
            raise _IdentityRefused(NOT_AUTHENTICATED, "the identity was made for another digest")

    def _read_request(self, environ) -> tsp.TimeStampReq:
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if content_type != REQUEST_TYPE:
            raise _Rejected("bad_request", f"the Content-Type must be {REQUEST_TYPE}", "400 Bad Request")
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            raise _Rejected("bad_request", "a Content-Length is required", "411 Length Required") from None
        if not 0 < length <= MAX_REQUEST_BYTES:
            raise _Rejected("bad_request", f"the request must be 1 to {MAX_REQUEST_BYTES} bytes", "400 Bad Request")
        body = environ["wsgi.input"].read(length)
        try:
            request = tsp.TimeStampReq.load(body, strict=True)
            request.native  # parse all of it now: asn1crypto is lazy
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            raise _Rejected("bad_data_format", f"not a TimeStampReq: {str(exc)[:100]}", "400 Bad Request") from None
        self._check(request)
        return request

    def _check(self, request: tsp.TimeStampReq) -> None:
        if request["version"].native != "v1":
            raise _Rejected("bad_request", "only version 1 requests are served")
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in IMPRINT_LENGTHS:
            raise _Rejected("bad_alg", f"the hash algorithm {algorithm} is not accepted; use SHA-256")
        if len(imprint["hashed_message"].native) != IMPRINT_LENGTHS[algorithm]:
            raise _Rejected("bad_data_format", f"the message imprint is not a {algorithm} digest")
        if request["req_policy"].native not in (None, self.policy):
            raise _Rejected("unaccepted_policy", f"this TSA serves the policy {self.policy} only")
        if request["extensions"].native:
            raise _Rejected("unaccepted_extensions", "no extensions are accepted")

    def _granted(self, request: tsp.TimeStampReq) -> bytes:
        serial = self._next_serial()
        token = self._token(request, serial=serial, now=dt.datetime.now(dt.UTC))
        log.info("local TSA: granted serial %d", serial)
        return TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    def _next_serial(self) -> int:
        with self._serial_lock:
            self._last_serial = max(self._last_serial + 1, time.time_ns() // 1000)
            return self._last_serial

    def _token(self, request: tsp.TimeStampReq, *, serial: int, now: dt.datetime) -> cms.ContentInfo:
        tst_der = self._tst_info(request, serial=serial, now=now).dump()
        signed = {
            "version": "v3",  # RFC 5652 5.1: eContentType is not id-data
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)},
            "signer_infos": [_encoded(self._signer_info(tst_der))],
        }
        if request["cert_req"].native:
            signed["certificates"] = self._certificate_set
        return cms.ContentInfo({"content_type": "signed_data", "content": _encoded(cms.SignedData(signed))})

    def _tst_info(self, request: tsp.TimeStampReq, *, serial: int, now: dt.datetime) -> tsp.TSTInfo:
        imprint = request["message_imprint"]
        fields = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": {
                "hash_algorithm": {"algorithm": imprint["hash_algorithm"]["algorithm"].native},
                "hashed_message": imprint["hashed_message"].native,
            },
            "serial_number": serial,
            "gen_time": now,
            "tsa": self._tsa_name,
        }
        if request["nonce"].native is not None:
            fields["nonce"] = request["nonce"].native
        return tsp.TSTInfo(fields)

    def _signer_info(self, tst_der: bytes) -> cms.SignerInfo:
        attributes = _encoded(cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
            # RFC 5816: the certificate the token was signed with, by its SHA-256 hash
            {"type": "signing_certificate_v2", "values": [{"certs": [{"cert_hash": self._certificate_hash}]}]},
        ]))
        signed_bytes = attributes.dump()  # signed as a SET (its own tag), sent as [0] IMPLICIT
        return cms.SignerInfo({
            "version": "v1",
            "sid": self._sid,
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": self.signer.key.sign(signed_bytes, padding.PKCS1v15(), hashes.SHA256()),
        })


def _decrypted_imprint(identity: ESYAReqEx, password: str) -> bytes:
    iterations = identity["iteration_count"].native
    if not 0 < iterations <= MAX_IDENTITY_ITERATIONS:
        raise _IdentityRefused(NOT_AUTHENTICATED, f"{str(iterations)[:20]} PBKDF2 iterations")
    try:
        key = kamusm_key(password, identity["salt"].native, iterations)
        return kamusm_decrypt(key, identity["iv"].native, identity["encrypted_message_imprint"].native)
    except ValueError:  # the padding, most often: a wrong password
        raise _IdentityRefused(NOT_AUTHENTICATED, "the imprint does not decrypt") from None


def _encoded(value):
    # asn1crypto deep-copies a value built in memory when it is nested in another (re-tagging), at
    # tens of milliseconds per token; the same value read back from its encoding is copied as bytes.
    return type(value).load(value.dump())


def _rejection(failure: str, text: str) -> bytes:
    status = {"status": "rejection", "status_string": [text], "fail_info": {failure}}
    return TimeStampResp({"status": status}).dump()


# --- Serving -----------------------------------------------------------------------------------


def application_from_settings() -> TsaApplication:
    """The TSA of the settings: TSA_SERVER_KEY/TSA_SERVER_CERTIFICATE when set, else the local PKI's TSA."""
    if settings.TSA_SERVER_KEY:
        signer, chain = _signer_from_pem(settings.TSA_SERVER_KEY.encode(), settings.TSA_SERVER_CERTIFICATE.encode())
    else:
        from signing.devpki import dev_pki

        signer, chain = dev_pki().tsa, []
    return TsaApplication(
        signer=signer,
        chain=chain,
        policy=settings.TSA_POLICY_OID,
        username=settings.TSA_USERNAME,
        password=settings.TSA_PASSWORD,
        auth=settings.TSA_AUTH,
    )


def _signer_from_pem(key_pem: bytes, certificates_pem: bytes) -> tuple[pki.Issued, list[x509.Certificate]]:
    """The TSA key, and its certificate followed by the chain; ValueError says what does not fit."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    certificate, *chain = x509.load_pem_x509_certificates(certificates_pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the TSA key must be an RSA key")
    if key.public_key() != certificate.public_key():
        raise ValueError("the TSA key does not belong to the first certificate of TSA_SERVER_CERTIFICATE")
    return pki.Issued(key, certificate), chain


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _LoggingHandler(WSGIRequestHandler):
    timeout = 30  # seconds: a client that stops sending mid-request does not hold a thread forever
    # wsgiref writes the headers and the body separately: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK of the headers, 40 ms on Linux, for every timestamp.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002  (the name wsgiref uses)
        log.info("local TSA: %s " + format, self.address_string(), *args)


def make_tsa_server(application: TsaApplication, host: str, port: int) -> WSGIServer:
    """A threading HTTP server for *application*; port 0 picks a free port (``server.server_port``)."""
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    return make_server(host, port, application, server_class=server_class, handler_class=_LoggingHandler)


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8318`` for IPv6) into its parts; ValueError when it is not that."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{bind!r} is not HOST:PORT")
    return host.strip("[]"), int(port)
