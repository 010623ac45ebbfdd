"""B, an outsider, sees nothing of A: not through a page, not through the API, not through a selector."""

import pytest
from django.urls import reverse

from tenants.api_keys import api_key_create
from tenants.selectors import aliases_of, membership_of, memberships_of


def test_b_gets_404_for_a_dashboard(client_b, tenant_a):
    assert client_b.get(reverse("portal:dashboard", args=[tenant_a.identifier])).status_code == 404


def test_b_cannot_switch_to_a(client_b, tenant_a):
    assert client_b.get(reverse("portal:switch"), {"tenant": tenant_a.identifier}).status_code == 404


def test_b_home_and_dashboard_name_nothing_of_a(client_b, tenant_a, tenant_b):
    for url in [reverse("portal:home"), reverse("portal:dashboard", args=[tenant_b.identifier])]:
        page = client_b.get(url, follow=True).content.decode()
        assert tenant_b.title in page
        assert tenant_a.title not in page and tenant_a.identifier not in page and "a-tekstil" not in page


def test_selectors_answer_only_for_the_person_asking(user_a, user_b, tenant_a, tenant_b):
    assert membership_of(user=user_b, identifier=tenant_a.identifier) is None
    assert [m.tenant for m in memberships_of(user=user_b)] == [tenant_b]
    assert all(alias.tenant == tenant_b for alias in aliases_of(tenant=tenant_b))


def test_b_key_sees_only_b(client, tenant_a, tenant_b):
    _key, raw = api_key_create(tenant=tenant_b, name="erp", scopes=["read"])
    body = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
    assert body["identifier"] == tenant_b.identifier
    assert "a-tekstil" not in str(body)


@pytest.mark.parametrize("url", ["/admin/", "/admin/tenants/tenant/"])
def test_the_admin_is_for_operators_only(client_a, url):
    response = client_a.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
