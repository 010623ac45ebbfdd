"""Reads for designs, always within one tenant."""

from django.db.models import QuerySet

from designs.models import Design
from tenants.models import Tenant


def designs_of(*, tenant: Tenant) -> QuerySet[Design]:
    return Design.objects.filter(tenant=tenant).select_related("uploaded_by")


def design_get(*, tenant: Tenant, design_id: int) -> Design | None:
    """The tenant's design version; None for another tenant's, which for them does not exist."""
    return designs_of(tenant=tenant).filter(id=design_id).first()
