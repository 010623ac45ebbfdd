"""Writes for tenants, their aliases and their people."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.aliases import normalize_alias, validate_alias
from tenants.models import Alias, CreditAccount, Membership, Tenant
from tenants.designs import validate_xslt
from tenants.roles import Role


@transaction.atomic
def tenant_create(*, identifier: str, tax_office: str, city: str, **fields) -> Tenant:
    tenant = Tenant(identifier=identifier.strip(), tax_office=tax_office, city=city, **fields)
    tenant.full_clean()
    tenant.save()
    CreditAccount.objects.create(tenant=tenant)
    return tenant


def check_alias(*, tenant: Tenant, kind: str, name: str) -> None:
    """Everything an alias must satisfy before a tenant may use it; raises ValidationError."""
    if kind not in Alias.Kind.values:
        raise ValidationError(_("Alias kind must be GB or PK, not %(kind)s."), code="alias_kind", params={"kind": kind})
    validate_alias(name)
    active = Alias.objects.filter(name=name, deleted_at__isnull=True)
    if active.filter(tenant=tenant).exclude(kind=kind).exists():
        raise ValidationError(
            _("%(name)s is already this tenant's %(other)s alias; a GB and a PK may never be equal."),
            code="alias_gb_equals_pk",
            params={"name": name, "other": "PK" if kind == Alias.Kind.GB else "GB"},
        )
    if active.exists():
        raise ValidationError(_("%(name)s is already in use."), code="alias_taken", params={"name": name})


@transaction.atomic
def alias_add(*, tenant: Tenant, kind: str, name: str, branch: str = "") -> Alias:
    name = normalize_alias(name)
    check_alias(tenant=tenant, kind=kind, name=name)
    return Alias.objects.create(tenant=tenant, kind=kind, name=name, branch=branch)


def alias_delete(*, alias: Alias) -> Alias:
    """Retire an alias: it stays, with its deletion time, so old envelopes still name a known label."""
    if alias.deleted_at is None:
        alias.deleted_at = timezone.now()
        alias.save(update_fields=["deleted_at"])
    return alias


def membership_set(*, tenant: Tenant, user: AbstractBaseUser, role: str) -> Membership:
    """Give *user* a role in *tenant*, or change the role they have."""
    if role not in Role.values:
        raise ValidationError(
            _("Unknown role %(role)s; the roles are: %(roles)s."),
            code="unknown_role",
            params={"role": role, "roles": ", ".join(Role.values)},
        )
    membership, _created = Membership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": role})
    return membership


def tenant_set_design(*, tenant: Tenant, xslt: str) -> Tenant:
    """Set the XSLT every new invoice of *tenant* embeds; an empty text restores the default design."""
    if xslt.strip():
        validate_xslt(xslt.strip())
    tenant.display_xslt = xslt.strip()
    tenant.save(update_fields=["display_xslt"])
    return tenant
