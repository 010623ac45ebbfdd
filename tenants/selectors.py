"""Reads for tenants, always in the name of someone."""

from django.db.models import QuerySet

from tenants.models import Alias, ApiKey, Membership, NumberSeries, Webhook


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


def api_keys_of(*, tenant) -> QuerySet[ApiKey]:
    """Every key of the tenant, the revoked and expired ones too (newest first)."""
    return ApiKey.objects.filter(tenant=tenant).select_related("created_by")


def api_key_of(*, tenant, key_id: int) -> ApiKey | None:
    return api_keys_of(tenant=tenant).filter(id=key_id).first()


def webhook_of(*, tenant, webhook_id: int) -> Webhook | None:
    """One of the tenant's webhooks that is not deleted, or None."""
    return Webhook.objects.filter(tenant=tenant, is_active=True, id=webhook_id).first()
