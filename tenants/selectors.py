"""Reads for tenants, always in the name of someone."""

from django.db.models import QuerySet

from tenants.models import Alias, CreditAccount, LedgerEntry, Membership, NumberSeries, Tenant
from tenants.numbering import number_format


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


def series_years_of(*, tenant) -> list[dict]:
    """Each series with, per year it has numbered, the last number given and the next one to be."""
    rows = []
    for series in series_of(tenant=tenant):
        years = [{"year": c.year, "last": number_format(prefix=series.prefix, year=c.year, sequence=c.last_value) if c.last_value else "",
                  "next": number_format(prefix=series.prefix, year=c.year, sequence=c.last_value + 1), "count": c.last_value}
                 for c in sorted(series.counters.all(), key=lambda c: c.year, reverse=True)]
        rows.append({"series": series, "years": years})
    return rows


def ledger_of(*, tenant) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(tenant=tenant).select_related("created_by").order_by("-created_at", "-id")


def credit_account_of(*, tenant) -> CreditAccount | None:
    return CreditAccount.objects.filter(tenant=tenant).first()


def active_tenant(*, identifier: str) -> Tenant | None:
    """An active tenant by VKN/TCKN, for the integrator's staff, who serve every tenant."""
    return Tenant.objects.filter(identifier=identifier, is_active=True).first()
