"""WS-Security for the SOAP calls to GİB's e-Arşiv service (OASIS WSS 1.0, X.509 token profile), as
GİB asks: a ``wsse:Security`` header holding a ``wsu:Timestamp``, the seal's certificate as a
``wsse:BinarySecurityToken``, and a ``ds:Signature`` (exclusive C14N, RSA-SHA256) over the SOAP
Body and the Timestamp, its key named by a ``wsse:SecurityTokenReference`` to the token.

``wsse_sign`` signs an envelope in place with a key provider (only ``signing`` touches keys);
``wsse_verify`` checks one and returns the certificate that signed it."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from base64 import b64decode, b64encode

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext_lazy as _
from lxml import etree

from integrator.errors import DomainError
from signing.keys import KeyProvider

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
NS = {"soap": SOAP12, "wsse": WSSE, "wsu": WSU, "ds": DS}
WSU_ID = f"{{{WSU}}}Id"
TTL = dt.timedelta(minutes=5)


class WsseInvalid(DomainError):
    code = "wsse_invalid"
    message = _("The call's WS-Security header does not verify: %(reason)s.")


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _digest(element: etree._Element) -> str:
    return b64encode(hashlib.sha256(_c14n(element)).digest()).decode()


def _sub(parent, ns: str, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, f"{{{ns}}}{name}", **attributes)
    if text is not None:
        element.text = text
    return element


def _header(envelope: etree._Element) -> etree._Element:
    header = envelope.find("soap:Header", NS)
    if header is None:
        header = etree.Element(f"{{{SOAP12}}}Header")
        envelope.insert(0, header)
    return header


def wsse_sign(envelope: etree._Element, key: KeyProvider, *, now: dt.datetime) -> etree._Element:
    """Sign the SOAP 1.2 *envelope* in place with *key*: Timestamp (valid five minutes from *now*),
    BinarySecurityToken, and a Signature over the Body and the Timestamp."""
    body = envelope.find("soap:Body", NS)
    body.set(WSU_ID, f"Body-{uuid.uuid4()}")
    security = _sub(_header(envelope), WSSE, "Security", nsmap={"wsse": WSSE, "wsu": WSU}, **{f"{{{SOAP12}}}mustUnderstand": "true"})
    created = now.astimezone(dt.UTC).replace(microsecond=0)
    stamp = _sub(security, WSU, "Timestamp", **{WSU_ID: f"TS-{uuid.uuid4()}"})
    _sub(stamp, WSU, "Created", created.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(stamp, WSU, "Expires", (created + TTL).strftime("%Y-%m-%dT%H:%M:%SZ"))
    token_id = f"X509-{uuid.uuid4()}"
    _sub(security, WSSE, "BinarySecurityToken", b64encode(key.certificate.public_bytes(Encoding.DER)).decode(),
                 EncodingType=BASE64, ValueType=X509V3, **{WSU_ID: token_id})
    signature = _sub(security, DS, "Signature", nsmap={"ds": DS}, Id=f"SIG-{uuid.uuid4()}")
    signed_info = _sub(signature, DS, "SignedInfo")
    _sub(signed_info, DS, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _sub(signed_info, DS, "SignatureMethod", Algorithm=RSA_SHA256)
    for target in (body, stamp):
        reference = _sub(signed_info, DS, "Reference", URI=f"#{target.get(WSU_ID)}")
        _sub(_sub(reference, DS, "Transforms"), DS, "Transform", Algorithm=EXC_C14N)
        _sub(reference, DS, "DigestMethod", Algorithm=SHA256)
        _sub(reference, DS, "DigestValue", _digest(target))
    value = key.sign(_c14n(signed_info), padding.PKCS1v15(), hashes.SHA256())
    _sub(signature, DS, "SignatureValue", b64encode(value).decode())
    reference = _sub(_sub(_sub(signature, DS, "KeyInfo"), WSSE, "SecurityTokenReference"), WSSE, "Reference", URI=f"#{token_id}")
    reference.set("ValueType", X509V3)
    return envelope


def wsse_verify(envelope: etree._Element, *, now: dt.datetime) -> x509.Certificate:
    """The certificate whose key signed *envelope*'s Body and Timestamp, the Timestamp current at
    *now*; WsseInvalid naming what does not hold."""
    security = envelope.find("soap:Header/wsse:Security", NS)
    if security is None:
        raise WsseInvalid(reason=_("the call has no wsse:Security header"))
    signature = security.find("ds:Signature", NS)
    stamp = security.find("wsu:Timestamp", NS)
    if signature is None or stamp is None:
        raise WsseInvalid(reason=_("the header lacks its Timestamp or Signature"))
    ids = {element.get(WSU_ID): element for element in envelope.iter() if isinstance(element.tag, str) and element.get(WSU_ID)}
    certificate = _token(security, signature, ids)
    signed_info = signature.find("ds:SignedInfo", NS)
    covered = set()
    for reference in signed_info.findall("ds:Reference", NS):
        target = ids.get((reference.get("URI") or "").removeprefix("#"))
        if target is None or reference.findtext("ds:DigestValue", namespaces=NS) != _digest(target):
            raise WsseInvalid(reason=_("the digest of %(uri)s does not match") % {"uri": reference.get("URI")})
        covered.add(target)
    if envelope.find("soap:Body", NS) not in covered or stamp not in covered:
        raise WsseInvalid(reason=_("the signature does not cover both the Body and the Timestamp"))
    try:
        certificate.public_key().verify(b64decode(signature.findtext("ds:SignatureValue", namespaces=NS) or ""), _c14n(signed_info),
                                        padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise WsseInvalid(reason=_("the signature value does not verify with the token's key")) from None
    _current(stamp, now)
    return certificate


def _token(security, signature, ids) -> x509.Certificate:
    uri = signature.find("ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    token = ids.get((uri.get("URI") if uri is not None else "").removeprefix("#"))
    if token is None or token.tag != f"{{{WSSE}}}BinarySecurityToken":
        raise WsseInvalid(reason=_("the signature names no BinarySecurityToken"))
    try:
        return x509.load_der_x509_certificate(b64decode(token.text or ""))
    except ValueError:
        raise WsseInvalid(reason=_("the BinarySecurityToken is not an X.509 certificate")) from None


def _current(stamp, now: dt.datetime) -> None:
    try:
        created = dt.datetime.fromisoformat(stamp.findtext("wsu:Created", namespaces=NS).replace("Z", "+00:00"))
        expires = dt.datetime.fromisoformat(stamp.findtext("wsu:Expires", namespaces=NS).replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise WsseInvalid(reason=_("the Timestamp's times cannot be read")) from None
    if not created - TTL <= now <= expires:
        raise WsseInvalid(reason=_("the Timestamp is not current (created %(created)s, expires %(expires)s)")
                          % {"created": created.isoformat(), "expires": expires.isoformat()})
