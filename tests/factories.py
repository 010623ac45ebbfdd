"""Builders for test data, made through the same services the platform uses."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from directory.models import RegisteredAlias, RegisteredUser
from tenants.models import NumberSeries, Tenant
from tenants.numbering import series_create
from tenants.services import alias_add, membership_set, tenant_create
from tests.clock import NOW

# Valid VKNs (their check digits hold), for tests that need more tenants than A and B.
VKNS = ["1234567890", "4840847211", "3900383669", "9000068418", "0123456789"]
_users = itertools.count(1)


def make_tenant(identifier: str, title: str, *, domain: str, prefix: str) -> Tenant:
    tenant = tenant_create(identifier=identifier, title=title, tax_office="Kadıköy", city="İstanbul")
    alias_add(tenant=tenant, kind="GB", name=f"urn:mail:gb@{domain}")
    alias_add(tenant=tenant, kind="PK", name=f"urn:mail:pk@{domain}")
    series_create(tenant=tenant, prefix=prefix, kind=NumberSeries.Kind.EFATURA, is_default=True)
    register(identifier, title, gb=f"urn:mail:gb@{domain}", pk=f"urn:mail:pk@{domain}")
    return tenant


def register(identifier: str, title: str, *, gb: str, pk: str) -> RegisteredUser:
    """Put a taxpayer on GİB's registered-user list, as an import would (rows only imports write)."""
    since = NOW - dt.timedelta(days=5 * 365)  # on the list for years before the tests' clock
    user, _created = RegisteredUser.objects.get_or_create(identifier=identifier, defaults={"title": title, "first_created_at": since})
    for kind, name in (("GB", gb), ("PK", pk)):
        RegisteredAlias.objects.get_or_create(user=user, kind=kind, name=name, document_type="Invoice", defaults={"created_at": since})
    return user


def register_customers() -> None:
    """The customers in the test payloads, registered users all: A and B (also tenants, when a test
    makes them so), the public body of KAMU invoices and the customs administration of IHRACAT ones."""
    register("1234567890", "A Tekstil A.Ş.", gb="urn:mail:gb@a-tekstil.com.tr", pk="urn:mail:pk@a-tekstil.com.tr")
    register("4840847211", "B Gıda Ltd. Şti.", gb="urn:mail:gb@b-gida.com.tr", pk="urn:mail:pk@b-gida.com.tr")
    register("9000068418", "Ankara Büyükşehir Belediyesi", gb="urn:mail:gb@ankara.bel.tr", pk="urn:mail:pk@ankara.bel.tr")
    register("1460415308", "Gümrük ve Ticaret Bakanlığı", gb="urn:mail:ihracatgb@gtb.gov.tr", pk="urn:mail:ihracatpk@gtb.gov.tr")


def make_user(*, tenant: Tenant | None = None, role: str = "owner", password: str = "correct horse battery"):
    user = get_user_model().objects.create_user(f"user{next(_users)}", password=password)
    if tenant is not None:
        membership_set(tenant=tenant, user=user, role=role)
    return user
