"""XAdES-BES and XAdES-T seals for UBL-TR documents, in the shape GİB's schematron asks for.

The signature is enveloped (one ``ds:Reference URI=""`` with the single enveloped-signature
transform: GİB's TransformCountCheck allows one), canonical XML 1.0, RSA-SHA256, placed in the first
``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent``.  signxml builds and signs it; we shape
what GİB expects differently from signxml's defaults: ``xades:SigningCertificate`` (version 1, with the
SHA-256 certificate digest and issuer/serial; GİB's verifier and the XAdES 1.3.2 schema that UBL
imports know no ``SigningCertificateV2``), the signing time we are given, the ``ds:Signature/@Id`` that
``cac:Signature`` points at, and for XAdES-T the ``SignatureTimeStamp`` over ``ds:SignatureValue``,
which signxml does not make.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from base64 import b64encode
from collections.abc import Callable
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as paddings
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext_lazy as _
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.xades import XAdESDataObjectFormat, XAdESSigner

from integrator.errors import DomainError
from signing.certificates import holder_identifier
from signing.keys import KeyProvider
from ubl.names import CAC, CBC, EXT, SLOT_NS

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
C14N = CanonicalizationMethod.CANONICAL_XML_1_0
ISTANBUL = ZoneInfo("Europe/Istanbul")
NS = {"ds": DS, "xades": XADES, "ext": EXT, "cac": CAC, "cbc": CBC, "slot": SLOT_NS}
SIGNATURE_PATH = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature"
# What may stand in the seal's place: our slot, and the placeholder XML tools (and GİB's samples)
# put in ext:ExtensionContent to satisfy the schema.
PLACEHOLDERS = {"SealSlot", "auto-generated_for_wildcard"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)

# Given a digest of ds:SignatureValue, return a verified RFC 3161 token (DER).
Timestamper = Callable[[bytes], bytes]


class SignError(DomainError):
    code = "sign_error"
    message = _("The document cannot be sealed.")


class NotSignable(SignError):
    code = "not_signable"
    message = _("The document cannot be sealed: %(reason)s.")


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def _xades(name: str) -> str:
    return f"{{{XADES}}}{name}"


class GibXAdESSigner(XAdESSigner):
    """signxml's XAdES signer with the properties GİB's verifier expects."""

    def __init__(self, *, signing_time: dt.datetime, signature_id: str, description: str = "UBL-TR") -> None:
        super().__init__(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=C14N,
            data_object_format=XAdESDataObjectFormat(Description=description, MimeType="text/xml"),
        )
        self.signing_time = signing_time
        self.signature_id = signature_id
        # After signxml's KeyInfo, before its XAdES object: Ids derived from the signature's own,
        # which carries the invoice number, stay unique across an envelope (xsd:ID).
        self.signature_annotators.insert(1, self._set_ids)

    def _set_ids(self, sig_root, signing_settings) -> None:
        sig_root.set("Id", self.signature_id)
        sig_root.find("ds:KeyInfo", NS).set("Id", f"{self.signature_id}-KeyInfo")
        sig_root.find("ds:SignedInfo/ds:Reference", NS).set("Id", f"{self.signature_id}-Document")

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings) -> None:
        etree.SubElement(signed_signature_properties, _xades("SigningTime")).text = self.signing_time.isoformat()

    def add_signing_certificate(self, signed_signature_properties, sig_root, signing_settings) -> None:
        # XadesSignatureCheck: xades:SigningCertificate; its Cert names the seal by digest and issuer/serial.
        certificate = signing_settings.cert_chain[0]
        cert = etree.SubElement(etree.SubElement(signed_signature_properties, _xades("SigningCertificate")), _xades("Cert"))
        digest = etree.SubElement(cert, _xades("CertDigest"))
        etree.SubElement(digest, _ds("DigestMethod"), Algorithm=DigestAlgorithm.SHA256.value)
        der = certificate.public_bytes(Encoding.DER)
        etree.SubElement(digest, _ds("DigestValue")).text = b64encode(hashlib.sha256(der).digest()).decode()
        issuer_serial = etree.SubElement(cert, _xades("IssuerSerial"))
        etree.SubElement(issuer_serial, _ds("X509IssuerName")).text = certificate.issuer.rfc4514_string()
        etree.SubElement(issuer_serial, _ds("X509SerialNumber")).text = str(certificate.serial_number)


def _slot(root: etree._Element) -> etree._Element:
    """The seal's place: the slot element, or an empty ExtensionContent of a document from elsewhere."""
    if root.find(SIGNATURE_PATH, NS) is not None:
        raise NotSignable(reason=_("it is already sealed"))
    content = root.find("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent", NS)
    children = [] if content is None else [c for c in content if isinstance(c.tag, str)]
    if content is not None and not children:
        return etree.SubElement(content, f"{{{SLOT_NS}}}SealSlot")
    if len(children) == 1 and etree.QName(children[0]).localname in PLACEHOLDERS:
        return children[0]
    raise NotSignable(reason=_("it has no empty ext:ExtensionContent for the seal"))


def _signature_id(root: etree._Element) -> str:
    # cac:Signature/.../cbc:URI points at the ds:Signature by its Id ("#Signature_..."); keep them one.
    uri = root.findtext("cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI", namespaces=NS)
    return uri[1:] if uri and uri.startswith("#") and len(uri) > 1 else "Signature"


