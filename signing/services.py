"""Seals: registering them, choosing the one that seals a tenant's document, and sealing.

Only this package touches keys.  A seal's key is opened once per process and kept (opening a PKCS#12
file derives its key slowly; a token session is worth keeping): the cache is keyed by the seal's id
and certificate, and a replaced seal is a new row.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from integrator.errors import DomainError
from signing import certificates, pkcs11, vault, xades
from signing.keys import KeyProvider, Pkcs12Key, SealFileInvalid, SealPasswordWrong
from signing.models import Seal
from signing.signals import seal_registered
from tenants.models import Tenant

_keys: dict[tuple[int, str], KeyProvider] = {}
_keys_lock = threading.Lock()


class NoSeal(DomainError):
    code = "no_seal"
    message = _("%(tenant)s has no active seal, and has not authorised the integrator to seal for it.")


class SealNameTaken(DomainError):
    code = "seal_name_taken"
    message = _("A seal named “%(name)s” is registered already; give this one another name.")


class SealNameMissing(DomainError):
    code = "seal_name_missing"
    message = _("A seal needs a name, to tell it from the others.")


# What keeps a seal from sealing until a person acts: registers one, renews it, corrects its PIN or
# labels (each of which registers the seal anew). Trying again changes nothing. Anything else this
# package raises may pass by itself and is worth trying again: a TSA that did not answer (every
# TimestampError: the TSA is the integrator's, not the tenant's seal), a token not present or
# removed (a network HSM away), a token refusing an operation for a reason we do not know, a PKCS#11
# library not installed (the platform's, fixed by its operator).
SEAL_UNUSABLE: tuple[type[Exception], ...] = (
    NoSeal,
    certificates.SealExpired,
    certificates.SealNotYetValid,
    certificates.SealWrongHolder,
    certificates.SealNotForSigning,
    SealPasswordWrong,
    SealFileInvalid,
    pkcs11.SealPinWrong,
    pkcs11.SealPinLocked,
    pkcs11.SealPinNotInitialized,
    pkcs11.SealPinExpired,
    pkcs11.SealKeyNotFound,
    pkcs11.SealCertificateMissing,
    pkcs11.SealCertificateMismatch,
)


def _pem(certificate: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return certificate.public_bytes(Encoding.PEM).decode()


def _check_name(*, tenant: Tenant | None, name: str) -> None:
    if not name.strip():
        raise SealNameMissing()
    if Seal.objects.filter(tenant=tenant, name=name).exists():
        raise SealNameTaken(name=name)


def trusted_roots() -> list[x509.Certificate]:
    return certificates.configured_roots("SEAL_TRUST_ROOTS", settings.SEAL_TRUST_ROOTS)


def _store(*, tenant: Tenant | None, name: str, key: KeyProvider, now: dt.datetime, require_trust: bool, **fields) -> Seal:
    """The seal, checked and made the active one; the invoices held for want of a usable seal that it
    can seal go on, once it is committed. With *require_trust* its certificate must chain to
    ``SEAL_TRUST_ROOTS`` (the portal asks it: a person registers a seal GİB will accept)."""
    certificate = key.certificate
    certificates.check_for_use(certificate, supplier=tenant.identifier if tenant else None, now=now)
    if require_trust:
        certificates.check_trusted(certificate, pool=list(key.chain), roots=trusted_roots())
    with transaction.atomic():
        _check_name(tenant=tenant, name=name)
        Seal.objects.filter(tenant=tenant, is_active=True).update(is_active=False)
        seal = Seal.objects.create(
            tenant=tenant,
            name=name,
            certificate=_pem(certificate),
            holder_identifier=certificates.holder_identifier(certificate),
            holder_name=certificates.holder_name(certificate)[:250],
            not_after=certificate.not_valid_after_utc,
            **fields,
        )
        _release_held(seal)
        return seal


def _release_held(seal: Seal) -> None:
    """Tell the pipeline which tenants' held invoices this seal may seal now."""
    if seal.tenant_id is not None:
        tenant_ids = [seal.tenant_id]
    else:  # the integrator's seal: for those who authorised it and have no seal of their own
        authorised = Tenant.objects.filter(sealed_by_integrator=True).exclude(seals__is_active=True)
        tenant_ids = list(authorised.values_list("id", flat=True))
    seal_registered.send(sender=Seal, seal=seal, tenant_ids=tenant_ids)


