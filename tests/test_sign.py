"""Sealing invoices (XAdES-BES) and verifying seals: GİB's asserts, our verifier and xmlsec1 agree."""

import datetime as dt
import shutil
import subprocess
from base64 import b64encode

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from invoices.services import invoice_issue
from schematron.validation import validate
from signing import pki, xades
from signing.certificates import SealExpired, SealNotYetValid, SealWrongHolder, check_for_use, expires_soon
from signing.keys import Pkcs12Key, SealPasswordWrong
from signing.verify import verify
from tests.clock import NOW, TODAY
from tests.invoice_payloads import payload

NS = xades.NS


def key_of(issued: pki.Issued, root: pki.Issued) -> Pkcs12Key:
    return Pkcs12Key(pki.to_pkcs12(issued, b"secret", chain=[root.certificate]), b"secret")


@pytest.fixture
def unsigned(tenant_a) -> bytes:
    return bytes(invoice_issue(tenant=tenant_a, data=payload()).xml)


@pytest.fixture
def signed(unsigned, seal_a, test_root) -> bytes:
    return xades.sign(unsigned, key_of(seal_a, test_root), signing_time=NOW)


def checks(report) -> dict[str, bool]:
    return {check.name: check.ok for check in report.checks}


def test_a_sealed_invoice_passes_every_layer_and_gibs_signature_asserts(signed, gib_package):
    report = validate(signed, today=TODAY)
    assert report.valid, [(e.layer, e.rule, e.message_tr) for e in report.errors]
    signature = etree.fromstring(signed).find(xades.SIGNATURE_PATH, NS)
    # What GİB's XadesSignatureCheckForInvoice looks at, beyond what the schematron run proved:
    assert [t.get("Algorithm") for t in signature.findall("ds:SignedInfo/ds:Reference[@URI='']/ds:Transforms/ds:Transform", NS)] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    ]
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm").endswith("rsa-sha256")
    assert signature.find(".//xades:SigningCertificate/xades:Cert/xades:IssuerSerial/ds:X509SerialNumber", NS) is not None


def test_a_sealed_invoice_verifies(signed, test_root):
    report = verify(signed, roots=[test_root.certificate])
    assert report.valid, report.failed
    assert list(checks(report)) == ["structure", "signature", "digest", "signing_certificate", "chain", "validity"]
    assert (report.identifier, report.signing_time) == ("1234567890", NOW)


def test_cac_signature_points_at_the_seal_and_names_its_holder(signed):
    root = etree.fromstring(signed)
    uri = root.findtext("cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI", namespaces=NS)
    assert root.find("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature", NS).get("Id") == uri[1:]
    assert root.findtext("cac:Signature/cbc:ID", namespaces=NS) == "1234567890"


def xmlsec1_verify(xml: bytes, root: pki.Issued, tmp_path) -> subprocess.CompletedProcess:
    """Debian's xmlsec1, an independent XMLDSig implementation, on the document (trusting *root*)."""
    assert shutil.which("xmlsec1"), "the tests need Debian's xmlsec1 (make test installs it)"
    (tmp_path / "invoice.xml").write_bytes(xml)
    (tmp_path / "root.pem").write_bytes(pki.pem(root.certificate))
    return subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(tmp_path / "root.pem"), "--id-attr:Id", "SignedProperties",
         "--id-attr:Id", "KeyInfo", "--verification-gmt-time", f"{NOW:%Y-%m-%d %H:%M:%S}", str(tmp_path / "invoice.xml")],
        capture_output=True, text=True,
    )


