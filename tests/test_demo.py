import io

from django.contrib.auth import get_user_model
from django.core.management import call_command

from tenants.api_keys import api_key_authenticate
from tenants.ledger import credits_balance
from tenants.models import Alias, ApiKey, Membership, Tenant


def test_the_demo_loads_once(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    counts = (Tenant.objects.count(), Alias.objects.count(), ApiKey.objects.count(), get_user_model().objects.count())
    second = io.StringIO()
    call_command("load_demo", stdout=second)
    assert counts == (2, 4, 2, 1)
    assert (Tenant.objects.count(), Alias.objects.count(), ApiKey.objects.count(), get_user_model().objects.count()) == counts
    assert "already loaded" in second.getvalue()
    password = (tmp_path / "demo-login.txt").read_text()
    assert f"muhasebe / {password}" in first.getvalue() and f"muhasebe / {password}" in second.getvalue()


def test_the_demo_tenants_can_invoice_each_other(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    tenants = list(Tenant.objects.all())
    for tenant in tenants:
        kinds = set(Alias.objects.filter(tenant=tenant, deleted_at__isnull=True).values_list("kind", flat=True))
        assert kinds == {"GB", "PK"} and tenant.efatura_registered and credits_balance(tenant=tenant) > 0
    accountant = get_user_model().objects.get(username="muhasebe")
    assert {m.tenant for m in Membership.objects.filter(user=accountant, role="accountant")} == set(tenants)
    keys = [line.strip() for line in out.getvalue().splitlines() if line.strip().startswith("itk_")]
    assert {api_key_authenticate(raw_key=k).tenant for k in keys} == set(tenants)
    assert client.login(username="muhasebe", password=(tmp_path / "demo-login.txt").read_text())