@sensitive_variables("data", "password")
def seal_import_pkcs12(
    *, tenant: Tenant | None, name: str, data: bytes, password: bytes, now: dt.datetime | None = None, require_trust: bool = False
) -> Seal:
    """Register a PKCS#12 seal (it becomes the active one); the file and its password are kept encrypted."""
    _check_name(tenant=tenant, name=name)
    key = Pkcs12Key(data, password)
    return _store(
        tenant=tenant,
        name=name,
        key=key,
        now=now or timezone.now(),
        require_trust=require_trust,
        kind=Seal.Kind.PKCS12,
        encrypted_pkcs12=vault.seal_secret(data),
        encrypted_secret=vault.seal_secret(password),
    )


LOCAL_SEAL_NAME = "yerel-test-muhru"


@sensitive_variables("password", "data")
def seal_create_local(*, tenant: Tenant) -> Seal:
    """A seal under the local test root, for the demo and the embedded default (GİB would refuse it)."""
    from signing import pki
    from signing.devpki import dev_pki

    root = dev_pki().root
    issued = pki.seal(root, identifier=tenant.identifier, title=tenant.display_name)
    password = secrets.token_urlsafe(24).encode()
    data = pki.to_pkcs12(issued, password, chain=[root.certificate])
    name = f"{LOCAL_SEAL_NAME}-{issued.certificate.serial_number:x}"[:40]  # a renewed one is a new seal
    return seal_import_pkcs12(tenant=tenant, name=name, data=data, password=password)


@sensitive_variables("pin")
def seal_add_pkcs11(
    *, tenant: Tenant | None, name: str, token_label: str, key_label: str, pin: str, now: dt.datetime | None = None,
    require_trust: bool = False,
) -> Seal:
    """Register a seal on a PKCS#11 token (HSM, smart card): only its labels and the encrypted PIN are kept."""
    from signing.pkcs11 import Pkcs11Key

    _check_name(tenant=tenant, name=name)
    key = Pkcs11Key(settings.PKCS11_MODULE, token_label, pin, key_label)
    try:
        return _store(
            tenant=tenant,
            name=name,
            key=key,
            now=now or timezone.now(),
            require_trust=require_trust,
            kind=Seal.Kind.PKCS11,
            token_label=token_label,
            key_label=key_label,
            encrypted_secret=vault.seal_secret(pin.encode()),
        )
    finally:
        key.close()


def integrator_seal() -> Seal | None:
    """The integrator's active seal, if it has one."""
    return Seal.objects.filter(tenant__isnull=True, is_active=True).first()


def seal_authorise_integrator(*, tenant: Tenant, authorised: bool) -> Tenant:
    """Grant or withdraw the tenant's authorisation for the integrator to seal its documents. Granted
    while the tenant has no seal of its own, its held invoices go on with the integrator's seal."""
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(id=tenant.id)
        if locked.sealed_by_integrator != authorised:
            locked.sealed_by_integrator = authorised
            locked.save(update_fields=["sealed_by_integrator"])
            seal = integrator_seal()
            if authorised and seal is not None and not Seal.objects.filter(tenant=locked, is_active=True).exists():
                seal_registered.send(sender=Seal, seal=seal, tenant_ids=[locked.id])
    tenant.sealed_by_integrator = authorised
    return tenant


def seal_for(*, tenant: Tenant) -> Seal:
    """The tenant's active seal; else the integrator's, when the tenant has authorised it."""
    own = Seal.objects.filter(tenant=tenant, is_active=True).first()
    if own is not None:
        return own
    if tenant.sealed_by_integrator:
        integrator = Seal.objects.filter(tenant__isnull=True, is_active=True).first()
        if integrator is not None:
            return integrator
    raise NoSeal(tenant=tenant.display_name)


