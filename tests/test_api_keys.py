import datetime
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tenants.api_keys import api_key_authenticate, api_key_create, api_key_revoke
from tenants.models import ApiKey


def _me(client, raw_key):
    return client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Api-Key {raw_key}")


def test_only_the_hash_is_stored(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read", "send"])
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert raw.startswith(stored.prefix + ".")
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.split(".", 1)[1] not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())


def test_a_key_works_and_records_its_use(client, tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"])
    response = _me(client, raw)
    assert response.status_code == 200
    assert response.json()["scopes"] == ["read"] and response.json()["identifier"] == tenant_a.identifier
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


@pytest.mark.parametrize("mangle", [lambda raw: raw + "x", lambda raw: raw[:-1], lambda raw: "itk_00000000.nothing", lambda raw: "garbage"])
def test_wrong_keys_get_401(client, tenant_a, mangle):
    _key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"])
    assert _me(client, mangle(raw)).status_code == 401


def test_no_key_gets_401(client, db):
    response = client.get(reverse("api-me"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_gets_401(client, tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"])
    api_key_revoke(api_key=api_key)
    assert _me(client, raw).status_code == 401


def test_an_expired_key_gets_401(client, tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"], expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert _me(client, raw).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _me(client, raw).status_code == 401


def test_a_deactivated_tenant_key_stops_working(tenant_a):
    _key, raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"])
    tenant_a.is_active = False
    tenant_a.save()
    assert api_key_authenticate(raw_key=raw) is None


@pytest.mark.parametrize("scopes", [[], ["read", "admin"]])
def test_unknown_or_missing_scopes_are_refused(tenant_a, scopes):
    with pytest.raises(ValidationError) as caught:
        api_key_create(tenant=tenant_a, name="erp", scopes=scopes)
    assert caught.value.code == "api_key_scope"


def test_command_prints_a_working_key(tenant_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "--tenant", tenant_a.identifier, "--scope", "read", "--scope", "send", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    api_key = api_key_authenticate(raw_key=raw)
    assert api_key.tenant == tenant_a and api_key.scopes == ["read", "send"]
    assert "will not be shown again" in err.getvalue()


def test_command_names_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="9000068418"):
        call_command("create_api_key", "--tenant", "9000068418")
