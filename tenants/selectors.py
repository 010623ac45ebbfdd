"""Reads for tenants, always in the name of someone."""

from django.db.models import QuerySet

from tenants.models import Alias, Membership, NumberSeries


def memberships_of(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, tenant__is_active=True).select_related("tenant").order_by("tenant__title")


def membership_of(*, user, identifier: str) -> Membership | None:
    """The person's membership in the tenant with this VKN/TCKN, or None: a tenant they do not
    serve is, for them, a tenant that does not exist."""
    return memberships_of(user=user).filter(tenant__identifier=identifier).first()


def aliases_of(*, tenant, include_deleted: bool = False) -> QuerySet[Alias]:
    aliases = Alias.objects.filter(tenant=tenant)
    return aliases if include_deleted else aliases.filter(deleted_at__isnull=True)


def series_of(*, tenant) -> QuerySet[NumberSeries]:
    return NumberSeries.objects.filter(tenant=tenant).prefetch_related("counters")
