"""Verifying a sealed UBL document: every check is reported, each with what it found.

The checks, in order: ``structure`` (one ds:Signature where GİB puts it, with the XAdES properties),
``signature`` (the signature value over SignedInfo, with the signing certificate's key), ``digest``
(each reference: the document, the signed properties, the key info), ``signing_certificate`` (the
certificate in KeyInfo is the one the signed properties name), ``chain`` (to a trusted root),
``validity`` (every certificate of the chain at the signing moment: the timestamp's time when there is
one, else the claimed SigningTime) and ``timestamp`` (for XAdES-T: the token, over this SignatureValue,
from a trusted TSA).
"""

from __future__ import annotations

import datetime as dt
from base64 import b64decode
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from integrator.errors import DomainError
from signing import certificates
from signing.xades import C14N, NS, SIGNATURE_PATH, NotSignable, parse, signature_value_digest

# The digest algorithms a SigningCertificate may name (GİB's senders use SHA-1 and SHA-256), by URI fragment.
_DIGESTS = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

# signxml's `location` is the signature's parent path in Clark notation, ending in "/".
_LOCATION = "./" + "".join(f"{{{NS['ext']}}}{name}/" for name in ("UBLExtensions", "UBLExtension", "ExtensionContent"))
# An e-Arşiv report's seal: the last child of baslik (signing.xades.sign_report).
REPORT_PATH, _REPORT_LOCATION = "{http://earsiv.efatura.gov.tr}baslik/ds:Signature", "./{http://earsiv.efatura.gov.tr}baslik/"


