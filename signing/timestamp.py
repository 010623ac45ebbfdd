"""RFC 3161 timestamps: ask a TSA for a token over a digest; verify a token before anything relies on it.

``timestamp(digest)`` is the one client of the timestamp authority (TSA): Kamu SM's in production,
the local TSA (``manage.py run_tsa``) by default.  It returns a token only after checking all of
it: the status, the content type, our imprint and our nonce, the CMS signature over the TSTInfo,
and the TSA certificate (critical timeStamping usage, chaining to a trusted root, valid at
``genTime``).  ``verify_token`` makes the same checks, without the nonce, on a token stored in a
signed invoice.  Every failure is a ``TimestampError`` with a stable code; whatever a TSA answers,
no other exception leaves this module.

Authentication is HTTP Basic (``TSA_AUTH=basic``) or Kamu SM's own (``kamusm``): an ``identity``
header holding the request's imprint encrypted under a key derived from the password, with a fresh
salt each time (``kamusm_identity``).  Kamu SM answers a refused identity with HTTP 200 and text in
an ASN.1 body; that text becomes the message of a ``TimestampUnauthorized`` or ``TimestampRefused``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import logging
import re
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from asn1crypto import cms, core, parser, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError, network_reason
from signing import certificates

log = logging.getLogger(__name__)

REQUEST_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 256 * 1024  # a token with a long chain is a few KB
# SHA-1 is not accepted for the CMS signature: a token is evidence for ten years.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
KAMUSM_ITERATIONS = 100  # what Kamu SM's own clients send; a server reads the count from the header
KAMUSM_SALT_BYTES = 16
KAMUSM_MAX_CUSTOMER_ID = 2**31 - 1  # Kamu SM's Java client holds the customer number in an int


class TimeStampResp(core.Sequence):
    """RFC 3161 2.4.2 TimeStampResp: asn1crypto's marks the token mandatory, so it cannot read a rejection."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


class TimestampError(DomainError):
    code = "timestamp_error"
    message = _("The timestamp could not be obtained.")


class TimestampUnreachable(TimestampError):
    code = "timestamp_unreachable"
    message = _("The timestamp authority did not answer.")


class TimestampRefused(TimestampError):
    code = "timestamp_refused"
    message = _("The timestamp authority refused the request.")


class TimestampUnauthorized(TimestampRefused):
    code = "timestamp_unauthorized"
    message = _("The timestamp authority refused our user name or password (TSA_USERNAME, TSA_PASSWORD).")


class TimestampMalformed(TimestampError):
    code = "timestamp_malformed"
    message = _("The timestamp authority's answer is not a readable RFC 3161 timestamp.")


class TimestampImprintMismatch(TimestampError):
    code = "timestamp_imprint_mismatch"
    message = _("The timestamp is for another document: its message imprint is not the digest we sent.")


class TimestampNonceMismatch(TimestampError):
    code = "timestamp_nonce_mismatch"
    message = _("The timestamp answers another request: its nonce is not ours (a replayed answer?).")


class TimestampUntrusted(TimestampError):
    code = "timestamp_untrusted"
    message = _("The timestamp's TSA certificate is not trusted.")


class TimestampBadSignature(TimestampError):
    code = "timestamp_bad_signature"
    message = _("The timestamp's signature does not verify: the token was altered or not signed by its TSA.")


@dataclass(frozen=True)
class TokenInfo:
    gen_time: dt.datetime  # aware, UTC
    serial: int
    policy: str  # dotted OID
    tsa_certificate: x509.Certificate
    nonce: int | None

    @property
    def tsa_subject(self) -> str:
        return self.tsa_certificate.subject.rfc4514_string()


@dataclass(frozen=True)
class Token:
    der: bytes  # the TimeStampToken (CMS ContentInfo) exactly as the TSA sent it: what a signature embeds
    info: TokenInfo


