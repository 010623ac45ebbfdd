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
