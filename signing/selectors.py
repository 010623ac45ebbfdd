"""Reads for seals, in the name of a tenant."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from signing.certificates import EXPIRY_WARNING
from signing.models import Seal
from signing.services import NoSeal, seal_for
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