@sensitive_variables("secret")
def _open(seal: Seal) -> KeyProvider:
    secret = vault.open_secret(seal.encrypted_secret)
    if seal.kind == Seal.Kind.PKCS12:
        return Pkcs12Key(vault.open_secret(seal.encrypted_pkcs12), secret)
    from signing.pkcs11 import Pkcs11Key

    return Pkcs11Key(settings.PKCS11_MODULE, seal.token_label, secret.decode(), seal.key_label)


def key_for(seal: Seal) -> KeyProvider:
    cache_key = (seal.pk, seal.certificate)  # a row id alone may come back (SQLite reuses freed ids)
    with _keys_lock:
        key = _keys.get(cache_key)
        if key is None:
            key = _keys[cache_key] = _open(seal)
        return key


def keys_close() -> None:
    """Forget every opened key (and log out of tokens): for a process that stops, and for tests."""
    with _keys_lock:
        for key in _keys.values():
            getattr(key, "close", lambda: None)()
        _keys.clear()


def document_seal(*, tenant: Tenant, xml: bytes, timestamped: bool, now: dt.datetime | None = None) -> bytes:
    """Seal one of *tenant*'s documents: XAdES-BES, or XAdES-T when *timestamped* (e-Arşiv)."""
    return seal_with(seal=seal_for(tenant=tenant), supplier=tenant.identifier, xml=xml, timestamped=timestamped, now=now)


def seal_with(*, seal: Seal, supplier: str, xml: bytes, timestamped: bool, now: dt.datetime | None = None) -> bytes:
    """Seal *xml* (issued by *supplier*) with *seal*, checked first: a tenant's seal seals only its
    holder's documents, the integrator's anyone's."""
    key = key_for(seal)
    moment = now or timezone.now()
    certificates.check_for_use(key.certificate, supplier=supplier if seal.tenant_id else None, now=moment)
    return xades.sign(xml, key, signing_time=moment, timestamper=timestamper() if timestamped else None)


def report_seal(*, tenant: Tenant, xml: bytes, now: dt.datetime | None = None) -> bytes:
    """Seal *tenant*'s e-Arşiv report with its seal (or the integrator's, when authorised), XAdES-T."""
    seal = seal_for(tenant=tenant)
    key = key_for(seal)
    moment = now or timezone.now()
    certificates.check_for_use(key.certificate, supplier=tenant.identifier if seal.tenant_id else None, now=moment)
    return xades.sign_report(xml, key, signing_time=moment, timestamper=timestamper())


def soap_seal(*, tenant: Tenant, envelope, now: dt.datetime | None = None):
    """Sign a SOAP call to GİB's e-Arşiv service for *tenant* (WS-Security) with the seal that seals its reports."""
    from signing.wssecurity import wsse_sign

    key = key_for(seal_for(tenant=tenant))
    return wsse_sign(envelope, key, now=now or timezone.now())


def timestamper() -> xades.Timestamper:
    """The configured TSA as a function from a digest to a verified token."""
    from signing import timestamp

    return lambda digest: timestamp.timestamp(digest).der


def seals_renew_local(*, tenants: list[Tenant], now: dt.datetime | None = None) -> list[Seal]:
    """New local test seals for those of *tenants* whose active seal is a local one that ends within
    30 days (or has ended), or that have none: the demo made a year ago still seals. A seal someone
    registered is left alone."""
    ending = {seal.tenant_id for seal in seals_expiring(now=now) if seal.name.startswith(LOCAL_SEAL_NAME)}
    sealed = set(Seal.objects.filter(tenant__in=tenants, is_active=True).values_list("tenant_id", flat=True))
    return [seal_create_local(tenant=tenant) for tenant in tenants if tenant.id in ending or tenant.id not in sealed]


def seals_expiring(*, now: dt.datetime | None = None) -> list[Seal]:
    """Active seals whose certificate ends within 30 days (or has ended): someone must renew them."""
    moment = now or timezone.now()
    return list(Seal.objects.filter(is_active=True, not_after__lte=moment + certificates.EXPIRY_WARNING).select_related("tenant"))
