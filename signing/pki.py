"""Certificates for the local world: a test root, seals issued under it, the local TSA's certificate.

Real seals come from Kamu SM; these exist so that the demo and the tests sign, timestamp and verify
with the same code as production, only against another trust root.  A seal certificate carries the
holder's VKN/TCKN in the subject's ``serialNumber`` (2.5.4.5), as Turkish seal certificates do.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_SIZE = 2048


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def name(common_name: str, *, identifier: str | None = None, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TR")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if identifier:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, identifier))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _usage(*, ca: bool = False, signing: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _serial() -> int:
    """A random positive serial of 64 bits (RFC 5280 allows up to 20 octets): short enough that every
    XML Schema validator reads it as ds:X509SerialNumber's xs:integer (libxml2 2.9 reads at most 24
    digits)."""
    return secrets.randbits(63) | 1 << 62


def _builder(subject: x509.Name, issuer: x509.Name, public_key, not_before: dt.datetime, not_after: dt.datetime):
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def root_ca(common_name: str, *, now: dt.datetime | None = None, years: int = 20) -> Issued:
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    subject = name(common_name, organization="Test")
    certificate = (
        _builder(subject, subject, key.public_key(), now - dt.timedelta(days=1), now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def issue(
    issuer: Issued,
    subject: x509.Name,
    public_key,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    purpose: str = "seal",
) -> x509.Certificate:
    """A leaf under *issuer*: ``purpose`` is ``seal`` (non-repudiation signing) or ``tsa`` (timestamping)."""
    builder = (
        _builder(subject, issuer.certificate.subject, public_key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signing=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()), critical=False
        )
    )
    if purpose == "tsa":
        # RFC 3161 2.3: the TSA certificate has exactly this extended key usage, marked critical.
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    elif purpose != "seal":
        raise ValueError(f"unknown certificate purpose {purpose!r}")
    return builder.sign(issuer.key, hashes.SHA256())


def seal(
    issuer: Issued,
    *,
    identifier: str,
    title: str,
    now: dt.datetime | None = None,
    days: int = 365,
    not_before: dt.datetime | None = None,
) -> Issued:
    """A new key and a seal certificate for the taxpayer *identifier* (VKN or TCKN)."""
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    start = not_before or now - dt.timedelta(days=1)
    certificate = issue(
        issuer,
        name(title, identifier=identifier, organization=title),
        key.public_key(),
        not_before=start,
        not_after=start + dt.timedelta(days=days),
    )
    return Issued(key, certificate)


def tsa(issuer: Issued, *, common_name: str = "Yerel Zaman Damgası", now: dt.datetime | None = None) -> Issued:
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    certificate = issue(
        issuer,
        name(common_name, organization="Test"),
        key.public_key(),
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=365 * 10),
        purpose="tsa",
    )
    return Issued(key, certificate)


def to_pkcs12(issued: Issued, password: bytes, *, chain: list[x509.Certificate] = (), friendly_name: bytes = b"seal") -> bytes:
    return pkcs12.serialize_key_and_certificates(
        friendly_name,
        issued.key,
        issued.certificate,
        list(chain) or None,
        serialization.BestAvailableEncryption(password),
    )


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