def timestamp(
    digest: bytes,
    *,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    auth: str | None = None,
    timeout: float | None = None,
    roots: list[x509.Certificate] | None = None,
) -> Token:
    """A verified token over *digest* (a SHA-256 digest); every argument defaults to its TSA_* setting."""
    _require_sha256(digest)
    url = url or settings.TSA_URL
    username = settings.TSA_USERNAME if username is None else username
    password = settings.TSA_PASSWORD if password is None else password
    auth = auth or settings.TSA_AUTH
    credentials = _credentials(auth, username, password, digest)
    roots = trusted_roots() if roots is None else roots
    nonce = secrets.randbits(64)
    started = time.monotonic()
    try:
        body = _request(digest, nonce).dump()
        reply = _post(url, body, credentials=credentials, timeout=timeout or settings.TSA_TIMEOUT)
        if auth == "kamusm":
            _raise_kamusm_refusal(reply, url)
        token = _read_reply(reply, digest, nonce=nonce, roots=roots)
    except TimestampError as exc:
        log.warning("timestamp %s failed in %d ms: %s: %s", _shown(url), _ms(started), exc.code, exc)
        raise
    info = token.info
    log.info("timestamp %s in %d ms: serial %d, genTime %s, TSA %s",
             _shown(url), _ms(started), info.serial, info.gen_time.isoformat(), info.tsa_subject)
    return token


def verify_token(token_der: bytes, digest: bytes, *, roots: list[x509.Certificate]) -> TokenInfo:
    """Check a stored token over *digest* (SHA-256) as ``timestamp`` checks a fresh one, without the nonce."""
    _require_sha256(digest)
    with _unreadable():
        token = cms.ContentInfo.load(token_der, strict=True)
    return _verify(token, digest, nonce=None, roots=roots)


def trusted_roots() -> list[x509.Certificate]:
    """The roots a TSA certificate must chain to: the TSA_TRUST_ROOTS bundle, or else the local PKI's root."""
    return certificates.configured_roots("TSA_TRUST_ROOTS", settings.TSA_TRUST_ROOTS)


# --- The exchange ------------------------------------------------------------------------------


def _require_sha256(digest: bytes) -> None:
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise ValueError("a timestamp is asked for a SHA-256 digest: 32 bytes")


def _request(digest: bytes, nonce: int) -> tsp.TimeStampReq:
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,  # the token must carry the TSA certificate: we verify it, now and years later
    })


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would resend our credentials elsewhere (or lose the POST body): refuse it.
    def redirect_request(self, *args, **kwargs):
        return None


class _NoDelay:
    # http.client sends the headers and the body in two writes; with Nagle's algorithm on, the body
    # waits for the server's delayed ACK of the headers (40 ms on Linux) on every timestamp.
    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HTTPConnection(_NoDelay, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_NoDelay, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._context)


_opener = urllib.request.build_opener(_NoRedirect, _HTTPHandler, _HTTPSHandler)


def _credentials(auth: str, username: str | None, password: str | None, digest: bytes) -> dict[str, str]:
    """The credentials of one request: none without a user name, else Basic or Kamu SM's identity."""
    if not username:
        return {}
    if auth == "basic":
        pair = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}
    if auth == "kamusm":
        # Kamu SM's client sends no-cache: an identity is good for one request, never a cached answer.
        identity = kamusm_identity(kamusm_customer_id(username), password or "", digest)
        return {"identity": identity, "Cache-Control": "no-cache", "Pragma": "no-cache"}
    raise ValueError(f"unknown TSA authentication {auth!r}: use basic or kamusm")


def kamusm_customer_id(username: str) -> int:
    """The Kamu SM customer number that *username* spells; ValueError when it is not one."""
    if not (username.isascii() and username.isdigit() and int(username) <= KAMUSM_MAX_CUSTOMER_ID):
        raise ValueError("Kamu SM authentication takes a customer number as the user name")
    return int(username)


