"""Reads for tenants, always in the name of someone."""

from django.db.models import QuerySet

from tenants.models import Alias, ApiKey, AuditEntry, CreditAccount, Invitation, LedgerEntry, Membership, NumberSeries, Tenant, Webhook
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


def members_of(*, tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("created_at", "id")


def open_invitations_of(*, tenant) -> QuerySet[Invitation]:
    """Invitations neither accepted nor withdrawn (expired ones too, until replaced or withdrawn)."""
    return Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True, revoked_at__isnull=True).select_related("invited_by")


def invitation_by_token(*, token: str) -> Invitation | None:
    from tenants.people import token_hash

    return Invitation.objects.select_related("tenant").filter(token_hash=token_hash(token)).first()


def audit_entries_of(*, tenant, user_id: int | None = None, action: str = "", before: int | None = None) -> QuerySet[AuditEntry]:
    """A tenant's audit, newest first; ``before`` (an entry's id) gives the page after it."""
    entries = AuditEntry.objects.filter(tenant=tenant).select_related("user").order_by("-id")
    if user_id is not None:
        entries = entries.filter(user_id=user_id)
    if action:
        entries = entries.filter(action=action)
    if before is not None:
        entries = entries.filter(id__lt=before)
    return entries


def audit_people_of(*, tenant) -> list:
    """Everyone with an entry in the tenant's audit (members who left too), for its filter."""
    from django.contrib.auth import get_user_model

    ids = AuditEntry.objects.filter(tenant=tenant, user__isnull=False).order_by().values("user_id").distinct()
    return list(get_user_model().objects.filter(id__in=ids).order_by("first_name", "last_name", "username"))


def audit_actions_of(*, tenant) -> list[str]:
    return sorted(AuditEntry.objects.filter(tenant=tenant).order_by().values_list("action", flat=True).distinct())


def sign_ins_of(*, user, limit: int = 10) -> QuerySet[AuditEntry]:
    """The person's latest sign-ins, sign-outs and failed sign-ins."""
    return AuditEntry.objects.filter(user=user, tenant__isnull=True, action__in=["login", "logout", "login-failed"]).order_by("-id")[:limit]
def api_keys_of(*, tenant) -> QuerySet[ApiKey]:
    """Every key of the tenant, the revoked and expired ones too (newest first)."""
    return ApiKey.objects.filter(tenant=tenant).select_related("created_by")


def api_key_of(*, tenant, key_id: int) -> ApiKey | None:
    return api_keys_of(tenant=tenant).filter(id=key_id).first()


def webhook_of(*, tenant, webhook_id: int) -> Webhook | None:
    """One of the tenant's webhooks that is not deleted, or None."""
    return Webhook.objects.filter(tenant=tenant, is_active=True, id=webhook_id).first()
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