# Each check's name, as a person reads it.
LABELS = {
    "structure": gettext_lazy("structure"), "signature": gettext_lazy("signature value"), "digest": gettext_lazy("reference digests"),
    "signing_certificate": gettext_lazy("signing certificate"), "chain": gettext_lazy("chain to a trusted root"),
    "validity": gettext_lazy("validity at the signing moment"), "timestamp": gettext_lazy("timestamp"),
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""  # in the language active when the check ran

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    signer: str = ""
    identifier: str = ""
    signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def as_dict(self) -> dict:
        data = asdict(self)
        data["valid"] = self.valid
        for key in ("signing_time", "timestamp_time"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    texts = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    return [x509.load_der_x509_certificate(b64decode("".join(t.text.split()))) for t in texts if t.text]


def _signing_certificate(signature: etree._Element, pool: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate the signed properties name by digest (any digest algorithm GİB's senders use)."""
    cert_digest = signature.find(".//xades:SigningCertificate/xades:Cert/xades:CertDigest", NS)
    if cert_digest is None:
        return None
    method = cert_digest.find("ds:DigestMethod", NS).get("Algorithm", "")
    wanted = b64decode(cert_digest.findtext("ds:DigestValue", "", NS))
    algorithm = _DIGESTS.get(method.rsplit("#", 1)[-1])
    return next((c for c in pool if algorithm and c.fingerprint(algorithm()) == wanted), None)


def _claimed_time(signature: etree._Element) -> dt.datetime | None:
    text = signature.findtext(".//xades:SignedSignatureProperties/xades:SigningTime", None, NS)
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _structure(report: Verification, root: etree._Element, path: str = SIGNATURE_PATH) -> tuple[etree._Element, x509.Certificate, bool] | None:
    signatures = root.findall(path, NS)
    if len(signatures) != 1:
        where = "baslik" if path == REPORT_PATH else "ext:ExtensionContent"
        report.add("structure", False, _("expected one ds:Signature in %(where)s, found %(count)s") % {"where": where, "count": len(signatures)})
        return None
    signature = signatures[0]
    pool = _certificates(signature)
    named = _signing_certificate(signature, pool)
    report.signing_time = _claimed_time(signature)
    if not pool or report.signing_time is None:
        report.add("structure", False, _("%(what)s is missing") % {"what": "xades:SigningTime" if pool else "ds:KeyInfo/ds:X509Certificate"})
        return None
    certificate = named or pool[0]
    report.signer = certificates.holder_name(certificate)
    report.identifier = certificates.holder_identifier(certificate)
    report.add("structure", True)
    return signature, certificate, named is not None


def _signature(report: Verification, xml: bytes, certificate: x509.Certificate, named: bool, location: str = _LOCATION) -> None:
    config = XAdESSignatureConfiguration(
        expect_references=True,
        location=location,
        default_reference_c14n_method=C14N,
        # Certificate dates are our own `validity` check, at the signing moment, reported on its own.
        verification_time=certificate.not_valid_before_utc,
    )
    try:
        XAdESVerifier().verify(xml, x509_cert=certificate, expect_config=config)
    except InvalidDigest as exc:
        # signxml checks the signing-certificate digest last, after the signature and the references.
        late = "certificate" in str(exc)
        report.add("signature", True)
        report.add("digest", late, "" if late else _("a signed reference's digest does not match the document: it changed after sealing"))
    except (InvalidSignature, InvalidCertificate):
        report.add("signature", False, _("the signature value does not match the signed data and the certificate's key"))
    except InvalidInput:
        report.add("signature", False, _("the signature is malformed"))
    else:
        report.add("signature", True)
        report.add("digest", True)
    detail = "" if named else _("the certificate in ds:KeyInfo is not the one xades:SigningCertificate names")
    report.add("signing_certificate", named, detail)


def _chain(report: Verification, signature, certificate, roots) -> list[x509.Certificate]:
    path = certificates.chain_to_root(certificate, pool=_certificates(signature), roots=roots)
    if path is None:
        report.add("chain", False, _("%(issuer)s does not lead to a trusted root") % {"issuer": certificate.issuer.rfc4514_string()})
        return [certificate]
    report.add("chain", True, " → ".join(certificates.holder_name(c) for c in path))
    return path


def _timestamp(report: Verification, signature, tsa_roots) -> None:
    encapsulated = signature.findtext(".//xades:SignatureTimeStamp/xades:EncapsulatedTimeStamp", None, NS)
    if encapsulated is None:
        return
    from signing import timestamp  # only XAdES-T needs the TSA client

    try:
        token = b64decode("".join(encapsulated.split()))
        roots = tsa_roots if tsa_roots is not None else timestamp.trusted_roots()
        info = timestamp.verify_token(token, signature_value_digest(signature), roots=roots)
    except DomainError as exc:
        report.add("timestamp", False, str(exc))
        return
    except ValueError:  # not base64, or not a token at all
        report.add("timestamp", False, _("the timestamp token cannot be read"))
        return
    report.timestamp_time = info.gen_time
    report.add("timestamp", True, _("%(time)s by %(tsa)s") % {"time": info.gen_time.isoformat(), "tsa": info.tsa_subject})


def _validity(report: Verification, path: list[x509.Certificate]) -> None:
    moment = report.timestamp_time or report.signing_time
    expired = certificates.invalid_at(path, moment)
    if expired is not None:
        report.add("validity", False, _("%(holder)s was not valid at %(moment)s") % {"holder": certificates.holder_name(expired), "moment": moment.isoformat()})
    elif not certificates.may_sign(path[0]):
        report.add("validity", False, _("the certificate's key usage does not allow signing"))
    else:
        report.add("validity", True, moment.isoformat())


def verify(xml: bytes, *, roots: list[x509.Certificate] | None = None, tsa_roots: list[x509.Certificate] | None = None,
           parsed: etree._Element | None = None, report_seal: bool = False) -> Verification:
    """Verify the seal of one UBL document (invoice or application response), or with *report_seal*
    of an e-Arşiv report (its seal in baslik); *parsed* is its root when the caller read it already
    with a safe parser, so it is not parsed again for the structure."""
    report = Verification()
    try:
        root = parse(xml) if parsed is None else parsed
    except NotSignable as exc:
        report.add("structure", False, str(exc))
        return report
    found = _structure(report, root, REPORT_PATH if report_seal else SIGNATURE_PATH)
    if found is None:
        return report
    signature, certificate, named = found
    _signature(report, xml, certificate, named, _REPORT_LOCATION if report_seal else _LOCATION)
    path = _chain(report, signature, certificate, roots if roots is not None else trusted_roots())
    _timestamp(report, signature, tsa_roots)
    _validity(report, path)
    return report


def trusted_roots() -> list[x509.Certificate]:
    """The roots seals must chain to: Turkey's public roots in production, the local root otherwise."""
    return certificates.configured_roots("SEAL_TRUST_ROOTS", settings.SEAL_TRUST_ROOTS)

