"""The demo: two tenants that can invoice each other, each with a local test seal, and one accountant serving both."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from signing.services import seal_create_local, seals_renew_local
from tenants.api_keys import api_key_create
from tenants.ledger import credits_add
from tenants.models import ApiKey, NumberSeries, Tenant
from tenants.numbering import series_create
from tenants.roles import Role
from tenants.services import alias_add, membership_set, tenant_create

ACCOUNTANT = "muhasebe"
TENANTS = [
    {
        "tenant": {
            "identifier": "1234567890",
            "title": "Demo Tekstil Sanayi ve Ticaret A.Ş.",
            "tax_office": "Zincirlikuyu",
            "street": "Büyükdere Cad. No:1",
            "district": "Şişli",
            "city": "İstanbul",
            "postal_code": "34394",
            "email": "fatura@demotekstil.com.tr",
        },
        "aliases": [("GB", "urn:mail:faturagb@demotekstil.com.tr"), ("PK", "urn:mail:faturapk@demotekstil.com.tr")],
        "series": [("DTF", NumberSeries.Kind.EFATURA), ("DTA", NumberSeries.Kind.EARSIV)],
    },
    {
        "tenant": {
            "identifier": "4840847211",
            "title": "Örnek Gıda Limited Şirketi",
            "tax_office": "Çankaya",
            "street": "Atatürk Bulvarı No:100",
            "district": "Çankaya",
            "city": "Ankara",
            "postal_code": "06680",
            "email": "muhasebe@ornekgida.com.tr",
        },
        "aliases": [("GB", "urn:mail:gb@ornekgida.com.tr"), ("PK", "urn:mail:pk@ornekgida.com.tr")],
        "series": [("ORF", NumberSeries.Kind.EFATURA), ("ORA", NumberSeries.Kind.EARSIV)],
    },
]


def _login_file() -> Path:
    return settings.VAR_DIR / "demo-login.txt"


@transaction.atomic
def demo_load() -> dict | None:
    """Create the demo once. Returns the new login and keys, or None when the demo already exists."""
    if Tenant.objects.filter(identifier=TENANTS[0]["tenant"]["identifier"]).exists():
        return None
    password = secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(ACCOUNTANT, password=password, first_name="Demo", last_name="Muhasebeci")
    keys = {}
    for spec in TENANTS:
        tenant = tenant_create(**spec["tenant"])
        for kind, name in spec["aliases"]:
            alias_add(tenant=tenant, kind=kind, name=name, branch="Merkez")
        for prefix, kind in spec["series"]:
            series_create(tenant=tenant, prefix=prefix, kind=kind, is_default=True)
        membership_set(tenant=tenant, user=user, role=Role.ACCOUNTANT)
        credits_add(tenant=tenant, amount=1000, note="demo")
        seal_create_local(tenant=tenant)
        _key, raw_key = api_key_create(tenant=tenant, name="demo ERP", scopes=ApiKey.Scope.values)
        keys[tenant] = raw_key
    path = _login_file()
    path.touch(mode=0o600)
    path.write_text(password, encoding="utf-8")
    return {"username": ACCOUNTANT, "password": password, "keys": keys}


def demo_seals_renew(*, now=None) -> list[str]:
    """The demo tenants' local test seals renewed when they near their end (a seal is valid a year):
    the names of the tenants that got a new one."""
    tenants = list(Tenant.objects.filter(identifier__in=[spec["tenant"]["identifier"] for spec in TENANTS]))
    return [seal.tenant.display_name for seal in seals_renew_local(tenants=tenants, now=now)]


def demo_login() -> tuple[str, str | None]:
    path = _login_file()
    return ACCOUNTANT, path.read_text(encoding="utf-8").strip() if path.exists() else None


def demo_exchange(*, address: str) -> None:
    """Point the demo at the local GİB hub: both tenants registered there with this platform's
    endpoint (``address`` + gib/services/EFatura), and the hub's registered-user lists imported into
    ours, as GİB's are in production (through a file, by the same import). Idempotent."""
    if not settings.GIB_HUB_ENABLED:
        return
    from envelopes.userlist import userlist_import
    from gibhub.registry import hub_register
    from gibhub.userlist import FILE_NAMES, userlist_zip

    endpoint = address.rstrip("/") + "/gib/services/EFatura"
    for spec in TENANTS:
        tenant = Tenant.objects.get(identifier=spec["tenant"]["identifier"])
        hub_register(identifier=tenant.identifier, title=tenant.display_name, aliases=spec["aliases"], endpoint=endpoint)
    for kind, name in FILE_NAMES.items():
        path = settings.VAR_DIR / name
        path.write_bytes(userlist_zip(kind=kind))
        userlist_import(source=str(path))
