"""Real sealed invoices from tenant A to tenant B, the envelope parties between them, and the
fixtures `invoices` (three of them) and `envelope` (them in a sender envelope)."""

import io
import zipfile

import pytest
from lxml import etree

from envelopes import packing, sbdh
from invoices.services import invoice_issue
from signing import pki, xades
from signing.keys import Pkcs12Key
from tests.clock import NOW
from tests.invoice_payloads import LINE, payload

ENVELOPE_ID = "6f1e7c1a-3b9d-4f6e-9a51-2c8d0e4b7a10"

# A's GB alias sends to B's PK alias (tests/factories.py names them so).
A_TO_B = {
    "sender_alias": "urn:mail:gb@a-tekstil.com.tr", "sender_identifier": "1234567890", "sender_name": "A Tekstil A.Ş.",
    "receiver_alias": "urn:mail:pk@b-gida.com.tr", "receiver_identifier": "4840847211", "receiver_name": "B Gıda Ltd. Şti.",
}


def key_of(issued: pki.Issued, root: pki.Issued) -> Pkcs12Key:
    return Pkcs12Key(pki.to_pkcs12(issued, b"secret", chain=[root.certificate]), b"secret")


def signature_named(xml: bytes, name: str) -> bytes:
    """The invoice with its seal's Id set to *name* (the builder makes it "Signature_<number>")."""
    root = etree.fromstring(xml)
    root.find("cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI", xades.NS).text = f"#{name}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sealed_invoices(tenant, seal, root, count: int = 1, *, data: dict | None = None, lines: int | None = None,
                    seal_id: str | None = None) -> list[bytes]:
    """*count* invoices issued by *tenant* from *data* (to B by default), each sealed; *lines* pads them
    for size; *seal_id* gives every seal that one Id (which an envelope must refuse)."""
    key = key_of(seal, root)
    data = data or (payload(lines=[LINE] * lines) if lines else payload())
    unsigned = [bytes(invoice_issue(tenant=tenant, data=data).xml) for _ in range(count)]
    if seal_id:
        unsigned = [signature_named(xml, seal_id) for xml in unsigned]
    return [xades.sign(xml, key, signing_time=NOW) for xml in unsigned]


def _ubl(parent, name: str, text: str | None = None, **attributes):
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{xades.NS[prefix]}}}{local}", attributes)
    element.text = text
    return element


def _signature(root, identifier: str, uuid: str):
    """cac:Signature naming the seal's holder, placed where UBL wants it (before cac:SenderParty)."""
    signature = etree.Element(f"{{{xades.NS['cac']}}}Signature")
    _ubl(signature, "cbc:ID", identifier, schemeID="VKN_TCKN")
    party = _ubl(signature, "cac:SignatoryParty")
    _ubl(_ubl(party, "cac:PartyIdentification"), "cbc:ID", identifier, schemeID="VKN")
    address = _ubl(party, "cac:PostalAddress")
    _ubl(address, "cbc:CitySubdivisionName", "Kadıköy")
    _ubl(address, "cbc:CityName", "İstanbul")
    _ubl(_ubl(address, "cac:Country"), "cbc:Name", "Türkiye")
    _ubl(_ubl(_ubl(signature, "cac:DigitalSignatureAttachment"), "cac:ExternalReference"), "cbc:URI", f"#Signature_{uuid}")
    root.find("cac:SenderParty", xades.NS).addprevious(signature)


def sealed_response(seal, root_ca, code: str = "KABUL", *, uuid: str = "c9ad1370-3581-11de-b418-0800200c9a66") -> bytes:
    """GİB's sample KABUL response, as A answering B's invoice, sealed by A."""
    from tests.gib import GIB

    root = etree.parse(str(GIB / "samples/responses/KabulUygulamaYanitiOrnegi.xml")).getroot()  # without its stylesheet PI
    root.find("cbc:ProfileID", xades.NS).text = "TICARIFATURA"  # GİB's ApplicationResponseProfileIDCheck
    root.find("cbc:UUID", xades.NS).text = uuid
    root.find("cac:SenderParty/cac:PartyIdentification/cbc:ID", xades.NS).text = "1234567890"
    root.find("cac:ReceiverParty/cac:PartyIdentification/cbc:ID", xades.NS).text = "4840847211"
    for response_code in root.iterfind(".//cbc:ResponseCode", xades.NS):
        response_code.text = code
    _signature(root, "1234567890", uuid)
    unsigned = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return xades.sign(unsigned, key_of(seal, root_ca), signing_time=NOW)


# B's PK alias answers A's GB alias: the response goes back the way the invoice came.
A_ANSWERS = {
    "sender_alias": "urn:mail:pk@a-tekstil.com.tr", "sender_identifier": "1234567890", "sender_name": "A Tekstil A.Ş.",
    "receiver_alias": "urn:mail:gb@b-gida.com.tr", "receiver_identifier": "4840847211", "receiver_name": "B Gıda Ltd. Şti.",
}


@pytest.fixture
def invoices(tenant_a, tenant_b, seal_a, test_root) -> list[bytes]:
    return sealed_invoices(tenant_a, seal_a, test_root, 3)


@pytest.fixture
def envelope(invoices) -> bytes:
    return sbdh.sender_envelope(**A_TO_B, documents=invoices, uuid=ENVELOPE_ID, created=NOW)


# --- broken zips, as a careless or hostile sender makes them ---------------------------------------
OTHER_ENVELOPE = "0b6c5bd2-52b3-4a55-8d0e-3a5f2f7f3c11"


def zipped(*entries: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return out.getvalue()


def corrupted(data: bytes) -> bytes:
    """The zip with bytes of its compressed entry changed: it opens, its entry does not read."""
    middle = 30 + 40 + 50  # past the local header and the entry's name
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:]


# (make the zip from the envelope XML, the GİB code it earns), for a zip named <ENVELOPE_ID>.zip
BROKEN_ZIPS = pytest.mark.parametrize(("make", "code"), [
    (lambda xml: b"this is not a zip", 1110),
    (lambda xml: corrupted(packing.pack(xml, ENVELOPE_ID).data), 1130),
    (lambda xml: zipped((f"{ENVELOPE_ID}.xml", xml), (f"{OTHER_ENVELOPE}.xml", xml)), 1131),
    (lambda xml: zipped((f"{ENVELOPE_ID}.txt", xml)), 1132),
    (lambda xml: zipped((f"{OTHER_ENVELOPE}.xml", xml)), 1133),
    (lambda xml: zipped((f"{ENVELOPE_ID}.xml", b"<not xml")), 1140),
    (lambda xml: zipped((f"{ENVELOPE_ID}.xml", b"<root/>")), 1141),
], ids=["not-a-zip", "broken-zip", "two-files", "not-xml-name", "entry-named-otherwise", "unparseable", "no-envelope-id"])