def test_xmlsec1_accepts_the_signature(signed, test_root, tmp_path):
    result = xmlsec1_verify(signed, test_root, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SignedInfo References (ok/all): 3/3" in result.stderr


def test_xmlsec1_rejects_a_changed_invoice(signed, test_root, tmp_path):
    result = xmlsec1_verify(signed.replace(b"B G\xc4\xb1da", b"B G\xc4\xb1dA", 1), test_root, tmp_path)
    assert result.returncode != 0


def test_changing_one_character_breaks_the_digest(signed, test_root):
    tampered = signed.replace(b"B G\xc4\xb1da", b"B G\xc4\xb1dA", 1)
    assert tampered != signed
    report = verify(tampered, roots=[test_root.certificate])
    assert not report.valid
    assert checks(report)["digest"] is False and checks(report)["signature"] is True


def test_a_changed_signature_value_is_caught(signed, test_root):
    root = etree.fromstring(signed)
    value = root.find(".//ds:SignatureValue", NS)
    value.text = ("B" if value.text[0] != "B" else "C") + value.text[1:]
    report = verify(etree.tostring(root), roots=[test_root.certificate])
    assert checks(report)["signature"] is False


def test_swapping_the_certificate_is_caught(signed, test_root):
    other = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.")
    root = etree.fromstring(signed)
    root.find(".//ds:X509Certificate", NS).text = b64encode(other.certificate.public_bytes(Encoding.DER)).decode()
    report = verify(etree.tostring(root), roots=[test_root.certificate])
    assert not report.valid
    assert checks(report)["signing_certificate"] is False and checks(report)["signature"] is False


def test_a_seal_from_an_untrusted_root_fails_the_chain(signed):
    stranger = pki.root_ca("Başka Kök")
    report = verify(signed, roots=[stranger.certificate])
    assert checks(report)["chain"] is False and checks(report)["signature"] is True


def test_a_signature_made_after_the_seal_expired_fails_validity(unsigned, test_root):
    old = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.", not_before=NOW - dt.timedelta(days=400), days=365)
    late = xades.sign(unsigned, key_of(old, test_root), signing_time=NOW)
    report = verify(late, roots=[test_root.certificate])
    assert checks(report)["validity"] is False and checks(report)["signature"] is True


def test_a_signature_made_before_the_seal_was_valid_fails_validity(unsigned, test_root):
    new = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.", not_before=NOW + dt.timedelta(days=1))
    early = xades.sign(unsigned, key_of(new, test_root), signing_time=NOW)
    report = verify(early, roots=[test_root.certificate])
    assert checks(report)["validity"] is False and checks(report)["signature"] is True


def test_a_document_is_sealed_once(signed, seal_a, test_root):
    with pytest.raises(xades.NotSignable, match="already sealed"):
        xades.sign(signed, key_of(seal_a, test_root))


def test_an_unsealed_document_does_not_verify(unsigned, test_root):
    report = verify(unsigned, roots=[test_root.certificate])
    assert not report.valid and checks(report) == {"structure": False}


def test_not_xml_is_refused_clearly(seal_a, test_root):
    with pytest.raises(xades.NotSignable, match="not well-formed"):
        xades.sign(b"<Invoice", key_of(seal_a, test_root))
    assert checks(verify(b"not xml", roots=[test_root.certificate])) == {"structure": False}


def test_a_wrong_pkcs12_password_is_a_clear_error(seal_a, test_root):
    data = pki.to_pkcs12(seal_a, b"right", chain=[test_root.certificate])
    with pytest.raises(SealPasswordWrong):
        Pkcs12Key(data, b"wrong")


def test_an_expired_or_not_yet_valid_seal_or_another_taxpayers_seal_is_refused_before_use(test_root, seal_a):
    old = pki.seal(test_root, identifier="1234567890", title="A", not_before=NOW - dt.timedelta(days=400), days=365)
    with pytest.raises(SealExpired):
        check_for_use(old.certificate, supplier="1234567890", now=NOW)
    new = pki.seal(test_root, identifier="1234567890", title="A", not_before=NOW + dt.timedelta(days=1))
    with pytest.raises(SealNotYetValid):
        check_for_use(new.certificate, supplier="1234567890", now=NOW)
    with pytest.raises(SealWrongHolder, match="4840847211"):
        check_for_use(seal_a.certificate, supplier="4840847211", now=NOW)
    check_for_use(seal_a.certificate, supplier=None, now=NOW)  # the integrator's seal seals for anyone


def test_a_seal_ending_within_30_days_is_flagged(test_root):
    ending = pki.seal(test_root, identifier="1234567890", title="A", not_before=NOW - dt.timedelta(days=340), days=365)
    assert expires_soon(ending.certificate, now=NOW)
    assert not expires_soon(pki.seal(test_root, identifier="1234567890", title="A", now=NOW).certificate, now=NOW)


def test_gibs_own_sample_with_its_wildcard_placeholder_is_sealed(gib_package, seal_a, test_root):
    from tests.gib import GIB

    sample = (GIB / "samples/invoices/ubltr-1.2.1/TicariFaturaOrnegi.xml").read_bytes()
    before = validate(sample, today=TODAY)
    sealed = xades.sign(sample, key_of(seal_a, test_root), signing_time=NOW)
    assert b"auto-generated_for_wildcard" not in sealed
    assert verify(sealed, roots=[test_root.certificate]).valid
    after = validate(sealed, today=TODAY)
    assert {e.rule for e in after.errors} == {e.rule for e in before.errors}  # the seal adds no GİB error


# --- XAdES-T: a timestamp over the signature value --------------------------------------------


@pytest.fixture
def stamper(local_tsa):
    from signing import timestamp

    return lambda digest: timestamp.timestamp(digest, url=local_tsa.url, roots=[local_tsa.root.certificate]).der


@pytest.fixture
def stamped(unsigned, seal_a, test_root, stamper) -> bytes:
    return xades.sign(unsigned, key_of(seal_a, test_root), signing_time=NOW, timestamper=stamper)


def test_a_timestamped_seal_verifies_and_passes_every_layer(stamped, test_root, gib_package):
    report = verify(stamped, roots=[test_root.certificate], tsa_roots=[test_root.certificate])
    assert report.valid, report.failed
    assert checks(report)["timestamp"] is True
    assert abs(report.timestamp_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert validate(stamped, today=TODAY).valid


def test_a_timestamp_from_an_untrusted_tsa_fails(stamped, test_root):
    stranger = pki.root_ca("Başka Kök")
    report = verify(stamped, roots=[test_root.certificate], tsa_roots=[stranger.certificate])
    assert checks(report)["timestamp"] is False and "trusted" in report.failed[0].detail


def test_an_altered_timestamp_fails(stamped, test_root):
    root = etree.fromstring(stamped)
    token = root.find(".//xades:EncapsulatedTimeStamp", NS)
    token.text = token.text[:200] + ("A" if token.text[200] != "A" else "B") + token.text[201:]
    report = verify(etree.tostring(root), roots=[test_root.certificate], tsa_roots=[test_root.certificate])
    assert checks(report)["timestamp"] is False and checks(report)["signature"] is True


def test_a_timestamp_moved_onto_another_signature_fails(stamped, unsigned, seal_a, test_root):
    other = etree.fromstring(xades.sign(unsigned, key_of(seal_a, test_root), signing_time=NOW + dt.timedelta(seconds=1)))
    token = etree.fromstring(stamped).find(".//xades:UnsignedProperties", NS)
    other.find(".//xades:QualifyingProperties", NS).append(token)
    report = verify(etree.tostring(other), roots=[test_root.certificate], tsa_roots=[test_root.certificate])
    assert checks(report)["timestamp"] is False and "imprint" in report.failed[0].detail.lower()


def test_xmlsec1_accepts_a_timestamped_signature(stamped, test_root, tmp_path):
    result = xmlsec1_verify(stamped, test_root, tmp_path)
    assert result.returncode == 0, result.stderr


def test_an_application_response_is_sealed_like_an_invoice(gib_package, seal_a, test_root):
    from tests.gib import GIB

    response = (GIB / "samples/responses/KabulUygulamaYanitiOrnegi.xml").read_bytes()
    before = validate(response, today=TODAY)
    sealed = xades.sign(response, key_of(seal_a, test_root), signing_time=NOW)
    assert verify(sealed, roots=[test_root.certificate]).valid
    after = validate(sealed, today=TODAY)
    assert after.doc_type == before.doc_type
    assert {e.rule for e in after.errors} == {e.rule for e in before.errors}
