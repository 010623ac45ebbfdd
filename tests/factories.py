"""Builders for test data, made through the same services the platform uses."""

import itertools

from django.contrib.auth import get_user_model

from tenants.models import NumberSeries, Tenant
from tenants.numbering import series_create
from tenants.services import alias_add, membership_set, tenant_create

# Valid VKNs (their check digits hold), for tests that need more tenants than A and B.
VKNS = ["1234567890", "4840847211", "3900383669", "9000068418", "0123456789"]
_users = itertools.count(1)


def make_tenant(identifier: str, title: str, *, domain: str, prefix: str) -> Tenant:
    tenant = tenant_create(identifier=identifier, title=title, tax_office="Kadıköy", city="İstanbul")
    alias_add(tenant=tenant, kind="GB", name=f"urn:mail:gb@{domain}")
    alias_add(tenant=tenant, kind="PK", name=f"urn:mail:pk@{domain}")
    series_create(tenant=tenant, prefix=prefix, kind=NumberSeries.Kind.EFATURA, is_default=True)
    return tenant


def make_user(*, tenant: Tenant | None = None, role: str = "owner", password: str = "correct horse battery"):
    user = get_user_model().objects.create_user(f"user{next(_users)}", password=password)
    if tenant is not None:
        membership_set(tenant=tenant, user=user, role=role)
    return user
