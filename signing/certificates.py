"""What a seal certificate says, whether it may be used, and whether it chains to a trusted root."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from signing.keys import SealError

EXPIRY_WARNING = dt.timedelta(days=30)
MAX_CHAIN = 6


class SealExpired(SealError):
    code = "seal_expired"
    message = _("The seal's certificate expired on %(date)s; renew the seal at Kamu SM.")


class SealNotYetValid(SealError):
    code = "seal_not_yet_valid"
    message = _("The seal's certificate is valid only from %(date)s.")


class SealWrongHolder(SealError):
    code = "seal_wrong_holder"
    message = _("The seal belongs to %(holder)s, not to the supplier %(supplier)s.")


class SealNotForSigning(SealError):
    code = "seal_not_for_signing"
    message = _("The seal's certificate does not allow signing (key usage).")


class SealUntrusted(SealError):
    code = "seal_untrusted"
    message = _("The seal's certificate (issued by %(issuer)s) does not chain to a root this platform trusts; "
                "GİB accepts only seals issued by Kamu SM.")


def holder_identifier(certificate: x509.Certificate) -> str:
    """The VKN/TCKN a Turkish seal carries in the subject's serialNumber ("1234567890" or "VKN:1234567890")."""
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return "".join(ch for ch in str(values[0].value) if ch.isdigit()) if values else ""


def holder_name(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else certificate.subject.rfc4514_string()


def may_sign(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True  # no restriction stated
    return usage.digital_signature or usage.content_commitment


def expires_soon(certificate: x509.Certificate, *, now: dt.datetime) -> bool:
    return certificate.not_valid_after_utc - now <= EXPIRY_WARNING


def check_for_use(certificate: x509.Certificate, *, supplier: str | None, now: dt.datetime) -> None:
    """Refuse a seal that cannot seal for *supplier* now; ``supplier=None`` is the integrator's own seal."""
    if now > certificate.not_valid_after_utc:
        raise SealExpired(date=certificate.not_valid_after_utc.date().isoformat())
    if now < certificate.not_valid_before_utc:
        raise SealNotYetValid(date=certificate.not_valid_before_utc.date().isoformat())
    if not may_sign(certificate):
        raise SealNotForSigning()
    holder = holder_identifier(certificate)
    if supplier is not None and holder != supplier:
        raise SealWrongHolder(holder=holder or holder_name(certificate), supplier=supplier)


def configured_roots(setting: str, bundle: str | None) -> list[x509.Certificate]:
    """The certificates of the PEM *bundle* a setting names; unset, the local PKI's root (the local world)."""
    if not bundle:
        from signing.devpki import dev_pki

        return [dev_pki().root.certificate]
    try:
        return _bundle(setting, Path(bundle), Path(bundle).stat().st_mtime_ns)
    except OSError as exc:
        raise ImproperlyConfigured(f"{setting}: {bundle} is not a readable PEM bundle ({exc}).") from exc


@lru_cache(maxsize=8)
def _bundle(setting: str, path: Path, stamp: int) -> list[x509.Certificate]:
    # Read once per process (every verification asks), again when the file is replaced.
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting}: {path} is not a readable PEM bundle ({exc}).") from exc


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def chain_to_root(
    leaf: x509.Certificate, *, pool: list[x509.Certificate], roots: list[x509.Certificate]
) -> list[x509.Certificate] | None:
    """The path leaf → … → a trusted root, with intermediates from *pool*; None when there is none."""
    path = [leaf]
    while len(path) <= MAX_CHAIN:
        current = path[-1]
        for root in roots:
            if current == root or _issued_by(current, root):
                return path if current == root else [*path, root]
        issuer = next((c for c in pool if c not in path and _is_ca(c) and _issued_by(current, c)), None)
        if issuer is None:
            return None
        path.append(issuer)
    return None


def check_trusted(certificate: x509.Certificate, *, pool: list[x509.Certificate], roots: list[x509.Certificate]) -> None:
    """Refuse a seal certificate that chains to none of *roots* (intermediates taken from *pool*)."""
    if chain_to_root(certificate, pool=pool, roots=roots) is None:
        raise SealUntrusted(issuer=certificate.issuer.rfc4514_string())


def invalid_at(path: list[x509.Certificate], moment: dt.datetime) -> x509.Certificate | None:
    """The first certificate of *path* that was not valid at *moment*, if any."""
    return next((c for c in path if not c.not_valid_before_utc <= moment <= c.not_valid_after_utc), None)