def _post(url: str, body: bytes, *, credentials: dict[str, str], timeout: float) -> bytes:
    """POST *body* with the *credentials* headers, which are never logged: they hold, or give away, the password."""
    headers = {"Content-Type": REQUEST_TYPE, "Accept": REPLY_TYPE, **credentials}
    try:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with _opener.open(request, timeout=timeout) as response:
            return _read_body(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return _http_error(exc, url, authenticated=bool(credentials))
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError and timeouts are OSErrors
        raise TimestampUnreachable(
            _("The timestamp authority at %(url)s did not answer: %(reason)s."),
            url=_shown(url), reason=network_reason(exc),
        ) from None


def _read_body(response) -> bytes:
    body = response.read(MAX_REPLY_BYTES + 1)
    if len(body) > MAX_REPLY_BYTES:
        raise TimestampMalformed(
            _("The timestamp authority's answer is larger than %(limit)d bytes."), limit=MAX_REPLY_BYTES
        )
    return body


def _http_error(error: urllib.error.HTTPError, url: str, *, authenticated: bool) -> bytes:
    """An RFC 3161 rejection sent with an HTTP error status is still an answer; anything else is mapped."""
    if error.code in (401, 403):
        if not authenticated:
            raise TimestampUnauthorized(
                _("The timestamp authority at %(url)s asks for a user name and password (TSA_USERNAME, TSA_PASSWORD)."),
                url=_shown(url),
            )
        raise TimestampUnauthorized(
            _("The timestamp authority at %(url)s refused our user name or password (HTTP %(status)d)."),
            url=_shown(url), status=error.code,
        )
    try:
        body = _read_body(error)
        if TimeStampResp.load(body, strict=True)["status"]["status"].native:
            return body
    except (OSError, http.client.HTTPException, ValueError, TypeError, TimestampError):
        pass
    params = {"url": _shown(url), "status": error.code}
    if error.code >= 500:
        raise TimestampUnreachable(_("The timestamp authority at %(url)s answered HTTP %(status)d."), **params)
    raise TimestampRefused(_("The timestamp authority at %(url)s answered HTTP %(status)d."), **params)


def _read_reply(body: bytes, digest: bytes, *, nonce: int, roots: list[x509.Certificate]) -> Token:
    with _unreadable():
        reply = TimeStampResp.load(body, strict=True)
        status = reply["status"]
        granted = status["status"].native in ("granted", "granted_with_mods")
        if not granted:
            said = [*(status["status_string"].native or []), *sorted(status["fail_info"].native or [])]
            raise TimestampRefused(
                _("The timestamp authority refused the request (%(status)s): %(detail)s."),
                status=status["status"].native, detail="; ".join(said) or "-",
            )
        token = reply["time_stamp_token"]
        if not isinstance(token, cms.ContentInfo):
            raise TimestampMalformed(_("The timestamp authority granted the request but sent no token."))
    return Token(der=token.dump(), info=_verify(token, digest, nonce=nonce, roots=roots))


# --- Kamu SM's identity header and its refusals ------------------------------------------------


class ESYAReqEx(core.Sequence):
    """Kamu SM's ``identity`` header: the customer number and the imprint encrypted with the password."""

    _fields = [
        ("userid", core.Integer),
        ("salt", core.OctetString),
        ("iteration_count", core.Integer),
        ("iv", core.OctetString),
        ("encrypted_message_imprint", core.OctetString),
    ]


def kamusm_identity(customer_id: int, password: str, imprint: bytes, *, salt: bytes | None = None) -> str:
    """The ``identity`` header of a request over *imprint* (the digest being stamped).

    One random value (*salt*, fixed only by tests) is both the PBKDF2 salt and the AES IV, as in Kamu
    SM's clients: a fresh one per request makes every header different, even for the same digest.
    """
    salt = secrets.token_bytes(KAMUSM_SALT_BYTES) if salt is None else salt
    encrypted = kamusm_encrypt(kamusm_key(password, salt, KAMUSM_ITERATIONS), salt, imprint)
    der = ESYAReqEx({
        "userid": customer_id,
        "salt": salt,
        "iteration_count": KAMUSM_ITERATIONS,
        "iv": salt,
        "encrypted_message_imprint": encrypted,
    }).dump()
    # As Kamu SM's Java client writes it, new BigInteger(der).toString(16): a SEQUENCE starts with
    # 0x30, so the number is positive, no leading digit is lost and the hex is that of the DER.
    return format(int.from_bytes(der, "big"), "x")


def kamusm_identity_read(header: str) -> ESYAReqEx:
    """The identity in an ``identity`` header, read in full; ValueError when it is not one."""
    digits = header.strip()
    if not re.fullmatch(r"[0-9a-fA-F]{1,2048}", digits):
        raise ValueError("the identity header is not a hexadecimal number")
    # The header is a number (Java's BigInteger): its value, in as few bytes as it takes, is the DER.
    number = int(digits, 16)
    der = number.to_bytes((number.bit_length() + 7) // 8, "big")
    identity = ESYAReqEx.load(der, strict=True)
    identity.native  # asn1crypto parses lazily: read all of it now, so that no field fails later
    return identity


def kamusm_key(password: str, salt: bytes, iterations: int) -> bytes:
    """The AES-256 key: PBKDF2-HMAC-SHA256 of the UTF-8 password."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(password.encode())


def kamusm_encrypt(key: bytes, iv: bytes, plain: bytes) -> bytes:
    padder = block_padding.PKCS7(algorithms.AES.block_size).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


def kamusm_decrypt(key: bytes, iv: bytes, encrypted: bytes) -> bytes:
    """The plaintext; ValueError for a wrong IV or length or padding (a wrong password, most often)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(encrypted) + decryptor.finalize()
    unpadder = block_padding.PKCS7(algorithms.AES.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


# Kamu SM's words for a customer number or password it does not accept ("User 999 is not known",
# "Account could not be authenticated"); any other text it sends is a plain refusal.
_KAMUSM_UNAUTHORIZED = re.compile(r"\buser\b.*\bnot known\b|could not be authenticated", re.IGNORECASE)
# The ASN.1 character strings such an answer may carry, and how their bytes are read; the 8-bit
# Teletex string is taken as Turkish (ISO-8859-9), as Kamu SM's Java client reads its error pages.
_TEXT_TAGS = {12: "utf-8", 19: "ascii", 20: "iso-8859-9", 22: "ascii", 26: "ascii"}
_MAX_TEXTS = 5


def _raise_kamusm_refusal(body: bytes, url: str) -> None:
    """Kamu SM refuses a request with HTTP 200 and its reason as text in an ASN.1 body that is not a
    TimeStampResp: raise it with that text.  RFC 3161 answers go on to ``_read_reply`` as they are,
    unless their text is Kamu SM's refusal of our customer number or password."""
    status = _rfc3161_status(body)
    if status in ("granted", "granted_with_mods"):
        return
    said = "; ".join(_asn1_texts(body))
    shown = _shown(url)
    if said and _KAMUSM_UNAUTHORIZED.search(said):
        raise TimestampUnauthorized(
            _("The timestamp authority at %(url)s refused our customer number or password "
              "(TSA_USERNAME, TSA_PASSWORD): %(said)s."),
            url=shown, said=said,
        )
    if said and status is None:
        raise TimestampRefused(_("The timestamp authority at %(url)s refused the request: %(said)s."), url=shown, said=said)


def _rfc3161_status(body: bytes) -> str | None:
    """The PKIStatus of *body* when it reads as a TimeStampResp, else None."""
    try:
        return TimeStampResp.load(body, strict=True)["status"]["status"].native
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None


def _asn1_texts(data: bytes, depth: int = 0) -> list[str]:
    """The character strings of an ASN.1 body, in order, at any depth; where it stops parsing, so does the walk."""
    texts: list[str] = []
    while data and depth < 16 and len(texts) < _MAX_TEXTS:
        try:
            kind, constructed, tag, header, contents, trailer = parser.parse(data)
        except (ValueError, TypeError):
            break
        data = data[len(header) + len(contents) + len(trailer):]
        if constructed:
            texts += _asn1_texts(contents, depth + 1)
        elif kind == 0 and tag in _TEXT_TAGS:
            texts.append(_plain(contents.decode(_TEXT_TAGS[tag], errors="replace")))
    return [text for text in texts if text][:_MAX_TEXTS]


def _plain(text: str) -> str:
    """A server's text made fit for a log line and a message: printable, one line, bounded."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:200]


# --- Verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    tst_der: bytes  # the encapsulated TSTInfo as signed
    tst_info: tsp.TSTInfo
    signer_info: cms.SignerInfo
    certificates: list[asn1_x509.Certificate]


def _verify(token: cms.ContentInfo, digest: bytes, *, nonce: int | None, roots: list[x509.Certificate]) -> TokenInfo:
    """Integrity and origin first (signature, TSA certificate), then whether the token is the one we asked for."""
    with _unreadable():
        parts = _parts(token)
        signer = _signer_certificate(parts)
        _check_signature(parts, signer)
        gen_time = parts.tst_info["gen_time"].native
        if gen_time.tzinfo is None:
            raise TimestampMalformed(_("The timestamp's genTime is not in UTC."))
        gen_time = gen_time.astimezone(dt.UTC)
        pool = [x509.load_der_x509_certificate(c.dump()) for c in parts.certificates]
        _check_tsa_certificate(signer, pool=pool, roots=roots, at=gen_time)
        _check_imprint(parts.tst_info, digest)
        if nonce is not None and parts.tst_info["nonce"].native != nonce:
            raise TimestampNonceMismatch()
        return TokenInfo(
            gen_time=gen_time,
            serial=parts.tst_info["serial_number"].native,
            policy=parts.tst_info["policy"].dotted,
            tsa_certificate=signer,
            nonce=parts.tst_info["nonce"].native,
        )


@contextmanager
def _unreadable() -> Iterator[None]:
    """asn1crypto parses lazily: a malformed field raises wherever it is first read, so reading is guarded."""
    try:
        yield
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise TimestampMalformed(_("The timestamp token cannot be read: %(reason)s."), reason=str(exc)[:200]) from exc


def _parts(token: cms.ContentInfo) -> _Parts:
    if token["content_type"].native != "signed_data":
        raise TimestampMalformed(_("The timestamp token is not CMS SignedData."))
    signed = token["content"]
    content = signed["encap_content_info"]
    if content["content_type"].native != "tst_info":
        raise TimestampMalformed(_("The timestamp token does not hold a TSTInfo."))
    tst_der = bytes(content["content"])
    tst_info = tsp.TSTInfo.load(tst_der, strict=True)
    if tst_info["version"].native != "v1":
        raise TimestampMalformed(_("The timestamp token's TSTInfo is not version 1."))
    if len(signed["signer_infos"]) != 1:
        raise TimestampMalformed(_("A timestamp token has exactly one signer."))
    certificates = [c.chosen for c in signed["certificates"] if c.name == "certificate"]  # absent: empty
    return _Parts(tst_der, tst_info, signed["signer_infos"][0], certificates)


def _signer_certificate(parts: _Parts) -> x509.Certificate:
    sid = parts.signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        issuer, serial = sid.chosen["issuer"], sid.chosen["serial_number"].native
        found = [c for c in parts.certificates if c.issuer == issuer and c.serial_number == serial]
    else:
        found = [c for c in parts.certificates if c.key_identifier == sid.chosen.native]
    if not found:
        raise TimestampUntrusted(_("The timestamp token does not carry the certificate of the TSA that signed it."))
    return x509.load_der_x509_certificate(found[0].dump())


def _signed_attributes(signer_info: cms.SignerInfo) -> dict:
    """The single value of each signed attribute, by name; an attribute or a value given twice is refused."""
    attributes = {}
    for attribute in signer_info["signed_attrs"]:  # absent: empty, and then the checks below refuse the token
        name = attribute["type"].native
        if name in attributes or len(attribute["values"]) != 1:
            raise TimestampMalformed(_("The timestamp token's signed attribute %(name)s is given twice."), name=name)
        attributes[name] = attribute["values"][0]
    return attributes


def _check_signature(parts: _Parts, signer: x509.Certificate) -> None:
    """RFC 5652 5.4: the signature covers the signed attributes, which bind the TSTInfo and the TSA certificate."""
    digest_name = parts.signer_info["digest_algorithm"]["algorithm"].native
    _hash_algorithm(digest_name)  # refuses what is not accepted
    attributes = _signed_attributes(parts.signer_info)
    if _native(attributes, "content_type") != "tst_info":
        raise TimestampBadSignature(_("The timestamp's signed content type is not TSTInfo."))
    if _native(attributes, "message_digest") != _hash(digest_name, parts.tst_der):
        raise TimestampBadSignature()
    _check_signing_certificate(attributes, signer)
    signed_bytes = b"\x31" + parts.signer_info["signed_attrs"].dump()[1:]  # signed as a SET, sent as [0] IMPLICIT
    _verify_signature(parts.signer_info, signer.public_key(), parts.signer_info["signature"].native, signed_bytes)


def _native(attributes: dict, name: str):
    return attributes[name].native if name in attributes else None


def _check_signing_certificate(attributes: dict, signer: x509.Certificate) -> None:
    """RFC 3161 2.4.2 / RFC 5816: the ESS signing-certificate attribute names the TSA certificate by its hash."""
    der = signer.public_bytes(serialization.Encoding.DER)
    if "signing_certificate_v2" in attributes:
        first = attributes["signing_certificate_v2"]["certs"][0]
        algorithm = first["hash_algorithm"]["algorithm"].native
        matches = algorithm in HASHES and first["cert_hash"].native == _hash(algorithm, der)
    elif "signing_certificate" in attributes:  # the first version, with a SHA-1 hash: it only names the certificate
        matches = attributes["signing_certificate"]["certs"][0]["cert_hash"].native == hashlib.sha1(der).digest()
    else:
        raise TimestampBadSignature(_("The timestamp does not name the certificate that signed it (ESS signing-certificate)."))
    if not matches:
        raise TimestampBadSignature(_("The timestamp names another certificate than the one that signed it."))


def _verify_signature(signer_info: cms.SignerInfo, key, signature: bytes, data: bytes) -> None:
    algorithm = signer_info["signature_algorithm"]
    kind = algorithm.signature_algo
    digest = _hash_algorithm(signer_info["digest_algorithm"]["algorithm"].native)
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            parameters = algorithm["parameters"]
            key.verify(signature, data, _pss(parameters), _hash_algorithm(parameters["hash_algorithm"]["algorithm"].native))
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            raise TimestampBadSignature(
                _("The timestamp's signature algorithm %(algorithm)s does not fit its certificate's key."),
                algorithm=algorithm["algorithm"].native,
            )
    except InvalidSignature:
        raise TimestampBadSignature() from None


def _pss(parameters) -> padding.PSS:
    mask = parameters["mask_gen_algorithm"]
    if mask["algorithm"].native != "mgf1":
        raise TimestampBadSignature(_("The timestamp's RSA-PSS signature uses an unknown mask generation function."))
    mask_hash = _hash_algorithm(mask["parameters"]["algorithm"].native)
    return padding.PSS(mgf=padding.MGF1(mask_hash), salt_length=parameters["salt_length"].native)


def _hash_algorithm(name: str) -> hashes.HashAlgorithm:
    if name not in HASHES:
        raise TimestampBadSignature(_("The timestamp is signed with %(algorithm)s, which is not accepted."), algorithm=name)
    return HASHES[name]()


def _hash(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _check_tsa_certificate(certificate: x509.Certificate, *, pool, roots, at: dt.datetime) -> None:
    subject = certificate.subject.rfc4514_string()
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        usage = None
    # RFC 3161 2.3: a TSA certificate has the timeStamping extended key usage, marked critical.
    if usage is None or not usage.critical or ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise TimestampUntrusted(_("The certificate %(subject)s is not a timestamping certificate."), subject=subject)
    # The token's own certificates are intermediates at most, never anchors.
    path = certificates.chain_to_root(certificate, pool=pool, roots=roots)
    if path is None:
        raise TimestampUntrusted(
            _("The TSA certificate %(subject)s does not chain to a trusted timestamp root."), subject=subject
        )
    expired = certificates.invalid_at(path, at)
    if expired is not None:
        raise TimestampUntrusted(
            _("The certificate %(subject)s was not valid at the timestamp's time %(time)s."),
            subject=expired.subject.rfc4514_string(), time=at.isoformat(),
        )


def _check_imprint(tst_info: tsp.TSTInfo, digest: bytes) -> None:
    imprint = tst_info["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"].native != "sha256" or imprint["hashed_message"].native != digest:
        raise TimestampImprintMismatch()


# --- Logging -----------------------------------------------------------------------------------


def _shown(url: str) -> str:
    """*url* without any user:password@ part, for logs and messages."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
