"""Reads for seals, in the name of a tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils import timezone

from signing.certificates import EXPIRY_WARNING
from signing.models import Seal
from signing.services import NoSeal, integrator_seal, seal_for
from tenants.models import Tenant


@dataclass(frozen=True)
class SealInUse:
    seal: Seal
    integrators: bool  # the integrator's seal, used on the tenant's authorisation
    expiring: bool  # ends within 30 days, or has ended: someone must renew it


def seal_in_use(*, tenant: Tenant) -> SealInUse | None:
    try:
        seal = seal_for(tenant=tenant)
    except NoSeal:
        return None
    return SealInUse(seal, seal.tenant_id is None, seal.not_after - timezone.now() <= EXPIRY_WARNING)


@dataclass(frozen=True)
class SealFacts:
    """A seal as the portal shows it: what its certificate says, and whether it is the one in use."""

    seal: Seal
    issuer: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    in_use: bool
    expired: bool
    expiring: bool  # ends within 30 days: beat warns (signing.warnings)
    warned: list[int]  # the warning steps (days before its end) already given


def _facts(seal: Seal, *, in_use: Seal | None, now: dt.datetime) -> SealFacts:
    certificate = x509.load_pem_x509_certificate(seal.certificate.encode())
    return SealFacts(
        seal=seal,
        issuer=holder_name_of(certificate.issuer),
        serial=f"{certificate.serial_number:X}",
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        in_use=in_use is not None and in_use.pk == seal.pk,
        expired=certificate.not_valid_after_utc < now,
        expiring=certificate.not_valid_after_utc - now <= EXPIRY_WARNING,
        warned=sorted(warning.days for warning in seal.warnings.all()),
    )


def holder_name_of(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def seals_of(*, tenant: Tenant) -> list[SealFacts]:
    """The tenant's own seals, the active one first, then the earlier ones, newest first."""
    in_use = seal_in_use(tenant=tenant)
    now = timezone.now()
    seals = Seal.objects.filter(tenant=tenant).prefetch_related("warnings").order_by("-is_active", "-created_at", "-id")
    return [_facts(seal, in_use=in_use.seal if in_use else None, now=now) for seal in seals]


def integrator_seal_facts(*, tenant: Tenant) -> SealFacts | None:
    """The integrator's active seal, and whether it is the one sealing the tenant's documents."""
    seal = integrator_seal()
    if seal is None:
        return None
    in_use = seal_in_use(tenant=tenant)
    return _facts(seal, in_use=in_use.seal if in_use else None, now=timezone.now())
def seals_in_use(*, tenants) -> dict[int, SealInUse | None]:
    """``seal_in_use`` for many tenants at once, in at most two queries."""
    own: dict[int, Seal] = {}
    for seal in Seal.objects.filter(tenant__in=tenants, is_active=True):  # newest first: the one seal_for takes
        own.setdefault(seal.tenant_id, seal)
    lent = any(t.sealed_by_integrator and t.id not in own for t in tenants)
    integrator = Seal.objects.filter(tenant__isnull=True, is_active=True).first() if lent else None
    now = timezone.now()
    found = {}
    for tenant in tenants:
        seal = own.get(tenant.id) or (integrator if tenant.sealed_by_integrator else None)
        found[tenant.id] = SealInUse(seal, seal.tenant_id is None, seal.not_after - now <= EXPIRY_WARNING) if seal else None
    return found