def _name_signer(root: etree._Element, identifier: str) -> None:
    # cac:Signature names the seal's holder (GİB answers 1176 to a signer the seal does not match):
    # the supplier for its own seal, the integrator for the integrator's seal.
    signature = root.find("cac:Signature", NS)
    if signature is None or not identifier:
        return
    signature.find("cbc:ID", NS).text = identifier
    party_id = signature.find("cac:SignatoryParty/cac:PartyIdentification/cbc:ID", NS)
    if party_id is not None:
        party_id.text = identifier
        party_id.set("schemeID", "VKN" if len(identifier) == 10 else "TCKN")


def _place_placeholder(slot: etree._Element) -> None:
    placeholder = etree.Element(_ds("Signature"), nsmap={"ds": DS}, Id="placeholder")
    slot.getparent().replace(slot, placeholder)


def parse(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotSignable(reason=_("it is not well-formed XML (%(error)s)") % {"error": exc}) from None


def sign(xml: bytes, key: KeyProvider, *, signing_time: dt.datetime | None = None, timestamper: Timestamper | None = None) -> bytes:
    """Seal the UBL document *xml* with *key*; with a *timestamper* the seal is XAdES-T."""
    root = parse(xml)
    _place_placeholder(_slot(root))
    _name_signer(root, holder_identifier(key.certificate))
    signer = GibXAdESSigner(
        signing_time=(signing_time or dt.datetime.now(dt.UTC)).astimezone(ISTANBUL).replace(microsecond=0),
        signature_id=_signature_id(root),
    )
    signed = signer.sign(
        root,
        key=key,
        cert=[key.certificate, *key.chain],
        exclude_c14n_transform_element=True,
    )
    if timestamper is not None:
        add_timestamp(signed.find(SIGNATURE_PATH, NS), timestamper)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


EARSIV = "http://earsiv.efatura.gov.tr"
REPORT_SIGNATURE_ID = "Signature"


def sign_report(xml: bytes, key: KeyProvider, *, signing_time: dt.datetime, timestamper: Timestamper) -> bytes:
    """Seal GİB's e-Arşiv report *xml* with *key*: enveloped XAdES-T, as for an invoice, placed as
    the last child of ``baslik`` (where EArsiv.xsd wants ``ds:Signature``), with its timestamp.

    A day's report may hold thousands of invoices, so no tree of it is made: *xml* is its canonical
    form (C14N 1.0) after the XML declaration, as ``earsiv.building`` writes it, and the document's
    digest (its one Reference, ``URI=""`` with the enveloped-signature transform: the document
    without the signature, canonical) is the SHA-256 of those bytes. signxml signs a skeleton of
    the report (its root and ``baslik``, so every other digest sees the namespaces it sees in the
    report); the document's digest is then put in, SignedInfo signed again, the timestamp taken
    over that signature, and the signature written into the report's bytes."""
    start, close = xml.find(f"<eArsivRaporu xmlns=\"{EARSIV}\">".encode()), xml.find(b"</baslik>")
    if start < 0 or close < 0 or xml.find(b"<ds:Signature") >= 0 or xml.find(_ds("Signature").encode()) >= 0:
        raise NotSignable(reason=_("it is not an unsigned e-Arşiv report"))
    skeleton = etree.Element(f"{{{EARSIV}}}eArsivRaporu", nsmap={None: EARSIV})
    header = etree.SubElement(skeleton, f"{{{EARSIV}}}baslik")
    header.append(etree.Element(_ds("Signature"), nsmap={"ds": DS}, Id="placeholder"))
    signer = GibXAdESSigner(signing_time=signing_time.astimezone(ISTANBUL).replace(microsecond=0), signature_id=REPORT_SIGNATURE_ID,
                            description="eArsivRaporu")
    signed = signer.sign(skeleton, key=key, cert=[key.certificate, *key.chain], exclude_c14n_transform_element=True)
    signature = signed.find(f"{{{EARSIV}}}baslik/{{{DS}}}Signature")
    document = next(r for r in signature.findall("ds:SignedInfo/ds:Reference", NS) if r.get("URI") == "")
    whole = memoryview(xml)  # slices of the report's bytes without copying them
    document.find("ds:DigestValue", NS).text = b64encode(hashlib.sha256(whole[start:]).digest()).decode()
    signed_info = signature.find("ds:SignedInfo", NS)
    value = key.sign(etree.tostring(signed_info, method="c14n"), paddings.PKCS1v15(), hashes.SHA256())
    signature.find("ds:SignatureValue", NS).text = b64encode(value).decode()
    add_timestamp(signature, timestamper)
    return b"".join([whole[:close], etree.tostring(signature), whole[close:]])


def signature_value_digest(signature: etree._Element) -> bytes:
    """SHA-256 of ds:SignatureValue in canonical XML 1.0: what a SignatureTimeStamp covers (XAdES 7.3)."""
    value = signature.find("ds:SignatureValue", NS)
    return hashlib.sha256(etree.tostring(value, method="c14n")).digest()


def add_timestamp(signature: etree._Element, timestamper: Timestamper) -> None:
    token = timestamper(signature_value_digest(signature))
    qualifying = signature.find("ds:Object/xades:QualifyingProperties", NS)
    unsigned = etree.SubElement(etree.SubElement(qualifying, _xades("UnsignedProperties")), _xades("UnsignedSignatureProperties"))
    stamp = etree.SubElement(unsigned, _xades("SignatureTimeStamp"), Id=f"{signature.get('Id')}-SignatureTimeStamp")
    etree.SubElement(stamp, _ds("CanonicalizationMethod"), Algorithm=C14N.value)
    etree.SubElement(stamp, _xades("EncapsulatedTimeStamp")).text = b64encode(token).decode()
